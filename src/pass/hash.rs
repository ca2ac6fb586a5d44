//! A fast non-cryptographic hash of bytes, for the tables the monthly pass fills once a row:
//! duplicate keys and the groups of a `by` KPI.
//!
//! It only has to spread keys evenly. Its keys come from the provider's own data, and a
//! provider crafting colliding keys would only slow its own month's run.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A 64-bit hash of `bytes`: eight bytes at a time through a folded 128-bit multiply, then a
/// final mix so that every bit of the result depends on every input bit.
pub(crate) fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
    let mut h = PartsHasher::new(seed);
    h.bytes(bytes);
    h.finish()
}

#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// The hash of a key made of several parts, fed one at a time with nothing copied: words, and
/// byte strings led by their length (so that `ab`,`c` and `a`,`bc` differ).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartsHasher(u64);

impl PartsHasher {
    pub(crate) fn new(seed: u64) -> PartsHasher {
        PartsHasher(seed)
    }

    #[inline(always)]
    pub(crate) fn word(&mut self, word: u64) {
        self.0 = fold(self.0 ^ word, K);
    }

    #[inline]
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.word((bytes.len() as u64).wrapping_mul(K));
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.word(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        if rest.is_empty() {
            return;
        }
        // The last few bytes as a word with zeros above: in a long string, its last eight
        // bytes shifted down past those already hashed.
        let last = match bytes.len().checked_sub(8) {
            Some(from) => {
                let tail = u64::from_le_bytes(bytes[from..].try_into().expect("eight bytes"));
                tail >> (8 * (8 - rest.len()))
            }
            None => rest
                .iter()
                .rev()
                .fold(0u64, |word, b| (word << 8) | u64::from(*b)),
        };
        self.word(last);
    }

    /// murmur3's finaliser over the folded state.
    #[inline]
    pub(crate) fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A 128-bit hash of a run of a file's bytes, fed in pieces as a reader meets them, by file
/// offset: thirty-two bytes at a time, each eight folded into its own 64-bit lane through a
/// 128-bit multiply with the lane's constant (four lanes, so that four multiplies are in flight
/// at once rather than waiting on each other), then the length and a final mix. Fixed
/// constants: the same bytes give the same hash on every run and machine.
///
/// Bytes fed again (a reader going back over part of what it read) are skipped; a gap leaves
/// the hash unfinished ([`ContentHasher::finish`] then says so).
///
/// It can also carry on a SHA-256 of the file ([`ContentHasher::with_sha256`]) over the same
/// bytes, for the provenance of what is made from the month (§5.3): the pass then reads the
/// month once for its figures, the cache and the audit trail.
#[derive(Debug, Clone)]
pub(crate) struct ContentHasher {
    lanes: [u64; LANES],
    start: u64,
    /// File offset of the next byte to hash.
    next: u64,
    /// Bytes of a block not yet whole.
    part: [u8; BLOCK],
    part_len: usize,
    gap: bool,
    /// The SHA-256 of the file from its first byte, when asked for.
    sha256: Option<Box<sha2::Sha256>>,
}

const LANES: usize = 4;
const BLOCK: usize = 8 * LANES;
const LANE_K: [u64; LANES] = [
    0x9e37_79b9_7f4a_7c15,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x27d4_eb2f_1656_67c5,
];

impl ContentHasher {
    /// A hasher of the bytes from file offset `start`.
    pub(crate) fn starting_at(start: u64) -> ContentHasher {
        ContentHasher {
            lanes: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
            ],
            start,
            next: start,
            part: [0; BLOCK],
            part_len: 0,
            gap: false,
            sha256: None,
        }
    }

    /// The same hasher also carrying on `sha256`, the SHA-256 of the file's bytes before
    /// [`ContentHasher::end`] (a new one when this hasher starts at the file's first byte).
    pub(crate) fn with_sha256(mut self, sha256: sha2::Sha256) -> ContentHasher {
        self.sha256 = Some(Box::new(sha256));
        self
    }

    /// The file's SHA-256, in hex, when this hasher carried one and nothing was missed.
    pub(crate) fn sha256(&self) -> Option<String> {
        use sha2::Digest as _;
        let sha = self.sha256.as_ref().filter(|_| !self.gap)?;
        Some(crate::audit::provenance::hex(
            &sha.as_ref().clone().finalize(),
        ))
    }

    #[inline(always)]
    fn block(&mut self, block: &[u8; BLOCK]) {
        for (lane, (word, k)) in self.lanes.iter_mut().zip(block.chunks_exact(8).zip(LANE_K)) {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            *lane = fold(*lane ^ word, k);
        }
    }

    /// Hashes `bytes`, found at file offset `at`.
    pub(crate) fn feed(&mut self, at: u64, bytes: &[u8]) {
        if at > self.next {
            self.gap = true;
            return;
        }
        let seen = (self.next - at).min(bytes.len() as u64) as usize;
        let mut bytes = &bytes[seen..];
        self.next += bytes.len() as u64;
        if let Some(sha) = self.sha256.as_mut() {
            sha2::Digest::update(sha.as_mut(), bytes);
        }
        if self.part_len > 0 {
            let take = (BLOCK - self.part_len).min(bytes.len());
            self.part[self.part_len..self.part_len + take].copy_from_slice(&bytes[..take]);
            self.part_len += take;
            bytes = &bytes[take..];
            if self.part_len < BLOCK {
                return;
            }
            let part = self.part;
            self.block(&part);
            self.part_len = 0;
        }
        let mut blocks = bytes.chunks_exact(BLOCK);
        for block in &mut blocks {
            self.block(block.try_into().expect("a whole block"));
        }
        let rest = blocks.remainder();
        self.part[..rest.len()].copy_from_slice(rest);
        self.part_len = rest.len();
    }

    /// The offset just past the last byte hashed.
    pub(crate) fn end(&self) -> u64 {
        self.next
    }

    /// The hash of the bytes from the start to [`ContentHasher::end`]; `None` if a piece was
    /// missing.
    pub(crate) fn finish(mut self) -> Option<[u64; 2]> {
        if self.gap {
            return None;
        }
        if self.part_len > 0 {
            let mut last = [0u8; BLOCK];
            last[..self.part_len].copy_from_slice(&self.part[..self.part_len]);
            self.block(&last);
        }
        let length = self.next - self.start;
        // Four lanes into two: each of the first two takes in the length, then a lane of the
        // second pair, then a final mix.
        let finish = |i: usize| {
            let h = fold(self.lanes[i] ^ length, LANE_K[i]);
            let h = fold(h ^ self.lanes[i + 2], LANE_K[i + 2]);
            fold(h ^ (h >> 31), LANE_K[i]) ^ (h >> 29)
        };
        Some([finish(0), finish(1)])
    }
}

/// One hash, in hex, of a file's consecutive runs hashed apart (the runs its readers read).
pub(crate) fn combine_runs(runs: &[[u64; 2]]) -> String {
    let mut lanes = [runs.len() as u64, 0];
    for run in runs {
        lanes[0] = fold(lanes[0] ^ run[0], LANE_K[0]);
        lanes[1] = fold(lanes[1] ^ run[1], LANE_K[1]);
    }
    format!("{:016x}{:016x}", lanes[0], lanes[1])
}

/// [`hash_bytes`] for a `HashMap` keyed by text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

#[derive(Debug)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes, self.0);
    }

    /// The terminator `str` writes after its bytes: mixed in without a second full hash.
    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_that_differ_hash_apart_and_equal_ones_alike() {
        let hash = |s: &str| FastHash.hash_one(s);
        assert_eq!(hash("110"), hash("110"));
        let distinct: std::collections::BTreeSet<u64> =
            (0..10_000).map(|i| hash(&i.to_string())).collect();
        assert_eq!(distinct.len(), 10_000);
        // A key and the same key run into the next one are told apart.
        assert_ne!(hash_bytes(b"ab", 0), hash_bytes(b"ab\0", 0));
        let parts = |a: &[u8], b: &[u8]| {
            let mut h = PartsHasher::new(7);
            h.bytes(a);
            h.bytes(b);
            h.finish()
        };
        assert_ne!(parts(b"ab", b"c"), parts(b"a", b"bc"));
        assert_eq!(parts(b"ab", b"c"), parts(b"ab", b"c"));
    }

    proptest::proptest! {
        /// However a run is cut into pieces, and whatever is fed twice, its hash is the same;
        /// a missing piece gives none.
        #[test]
        fn a_run_hashes_alike_however_it_is_fed(
            bytes in proptest::collection::vec(0u8.., 0..100),
            cuts in proptest::collection::vec(0usize..100, 0..6),
            back in 0usize..10,
        ) {
            let whole = {
                let mut h = ContentHasher::starting_at(5);
                h.feed(5, &bytes);
                h.finish()
            };
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.push(0);
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut h = ContentHasher::starting_at(5);
            for pair in cuts.windows(2) {
                // Each piece is fed starting a little before where the last one ended.
                let from = pair[0].saturating_sub(back);
                h.feed(5 + from as u64, &bytes[from..pair[1]]);
            }
            proptest::prop_assert_eq!(h.end(), 5 + bytes.len() as u64);
            proptest::prop_assert_eq!(h.finish(), whole);
            if bytes.len() > 2 {
                let mut gap = ContentHasher::starting_at(0);
                gap.feed(0, &bytes[..1]);
                gap.feed(2, &bytes[2..]);
                proptest::prop_assert_eq!(gap.finish(), None);
            }
        }


        /// The tail of a long string, read as its last eight bytes shifted, hashes as the tail
        /// copied into a zeroed word would.
        #[test]
        fn a_long_tail_hashes_as_a_short_one(bytes in proptest::collection::vec(0u8.., 0..40)) {
            let mut expected = PartsHasher::new(3);
            expected.word((bytes.len() as u64).wrapping_mul(K));
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                expected.word(u64::from_le_bytes(word));
            }
            proptest::prop_assert_eq!(hash_bytes(&bytes, 3), expected.finish());
        }
    }
}
