//! What the files mean, as plain types: contracts and their KPIs, rules and ladders, dataset
//! schemas, money, targets, months and the working-day calendar, and the typed values of cells.

pub mod calendar;
pub mod cell;
pub mod contract;
pub mod letter;
pub mod money;
pub mod named;
pub mod number;
pub mod schema;
pub mod settings;
pub mod spans;
pub mod target;
pub mod value;
