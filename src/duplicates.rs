//! The index behind `duplicate_of` rules: which rows repeat an earlier row's key, exactly, in
//! one pass read by both cores at once.
//!
//! A row's key is never stored. The index is one open-addressed table of 64-bit entries shared
//! by the threads reading the file; an entry holds 24 bits of the key's hash and the byte offset
//! of the earliest row seen with that key. When a row's hash meets an entry with the same bits,
//! the caller reads the entry's row again from the file and compares the two keys exactly, so a
//! hash collision can cost a read but never a wrong challenge. Entries only ever change from
//! empty to a key, or to the same key at an earlier offset, so a compare-and-swap per slot keeps
//! the table right whatever order the threads meet the rows in: when all rows are in, each key's
//! entry holds its first row in file order, and every other row of the key has been reported
//! once, either as it arrived ([`Outcome::Repeat`]) or when an earlier row took its place
//! ([`Outcome::Displaced`]).
//!
//! Memory is eight bytes a slot, with slots for about 1.6 times the rows expected: 130 MB for
//! ten million rows, in huge pages where the system gives them. A table is never resized; if the rows outrun the estimate it says so
//! ([`DuplicateIndex::overflowed`]) and the caller reads the file again with a table sized from
//! the rows actually counted.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
const TAG_MASK: u64 = (1 << (64 - OFFSET_BITS)) - 1;
/// The largest byte offset an entry can hold: files up to a terabyte.
pub const MAX_OFFSET: u64 = OFFSET_MASK - 1;
/// New keys are counted into the shared total in batches, so the threads rarely touch it.
const COUNT_BATCH: usize = 1024;

/// What inserting a row found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The first row seen with this key (so far).
    First,
    /// An earlier row has this key: this row is a repeat.
    Repeat,
    /// This row is earlier than the row that held the key, which is now a repeat: its offset.
    Displaced(u64),
    /// The table is full: the caller must read the file again with a larger table.
    Full,
}

pub struct DuplicateIndex {
    slots: Slots,
    seed: u64,
    /// Slots claimed, counted in batches of [`COUNT_BATCH`] by each inserting thread.
    claimed: AtomicUsize,
    limit: usize,
    full: AtomicBool,
}

/// One thread's handle on the index: counts the slots it claims before adding them to the
/// shared total.
#[derive(Default)]
pub struct Inserter {
    claimed: usize,
}

impl DuplicateIndex {
    /// A table for about `rows` rows.
    pub fn with_rows(rows: usize) -> DuplicateIndex {
        let len = (rows.saturating_mul(8) / 5).max(1 << 12);
        DuplicateIndex {
            slots: Slots::zeroed(len),
            seed: std::collections::hash_map::RandomState::new().hash_one(0x6c65_7665_7273u64),
            claimed: AtomicUsize::new(0),
            // Stops at 85% full, less a batch per thread not yet counted: probes stay short,
            // and there is always an empty slot to end one.
            limit: (len / 20 * 17).saturating_sub(2 * COUNT_BATCH),
            full: AtomicBool::new(false),
        }
    }

    /// True when rows outran the table and its results must not be used.
    pub fn overflowed(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// The hash of an encoded key: a per-process random seed, so that no file can be built to
    /// make the probes long (the results never depend on it).
    pub fn hash(&self, key: &[u8]) -> u64 {
        crate::fast_hash::hash_bytes(key, self.seed)
    }

    /// A hasher for a key fed part by part, seeded as [`DuplicateIndex::hash`].
    pub fn hasher(&self) -> crate::fast_hash::PartsHasher {
        crate::fast_hash::PartsHasher::new(self.seed)
    }

    /// Asks the processor to fetch the slot where a key with `hash` would start its probe, so
    /// that the table's one cache miss a row overlaps other work. Nothing else changes.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let slot = &self.slots[self.home(hash)];
            // SAFETY: SSE, which `_mm_prefetch` needs, is part of every x86_64 processor; a
            // prefetch is only a hint, reads nothing and cannot fault, and the address is that
            // of a live slot.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((slot as *const AtomicU64).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hash;
    }

    /// The slot where a key's probe starts. Multiply-shift maps the hash onto any table length
    /// (no power of two needed).
    #[inline]
    fn home(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }

    /// Records the row at `offset` with key hash `hash`. `same_key(other)` says whether the row at
    /// byte offset `other` has exactly this row's key.
    pub fn insert(
        &self,
        inserter: &mut Inserter,
        hash: u64,
        offset: u64,
        same_key: &mut dyn FnMut(u64) -> Result<bool, String>,
    ) -> Result<Outcome, String> {
        debug_assert!(offset <= MAX_OFFSET);
        if self.overflowed() {
            return Ok(Outcome::Full);
        }
        let tag = hash & TAG_MASK;
        let entry = (tag << OFFSET_BITS) | (offset + 1);
        let len = self.slots.len();
        let mut i = self.home(hash);
        loop {
            let slot = &self.slots[i];
            // Relaxed is enough: an entry carries everything it means; no other memory is
            // published through it.
            let mut current = slot.load(Ordering::Relaxed);
            loop {
                if current == 0 {
                    match slot.compare_exchange(0, entry, Ordering::Relaxed, Ordering::Relaxed) {
                        Ok(_) => {
                            self.count_claim(inserter);
                            return Ok(Outcome::First);
                        }
                        Err(now) => {
                            current = now;
                            continue;
                        }
                    }
                }
                if current >> OFFSET_BITS != tag {
                    break;
                }
                let other = (current & OFFSET_MASK) - 1;
                if other == offset || !same_key(other)? {
                    break;
                }
                if other < offset {
                    return Ok(Outcome::Repeat);
                }
                match slot.compare_exchange(current, entry, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return Ok(Outcome::Displaced(other)),
                    // Another thread put an earlier row of the same key here: look again.
                    Err(now) => current = now,
                }
            }
            i += 1;
            if i == len {
                i = 0;
            }
        }
    }

    fn count_claim(&self, inserter: &mut Inserter) {
        inserter.claimed += 1;
        if inserter.claimed == COUNT_BATCH {
            inserter.claimed = 0;
            let total = self.claimed.fetch_add(COUNT_BATCH, Ordering::Relaxed) + COUNT_BATCH;
            if total >= self.limit {
                self.full.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// The table's memory. On Linux it is mapped directly and the kernel asked to back it with huge
/// pages: a table of a hundred megabytes in 4 KiB pages needs a page walk for nearly every
/// probe, since each row's slot is anywhere in it. Elsewhere, or if the mapping fails, it is an
/// ordinary allocation.
enum Slots {
    Boxed(Box<[AtomicU64]>),
    #[cfg(target_os = "linux")]
    Mapped {
        start: std::ptr::NonNull<AtomicU64>,
        len: usize,
    },
}

// SAFETY: the mapping is owned by the `Slots` value alone and only reached through `&[AtomicU64]`,
// which is `Send` and `Sync`.
unsafe impl Send for Slots {}
// SAFETY: as above.
unsafe impl Sync for Slots {}

impl Slots {
    fn zeroed(len: usize) -> Slots {
        #[cfg(target_os = "linux")]
        if let Some(start) = Slots::map(len) {
            return Slots::Mapped { start, len };
        }
        Slots::Boxed((0..len).map(|_| AtomicU64::new(0)).collect())
    }

    #[cfg(target_os = "linux")]
    fn map(len: usize) -> Option<std::ptr::NonNull<AtomicU64>> {
        let bytes = len.checked_mul(std::mem::size_of::<AtomicU64>())?;
        // SAFETY: a new anonymous private mapping at an address of the kernel's choosing: it
        // aliases no memory of the program.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: the range is exactly the mapping just made. The advice is a hint: if the
        // kernel has no huge pages to give, the table works the same in small ones.
        unsafe { libc::madvise(start, bytes, libc::MADV_HUGEPAGE) };
        std::ptr::NonNull::new(start.cast())
    }
}

impl std::ops::Deref for Slots {
    type Target = [AtomicU64];

    fn deref(&self) -> &[AtomicU64] {
        match self {
            Slots::Boxed(slots) => slots,
            // SAFETY: the mapping holds `len` slots, is page-aligned, lives until `drop`, and is
            // zero-filled by the kernel: all zero bits are a valid `AtomicU64` (an empty slot).
            #[cfg(target_os = "linux")]
            Slots::Mapped { start, len } => unsafe {
                std::slice::from_raw_parts(start.as_ptr(), *len)
            },
        }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Slots::Mapped { start, len } = self {
            // SAFETY: unmaps exactly the mapping made in `map`, which nothing uses any more.
            unsafe {
                libc::munmap(
                    start.as_ptr().cast(),
                    *len * std::mem::size_of::<AtomicU64>(),
                )
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Rows of keys, inserted in `order`; the key comparison looks the row up, as a re-read
    /// of the file would. Returns the offsets reported as repeats.
    fn repeats(index: &DuplicateIndex, keys: &[Vec<u8>], order: &[usize]) -> BTreeSet<u64> {
        let mut found = BTreeSet::new();
        let mut inserter = Inserter::default();
        for &row in order {
            let key = &keys[row];
            let mut same = |other: u64| Ok(keys[other as usize] == *key);
            match index
                .insert(&mut inserter, index.hash(key), row as u64, &mut same)
                .unwrap()
            {
                Outcome::First => {}
                Outcome::Repeat => assert!(found.insert(row as u64)),
                Outcome::Displaced(other) => assert!(found.insert(other)),
                Outcome::Full => panic!("sized for the rows"),
            }
        }
        found
    }

    fn expected(keys: &[Vec<u8>]) -> BTreeSet<u64> {
        let mut seen = BTreeSet::new();
        (0..keys.len() as u64)
            .filter(|&i| !seen.insert(keys[i as usize].clone()))
            .collect()
    }

    #[test]
    fn later_rows_of_a_key_are_repeats_in_any_order() {
        let keys: Vec<Vec<u8>> = [b"a", b"b", b"a", b"c", b"a", b"b"]
            .iter()
            .map(|k| k.to_vec())
            .collect();
        let want: BTreeSet<u64> = [2, 4, 5].into();
        for order in [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [4, 2, 0, 5, 3, 1]] {
            let index = DuplicateIndex::with_rows(keys.len());
            assert_eq!(repeats(&index, &keys, &order), want, "order {order:?}");
        }
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_the_key() {
        // Every key hashes alike: only the exact comparison separates them.
        let index = DuplicateIndex::with_rows(8);
        let keys = [b"x".to_vec(), b"y".to_vec(), b"x".to_vec(), b"y".to_vec()];
        let mut inserter = Inserter::default();
        let mut outcomes = Vec::new();
        for (row, key) in keys.iter().enumerate() {
            let mut same = |other: u64| Ok(keys[other as usize] == *key);
            outcomes.push(
                index
                    .insert(&mut inserter, 42, row as u64, &mut same)
                    .unwrap(),
            );
        }
        use Outcome::*;
        assert_eq!(outcomes, [First, First, Repeat, Repeat]);
    }

    #[test]
    fn a_table_outrun_by_its_rows_says_so() {
        let index = DuplicateIndex::with_rows(100);
        let mut inserter = Inserter::default();
        let mut full = false;
        for row in 0..20_000u64 {
            let key = row.to_le_bytes();
            let outcome = index
                .insert(&mut inserter, index.hash(&key), row, &mut |_| Ok(false))
                .unwrap();
            full |= outcome == Outcome::Full;
        }
        assert!(full && index.overflowed());
    }

    proptest! {
        /// Two threads inserting the two halves of a file at once find exactly the rows after
        /// the first of each key.
        #[test]
        fn two_threads_find_exactly_the_repeats(
            keys in prop::collection::vec(prop::collection::vec(0u8..4, 1..3), 1..300),
            reverse_second in any::<bool>(),
        ) {
            let index = DuplicateIndex::with_rows(keys.len());
            let middle = keys.len() / 2;
            let first: Vec<usize> = (0..middle).collect();
            let mut second: Vec<usize> = (middle..keys.len()).collect();
            if reverse_second {
                second.reverse();
            }
            let (a, b) = std::thread::scope(|s| {
                let later = s.spawn(|| repeats(&index, &keys, &second));
                (repeats(&index, &keys, &first), later.join().unwrap())
            });
            prop_assert!(a.is_disjoint(&b));
            let found: BTreeSet<u64> = a.union(&b).copied().collect();
            prop_assert_eq!(found, expected(&keys));
        }
    }
}
