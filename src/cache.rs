//! The month cache: `.levers/cache/<contract>/<YYYY-MM>.json` (git-ignored) keeps each month's
//! [`MonthData`], so history costs no re-reading of earlier months.
//!
//! An entry is valid only for the same levers version, the same contract.toml and levers.toml
//! bytes, and the same input files with the same content hash. Hashing a large file on every
//! run would cost more than the cache saves, so, like git's index, an entry also records each
//! file's size and modification time: a file whose size and time are unchanged is taken to have
//! its recorded hash, and any other file is hashed again. A cache that cannot be read or written
//! is simply bypassed.
//!
//! The content hash is 128 bits of a fast non-cryptographic hash
//! ([`file_content_hash`]), not SHA-256: it only has to notice a file that changed by accident.
//! The pass works it out from the bytes it reads, so a month measured for the first time is
//! read once, not twice; SHA-256 of a 750 MB month, on a third thread competing for two cores,
//! took a tenth of the time of reading it. Provenance (`crate::audit`) still records SHA-256.

use crate::audit::{sha256_bytes, write_atomic};
use crate::calendar::Month;
use crate::contract::Contract;
use crate::diag::Problems;
use crate::engine::{file_content_hash, measure_month, MonthData};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped whenever the cached data's meaning changes.
const FORMAT: u32 = 7;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: String,
    inputs: Vec<InputStamp>,
    data: MonthData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputStamp {
    pub path: PathBuf,
    pub size: u64,
    pub modified_ns: u128,
    /// [`content_hash`] of the file, in hex.
    pub content: String,
}

pub fn cache_dir(root: &Path) -> PathBuf {
    root.join(".levers").join("cache")
}

/// Creates `.levers/` (the cache and the run lock) so that git ignores it: the folder holds its
/// own `.gitignore` of `*`, and the workspace's own `.gitignore` is never touched.
pub fn ensure_private_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(".levers");
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        write_atomic(&ignore, b"# levers' cache and lock: never committed\n*\n")?;
    }
    Ok(dir)
}

fn entry_path(root: &Path, contract: &Contract, month: Month) -> PathBuf {
    cache_dir(root)
        .join(&contract.id)
        .join(format!("{month}.json"))
}

/// What the month's results depend on besides its data files.
fn definition_key(root: &Path, contract: &Contract) -> String {
    let settings = std::fs::read(root.join(crate::workspace::SETTINGS_FILE)).unwrap_or_default();
    let mut bytes = format!("levers {} format {FORMAT}\n", env!("CARGO_PKG_VERSION")).into_bytes();
    bytes.extend_from_slice(&sha256_bytes(contract.source.as_bytes()).into_bytes());
    bytes.extend_from_slice(&sha256_bytes(&settings).into_bytes());
    sha256_bytes(&bytes)
}

fn size_and_time(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified_ns = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), modified_ns))
}

fn stamp(root: &Path, file: &Path, known: &InputStamp) -> Option<InputStamp> {
    let (size, modified_ns) = size_and_time(&root.join(file))?;
    if known.size == size && known.modified_ns == modified_ns {
        return Some(known.clone());
    }
    let content = file_content_hash(&root.join(file)).ok()?;
    Some(InputStamp {
        path: file.to_path_buf(),
        size,
        modified_ns,
        content,
    })
}

/// The month's data, from the cache when valid, else measured and cached.
pub fn month(root: &Path, contract: &Contract, month: Month) -> Result<MonthData, Problems> {
    let path = entry_path(root, contract, month);
    let key = definition_key(root, contract);
    let files = crate::engine::month_files(root, contract, month);
    let cached: Option<Entry> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(entry) = cached {
        if entry.key == key && entry.inputs.len() == files.len() {
            let current: Option<Vec<InputStamp>> = files
                .iter()
                .zip(&entry.inputs)
                .map(|(f, known)| {
                    if known.path == *f {
                        stamp(root, f, known)
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(current) = current {
                if current
                    .iter()
                    .zip(&entry.inputs)
                    .all(|(a, b)| a.content == b.content)
                {
                    if current != entry.inputs {
                        // Same content, new times (a checkout): refresh the stamps.
                        store(root, &path, &key, current, &entry.data);
                    }
                    return Ok(entry.data);
                }
            }
        }
    }
    // The pass hashes the inputs as it reads them. Their sizes and times are taken before and
    // after: an input that changed meanwhile is not cached.
    let times = |files: &[PathBuf]| -> Vec<Option<(u64, u128)>> {
        files.iter().map(|f| size_and_time(&root.join(f))).collect()
    };
    let before = times(&files);
    let (data, contents) = measure_month(root, contract, month)?;
    if data.inputs == files && times(&files) == before {
        let stamps: Option<Vec<InputStamp>> = files
            .iter()
            .zip(before)
            .zip(contents)
            .map(|((f, time), content)| {
                let (size, modified_ns) = time?;
                Some(InputStamp {
                    path: f.clone(),
                    size,
                    modified_ns,
                    content: content?,
                })
            })
            .collect();
        if let Some(stamps) = stamps {
            store(root, &path, &key, stamps, &data);
        }
    }
    Ok(data)
}

/// An [`Entry`] as written: borrowed, so that a month of a million challenges is not copied to
/// be saved.
#[derive(Serialize)]
struct EntryRef<'a> {
    key: &'a str,
    inputs: &'a [InputStamp],
    data: &'a MonthData,
}

fn store(root: &Path, path: &Path, key: &str, inputs: Vec<InputStamp>, data: &MonthData) {
    let entry = EntryRef {
        key,
        inputs: &inputs,
        data,
    };
    if let Ok(bytes) = serde_json::to_vec(&entry) {
        let _ = ensure_private_dir(root);
        // The cache is an optimisation: failing to write it changes no result.
        let _ = write_atomic(path, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashes_tell_apart_files_that_differ_anywhere() {
        let dir = std::env::temp_dir().join(format!("levers-content-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.csv");
        let hash = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            file_content_hash(&path).unwrap()
        };
        // Long enough to span several reads, with a part word at the end.
        let base: Vec<u8> = (0..(1u32 << 21) + 13).map(|i| (i % 251) as u8).collect();
        let original = hash(&base);
        assert_eq!(original, hash(&base), "the same bytes give the same hash");
        assert_eq!(original.len(), 32);
        let mut seen = std::collections::BTreeSet::from([original]);
        for at in [0, 7, 8, 1 << 20, (1 << 21) + 12] {
            let mut changed = base.clone();
            changed[at] ^= 1;
            assert!(seen.insert(hash(&changed)), "a change at byte {at} shows");
        }
        // A trailing zero byte, and a file cut short, are changes too.
        let mut longer = base.clone();
        longer.push(0);
        assert!(seen.insert(hash(&longer)));
        assert!(seen.insert(hash(&base[..base.len() - 1])));
        assert!(seen.insert(hash(b"")));
        std::fs::remove_dir_all(&dir).ok();
    }
}
