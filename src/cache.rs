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
//! The content hash is 128 bits of a fast non-cryptographic hash ([`content_hash`]), not
//! SHA-256: it only has to notice a file that changed by accident, and SHA-256 of a 750 MB
//! month took a tenth of the time of reading it, on a third thread competing for two cores.
//! Provenance (`crate::audit`) still records SHA-256.

use crate::audit::{sha256_bytes, write_atomic};
use crate::calendar::Month;
use crate::contract::Contract;
use crate::diag::Problems;
use crate::engine::{measure_month, MonthData};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped whenever the cached data's meaning changes.
const FORMAT: u32 = 3;

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
    let content = content_hash(&root.join(file)).ok()?;
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

/// A 128-bit hash of a file's bytes, in hex: two 64-bit lanes, each folding eight bytes at a
/// time through a 128-bit multiply, with different constants, then the length and a final mix.
/// Fixed constants: the same bytes give the same hash on every run and machine.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const K: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0xc2b2_ae3d_27d4_eb4f];
    let fold = |a: u64, b: u64| {
        let m = u128::from(a) * u128::from(b);
        (m as u64) ^ ((m >> 64) as u64)
    };
    let mut lanes = [0x243f_6a88_85a3_08d3u64, 0x1319_8a2e_0370_7344];
    let mut file = std::fs::File::open(path)?;
    // A multiple of eight, so that only the last read leaves a part word.
    let mut block = vec![0u8; 1 << 20];
    let mut length = 0u64;
    loop {
        let mut filled = 0;
        while filled < block.len() {
            match file.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        length += filled as u64;
        let mut words = block[..filled].chunks_exact(8);
        for word in &mut words {
            let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            lanes[0] = fold(lanes[0] ^ w, K[0]);
            lanes[1] = fold(lanes[1] ^ w.rotate_left(29), K[1]);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            let w = u64::from_le_bytes(last);
            lanes[0] = fold(lanes[0] ^ w, K[0]);
            lanes[1] = fold(lanes[1] ^ w.rotate_left(29), K[1]);
        }
        if filled < block.len() {
            break;
        }
    }
    let finish = |h: u64, k: u64| {
        let h = fold(h ^ length, k);
        fold(h ^ (h >> 31), k) ^ (h >> 29)
    };
    Ok(format!(
        "{:016x}{:016x}",
        finish(lanes[0], K[0]),
        finish(lanes[1], K[1])
    ))
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
            content_hash(&path).unwrap()
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
