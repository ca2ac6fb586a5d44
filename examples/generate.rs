//! Writes the example workspace's monthly data, or one large activity month for benchmarks.
//!
//!     cargo run --release --example generate                  # the example workspace, in place
//!     cargo run --release --example generate -- --workspace DIR
//!     cargo run --release --example generate -- --activity-rows 10000000 --out big.csv
//!     cargo run --release --example generate -- --answer-workbook IN.xlsx --out OUT.xlsx
//!
//! The last answers every challenge of a letter's workbook as a provider might (accept, or
//! every tenth reject with a reason), streaming, for the benchmark of `levers respond`.
//!
//! Deterministic: the same arguments always write byte-identical files. The month-by-month
//! figures below tell a story a contracts team would recognise: A&E performance slipping into a
//! run of red months over winter and recovering, a critical incident in January 2026, waiting
//! lists growing, late data submissions, and an IT supplier missing service levels.

use levers::model::calendar::{Calendar, Month};
use levers::sample::{write_activity, ActivityMonth, Rng};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const FIRST: &str = "2025-04";
const LAST: &str = "2026-10";

// One entry per month from April 2025 to October 2026.
const AE_WITHIN_4H_PER_MILLE: [u64; 19] = [
    805, 801, 798, 794, 790, 781, 772, 754, 735, 722, 748, 768, 784, 792, 796, 789, 781, 768, 752,
];
const AE_OVER_12H_PER_100K: [u64; 19] = [
    4200, 4500, 4800, 5200, 5500, 6500, 8200, 9800, 11800, 12600, 10400, 8300, 6500, 5400, 4900,
    5600, 6700, 8400, 10300,
];
const FOLLOW_UP_RATIO: [u64; 19] = [
    195, 198, 205, 210, 215, 220, 218, 212, 205, 200, 198, 196, 199, 203, 208, 214, 219, 223, 226,
];
const RTT_UNDER_18_PER_MILLE: [u64; 19] = [
    612, 618, 624, 628, 631, 626, 619, 611, 604, 608, 617, 629, 641, 652, 660, 663, 659, 648, 641,
];
const RTT_52_WEEKS: [u64; 19] = [
    14, 13, 12, 12, 11, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6, 5, 6, 7, 7,
];
const HANDOVERS_30_60: [u64; 19] = [
    20, 19, 22, 26, 30, 34, 45, 48, 44, 35, 30, 27, 25, 24, 22, 26, 29, 33, 35,
];
const HANDOVERS_OVER_60: [u64; 19] = [0, 1, 0, 1, 2, 2, 5, 6, 4, 2, 1, 0, 0, 1, 0, 1, 2, 2, 2];
const MSA_PATIENT_DAYS: [u64; 19] = [0, 0, 3, 0, 0, 5, 8, 12, 7, 3, 0, 0, 0, 2, 0, 0, 4, 6, 9];
const FFT_POSITIVE_TENTHS: [u64; 19] = [
    931, 924, 918, 926, 912, 904, 896, 889, 894, 908, 916, 922, 928, 930, 925, 919, 914, 907, 912,
];
const SEPSIS_ON_TIME_OF_120: [u64; 19] = [
    104, 106, 103, 108, 110, 107, 101, 99, 102, 105, 109, 111, 112, 110, 108, 106, 109, 111, 113,
];
/// Discharge summaries sent within 24 hours, in tenths of a percent, and the Trust's note on
/// the months it fell short (its exception report in the return).
const DISCHARGE_SUMMARIES: [(u64, &str); 19] = [
    (962, ""),
    (958, ""),
    (951, ""),
    (
        942,
        "Summer leave left two medical wards without a discharge coordinator",
    ),
    (935, ""),
    (956, ""),
    (961, ""),
    (
        948,
        "Winter escalation wards opened without electronic discharge access",
    ),
    (939, ""),
    (
        882,
        "System-wide IT outage 6-12 January; summaries sent on paper and logged late",
    ),
    (924, ""),
    (953, ""),
    (960, ""),
    (964, ""),
    (957, ""),
    (952, ""),
    (
        946,
        "Junior doctor rota gaps on the medical wards; locum cover agreed from 1 October",
    ),
    (931, ""),
    (954, ""),
];
const IT_P1_ON_TIME_PER_MILLE: [u64; 19] = [
    1000, 1000, 900, 1000, 1000, 950, 800, 1000, 1000, 900, 1000, 1000, 1000, 1000, 850, 1000,
    1000, 900, 1000,
];
const IT_P2_ON_TIME_PER_MILLE: [u64; 19] = [
    950, 940, 920, 910, 890, 860, 830, 870, 910, 930, 940, 950, 945, 920, 880, 860, 840, 870, 900,
];
/// Harbourline's account of the months availability fell short, in its return.
const IT_AVAILABILITY_NOTES: [&str; 19] = [
    "",
    "",
    "",
    "Data centre cooling fault on 9 July; failover took 4 hours",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "Planned network upgrade overran by 3 hours on 20 September",
    "Storage controller failure on 14 October; the firmware fix was applied on 16 October",
];
const IT_AVAILABILITY_HUNDREDTHS: [u64; 19] = [
    9982, 9975, 9961, 9920, 9944, 9971, 9990, 9935, 9912, 9960, 9978, 9981, 9969, 9948, 9941, 9975,
    9986, 9930, 9921,
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(book) = value("--answer-workbook") {
        let out = PathBuf::from(value("--out").unwrap_or_else(|| "answered.xlsx".into()));
        let answered = answer_workbook(Path::new(&book), &out);
        eprintln!("answered {answered} challenges in {}", out.display());
        return;
    }
    if let Some(rows) = value("--activity-rows") {
        let rows: usize = rows.parse().expect("--activity-rows takes a number");
        let out = PathBuf::from(value("--out").unwrap_or_else(|| "activity.csv".into()));
        let month: Month = value("--month")
            .unwrap_or_else(|| "2026-04".into())
            .parse()
            .expect("--month takes YYYY-MM");
        let seed: u64 = value("--seed").map_or(42, |s| s.parse().expect("--seed takes a number"));
        let file = std::fs::File::create(&out).expect("cannot create the output file");
        let mut writer = std::io::BufWriter::with_capacity(1 << 22, file);
        let spec = ActivityMonth {
            month,
            rows,
            seed,
            ae_within_4h: 750_000,
            ae_over_12h: 20_000,
            follow_up_ratio: 175,
        };
        write_activity(&mut writer, &spec).expect("cannot write activity");
        writer.flush().expect("cannot write activity");
        eprintln!("wrote {rows} rows to {}", out.display());
        return;
    }
    let root = PathBuf::from(value("--workspace").unwrap_or_else(|| ".".into()));
    generate_workspace(&root);
}

fn months() -> Vec<Month> {
    FIRST
        .parse::<Month>()
        .unwrap()
        .through(LAST.parse().unwrap())
        .collect()
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).expect("cannot create folders");
    std::fs::write(&path, text).expect("cannot write a file");
}

fn generate_workspace(root: &Path) {
    let calendar = Calendar::england_and_wales(&[]);
    let acute = "contracts/northshore-acute";
    let it = "contracts/northgate-it-sla";
    let mut acute_receipts = String::from("month,dataset,received\n");
    let mut it_receipts = String::from("month,dataset,received\n");
    for (i, month) in months().into_iter().enumerate() {
        let seed = 2025_0000 + i as u64 * 17;
        // Acute: patient-level activity.
        let spec = ActivityMonth {
            month,
            rows: 3_000,
            seed,
            ae_within_4h: AE_WITHIN_4H_PER_MILLE[i] * 1_000,
            ae_over_12h: AE_OVER_12H_PER_100K[i] * 10,
            follow_up_ratio: FOLLOW_UP_RATIO[i],
        };
        let mut bytes = Vec::new();
        write_activity(&mut bytes, &spec).unwrap();
        write(
            root,
            &format!("{acute}/data/activity/{month}.csv"),
            &String::from_utf8(bytes).unwrap(),
        );
        write(
            root,
            &format!("{acute}/data/rtt/{month}.csv"),
            &rtt(month, i, seed),
        );
        write(
            root,
            &format!("{acute}/data/handovers/{month}.csv"),
            &handovers(month, i, seed),
        );
        write(
            root,
            &format!("{acute}/data/msa/{month}.csv"),
            &msa(month, i),
        );
        write(
            root,
            &format!("{acute}/data/returns/{month}.csv"),
            &format!(
                "kpi,numerator,denominator,value,note\nfft-positive,,,{}.{},\ncquin-sepsis,{},120,,audit of 120 patients\ndischarge-summaries,,,{}.{},{}\n",
                FFT_POSITIVE_TENTHS[i] / 10,
                FFT_POSITIVE_TENTHS[i] % 10,
                SEPSIS_ON_TIME_OF_120[i],
                DISCHARGE_SUMMARIES[i].0 / 10,
                DISCHARGE_SUMMARIES[i].0 % 10,
                DISCHARGE_SUMMARIES[i].1
            ),
        );
        // Receipts: activity is late for August 2026, RTT for May 2026.
        let wd = |n| {
            calendar
                .working_day_after(month, n)
                .format("%Y-%m-%d")
                .to_string()
        };
        let activity_day = if month.to_string() == "2026-08" {
            17
        } else {
            12
        };
        let rtt_day = if month.to_string() == "2026-05" {
            13
        } else {
            8
        };
        let _ = writeln!(acute_receipts, "{month},activity,{}", wd(activity_day));
        let _ = writeln!(acute_receipts, "{month},rtt,{}", wd(rtt_day));
        let _ = writeln!(acute_receipts, "{month},returns,{}", wd(14));

        // IT service: incidents and returns.
        write(
            root,
            &format!("{it}/data/incidents/{month}.csv"),
            &incidents(month, i, seed),
        );
        write(
            root,
            &format!("{it}/data/returns/{month}.csv"),
            &format!(
                "kpi,numerator,denominator,value,note\navailability,,,{}.{:02},{}\nuser-satisfaction,{},300,,\n",
                IT_AVAILABILITY_HUNDREDTHS[i] / 100,
                IT_AVAILABILITY_HUNDREDTHS[i] % 100,
                IT_AVAILABILITY_NOTES[i],
                248 + (i as u64 * 7) % 25
            ),
        );
        let incidents_day = if month.to_string() == "2026-07" { 7 } else { 3 };
        let _ = writeln!(it_receipts, "{month},incidents,{}", wd(incidents_day));
    }
    write(root, &format!("{acute}/submissions.csv"), &acute_receipts);
    write(root, &format!("{it}/submissions.csv"), &it_receipts);
    for (contract, provider, commissioner) in [
        (
            "northshore-acute",
            "Tom Reed (Northshore)",
            "Priya Shah (ICB)",
        ),
        (
            "northgate-it-sla",
            "Claire Benson (Harbourline)",
            "Daniel Price (ICB)",
        ),
    ] {
        write(
            root,
            &format!("contracts/{contract}/challenge-log.csv"),
            &challenge_log(root, contract, provider, commissioner),
        );
    }
    eprintln!(
        "wrote the example workspace's data for {FIRST} to {LAST} under {}",
        root.display()
    );
    replay_history(root, HISTORY_UNTIL.parse().unwrap());
}

/// The letters, notices and action logs the example ships with: what `levers run` wrote on each date it
/// had something due, up to the day before this date. The README's first command takes the
/// cycle on from there (the September final letter and the October provisional one).
const HISTORY_UNTIL: &str = "2026-11-16";

/// Runs `levers run` as of every date from the first letter's to `until` (exclusive) on which a
/// letter falls due, in a scratch git repository holding a copy of the workspace, and copies
/// the letters and action logs it wrote back into `root`.
fn replay_history(root: &Path, until: chrono::NaiveDate) {
    let scratch = std::env::temp_dir().join(format!("levers-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let copy = |from: &Path, to: &Path| {
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(from)
            .arg(to)
            .status()
            .expect("cp runs");
        assert!(status.success(), "cannot copy {}", from.display());
    };
    copy(&root.join("levers.toml"), &scratch);
    copy(&root.join("contracts"), &scratch);
    for id in ["northshore-acute", "northgate-it-sla"] {
        let dir = scratch.join("contracts").join(id);
        let _ = std::fs::remove_dir_all(dir.join("letters"));
        let _ = std::fs::remove_dir_all(dir.join("notices"));
        let _ = std::fs::remove_file(dir.join("action-log.md"));
    }
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .current_dir(&scratch)
            .args([
                "-c",
                "user.name=levers example",
                "-c",
                "user.email=example@localhost",
            ])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?} failed");
    };
    // Commits made under a fixed identity and at fixed times hash the same on every machine,
    // so the letters, which name their inputs' commit, are written byte for byte the same.
    let at = |date: chrono::NaiveDate| format!("{date}T07:30:00+0000");
    std::env::set_var("GIT_AUTHOR_NAME", "levers example");
    std::env::set_var("GIT_AUTHOR_EMAIL", "example@localhost");
    std::env::set_var("GIT_COMMITTER_NAME", "levers example");
    std::env::set_var("GIT_COMMITTER_EMAIL", "example@localhost");
    std::env::set_var("GIT_AUTHOR_DATE", at("2025-05-01".parse().unwrap()));
    std::env::set_var("GIT_COMMITTER_DATE", at("2025-05-01".parse().unwrap()));
    git(&["init", "--quiet"]);
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "Example workspace"]);
    let workspace = levers::load::workspace::Workspace::load(&scratch);
    let calendar = &workspace.calendar;
    let timetable = &workspace.settings.timetable;
    let mut dates: Vec<chrono::NaiveDate> = months()
        .into_iter()
        .flat_map(|m| {
            let d = timetable.dates_for(m, calendar);
            [d.provisional_letter, d.final_letter]
        })
        .filter(|d| *d < until)
        .collect();
    // Each exception report falls due the working day after a milestone was missed: cron runs
    // every day, so the report is written on its own date.
    for contract in &workspace.contracts {
        let (files, _) = levers::load::cases::read_all(&scratch, contract);
        for m in files.iter().flat_map(|f| &f.milestones) {
            if m.met.is_none_or(|met| met > m.due) {
                let day = calendar.add_working_days(m.due, 1);
                if day < until {
                    dates.push(day);
                }
            }
        }
    }
    dates.sort();
    dates.dedup();
    for today in dates {
        std::env::set_var("GIT_AUTHOR_DATE", at(today));
        std::env::set_var("GIT_COMMITTER_DATE", at(today));
        let globals = levers::cmd::Globals {
            workspace: Some(scratch.clone()),
            today,
            format: levers::cmd::Format::Table,
            quiet: true,
            verbose: 0,
            colour: false,
        };
        let code = levers::cmd::run::run(&globals, levers::cmd::run::RunArgs { dry_run: false })
            .expect("the example's history runs");
        assert_eq!(code, 0, "levers run --today {today} found a problem");
    }
    for id in ["northshore-acute", "northgate-it-sla"] {
        let from = scratch.join("contracts").join(id);
        let to = root.join("contracts").join(id);
        let _ = std::fs::remove_dir_all(to.join("letters"));
        copy(&from.join("letters"), &to);
        let _ = std::fs::remove_dir_all(to.join("notices"));
        if from.join("notices").exists() {
            copy(&from.join("notices"), &to);
        }
        std::fs::copy(from.join("action-log.md"), to.join("action-log.md"))
            .expect("the action log was written");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// The provider's responses and the commissioner's decisions, as a contracts team would have
/// recorded them by 23 November 2026: earlier months resolved (some through dispute), September
/// partly answered, October not yet answered.
fn challenge_log(root: &Path, id: &str, provider: &str, commissioner: &str) -> String {
    let workspace = levers::load::workspace::Workspace::load(root);
    let contract = workspace.contract(id).expect("the example contract loads");
    let last: Month = "2026-09".parse().unwrap();
    let history =
        levers::pass::month::history(root, contract, last).expect("the example data is valid");
    let calendar = &workspace.calendar;
    let timetable = &workspace.settings.timetable;
    let mut rng = Rng::new(99);
    let mut events: Vec<(chrono::NaiveDate, String, u8, String)> = Vec::new();
    for month in &history {
        let letter = timetable
            .dates_for(month.month, calendar)
            .provisional_letter;
        let resolved = month.month.to_string().as_str() <= "2026-05";
        for c in &month.challenges {
            if month.month == last && rng.chance(300_000) {
                continue; // no response yet: overdue
            }
            let mut day = calendar.add_working_days(letter, 1 + rng.below(8) as u32);
            let mut push = |day: chrono::NaiveDate, seq: u8, event: &str, by: &str, note: &str| {
                events.push((
                    day,
                    c.id(),
                    seq,
                    format!("{},{},{event},{by},{note}", day, c.id()),
                ));
            };
            if !rng.chance(200_000) {
                push(day, 0, "accepted", provider, "");
                continue;
            }
            push(
                day,
                0,
                "rejected",
                provider,
                "\"The Trust's records show this activity is valid\"",
            );
            day = calendar.add_working_days(day, 5);
            let roll = rng.below(10);
            if roll < 4 {
                push(day, 1, "withdrawn", commissioner, "Trust evidence accepted");
            } else if roll < 7 {
                push(
                    day,
                    1,
                    "rechallenged",
                    commissioner,
                    "\"Discharge summary shows a single attendance; extract attached\"",
                );
                push(
                    calendar.add_working_days(day, 7),
                    2,
                    "accepted",
                    provider,
                    "",
                );
            } else {
                push(
                    day,
                    1,
                    "disputed",
                    commissioner,
                    "Referred under the dispute resolution procedure",
                );
                if resolved {
                    let outcome = if rng.chance(600_000) {
                        "upheld"
                    } else {
                        "overturned"
                    };
                    push(
                        calendar.add_working_days(day, 20),
                        2,
                        outcome,
                        "Dispute panel",
                        "",
                    );
                }
            }
        }
    }
    events.sort();
    let mut out = String::from("date,challenge,event,by,note\n");
    for (_, _, _, line) in events {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn rtt(month: Month, i: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed + 1);
    let mut out = String::from("pathway_id,treatment_function,weeks_waiting\n");
    let rows = 800;
    let long = RTT_52_WEEKS[i];
    for k in 1..=rows {
        let tfc = levers::sample::SERVICES[rng.below(20) as usize];
        let weeks = if (k as u64) <= long {
            rng.between(52, 60)
        } else if rng.chance(RTT_UNDER_18_PER_MILLE[i] * 1_000) {
            rng.below(18)
        } else {
            rng.between(18, 51)
        };
        let _ = writeln!(
            out,
            "P{}{:02}-{k:05},{tfc},{weeks}",
            month.year() % 100,
            month.month()
        );
    }
    out
}

fn handovers(month: Month, i: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed + 2);
    let mut out = String::from("handover_id,arrival_date,handover_minutes\n");
    let days = month
        .last_day()
        .format("%d")
        .to_string()
        .parse::<u64>()
        .unwrap();
    for k in 1..=400u64 {
        let minutes = if k <= HANDOVERS_30_60[i] {
            rng.between(31, 60)
        } else if k <= HANDOVERS_30_60[i] + HANDOVERS_OVER_60[i] {
            rng.between(61, 180)
        } else {
            rng.between(5, 30)
        };
        let day = rng.between(1, days);
        let _ = writeln!(
            out,
            "H{}{:02}-{k:04},{}-{:02}-{day:02},{minutes}",
            month.year() % 100,
            month.month(),
            month.year(),
            month.month()
        );
    }
    out
}

fn msa(month: Month, i: usize) -> String {
    let mut out = String::from("breach_id,ward,patient_days\n");
    let mut left = MSA_PATIENT_DAYS[i];
    let wards = ["Ward 7", "Ward 12", "Acute Medical Unit"];
    let mut k = 0;
    while left > 0 {
        let days = left.min(3);
        k += 1;
        let _ = writeln!(
            out,
            "M{}{:02}-{k:02},{},{days}",
            month.year() % 100,
            month.month(),
            wards[k % 3]
        );
        left -= days;
    }
    out
}

fn incidents(month: Month, i: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed + 3);
    let mut out =
        String::from("ticket_ref,priority,category,opened,resolution_minutes,reopened,charge\n");
    let days = month
        .last_day()
        .format("%d")
        .to_string()
        .parse::<u64>()
        .unwrap();
    let categories = [
        "service-desk",
        "end-user-devices",
        "network",
        "hosting",
        "applications",
    ];
    let mut charged: Vec<String> = Vec::new();
    let mut k = 0;
    // Exactly 20 P1s a month, so the P1 figure moves in 5% steps.
    let mut p1_on_time = (IT_P1_ON_TIME_PER_MILLE[i] * 20 / 1000) as usize;
    for n in 0..160 {
        k += 1;
        let reference = format!("INC{}{:02}{k:04}", month.year() % 100, month.month());
        if !charged.is_empty() && rng.chance(15_000) {
            let body = &charged[rng.below(charged.len() as u64) as usize];
            let _ = writeln!(out, "{reference},{body}");
            continue;
        }
        let (priority, within) = if n < 20 {
            let on_time = p1_on_time > 0;
            p1_on_time = p1_on_time.saturating_sub(1);
            ("P1", on_time)
        } else if n < 60 {
            ("P2", rng.chance(IT_P2_ON_TIME_PER_MILLE[i] * 1_000))
        } else if n < 120 {
            ("P3", true)
        } else {
            ("P4", true)
        };
        let limit = match priority {
            "P1" => 240,
            "P2" => 480,
            "P3" => 2_400,
            _ => 7_200,
        };
        let minutes = if within {
            rng.between(15, limit)
        } else {
            rng.between(limit + 1, limit * 3)
        };
        let roll = rng.below(1000);
        let category = if roll < 25 {
            "training"
        } else if roll < 40 {
            "printing"
        } else {
            categories[rng.below(5) as usize]
        };
        let reopened = rng.chance(45_000);
        let charge = if category == "training" || category == "printing" || rng.chance(60_000) {
            rng.between(15_000, 250_000)
        } else {
            0
        };
        let day = rng.between(1, days);
        let body = format!(
            "{priority},{category},{day:02}/{:02}/{},{minutes},{},{}.{:02}",
            month.month(),
            month.year(),
            if reopened { "yes" } else { "no" },
            charge / 100,
            charge % 100
        );
        if charge > 0 {
            charged.push(body.clone());
        }
        let _ = writeln!(out, "{reference},{body}");
    }
    out
}

/// Copies the `Challenges` sheet of `book` to `out`, answering every row: accept, or every
/// tenth row reject with a reason. Both sides stream (cells in, rows out), as a provider's
/// export of hundreds of thousands of answers would be large.
fn answer_workbook(book: &Path, out: &Path) -> usize {
    use calamine::DataRef;
    let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(book).expect("a workbook");
    let mut cells = xlsx
        .worksheet_cells_reader("Challenges")
        .expect("a Challenges sheet");
    let mut written = rust_xlsxwriter::Workbook::new();
    let sheet = written
        .add_worksheet_with_constant_memory()
        .expect("a temporary file");
    sheet.set_name("Challenges").unwrap();
    let mut last_row = 0;
    let mut answered = 0;
    let mut finish_row = |sheet: &mut rust_xlsxwriter::Worksheet, row: u32| {
        if row == 0 {
            return;
        }
        answered += 1;
        if row.is_multiple_of(10) {
            sheet.write_string(row, 9, "reject").unwrap();
            sheet
                .write_string(row, 10, "Validated against the Trust's PAS extract")
                .unwrap();
        } else {
            sheet.write_string(row, 9, "accept").unwrap();
        }
    };
    while let Some(cell) = cells.next_cell().expect("a readable sheet") {
        let (row, col) = cell.get_position();
        if row != last_row {
            finish_row(sheet, last_row);
            last_row = row;
        }
        match cell.get_value() {
            DataRef::String(s) => {
                sheet.write_string(row, col as u16, s).unwrap();
            }
            DataRef::SharedString(s) => {
                sheet.write_string(row, col as u16, *s).unwrap();
            }
            DataRef::Float(f) => {
                sheet.write_number(row, col as u16, *f).unwrap();
            }
            DataRef::DateTime(d) => {
                sheet.write_number(row, col as u16, d.as_f64()).unwrap();
            }
            _ => {}
        }
    }
    finish_row(sheet, last_row);
    written
        .save(out)
        .expect("cannot write the answered workbook");
    answered
}
