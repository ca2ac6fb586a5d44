//! `submissions.csv` (§4.7): when each dataset for each month was received, one receipt a
//! row; `levers import` appends to it and people may edit it too.

use crate::error::{Problem, Problems};
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

/// The file's header.
pub const HEADER: [&str; 3] = ["month", "dataset", "received"];

/// When each (month, dataset) was received: the first receipt counts.
#[derive(Debug, Default, Clone)]
pub struct Submissions {
    /// (month, dataset) → the earliest date a receipt records.
    pub received: BTreeMap<(Month, String), NaiveDate>,
}

impl Submissions {
    /// The date `dataset` for `month` was received, if a receipt records it.
    pub fn received(&self, month: Month, dataset: &str) -> Option<NaiveDate> {
        self.received.get(&(month, dataset.to_string())).copied()
    }
}

/// Reads the submissions.csv at `path` (named `display` in problems), checking each receipt's
/// month, dataset (one of the contract's) and date; a missing file has no receipts.
pub fn read(path: &Path, display: &Path, contract: &Contract) -> (Submissions, Problems) {
    let mut problems = Problems::new();
    let mut submissions = Submissions::default();
    let (records, read_problems) = crate::load::records::read_fixed_csv(path, display, &HEADER);
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
