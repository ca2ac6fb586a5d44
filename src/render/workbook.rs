//! The letter's challenges as a workbook the provider answers in Excel (§4.10):
//! `letters/<M>-<stage>-challenges.xlsx`, beside the CSV companion. A `Challenges` sheet, one
//! row a challenge (this month's and every one still open from earlier months), every cell
//! locked but the provider's three columns (`response`, a drop-down of accept and reject;
//! `reason`; `evidence`), the header frozen with a filter on it; and a `Summary` sheet of totals
//! by rule and state. No NHS number, as in the CSV.
//!
//! The same inputs give the same bytes: the workbook's creation time is the letter's `--today`
//! and the archive's timestamps are fixed, so provenance and `verify` cover it as they cover
//! the CSV. Rows are streamed to the writer's constant-memory mode, so a month of hundreds of
//! thousands of challenges does not hold its cells in memory.

use crate::model::money::Money;
use crate::results::challenges::ChallengeView;
use anyhow::{Context as _, Result};
use chrono::Datelike as _;
use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    ProtectionOptions, Workbook, Worksheet,
};
use std::collections::BTreeMap;

/// The name of the sheet the provider answers on.
pub(crate) const CHALLENGES: &str = "Challenges";
/// The name of the totals sheet.
pub(crate) const SUMMARY: &str = "Summary";

/// The `Challenges` sheet's header, in column order. The last three are the provider's.
pub(crate) const HEADER: [&str; 12] = [
    "id",
    "month",
    "rule",
    "key_column",
    "record",
    "value",
    "state",
    "respond_by",
    "detail",
    "response",
    "reason",
    "evidence",
];

/// The column of `name` in [`HEADER`] (0-based).
pub(crate) fn column(name: &str) -> usize {
    HEADER
        .iter()
        .position(|h| *h == name)
        .expect("a column of the header")
}

/// The provider's answers: accept or reject.
pub(crate) const RESPONSES: [&str; 2] = ["accept", "reject"];

/// Excel's limit on the characters of one cell.
const CELL_LIMIT: usize = 32_000;

/// Text as a cell holds it: control characters removed, cut to Excel's limit. A string cell is
/// never read as a formula, so no apostrophe is needed as in the CSV.
fn text(value: &str) -> String {
    let clean = crate::render::text::clean(value);
    match clean.char_indices().nth(CELL_LIMIT) {
        Some((cut, _)) => clean[..cut].to_string(),
        None => clean.into_owned(),
    }
}

/// Pounds as a number cell: exact to the penny for any sum a contract holds (well inside the
/// 15 significant digits a spreadsheet keeps).
fn pounds(money: Money) -> f64 {
    money.plain().parse().unwrap_or(0.0)
}

fn date(d: chrono::NaiveDate) -> Result<ExcelDateTime> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
        .context("a date a workbook cannot hold")
}

/// The workbook of `challenges` (this month's, then those outstanding), made as of `today`,
/// titled `title` and authored by `author`.
pub(crate) fn challenges_workbook<'a>(
    challenges: impl Iterator<Item = &'a ChallengeView> + Clone,
    title: &str,
    author: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    // The fastest deflate: a month of 490,000 challenges compresses in a quarter of the time
    // (and about 1.6 times the size: 43 MB against 26 MB), and compression was a fifth of the
    // whole month's job.
    book.set_zip_compression_level(1);
    book.set_properties(
        &DocProperties::new()
            .set_title(text(title))
            .set_author(text(author))
            .set_company(text(author))
            .set_creation_datetime(&date(today)?),
    );
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color("#D9E1F2");
    let answer_header = header.clone().set_background_color("#FFF2CC");
    let currency = Format::new().set_num_format("£#,##0.00");
    let day = Format::new().set_num_format("d mmm yyyy");
    let open = Format::new()
        .set_unlocked()
        .set_background_color("#FFFBEA")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(CHALLENGES)?;
    for (col, width) in [
        (0, 36.0),
        (1, 9.0),
        (2, 22.0),
        (3, 12.0),
        (4, 18.0),
        (5, 12.0),
        (6, 12.0),
        (7, 12.0),
        (8, 60.0),
        (9, 11.0),
        (10, 40.0),
        (11, 30.0),
    ] {
        sheet.set_column_width(col, width)?;
    }
    // Empty cells take their column's format: the provider's three columns are open to edit
    // on every row, whatever the number of challenges.
    for name in ["response", "reason", "evidence"] {
        sheet.set_column_format(column(name) as u16, &open)?;
    }
    // Values and dates written without a format of their own take their column's: the same
    // cells as with one, without the writer looking the format up for each of a million rows.
    sheet.set_column_format(column("value") as u16, &currency)?;
    sheet.set_column_format(column("respond_by") as u16, &day)?;
    for (col, name) in HEADER.iter().enumerate() {
        let format = if col >= column("response") {
            &answer_header
        } else {
            &header
        };
        sheet.write_string_with_format(0, col as u16, *name, format)?;
    }
    let mut rows: u32 = 0;
    let mut totals: BTreeMap<(String, String, &'static str), (u64, Money)> = BTreeMap::new();
    for c in challenges {
        rows += 1;
        let row = rows;
        sheet.write_string(row, 0, text(&c.id))?;
        sheet.write_string(row, 1, c.month.to_string())?;
        sheet.write_string(row, 2, text(&c.rule))?;
        sheet.write_string(row, 3, text(&c.key_column))?;
        sheet.write_string(row, 4, text(&c.record))?;
        sheet.write_number(row, 5, pounds(c.value))?;
        sheet.write_string(row, 6, c.state.as_str())?;
        if let Some(by) = c.respond_by {
            sheet.write_datetime(row, 7, date(by)?)?;
        }
        sheet.write_string(row, 8, text(&c.detail))?;
        // Blank cells of their own, unlocked, so every reader sees the provider's columns
        // open (not only those that apply a column's format to empty cells).
        for name in ["response", "reason", "evidence"] {
            sheet.write_blank(row, column(name) as u16, &open)?;
        }
        let total = totals
            .entry((
                c.rule.to_string(),
                c.rule_name.to_string(),
                c.state.as_str(),
            ))
            .or_insert((0, Money::ZERO));
        total.0 += 1;
        total.1 += c.value;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows, (HEADER.len() - 1) as u16)?;
    if rows > 0 {
        let answers = DataValidation::new()
            .allow_list_strings(&RESPONSES)?
            .set_input_title("Your response")?
            .set_input_message("accept, or reject with your reason")?
            .set_error_title("accept or reject")?
            .set_error_message("Choose accept or reject from the list.")?;
        let col = column("response") as u16;
        sheet.add_data_validation(1, col, rows, col, &answers)?;
    }
    protect(sheet);
    sheet.set_active(true);

    let summary = book.add_worksheet();
    summary.set_name(SUMMARY)?;
    for (col, width) in [(0, 22.0), (1, 40.0), (2, 14.0), (3, 12.0), (4, 16.0)] {
        summary.set_column_width(col, width)?;
    }
    for (col, name) in ["rule", "rule_name", "state", "challenges", "value"]
        .iter()
        .enumerate()
    {
        summary.write_string_with_format(0, col as u16, *name, &header)?;
    }
    let mut row = 0;
    let (mut count, mut value) = (0, Money::ZERO);
    for ((rule, name, state), (n, sum)) in &totals {
        row += 1;
        summary.write_string(row, 0, text(rule))?;
        summary.write_string(row, 1, text(name))?;
        summary.write_string(row, 2, *state)?;
        summary.write_number(row, 3, *n as f64)?;
        summary.write_number_with_format(row, 4, pounds(*sum), &currency)?;
        count += n;
        value += *sum;
    }
    let bold = Format::new().set_bold();
    summary.write_string_with_format(row + 1, 0, "Total", &bold)?;
    summary.write_number_with_format(row + 1, 3, count as f64, &bold)?;
    summary.write_number_with_format(
        row + 1,
        4,
        pounds(value),
        &bold.set_num_format("£#,##0.00"),
    )?;
    summary.set_freeze_panes(1, 0)?;
    protect(summary);
    Ok(book.save_to_buffer()?)
}

/// Locks a sheet against accidental edits (no password: the lock guards against slips, and
/// `respond` checks the locked columns anyway), leaving filtering, sorting and widths free.
fn protect(sheet: &mut Worksheet) {
    sheet.protect_with_options(&ProtectionOptions {
        use_autofilter: true,
        sort: true,
        format_columns: true,
        ..ProtectionOptions::default()
    });
}
