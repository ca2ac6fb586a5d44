//! Safe, atomic writes.
//!
//! Every file levers writes into a workspace goes through [`write_file`]: the bytes go to a
//! temporary file created exclusively (never through a link planted at its name) in the
//! workspace's private `.levers/tmp/`, are flushed to disk, and the temporary file is renamed
//! over the target, so a reader (or a crash) sees the old file or the new one, never half of
//! either. A target whose folder resolves outside the workspace (a planted symlink) is refused.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Writes `bytes` to `root/relative` atomically, creating folders; refuses a `relative` that
/// climbs out of `root` and a folder that links outside it.
pub(crate) fn write_file(root: &Path, relative: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (staged, mut file) = Staged::new(root, relative)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    staged.put_in_place()
}

/// A file being written: its bytes in a temporary file in the workspace's private folder,
/// put in place by [`Staged::put_in_place`] (a rename), removed if dropped before.
pub(crate) struct Staged {
    temp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Staged {
    /// A temporary file for `root/relative`, checked as [`write_file`] checks, and open to write.
    pub(crate) fn new(root: &Path, relative: &Path) -> std::io::Result<(Staged, std::fs::File)> {
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(std::io::Error::other(format!(
                "refusing to write {}: not a path inside the workspace",
                relative.display()
            )));
        }
        let target = root.join(relative);
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(root)
            .to_path_buf();
        std::fs::create_dir_all(&dir)?;
        inside(root, &dir)?;
        let scratch = private_dir(root)?.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        let scratch = inside(root, &scratch)?;
        let (temp, file) = temporary(&scratch, &target)?;
        Ok((
            Staged {
                temp,
                target,
                done: false,
            },
            file,
        ))
    }

    /// Where the bytes are until they are put in place.
    pub(crate) fn path(&self) -> &Path {
        &self.temp
    }

    /// Renames the temporary file over the target.
    pub(crate) fn put_in_place(mut self) -> std::io::Result<()> {
        std::fs::rename(&self.temp, &self.target)?;
        self.done = true;
        // The rename itself reaches the disk with its folder.
        if let Some(dir) = self.target.parent() {
            if let Ok(folder) = std::fs::File::open(dir) {
                let _ = folder.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// `path` canonicalised, if it lies inside `root`; an error naming where it links otherwise.
fn inside(root: &Path, path: &Path) -> std::io::Result<PathBuf> {
    let canonical_root = std::fs::canonicalize(root)?;
    let canonical = std::fs::canonicalize(path)?;
    if canonical.starts_with(&canonical_root) {
        Ok(canonical)
    } else {
        Err(std::io::Error::other(format!(
            "refusing to write into {}: it links outside the workspace (to {})",
            path.strip_prefix(root).unwrap_or(path).display(),
            canonical.display()
        )))
    }
}

/// A new temporary file in `scratch`, created exclusively: an existing file or link at the
/// name is never opened, and a fresh name is tried instead.
fn temporary(scratch: &Path, target: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = scratch.join(format!(
            "{name}.{}.{nanos}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "cannot create a temporary file: every name tried exists",
    ))
}

/// `.levers/` in `root` (the cache, temporary files and the lock), created with its own
/// `.gitignore` of `*` so git ignores it; the workspace's own `.gitignore` is never touched.
pub(crate) fn private_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(".levers");
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            b"# levers' cache, temporary files and lock: never committed\n*\n",
        )?;
    }
    Ok(dir)
}

/// A fresh scratch folder under `.levers/` for a converter's intermediate files; the caller
/// removes it.
pub(crate) fn scratch_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = private_dir(root)?.join(format!("convert-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("levers-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = Path::new("sub/letter.md");
        write_file(&dir, path, b"first").unwrap();
        write_file(&dir, path, b"second").unwrap();
        assert_eq!(std::fs::read(dir.join(path)).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(dir.join(".levers/tmp"))
            .unwrap()
            .flatten()
            .collect();
        assert!(leftovers.is_empty());
        assert!(write_file(&dir, Path::new("../escape.md"), b"x").is_err());
        assert!(write_file(&dir, Path::new("/tmp/escape.md"), b"x").is_err());
    }

    /// A folder that links outside the workspace is never written through, and a link planted
    /// at a temporary file's name is never followed.
    #[cfg(unix)]
    #[test]
    fn links_out_of_the_workspace_are_refused() {
        let base = std::env::temp_dir().join(format!("levers-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (root, outside) = (base.join("ws"), base.join("outside"));
        std::fs::create_dir_all(root.join("contracts/c")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("contracts/c/letters")).unwrap();
        let refused = write_file(&root, Path::new("contracts/c/letters/x.md"), b"x");
        assert!(refused
            .unwrap_err()
            .to_string()
            .contains("links outside the workspace"));
        assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
        // A planted link where a temporary file will be made: the write goes to a fresh name.
        std::fs::create_dir_all(root.join(".levers/tmp")).unwrap();
        let victim = outside.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        for n in 0..50 {
            let _ = std::os::unix::fs::symlink(
                &victim,
                root.join(format!(".levers/tmp/y.md.{}.{n}.tmp", std::process::id())),
            );
        }
        write_file(&root, Path::new("y.md"), b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(root.join("y.md")).unwrap(), b"new");
        std::fs::remove_dir_all(&base).ok();
    }
}
