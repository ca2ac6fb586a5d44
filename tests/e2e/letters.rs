//! What a letter claims must follow from the files: each test pins one claim a provider's
//! finance team would check, on the small fixture or a workspace written here.

use crate::common::*;
use std::path::Path;

#[test]
fn a_final_letter_says_whether_it_follows_a_provisional_letter() {
    let dir = fixture("letters-follow");
    // May: no provisional letter was ever written, so the final one cannot claim to follow one.
    ok(&letter(&dir, "2026-05", "final", "2026-07-25"));
    let may = read(&dir, "contracts/small/letters/2026-05-final.md");
    assert!(may.contains("No provisional letter was issued for May 2026"));
    assert!(!may.contains("follows our provisional letter"));
    assert!(may.contains("Please respond to each challenge by"));
    // June: the provisional letter goes out on 23 July, the final after the freeze.
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-23"));
    ok(&letter(&dir, "2026-06", "final", "2026-08-20"));
    let june = read(&dir, "contracts/small/letters/2026-06-final.md");
    assert!(june.contains("It follows our provisional letter of 23 July 2026"));
    // This month's challenges by where they stand, not "we challenge N records" again.
    assert!(june.contains("Our provisional letter put 14 challenges for June 2026 to you"));
    assert!(june.contains("| Awaiting your response |"));
    assert!(!june.contains("We challenge 14 records"));
}

#[test]
fn a_final_letter_waits_for_the_freeze_date_unless_forced() {
    let dir = fixture("letters-freeze");
    // June's freeze date is 11 August 2026.
    let early = letter(&dir, "2026-06", "final", "2026-07-25");
    assert_eq!(early.status.code(), Some(2));
    assert!(
        stderr(&early).contains("final data (freeze) date, 11 August 2026"),
        "{}",
        stderr(&early)
    );
    assert!(!dir.join("contracts/small/letters").exists());
    ok(&levers(
        &dir,
        &[
            "letter",
            "-c",
            "small",
            "-m",
            "2026-06",
            "--stage",
            "final",
            "--today",
            "2026-07-25",
            "--force",
        ],
    ));
    let forced = read(&dir, "contracts/small/letters/2026-06-final.md");
    assert!(forced.contains("--today 2026-07-25 --force"));
    ok(&levers(
        &dir,
        &["verify", "contracts/small/letters/2026-06-final.md"],
    ));
}

#[test]
fn a_final_letter_waits_for_the_response_window_on_the_provisional_letter() {
    let dir = fixture("letters-window");
    ok(&letter(&dir, "2026-06", "provisional", "2026-08-10"));
    // The provider has ten working days from 10 August: until 24 August.
    let early = letter(&dir, "2026-06", "final", "2026-08-20");
    assert_eq!(early.status.code(), Some(2));
    assert!(
        stderr(&early).contains(
            "until 24 August 2026 to respond to the provisional letter of 10 August 2026"
        ),
        "{}",
        stderr(&early)
    );
    ok(&letter(&dir, "2026-06", "final", "2026-08-25"));
}

#[test]
fn a_month_with_no_data_gets_no_letter() {
    let dir = fixture("letters-no-data");
    let out = letter(&dir, "2026-08", "provisional", "2026-09-25");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("there is no data for August 2026 at all"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_dataset_with_no_file_is_missing_and_a_breach_never_no_activity() {
    let dir = fixture("letters-missing");
    // June's activity never arrived (its receipt is struck out too); returns did.
    std::fs::remove_file(dir.join("contracts/small/data/activity/2026-06.csv")).unwrap();
    let submissions =
        read(&dir, "contracts/small/submissions.csv").replace("2026-06,activity,2026-07-14\n", "");
    std::fs::write(dir.join("contracts/small/submissions.csv"), submissions).unwrap();
    let out = ok(&levers(
        &dir,
        &[
            "kpi",
            "-m",
            "2026-06",
            "--format",
            "json",
            "--today",
            "2026-07-25",
        ],
    ));
    let kpis: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    for kpi in &kpis {
        let expected = if kpi["kpi"] == "fft" {
            "green"
        } else {
            "missing"
        };
        assert_eq!(kpi["rag"], expected, "{kpi}");
        assert_eq!(kpi["consequence"], "0.00");
    }
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-25"));
    let june = read(&dir, "contracts/small/letters/2026-06-provisional.md");
    assert!(
        june.contains("No activity data has been received for June 2026"),
        "{june}"
    );
    assert!(june.contains("| activity | 20 July 2026 | — | Not received: breach |"));
    assert!(june.contains("| data missing |"));
    assert!(!june.contains("no activity |"));
    assert!(june.contains("1 of 1 requirements met; 4 requirements not measured"));
    // The month's withholding for the missing data is named.
    assert!(june.contains("To be withheld for the missing activity data for June 2026"));
    // A missing month neither counts in nor breaks a run: July red after a red May is the
    // second failing month.
    let status = ok(&levers(&dir, &["status", "--today", "2026-07-25"]));
    assert!(status.contains("missing"), "{status}");
}

#[test]
fn letters_never_count_nothing_in_words() {
    let dir = fixture("letters-words");
    for (month, stage, today) in [
        ("2026-04", "final", "2026-07-25"),
        ("2026-05", "final", "2026-07-25"),
        ("2026-06", "provisional", "2026-07-25"),
    ] {
        ok(&letter(&dir, month, stage, today));
        let text = read(&dir, &format!("contracts/small/letters/{month}-{stage}.md"));
        for phrase in [
            "0 of 0",
            "worth £0.00",
            "No challenges worth",
            "patient identifiers",
        ] {
            assert!(!text.contains(phrase), "{month} {stage} says {phrase:?}");
        }
    }
}

#[test]
fn verify_covers_the_companion_csv_which_holds_data_only() {
    let dir = fixture("letters-companion");
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-23"));
    let csv = "contracts/small/letters/2026-06-provisional-challenges.csv";
    let text = read(&dir, csv);
    assert!(
        text.lines().all(|l| !l.starts_with('#')),
        "no provenance lines"
    );
    assert!(text.starts_with("id,contract,month,rule,rule_name,key_column,record,value"));
    assert!(ok(&levers(&dir, &["verify", csv])).starts_with("OK"));
    std::fs::write(dir.join(csv), text.replace("150.00", "15.00")).unwrap();
    let edited = levers(&dir, &["verify", csv]);
    assert_eq!(edited.status.code(), Some(1));
    assert!(stdout(&edited).contains("MISMATCH"));
}

const LADDER: &str = r#"
[contacts]
commissioner_lead = { name = "Pat Lee" }

[[kpi]]
id = "quick"
name = "Seen quickly"
from = "events"
numerator = "minutes <= 60"
target = ">= 90%"
amber = ">= 50%"

[[kpi]]
id = "scheme"
name = "Incentive scheme"
from = "events"
numerator = "minutes <= 60"
target = ">= 90%"
consequence = { earn = "1%", floor = "0%", ceiling = "90%" }

[[escalation]]
step = "Review"
when = "red 1"
owner = "contacts.commissioner_lead"
[[escalation]]
step = "Notice"
when = "red 3"
owner = "contacts.commissioner_lead"
"#;

/// Three months: red (20% quick), amber (60%), red again.
fn ladder_workspace(name: &str, top: &str) -> std::path::PathBuf {
    let month = |m: &str, quick: usize| {
        let mut text = "id,kind,minutes,days,who,price\n".to_string();
        for i in 0..10 {
            let minutes = if i < quick { 30 } else { 90 };
            text.push_str(&format!("{m}{i},x,{minutes},0,a,1.00\n"));
        }
        text
    };
    let dir = string_workspace(
        name,
        LADDER,
        &[
            ("data/events/2026-04.csv", month("A", 2)),
            ("data/events/2026-05.csv", month("B", 6)),
            ("data/events/2026-06.csv", month("C", 2)),
        ],
    );
    // Top-level keys go before the contract's tables.
    let file = dir.join("contracts/c/contract.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{top}{text}")).unwrap();
    dir
}

fn escalation(dir: &Path) -> Vec<(String, u64)> {
    let out = ok(&levers(
        dir,
        &[
            "kpi",
            "-m",
            "2026-06",
            "--format",
            "json",
            "--today",
            "2026-07-30",
        ],
    ));
    let kpis: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    kpis.iter()
        .map(|k| {
            (
                k["kpi"].as_str().unwrap().to_string(),
                k["escalation_run"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn escalation_counts_amber_months_unless_the_contract_counts_red_only() {
    let failing = ladder_workspace("ladder-failing", "");
    // An amber month does not reset the run; the incentive stays off the ladder.
    assert_eq!(
        escalation(&failing),
        [("quick".to_string(), 3), ("scheme".to_string(), 0)]
    );
    ok(&levers(
        &failing,
        &[
            "letter",
            "-c",
            "c",
            "-m",
            "2026-06",
            "--stage",
            "provisional",
            "--today",
            "2026-07-23",
        ],
    ));
    let text = read(&failing, "contracts/c/letters/2026-06-provisional.md");
    assert!(text.contains("| Seen quickly | 3 | Notice |"), "{text}");
    assert!(text.contains("red or amber: an amber month does not reset the count"));
    let red = ladder_workspace("ladder-red", "escalate_on = \"red\"\n");
    assert_eq!(
        escalation(&red),
        [("quick".to_string(), 1), ("scheme".to_string(), 0)]
    );
}

#[test]
fn a_meeting_closes_an_escalation_action_and_an_unknown_update_is_reported() {
    let dir = ladder_workspace("ladder-update", "");
    // April's letter goes out on 27 May: the step it reports is an action from then.
    ok(&levers(
        &dir,
        &[
            "letter",
            "-c",
            "c",
            "-m",
            "2026-04",
            "--stage",
            "provisional",
            "--today",
            "2026-05-27",
        ],
    ));
    // April's review action (ESC-2026-04-quick-1) recorded done at a meeting in June.
    let meeting = "type = \"CRM\"\n[[update]]\naction = \"ESC-2026-04-quick-1\"\nstatus = \"done\"\nnote = \"Reviewed at the June CRM\"\n";
    std::fs::create_dir_all(dir.join("contracts/c/meetings")).unwrap();
    std::fs::write(
        dir.join("contracts/c/meetings/2026-06-10-CRM.toml"),
        meeting,
    )
    .unwrap();
    ok(&levers(&dir, &["check", "--today", "2026-06-30"]));
    ok(&levers(&dir, &["actions", "--today", "2026-06-30"]));
    let log = read(&dir, "contracts/c/action-log.md");
    let line = log
        .lines()
        .find(|l| l.contains("ESC-2026-04-quick-1"))
        .expect("the escalation action is listed");
    assert!(line.contains("Done: Reviewed at the June CRM"), "{line}");
    assert!(line.contains("10 June 2026"), "{line}");
    // An update naming no action is an error at its line.
    std::fs::write(
        dir.join("contracts/c/meetings/2026-06-10-CRM.toml"),
        meeting.replace("ESC-2026-04-quick-1", "ESC-2026-04-quikc-1"),
    )
    .unwrap();
    let out = levers(&dir, &["check", "--today", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("2026-06-10-CRM.toml:3:10: error: this update is for action `ESC-2026-04-quikc-1`, which no meeting agreed and no escalation step created (did you mean `ESC-2026-04-quick-1`?)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_provider_account_of_a_failure_is_carried_or_asked_for() {
    let dir = fixture("letters-exceptions");
    std::fs::create_dir_all(dir.join("contracts/small/exceptions")).unwrap();
    std::fs::write(
        dir.join("contracts/small/exceptions/2026-06.toml"),
        "[[exception]]\nkpi = \"ae-4hr\"\ncause = \"Two consultants off sick\"\nactions = \"Locum cover from 1 July\"\ntrajectory = \"95% by September\"\n",
    )
    .unwrap();
    ok(&levers(&dir, &["check", "--today", "2026-07-23"]));
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-23"));
    let june = read(&dir, "contracts/small/letters/2026-06-provisional.md");
    assert!(june.contains("**A&E within 4 hours** (81.0% against a target of ≥ 95%; from your exception report for June 2026)"), "{june}");
    assert!(june.contains("- Cause: Two consultants off sick"));
    assert!(june.contains("- Recovery trajectory: 95% by September"));
    assert!(june.contains("We have received no exception report for:\n\n- A&E over 12 hours\n- Follow-ups per first attendance (100)\n\nPlease send one for each by **6 August 2026**"), "{june}");
    assert!(june.contains("input: contracts/small/exceptions/2026-06.toml sha256"));
    // An exception for a KPI the contract lacks is an error at its line.
    std::fs::write(
        dir.join("contracts/small/exceptions/2026-06.toml"),
        "[[exception]]\nkpi = \"ae-4h\"\ncause = \"x\"\n",
    )
    .unwrap();
    let out = levers(&dir, &["check", "--today", "2026-07-23"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "exceptions/2026-06.toml:2:7: error: unknown KPI `ae-4h`: did you mean `ae-4hr`?"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_it_contract_letter_uses_no_nhs_wording() {
    let dir = temp_dir("letters-it");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("contracts"), &dir.join("contracts"));
    std::fs::copy(root.join("levers.toml"), dir.join("levers.toml")).unwrap();
    ok(&levers(
        &dir,
        &[
            "letter",
            "-c",
            "northgate-it-sla",
            "-m",
            "2026-10",
            "--stage",
            "provisional",
            "--today",
            "2026-11-25",
        ],
    ));
    let text = read(
        &dir,
        "contracts/northgate-it-sla/letters/2026-10-provisional.md",
    );
    for phrase in [
        "National standards",
        "flex",
        "patient",
        "NHS number",
        " activity",
    ] {
        assert!(!text.contains(phrase), "the IT letter says {phrase:?}");
    }
    assert!(text.contains("## 1. Service levels"));
}

/// A rare-event count, 0 in all but one month: screening drops the one moving range that is
/// not zero, the limits collapse onto the mean, and the series can give neither a signal nor
/// assurance (never "consistently failing" in a month that met its target).
#[test]
fn a_series_without_variation_supports_no_spc_reading() {
    let month = |m: &str, rare: bool| {
        let kind = if rare { "rare" } else { "x" };
        format!("id,kind,minutes,days,who,price\n{m}1,{kind},1,0,a,1.00\n{m}2,x,1,0,a,1.00\n")
    };
    let months = [
        "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11",
        "2026-12", "2027-01", "2027-02", "2027-03",
    ];
    let paths: Vec<String> = months
        .iter()
        .map(|m| format!("data/events/{m}.csv"))
        .collect();
    let files: Vec<(&str, String)> = paths
        .iter()
        .zip(months)
        .map(|(path, m)| (path.as_str(), month(m, m == "2026-10")))
        .collect();
    let dir = string_workspace(
        "spc-collapse",
        "[[kpi]]\nid = \"rare\"\nfrom = \"events\"\ncount = \"kind = 'rare'\"\ntarget = \"= 0\"\n",
        &files,
    );
    for (month, rag) in [("2026-10", "red"), ("2027-03", "green")] {
        let out = ok(&levers(
            &dir,
            &[
                "kpi",
                "-m",
                month,
                "--format",
                "json",
                "--today",
                "2027-04-30",
            ],
        ));
        let kpis: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        let spc = &kpis[0]["spc"];
        assert_eq!(kpis[0]["rag"], rag);
        assert_eq!(spc["no_variation"], true, "{month}: {spc}");
        assert_eq!(spc["assurance"], "none", "{month}");
        assert_eq!(spc["signal"], "none", "{month}");
        assert!(spc["lower"].is_null() && spc["upper"].is_null());
    }
}

/// The example workspace ships the letters levers wrote for it: they must still be what the
/// code writes (regenerate them with `cargo run --release --example generate`).
#[test]
fn the_example_letters_are_what_the_code_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "contracts/northshore-acute/letters/2026-08-final.md",
        "contracts/northshore-acute/letters/2026-09-provisional.md",
        "contracts/northshore-acute/letters/2026-09-provisional-challenges.csv",
        "contracts/northgate-it-sla/letters/2026-08-final.md",
        "contracts/northgate-it-sla/letters/2026-09-provisional.md",
        "contracts/northshore-acute/action-log.md",
    ] {
        let out = levers(root, &["verify", file]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file} is stale: run `cargo run --release --example generate`\n{}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

/// The month a letter is made from is hashed for its provenance as the pass reads it, not read
/// again (issue 20): with `-v`, every file read is reported, and a month large enough to be read
/// in two parts at once appears once, read by the pass, and never "hashed for provenance"; the
/// SHA-256 the letter records is still the file's own. A second letter (nothing read again: the
/// cache and the remembered hash answer) reads nothing.
#[test]
fn the_month_is_hashed_for_provenance_as_the_pass_reads_it() {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    let mut text = String::from("id,kind,minutes,days,who,price\n");
    for line in 2..300_002u64 {
        writeln!(
            text,
            "R{line:07},fa,{},0,p{},1{}.50",
            line % 300,
            line % 977,
            line % 7
        )
        .unwrap();
    }
    assert!(text.len() > 8 << 20, "large enough to be read in two parts");
    let dir = string_workspace(
        "sha-in-pass",
        "[[kpi]]\nid = \"quick\"\nname = \"Quick\"\nfrom = \"events\"\nnumerator = \"minutes < 200\"\ntarget = \">= 50%\"\n",
        &[("data/events/2026-04.csv", text.clone())],
    );
    // Hashes remembered for files changed in the last two seconds are not trusted (a file
    // rewritten within one tick of the clock could look unchanged): the month is older here,
    // as a month's data is by the time its letter is due.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let month = "contracts/c/data/events/2026-04.csv";
    let args = [
        "-v",
        "letter",
        "-c",
        "c",
        "-m",
        "2026-04",
        "--stage",
        "provisional",
        "--today",
        "2026-05-20",
    ];
    let out = levers(&dir, &args);
    ok(&out);
    let err = stderr(&out);
    assert_eq!(
        err.matches(&format!("levers: read {month} (")).count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("in two parts at once") && err.contains("and hashing them"),
        "{err}"
    );
    assert!(!err.contains(&format!("hashed {month}")), "{err}");
    let letter = read(&dir, "contracts/c/letters/2026-04-provisional.md");
    let sha = format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
    assert!(
        letter.contains(&format!("input: {month} sha256 {sha}")),
        "{letter}"
    );
    std::fs::remove_file(dir.join("contracts/c/letters/2026-04-provisional.md")).unwrap();
    let again = levers(&dir, &args);
    ok(&again);
    assert!(!stderr(&again).contains(month), "{}", stderr(&again));
    assert_eq!(
        read(&dir, "contracts/c/letters/2026-04-provisional.md"),
        letter
    );
}
