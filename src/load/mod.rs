//! Files → a validated model: levers.toml and the contracts, read key by key with every
//! problem located; the record files beside them (the challenge log, submissions, meetings,
//! provider returns, exception reports); and `check`, which reads everything.

pub mod challenge_log;
pub mod check;
pub mod contract;
pub mod exceptions;
pub mod fields;
pub mod files;
pub mod letters;
pub mod meetings;
pub mod records;
pub mod returns;
pub mod submissions;
pub mod workspace;
