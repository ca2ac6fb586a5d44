//! Where each part of a contract item was written, so that a problem found once the whole file
//! is read (a KPI naming a dataset that does not exist, a step owned by an unknown contact)
//! points at the key that is wrong rather than at its table's header.

use std::ops::Range;

/// The byte spans of a TOML table and of the values of the keys read from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    table: Range<usize>,
    keys: Vec<(&'static str, Range<usize>)>,
}

impl Spans {
    /// The spans of a table with no keys recorded yet.
    pub fn new(table: Range<usize>) -> Self {
        Spans {
            table,
            keys: Vec::new(),
        }
    }

    /// Records where `key`'s value was written (the first record of a key stands).
    pub fn record(&mut self, key: &'static str, span: Range<usize>) {
        if !self.keys.iter().any(|(k, _)| *k == key) {
            self.keys.push((key, span));
        }
    }

    /// The table's header.
    pub fn table(&self) -> Range<usize> {
        self.table.clone()
    }

    /// Where `key`'s value was written; the table's header when the key was not written (its
    /// default applies, so the table is the place to add it).
    pub fn of(&self, key: &str) -> Range<usize> {
        self.keys
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| self.table.clone(), |(_, span)| span.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::Spans;

    #[test]
    fn a_key_points_at_its_value_and_a_missing_key_at_the_table() {
        let mut spans = Spans::new(0..5);
        spans.record("from", 10..20);
        spans.record("from", 30..40);
        assert_eq!(spans.of("from"), 10..20);
        assert_eq!(spans.of("target"), 0..5);
        assert_eq!(spans.table(), 0..5);
    }
}
