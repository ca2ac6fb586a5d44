//! The audit trail (§5.3): atomic writes, content hashes, and provenance.
//!
//! Every file levers writes goes through [`write_atomic`]: the bytes go to a temporary file in
//! the same folder, are flushed to disk, and the temporary file is renamed over the target, so a
//! reader (or a crash) sees the old file or the new one, never half of either.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.levers-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
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
        let path = dir.join("sub/letter.md");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
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
            input_commit: crate::git::input_commit(root, inputs),
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
            self.version, self.input_commit, self.command
        );
        for (path, sha) in &self.inputs {
            text.push_str(&format!("input: {} sha256 {sha}\n", path.display()));
        }
        for (path, sha) in &self.companions {
            text.push_str(&format!("companion: {} sha256 {sha}\n", path.display()));
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
                "command" => p.command = value.to_string(),
                "input" | "companion" => {
                    let (path, sha) = value.rsplit_once(" sha256 ")?;
                    let entry = (std::path::PathBuf::from(path), sha.to_string());
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
            command: "letter --contract a --month 2026-04 --stage final --today 2026-06-01".into(),
            input_commit: "abc1234".into(),
            inputs: vec![
                ("contracts/a/contract.toml".into(), "00ff".into()),
                ("levers.toml".into(), "11ee".into()),
            ],
            companions: vec![("contracts/a/letters/x.csv".into(), "22dd".into())],
        };
        let text = format!("# Letter\n\nbody\n\n{}", p.comment());
        assert_eq!(Provenance::parse(&text), Some(p));
    }
}
