//! levers: a commissioner's monthly contract-management cycle, from plain files.
//!
//! Data flows one way: files ([`workspace`], [`contract`], [`dataset`]) → a validated model →
//! monthly results → rendered outputs. Each module holds one part of the domain and is testable
//! without the command line; `src/cmd/` holds one file per subcommand.

pub mod actions;
pub mod audit;
pub mod cache;
pub mod calendar;
pub mod challenge;
pub mod challenge_log;
pub mod cmd;
pub mod consequence;
pub mod contract;
pub mod cycle;
pub mod dataset;
pub mod diag;
pub mod duplicates;
pub mod engine;
pub mod escalation;
pub mod exceptions;
pub mod explain;
pub mod expr;
pub mod fast_hash;
pub mod fault;
pub mod git;
pub mod information;
pub mod kpi;
pub mod letter;
pub mod lock;
pub mod measure;
pub mod meetings;
pub mod money;
pub mod number;
pub mod report;
pub mod returns;
pub mod sample;
pub mod sanitize;
pub mod spc;
pub mod target;
pub mod toml_fields;
pub mod validation;
pub mod value;
pub mod workspace;
