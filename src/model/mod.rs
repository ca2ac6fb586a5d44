//! What the files mean, as plain types: contracts and their KPIs, rules and ladders, dataset
//! schemas, money, targets, months and the working-day calendar, and the typed values of cells.

pub mod calendar;
pub mod case;
pub(crate) mod cell;
pub(crate) mod contract;
pub mod letter;
pub mod money;
pub(crate) mod named;
pub(crate) mod number;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod spans;
pub(crate) mod target;
pub(crate) mod value;
