//! Results made text: letters and action logs from templates, explanations, and text made
//! safe for where it lands. Renderers compute nothing.

pub mod action_log;
pub mod csv;
pub mod explain;
pub mod json;
pub mod letter;
pub mod report;
pub mod table;
pub mod templates;
pub mod text;
