//! The letter's workbook (§4.10): written beside the CSV, locked but for the provider's
//! columns, the same bytes every time; answered as the provider would in Excel and read back
//! by `levers respond`, every bad row refused with its sheet and cell.

use crate::common::*;
use calamine::{Data, Reader, Xlsx};
use std::io::Read as _;
use std::path::{Path, PathBuf};

const BOOK: &str = "contracts/small/letters/2026-06-provisional-challenges.xlsx";

/// The fixture with its June provisional letter written (and so its workbook).
fn with_letter(name: &str) -> PathBuf {
    let dir = fixture(name);
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    dir
}

/// One part of the workbook's archive, as text.
fn part(book: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The `Challenges` sheet's cells, row by row.
fn rows(book: &Path) -> Vec<Vec<Data>> {
    let mut xlsx: Xlsx<_> = calamine::open_workbook(book).unwrap();
    let range = xlsx.worksheet_range("Challenges").unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

/// Writes `rows` as a workbook the provider returns: the same sheet, answered.
fn save(path: &Path, rows: &[Vec<Data>]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Challenges").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Data::String(s) => {
                    sheet.write_string(r, c, s).unwrap();
                }
                Data::Float(f) => {
                    sheet.write_number(r, c, *f).unwrap();
                }
                Data::Int(i) => {
                    sheet.write_number(r, c, *i as f64).unwrap();
                }
                Data::DateTime(d) => {
                    sheet.write_number(r, c, d.as_f64()).unwrap();
                }
                _ => {}
            }
        }
    }
    book.save(path).unwrap();
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The row of challenge `id` (0-based, header included).
fn row_of(rows: &[Vec<Data>], id: &str) -> usize {
    rows.iter().position(|r| text(&r[0]) == id).unwrap()
}

fn answer(rows: &mut [Vec<Data>], id: &str, response: &str, reason: &str, evidence: &str) {
    let r = row_of(rows, id);
    rows[r][9] = Data::String(response.into());
    rows[r][10] = Data::String(reason.into());
    rows[r][11] = Data::String(evidence.into());
}

fn respond(dir: &Path, file: &str) -> std::process::Output {
    respond_on(dir, file, "2026-07-20")
}

fn respond_on(dir: &Path, file: &str, today: &str) -> std::process::Output {
    levers(dir, &["respond", "-c", "small", file, "--today", today])
}

#[test]
fn the_workbook_is_locked_but_for_the_answers_and_the_same_bytes_every_time() {
    let dir = with_letter("workbook-written");
    let book = dir.join(BOOK);
    let sheets = part(&book, "xl/workbook.xml");
    assert!(sheets.contains(r#"name="Challenges""#) && sheets.contains(r#"name="Summary""#));
    let sheet = part(&book, "xl/worksheets/sheet1.xml");
    for wanted in [
        r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#,
        r#"<autoFilter ref="A1:L"#,
        r#"<dataValidation type="list""#,
        r#"<formula1>"accept,reject"</formula1>"#,
        "<sheetProtection",
    ] {
        assert!(sheet.contains(wanted), "{wanted} missing");
    }
    // The provider's columns carry the one unlocked style; no other cell does.
    let styles = part(&book, "xl/styles.xml");
    let xfs = styles
        .split("<cellXfs")
        .nth(1)
        .unwrap()
        .split("</cellXfs>")
        .next()
        .unwrap();
    let unlocked: Vec<usize> = xfs
        .split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| xf.contains(r#"locked="0""#))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(unlocked.len(), 1, "{xfs}");
    let open = format!(r#"s="{}""#, unlocked[0]);
    for cell in sheet.split("<c ").skip(1) {
        let reference: String = cell
            .trim_start_matches("r=\"")
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let answerable = ["J", "K", "L"].contains(&reference.as_str());
        let row_one = cell.starts_with(&format!("r=\"{reference}1\""));
        assert_eq!(
            cell.contains(&open),
            answerable && !row_one,
            "cell {}",
            &cell[..cell.len().min(40)]
        );
    }
    // The rows are the CSV companion's, in its order, with no NHS number.
    let csv = read(
        &dir,
        "contracts/small/letters/2026-06-provisional-challenges.csv",
    );
    let ids: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let cells = rows(&book);
    assert_eq!(cells[0].len(), 12);
    let book_ids: Vec<String> = cells[1..].iter().map(|r| text(&r[0])).collect();
    assert_eq!(book_ids, ids);
    let nhs: Vec<String> = read(&dir, "contracts/small/data/activity/2026-06.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1).map(str::to_string))
        .filter(|n| n.len() == 10)
        .collect();
    for row in &cells {
        for cell in row {
            assert!(!nhs.contains(&text(cell)), "an NHS number in the workbook");
        }
    }
    // The Summary adds up to the sheet.
    let mut xlsx: Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let summary = xlsx.worksheet_range("Summary").unwrap();
    let total = summary.rows().next_back().unwrap().to_vec();
    assert_eq!(text(&total[0]), "Total");
    assert_eq!(total[3], Data::Float(ids.len() as f64));

    // Written again from the same inputs: the same bytes, and `verify` agrees.
    let bytes = std::fs::read(&book).unwrap();
    for f in ["", "-challenges.csv", "-challenges.xlsx"] {
        let name = if f.is_empty() { ".md" } else { f };
        std::fs::remove_file(
            dir.join(format!("contracts/small/letters/2026-06-provisional{name}")),
        )
        .unwrap();
    }
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    assert_eq!(std::fs::read(&book).unwrap(), bytes, "not byte-identical");
    let verify = levers(&dir, &["verify", BOOK]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    // A workbook changed after it was written is caught.
    let mut tampered = bytes.clone();
    let last = tampered.len() - 30;
    tampered[last] ^= 1;
    std::fs::write(&book, tampered).unwrap();
    let verify = levers(&dir, &["verify", BOOK]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("is not the file its letter"));
}

#[test]
fn a_workbook_answered_in_excel_is_read_back_and_a_second_import_changes_nothing() {
    let dir = with_letter("workbook-answered");
    let log_file = dir.join("contracts/small/challenge-log.csv");
    let before = std::fs::read_to_string(&log_file).unwrap();
    let mut cells = rows(&dir.join(BOOK));
    answer(&mut cells, "2026-06/duplicate/2606-055", "accept", "", "");
    answer(
        &mut cells,
        "2026-06/fu-ratio/100",
        "reject",
        "Case mix: see the audit",
        "audit-2026-06.pdf",
    );
    save(&dir.join("answers.xlsx"), &cells);
    let out = respond(&dir, "answers.xlsx");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(&log_file).unwrap();
    assert_eq!(
        after,
        format!("{before}2026-07-20,2026-06/duplicate/2606-055,accepted,Fixture Hospital NHS Trust,\n2026-07-20,2026-06/fu-ratio/100,rejected,Fixture Hospital NHS Trust,Case mix: see the audit (evidence: audit-2026-06.pdf)\n")
    );
    let again = respond(&dir, "answers.xlsx");
    assert_eq!(again.status.code(), Some(0));
    assert!(stdout(&again).contains("nothing to record"));
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), after);
}

#[test]
fn every_bad_row_of_a_returned_workbook_is_refused_with_its_cell() {
    let dir = with_letter("workbook-refused");
    let log_file = dir.join("contracts/small/challenge-log.csv");
    let before = std::fs::read_to_string(&log_file).unwrap();
    let clean = rows(&dir.join(BOOK));
    let mut cells = clean.clone();
    // A rejection without its reason; a response that is neither; a record retyped; a value
    // changed; the same challenge answered twice, differently.
    answer(&mut cells, "2026-06/duplicate/2606-055", "reject", "", "");
    answer(&mut cells, "2026-06/fu-ratio/100", "maybe", "", "");
    let retyped = row_of(&cells, "2026-06/responsible-commissioner/2606-056");
    cells[retyped][4] = Data::String("2606-999".into());
    cells[retyped][9] = Data::String("accept".into());
    let n = cells.len();
    let priced = (1..n)
        .find(|&r| text(&cells[r][9]).is_empty() && r != retyped && text(&cells[r][6]) == "raised")
        .unwrap();
    cells[priced][9] = Data::String("accept".into());
    let mut twice = cells[priced].clone();
    twice[9] = Data::String("reject".into());
    twice[10] = Data::String("not ours".into());
    cells.push(twice);
    save(&dir.join("answers.xlsx"), &cells);
    let out = respond(&dir, "answers.xlsx");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    let row = |id: &str| row_of(&cells, id) + 1;
    let priced_id = text(&cells[priced][0]);
    for wanted in [
        format!(
            "answers.xlsx:{}:11: error: sheet Challenges, cell K{} (reason): a rejection needs its reason",
            row("2026-06/duplicate/2606-055"),
            row("2026-06/duplicate/2606-055")
        ),
        format!(
            "sheet Challenges, cell J{} (response): expected `accept` or `reject`, found `maybe`",
            row("2026-06/fu-ratio/100")
        ),
        format!(
            "sheet Challenges, cell E{} (record): the row's record is `2606-999` but its id `2026-06/responsible-commissioner/2606-056` says `2606-056`",
            retyped + 1
        ),
        format!(
            "sheet Challenges, cell A{} (id): `{priced_id}` is answered twice, differently (first at row {})",
            n + 1,
            priced + 1
        ),
    ] {
        assert!(err.contains(&wanted), "{wanted}\n{err}");
    }
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), before);
    // The value changed alone: refused against the challenge's own value.
    let mut cells = clean.clone();
    cells[priced][5] = Data::Float(0.01);
    cells[priced][9] = Data::String("accept".into());
    save(&dir.join("answers.xlsx"), &cells);
    let err = stderr(&respond(&dir, "answers.xlsx"));
    assert!(
        err.contains(&format!(
            "sheet Challenges, cell F{} (value): the row shows a value of £0.01 where challenge `{priced_id}` is for",
            priced + 1
        )),
        "{err}"
    );
    // Columns moved: the header is refused, and nothing else is read.
    let mut cells = clean.clone();
    cells[0].swap(9, 10);
    save(&dir.join("answers.xlsx"), &cells);
    let err = stderr(&respond(&dir, "answers.xlsx"));
    assert!(
        err.contains("answers.xlsx:1:1: error: sheet Challenges, cell A1 (id): expected the header id, month, rule"),
        "{err}"
    );
    // Not a workbook at all.
    std::fs::write(dir.join("answers.xlsx"), "id,response\n").unwrap();
    let err = stderr(&respond(&dir, "answers.xlsx"));
    assert!(err.contains("cannot read the workbook"), "{err}");
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), before);
}

/// The provider's deadline is in the action log while any challenge awaits an answer, and the
/// action is done once the last is answered.
#[test]
fn the_action_log_carries_the_answer_deadline_until_every_challenge_is_answered() {
    let dir = with_letter("workbook-actions");
    let actions = || {
        ok(&levers(&dir, &["actions", "--today", "2026-07-20"]));
        read(&dir, "contracts/small/action-log.md")
    };
    let log = actions();
    assert!(
        log.contains("| Answer 14 data challenges for June 2026 (worth £4,677.60) (CHL-2026-06-2026-07-20) | Sam Cole, Director of Contracts | 20 July 2026 | data challenges, June 2026 | — |"),
        "{log}"
    );
    let mut cells = rows(&dir.join(BOOK));
    for row in cells.iter_mut().skip(1) {
        if text(&row[1]) == "2026-06" && text(&row[6]) == "raised" {
            row[9] = Data::String("accept".into());
        }
    }
    save(&dir.join("answers.xlsx"), &cells);
    ok(&respond(&dir, "answers.xlsx"));
    let log = actions();
    assert!(!log.contains("Answer 14 data challenges"), "{log}");
    assert!(
        log.contains("| Answer the data challenges for June 2026 (CHL-2026-06-2026-07-20) | Sam Cole, Director of Contracts | 20 July 2026 | 20 July 2026 | Done: every challenge answered | data challenges, June 2026 | — |"),
        "{log}"
    );
    let status = ok(&levers(
        &dir,
        &["status", "--today", "2026-07-20", "--format", "json"],
    ));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status[0]["awaiting_response"], 1, "April's one is left");
}

/// What a hostile or careless return cannot do: grow the log without bound, be re-imported
/// over the commissioner's later events, lose a field, or be dated before its month ended.
#[test]
fn a_return_cannot_overgrow_the_log_or_undo_what_followed_it() {
    let dir = with_letter("workbook-hostile");
    let log_file = dir.join("contracts/small/challenge-log.csv");
    let before = std::fs::read_to_string(&log_file).unwrap();
    let csv = |text: &str| std::fs::write(dir.join("answers.csv"), text).unwrap();
    csv(&format!(
        "id,response,reason\n2026-06/fu-ratio/100,reject,{}\n2026-06/duplicate/2606-055,reject,Not a duplicate, see notes\n2026-06/responsible-commissioner/2606-056,,a reason alone\n",
        "x".repeat(2_001)
    ));
    let err = stderr(&respond(&dir, "answers.csv"));
    for wanted in [
        "answers.csv:2:3: error: the reason is 2001 characters long; at most 2000",
        "answers.csv:3:4: error: expected 3 fields (id,response,reason), found 4",
        "answers.csv:4:2: error: a reason or evidence without a response",
    ] {
        assert!(err.contains(wanted), "{wanted}\n{err}");
    }
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), before);
    // An answer dated before its month ended is refused.
    csv("id,response,reason\n2026-06/fu-ratio/100,accept,\n");
    let early = respond_on(&dir, "answers.csv", "2026-06-15");
    assert!(
        stderr(&early).contains("before June 2026 had ended: check --today"),
        "{}",
        stderr(&early)
    );
    // Answered, then withdrawn by the commissioner: the same file again changes nothing.
    csv("id,response,reason\n2026-06/fu-ratio/100,reject,Case mix\n");
    ok(&respond(&dir, "answers.csv"));
    ok(&levers(
        &dir,
        &[
            "log",
            "-c",
            "small",
            "2026-06/fu-ratio/100",
            "WITHDRAWN",
            "--today",
            "2026-07-21",
        ],
    ));
    let after = std::fs::read_to_string(&log_file).unwrap();
    let again = respond_on(&dir, "answers.csv", "2026-07-22");
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), after);
}
