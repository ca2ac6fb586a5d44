//! Files → a validated model: levers.toml and the contracts, read key by key with every
//! problem located; the record files beside them (the challenge log, submissions, meetings,
//! provider returns, exception reports); and `check`, which reads everything.

pub(crate) mod answers;
pub mod cases;
pub(crate) mod challenge_log;
pub(crate) mod check;
pub(crate) mod contract;
pub mod exceptions;
pub mod fields;
pub(crate) mod files;
pub(crate) mod letters;
pub mod meetings;
pub(crate) mod records;
pub(crate) mod returns;
pub mod submissions;
pub mod workspace;
