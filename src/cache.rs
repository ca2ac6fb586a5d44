//! The month cache: `.levers/cache/<contract>/<YYYY-MM>.json` (git-ignored) keeps each month's
//! [`MonthData`], so history costs no re-reading of earlier months.
//!
//! An entry is valid only for the same levers version, the same contract.toml and levers.toml
//! bytes, and the same input files with the same SHA-256. Hashing a large file on every run
//! would cost more than the cache saves, so, like git's index, an entry also records each file's
//! size and modification time: a file whose size and time are unchanged is taken to have its
//! recorded hash, and any other file is hashed again. A cache that cannot be read or written is
//! simply bypassed.

use crate::audit::{sha256_bytes, sha256_file, write_atomic};
use crate::calendar::Month;
use crate::contract::Contract;
use crate::diag::Problems;
use crate::engine::{measure_month, MonthData};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped whenever the cached data's meaning changes.
const FORMAT: u32 = 2;

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
    pub sha256: String,
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

fn stamp(root: &Path, file: &Path, known: Option<&InputStamp>) -> Option<InputStamp> {
    let meta = std::fs::metadata(root.join(file)).ok()?;
    let modified_ns = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let size = meta.len();
    if let Some(k) = known {
        if k.size == size && k.modified_ns == modified_ns {
            return Some(k.clone());
        }
    }
    let sha256 = sha256_file(&root.join(file)).ok()?;
    Some(InputStamp {
        path: file.to_path_buf(),
        size,
        modified_ns,
        sha256,
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
                        stamp(root, f, Some(known))
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(current) = current {
                if current
                    .iter()
                    .zip(&entry.inputs)
                    .all(|(a, b)| a.sha256 == b.sha256)
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
    // Hash the inputs on the other core while the pass reads them.
    let (data, stamps) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            files
                .iter()
                .map(|f| stamp(root, f, None))
                .collect::<Option<Vec<InputStamp>>>()
        });
        let data = measure_month(root, contract, month);
        (data, hashing.join().ok().flatten())
    });
    let data = data?;
    if let Some(stamps) = stamps.filter(|s| s.iter().map(|i| &i.path).eq(data.inputs.iter())) {
        store(root, &path, &key, stamps, &data);
    }
    Ok(data)
}

fn store(root: &Path, path: &Path, key: &str, inputs: Vec<InputStamp>, data: &MonthData) {
    let entry = Entry {
        key: key.to_string(),
        inputs,
        data: data.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec(&entry) {
        let _ = ensure_private_dir(root);
        // The cache is an optimisation: failing to write it changes no result.
        let _ = write_atomic(path, &bytes);
    }
}
