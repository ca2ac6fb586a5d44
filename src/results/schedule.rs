//! The monthly cycle's schedule: from the timetable, the calendar, today and the files
//! present, what `levers run` must produce.

use crate::load::letters::IssuedLetters;
use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::letter::Stage;
use chrono::NaiveDate;

/// One letter that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueLetter {
    pub month: Month,
    pub stage: Stage,
}

/// The letters due for `contract` as of `today`, oldest first.
///
/// A month counts from the first month with any data file. Its provisional letter is due from
/// the timetable's provisional-letter date until a final letter exists; its final letter from
/// the latest of the final-letter date, the freeze date and, when a provisional letter was
/// issued, the end of the provider's response window on it. When a month's final letter is
/// already due and it has no letter at all (a workspace catching up on history), only the final
/// letter is written: a provisional position issued after the final one is due would tell the
/// provider nothing.
pub(crate) fn due_letters(
    workspace: &Workspace,
    contract: &Contract,
    today: NaiveDate,
) -> Vec<DueLetter> {
    let (start, end) = contract.months();
    let last = end.min(Month::of(today));
    let root = &workspace.root;
    let first_with_data = start
        .through(last)
        .find(|m| !crate::pass::month::month_files(root, contract, *m).is_empty());
    let Some(first) = first_with_data else {
        return Vec::new();
    };
    let timetable = &workspace.settings.timetable;
    let calendar = &workspace.calendar;
    let issued = IssuedLetters::read(root, &contract.dir);
    let mut due = Vec::new();
    for month in first.through(last) {
        if crate::pass::month::month_files(root, contract, month).is_empty() {
            continue; // no data: nothing to write about
        }
        let dates = timetable.dates_for(month, calendar);
        let provisional = issued.get(month, Stage::Provisional);
        let has_final = issued.get(month, Stage::Final).is_some();
        let final_from = match provisional {
            Some(p) => dates.final_letter.max(dates.freeze).max(
                calendar
                    .add_working_days(p.date, timetable.response_days)
                    .succ_opt()
                    .unwrap_or(p.date),
            ),
            None => dates.final_letter.max(dates.freeze),
        };
        let final_due = today >= final_from;
        if final_due && !has_final {
            due.push(DueLetter {
                month,
                stage: Stage::Final,
            });
        } else if !final_due
            && today >= dates.provisional_letter
            && provisional.is_none()
            && !has_final
        {
            due.push(DueLetter {
                month,
                stage: Stage::Provisional,
            });
        }
    }
    due
}

/// The month an action log is as of: the last month before today's within the contract.
pub(crate) fn as_of_month(contract: &Contract, today: chrono::NaiveDate) -> Month {
    let (start, end) = contract.months();
    Month::of(today).previous().min(end).max(start)
}
