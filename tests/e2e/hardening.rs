//! Faults, hostile input and git trouble: each test pins one way levers once lost data, took
//! the wrong money, crashed, or let something in, and what it does now.

use crate::common::*;
use std::path::Path;

const TODAY: &str = "2026-07-25";

fn import(month: &str, file: &Path) -> Vec<String> {
    vec![
        "import".into(),
        "-c".into(),
        "small".into(),
        "-m".into(),
        month.into(),
        "activity".into(),
        file.to_str().unwrap().into(),
        "--today".into(),
        TODAY.into(),
    ]
}

fn run_levers(dir: &Path, args: &[String], fault: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_levers"));
    command.current_dir(dir).env("NO_COLOR", "1").args(args);
    if let Some(point) = fault {
        command.env("LEVERS_FAULT", point);
    }
    command.output().unwrap()
}

/// An edit that keeps a data file's size, with its modification time set back as it was,
/// is noticed: the cache answers only for a file whose metadata it can trust.
#[test]
fn an_edit_keeping_size_and_time_is_not_answered_from_the_cache() {
    let dir = fixture("hard-cache");
    let args = ["kpi", "-m", "2026-06", "--format", "json", "--today", TODAY];
    let first = ok(&levers(&dir, &args));
    let data = dir.join("contracts/small/data/activity/2026-06.csv");
    let modified = std::fs::metadata(&data).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, text.replacen(",800,150.00", ",200,150.00", 1)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&data)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(
        std::fs::metadata(&data).unwrap().modified().unwrap(),
        modified
    );
    let second = ok(&levers(&dir, &args));
    assert_ne!(first, second, "the edit shows");
    let cold = {
        std::fs::remove_dir_all(dir.join(".levers/cache")).unwrap();
        ok(&levers(&dir, &args))
    };
    assert_eq!(second, cold, "as a cold run reads it");
}

/// A submissions file with a line levers cannot read is never rewritten from what could be
/// read of it: the import is refused, naming the line, and nothing changes.
#[test]
fn import_never_rewrites_a_record_file_it_cannot_read_whole() {
    let dir = fixture("hard-submissions");
    let submissions = dir.join("contracts/small/submissions.csv");
    let mut bytes = std::fs::read(&submissions).unwrap();
    bytes.extend_from_slice(b"2026-07,activity,2026-07-1\xff\n");
    std::fs::write(&submissions, &bytes).unwrap();
    let source = dir.join("../hard-submissions.csv");
    std::fs::copy(
        dir.join("contracts/small/data/activity/2026-06.csv"),
        &source,
    )
    .unwrap();
    let before = snapshot(&dir);
    let out = run_levers(&dir, &import("2026-07", &source), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("submissions.csv:5:1: error: this line is not UTF-8 text"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&dir), before, "nothing was written");
    assert_eq!(std::fs::read(&submissions).unwrap(), bytes);
}

/// A kill at each step of an import leaves a state levers reads correctly, and importing
/// again completes it: never a stored month without its receipt that a re-import refuses.
#[test]
fn an_import_killed_at_any_step_is_completed_by_importing_again() {
    for point in ["import:after-receipt", "import:after-store"] {
        let dir = fixture(&format!("hard-kill-{}", point.replace(':', "-")));
        let source = dir.join("../kill.csv");
        std::fs::copy(
            dir.join("contracts/small/data/activity/2026-06.csv"),
            &source,
        )
        .unwrap();
        let args = import("2026-07", &source);
        let killed = run_levers(&dir, &args, Some(point));
        assert_ne!(
            killed.status.code(),
            Some(0),
            "{point}: the process was killed"
        );
        let stored = dir.join("contracts/small/data/activity/2026-07.csv");
        let receipts = read(&dir, "contracts/small/submissions.csv");
        assert!(
            receipts.ends_with("2026-07,activity,2026-07-25\n"),
            "{point}"
        );
        assert_eq!(stored.exists(), point == "import:after-store", "{point}");
        // What was left reads correctly: a receipt with no file is no data.
        if !stored.exists() {
            let kpis = ok(&levers(
                &dir,
                &["kpi", "-m", "2026-07", "--format", "json", "--today", TODAY],
            ));
            assert!(kpis.contains("\"rag\": \"missing\""), "{point}");
        }
        let again = ok(&run_levers(&dir, &args, None));
        assert!(
            again.contains("imported") || again.contains("already stored"),
            "{point}: {again}"
        );
        assert_eq!(
            std::fs::read(&stored).unwrap(),
            std::fs::read(&source).unwrap(),
            "{point}"
        );
        assert_eq!(
            read(&dir, "contracts/small/submissions.csv")
                .matches("2026-07,activity")
                .count(),
            1,
            "{point}: one receipt"
        );
        // No temporary file is left where anyone would see it.
        assert!(std::fs::read_dir(dir.join("contracts/small/data/activity"))
            .unwrap()
            .all(|e| e.unwrap().file_name().to_string_lossy().ends_with(".csv")));
    }
}

#[test]
fn a_column_named_twice_is_an_error_at_line_1() {
    let dir = fixture("hard-header");
    let data = dir.join("contracts/small/data/activity/2026-06.csv");
    let text = read(&dir, "contracts/small/data/activity/2026-06.csv");
    let (header, rest) = text.split_once('\n').unwrap();
    let rows: String = rest.lines().map(|l| format!("{l},XX\n")).collect();
    std::fs::write(&data, format!("{header},pod\n{rows}")).unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("2026-06.csv:1:11: error: the column `pod` is named more than once in the header (fields 4 and 11)"),
        "{}",
        stdout(&out)
    );
}

/// Hostile or absurd contract values are errors in `check`, each at its place, and the
/// portfolio carries on without the contract.
#[test]
fn absurd_numbers_are_refused_where_they_are_written() {
    let dir = fixture("hard-numbers");
    let file = dir.join("contracts/small/contract.toml");
    let text = read(&dir, "contracts/small/contract.toml")
        .replace("cap = \"2.5%\"", "cap = \"99999999999999999999999999%\"")
        .replace("max = \"2.0\"", "max = \"79228162514264337593543950335\"")
        .replace("due = \"wd 5\"", "due = \"wd 4294967295\"")
        .replace(
            "per_excess = \"1000.00\"",
            "per_excess = \"99999999999999999999.00\"",
        )
        .replace(
            "where = \"pod = 'AE'\"",
            &format!(
                "where = \"{}pod = 'AE'{}\"",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
        );
    std::fs::write(&file, text).unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = stdout(&out);
    for expected in [
        "error: `cap` must be a percentage from 0% to 100%",
        "error: `max`: 79228162514264337593543950335 is beyond any figure a contract sets",
        "error: `wd 4294967295`: expected \"wd N\"",
        "error: `per_excess`: £99,999,999,999,999,999,999.00 is beyond any contract's sums",
        "the expression nests more than 200 levels deep",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(!stdout.contains("internal error"));
    let status = levers(&dir, &["status", "--today", TODAY]);
    assert_eq!(status.status.code(), Some(1));
    assert!(stderr(&status).contains("contract `small` is left out"));
}

/// Only regular files are read: a named pipe would hang a read, a device never end one.
#[cfg(unix)]
#[test]
fn a_pipe_or_a_device_is_refused_not_read() {
    let dir = fixture("hard-fifo");
    let data = dir.join("contracts/small/data/activity/2026-07.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&data)
        .status()
        .unwrap();
    assert!(made.success());
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("2026-07.csv:1:1: error: cannot read the file: it is a named pipe (FIFO), not a regular file"), "{}", stdout(&out));
    let refused = levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-08",
            "activity",
            "/dev/zero",
            "--today",
            TODAY,
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("it is a device, not a regular file"),
        "{}",
        stderr(&refused)
    );
}

/// A UTF-16 file is named as such; a ten-megabyte line without a newline gives a bounded
/// report, not a hundred megabytes of it.
#[test]
fn encodings_and_enormous_lines_are_reported_briefly() {
    let dir = fixture("hard-encoding");
    let text = read(&dir, "contracts/small/data/activity/2026-06.csv");
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(dir.join("contracts/small/data/activity/2026-06.csv"), utf16).unwrap();
    let mut long = text.lines().next().unwrap().to_string();
    long.push('\n');
    long.push_str(&"x".repeat(10 << 20));
    std::fs::write(dir.join("contracts/small/data/activity/2026-05.csv"), long).unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report.contains("2026-06.csv:1:1: error: the file is UTF-16LE text; levers reads UTF-8"),
        "{report}"
    );
    assert!(
        report.len() < 20_000,
        "a bounded report: {} bytes",
        report.len()
    );
}

/// A folder that links outside the workspace is never written through, and `check` warns of a
/// data file that links outside it (git does not keep it).
#[cfg(unix)]
#[test]
fn links_out_of_the_workspace_are_refused() {
    let dir = fixture("hard-links");
    let outside = temp_dir("hard-links-outside");
    std::os::unix::fs::symlink(&outside, dir.join("contracts/small/letters")).unwrap();
    let out = letter(&dir, "2026-06", "provisional", TODAY);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("links outside the workspace"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    std::fs::remove_file(dir.join("contracts/small/letters")).unwrap();
    let elsewhere = outside.join("2026-07.csv");
    std::fs::copy(
        dir.join("contracts/small/data/activity/2026-06.csv"),
        &elsewhere,
    )
    .unwrap();
    std::os::unix::fs::symlink(
        &elsewhere,
        dir.join("contracts/small/data/activity/2026-07.csv"),
    )
    .unwrap();
    let check = levers(&dir, &["check", "--today", TODAY]);
    assert!(
        stdout(&check)
            .contains("2026-07.csv:1:1: warning: this data file links outside the workspace"),
        "{}",
        stdout(&check)
    );
}

/// Record keys a provider controls cannot run as spreadsheet formulas, and control
/// characters never reach an output.
#[test]
fn provider_text_is_neutralised_in_every_output() {
    let dir = fixture("hard-injection");
    let data = dir.join("contracts/small/data/activity/2026-06.csv");
    let text = read(&dir, "contracts/small/data/activity/2026-06.csv");
    // A challenged row (wrong commissioner) whose key is a formula with an escape in it.
    let hostile = "=HYPERLINK(\"http://x.example\")\u{1b}[31m";
    let row = format!(
        "\"{}\",,99X,AE,100,VB01Z,2026-06-03,2026-06-03,90,150.00\n",
        hostile.replace('"', "\"\"")
    );
    std::fs::write(&data, format!("{text}{row}")).unwrap();
    let csv = ok(&levers(
        &dir,
        &[
            "challenges",
            "-m",
            "2026-06",
            "--format",
            "csv",
            "--today",
            TODAY,
        ],
    ));
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"));
    assert!(!csv.contains('\u{1b}'));
    ok(&letter(&dir, "2026-06", "provisional", TODAY));
    let companion = read(
        &dir,
        "contracts/small/letters/2026-06-provisional-challenges.csv",
    );
    assert!(companion.contains("'=HYPERLINK") && !companion.contains('\u{1b}'));
    let table = ok(&levers(
        &dir,
        &["challenges", "-m", "2026-06", "--today", TODAY],
    ));
    assert!(!table.contains('\u{1b}'));
}

/// A title that holds a line break and `---` cannot end the letter's YAML block, and a
/// reissue reason holding `-->` cannot end its provenance comment.
#[test]
fn interpolated_text_cannot_break_out_of_its_context() {
    let dir = fixture("hard-yaml");
    let file = dir.join("contracts/small/contract.toml");
    let text = read(&dir, "contracts/small/contract.toml").replace(
        "title = \"Fixture acute contract\"",
        "title = \"Fixture\\n---\\ninjected: true\"",
    );
    std::fs::write(&file, text).unwrap();
    let args = [
        "letter", "-c", "small", "-m", "2026-05", "--stage", "final", "--today", TODAY,
    ];
    ok(&levers(&dir, &args));
    let letter = read(&dir, "contracts/small/letters/2026-05-final.md");
    let block: Vec<&str> = letter.lines().skip(1).take_while(|l| *l != "---").collect();
    assert_eq!(
        block.len(),
        6,
        "the YAML block keeps its six keys: {block:?}"
    );
    assert!(!letter.contains("\ninjected: true"));
    // A later change, reissued with a reason that tries to close the comment.
    let log = dir.join("contracts/small/challenge-log.csv");
    let mut events = read(&dir, "contracts/small/challenge-log.csv");
    events.push_str("2026-07-20,2026-05/invalid-nhs-number/2605-057,accepted,Sam Cole,\n");
    std::fs::write(&log, events).unwrap();
    let mut reissue: Vec<&str> = args.to_vec();
    reissue.extend([
        "--reissue",
        "--reason",
        "late acceptance --> see below & \"note\"",
    ]);
    ok(&levers(&dir, &reissue));
    let r2 = "contracts/small/letters/2026-05-final-r2.md";
    assert_eq!(
        read(&dir, r2).matches("-->").count(),
        1,
        "only the comment's own end"
    );
    assert!(ok(&levers(&dir, &["verify", r2])).starts_with("OK"));
    let bad_reason = levers(
        &dir,
        &[&reissue[..11], &["--reason", "two\nlines"]].concat(),
    );
    assert_eq!(bad_reason.status.code(), Some(2));
}

/// No configuration can put NHS numbers into the files levers writes.
#[test]
fn an_nhs_number_can_be_neither_a_key_nor_a_group() {
    let dir = fixture("hard-nhs");
    let settings = dir.join("levers.toml");
    let mut text = read(&dir, "levers.toml");
    text.push_str("\n[datasets.activity]\nkey = \"nhs_number\"\nvalue = \"price\"\n[datasets.activity.columns]\nrecord_id = \"text\"\nnhs_number = \"nhs_number\"\ncommissioner_code = \"text\"\npod = \"text\"\ntreatment_function = \"text\"\nhrg = \"text\"\nstart_date = \"date\"\nend_date = \"date\"\nminutes_in_department = \"integer\"\nprice = \"money\"\n");
    std::fs::write(&settings, text).unwrap();
    let file = dir.join("contracts/small/contract.toml");
    let contract = read(&dir, "contracts/small/contract.toml").replace(
        "by = \"treatment_function\"\ntarget",
        "by = \"upper(nhs_number)\"\ntarget",
    );
    std::fs::write(&file, contract).unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report.contains("levers.toml")
            && report.contains("the key column `nhs_number` holds NHS numbers"),
        "{report}"
    );
    assert!(
        report.contains("`by` reads `nhs_number`, which holds NHS numbers"),
        "{report}"
    );
}

/// A commit that fails leaves nothing staged, and the next run commits what was written.
#[test]
fn a_failed_commit_is_completed_by_the_next_run() {
    let dir = committed_fixture("hard-commit");
    let git_dir = dir.join(".git");
    // Another git process holds the index.
    std::fs::write(git_dir.join("index.lock"), "").unwrap();
    let first = levers(&dir, &["run", "--today", TODAY]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("not yet committed"),
        "{}",
        stderr(&first)
    );
    std::fs::remove_file(git_dir.join("index.lock")).unwrap();
    assert!(
        git(&dir, &["diff", "--cached", "--name-only"]).is_empty(),
        "nothing staged"
    );
    let second = ok(&levers(&dir, &["run", "--today", TODAY]));
    assert!(
        second.contains("left uncommitted by an earlier run"),
        "{second}"
    );
    assert!(git(&dir, &["status", "--porcelain"]).trim().is_empty());
    assert_eq!(
        ok(&levers(&dir, &["run", "--today", TODAY])),
        "",
        "then nothing is due"
    );
}

/// What an earlier run wrote but could not commit is committed by the next run even when that
/// run cannot work out the month as of its date (a broken file for the month after): the two
/// do not wait on each other.
#[test]
fn left_over_outputs_are_committed_before_a_broken_month_stops_the_run() {
    let dir = committed_fixture("hard-left-over");
    std::fs::write(dir.join(".git/index.lock"), "").unwrap();
    let first = levers(&dir, &["run", "--today", "2026-05-27"]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    std::fs::remove_file(dir.join(".git/index.lock")).unwrap();
    // May, the month as of 5 June, gets a row with too many fields.
    let may = dir.join("contracts/small/data/activity/2026-05.csv");
    let mut text = std::fs::read_to_string(&may).unwrap();
    text.push_str("X1,not,a,row,of,this,file,at,all,,,,\n");
    std::fs::write(&may, text).unwrap();
    git(&dir, &["commit", "-qam", "May, broken"]);
    let second = levers(&dir, &["run", "--today", "2026-06-05"]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("(left uncommitted by an earlier run; commit "),
        "{}",
        stdout(&second)
    );
    assert!(
        stderr(&second).contains("2026-05.csv"),
        "{}",
        stderr(&second)
    );
    assert!(
        git(&dir, &["status", "--porcelain"]).trim().is_empty(),
        "April's letter is committed"
    );
}

#[test]
fn run_refuses_to_start_in_the_middle_of_a_merge() {
    let dir = committed_fixture("hard-merge");
    std::fs::write(
        dir.join(".git/MERGE_HEAD"),
        git(&dir, &["rev-parse", "HEAD"]),
    )
    .unwrap();
    let before = snapshot(&dir);
    let out = levers(&dir, &["run", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(3), "git trouble has its own code");
    assert!(
        stderr(&out).contains("in the middle of a merge"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&dir), before);
    assert!(git(&dir, &["diff", "--cached", "--name-only"]).is_empty());
}

/// The lock is the kernel's: a lock file left behind blocks nothing, and a live holder is
/// waited for.
#[test]
fn a_lock_file_left_behind_blocks_nothing() {
    let dir = committed_fixture("hard-lock");
    std::fs::create_dir_all(dir.join(".levers")).unwrap();
    std::fs::write(dir.join(".levers/lock"), "").unwrap();
    std::fs::write(dir.join(".levers/run.lock"), "").unwrap();
    ok(&levers(&dir, &["run", "--today", TODAY]));
    let held = levers::audit::lock::WorkspaceLock::acquire(&dir).unwrap();
    let blocked = std::process::Command::new(env!("CARGO_BIN_EXE_levers"))
        .current_dir(&dir)
        .env("LEVERS_LOCK_WAIT_MS", "300")
        .args(["run", "--today", TODAY])
        .output()
        .unwrap();
    assert_eq!(
        blocked.status.code(),
        Some(3),
        "a busy workspace is the machine's"
    );
    assert!(stderr(&blocked).contains("another levers command"));
    drop(held);
}

#[test]
fn git_missing_is_named_and_commits_carry_the_users_identity() {
    let dir = committed_fixture("hard-git");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_levers"))
        .current_dir(&dir)
        .env("PATH", "")
        .args(["run", "--today", TODAY])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("git was not found"),
        "{}",
        stderr(&out)
    );
    git(&dir, &["config", "user.name", "Priya Shah"]);
    git(&dir, &["config", "user.email", "priya@example.nhs.uk"]);
    ok(&levers(&dir, &["run", "--today", TODAY]));
    let authors = git(&dir, &["log", "-1", "--format=%an <%ae>"]);
    assert_eq!(authors.trim(), "Priya Shah <priya@example.nhs.uk>");
}

#[test]
fn a_dry_run_writes_nothing_at_all() {
    let dir = committed_fixture("hard-dry");
    let out = ok(&levers(&dir, &["run", "--dry-run", "--today", TODAY]));
    assert!(out.contains("would write"));
    assert!(!dir.join(".levers").exists(), "not even the cache");
    assert!(git(&dir, &["status", "--porcelain", "--ignored"])
        .trim()
        .is_empty());
}
