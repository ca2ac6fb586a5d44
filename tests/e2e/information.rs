//! Information provision (§4.7): due dates from the timetable and calendar, and late, missing,
//! on-time and not-yet-due receipts.

use levers::load::workspace::Workspace;
use levers::results::information::{assess, Provision};

#[test]
fn due_dates_and_receipts_give_each_status() {
    let contract = r#"
[[information]]
dataset = "events"
due = "flex"

[[information]]
dataset = "returns"
due = "wd 10"
"#;
    // April 2026: flex is working day 14 after month end, 21 May (4 May is a bank holiday);
    // working day 10 is 15 May.
    let submissions = "month,dataset,received\n2026-04,events,2026-05-21\n2026-04,returns,2026-05-18\n2026-05,events,2026-06-01\n".to_string();
    let root = crate::common::string_workspace(
        "information",
        contract,
        &[("submissions.csv", submissions)],
    );
    let ws = Workspace::load(&root);
    assert!(
        !ws.problems.has_errors(),
        "{:?}",
        ws.problems.iter().collect::<Vec<_>>()
    );
    let c = ws.contract("c").unwrap();
    let file = c.dir.join("submissions.csv");
    let (subs, problems) = levers::load::submissions::read(&root.join(&file), &file, c);
    assert!(problems.is_empty());
    // The files stored: every receipted month's, as `import` stores them.
    let stored_with = |month: &str, stored: &dyn Fn(&str) -> bool, today: &str| {
        assess(
            c,
            &subs,
            month.parse().unwrap(),
            today.parse().unwrap(),
            &ws.settings.timetable,
            &ws.calendar,
            stored,
        )
        .into_iter()
        .map(|i| (format!("{} due {}", i.dataset, i.due), i.status))
        .collect::<Vec<(String, Provision)>>()
    };
    let status = |month: &str, today: &str| {
        let receipted = |dataset: &str| month == "2026-04" || dataset == "events";
        stored_with(month, &receipted, today)
    };
    assert_eq!(
        status("2026-04", "2026-06-30"),
        [
            ("events due 2026-05-21".to_string(), Provision::OnTime),
            ("returns due 2026-05-15".to_string(), Provision::Late)
        ]
    );
    // May: events arrived on 1 June, well before its due date; returns never came.
    assert_eq!(
        status("2026-05", "2026-06-10")[1].1,
        Provision::NotDue,
        "returns are not due until working day 10"
    );
    assert_eq!(status("2026-05", "2026-07-01")[1].1, Provision::Missing);
    assert_eq!(status("2026-05", "2026-07-01")[0].1, Provision::OnTime);
    // A receipt dated after today had not happened as of today.
    assert_eq!(status("2026-05", "2026-05-30")[0].1, Provision::NotDue);
    // A file with no receipt: it arrived, when is not known, so no breach is claimed.
    let everything = |_: &str| true;
    assert_eq!(
        stored_with("2026-05", &everything, "2026-07-01")[1].1,
        Provision::Unrecorded
    );
    // A receipt with no file: there is no data, whatever the record says.
    let nothing = |_: &str| false;
    assert_eq!(
        stored_with("2026-04", &nothing, "2026-06-30")[0].1,
        Provision::Missing
    );
}
