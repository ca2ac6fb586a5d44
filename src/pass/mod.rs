//! The monthly pass: each monthly file read once, in one streaming pass (on both cores for a
//! large file), every measure and challenge rule of its dataset evaluated on each row as it
//! goes by; duplicates found after the pass; the month cache that spares reading it again.

pub mod cache;
pub mod csv;
pub mod duplicates;
pub mod hash;
pub mod measures;
pub mod month;
pub mod rules;
