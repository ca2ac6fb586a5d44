//! Information provision (§4.7): `submissions.csv` records when each dataset for each month was
//! received; a dataset required by `[[information]]` that was not received by its due date is a
//! breach (late or missing) for that month.

use crate::calendar::{Calendar, Month};
use crate::contract::{Contract, Due, Information};
use crate::diag::{Problem, Problems};
use crate::workspace::Timetable;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const HEADER: [&str; 3] = ["month", "dataset", "received"];

/// When each (month, dataset) was received: the first receipt counts.
#[derive(Debug, Default, Clone)]
pub struct Submissions {
    pub received: BTreeMap<(Month, String), NaiveDate>,
}

impl Submissions {
    pub fn received(&self, month: Month, dataset: &str) -> Option<NaiveDate> {
        self.received.get(&(month, dataset.to_string())).copied()
    }
}

pub fn read(path: &Path, display: &Path, contract: &Contract) -> (Submissions, Problems) {
    let mut problems = Problems::new();
    let mut submissions = Submissions::default();
    let (records, read_problems) = crate::dataset::read_fixed_csv(path, display, &HEADER);
    problems.extend(read_problems);
    for (line, excerpt, record) in records {
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let month = field(0).parse::<Month>();
        let dataset = field(1);
        let received = NaiveDate::parse_from_str(field(2), "%Y-%m-%d");
        if let Err(e) = &month {
            problems.push(
                Problem::at_line(display, line, 1, format!("column `month`: {e}"))
                    .with_excerpt(excerpt.clone()),
            );
        }
        if !contract.datasets.contains_key(dataset) {
            let names: Vec<&str> = contract.datasets.keys().map(String::as_str).collect();
            problems.push(
                Problem::at_line(
                    display,
                    line,
                    2,
                    format!(
                        "column `dataset`: unknown dataset `{dataset}`: expected one of {}",
                        names.join(", ")
                    ),
                )
                .with_excerpt(excerpt.clone()),
            );
        }
        if received.is_err() {
            problems.push(
                Problem::at_line(
                    display,
                    line,
                    3,
                    format!(
                        "column `received`: expected a date as YYYY-MM-DD, found `{}`",
                        field(2)
                    ),
                )
                .with_excerpt(excerpt.clone()),
            );
        }
        if let (Ok(m), Ok(r)) = (month, received) {
            submissions
                .received
                .entry((m, dataset.to_string()))
                .and_modify(|d| *d = (*d).min(r))
                .or_insert(r);
        }
    }
    (submissions, problems)
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provision {
    OnTime,
    Late,
    Missing,
    /// Not yet due as of today.
    NotDue,
}

#[derive(Debug, Clone, Serialize)]
pub struct InformationResult {
    pub dataset: String,
    pub due: NaiveDate,
    pub received: Option<NaiveDate>,
    pub status: Provision,
}

impl InformationResult {
    pub fn is_breach(&self) -> bool {
        matches!(self.status, Provision::Late | Provision::Missing)
    }
}

/// Whether each requirement was met for `month`, as of `today`.
pub fn assess(
    contract: &Contract,
    submissions: &Submissions,
    month: Month,
    today: NaiveDate,
    timetable: &Timetable,
    calendar: &Calendar,
) -> Vec<InformationResult> {
    contract
        .information
        .iter()
        .map(|req| {
            let due = due_date(req, month, timetable, calendar);
            let received = submissions.received(month, &req.dataset);
            let status = match received {
                Some(r) if r <= due => Provision::OnTime,
                Some(r) if r <= today => Provision::Late,
                _ if today <= due => Provision::NotDue,
                _ => Provision::Missing,
            };
            InformationResult {
                dataset: req.dataset.clone(),
                due,
                received,
                status,
            }
        })
        .collect()
}
