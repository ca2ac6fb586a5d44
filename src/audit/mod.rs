//! What levers writes and how it is kept: every file written whole or not at all, the
//! provenance that ends each generated file, commits, the workspace lock, and the fault points
//! the tests kill levers at.

pub mod fault;
pub mod git;
pub mod lock;
pub mod outputs;
pub mod provenance;
pub mod write;
