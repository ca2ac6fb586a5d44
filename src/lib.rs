//! levers: a commissioner's monthly contract-management cycle, from plain files.
//!
//! Data flows one way: files ([`workspace`], [`contract`], [`dataset`]) → a validated model →
//! monthly results → rendered outputs. Each module holds one part of the domain and is testable
//! without the command line; `src/cmd/` holds one file per subcommand.

pub mod calendar;
pub mod diag;
pub mod dataset;
pub mod expr;
pub mod money;
pub mod value;
pub mod contract;
pub mod target;
pub mod toml_fields;
pub mod workspace;
pub mod cmd;
pub mod challenge_log;
pub mod information;
pub mod meetings;
pub mod returns;
pub mod validation;
pub mod audit;
pub mod sample;
pub mod cache;
pub mod challenge;
pub mod engine;
pub mod kpi;
pub mod measure;
pub mod number;
pub mod report;
pub mod spc;
