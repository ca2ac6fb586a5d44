//! A fast non-cryptographic hash of bytes, for the tables the monthly pass fills once a row:
//! the duplicate index and the groups of a `by` KPI.
//!
//! It only has to spread keys evenly. Its keys come from the provider's own data, and a
//! provider crafting colliding keys would only slow its own month's run.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A 64-bit hash of `bytes`: eight bytes at a time through a folded 128-bit multiply, then a
/// final mix so that every bit of the result depends on every input bit.
pub fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
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
pub struct PartsHasher(u64);

impl PartsHasher {
    pub fn new(seed: u64) -> PartsHasher {
        PartsHasher(seed)
    }

    #[inline(always)]
    pub fn word(&mut self, word: u64) {
        self.0 = fold(self.0 ^ word, K);
    }

    #[inline]
    pub fn bytes(&mut self, bytes: &[u8]) {
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
    pub fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// [`hash_bytes`] for a `HashMap` keyed by text.
#[derive(Debug, Clone, Copy, Default)]
pub struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

#[derive(Debug)]
pub struct FastHasher(u64);

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
