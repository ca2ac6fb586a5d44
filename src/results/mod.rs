//! One contract-month worked out from the pass's figures, the records and the calendar: KPI
//! results with SPC, consequences and caps, the escalation ladder, information provision,
//! challenges and where each stands, actions, and what is due when. Plain data: no text.

pub mod actions;
pub mod cases;
pub(crate) mod challenges;
pub(crate) mod consequences;
pub(crate) mod escalation;
pub mod information;
pub mod kpi;
pub mod month;
pub(crate) mod schedule;
pub(crate) mod spc;
pub(crate) mod status;
