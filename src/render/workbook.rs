//! The letter's challenges as a workbook the provider answers in Excel (§4.10):
//! `letters/<M>-<stage>-challenges.xlsx`, beside the CSV companion. A `Challenges` sheet, one
//! row a challenge (this month's and every one still open from earlier months), every cell
//! locked but the provider's three columns (`response`, a drop-down of accept and reject;
//! `reason`; `evidence`), the header frozen with a filter on it; and a `Summary` sheet of totals
//! by rule and state. No NHS number, as in the CSV.
//!
//! The same inputs give the same bytes: the workbook's creation time is the letter's `--today`
//! and the archive's timestamps are fixed, so provenance and `verify` cover it as they cover
//! the CSV.
//!
//! rust_xlsxwriter makes the workbook's frame: the styles, the header, the column formats, the
//! protection, the drop-down, the filter and the Summary sheet. The challenge rows, half a million
//! in a large month, are then streamed into the `Challenges` sheet's XML here, cell for cell as
//! rust_xlsxwriter writes them (a test holds the two to the same bytes): its general writer
//! spent five microseconds a row looking up formats and building cells, which made
//! the workbook the slowest step of a month's run.

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

/// What one cell holds at most, in UTF-16 units as Excel counts its limit of 32,767 (a
/// character beyond the Basic Multilingual Plane, an emoji, is two), with a margin.
const CELL_LIMIT: usize = 32_000;

/// Text as a cell holds it: control characters removed, cut to [`CELL_LIMIT`]. A string cell is
/// never read as a formula, so no apostrophe is needed as in the CSV.
fn text(value: &str) -> String {
    cell_text(value).into_owned()
}

/// [`text`], borrowed when the text needs no change (as nearly every cell's does not).
fn cell_text(value: &str) -> std::borrow::Cow<'_, str> {
    let clean = crate::render::text::clean(value);
    // No more bytes than the limit has units: nothing to cut (a character is at least as many
    // bytes in UTF-8 as units in UTF-16).
    if clean.len() <= CELL_LIMIT {
        return clean;
    }
    let mut units = 0;
    for (at, c) in clean.char_indices() {
        units += c.len_utf16();
        if units > CELL_LIMIT {
            return std::borrow::Cow::Owned(clean[..at].to_string());
        }
    }
    clean
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
    let rows = u32::try_from(challenges.clone().count())
        .ok()
        .filter(|&n| n < 1_048_575)
        .context("more challenges than a worksheet's 1,048,576 rows")?;
    let frame = frame(
        challenges.clone(),
        rows,
        title,
        author,
        today,
        |_, _| Ok(()),
    )?;
    stream_rows(&frame, challenges, rows)
}

/// The workbook with every row of `challenges` counted (`rows` of them) but only the header
/// written; `write_rows` may write them through rust_xlsxwriter instead (the tests' reference).
fn frame<'a>(
    challenges: impl Iterator<Item = &'a ChallengeView>,
    rows: u32,
    title: &str,
    author: &str,
    today: chrono::NaiveDate,
    write_rows: impl FnOnce(&mut Worksheet, [&Format; 3]) -> Result<()>,
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
    // cells as with one, without the writer looking the format up for each of half a million rows.
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
    write_rows(sheet, [&currency, &day, &open])?;
    let mut totals: BTreeMap<(String, String, &'static str), (u64, Money)> = BTreeMap::new();
    for c in challenges {
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

/// The part of the archive holding the `Challenges` sheet.
const ROWS_SHEET: &str = "xl/worksheets/sheet1.xml";

/// The styles (cell format indices) of the value, date and answer columns, as the frame's
/// column formats give them.
struct Styles {
    value: String,
    day: String,
    open: String,
}

impl Styles {
    /// Read from the sheet's `<cols>`: the `style` of the `<col>` spanning each formatted
    /// column (one column, or a run of alike ones).
    fn of(sheet_head: &str) -> Result<Styles> {
        let attribute = |element: &str, name: &str| -> Option<u32> {
            let (_, value) = element.split_once(&format!(r#" {name}=""#))?;
            value.split_once('"')?.0.parse().ok()
        };
        let style = |name: &str| -> Result<String> {
            let n = column(name) as u32 + 1;
            sheet_head
                .split("<col ")
                .skip(1)
                .filter_map(|rest| {
                    rest.split_once("/>")
                        .map(|(element, _)| format!(" {element}"))
                })
                .find(|e| attribute(e, "min") <= Some(n) && Some(n) <= attribute(e, "max"))
                .and_then(|e| attribute(&e, "style"))
                .map(|style| style.to_string())
                .with_context(|| format!("the workbook's frame has no style for its {name} column"))
        };
        Ok(Styles {
            value: style("value")?,
            day: style("respond_by")?,
            open: style("response")?,
        })
    }
}

/// `frame` with the rows of `challenges` (`rows` of them) in its `Challenges` sheet; every
/// other part of the archive copied as it is.
fn stream_rows<'a>(
    frame: &[u8],
    challenges: impl Iterator<Item = &'a ChallengeView>,
    rows: u32,
) -> Result<Vec<u8>> {
    use std::io::{Read as _, Write as _};
    let mut challenges = Some(challenges);
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(frame)).context("the workbook's frame")?;
    // Room for a deflated row and more (90 bytes on the benchmark's month): the archive is not
    // copied as it grows, and room left unused is never touched, so costs no memory.
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(
        frame.len() + rows as usize * 160,
    )));
    // As rust_xlsxwriter stores its parts: deflated (fastest), with fixed times.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .unix_permissions(0o600)
        .last_modified_time(zip::DateTime::default());
    for i in 0..archive.len() {
        if archive.by_index_raw(i)?.name()? != ROWS_SHEET {
            out.raw_copy_file(archive.by_index_raw(i)?)?;
            continue;
        }
        let mut xml = String::new();
        archive.by_index(i)?.read_to_string(&mut xml)?;
        let (head, tail) = xml
            .split_once("</sheetData>")
            .context("the workbook's frame has no sheet data")?;
        let styles = Styles::of(head)?;
        // The sheet's extent: the header and every row, to the last answer column.
        let last = (b'A' + HEADER.len() as u8 - 1) as char;
        let head = head.replacen(
            &format!(r#"<dimension ref="A1:{last}1"/>"#),
            &format!(r#"<dimension ref="A1:{last}{}"/>"#, rows + 1),
            1,
        );
        out.start_file(ROWS_SHEET, options)?;
        out.write_all(head.as_bytes())?;
        let mut buffer = String::with_capacity(1 << 17);
        // Rows are mostly of one month: its text is made once for each run of them.
        let mut month: Option<(crate::model::calendar::Month, String)> = None;
        for (row, c) in (2u32..).zip(challenges.take().into_iter().flatten()) {
            if month.as_ref().is_none_or(|(m, _)| *m != c.month) {
                month = Some((c.month, c.month.to_string()));
            }
            let month = month.as_ref().map_or("", |(_, text)| text.as_str());
            row_xml(&mut buffer, row, c, month, &styles)?;
            if buffer.len() >= 1 << 16 {
                out.write_all(buffer.as_bytes())?;
                buffer.clear();
            }
        }
        out.write_all(buffer.as_bytes())?;
        out.write_all(b"</sheetData>")?;
        out.write_all(tail.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}

/// One challenge's row of the `Challenges` sheet (1-based `row`), as rust_xlsxwriter writes
/// the same cells: strings inline, the value and date with their column's style, the
/// provider's three columns as blank cells open to edit. Written piece by piece rather than
/// through `format!`, which was a third of the sheet's time.
fn row_xml(
    out: &mut String,
    row: u32,
    c: &ChallengeView,
    month: &str,
    styles: &Styles,
) -> Result<()> {
    use std::fmt::Write as _;
    let mut digits = [0u8; 10];
    let row = decimal(row, &mut digits);
    out.push_str("<row r=\"");
    out.push_str(row);
    out.push_str("\">");
    inline_cell(out, 'A', row, &cell_text(&c.id));
    inline_cell(out, 'B', row, month);
    inline_cell(out, 'C', row, &cell_text(&c.rule));
    inline_cell(out, 'D', row, &cell_text(&c.key_column));
    inline_cell(out, 'E', row, &cell_text(&c.record));
    styled_cell(out, 'F', row, &styles.value);
    out.push_str("><v>");
    push_pounds(out, c.value);
    out.push_str("</v></c>");
    inline_cell(out, 'G', row, c.state.as_str());
    if let Some(by) = c.respond_by {
        use rust_xlsxwriter::IntoExcelDateTime as _;
        let serial = date(by)?.to_excel_serial_date();
        styled_cell(out, 'H', row, &styles.day);
        let _ = write!(out, "><v>{serial}</v></c>");
    }
    inline_cell(out, 'I', row, &cell_text(&c.detail));
    for col in ['J', 'K', 'L'] {
        styled_cell(out, col, row, &styles.open);
        out.push_str("/>");
    }
    out.push_str("</row>");
    Ok(())
}

/// The text of [`pounds`] as a cell's value, as rust_xlsxwriter writes the number (Rust's
/// shortest form of the double): the amount to two places less its trailing zeros, which is
/// that form for any amount of 15 digits or fewer (the double nearest such a decimal is nearer
/// it than to any shorter one); a larger amount is written from the double itself.
fn push_pounds(out: &mut String, money: Money) {
    use std::fmt::Write as _;
    let start = out.len();
    money.push_plain(out);
    let digits = out[start..].bytes().filter(u8::is_ascii_digit).count();
    if digits > 15 {
        out.truncate(start);
        let _ = write!(out, "{}", pounds(money));
        return;
    }
    let kept = out[start..]
        .trim_end_matches('0')
        .trim_end_matches('.')
        .len();
    out.truncate(start + kept);
}

/// `n` in decimal, in `digits`.
fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &str {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[at..]).expect("ASCII digits")
}

/// The start of a cell with a style, up to where its element goes on: `<c r="F2" s="2"`.
fn styled_cell(out: &mut String, col: char, row: &str, style: &str) {
    out.push_str("<c r=\"");
    out.push(col);
    out.push_str(row);
    out.push_str("\" s=\"");
    out.push_str(style);
    out.push('"');
}

/// A string cell written inline; none for an empty string (as rust_xlsxwriter skips one).
fn inline_cell(out: &mut String, col: char, row: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let edge = ['\t', '\n', ' '];
    out.push_str("<c r=\"");
    out.push(col);
    out.push_str(row);
    out.push_str("\" t=\"inlineStr\"><is><t");
    if value.starts_with(edge) || value.ends_with(edge) {
        out.push_str(" xml:space=\"preserve\"");
    }
    out.push('>');
    escape_into(out, value);
    out.push_str("</t></is></c>");
}

/// `text` as a spreadsheet's XML holds it, as rust_xlsxwriter escapes it: a literal `_xHHHH_`
/// (which Excel would read as an escaped character) led by `_x005F`; then `&`, `<` and `>` as
/// entities, control characters but tab and newline as `_xHHHH_`, and the two non-characters
/// U+FFFE and U+FFFF likewise.
fn escape_into(out: &mut String, text: &str) {
    let special = |b: u8| {
        matches!(b, b'&' | b'<' | b'>' | b'_' | 0xEF) || (b < 0x20 && b != b'\t' && b != b'\n')
    };
    if !text.bytes().any(special) {
        out.push_str(text);
        return;
    }
    let bytes = text.as_bytes();
    for (i, ch) in text.char_indices() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                use std::fmt::Write as _;
                let _ = write!(out, "_x{:04X}_", c as u32);
            }
            '_' => {
                let escape = bytes.len() >= i + 7
                    && bytes[i + 1] == b'x'
                    && bytes[i + 6] == b'_'
                    && bytes[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit);
                if escape {
                    out.push_str("_x005F");
                }
                out.push('_');
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::challenge_log::State;
    use std::sync::Arc;

    /// The workbook as rust_xlsxwriter writes every row itself: the reference for the rows
    /// streamed into the frame.
    fn written_cell_by_cell(challenges: &[ChallengeView]) -> Vec<u8> {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 29).unwrap();
        let rows = challenges.len() as u32;
        frame(
            challenges.iter(),
            rows,
            "T",
            "ICB",
            today,
            |sheet, [_, _, open]| {
                for (row, c) in (1u32..).zip(challenges) {
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
                    for name in ["response", "reason", "evidence"] {
                        sheet.write_blank(row, column(name) as u16, open)?;
                    }
                }
                Ok(())
            },
        )
        .unwrap()
    }

    /// Every part of an archive, in order: its name and its bytes once inflated.
    fn parts(book: &[u8]) -> Vec<(String, Vec<u8>)> {
        use std::io::Read as _;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut part = archive.by_index(i).unwrap();
                let mut bytes = Vec::new();
                part.read_to_end(&mut bytes).unwrap();
                (part.name().unwrap().to_string(), bytes)
            })
            .collect()
    }

    fn challenge(i: usize, text: &str, pence: i64, respond_by: Option<u32>) -> ChallengeView {
        ChallengeView {
            id: format!("2026-04/rule/{text}{i}"),
            contract: Arc::from("c"),
            month: crate::model::calendar::Month::new(2026, 4).unwrap(),
            rule: Arc::from(if i.is_multiple_of(2) {
                "dup"
            } else {
                "rule_x0041_"
            }),
            rule_name: Arc::from("A rule"),
            key_column: Arc::from(if i.is_multiple_of(3) { "" } else { "record_id" }),
            record: text.to_string(),
            value: Money::from_pence(pence),
            rows: 1,
            detail: Arc::from(format!("{text} & <more> {i}")),
            also: Vec::new(),
            state: [State::Raised, State::Disputed, State::Rechallenged][i % 3],
            respond_by: respond_by.map(|d| {
                chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() + chrono::Days::new(d.into())
            }),
            overdue: false,
            closed: false,
            agreed: false,
            agreed_on: None,
            age_months: 0,
            last_event: None,
        }
    }

    /// A cell is cut to Excel's limit as Excel counts it, in UTF-16 units: a detail of 20,000
    /// emoji (40,000 units) is cut to 16,000 of them, and the workbook is still the one
    /// rust_xlsxwriter writes (which refuses a cell over the limit).
    #[test]
    fn long_cells_are_cut_to_excels_limit_in_utf16_units() {
        let mut long = challenge(1, "r", 100, Some(3));
        long.detail = Arc::from("😀".repeat(20_000));
        long.record = "é".repeat(40_000);
        assert_eq!(cell_text(&long.detail).encode_utf16().count(), 32_000);
        assert_eq!(cell_text(&long.record).chars().count(), 32_000);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 29).unwrap();
        let challenges = [long];
        let streamed = challenges_workbook(challenges.iter(), "T", "ICB", today).unwrap();
        assert_eq!(parts(&streamed), parts(&written_cell_by_cell(&challenges)));
    }

    #[test]
    fn no_challenges_give_the_frame_alone() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 29).unwrap();
        let streamed = challenges_workbook(std::iter::empty(), "T", "ICB", today).unwrap();
        assert_eq!(parts(&streamed), parts(&written_cell_by_cell(&[])));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The rows streamed into the frame are the cells rust_xlsxwriter writes itself, byte
        /// for byte once inflated, whatever the text holds: markup, ampersands, literal
        /// `_xHHHH_` escapes, white space at either end, control characters, non-characters,
        /// non-ASCII letters, empty cells, pence of either sign, dates or none.
        #[test]
        fn streamed_rows_are_the_cells_the_writer_writes(
            cells in proptest::collection::vec(
                (
                    "(_x00[0-9A-Fa-f]{2}_|_x1g2_|[a-z<>&\"' \t\n\r\u{1}\u{7f}é€\u{FFFE}\u{FFFF}_]){0,6}",
                    proptest::prop_oneof![
                        -10_000_000i64..10_000_000,
                        -100_000_000_000_000_000i64..100_000_000_000_000_000,
                    ],
                    proptest::option::of(0u32..400),
                ),
                0..20,
            )
        ) {
            let challenges: Vec<ChallengeView> = cells
                .iter()
                .enumerate()
                .map(|(i, (text, pence, by))| challenge(i, text, *pence, *by))
                .collect();
            let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 29).unwrap();
            let streamed = challenges_workbook(challenges.iter(), "T", "ICB", today).unwrap();
            proptest::prop_assert_eq!(parts(&streamed), parts(&written_cell_by_cell(&challenges)));
        }
    }
}
