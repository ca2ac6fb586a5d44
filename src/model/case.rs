//! Formal contract management (§4.9, General Condition 9): a case's settings and its file.
//!
//! A case runs a notice, a Contract Management Meeting, a Joint Investigation or a Remedial
//! Action Plan, and the plan's milestones. Its file, `cases/<case-id>.toml`, records what
//! happened, one dated fact a key; what is due next follows from those facts, the settings
//! and the working-day calendar (see `results::cases`).

use crate::model::named::named;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The `[gc9]` settings of a contract: its edition's clocks and withholding rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gc9Settings {
    /// Working days from the notice to the Contract Management Meeting.
    pub meeting_within: u32,
    /// Working days from the meeting to the Joint Investigation's report.
    pub investigation_within: u32,
    /// Working days from the meeting (or the investigation's report) to an agreed plan.
    pub rap_within: u32,
    /// Share of the monthly value withheld for each month ending with the plan overdue.
    pub withhold_no_rap: Decimal,
    /// Share of the monthly value withheld for each month ending with a milestone missed.
    pub withhold_missed_milestone: Decimal,
    /// Months after the first exception report after which unremedied withholdings are
    /// retained for good.
    pub retain_after: u32,
}

impl Default for Gc9Settings {
    /// The spec's defaults (§4.9).
    fn default() -> Self {
        Gc9Settings {
            meeting_within: 10,
            investigation_within: 20,
            rap_within: 10,
            withhold_no_rap: Decimal::new(2, 2),
            withhold_missed_milestone: Decimal::new(2, 2),
            retain_after: 3,
        }
    }
}

named! {
    /// What the Contract Management Meeting decided.
    pub enum Outcome {
        /// The notice is withdrawn: the case ends.
        Withdrawn = "withdrawn",
        /// A Joint Investigation, with a report by a date; a plan may follow.
        Investigation = "investigation",
        /// A Remedial Action Plan is to be agreed.
        Rap = "rap",
    }
}

/// One milestone of a Remedial Action Plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Its id within the case, such as `M1`.
    pub id: String,
    /// What is to be done.
    pub action: String,
    /// The contact role who owns it (`provider_lead` for `contacts.provider_lead`).
    pub owner_role: String,
    /// The date it is due.
    pub due: NaiveDate,
    /// The date it was met; `None` until it is.
    pub met: Option<NaiveDate>,
}

/// A case's file, `cases/<case-id>.toml`, as read: every fact is optional until it happens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseFile {
    /// The case id: the file's name without `.toml`.
    pub id: String,
    /// The file, relative to the workspace.
    pub file: std::path::PathBuf,
    /// What the case is about.
    pub subject: Option<String>,
    /// The KPIs the case concerns (none for a case opened by hand about something no KPI
    /// measures).
    pub kpis: Vec<String>,
    /// The date the notice was issued (for an escalation's case, overrides the computed date).
    pub issued: Option<NaiveDate>,
    /// The date the Contract Management Meeting was held.
    pub meeting: Option<NaiveDate>,
    /// What the meeting decided.
    pub outcome: Option<Outcome>,
    /// The date the Joint Investigation reported.
    pub investigation_report: Option<NaiveDate>,
    /// The date the Remedial Action Plan was agreed.
    pub rap_agreed: Option<NaiveDate>,
    /// The date the case was closed by agreement.
    pub closed: Option<NaiveDate>,
    /// The plan's milestones, in the file's order.
    pub milestones: Vec<Milestone>,
}

/// The id of the case an escalation step with `notice = true` opens for `kpi` in `month`.
pub fn escalation_case_id(month: crate::model::calendar::Month, kpi: &str) -> String {
    format!("CPN-{month}-{kpi}")
}
