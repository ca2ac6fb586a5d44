//! What levers writes and how it is kept: every file written whole or not at all, the
//! provenance that ends each generated file, commits, the workspace lock, and the fault points
//! the tests kill levers at.

pub mod convert;
pub(crate) mod events;
pub(crate) mod fault;
pub(crate) mod git;
pub mod lock;
pub(crate) mod outputs;
pub(crate) mod provenance;
pub(crate) mod write;
