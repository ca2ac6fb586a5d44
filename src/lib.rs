#![warn(missing_docs, unreachable_pub)]
//! levers: a commissioner's monthly contract-management cycle, from plain files.
//!
//! Data flows one way, and the folders follow it:
//!
//! - [`load`]: files → a validated model: levers.toml, contracts, the record files (challenge
//!   log, submissions, meetings, returns, exceptions), every problem located; `check`.
//! - [`model`]: what the files mean: contracts, dataset schemas, money, targets, the calendar.
//! - [`expr`]: the expression language of conditions and values.
//! - [`pass`]: one streaming pass over each monthly file, evaluating every measure and
//!   challenge rule; the month cache.
//! - [`results`]: one contract-month worked out: KPIs, SPC, consequences, escalation,
//!   information, challenges, actions, what is due.
//! - [`render`]: results made text: tables, JSON, CSV, letters, action logs, explanations.
//! - [`audit`]: what is written and how it is kept: atomic writes, provenance, git, the lock.
//!
//! The command line ([`cmd`]) parses arguments, calls one function, and picks a renderer.

pub mod audit;
pub mod cmd;
pub mod error;
pub(crate) mod expr;
pub mod load;
pub mod model;
pub mod pass;
pub mod render;
pub mod results;
pub mod sample;
pub mod sql;
