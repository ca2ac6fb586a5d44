//! End-to-end tests: the real binary on small workspaces, whole outputs compared with golden
//! files under tests/golden (regenerate with LEVERS_BLESS=1 and review the diff).

use crate::common::*;
use std::path::Path;

const TODAY: &str = "2026-07-25";

#[test]
fn kpi_json_matches_golden() {
    let dir = fixture("kpi-json");
    let out = ok(&levers(
        &dir,
        &["kpi", "-m", "2026-06", "--format", "json", "--today", TODAY],
    ));
    assert_golden("kpi-2026-06.json", &out);
}

#[test]
fn kpi_and_where_challenges_do_not_depend_on_row_order() {
    let dir = fixture("shuffle-original");
    let shuffled = fixture("shuffle-reversed");
    for month in ["2026-04", "2026-05", "2026-06"] {
        let path = shuffled.join(format!("contracts/small/data/activity/{month}.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        lines.reverse();
        std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    }
    let args = ["kpi", "-m", "2026-06", "--format", "json", "--today", TODAY];
    assert_eq!(ok(&levers(&dir, &args)), ok(&levers(&shuffled, &args)));
    // Duplicates are by definition the later row in file order; every other rule's ids are
    // independent of order.
    let ids = |d: &Path| -> Vec<String> {
        let json: Vec<serde_json::Value> = serde_json::from_str(&ok(&levers(
            d,
            &[
                "challenges",
                "-m",
                "2026-06",
                "--format",
                "json",
                "--today",
                TODAY,
            ],
        )))
        .unwrap();
        let mut ids: Vec<String> = json
            .iter()
            .filter(|c| c["rule"] != "duplicate")
            .map(|c| format!("{} {}", c["id"], c["value"]))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&dir), ids(&shuffled));
}

#[test]
fn challenges_json_matches_golden() {
    let dir = fixture("challenges-json");
    let out = ok(&levers(
        &dir,
        &[
            "challenges",
            "-m",
            "2026-06",
            "--format",
            "json",
            "--today",
            TODAY,
        ],
    ));
    assert_golden("challenges-2026-06.json", &out);
}

#[test]
fn letters_and_action_log_match_golden_and_hold_no_nhs_number() {
    let dir = fixture("letters");
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-23"));
    ok(&letter(&dir, "2026-05", "final", TODAY));
    ok(&levers(&dir, &["actions", "--today", TODAY]));
    let letters = dir.join("contracts/small/letters");
    let outputs = [
        (
            "letter-2026-06-provisional.md",
            letters.join("2026-06-provisional.md"),
        ),
        (
            "letter-2026-06-provisional-challenges.csv",
            letters.join("2026-06-provisional-challenges.csv"),
        ),
        ("letter-2026-05-final.md", letters.join("2026-05-final.md")),
        ("action-log.md", dir.join("contracts/small/action-log.md")),
    ];
    let nhs_numbers: Vec<String> =
        std::fs::read_to_string(dir.join("contracts/small/data/activity/2026-06.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1).map(str::to_string))
            .filter(|n| n.len() == 10)
            .collect();
    assert!(!nhs_numbers.is_empty());
    for (golden, path) in outputs {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_golden(golden, &text);
        for number in &nhs_numbers {
            assert!(
                !text.contains(number.as_str()),
                "{golden} contains the NHS number {number}"
            );
        }
    }
    // Markdown characters from meeting files and the log cannot break a table row.
    let log = std::fs::read_to_string(dir.join("contracts/small/action-log.md")).unwrap();
    assert!(log.contains(r"recovery plan \| with weekly milestones"));
    assert!(log.contains(r"\*follow-up\*"));
}

#[test]
fn letters_are_deterministic_and_final_letters_are_never_overwritten() {
    let dir = fixture("immutable");
    let args = [
        "letter", "-c", "small", "-m", "2026-05", "--stage", "final", "--today", TODAY,
    ];
    ok(&levers(&dir, &args));
    let path = dir.join("contracts/small/letters/2026-05-final.md");
    let first = std::fs::read(&path).unwrap();
    assert!(ok(&levers(&dir, &args)).contains("up to date"));
    assert_eq!(std::fs::read(&path).unwrap(), first);

    // A later response changes what the letter would say: refused without --reissue.
    let log = dir.join("contracts/small/challenge-log.csv");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("2026-07-20,2026-05/invalid-nhs-number/2605-057,accepted,Sam Cole,\n");
    std::fs::write(&log, text).unwrap();
    let refused = levers(&dir, &args);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("never overwritten"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        first,
        "the issued letter is untouched"
    );
    let mut reissue = args.to_vec();
    reissue.extend(["--reissue", "--reason", "Late acceptance of a challenge"]);
    ok(&levers(&dir, &reissue));
    let r2 =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-05-final-r2.md")).unwrap();
    assert!(r2.contains("Reason: Late acceptance of a challenge"));
    assert_eq!(std::fs::read(&path).unwrap(), first);
    // A provisional letter cannot change once the final exists.
    let late = letter(&dir, "2026-05", "provisional", TODAY);
    assert_eq!(late.status.code(), Some(2));
}

#[test]
fn verify_detects_an_edited_letter_and_an_edited_input() {
    let dir = fixture("verify");
    ok(&letter(&dir, "2026-06", "provisional", TODAY));
    let letter = "contracts/small/letters/2026-06-provisional.md";
    assert!(ok(&levers(&dir, &["verify", letter])).starts_with("OK"));
    let original = std::fs::read_to_string(dir.join(letter)).unwrap();
    std::fs::write(dir.join(letter), original.replace("£240.00", "£24.00")).unwrap();
    let edited = levers(&dir, &["verify", letter]);
    assert_eq!(edited.status.code(), Some(1));
    assert!(stdout(&edited).contains("MISMATCH") && stdout(&edited).contains("£24.00"));
    std::fs::write(dir.join(letter), &original).unwrap();
    let data = dir.join("contracts/small/data/activity/2026-06.csv");
    let mut text = std::fs::read_to_string(&data).unwrap();
    text.push_str("2606-999,,15N,AE,100,VB01Z,2026-06-03,2026-06-03,900,150.00\n");
    std::fs::write(&data, text).unwrap();
    let changed = levers(&dir, &["verify", letter]);
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        stdout(&changed).contains("inputs changed") && stdout(&changed).contains("2026-06.csv")
    );
}

#[test]
fn run_steps_through_a_cycle_and_is_idempotent() {
    let dir = fixture("run-cycle");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "fixture"]);
    let commits = |d: &Path| {
        git(d, &["rev-list", "--count", "HEAD"])
            .trim()
            .parse::<u32>()
            .unwrap()
    };

    // Before April's provisional letter date (working day 17 of May: 27 May 2026) nothing is due.
    let out = ok(&levers(&dir, &["run", "--today", "2026-05-26"]));
    assert_eq!(out, "");
    assert_eq!(commits(&dir), 1);

    let out = ok(&levers(&dir, &["run", "--today", "2026-05-27"]));
    assert!(
        out.contains("2026-04-provisional.md (provisional letter for small, 2026-04"),
        "{out}"
    );
    // April's follow-up ratio is red, so the ladder's first step is an action: the log is due too.
    assert!(out.contains("action-log.md (action log for small"), "{out}");
    assert_eq!(commits(&dir), 3);
    let messages = git(&dir, &["log", "--format=%s"]);
    assert!(
        messages.contains("levers: provisional letter for small, 2026-04 (inputs at "),
        "{messages}"
    );
    assert_eq!(
        ok(&levers(&dir, &["run", "--today", "2026-05-27"])),
        "",
        "a second run changes nothing"
    );
    assert_eq!(commits(&dir), 3);

    // April's final letter: working day 33 (18 June), after the response window (10 June).
    let out = ok(&levers(&dir, &["run", "--today", "2026-06-18"]));
    assert!(
        out.contains("2026-04-final.md (final letter for small, 2026-04"),
        "{out}"
    );
    assert!(
        !out.contains("2026-05"),
        "May's provisional letter is not due until 23 June: {out}"
    );
    let again = levers(&dir, &["run", "--today", "2026-06-18"]);
    assert_eq!(ok(&again), "");
    assert!(
        git(&dir, &["status", "--porcelain"]).trim().is_empty(),
        "everything written is committed"
    );

    let out = ok(&levers(&dir, &["run", "--today", "2026-06-23"]));
    assert!(out.contains("2026-05-provisional.md"), "{out}");
    let log = git(&dir, &["log", "--format=%s"]);
    assert_eq!(log.matches("letter for small, 2026-04").count(), 2, "{log}");
}

/// A run that catches up several letters commits each in turn before it builds the next, so each
/// letter's commit message names the commit of the letter before it as its inputs (a letter
/// raises challenges and bounds the next one's period), and the action log follows the last.
#[test]
fn a_run_catching_up_commits_each_letter_before_the_next() {
    let dir = committed_fixture("run-catch-up");
    let out = ok(&levers(&dir, &["run", "--today", "2026-07-30"]));
    let lines: Vec<&str> = out.lines().collect();
    let written: Vec<&str> = lines
        .iter()
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        written,
        [
            "contracts/small/letters/2026-04-final.md",
            "contracts/small/letters/2026-05-final.md",
            "contracts/small/letters/2026-06-provisional.md",
            "contracts/small/action-log.md",
        ],
        "{out}"
    );
    // Each line names its own commit, and the next letter's inputs are at that commit.
    let log = git(&dir, &["log", "--reverse", "--format=%h %s"]);
    let commits: Vec<(&str, &str)> = log
        .lines()
        .skip(1)
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    assert_eq!(commits.len(), 4, "{log}");
    for (line, (hash, _)) in lines.iter().zip(&commits) {
        assert!(
            line.ends_with(&format!("; commit {hash})")),
            "{line} / {log}"
        );
    }
    for pair in commits[..3].windows(2) {
        let ((before, _), (_, message)) = (pair[0], pair[1]);
        assert!(
            message.ends_with(&format!("(inputs at {before})")),
            "{message} should follow {before}: {log}"
        );
    }
    assert!(git(&dir, &["status", "--porcelain"]).trim().is_empty());
    // Every month measured is in the cache once the run has ended (its entries are written
    // while git commits, or at the end).
    for month in ["2026-04", "2026-05", "2026-06"] {
        let entry = dir.join(format!(".levers/cache/small/{month}.json"));
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            text.contains(&format!("\"month\":\"{month}\"")),
            "{}",
            entry.display()
        );
    }
}

#[test]
fn two_runs_at_once_do_not_interleave() {
    let dir = fixture("run-concurrent");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "fixture"]);
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_levers"))
            .current_dir(&dir)
            .args(["run", "--today", TODAY])
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    for out in [&a, &b] {
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "{}",
            stderr(out)
        );
        if out.status.code() == Some(2) {
            assert!(stderr(out).contains("another levers command (run or import) is at work"));
        }
    }
    let log = git(&dir, &["log", "--format=%s"]);
    for letter in ["2026-04 (", "2026-05 (", "2026-06 ("] {
        assert!(
            log.matches(letter).count() <= 2,
            "no letter is committed twice: {log}"
        );
    }
    assert!(git(&dir, &["status", "--porcelain"]).trim().is_empty());
    // The lock went with the runs: a third one starts at once and has nothing to do.
    assert_eq!(ok(&levers(&dir, &["run", "--today", TODAY])), "");
}

#[test]
fn import_refuses_a_bad_file_whole_and_stores_a_good_one() {
    let dir = fixture("import");
    let before = snapshot(&dir);
    let bad = dir.join("../bad.csv");
    std::fs::write(
        &bad,
        "record_id,nhs_number,commissioner_code,pod,treatment_function,hrg,start_date,end_date,minutes_in_department,price\n\
         A1,,15N,AE,100,X,2026-02-30,2026-07-01,10,1.00\n\
         A2,,15N,AE,100,X,2026-07-01,2026-07-01,10,12.345\n",
    )
    .unwrap();
    let out = levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-07",
            "activity",
            bad.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":2:7: error: column `start_date`")
            && err.contains(":3:10: error: column `price`"),
        "{err}"
    );
    assert_eq!(snapshot(&dir), before, "a refused import changes nothing");

    let missing = dir.join("../missing-column.csv");
    std::fs::write(&missing, "record_id,price\nA1,1.00\n").unwrap();
    let out = levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-07",
            "activity",
            missing.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(":1:1: error: missing required column `nhs_number`"),
        "{}",
        stderr(&out)
    );

    let good = dir.join("contracts/small/data/activity/2026-06.csv");
    let bytes = std::fs::read(&good).unwrap();
    let source = dir.join("../good.csv");
    std::fs::write(&source, &bytes).unwrap();
    let out = ok(&levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-07",
            "activity",
            source.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    ));
    assert!(out.contains("58 rows"), "{out}");
    assert_eq!(
        std::fs::read(dir.join("contracts/small/data/activity/2026-07.csv")).unwrap(),
        bytes
    );
    assert!(
        std::fs::read_to_string(dir.join("contracts/small/submissions.csv"))
            .unwrap()
            .ends_with("2026-07,activity,2026-07-25\n")
    );
    let again = levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-07",
            "activity",
            source.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    );
    assert!(
        ok(&again).contains("already stored"),
        "the same file again changes nothing"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("contracts/small/submissions.csv"))
            .unwrap()
            .matches("2026-07,activity")
            .count(),
        1
    );
    let mut changed = bytes.clone();
    changed.extend_from_slice(b"2607-999,,15N,AE,100,VB01Z,2026-07-03,2026-07-03,90,150.00\n");
    std::fs::write(&source, &changed).unwrap();
    let different = levers(
        &dir,
        &[
            "import",
            "-c",
            "small",
            "-m",
            "2026-07",
            "activity",
            source.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    );
    assert_eq!(
        different.status.code(),
        Some(2),
        "a different file for a month already imported needs --replace"
    );
}

#[test]
fn init_makes_a_workspace_that_passes_check() {
    let dir = temp_dir("init");
    let target = dir.join("new");
    ok(&levers(
        &dir,
        &["init", target.to_str().unwrap(), "--today", TODAY],
    ));
    ok(&levers(&target, &["check", "--today", TODAY]));
    ok(&levers(
        &target,
        &["kpi", "-m", "2026-06", "--today", TODAY],
    ));
    // A git repository whose first commit holds every input, so letters can name it.
    let committed = git(&target, &["ls-files"]);
    assert!(
        committed.contains("contracts/example/contract.toml"),
        "{committed}"
    );
    assert!(git(&target, &["status", "--porcelain"]).is_empty());
    ok(&levers(&target, &["run", "--today", TODAY]));
    let letter =
        std::fs::read_to_string(target.join("contracts/example/letters/2026-06-provisional.md"))
            .unwrap();
    assert!(
        !letter.contains("commit uncommitted"),
        "the inputs were committed"
    );
    let again = levers(&dir, &["init", target.to_str().unwrap(), "--today", TODAY]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn the_example_workspace_passes_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = levers(root, &["check", "--today", "2026-11-23"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn bad_cells_are_reported_with_file_line_and_column() {
    let dir = fixture("bad-cells");
    let data = dir.join("contracts/small/data/activity/2026-05.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[3] = lines[3].replace(",2026-05-03,2026-05-03,", ",2026-02-30,2026-05-03,");
    lines[5] = lines[5].replace(",150.00", ",150.005");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let out = levers(&dir, &["check", "--format", "json", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    let problems: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}",
                p["file"].as_str().unwrap(),
                p["line"],
                p["column"]
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "contracts/small/data/activity/2026-05.csv:4:7",
            "contracts/small/data/activity/2026-05.csv:6:10"
        ]
    );
    // Report commands refuse to compute from unreadable data (exit 2), naming the cells.
    let kpi = levers(
        &dir,
        &["kpi", "-c", "small", "-m", "2026-05", "--today", TODAY],
    );
    assert_eq!(kpi.status.code(), Some(2));
    assert!(stderr(&kpi).contains("2026-05.csv:4:7: error: column `start_date`"));
    assert!(!stderr(&kpi).contains("panicked"));
    // Across the portfolio the contract is reported and left out, and the command exits 1.
    let all = levers(&dir, &["kpi", "-m", "2026-05", "--today", TODAY]);
    assert_eq!(all.status.code(), Some(1));
    assert!(stderr(&all).contains("contract `small` is left out"));
    assert!(stderr(&all).contains("2026-05.csv:4:7: error: column `start_date`"));
}

#[test]
fn usage_errors_exit_2_without_a_backtrace() {
    let dir = fixture("usage");
    for args in [
        vec!["kpi", "-m", "2026-13"],
        vec!["kpi", "-m", "2026-06", "-c", "nope"],
        vec!["explain", "-c", "small", "-m", "2026-06", "ae-4h"],
        vec!["frobnicate"],
    ] {
        let out = levers(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            !stderr(&out).contains("panicked") && !stderr(&out).contains("RUST_BACKTRACE"),
            "{}",
            stderr(&out)
        );
    }
    let hint = levers(
        &dir,
        &[
            "explain", "-c", "small", "-m", "2026-06", "ae-4h", "--today", TODAY,
        ],
    );
    assert!(
        stderr(&hint).contains("did you mean `ae-4hr`?"),
        "{}",
        stderr(&hint)
    );
}

#[test]
fn the_cache_is_invalidated_by_a_changed_input_or_contract() {
    let dir = fixture("cache");
    let args = ["kpi", "-m", "2026-06", "--format", "json", "--today", TODAY];
    let first = ok(&levers(&dir, &args));
    assert!(dir.join(".levers/cache/small/2026-06.json").exists());
    assert_eq!(
        ok(&levers(&dir, &args)),
        first,
        "answered from the cache, the same"
    );
    // A changed data file (same size, so only the hash can tell).
    let data = dir.join("contracts/small/data/activity/2026-06.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, text.replacen(",800,150.00", ",200,150.00", 1)).unwrap();
    let changed = ok(&levers(&dir, &args));
    assert_ne!(changed, first, "a changed input is re-read");
    // A changed contract.
    let contract = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&contract).unwrap();
    std::fs::write(
        &contract,
        text.replace(
            "numerator = \"minutes_in_department <= 240\"",
            "numerator = \"minutes_in_department <= 100\"",
        ),
    )
    .unwrap();
    assert_ne!(
        ok(&levers(&dir, &args)),
        changed,
        "a changed contract is re-measured"
    );
}

#[test]
fn a_template_override_is_used_and_checked() {
    let dir = fixture("template");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/letter.md"),
        "{{ salutation }},\n\n{{ summary }}\n\n{{ provenance }}",
    )
    .unwrap();
    ok(&levers(&dir, &["check", "--today", TODAY]));
    ok(&letter(&dir, "2026-06", "provisional", TODAY));
    let letter =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-06-provisional.md"))
            .unwrap();
    assert!(
        letter.starts_with("Dear Sam Cole,\n\nSummary: 4 of 7 requirements met"),
        "{letter}"
    );
    assert!(
        letter.contains("input: templates/letter.md sha256 "),
        "the override is an input of the letter"
    );
    std::fs::write(
        dir.join("templates/letter.md"),
        "{{ salutation }},\n{% for x in %}\n",
    )
    .unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("templates/letter.md:2:1: error: template error"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn challenge_ids_do_not_depend_on_the_order_of_rules() {
    let dir = fixture("rule-order");
    let reordered = fixture("rule-order-reversed");
    let path = reordered.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("[[challenge]]").unwrap();
    let end = text.find("[[escalation]]").unwrap();
    let mut blocks: Vec<&str> = text[start..end]
        .split("[[challenge]]")
        .filter(|b| !b.trim().is_empty())
        .collect();
    blocks.reverse();
    let rules: String = blocks.iter().map(|b| format!("[[challenge]]{b}")).collect();
    std::fs::write(&path, format!("{}{rules}{}", &text[..start], &text[end..])).unwrap();
    let args = [
        "challenges",
        "-m",
        "2026-06",
        "--format",
        "json",
        "--today",
        TODAY,
    ];
    assert_eq!(ok(&levers(&dir, &args)), ok(&levers(&reordered, &args)));
}

#[test]
fn run_skips_a_broken_contract_and_still_runs_the_others() {
    let dir = fixture("run-broken");
    std::fs::create_dir_all(dir.join("contracts/broken")).unwrap();
    std::fs::write(dir.join("contracts/broken/contract.toml"), "title = \"Broken\"\nprovider = { name = \"P\" }\nstart = 2026-04-01\nend = 2027-03-31\nannual_value = \"1.00\"\n[[kpi]]\nid = \"k\"\ncount = \"nonsense = \"\n").unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "fixture"]);
    let out = levers(&dir, &["run", "--today", "2026-05-27"]);
    assert_eq!(out.status.code(), Some(1), "something needs a person");
    assert!(
        stderr(&out).contains("skipping contract `broken`")
            && stderr(&out).contains("contracts/broken/contract.toml:8:21:"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("2026-04-provisional.md (provisional letter for small"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn markdown_characters_in_contract_text_do_not_break_a_letter_table() {
    let dir = fixture("markdown");
    let path = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "name = \"A&E within 4 hours\"",
        "name = \"A&E | within *4* hours_total\"",
    );
    std::fs::write(&path, text).unwrap();
    ok(&letter(&dir, "2026-06", "provisional", TODAY));
    let letter =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-06-provisional.md"))
            .unwrap();
    let row = letter
        .lines()
        .find(|l| l.contains("within"))
        .expect("the KPI's row");
    assert!(
        row.starts_with(r"| A&E \| within \*4\* hours\_total |"),
        "{row}"
    );
    let unescaped = row.replace(r"\|", "").matches('|').count();
    assert_eq!(unescaped, 8, "seven cells: {row}");
}

#[test]
fn run_refuses_to_commit_into_the_levers_repository_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Only meaningful in a checkout (CI's fresh clone is one); a source archive has no history.
    if !root.join(".git").exists() {
        return;
    }
    let letters = |dir: &str| -> Vec<std::path::PathBuf> {
        let mut names: Vec<_> = std::fs::read_dir(root.join(dir))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    let before = letters("contracts/northshore-acute/letters");
    let out = levers(root, &["run", "--today", "2026-11-25"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("levers' own source repository"));
    assert_eq!(
        letters("contracts/northshore-acute/letters"),
        before,
        "nothing was written"
    );
}

/// The outputs people read, kept as golden files like the JSON: the KPI, challenge and status
/// tables, an explanation, and `check`'s problems with their carets.
#[test]
fn human_readable_outputs_match_golden() {
    let dir = fixture("tables");
    for (golden, args) in [
        ("kpi-2026-06.txt", &["kpi", "-m", "2026-06"][..]),
        (
            "challenges-2026-06.txt",
            &["challenges", "-m", "2026-06"][..],
        ),
        ("status-2026-06.txt", &["status", "-m", "2026-06"][..]),
        (
            "explain-2026-06.txt",
            &["explain", "-c", "small", "-m", "2026-06", "ae-4hr"][..],
        ),
        (
            "kpi-2026-06.csv",
            &["kpi", "-m", "2026-06", "--format", "csv"][..],
        ),
        (
            "status-2026-06.csv",
            &["status", "-m", "2026-06", "--format", "csv"][..],
        ),
    ] {
        let mut args = args.to_vec();
        args.extend(["--today", TODAY]);
        assert_golden(golden, &ok(&levers(&dir, &args)));
    }
    // Explanations are words: there is no CSV of one, and asking is a usage error.
    let csv = levers(
        &dir,
        &[
            "explain", "-c", "small", "-m", "2026-06", "ae-4hr", "--format", "csv", "--today",
            TODAY,
        ],
    );
    assert_eq!(csv.status.code(), Some(2));
    assert!(stderr(&csv).contains("has no CSV form"), "{}", stderr(&csv));
    assert!(stdout(&csv).is_empty());

    // check's text: each problem with its line and a caret under the fault.
    let contract = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&contract).unwrap();
    let broken = text.replacen(
        "id = \"ae-12hr\"\n",
        "id = \"ae-12hr\"\nfrom = \"activty\"\n",
        1,
    );
    assert_ne!(broken, text, "the fixture names its dataset");
    std::fs::write(&contract, broken).unwrap();
    let data = dir.join("contracts/small/data/activity/2026-05.csv");
    let rows = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, rows.replacen(",150.00", ",150.005", 1)).unwrap();
    let out = levers(&dir, &["check", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    assert_golden("check-problems.txt", &stdout(&out));
}

/// Shell completions and the man page come from the same clap definitions as the parser.
#[test]
fn completions_and_the_man_page_describe_every_command() {
    let dir = temp_dir("describe");
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&levers(&dir, &["completions", shell]));
        for command in [
            "check",
            "kpi",
            "challenges",
            "letter",
            "run",
            "explain",
            "status",
        ] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
    }
    let page = ok(&levers(&dir, &["man"]));
    assert!(
        page.starts_with(".ie") && page.contains(".TH levers 1"),
        "{page}"
    );
    assert!(page.contains("levers\\-check") || page.contains("check"));
    let bad = levers(&dir, &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Changes the user has staged are theirs: levers' commits hold only the files it wrote, and
/// the user's change is still staged afterwards, whether it is inside the workspace or
/// elsewhere in the repository (even with a setting that makes `git diff` in the workspace
/// blind to the rest of it); with nothing else staged, the same files are committed.
#[test]
fn run_commits_only_its_own_files_and_leaves_the_users_staged() {
    // The files levers' commits changed since `from`, and the user's staged files.
    let since = |repo: &Path, from: &str| -> (String, String) {
        let changed = git(repo, &["diff", "--name-only", from, "HEAD"]);
        (changed, git(repo, &["diff", "--cached", "--name-only"]))
    };
    let head = |repo: &Path| git(repo, &["rev-parse", "HEAD"]).trim().to_string();
    let repo = temp_dir("run-staged");
    let dir = repo.join("workspace");
    copy_tree(&fixture("run-staged-fixture"), &dir);
    std::fs::write(repo.join("elsewhere.txt"), "before\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "fixture"]);
    let fixture_commit = head(&repo);
    std::fs::write(repo.join("elsewhere.txt"), "the user's edit\n").unwrap();
    git(&repo, &["add", "elsewhere.txt"]);
    git(&repo, &["config", "diff.relative", "true"]);
    let out = ok(&levers(&dir, &["run", "--today", "2026-05-27"]));
    assert!(out.contains("2026-04-provisional.md"), "{out}");
    let (first, staged) = since(&repo, &fixture_commit);
    assert!(
        first
            .lines()
            .all(|f| f.starts_with("workspace/contracts/small/")),
        "{first}"
    );
    assert!(
        first.contains("2026-04-provisional-challenges.xlsx"),
        "{first}"
    );
    assert_eq!(staged, "elsewhere.txt\n");
    // Staged inside the workspace too, before the next month's letter.
    let after_first = head(&repo);
    std::fs::write(dir.join("notes.txt"), "the user's note\n").unwrap();
    git(&repo, &["add", "workspace/notes.txt"]);
    let out = ok(&levers(&dir, &["run", "--today", "2026-06-26"]));
    assert!(out.contains("2026-05-provisional.md"), "{out}");
    let (second, staged) = since(&repo, &after_first);
    assert!(
        second
            .lines()
            .all(|f| f.starts_with("workspace/contracts/small/")),
        "{second}"
    );
    assert_eq!(staged, "elsewhere.txt\nworkspace/notes.txt\n");

    // Nothing else staged: the same files committed, and nothing left over.
    let plain = committed_fixture("run-unstaged");
    let plain_fixture = head(&plain);
    ok(&levers(&plain, &["run", "--today", "2026-05-27"]));
    let (plain_changed, plain_staged) = since(&plain, &plain_fixture);
    assert_eq!(first.replace("workspace/", ""), plain_changed);
    assert_eq!(plain_staged, "");
    assert_eq!(git(&plain, &["status", "--porcelain"]), "");
}
