//! The letters a contract has issued so far, read back: the date each went out, which starts
//! the provider's response clock and bounds each final letter's period.

use crate::audit::provenance::Provenance;
use crate::model::calendar::Month;
use crate::model::letter::Stage;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A letter already issued: the date it was written as of, and its file when it is in the
/// working tree (a letter only in git history has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub date: NaiveDate,
    pub file: Option<PathBuf>,
}

/// The letters of one contract issued so far (first issues; reissues do not move a date),
/// from its `letters/` folder and, for any no longer there, git history.
#[derive(Debug, Clone, Default)]
pub(crate) struct IssuedLetters {
    letters: BTreeMap<(Month, Stage), Issued>,
}

impl IssuedLetters {
    pub(crate) fn read(root: &Path, contract_dir: &Path) -> IssuedLetters {
        let dir = contract_dir.join("letters");
        let mut letters = BTreeMap::new();
        let parse_name = |name: &str| -> Option<(Month, Stage)> {
            let stem = name.strip_suffix(".md")?;
            let (month, stage) = stem.split_once('-').and_then(|(y, rest)| {
                let (m, stage) = rest.split_once('-')?;
                Some((format!("{y}-{m}"), stage))
            })?;
            let stage = match stage {
                "provisional" => Stage::Provisional,
                "final" => Stage::Final,
                _ => return None,
            };
            Some((month.parse().ok()?, stage))
        };
        let date_of = |text: &str| Provenance::parse(text).and_then(|p| p.today());
        if let Ok(entries) = std::fs::read_dir(root.join(&dir)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                let Some(key) = parse_name(&name) else {
                    continue;
                };
                let file = dir.join(&name);
                if let Some(date) = std::fs::read_to_string(root.join(&file))
                    .ok()
                    .and_then(|t| date_of(&t))
                {
                    letters.insert(
                        key,
                        Issued {
                            date,
                            file: Some(file),
                        },
                    );
                }
            }
        }
        for (path, commit) in crate::audit::git::files_in_history(root, &dir) {
            let Some(key) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_name)
            else {
                continue;
            };
            if letters.contains_key(&key) || root.join(&path).exists() {
                continue;
            }
            let date = crate::audit::git::show(root, &commit, &path)
                .ok()
                .and_then(|b| date_of(&String::from_utf8_lossy(&b)));
            if let Some(date) = date {
                letters.insert(key, Issued { date, file: None });
            }
        }
        IssuedLetters { letters }
    }

    pub(crate) fn get(&self, month: Month, stage: Stage) -> Option<&Issued> {
        self.letters.get(&(month, stage))
    }
}
