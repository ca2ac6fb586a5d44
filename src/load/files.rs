//! Reading input files safely: only regular files, of a bounded size, as UTF-8 text (a UTF-16
//! file named as such), and whether a path stays inside the workspace.

use crate::error::Invalid;
use std::path::Path;

/// The largest text input levers reads whole (a contract, minutes, a record file): anything
/// bigger is not one of those, and reading it would only exhaust memory.
pub(crate) const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Reads a text input whole: a regular file (a symlink to one is followed), at most
/// [`MAX_TEXT_BYTES`], UTF-8 with any byte-order mark dropped. Anything else is a message
/// saying what was found instead: a folder, a device or pipe, a UTF-16 file, bytes that are
/// not text.
pub(crate) fn read_text(path: &Path) -> Result<String, Invalid> {
    let bytes = read_regular(path, MAX_TEXT_BYTES)?;
    decode_text(bytes)
}

/// A regular file's bytes, refusing anything else (a FIFO would block, `/dev/zero` would never
/// end) and files over `limit` bytes.
pub(crate) fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Invalid> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read the file: it is {}, not a regular file",
            file_kind(&meta)
        )
        .into());
    }
    if meta.len() > limit {
        return Err(format!(
            "cannot read the file: it is {} bytes, more than the {limit} bytes such a file can be",
            meta.len()
        )
        .into());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(
            format!("cannot read the file: it grew past {limit} bytes while being read").into(),
        );
    }
    Ok(bytes)
}

/// Whether `path` (a file or folder in the workspace at `root`, following links) resolves to
/// somewhere inside the workspace: data must live in the workspace, whose history is the audit
/// trail.
pub(crate) fn inside_workspace(root: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(root), std::fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => true, // a path that cannot be resolved is reported by whatever reads it
    }
}

/// What a path that is not a regular file is, in words.
pub(crate) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Text from bytes: UTF-8 with any byte-order mark dropped; a UTF-16 file (by its byte-order
/// mark, or by NUL bytes between ASCII letters) is named as such rather than misread.
pub(crate) fn decode_text(bytes: Vec<u8>) -> Result<String, Invalid> {
    if let Some(encoding) = utf16(&bytes) {
        return Err(Invalid::from(format!(
            "the file is {encoding} text; levers reads UTF-8: save it as \"CSV UTF-8\" (or UTF-8 text) and try again"
        )));
    }
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (byte {} is not valid UTF-8): save it as UTF-8 and try again",
            e.utf8_error().valid_up_to() + 1
        )
        .into()
    })
}

/// `Some("UTF-16LE")` or `Some("UTF-16BE")` when `bytes` look like UTF-16.
pub(crate) fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => return Some("UTF-16BE"),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let le = head.chunks(2).filter(|p| p[0] != 0 && p[1] == 0).count();
    let be = head.chunks(2).filter(|p| p[0] == 0 && p[1] != 0).count();
    if le * 4 >= pairs * 3 {
        Some("UTF-16LE")
    } else if be * 4 >= pairs * 3 {
        Some("UTF-16BE")
    } else {
        None
    }
}
