//! The audit trail (§5.3): safe, atomic writes, content hashes, and provenance.
//!
//! Every file levers writes into a workspace goes through [`write_file`]: the bytes go to a
//! temporary file created exclusively (never through a link planted at its name) in the
//! workspace's private `.levers/tmp/`, are flushed to disk, and the temporary file is renamed
//! over the target, so a reader (or a crash) sees the old file or the new one, never half of
//! either. A target whose folder resolves outside the workspace (a planted symlink) is refused.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Writes `bytes` to `root/relative` atomically, creating folders; refuses a `relative` that
/// climbs out of `root` and a folder that links outside it.
pub fn write_file(root: &Path, relative: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (staged, mut file) = Staged::new(root, relative)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    staged.put_in_place()
}

/// A file being written: its bytes in a temporary file in the workspace's private folder,
/// put in place by [`Staged::put_in_place`] (a rename), removed if dropped before.
pub struct Staged {
    temp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Staged {
    /// A temporary file for `root/relative`, checked as [`write_file`] checks, and open to write.
    pub fn new(root: &Path, relative: &Path) -> std::io::Result<(Staged, std::fs::File)> {
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
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Renames the temporary file over the target.
    pub fn put_in_place(mut self) -> std::io::Result<()> {
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
pub fn private_dir(root: &Path) -> std::io::Result<PathBuf> {
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

/// SHA-256 of a file's bytes, as lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
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

/// Text as it may stand inside an HTML comment on one line: `&` and `>` as entities, so that
/// nothing (a reissue reason holding `-->`) can end the comment early; line breaks and other
/// control characters as spaces.
fn in_comment(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '>' => "&gt;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// [`in_comment`] undone.
fn from_comment(text: &str) -> String {
    text.replace("&gt;", ">").replace("&amp;", "&")
}

/// What a generated file was made from: enough to make it again and to check it (§5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub version: String,
    /// The levers arguments that regenerate the file.
    pub command: String,
    /// The last commit that changed any input, "uncommitted" or "not in git".
    pub input_commit: String,
    /// Each input file, relative to the workspace, with its SHA-256.
    pub inputs: Vec<(std::path::PathBuf, String)>,
    /// Files written with this one (a letter's challenge CSV), with their SHA-256: they
    /// carry no provenance of their own, so `verify` checks them through this record.
    pub companions: Vec<(std::path::PathBuf, String)>,
}

const PROVENANCE_START: &str = "<!-- provenance: levers ";
const COMMIT_PREFIX: &str = "; inputs last changed in commit ";

impl Provenance {
    /// Hashes `inputs` (relative to `root`) and asks git for their commit.
    pub fn of(
        root: &Path,
        command: String,
        inputs: &[std::path::PathBuf],
    ) -> std::io::Result<Provenance> {
        let mut hashed = Vec::with_capacity(inputs.len());
        for input in inputs {
            hashed.push((input.clone(), sha256_file(&root.join(input))?));
        }
        Ok(Provenance {
            version: env!("CARGO_PKG_VERSION").to_string(),
            command,
            input_commit: crate::audit::git::input_commit(root, inputs),
            inputs: hashed,
            companions: Vec::new(),
        })
    }

    /// The HTML comment that ends a Markdown file (invisible when rendered), in the words of
    /// §5.3, one input a line:
    ///
    /// ```text
    /// <!-- provenance: levers 0.1.0; inputs last changed in commit 1a2b3c4
    /// command: letter --contract … --today 2026-05-27
    /// input: contracts/…/contract.toml sha256 9f86d0…
    /// -->
    /// ```
    pub fn comment(&self) -> String {
        let mut text = format!(
            "{PROVENANCE_START}{}{COMMIT_PREFIX}{}\ncommand: {}\n",
            self.version,
            self.input_commit,
            in_comment(&self.command)
        );
        for (path, sha) in &self.inputs {
            let path = in_comment(&path.display().to_string());
            text.push_str(&format!("input: {path} sha256 {sha}\n"));
        }
        for (path, sha) in &self.companions {
            let path = in_comment(&path.display().to_string());
            text.push_str(&format!("companion: {path} sha256 {sha}\n"));
        }
        text.push_str("-->\n");
        text
    }

    /// The `--today` the file was made as of: for a letter, its date.
    pub fn today(&self) -> Option<chrono::NaiveDate> {
        let mut words = self.command.split_whitespace();
        words.find(|w| *w == "--today")?;
        words.next()?.parse().ok()
    }

    /// Reads the provenance block of a generated file.
    pub fn parse(text: &str) -> Option<Provenance> {
        let start = text.rfind(PROVENANCE_START)?;
        let mut lines = text[start..].lines();
        let first = lines.next()?.strip_prefix(PROVENANCE_START)?;
        let (version, commit) = first.split_once(COMMIT_PREFIX)?;
        let mut p = Provenance {
            version: version.to_string(),
            command: String::new(),
            input_commit: commit.trim().to_string(),
            inputs: Vec::new(),
            companions: Vec::new(),
        };
        for line in lines {
            let line = line.trim_start_matches("# ");
            if line.starts_with("-->") {
                return Some(p);
            }
            let (key, value) = line.split_once(": ")?;
            match key {
                "command" => p.command = from_comment(value),
                "input" | "companion" => {
                    let (path, sha) = value.rsplit_once(" sha256 ")?;
                    let entry = (
                        std::path::PathBuf::from(from_comment(path)),
                        sha.to_string(),
                    );
                    if key == "input" {
                        p.inputs.push(entry);
                    } else {
                        p.companions.push(entry);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod provenance_tests {
    use super::*;

    #[test]
    fn provenance_round_trips_through_its_comment() {
        let p = Provenance {
            version: "0.1.0".into(),
            command: "letter --contract a --month 2026-04 --stage final --today 2026-06-01 --reissue --reason \"a --> b & c\"".into(),
            input_commit: "abc1234".into(),
            inputs: vec![
                ("contracts/a/contract.toml".into(), "00ff".into()),
                ("levers.toml".into(), "11ee".into()),
            ],
            companions: vec![("contracts/a/letters/x.csv".into(), "22dd".into())],
        };
        let text = format!("# Letter\n\nbody\n\n{}", p.comment());
        assert_eq!(text.matches("-->").count(), 1, "only the comment's own end");
        assert_eq!(Provenance::parse(&text), Some(p));
    }
}
