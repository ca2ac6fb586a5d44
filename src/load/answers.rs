//! The provider's returned answers (§4.10): the workbook levers wrote beside a letter, answered
//! in its `response`, `reason` and `evidence` columns, or a CSV `id,response,reason[,evidence]`.
//! Each answered row becomes an [`Answer`]; every problem is located (the workbook's sheet and
//! cell, the CSV's line and field) and all are reported at once.
//!
//! The workbook is read cell by cell as it streams out of the archive, so a returned month of
//! hundreds of thousands of challenges is never held whole in memory.

use crate::error::{Problem, Problems};
use crate::load::challenge_log::State;
use crate::model::money::Money;
use crate::render::workbook::{column, CHALLENGES, HEADER};
use std::path::{Path, PathBuf};

/// The columns of a returned CSV; `evidence` may be left out.
pub(crate) const CSV_HEADER: [&str; 4] = ["id", "response", "reason", "evidence"];

/// The most characters a reason or evidence may hold: a paragraph, not a document (the log is
/// read whole, and a provider's file must not be able to make it unreadable).
pub(crate) const ANSWER_LIMIT: usize = 2_000;

/// The most a returned workbook's parts may hold once unpacked, in bytes: a 450,000-challenge
/// month's sheet is about a tenth of this.
const UNPACKED_LIMIT: u64 = 1 << 30;

/// Where an answer was read: the file, and its line (a CSV) or row (the workbook), 1-based.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub file: PathBuf,
    pub line: usize,
    /// Whether the place is a workbook row (cells named as `J5`) rather than a CSV line.
    pub workbook: bool,
}

impl Place {
    /// A problem at `column` (0-based) of this line or row.
    pub(crate) fn problem(&self, column: usize, message: impl std::fmt::Display) -> Problem {
        let message = if self.workbook {
            format!(
                "sheet {CHALLENGES}, cell {}{} ({}): {message}",
                letter(column),
                self.line,
                HEADER.get(column).copied().unwrap_or("")
            )
        } else {
            message.to_string()
        };
        Problem::at_line(&self.file, self.line, column + 1, message)
    }
}

/// What the row showed in the columns the provider does not answer in: checked against the
/// challenge, so that a row edited outside the provider's columns is refused.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    pub month: String,
    pub rule: String,
    pub record: String,
    /// The value cell, to the penny; `None` when it is not a number.
    pub value: Option<Money>,
}

/// One answered row.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub id: String,
    /// `Accepted` or `Rejected`.
    pub response: State,
    pub reason: String,
    pub evidence: String,
    pub place: Place,
    /// The workbook row's locked columns; `None` for a CSV.
    pub shown: Option<Shown>,
}

/// `A`, `B`, … `Z`, `AA`: a spreadsheet column's letters.
fn letter(column: usize) -> String {
    let mut n = column + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `accept` or `reject` (any case; the past tense too); `None` for anything else.
fn response(text: &str) -> Option<State> {
    match text.trim().to_ascii_lowercase().as_str() {
        "accept" | "accepted" => Some(State::Accepted),
        "reject" | "rejected" => Some(State::Rejected),
        _ => None,
    }
}

/// Checks one row's answer; `None` when it is not answered (response blank) or has a problem.
fn answer(
    place: Place,
    id: &str,
    given: &str,
    reason: &str,
    evidence: &str,
    shown: Option<Shown>,
    problems: &mut Problems,
) -> Option<Answer> {
    let col = |name: &str| match name {
        "id" => 0,
        "response" if !place.workbook => 1,
        "reason" if !place.workbook => 2,
        other => column(other),
    };
    for (name, text) in [("reason", reason), ("evidence", evidence)] {
        if text.chars().count() > ANSWER_LIMIT {
            problems.push(place.problem(
                col(name),
                format!(
                    "the {name} is {} characters long; at most {ANSWER_LIMIT} are kept in the challenge log: shorten it, or name a document that holds the detail",
                    text.chars().count()
                ),
            ));
            return None;
        }
    }
    if given.trim().is_empty() {
        if !reason.trim().is_empty() || !evidence.trim().is_empty() {
            problems.push(place.problem(
                col("response"),
                "a reason or evidence without a response: choose accept or reject (or clear the row)",
            ));
        }
        return None;
    }
    if id.trim().is_empty() {
        problems.push(place.problem(col("id"), "an answered row needs its challenge id"));
        return None;
    }
    let Some(state) = response(given) else {
        problems.push(place.problem(
            col("response"),
            format!(
                "expected `accept` or `reject`, found `{}`",
                crate::render::text::clean(given.trim())
            ),
        ));
        return None;
    };
    if state == State::Rejected && reason.trim().is_empty() {
        problems.push(place.problem(col("reason"), "a rejection needs its reason"));
        return None;
    }
    Some(Answer {
        id: id.trim().to_string(),
        response: state,
        reason: reason.trim().to_string(),
        evidence: evidence.trim().to_string(),
        place,
        shown,
    })
}

/// Reads a returned CSV: `id,response,reason` with an optional fourth column `evidence`.
pub(crate) fn read_csv(path: &Path, display: &Path) -> (Vec<Answer>, Problems) {
    let with_evidence = std::fs::read(path).ok().is_some_and(|b| {
        let first = b.split(|c| *c == b'\n').next().unwrap_or_default();
        String::from_utf8_lossy(first)
            .trim_end()
            .ends_with(",evidence")
    });
    let header: &[&str] = if with_evidence {
        &CSV_HEADER
    } else {
        &CSV_HEADER[..3]
    };
    let (records, mut problems) = crate::load::records::read_fixed_csv(path, display, header);
    let mut answers = Vec::new();
    for (line, excerpt, record) in records {
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let place = Place {
            file: display.to_path_buf(),
            line,
            workbook: false,
        };
        if record.len() > header.len() {
            problems.push(
                place
                    .problem(
                        header.len(),
                        format!(
                            "expected {} fields ({}), found {}: quote a reason that holds a comma",
                            header.len(),
                            header.join(","),
                            record.len()
                        ),
                    )
                    .with_excerpt(excerpt.clone()),
            );
            continue;
        }
        let mut found = Problems::new();
        if let Some(a) = answer(
            place,
            &field(0),
            &field(1),
            &field(2),
            &field(3),
            None,
            &mut found,
        ) {
            answers.push(a);
        }
        for p in found.iter() {
            problems.push(p.clone().with_excerpt(excerpt.clone()));
        }
    }
    (answers, problems)
}

/// A cell as text: strings as they are, numbers as a person typed them.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

/// A value cell to the penny, if it holds a number.
fn cell_money(value: &calamine::DataRef<'_>) -> Option<Money> {
    use calamine::DataRef;
    let pounds = match value {
        DataRef::Float(f) => *f,
        DataRef::Int(i) => *i as f64,
        _ => return None,
    };
    if !pounds.is_finite() {
        return None;
    }
    format!("{pounds:.2}")
        .parse::<rust_decimal::Decimal>()
        .ok()
        .map(Money::from_decimal)
}

/// Refuses a workbook whose parts would unpack to more than [`UNPACKED_LIMIT`] (a "zip bomb":
/// a small file of repeated text that would fill the memory of whoever reads it).
fn unpacked_within_limit(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the workbook: {e}"))?;
    let Ok(mut archive) = zip::ZipArchive::new(file) else {
        // Not an archive: calamine says so in its own words.
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let size = archive.by_index_raw(i).map(|e| e.size()).unwrap_or(0);
        total = total.saturating_add(size);
    }
    if total > UNPACKED_LIMIT {
        return Err(format!(
            "the workbook unpacks to {total} bytes, more than the {UNPACKED_LIMIT} a returned workbook may hold: return the workbook levers wrote, answered"
        ));
    }
    Ok(())
}

/// Reads the `Challenges` sheet of a returned workbook.
pub(crate) fn read_workbook(path: &Path, display: &Path) -> (Vec<Answer>, Problems) {
    let mut problems = Problems::new();
    let mut answers = Vec::new();
    let whole = |problems: &mut Problems, message: String| {
        problems.push(Problem::at_line(display, 1, 1, message));
    };
    if let Err(message) = unpacked_within_limit(path) {
        whole(&mut problems, message);
        return (answers, problems);
    }
    let mut book: calamine::Xlsx<_> = match calamine::open_workbook(path) {
        Ok(book) => book,
        Err(e) => {
            whole(
                &mut problems,
                format!("cannot read the workbook: {e} (expected the .xlsx levers wrote beside the letter, saved as an Excel workbook)"),
            );
            return (answers, problems);
        }
    };
    let mut cells = match book.worksheet_cells_reader(CHALLENGES) {
        Ok(cells) => cells,
        Err(e) => {
            whole(
                &mut problems,
                format!("the workbook has no readable sheet `{CHALLENGES}` ({e}): answer on the sheet levers wrote"),
            );
            return (answers, problems);
        }
    };
    let width = HEADER.len();
    let mut row: Option<u32> = None;
    let mut values: Vec<calamine::DataRef<'_>> = vec![calamine::DataRef::Empty; width];
    let mut header_ok = false;
    let mut finish = |row: u32,
                      values: &mut Vec<calamine::DataRef<'_>>,
                      header_ok: &mut bool,
                      problems: &mut Problems| {
        let text = |i: usize| cell_text(&values[i]);
        let place = Place {
            file: display.to_path_buf(),
            line: row as usize + 1,
            workbook: true,
        };
        if row == 0 {
            let found: Vec<String> = (0..width).map(text).collect();
            if found.iter().map(|s| s.trim()).eq(HEADER.iter().copied()) {
                *header_ok = true;
            } else {
                problems.push(place.problem(
                    0,
                    format!(
                        "expected the header {}; found {}: answer on the sheet levers wrote, without moving its columns",
                        HEADER.join(", "),
                        found.join(", ")
                    ),
                ));
            }
        } else if *header_ok {
            let shown = Shown {
                month: text(column("month")).trim().to_string(),
                rule: text(column("rule")).trim().to_string(),
                record: text(column("record")).trim().to_string(),
                value: cell_money(&values[column("value")]),
            };
            if let Some(a) = answer(
                place,
                &text(column("id")),
                &text(column("response")),
                &text(column("reason")),
                &text(column("evidence")),
                Some(shown),
                problems,
            ) {
                answers.push(a);
            }
        }
        values
            .iter_mut()
            .for_each(|v| *v = calamine::DataRef::Empty);
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                whole(
                    &mut problems,
                    format!("the sheet {CHALLENGES} cannot be read: {e}"),
                );
                return (Vec::new(), problems);
            }
        };
        let (r, c) = cell.get_position();
        if row.is_some_and(|current| current != r) {
            finish(row.unwrap_or(0), &mut values, &mut header_ok, &mut problems);
        }
        if row.is_none() && r != 0 {
            // No header row at all.
            finish(0, &mut values, &mut header_ok, &mut problems);
        }
        row = Some(r);
        if let Some(slot) = values.get_mut(c as usize) {
            *slot = cell.get_value().clone();
        }
        if !header_ok && r > 0 {
            break;
        }
    }
    if let Some(r) = row {
        finish(r, &mut values, &mut header_ok, &mut problems);
    } else {
        whole(
            &mut problems,
            format!("the sheet {CHALLENGES} is empty: answer on the sheet levers wrote"),
        );
    }
    (answers, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_a_spreadsheet_names_them() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(9), "J");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
    }

    #[test]
    fn responses_are_accept_or_reject_in_any_case() {
        assert_eq!(response(" Accept "), Some(State::Accepted));
        assert_eq!(response("REJECTED"), Some(State::Rejected));
        assert_eq!(response("maybe"), None);
        assert_eq!(response(""), None);
    }

    #[test]
    fn a_value_cell_is_read_to_the_penny() {
        use calamine::DataRef;
        assert_eq!(
            cell_money(&DataRef::Float(9907.42)),
            Some(Money::from_pence(990_742))
        );
        assert_eq!(
            cell_money(&DataRef::Float(0.1 + 0.2)),
            Some(Money::from_pence(30))
        );
        assert_eq!(cell_money(&DataRef::String("12".into())), None);
    }
}
