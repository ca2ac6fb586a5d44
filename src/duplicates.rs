//! Finding the rows of a `duplicate_of` rule that repeat an earlier row's key, exactly, in two
//! steps that each stay within the processor's caches.
//!
//! A row's key is never stored. While the file streams past, each reader of it appends one
//! 64-bit entry per row to a [`KeyLog`]: 24 bits of the key's hash and the row's byte offset,
//! into one of 256 partitions picked by another 8 bits of the hash. Appends are sequential, so
//! the pass never waits on memory for them. Once every reader is done, [`repeats`] takes the
//! partitions one at a time (on every core), and walks each partition's entries in file order
//! (the first reader's, then the next's) through a table sized to that partition alone, a few
//! hundred kilobytes for ten million rows. The first row of a key finds its slot empty; a later
//! row with the same hash bits finds the earlier one, and the two rows are read again from the
//! file and their keys compared, so a hash collision can cost a read but never a wrong
//! challenge. Rows arrive in file order, so the row a repeat finds is always the earliest.
//!
//! An earlier design probed one shared table of 130 MB for every row as it was read; on this
//! kind of machine nearly every probe missed the caches and the address translation buffers.

/// Bits of an entry holding the row's byte offset (plus one, so that no entry is zero).
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
/// Bits of an entry holding the key's hash.
const TAG_BITS: u32 = 64 - OFFSET_BITS;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
/// The largest byte offset an entry can hold: files up to a terabyte.
pub const MAX_OFFSET: u64 = OFFSET_MASK - 1;
const PARTITION_BITS: u32 = 8;
const PARTITIONS: usize = 1 << PARTITION_BITS;

/// A hasher for rows' keys, seeded at random once a process (every reader of a file must
/// hash alike), so that no file can be built to crowd one partition. The results never depend
/// on the seed.
pub fn key_hasher() -> crate::fast_hash::PartsHasher {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = SEED.get_or_init(|| {
        std::collections::hash_map::RandomState::new().hash_one(0x6c65_7665_7273u64)
    });
    crate::fast_hash::PartsHasher::new(*seed)
}

/// One reader's rows, by key hash: each partition's entries in the order the rows were read.
#[derive(Debug)]
pub struct KeyLog {
    partitions: Vec<Vec<u64>>,
}

impl KeyLog {
    /// A log with room for about `rows` rows, so that it rarely grows while it fills.
    pub fn with_rows(rows: usize) -> KeyLog {
        let each = rows / PARTITIONS + rows / PARTITIONS / 8 + 16;
        KeyLog {
            partitions: (0..PARTITIONS).map(|_| Vec::with_capacity(each)).collect(),
        }
    }

    /// Logs the row at byte `offset` (at most [`MAX_OFFSET`]) whose key hashes to `hash`.
    #[inline]
    pub fn push(&mut self, hash: u64, offset: u64) {
        debug_assert!(offset <= MAX_OFFSET);
        let partition = (hash >> (64 - PARTITION_BITS)) as usize;
        let tag = hash & TAG_MASK;
        self.partitions[partition].push((tag << OFFSET_BITS) | (offset + 1));
    }

    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(Vec::is_empty)
    }
}

/// The byte offsets, sorted, of every row whose key an earlier row has. `logs` are the readers'
/// logs in file order: every row of `logs[0]` comes before every row of `logs[1]`.
///
/// `compare` makes one key comparer per thread: `same_key(earlier, later)` says whether the rows
/// at those offsets have exactly the same key. Its first error stops the search and is returned.
pub fn repeats<C>(
    logs: &[KeyLog],
    threads: usize,
    compare: impl Fn() -> Result<C, String> + Sync,
) -> Result<Vec<u64>, String>
where
    C: FnMut(u64, u64) -> Result<bool, String>,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || -> Result<Vec<u64>, String> {
        let mut same_key = compare()?;
        let mut table = Vec::new();
        let mut found = Vec::new();
        loop {
            let partition = next.fetch_add(1, Ordering::Relaxed);
            if partition >= PARTITIONS || failed.load(Ordering::Relaxed) {
                return Ok(found);
            }
            let entries = logs.iter().map(|log| &log.partitions[partition]);
            if let Err(e) = partition_repeats(entries, &mut table, &mut same_key, &mut found) {
                failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
    };
    let results: Vec<Result<Vec<u64>, String>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1)).map(|_| scope.spawn(work)).collect();
        let mut results = vec![work()];
        for helper in helpers {
            results.push(
                helper
                    .join()
                    .unwrap_or_else(|_| Err("a thread finding duplicates failed".to_string())),
            );
        }
        results
    });
    let mut all = Vec::new();
    for result in results {
        all.extend(result?);
    }
    all.sort_unstable();
    Ok(all)
}

/// One partition's repeats, its entries taken in file order through an open-addressed `table`
/// (reused from partition to partition) with room for twice as many.
fn partition_repeats<'a>(
    logs: impl Iterator<Item = &'a Vec<u64>> + Clone,
    table: &mut Vec<u64>,
    same_key: &mut impl FnMut(u64, u64) -> Result<bool, String>,
    found: &mut Vec<u64>,
) -> Result<(), String> {
    let entries: usize = logs.clone().map(Vec::len).sum();
    if entries < 2 {
        return Ok(());
    }
    let len = (2 * entries).next_power_of_two();
    table.clear();
    table.resize(len, 0);
    for &entry in logs.flatten() {
        let tag = entry >> OFFSET_BITS;
        let offset = (entry & OFFSET_MASK) - 1;
        // The slot a key's probe starts at depends only on its hash bits, spread over the table.
        let mut i = ((u128::from(tag) * len as u128) >> TAG_BITS) as usize;
        loop {
            let slot = table[i];
            if slot == 0 {
                table[i] = entry;
                break;
            }
            if slot >> OFFSET_BITS == tag && same_key((slot & OFFSET_MASK) - 1, offset)? {
                found.push(offset);
                break;
            }
            i = (i + 1) & (len - 1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashSet};

    /// Rows of `keys` (the row's offset is its index), hashed by `hash`, logged by two readers
    /// split at `split`; the repeats found, comparing keys by index as a re-read would.
    fn found(keys: &[u32], split: usize, hash: impl Fn(u32) -> u64, threads: usize) -> Vec<u64> {
        let mut first = KeyLog::with_rows(split);
        let mut second = KeyLog::with_rows(keys.len() - split);
        for (row, &key) in keys.iter().enumerate() {
            let log = if row < split { &mut first } else { &mut second };
            log.push(hash(key), row as u64);
        }
        let same = |a: u64, b: u64| -> Result<bool, String> {
            assert!(a < b, "the earlier row is always the one found");
            Ok(keys[a as usize] == keys[b as usize])
        };
        repeats(&[first, second], threads, || Ok(same)).expect("no read fails")
    }

    fn expected(keys: &[u32]) -> Vec<u64> {
        let mut seen = HashSet::new();
        (0..keys.len() as u64)
            .filter(|&row| !seen.insert(keys[row as usize]))
            .collect()
    }

    fn spread(key: u32) -> u64 {
        crate::fast_hash::hash_bytes(&key.to_le_bytes(), 9)
    }

    #[test]
    fn later_rows_of_a_key_are_repeats() {
        let keys = [5, 7, 5, 9, 7, 7, 1];
        assert_eq!(found(&keys, 3, spread, 2), [2, 4, 5]);
        assert_eq!(found(&keys, 0, spread, 1), [2, 4, 5]);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_the_key() {
        // Every key hashes alike: each row's hash bits meet every earlier key's.
        let keys = [1, 2, 3, 2, 1, 4];
        assert_eq!(found(&keys, 2, |_| 42, 2), [3, 4]);
    }

    #[test]
    fn a_failed_comparison_is_the_answer() {
        let mut log = KeyLog::with_rows(2);
        log.push(1, 0);
        log.push(1, 1);
        let result = repeats(&[log], 2, || {
            Ok(|_, _| -> Result<bool, String> { Err("cannot read".to_string()) })
        });
        assert_eq!(result, Err("cannot read".to_string()));
    }

    proptest! {
        /// Whatever the keys, hashes (well spread, or crowded into a few values) and the point
        /// where the second reader starts, the repeats are exactly the rows whose key came before.
        #[test]
        fn the_repeats_are_exactly_the_rows_whose_key_came_before(
            keys in proptest::collection::vec(0u32..40, 0..300),
            split in 0usize..300,
            crowded in proptest::bool::ANY,
            threads in 1usize..4,
        ) {
            let split = split.min(keys.len());
            let want = expected(&keys);
            let got = if crowded {
                found(&keys, split, |k| u64::from(k % 3) << 60 | u64::from(k % 2), threads)
            } else {
                found(&keys, split, spread, threads)
            };
            prop_assert_eq!(&got, &want);
            let distinct: BTreeSet<u64> = got.iter().copied().collect();
            prop_assert_eq!(distinct.len(), got.len());
        }
    }
}
