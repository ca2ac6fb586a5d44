//! Results made text: letters and action logs from templates, explanations, and text made
//! safe for where it lands. Renderers compute nothing.

pub mod action_log;
pub(crate) mod board;
pub(crate) mod chart;
pub(crate) mod csv;
pub(crate) mod explain;
pub(crate) mod json;
pub mod letter;
pub(crate) mod notice;
pub(crate) mod report;
pub(crate) mod table;
pub(crate) mod templates;
pub(crate) mod text;
pub(crate) mod workbook;
