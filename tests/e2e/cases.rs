//! GC9 cases (§4.9): clocks in operational days across weekends and bank holidays, every
//! stage as a case file is filled in with `--today` moving on, cases opened by the ladder,
//! and bad case files, each with its own message.

use crate::common::*;
use std::path::Path;

fn cases_json(dir: &Path, today: &str) -> Vec<serde_json::Value> {
    let out = levers(dir, &["cases", "--format", "json", "--today", today]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn write_case(dir: &Path, id: &str, text: &str) {
    let cases = dir.join("contracts/small/cases");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(cases.join(format!("{id}.toml")), text).unwrap();
}

/// Makes the fixture's "Contract Performance Notice" step open GC9 cases (`notice = true`).
fn notice_on_the_ladder(dir: &Path) {
    let contract = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&contract).unwrap();
    let with_notice = text.replacen(
        "step = \"Contract Performance Notice\"\n",
        "step = \"Contract Performance Notice\"\nnotice = true\n",
        1,
    );
    assert_ne!(with_notice, text, "the fixture has the step");
    std::fs::write(&contract, with_notice).unwrap();
}

/// (stage, next what, next due, overdue) of the one case.
fn state(dir: &Path, today: &str) -> (String, String, String, bool) {
    let cases = cases_json(dir, today);
    assert_eq!(cases.len(), 1, "{cases:#?}");
    let c = &cases[0];
    (
        c["stage"].as_str().unwrap().to_string(),
        c["next"]["what"].as_str().unwrap_or("").to_string(),
        c["next"]["due"].as_str().unwrap_or("").to_string(),
        c["overdue"].as_bool().unwrap(),
    )
}

#[test]
fn a_case_opened_by_hand_runs_its_whole_course() {
    let dir = fixture("cases-course");
    let s = |stage: &str, what: &str, due: &str, overdue: bool| {
        (
            stage.to_string(),
            what.to_string(),
            due.to_string(),
            overdue,
        )
    };
    let head = "subject = \"Discharge summaries late\"\nissued = 2026-06-01\n";
    write_case(&dir, "DQ-1", head);
    // Ten operational days from Monday 1 June 2026: Monday 15 June.
    assert_eq!(
        state(&dir, "2026-06-10"),
        s(
            "notice",
            "Hold the Contract Management Meeting",
            "2026-06-15",
            false
        )
    );
    assert_eq!(
        state(&dir, "2026-06-16"),
        s(
            "notice",
            "Hold the Contract Management Meeting",
            "2026-06-15",
            true
        )
    );
    // The portfolio counts it, open and overdue.
    let status = levers(
        &dir,
        &["status", "--format", "json", "--today", "2026-06-16"],
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(
        (
            rows[0]["open_cases"].as_u64(),
            rows[0]["overdue_cases"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let met = format!("{head}meeting = 2026-06-12\noutcome = \"rap\"\n");
    write_case(&dir, "DQ-1", &met);
    // The plan is due ten operational days from the meeting (Friday 12 June): Friday 26 June.
    assert_eq!(
        state(&dir, "2026-06-20"),
        s(
            "rap_due",
            "Agree the Remedial Action Plan",
            "2026-06-26",
            false
        )
    );
    let plan = format!(
        "{met}rap_agreed = 2026-06-24\n\n[[milestone]]\nid = \"M1\"\naction = \"Clear the backlog\"\nowner = \"contacts.provider_lead\"\ndue = 2026-07-31\n"
    );
    write_case(&dir, "DQ-1", &plan);
    assert_eq!(
        state(&dir, "2026-07-01"),
        s(
            "rap",
            "Milestone M1: Clear the backlog",
            "2026-07-31",
            false
        )
    );
    assert_eq!(
        state(&dir, "2026-08-03"),
        s(
            "milestone_missed",
            "Milestone M1: Clear the backlog",
            "2026-07-31",
            true
        )
    );
    // The action log lists each clock: the milestone, overdue, for its owner.
    let out = levers(&dir, &["actions", "--today", "2026-08-03"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read_to_string(dir.join("contracts/small/action-log.md")).unwrap();
    let overdue = log
        .split("## Overdue")
        .nth(1)
        .unwrap()
        .split("## ")
        .next()
        .unwrap();
    assert!(
        overdue.contains("DQ-1-M1") && overdue.contains("Sam Cole, Director of Contracts"),
        "{overdue}"
    );
    assert!(log.contains("DQ-1-meeting"), "{log}");
    write_case(&dir, "DQ-1", &format!("{plan}met = 2026-08-05\n"));
    // Before the date it was met, the milestone is still missed; after, the case is remedied.
    assert_eq!(state(&dir, "2026-08-04").0, "milestone_missed");
    assert_eq!(state(&dir, "2026-08-10"), s("remedied", "", "", false));
    let closed = plan.replace(
        "rap_agreed = 2026-06-24\n",
        "rap_agreed = 2026-06-24\nclosed = 2026-08-20\n",
    );
    write_case(&dir, "DQ-1", &format!("{closed}met = 2026-08-05\n"));
    assert_eq!(state(&dir, "2026-08-21").0, "closed");
    // Before its notice a case does not exist yet.
    assert!(cases_json(&dir, "2026-05-31").is_empty());
}

#[test]
fn clocks_skip_weekends_and_bank_holidays() {
    let dir = fixture("cases-holidays");
    // Monday 24 August 2026; Monday 31 August is the summer bank holiday.
    write_case(&dir, "H-1", "subject = \"x\"\nissued = 2026-08-24\n");
    assert_eq!(state(&dir, "2026-08-25").2, "2026-09-08");
    // An investigation report is due twenty operational days after the meeting.
    write_case(
        &dir,
        "H-1",
        "subject = \"x\"\nissued = 2026-08-24\nmeeting = 2026-09-04\noutcome = \"investigation\"\n",
    );
    let (stage, what, due, _) = state(&dir, "2026-09-07");
    assert_eq!(
        (stage.as_str(), what.as_str(), due.as_str()),
        (
            "investigation",
            "Report on the Joint Investigation",
            "2026-10-02"
        )
    );
    // Withdrawn at the meeting: nothing further is due.
    write_case(
        &dir,
        "H-1",
        "subject = \"x\"\nissued = 2026-08-24\nmeeting = 2026-09-04\noutcome = \"withdrawn\"\n",
    );
    assert_eq!(
        state(&dir, "2026-09-07"),
        ("withdrawn".into(), String::new(), String::new(), false)
    );
}

#[test]
fn a_notice_step_opens_a_case_once_its_months_letter_is_issued() {
    let dir = fixture("cases-ladder");
    notice_on_the_ladder(&dir);
    // No letter for June yet: no case.
    assert!(cases_json(&dir, "2026-07-06").is_empty());
    let out = letter(&dir, "2026-06", "provisional", "2026-07-06");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The letter that issues the notice lists the cases it opens.
    let letter =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-06-provisional.md"))
            .unwrap();
    let section = letter
        .split("Formal contract management")
        .nth(1)
        .expect("the letter has the section");
    assert!(
        section.contains("| CPN-2026-06-ae-4hr | A&E within 4 hours | 6 July 2026 | Contract Performance Notice issued | Hold the Contract Management Meeting | 20 July 2026 | no |"),
        "{section}"
    );
    let cases = cases_json(&dir, "2026-07-08");
    let ids: Vec<&str> = cases.iter().map(|c| c["case"].as_str().unwrap()).collect();
    // A&E 4 hours and 12 hours both reached their second red month in June.
    assert_eq!(ids, ["CPN-2026-06-ae-12hr", "CPN-2026-06-ae-4hr"]);
    assert_eq!(cases[1]["issued"], "2026-07-06");
    assert_eq!(cases[1]["stage"], "notice");
    assert_eq!(cases[1]["kpis"], serde_json::json!(["ae-4hr"]));
    // Ten operational days from Monday 6 July.
    assert_eq!(cases[1]["next"]["due"], "2026-07-20");
    // The case file's facts carry it on, and its `issued` overrides the letter's date.
    write_case(
        &dir,
        "CPN-2026-06-ae-4hr",
        "issued = 2026-07-07\nmeeting = 2026-07-15\noutcome = \"rap\"\n",
    );
    let cases = cases_json(&dir, "2026-07-16");
    assert_eq!(cases[1]["issued"], "2026-07-07");
    assert_eq!(cases[1]["stage"], "rap_due");
    assert!(cases[1]["subject"]
        .as_str()
        .unwrap()
        .contains("2 consecutive months"));
}

/// A KPI already under an open case opens no second one when it reaches the notice step: the
/// running case deals with it. Once that case has ended, the ladder opens a case as usual.
#[test]
fn a_kpi_under_an_open_case_opens_no_second_one() {
    let dir = fixture("cases-one-at-a-time");
    notice_on_the_ladder(&dir);
    write_case(
        &dir,
        "A-AND-E",
        "subject = \"A&E waits\"\nissued = 2026-06-15\nkpis = [\"ae-12hr\"]\n",
    );
    let out = letter(&dir, "2026-06", "provisional", "2026-07-06");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids = |today: &str| -> Vec<String> {
        cases_json(&dir, today)
            .iter()
            .map(|c| c["case"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("2026-07-08"), ["A-AND-E", "CPN-2026-06-ae-4hr"]);
    // Withdrawn at a meeting before the June letter: 12 hours gets its own notice.
    write_case(
        &dir,
        "A-AND-E",
        "subject = \"A&E waits\"\nissued = 2026-06-15\nkpis = [\"ae-12hr\"]\nmeeting = 2026-06-22\noutcome = \"withdrawn\"\n",
    );
    assert_eq!(
        ids("2026-07-08"),
        ["A-AND-E", "CPN-2026-06-ae-12hr", "CPN-2026-06-ae-4hr"]
    );
}

#[test]
fn bad_case_files_are_refused_with_every_problem_located() {
    let dir = fixture("cases-bad");
    write_case(
        &dir,
        "BAD-1",
        "subject = \"x\"\nissued = 2026-06-01\nmeeting = 2026-05-30\noutcome = \"maybe\"\nrap_agreed = 2026-06-20\nkpis = [\"ae-4hours\"]\nreferee = \"y\"\n\n[[milestone]]\nid = \"M1\"\naction = \"a\"\nowner = \"contacts.nobody\"\ndue = 2026-07-01\n\n[[milestone]]\nid = \"M2\"\naction = \"b\"\nowner = \"contacts.provider_lead\"\ndue = 2026-07-01\nmet = 2026-06-10\n",
    );
    write_case(&dir, "BAD-2", "issued = 2026-13-01\n");
    let out = levers(
        &dir,
        &["check", "--format", "json", "--today", "2026-07-25"],
    );
    assert_eq!(out.status.code(), Some(1));
    let problems: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let got: Vec<String> = problems
        .iter()
        .filter(|p| p["file"].as_str().unwrap().contains("/cases/"))
        .map(|p| {
            format!(
                "{}:{}:{}: {}",
                p["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                p["line"],
                p["column"],
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    let wanted = [
        "BAD-1.toml:3:11: `meeting` (2026-05-30) is before `issued` (2026-06-01)",
        "BAD-1.toml:4:11: unknown outcome `maybe`",
        "BAD-1.toml:5:14: a plan is agreed after the meeting decides on one",
        "BAD-1.toml:6:9: unknown KPI `ae-4hours`",
        "BAD-1.toml:7:1: unknown key `referee` in the case file",
        "BAD-1.toml:12:9: milestone owner `contacts.nobody` is not a contact",
        "BAD-1.toml:20:7: milestone `M2` is met (2026-06-10) before the plan was agreed (2026-06-20)",
        "BAD-2.toml:1:10: `issued` must be a date such as 2026-04-01",
        "BAD-2.toml:1:10: invalid TOML: invalid date, expected month between 01 and 12",
    ];
    assert_eq!(got.len(), wanted.len(), "{got:#?}");
    for (g, w) in got.iter().zip(wanted) {
        assert!(g.starts_with(w), "expected `{w}`, got `{g}`");
    }
    // `cases` refuses the contract with the same problems (exit 2).
    let cases = levers(&dir, &["cases", "-c", "small", "--today", "2026-07-25"]);
    assert_eq!(cases.status.code(), Some(2));
    assert!(
        stderr(&cases).contains("BAD-1.toml:4:11"),
        "{}",
        stderr(&cases)
    );
}

/// A case file whose facts would be ignored (no case of that id, and no `issued` to open one
/// by hand) is an error, not silence.
#[test]
fn a_case_file_that_names_no_case_is_an_error() {
    let dir = fixture("cases-unmatched");
    write_case(
        &dir,
        "CPN-2026-05-fu-ration",
        "meeting = 2026-06-15\noutcome = \"rap\"\n",
    );
    let out = levers(&dir, &["check", "--today", "2026-07-25"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("contracts/small/cases/CPN-2026-05-fu-ration.toml:1:1: error: `CPN-2026-05-fu-ration` is no case the escalation ladder has opened (it has opened none), and a case opened by hand needs `issued`"),
        "{}",
        stdout(&out)
    );
    // Milestone ids must not shadow the case's other clocks; facts keep their order.
    write_case(
        &dir,
        "K",
        "subject = \"x\"\nissued = 2026-06-01\nmeeting = 2026-06-05\noutcome = \"investigation\"\nrap_agreed = 2026-06-10\nclosed = 2026-06-04\n\n[[milestone]]\nid = \"rap\"\naction = \" \"\nowner = \"contacts.provider_lead\"\ndue = 2026-06-20\n",
    );
    let out = levers(
        &dir,
        &["check", "--format", "json", "--today", "2026-07-25"],
    );
    let problems: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let messages: Vec<&str> = problems
        .iter()
        .filter(|p| p["file"].as_str().unwrap().ends_with("/K.toml"))
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    for wanted in [
        "`rap` is not a milestone id",
        "a milestone's `action` says what is to be done",
        "`closed` (2026-06-04) is before `meeting` (2026-06-05)",
        "a plan follows the Joint Investigation's report",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(wanted)),
            "{wanted}: {messages:#?}"
        );
    }
}

/// `explain` shows each clock's arithmetic: the date it counts from, the operational days, and
/// the date that gives.
#[test]
fn explain_shows_how_each_clock_was_counted() {
    let dir = fixture("cases-explain");
    write_case(
        &dir,
        "DQ-1",
        "subject = \"Discharge summaries late\"\nissued = 2026-06-01\nmeeting = 2026-06-12\noutcome = \"rap\"\nrap_agreed = 2026-06-24\n\n[[milestone]]\nid = \"M1\"\naction = \"Clear the backlog\"\nowner = \"contacts.provider_lead\"\ndue = 2026-07-31\n",
    );
    let args = [
        "explain",
        "-c",
        "small",
        "-m",
        "2026-06",
        "DQ-1",
        "--today",
        "2026-08-03",
    ];
    let out = levers(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "Hold the Contract Management Meeting: 1 June 2026 + 10 operational days from the notice = 15 June 2026; done 12 June 2026",
        "Agree the Remedial Action Plan: 12 June 2026 + 10 operational days from the meeting = 26 June 2026; done 24 June 2026",
        "Milestone M1: Clear the backlog: due 31 July 2026; not done: overdue",
        "Stage: milestone missed",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&levers(&dir, &json))).unwrap();
    assert_eq!(value["figures"]["stage"], "milestone_missed");
}

/// The money (§4.9): a month ending with the plan overdue or a milestone missed withholds 2%
/// of its value (£100,000.00 planned a month here, so £2,000.00), released when the case is
/// remedied, retained once three months have ended since the first exception report.
#[test]
fn withholdings_follow_the_plan_and_are_released_or_retained() {
    let dir = fixture("cases-money");
    // No monthly cap, so each figure is the rate times the month's value.
    let contract = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&contract).unwrap();
    std::fs::write(&contract, text.replacen("cap = \"2.5%\"\n", "", 1)).unwrap();
    // Notice 1 May; meeting 8 May; plan due 22 May, agreed only 5 June; M1 due 19 June.
    let plan = "subject = \"Discharge summaries late\"\nissued = 2026-05-01\nmeeting = 2026-05-08\noutcome = \"rap\"\nrap_agreed = 2026-06-05\n\n[[milestone]]\nid = \"M1\"\naction = \"Clear the backlog\"\nowner = \"contacts.provider_lead\"\ndue = 2026-06-19\n";
    write_case(&dir, "DQ-1", plan);
    let money = |today: &str| {
        let c = &cases_json(&dir, today)[0];
        (
            c["stage"].as_str().unwrap().to_string(),
            c["withheld"].as_str().unwrap().to_string(),
            c["released"].as_str().unwrap().to_string(),
            c["retained"].as_str().unwrap().to_string(),
        )
    };
    let m = |s: &str, w: &str, r: &str, k: &str| (s.into(), w.into(), r.into(), k.into());
    // May ended with the plan overdue, June with M1 missed: £2,000.00 each.
    assert_eq!(
        money("2026-07-25"),
        m("milestone_missed", "4000.00", "0.00", "0.00")
    );
    // The June letter names the withholding and what is held.
    let out = letter(&dir, "2026-06", "provisional", "2026-07-06");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let letter =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-06-provisional.md"))
            .unwrap();
    assert!(letter.contains("| To be withheld for GC9 case DQ-1: milestone M1 (due 19 June 2026) not met at the end of June 2026: 2.0% of the monthly value £100,000.00 | −£2,000.00 |"), "{letter}");
    assert!(letter.contains("£2,000.00 withheld in May 2026 for GC9 case DQ-1: the Remedial Action Plan (due 22 May 2026) not agreed at the end of May 2026"), "{letter}");
    // Met on 3 July: July ends remedied and both sums are released.
    write_case(&dir, "DQ-1", &format!("{plan}met = 2026-07-03\n"));
    assert_eq!(
        money("2026-08-05"),
        m("remedied", "4000.00", "4000.00", "0.00")
    );
    // Never met: the first exception report is Monday 22 June; June, July and August end
    // without remedy, so at August's end every sum withheld is retained.
    write_case(&dir, "DQ-1", plan);
    assert_eq!(
        money("2026-08-05"),
        m("milestone_missed", "6000.00", "0.00", "0.00")
    );
    assert_eq!(
        money("2026-09-05"),
        m("milestone_missed", "8000.00", "0.00", "8000.00")
    );
    let explain = stdout(&levers(
        &dir,
        &[
            "explain",
            "-c",
            "small",
            "-m",
            "2026-08",
            "DQ-1",
            "--today",
            "2026-09-05",
        ],
    ));
    for line in [
        "May 2026: withheld £2,000.00 (2.0% of the monthly value £100,000.00); retained for good in August 2026",
        "First exception report: 22 June 2026",
        "To date: withheld £8,000.00, released £0.00, retained £8,000.00.",
    ] {
        assert!(explain.contains(line), "{line}\n{explain}");
    }
}

/// Under a binding cap a case's withholding is its share of the capped total, as every other
/// item's: June's £2,240.00 of deductions and the case's £2,000.00 come to £4,240.00 against
/// a cap of £2,500.00, so the case holds 2,500 × 2,000 / 4,240 = £1,179.245…, rounded down to
/// £1,179.24. The shares rounded down come to £2,499.98; of the two pennies left, one goes to the
/// largest remainder (A&E 4 hours, 141.509…) and one to A&E 12 hours, which ties with the case
/// and comes first.
#[test]
fn a_case_withholding_shares_the_monthly_cap() {
    let dir = fixture("cases-cap");
    write_case(
        &dir,
        "DQ-1",
        "subject = \"Discharge summaries late\"\nissued = 2026-05-01\nmeeting = 2026-05-08\noutcome = \"rap\"\nrap_agreed = 2026-06-05\n\n[[milestone]]\nid = \"M1\"\naction = \"Clear the backlog\"\nowner = \"contacts.provider_lead\"\ndue = 2026-06-19\n",
    );
    let out = letter(&dir, "2026-06", "provisional", "2026-07-06");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let letter =
        std::fs::read_to_string(dir.join("contracts/small/letters/2026-06-provisional.md"))
            .unwrap();
    for line in [
        "| Cap adjustment (monthly cap £2,500.00; total before cap £4,240.00) | £1,740.00 |",
        "£1,179.24 withheld in June 2026 for GC9 case DQ-1: milestone M1 (due 19 June 2026) not met at the end of June 2026",
    ] {
        assert!(letter.contains(line), "{line}\n{letter}");
    }
}

/// `levers run` writes each case's Contract Performance Notice once its case opens, commits it,
/// and leaves it alone after; `verify` remakes it; a notice that would read differently is
/// never overwritten, only reissued with a reason.
#[test]
fn run_writes_each_notice_once_and_notices_are_final() {
    let dir = committed_fixture("cases-notice");
    notice_on_the_ladder(&dir);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "notice step"]);
    let out = levers(&dir, &["run", "--today", "2026-07-06"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let notice = dir.join("contracts/small/notices/CPN-2026-05-fu-ratio.md");
    let text = std::fs::read_to_string(&notice).unwrap();
    for line in [
        "# Contract Performance Notice CPN-2026-05-fu-ratio",
        "| Follow-ups per first attendance (100) | ≤ 2.0 | May 2026 | 2.25 |",
        "A Contract Management Meeting must be held by **20 July 2026**, 10 operational days from this notice.",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(git(&dir, &["status", "--porcelain"]).trim().is_empty());
    let verify = levers(
        &dir,
        &["verify", "contracts/small/notices/CPN-2026-05-fu-ratio.md"],
    );
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    // A second run writes nothing.
    let again = levers(&dir, &["run", "--today", "2026-07-06"]);
    assert!(stdout(&again).is_empty(), "{}", stdout(&again));
    // Asked for by hand a week later, the notice says the same: it stands as issued.
    let later = levers(
        &dir,
        &[
            "notice",
            "-c",
            "small",
            "CPN-2026-05-fu-ratio",
            "--today",
            "2026-07-13",
        ],
    );
    assert_eq!(later.status.code(), Some(0), "{}", stderr(&later));
    assert!(
        stdout(&later).contains("is up to date"),
        "{}",
        stdout(&later)
    );
    assert_eq!(std::fs::read_to_string(&notice).unwrap(), text);
    // The figures behind it revised: the notice is not overwritten, only reissued.
    let settings = dir.join("levers.toml");
    let s = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        s.replacen(
            "name = \"Fixture ICB\"",
            "name = \"Fixture ICB (merged)\"",
            1,
        ),
    )
    .unwrap();
    let args = [
        "notice",
        "-c",
        "small",
        "CPN-2026-05-fu-ratio",
        "--today",
        "2026-07-08",
    ];
    let refused = levers(&dir, &args);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("a notice is never overwritten"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&notice).unwrap(), text);
    let mut reissue = args.to_vec();
    reissue.extend(["--reissue", "--reason", "the commissioner's name changed"]);
    let out = levers(&dir, &reissue);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reissued =
        std::fs::read_to_string(dir.join("contracts/small/notices/CPN-2026-05-fu-ratio-r2.md"))
            .unwrap();
    assert!(
        reissued.contains(
            "This corrected notice replaces the one issued on 6 July 2026: the commissioner's name changed."
        ),
        "{reissued}"
    );
    let verify = levers(
        &dir,
        &[
            "verify",
            "contracts/small/notices/CPN-2026-05-fu-ratio-r2.md",
        ],
    );
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    assert_eq!(std::fs::read_to_string(&notice).unwrap(), text);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "reissued"]);

    // A milestone missed on Friday 10 July: its exception report is dated Monday 13 July,
    // to the provider lead (the fixture names no chief executive), written by the next run.
    write_case(
        &dir,
        "CPN-2026-05-fu-ratio",
        "meeting = 2026-07-09\noutcome = \"rap\"\nrap_agreed = 2026-07-09\n\n[[milestone]]\nid = \"M1\"\naction = \"Audit follow-up clinics\"\nowner = \"contacts.provider_lead\"\ndue = 2026-07-10\n",
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "case file"]);
    let out = levers(&dir, &["run", "--today", "2026-07-14"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = dir.join("contracts/small/notices/CPN-2026-05-fu-ratio-exception-M1.md");
    let text = std::fs::read_to_string(&report).unwrap();
    for line in [
        "date: \"13 July 2026\"",
        "Sam Cole, Director of Contracts\\",
        "| Milestone M1: Audit follow-up clinics | Sam Cole, Director of Contracts | 10 July 2026 | not met |",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let verify = levers(
        &dir,
        &[
            "verify",
            "contracts/small/notices/CPN-2026-05-fu-ratio-exception-M1.md",
        ],
    );
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    assert!(git(&dir, &["status", "--porcelain"]).trim().is_empty());
}

/// A ladder case's file cannot swap the KPI that opened it for another.
#[test]
fn a_ladder_case_keeps_the_kpi_that_opened_it() {
    let dir = fixture("cases-kpi-swap");
    write_case(
        &dir,
        "CPN-2026-05-fu-ratio",
        "issued = 2026-06-05\nkpis = [\"fft\"]\n",
    );
    let out = levers(&dir, &["check", "--today", "2026-07-25"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("CPN-2026-05-fu-ratio.toml:1:1: error: `CPN-2026-05-fu-ratio` was opened by the escalation ladder for KPI `fu-ratio`, so its `kpis` must include `fu-ratio` (found fft)"),
        "{}",
        stdout(&out)
    );
}
