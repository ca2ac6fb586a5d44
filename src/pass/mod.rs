//! The monthly pass: each monthly file read once, in one streaming pass (on both cores for a
//! large file), every measure and challenge rule of its dataset evaluated on each row as it
//! goes by; duplicates found after the pass; the month cache that spares reading it again.

pub(crate) mod cache;
pub mod csv;
pub(crate) mod duplicates;
pub(crate) mod hash;
pub(crate) mod measures;
pub mod month;
pub(crate) mod rules;

pub use cache::entries_written;
