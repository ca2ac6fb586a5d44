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

pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
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
