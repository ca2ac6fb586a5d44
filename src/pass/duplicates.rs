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
pub(crate) const MAX_OFFSET: u64 = OFFSET_MASK - 1;
const PARTITION_BITS: u32 = 8;
const PARTITIONS: usize = 1 << PARTITION_BITS;

use crate::error::Invalid;

/// A hasher for rows' keys, seeded at random once a process (every reader of a file must
/// hash alike), so that no file can be built to crowd one partition. The results never depend
/// on the seed.
pub(crate) fn key_hasher() -> crate::pass::hash::PartsHasher {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = SEED.get_or_init(|| {
        std::collections::hash_map::RandomState::new().hash_one(0x6c65_7665_7273u64)
    });
    crate::pass::hash::PartsHasher::new(*seed)
}

/// One reader's rows, by key hash: each partition's entries in the order the rows were read.
///
/// The partitions are segments of one buffer sized from the rows expected (a partition that
/// outgrows its segment goes on in a spill list of its own). On Linux the buffer is backed by
/// huge pages where the system allows: filling 80 MB of fresh memory in 4 KiB pages cost twenty
/// thousand page faults, each an exit to the hypervisor on a virtual machine.
#[derive(Debug)]
pub(crate) struct KeyLog {
    entries: Vec<u64>,
    segment: usize,
    lens: Vec<usize>,
    spill: Vec<Vec<u64>>,
}

impl KeyLog {
    /// A log with room for about `rows` rows.
    pub(crate) fn with_rows(rows: usize) -> KeyLog {
        let segment = rows / PARTITIONS + rows / PARTITIONS / 16 + 16;
        // Zeroed memory from the system is not touched until written.
        let mut entries = vec![0u64; segment * PARTITIONS];
        crate::pass::advise_huge_pages(&mut entries);
        KeyLog {
            entries,
            segment,
            lens: vec![0; PARTITIONS],
            spill: vec![Vec::new(); PARTITIONS],
        }
    }

    /// Logs the row at byte `offset` (at most [`MAX_OFFSET`]) whose key hashes to `hash`.
    #[inline]
    pub(crate) fn push(&mut self, hash: u64, offset: u64) {
        debug_assert!(offset <= MAX_OFFSET);
        let partition = (hash >> (64 - PARTITION_BITS)) as usize;
        let entry = ((hash & TAG_MASK) << OFFSET_BITS) | (offset + 1);
        let len = self.lens[partition];
        if len < self.segment {
            self.entries[partition * self.segment + len] = entry;
            self.lens[partition] = len + 1;
        } else {
            self.spill[partition].push(entry);
        }
    }

    /// A partition's entries, in the order they were logged.
    fn partition(&self, partition: usize) -> impl Iterator<Item = &u64> + Clone {
        let start = partition * self.segment;
        self.entries[start..start + self.lens[partition]]
            .iter()
            .chain(&self.spill[partition])
    }

    fn partition_len(&self, partition: usize) -> usize {
        self.lens[partition] + self.spill[partition].len()
    }
}

/// Every row whose key an earlier row has, by byte offset (sorted), each with what `compare`
/// told of it. `logs` are the readers' logs in file order: every row of `logs[0]` comes before
/// every row of `logs[1]`.
///
/// `compare` makes one key comparer per thread: `same_key(earlier, later)` says whether the rows
/// at those offsets have exactly the same key (`Some`, with whatever the caller wants kept of the
/// later row, read meanwhile) or not (`None`). Its first error stops the search and is returned.
pub(crate) fn repeats<C, T>(
    logs: &[KeyLog],
    threads: usize,
    compare: impl Fn() -> Result<C, Invalid> + Sync,
) -> Result<Vec<(u64, T)>, Invalid>
where
    C: FnMut(u64, u64) -> Result<Option<T>, Invalid>,
    T: Send,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || -> Result<Vec<(u64, T)>, Invalid> {
        let mut same_key = compare()?;
        let mut table = Vec::new();
        let mut found = Vec::new();
        loop {
            let partition = next.fetch_add(1, Ordering::Relaxed);
            if partition >= PARTITIONS || failed.load(Ordering::Relaxed) {
                return Ok(found);
            }
            let entries: usize = logs.iter().map(|log| log.partition_len(partition)).sum();
            let logged = logs.iter().flat_map(|log| log.partition(partition));
            if let Err(e) =
                partition_repeats(logged, entries, &mut table, &mut same_key, &mut found)
            {
                failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
    };
    let results: Vec<Result<Vec<(u64, T)>, Invalid>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1)).map(|_| scope.spawn(work)).collect();
        let mut results = vec![work()];
        for helper in helpers {
            results.push(helper.join().unwrap_or_else(|_| {
                Err(Invalid::from(
                    "a thread finding duplicates failed".to_string(),
                ))
            }));
        }
        results
    });
    let mut all = Vec::new();
    for result in results {
        all.extend(result?);
    }
    all.sort_unstable_by_key(|(offset, _)| *offset);
    Ok(all)
}

/// One partition's repeats, its entries taken in file order through an open-addressed `table`
/// (reused from partition to partition) with room for twice as many.
fn partition_repeats<'a, T>(
    logged: impl Iterator<Item = &'a u64>,
    entries: usize,
    table: &mut Vec<u64>,
    same_key: &mut impl FnMut(u64, u64) -> Result<Option<T>, Invalid>,
    found: &mut Vec<(u64, T)>,
) -> Result<(), Invalid> {
    if entries < 2 {
        return Ok(());
    }
    let len = (2 * entries).next_power_of_two();
    table.clear();
    table.resize(len, 0);
    for &entry in logged {
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
            if slot >> OFFSET_BITS == tag {
                if let Some(kept) = same_key((slot & OFFSET_MASK) - 1, offset)? {
                    found.push((offset, kept));
                    break;
                }
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
        let same = |a: u64, b: u64| -> Result<Option<u32>, Invalid> {
            assert!(a < b, "the earlier row is always the one found");
            Ok((keys[a as usize] == keys[b as usize]).then_some(keys[b as usize]))
        };
        let found = repeats(&[first, second], threads, || Ok(same)).expect("no read fails");
        // What the comparison kept of each repeat comes back with it.
        for (row, key) in &found {
            assert_eq!(keys[*row as usize], *key);
        }
        found.into_iter().map(|(row, _)| row).collect()
    }

    fn expected(keys: &[u32]) -> Vec<u64> {
        let mut seen = HashSet::new();
        (0..keys.len() as u64)
            .filter(|&row| !seen.insert(keys[row as usize]))
            .collect()
    }

    fn spread(key: u32) -> u64 {
        crate::pass::hash::hash_bytes(&key.to_le_bytes(), 9)
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
            Ok(|_, _| -> Result<Option<()>, Invalid> { Err("cannot read".into()) })
        });
        assert_eq!(result, Err("cannot read".into()));
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
