//! The audit trail (§5.3): content hashes, and the provenance block each output ends with.

use sha2::{Digest, Sha256};
use std::path::Path;

/// SHA-256 of a file's bytes, as lower-case hex.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// Files at least this large have their SHA-256 remembered between runs.
const MEMO_FROM_BYTES: u64 = 1 << 20;

/// The SHA-256 of large inputs, remembered in `.levers/sha256.json` (git-ignored) with each
/// file's metadata, as the month cache remembers its content hashes: a file whose size, times
/// and inode are unchanged, and whose times are safely older than when it was hashed (not
/// "racily clean"), is taken to have its recorded hash; any other is read again. A month of
/// 750 MB is then read by the pass once and hashed once, not again by every letter and log
/// that names it. A memo that cannot be read or written is simply bypassed.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct ShaMemo {
    files: std::collections::BTreeMap<
        std::path::PathBuf,
        (crate::pass::cache::FileState, u128, String),
    >,
    #[serde(skip)]
    changed: bool,
}

impl ShaMemo {
    fn file(root: &Path) -> std::path::PathBuf {
        root.join(".levers").join("sha256.json")
    }

    fn load(root: &Path) -> ShaMemo {
        std::fs::read(Self::file(root))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn sha256(&mut self, root: &Path, relative: &Path) -> std::io::Result<String> {
        let path = root.join(relative);
        let state = crate::pass::cache::file_state(&path);
        if let (Some(state), Some((known, hashed_ns, sha))) = (&state, self.files.get(relative)) {
            if crate::pass::cache::trusted(state, known, *hashed_ns) {
                return Ok(sha.clone());
            }
        }
        let now = crate::pass::cache::now_ns();
        if crate::pass::month::verbose() {
            eprintln!("levers: hashed {} for provenance", relative.display());
        }
        let sha = sha256_file(&path)?;
        if let Some(state) = state.filter(|s| s.size >= MEMO_FROM_BYTES) {
            // Recorded only if the file did not change while it was read.
            if crate::pass::cache::file_state(&path) == Some(state) {
                self.files
                    .insert(relative.to_path_buf(), (state, now, sha.clone()));
                self.changed = true;
            }
        }
        Ok(sha)
    }

    fn save(&self, root: &Path) {
        if !self.changed || crate::pass::cache::read_only() {
            return;
        }
        if let (Ok(_), Ok(bytes)) = (
            crate::audit::write::private_dir(root),
            serde_json::to_vec(self),
        ) {
            let _ = crate::audit::write::write_file(root, Path::new(".levers/sha256.json"), &bytes);
        }
    }
}

/// Remembers the SHA-256 of files the pass worked out as it read them (each with its state
/// before the read), the read having begun at `began_ns`: [`Provenance::of`] then takes them
/// from the memo, under its rules, rather than reading the files again.
pub(crate) fn remember_sha256(
    root: &Path,
    read: Vec<(std::path::PathBuf, crate::pass::cache::FileState, String)>,
    began_ns: u128,
) {
    let mut memo = ShaMemo::load(root);
    for (path, state, sha) in read {
        if state.size >= MEMO_FROM_BYTES {
            memo.files.insert(path, (state, began_ns, sha));
            memo.changed = true;
        }
    }
    memo.save(root);
}

pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// Where a generated file's provenance comment starts, if it has one.
pub(crate) fn comment_start(text: &str) -> Option<usize> {
    text.find(PROVENANCE_START)
}
const COMMIT_PREFIX: &str = "; inputs last changed in commit ";

impl Provenance {
    /// Hashes `inputs` (relative to `root`) and asks git for their commit.
    pub fn of(
        root: &Path,
        command: String,
        inputs: &[std::path::PathBuf],
    ) -> std::io::Result<Provenance> {
        let mut memo = ShaMemo::load(root);
        let mut hashed = Vec::with_capacity(inputs.len());
        for input in inputs {
            hashed.push((input.clone(), memo.sha256(root, input)?));
        }
        memo.save(root);
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

    /// A remembered SHA-256 is used only while the file is provably unchanged: rewritten with
    /// the same size and modification time, it is hashed again (its change time moved).
    #[test]
    fn a_remembered_hash_is_dropped_when_the_file_changes_under_the_same_times() {
        let root = std::env::temp_dir().join(format!("levers-sha-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let name = Path::new("month.csv");
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let write = |byte: u8| {
            std::fs::write(root.join(name), vec![byte; (MEMO_FROM_BYTES + 10) as usize]).unwrap();
            std::fs::File::options()
                .write(true)
                .open(root.join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        };
        write(b'a');
        let mut memo = ShaMemo::load(&root);
        let first = memo.sha256(&root, name).unwrap();
        memo.save(&root);
        assert!(root.join(".levers/sha256.json").is_file());
        let mut memo = ShaMemo::load(&root);
        assert_eq!(memo.sha256(&root, name).unwrap(), first);
        // Rewritten with other bytes, the same size and the same modification time.
        write(b'b');
        let mut memo = ShaMemo::load(&root);
        let second = memo.sha256(&root, name).unwrap();
        assert_ne!(second, first);
        assert_eq!(second, sha256_file(&root.join(name)).unwrap());
        let _ = std::fs::remove_dir_all(&root);
    }

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

#[cfg(test)]
mod hash_tests {
    use super::sha256_bytes;

    #[test]
    fn sha256_is_the_standard_digest_in_lower_case_hex() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
