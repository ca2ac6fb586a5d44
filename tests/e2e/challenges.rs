//! Challenge rules end to end on small hand-written months: each form, blank key parts, ratio
//! cap valuation, carry-forward and overdue.

use crate::common::*;

const RULES: &str = r#"
[[challenge]]
id = "dup"
from = "events"
duplicate_of = ["who", "kind"]

[[challenge]]
id = "long"
from = "events"
where = "minutes > 100"

[[challenge]]
id = "ratio"
from = "events"
ratio_cap = { numerator = "kind = 'fu'", denominator = "kind = 'fa'", by = "who", max = "1.5" }
"#;

fn challenges(dir: &std::path::Path, month: &str, today: &str) -> Vec<serde_json::Value> {
    let out = levers(
        dir,
        &[
            "challenges",
            "-m",
            month,
            "--format",
            "json",
            "--today",
            today,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// April's challenges, as of 1 May, of `rules` over one month of `events`, in a workspace
/// named `name`.
fn april_challenges(name: &str, rules: &str, events: String) -> Vec<serde_json::Value> {
    let dir = string_workspace(name, rules, &[("data/events/2026-04.csv", events)]);
    challenges(&dir, "2026-04", "2026-05-01")
}

#[test]
fn each_rule_form_on_a_small_month() {
    let april = "id,kind,minutes,days,who,price\n\
        A1,fa,10,0,ann,100.00\n\
        A2,fu,10,0,ann,50.00\n\
        A3,fu,200,0,ann,60.00\n\
        A4,fu,10,0,ann,70.00\n\
        A5,fa,10,0,,100.00\n\
        A6,fa,10,0,,100.00\n\
        A7,fa,10,0,bob,100.00\n\
        A8,fu,10,0,bob,20.00\n\
        A9,fu,10,0,bob,30.00\n"
        .to_string();
    let got = april_challenges("challenge-forms", RULES, april);
    let summary: Vec<String> = got
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["id"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // ann's fu rows repeat each other (A2 first, A3 and A4 later); a blank `who` never
            // matches. A3 is also over 100 minutes, but a row is challenged once, by the first
            // rule in precedence (block order): `long` is named as also applying.
            "2026-04/dup/A3 60.00",
            "2026-04/dup/A4 70.00",
            "2026-04/dup/A9 30.00",
            // The ratio cap counts only rows no row rule took: ann has one follow-up left (A2)
            // against one first attendance, bob one (A8) against one: none above 1.5.
        ]
    );
    assert!(got
        .iter()
        .all(|c| c["state"] == "raised" && c["month"] == "2026-04"));
    let also: Vec<String> = got.iter().map(|c| c["also"].to_string()).collect();
    assert_eq!(also, [r#"["long"]"#, "[]", "[]"]);
}

/// The same month with `long` first in precedence: it takes A3, the duplicate rule keeps the
/// other repeats, and the ratio cap, now short of A3 only, challenges ann's excess.
#[test]
fn precedence_decides_which_rule_takes_a_row() {
    let april = "id,kind,minutes,days,who,price
        A1,fa,10,0,ann,100.00
        A2,fu,10,0,ann,50.00
        A3,fu,200,0,ann,60.00
        A4,fu,10,0,ann,70.00
        A5,fu,10,0,ann,80.00
        A6,fu,10,0,ann,90.00
"
    .to_string();
    let rules = RULES.replace("id = \"long\"", "id = \"long\"\nprecedence = 1");
    let got = april_challenges("challenge-precedence", &rules, april);
    let summary: Vec<String> = got
        .iter()
        .map(|c| {
            format!(
                "{} {} also={}",
                c["id"].as_str().unwrap(),
                c["value"].as_str().unwrap(),
                c["also"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "2026-04/dup/A4 70.00 also=[]",
            "2026-04/dup/A5 80.00 also=[]",
            "2026-04/dup/A6 90.00 also=[]",
            r#"2026-04/long/A3 60.00 also=["dup"]"#,
        ]
    );
}

/// However rules overlap, the money challenged never exceeds the value of the rows behind it:
/// no row is deducted twice.
#[test]
fn challenged_money_never_exceeds_the_rows_behind_it() {
    let mut rows = String::from("id,kind,minutes,days,who,price\n");
    let mut total = 0i64;
    for i in 0..400 {
        let kind = ["fa", "fu", "fu", "fu", "x"][i % 5];
        let who = ["ann", "bob", "cy", ""][(i / 3) % 4];
        let minutes = (i * 37) % 300;
        let pence = 1000 + (i as i64 * 7919) % 50_000;
        total += pence;
        rows.push_str(&format!(
            "R{i},{kind},{minutes},0,{who},{}.{:02}\n",
            pence / 100,
            pence % 100
        ));
    }
    let rules = format!(
        "{RULES}\n[[challenge]]\nid = \"bob\"\nfrom = \"events\"\nwhere = \"who = 'bob' OR minutes > 250\"\n"
    );
    let got = april_challenges("challenge-overlap", &rules, rows);
    let challenged: i64 = got
        .iter()
        .map(|c| {
            let v = c["value"].as_str().unwrap().replace('.', "");
            v.parse::<i64>().unwrap()
        })
        .sum();
    assert!(!got.is_empty());
    assert!(
        challenged <= total,
        "challenged {challenged} pence of {total}"
    );
    // Every row-level challenge names a different row.
    let mut records: Vec<&str> = got
        .iter()
        .filter(|c| c["rule"] != "ratio")
        .map(|c| c["record"].as_str().unwrap())
        .collect();
    let before = records.len();
    records.sort();
    records.dedup();
    assert_eq!(records.len(), before, "a row challenged twice");
}

#[test]
fn outstanding_challenges_carry_forward_until_closed_and_show_overdue() {
    let month = |m: &str| {
        format!("id,kind,minutes,days,who,price\n{m}-1,x,500,0,a,10.00\n{m}-2,x,500,0,b,20.00\n")
    };
    let files = [
        ("data/events/2026-04.csv", month("A")),
        ("data/events/2026-05.csv", month("B")),
        ("data/events/2026-06.csv", month("C")),
        (
            "challenge-log.csv",
            "date,challenge,event,by,note\n2026-05-28,2026-04/long/A-1,accepted,P,\n2026-06-25,2026-05/long/B-1,rejected,P,valid\n".to_string(),
        ),
    ];
    let dir = string_workspace("carry-forward", RULES, &files);
    // Nothing is overdue until a letter has put the challenges to the provider.
    let unasked = challenges(&dir, "2026-06", "2026-07-25");
    assert!(unasked
        .iter()
        .all(|c| c["overdue"] == false && c["respond_by"].is_null()));
    // April's and May's provisional letters go out; each challenge is due ten working days
    // after the letter that raised it.
    for (month, today) in [("2026-04", "2026-05-27"), ("2026-05", "2026-06-24")] {
        let out = levers(
            &dir,
            &[
                "letter",
                "-c",
                "c",
                "-m",
                month,
                "--stage",
                "provisional",
                "--today",
                today,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let june = challenges(&dir, "2026-06", "2026-07-25");
    let states: Vec<String> = june
        .iter()
        .map(|c| {
            format!(
                "{} {} overdue={}",
                c["id"].as_str().unwrap(),
                c["state"].as_str().unwrap(),
                c["overdue"]
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            "2026-06/long/C-1 raised overdue=false",
            "2026-06/long/C-2 raised overdue=false",
            // April's accepted challenge is closed and no longer carried.
            "2026-04/long/A-2 raised overdue=true",
            "2026-05/long/B-1 rejected overdue=false",
            "2026-05/long/B-2 raised overdue=true",
        ]
    );
}

/// A file large enough to be read in two halves at once: every repeat is found exactly, whether
/// its first row is in the same half or the other, and rows without a record key are cited by
/// line. The expectation is worked out here, naively, from the rows themselves.
#[test]
fn duplicates_are_exact_across_the_two_halves_of_a_large_file() {
    duplicates_in_a_large_file("duplicates-halves", 0);
}

/// Duplicate rules size their logs from the rows in the file's first megabyte; when those rows
/// are far longer than the rest, the rows outrun the estimate and the logs grow, with the same
/// result.
#[test]
fn duplicates_are_exact_when_the_rows_outrun_the_estimate() {
    duplicates_in_a_large_file("duplicates-outrun", 2_500);
}

fn duplicates_in_a_large_file(name: &str, long_rows: usize) {
    use std::collections::{BTreeMap, HashSet};
    use std::fmt::Write;
    let rows = 300_000usize; // rows of about 32 bytes: a file over 8 MiB
    let mut text = String::from("id,kind,minutes,days,who,price\n");
    let mut seen = HashSet::new();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    // A simple deterministic scramble: keys recur near and far, within and across halves.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for line in 2..rows + 2 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut who = format!("p{}", state % 220_000);
        if line < long_rows {
            who.push_str(&"w".repeat(500));
        }
        let kind = ["fa", "fu"][(state >> 20) as usize % 2];
        let pence = 100 + (state >> 32) % 90_000;
        // One row in a thousand has no record key, so is cited by its line.
        let id = if line % 1000 == 0 {
            String::new()
        } else {
            format!("R{line:07}")
        };
        writeln!(
            text,
            "{id},{kind},{},0,{who},{}.{:02}",
            line % 300,
            pence / 100,
            pence % 100
        )
        .unwrap();
        if !seen.insert((who, kind)) {
            let record = if id.is_empty() {
                format!("line-{line}")
            } else {
                id
            };
            *want.entry(record).or_default() += pence;
        }
    }
    assert!(
        text.len() > 8 << 20,
        "the file must be large enough to halve"
    );
    let rule =
        "[[challenge]]\nid = \"dup\"\nfrom = \"events\"\nduplicate_of = [\"who\", \"kind\"]\n";
    let got: BTreeMap<String, u64> = april_challenges(name, rule, text)
        .iter()
        .map(|c| {
            let record = c["record"].as_str().unwrap().to_string();
            let (pounds, pence) = c["value"].as_str().unwrap().split_once('.').unwrap();
            let value = pounds.parse::<u64>().unwrap() * 100 + pence.parse::<u64>().unwrap();
            (record, value)
        })
        .collect();
    assert!(want.len() > 10_000, "the data must hold many repeats");
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}

/// A month whose rules raise many challenges between them has its rules finished on two
/// threads; every rule's challenges come out whole, in id order, each with its own value and
/// the other rules that also selected its row, as one thread gives them.
#[test]
fn many_challenges_of_several_rules_come_out_in_id_order() {
    use std::fmt::Write;
    let mut text = String::from("id,kind,minutes,days,who,price\n");
    let (mut long, mut fa, mut late) = (Vec::new(), Vec::new(), Vec::new());
    for line in 0..130_000usize {
        let kind = ["fa", "fu"][line % 2];
        let minutes = line % 400;
        let days = usize::from(line % 7 == 0);
        let pence = 100 + line % 9_000;
        let id = format!("R{line:07}");
        let value = format!("{}.{:02}", pence / 100, pence % 100);
        writeln!(text, "{id},{kind},{minutes},{days},p{line},{value}").unwrap();
        // In precedence order: `long` takes a row first, then `fa`, then `late`.
        let (is_long, is_fa, is_late) = (minutes > 300, kind == "fa", days > 0);
        let also = |rules: &[(&str, bool)]| -> Vec<String> {
            rules
                .iter()
                .filter(|(_, on)| *on)
                .map(|(rule, _)| rule.to_string())
                .collect()
        };
        let challenge = |rule: &str, others: Vec<String>| {
            (format!("2026-04/{rule}/{id}"), value.clone(), others)
        };
        if is_long {
            long.push(challenge("long", also(&[("fa", is_fa), ("late", is_late)])));
        } else if is_fa {
            fa.push(challenge("fa", also(&[("late", is_late)])));
        } else if is_late {
            late.push(challenge("late", Vec::new()));
        }
    }
    // Ids sort by rule, then record.
    let want: Vec<(String, String, Vec<String>)> = [fa, late, long].concat();
    assert!(
        want.len() > 60_000,
        "enough challenges to be finished on two threads"
    );
    let rules = "[[challenge]]\nid = \"long\"\nfrom = \"events\"\nwhere = \"minutes > 300\"\n\
        [[challenge]]\nid = \"fa\"\nfrom = \"events\"\nwhere = \"kind = 'fa'\"\n\
        [[challenge]]\nid = \"late\"\nfrom = \"events\"\nwhere = \"days > 0\"\n";
    let got: Vec<(String, String, Vec<String>)> = april_challenges("many-challenges", rules, text)
        .iter()
        .map(|c| {
            let also = c["also"].as_array().unwrap();
            (
                c["id"].as_str().unwrap().to_string(),
                c["value"].as_str().unwrap().to_string(),
                also.iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}

/// Rows that share a record key are one challenge, worth their values together.
#[test]
fn rows_sharing_a_record_key_are_one_challenge() {
    let april = "id,kind,minutes,days,who,price\n\
        B2,fa,200,0,ann,10.00\n\
        A1,fa,200,0,bob,20.00\n\
        B2,fa,300,0,cat,5.50\n\
        A1,fu,10,0,dan,1.00\n"
        .to_string();
    let rule = "[[challenge]]\nid = \"long\"\nfrom = \"events\"\nwhere = \"minutes > 100\"\n";
    let got: Vec<(String, String, u64)> = april_challenges("shared-record", rule, april)
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["value"].as_str().unwrap().to_string(),
                c["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-04/long/A1".to_string(), "20.00".to_string(), 1),
            ("2026-04/long/B2".to_string(), "15.50".to_string(), 2),
        ]
    );
}

/// A duplicate rule with `where` compares only the rows the filter keeps.
#[test]
fn a_duplicate_rule_with_a_filter_considers_only_the_rows_it_keeps() {
    let april = "id,kind,minutes,days,who,price\n\
        A1,fa,10,0,ann,1.00\n\
        A2,fa,200,0,ann,2.00\n\
        A3,fa,20,0,ann,3.00\n\
        A4,fa,300,0,ann,4.00\n"
        .to_string();
    let rule = "[[challenge]]\nid = \"dup\"\nfrom = \"events\"\nduplicate_of = [\"who\", \"kind\"]\nwhere = \"minutes > 100\"\n";
    let ids: Vec<String> = april_challenges("filtered-duplicates", rule, april)
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    // A1 and A3 are outside the filter; of A2 and A4, A4 repeats A2.
    assert_eq!(ids, ["2026-04/dup/A4"]);
}

/// `levers log` appends the commissioner's event after checking it against the challenge's
/// state, and refuses anything else with the log untouched.
#[test]
fn the_commissioner_logs_an_event_checked_against_the_state_machine() {
    let dir = fixture("log-event");
    let file = dir.join("contracts/small/challenge-log.csv");
    let before = std::fs::read_to_string(&file).unwrap();
    let log = |args: &[&str]| {
        let mut all = vec!["log", "-c", "small"];
        all.extend(args);
        all.extend(["--today", "2026-07-20"]);
        levers(&dir, &all)
    };
    // Disputed at the dispute resolution: upheld.
    let out = log(&[
        "2026-04/responsible-commissioner/2604-056",
        "upheld",
        "--note",
        "Panel found for the ICB",
        "--by",
        "Pat Lee",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        after,
        format!("{before}2026-07-20,2026-04/responsible-commissioner/2604-056,upheld,Pat Lee,Panel found for the ICB\n")
    );
    // Each refusal leaves the log as it was, and says why.
    for (args, code, says) in [
        (
            &["2026-04/duplicate/2604-055", "withdrawn"][..],
            2,
            "already accepted (closed)",
        ),
        (
            &["2026-04/responsible-commissioner/2604-056", "overturned"][..],
            2,
            "already upheld (closed)",
        ),
        (
            &["2026-05/duplicate/2605-999", "withdrawn"][..],
            2,
            "no challenge `2026-05/duplicate/2605-999` was raised",
        ),
        (
            &["2026-04/invalid-nhs-number/2604-057", "accepted"][..],
            2,
            "not an event the commissioner records",
        ),
        (
            &["2026-04/invalid-nhs-number/2604-057", "disputed"][..],
            2,
            "a rechallenged challenge cannot be disputed: expected accepted or rejected",
        ),
        (&["nonsense", "withdrawn"][..], 2, "not a challenge id"),
    ] {
        let out = log(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), after, "{args:?}");
    }
    // The log still reads: check finds nothing wrong with it.
    let check = levers(&dir, &["check", "--today", "2026-07-20"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

/// The provider's answers come back as a file: every row checked first, all recorded or none,
/// and the same file twice changes nothing.
#[test]
fn the_providers_answers_are_recorded_whole_or_not_at_all() {
    let dir = fixture("respond");
    let log_file = dir.join("contracts/small/challenge-log.csv");
    let before = std::fs::read_to_string(&log_file).unwrap();
    let answers = dir.join("answers.csv");
    let respond = || {
        levers(
            &dir,
            &[
                "respond",
                "-c",
                "small",
                "answers.csv",
                "--today",
                "2026-07-20",
            ],
        )
    };
    std::fs::write(
        &answers,
        "id,response,reason\n2026-06/duplicate/2606-055,reject,\n2026-06/duplicate/2606-999,accept,\n2026-06/fu-ratio/100,maybe,\n2026-04/duplicate/2604-055,reject,late\n",
    )
    .unwrap();
    let out = respond();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for wanted in [
        "answers.csv:2:3: error: a rejection needs its reason",
        "answers.csv:4:2: error: expected `accept` or `reject`, found `maybe`",
    ] {
        assert!(err.contains(wanted), "{wanted}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), before);
    // Rows well formed, but one names no challenge and one answers a closed one.
    std::fs::write(
        &answers,
        "id,response,reason\n2026-06/duplicate/2606-999,accept,\n2026-04/duplicate/2604-055,reject,late\n",
    )
    .unwrap();
    let err = stderr(&respond());
    assert!(
        err.contains(
            "answers.csv:2:1: error: no challenge `2026-06/duplicate/2606-999` was raised"
        ),
        "{err}"
    );
    assert!(err.contains("answers.csv:3:1: error: `2026-04/duplicate/2604-055`: the challenge is already accepted (closed)"), "{err}");
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), before);
    // A good file: one accepted, one rejected with its reason, one left blank.
    std::fs::write(
        &answers,
        "id,response,reason\n2026-06/duplicate/2606-055,accept,\n2026-06/fu-ratio/100,Reject,\"Case mix: see the attached audit, tab 2\"\n2026-06/responsible-commissioner/2606-056,,\n",
    )
    .unwrap();
    let out = respond();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(&log_file).unwrap();
    assert_eq!(
        after,
        format!("{before}2026-07-20,2026-06/duplicate/2606-055,accepted,Fixture Hospital NHS Trust,\n2026-07-20,2026-06/fu-ratio/100,rejected,Fixture Hospital NHS Trust,\"Case mix: see the attached audit, tab 2\"\n")
    );
    // The same file again changes nothing.
    let again = respond();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("nothing to record"),
        "{}",
        stdout(&again)
    );
    assert_eq!(std::fs::read_to_string(&log_file).unwrap(), after);
}
