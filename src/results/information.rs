//! Information provision (§4.7): `submissions.csv` records when each dataset for each month was
//! received; a dataset required by `[[information]]` that was not received by its due date is a
//! breach (late or missing) for that month.

use crate::load::submissions::Submissions;
use crate::model::calendar::{Calendar, Month};
use crate::model::contract::{Contract, Due, Information};
use crate::model::settings::Timetable;
use chrono::NaiveDate;
use serde::Serialize;

/// The due date of a requirement for a month.
pub fn due_date(
    requirement: &Information,
    month: Month,
    timetable: &Timetable,
    calendar: &Calendar,
) -> NaiveDate {
    let dates = timetable.dates_for(month, calendar);
    match requirement.due {
        Due::Flex => dates.flex,
        Due::Freeze => dates.freeze,
        Due::WorkingDay(n) => calendar.working_day_after(month, n),
    }
}

/// How a required dataset was provided for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provision {
    /// Received by its due date.
    OnTime,
    /// Received after its due date: a breach.
    Late,
    /// No data file for the month by its due date (whatever submissions.csv says): a breach.
    Missing,
    /// Not yet due as of today.
    NotDue,
    /// The file is there but submissions.csv records no receipt, so when it arrived is not
    /// known: not a breach levers can assert.
    Unrecorded,
}

impl Provision {
    /// The status as JSON and CSV write it (`on_time`, `late`, `missing`, `not_due`,
    /// `unrecorded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provision::OnTime => "on_time",
            Provision::Late => "late",
            Provision::Missing => "missing",
            Provision::NotDue => "not_due",
            Provision::Unrecorded => "unrecorded",
        }
    }
}

/// One information requirement for one month: when it was due, and whether it was met.
#[derive(Debug, Clone, Serialize)]
pub struct InformationResult {
    /// The dataset required.
    pub dataset: String,
    /// The date it was due for the month.
    pub due: NaiveDate,
    /// When submissions.csv records it received, if that is not after today.
    pub received: Option<NaiveDate>,
    /// Whether it was provided on time, late or not at all, or is not yet due.
    pub status: Provision,
}

impl InformationResult {
    /// A breach: the dataset came late or is missing.
    pub fn is_breach(&self) -> bool {
        matches!(self.status, Provision::Late | Provision::Missing)
    }
}

/// Whether each requirement was met for `month`, as of `today`. `stored` says whether a
/// dataset's file for the month is in the workspace: the receipt in submissions.csv dates the
/// file, but without the file there is no data, whatever the record says.
pub fn assess(
    contract: &Contract,
    submissions: &Submissions,
    month: Month,
    today: NaiveDate,
    timetable: &Timetable,
    calendar: &Calendar,
    stored: &dyn Fn(&str) -> bool,
) -> Vec<InformationResult> {
    contract
        .information
        .iter()
        .map(|req| {
            let due = due_date(req, month, timetable, calendar);
            let received = submissions.received(month, &req.dataset);
            // A receipt dated after `today` had not happened as of today.
            let status = match (stored(&req.dataset), received) {
                (true, Some(r)) if r <= due && r <= today => Provision::OnTime,
                (true, Some(r)) if r <= today => Provision::Late,
                (true, None) => Provision::Unrecorded,
                _ if today <= due => Provision::NotDue,
                _ => Provision::Missing,
            };
            InformationResult {
                dataset: req.dataset.clone(),
                due,
                received: received.filter(|r| *r <= today),
                status,
            }
        })
        .collect()
}
