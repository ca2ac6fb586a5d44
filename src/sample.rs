//! Deterministic synthetic data: the starter workspace of `levers init`, the monthly files of
//! the example workspace (`cargo run --example generate`), and large activity files for the
//! benchmark. The same seed always gives byte-identical files.
//!
//! The activity shape follows the shared benchmark generator: about 0.5% of rows repeat an
//! earlier row under a new record id, 1% carry a bad NHS number check digit and 0.5% a blank,
//! 2% belong to another commissioner, 1% have treatment function 999.

use crate::model::calendar::{Calendar, Month};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

/// SplitMix64: small, fast, and identical on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`: the same seed always gives the same numbers.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next number of the sequence, spread evenly over every `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `per_million` / 1,000,000 (integer odds keep files identical
    /// across platforms).
    pub fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }

    /// Uniform in `low..=high` (`high` must not be below `low`).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }
}

/// A valid NHS number (Modulus 11) drawn from `rng`.
pub fn nhs_number(rng: &mut Rng) -> String {
    loop {
        let stem = rng.between(400_000_000, 799_999_999).to_string();
        let sum: u32 = stem
            .bytes()
            .zip((2..=10).rev())
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        match 11 - sum % 11 {
            10 => continue,
            11 => return format!("{stem}0"),
            c => return format!("{stem}{c}"),
        }
    }
}

/// The header of generated activity files.
pub const ACTIVITY_HEADER: &str = "record_id,nhs_number,commissioner_code,provider_code,pod,treatment_function,hrg,start_date,end_date,minutes_in_department,price\n";

/// The treatment function codes generated activity draws from.
pub const SERVICES: [&str; 20] = [
    "100", "101", "110", "120", "130", "140", "150", "160", "300", "301", "320", "330", "340",
    "400", "410", "420", "430", "500", "501", "502",
];

/// The shape of one month of patient-level activity.
#[derive(Debug, Clone)]
pub struct ActivityMonth {
    /// The activity month: the dates and record ids of the rows.
    pub month: Month,
    /// How many rows to write.
    pub rows: usize,
    /// The seed of the month's random numbers.
    pub seed: u64,
    /// Chance per million that an A&E attendance is within 4 hours.
    pub ae_within_4h: u64,
    /// Chance per million that an A&E attendance is over 12 hours.
    pub ae_over_12h: u64,
    /// Follow-ups per first attendance, in hundredths (230 = 2.3 follow-ups per first).
    pub follow_up_ratio: u64,
}

/// Writes one month of activity as CSV. Memory stays small whatever `rows` is.
pub fn write_activity(out: &mut impl Write, spec: &ActivityMonth) -> io::Result<()> {
    let mut rng = Rng::new(spec.seed);
    let pool: Vec<String> = (0..(spec.rows / 3).clamp(50, 2_000_000))
        .map(|_| nhs_number(&mut rng))
        .collect();
    let days = spec
        .month
        .last_day()
        .format("%d")
        .to_string()
        .parse::<u64>()
        .unwrap_or(28);
    let hrgs: Vec<String> = ["AA", "FD", "LB", "VB", "WH"]
        .iter()
        .flat_map(|c| {
            (1..=10).flat_map(move |n| ['A', 'B', 'C', 'D'].map(|l| format!("{c}{n:02}{l}")))
        })
        .collect();
    // Points of delivery by share per thousand; follow-ups take the share the ratio implies.
    let first_share = 200u64;
    let follow_share = (first_share * spec.follow_up_ratio / 100).min(450);
    let pods: [(&str, u64, u64, u64); 6] = [
        ("AE", 200, 10_000, 40_000),
        ("EL", 50, 150_000, 900_000),
        ("DC", 100, 50_000, 150_000),
        ("NEL", 100, 100_000, 1_200_000),
        ("OPFA", first_share, 12_000, 25_000),
        ("OPFU", follow_share, 6_000, 15_000),
    ];
    let total_share: u64 = pods.iter().map(|p| p.1).sum();
    let mut ring: Vec<String> = Vec::new();
    let mut line = String::with_capacity(160);
    out.write_all(ACTIVITY_HEADER.as_bytes())?;
    for k in 1..=spec.rows {
        line.clear();
        let _ = write!(
            line,
            "R{}{:02}-{k:07},",
            spec.month.year() % 100,
            spec.month.month()
        );
        if !ring.is_empty() && rng.chance(5_000) {
            let body = &ring[rng.below(ring.len() as u64) as usize];
            line.push_str(body);
            out.write_all(line.as_bytes())?;
            continue;
        }
        let body_start = line.len();
        let mut nhs = pool[rng.below(pool.len() as u64) as usize].clone();
        let roll = rng.below(1_000_000);
        if roll < 5_000 {
            nhs.clear();
        } else if roll < 15_000 {
            let last = nhs.pop().map_or(0, |c| c as u8 - b'0');
            nhs.push(char::from(b'0' + (last + 1 + rng.below(9) as u8) % 10));
        }
        let commissioner = if rng.chance(20_000) {
            ["99A", "11J", "QSL"][rng.below(3) as usize]
        } else {
            "15N"
        };
        let mut pick = rng.below(total_share);
        let pod = pods
            .iter()
            .find(|p| {
                if pick < p.1 {
                    true
                } else {
                    pick -= p.1;
                    false
                }
            })
            .unwrap_or(&pods[0]);
        let tfc = if rng.chance(10_000) {
            "999"
        } else {
            SERVICES[rng.below(20) as usize]
        };
        let hrg = &hrgs[rng.below(hrgs.len() as u64) as usize];
        let day = rng.between(1, days);
        let end_day = if matches!(pod.0, "EL" | "NEL") {
            (day + rng.below(11)).min(days)
        } else {
            day
        };
        let minutes = if pod.0 == "AE" {
            let roll = rng.below(1_000_000);
            let m = if roll < spec.ae_within_4h {
                rng.between(20, 240)
            } else if roll < spec.ae_within_4h + spec.ae_over_12h {
                rng.between(721, 1_500)
            } else {
                rng.between(241, 720)
            };
            m.to_string()
        } else {
            String::new()
        };
        let pence = rng.between(pod.2, pod.3);
        let (y, m) = (spec.month.year(), spec.month.month());
        let _ = writeln!(
            line,
            "{nhs},{commissioner},RXX,{},{tfc},{hrg},{y}-{m:02}-{day:02},{y}-{m:02}-{end_day:02},{minutes},{}.{:02}",
            pod.0,
            pence / 100,
            pence % 100
        );
        let body = line[body_start..].to_string();
        if ring.len() < 5_000 {
            ring.push(body);
        } else {
            let slot = rng.below(5_000) as usize;
            ring[slot] = body;
        }
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// The files of `levers init`: levers.toml, one contract, three months of data and receipts.
pub fn starter_workspace() -> Vec<(PathBuf, String)> {
    let mut files = vec![
        (PathBuf::from("levers.toml"), STARTER_SETTINGS.to_string()),
        (
            PathBuf::from("contracts/example/contract.toml"),
            STARTER_CONTRACT.to_string(),
        ),
        (PathBuf::from(".gitignore"), ".levers/\n".to_string()),
    ];
    let calendar = Calendar::england_and_wales(&[]);
    let mut submissions = String::from("month,dataset,received\n");
    let first: Month = "2026-04".parse().expect("valid month");
    for (i, month) in first
        .through("2026-06".parse().expect("valid month"))
        .enumerate()
    {
        let spec = ActivityMonth {
            month,
            rows: 400,
            seed: 1000 + i as u64,
            ae_within_4h: [960_000, 930_000, 900_000][i],
            ae_over_12h: [0, 5_000, 15_000][i],
            follow_up_ratio: 200,
        };
        let mut bytes = Vec::new();
        write_activity(&mut bytes, &spec).expect("writing to memory cannot fail");
        files.push((
            PathBuf::from(format!("contracts/example/data/activity/{month}.csv")),
            String::from_utf8(bytes).expect("generated text is UTF-8"),
        ));
        let received = calendar.working_day_after(month, 12);
        let _ = writeln!(
            submissions,
            "{month},activity,{}",
            received.format("%Y-%m-%d")
        );
    }
    files.push((
        PathBuf::from("contracts/example/submissions.csv"),
        submissions,
    ));
    files
}

const STARTER_SETTINGS: &str = r#"# levers workspace settings. See the levers README for every key.
[organisation]
name = "Example Integrated Care Board"
code = "15N"
address = ["1 Example Street", "Exampletown", "EX1 1AA"]

[calendar]
bank_holidays = "england-and-wales"

[timetable]
flex = 14
freeze = 30
provisional_letter = 17
response_days = 10
final_letter = 33
"#;

const STARTER_CONTRACT: &str = r#"title = "Example acute services 2026/27"
reference = "EX/ACUTE/2026/001"
provider = { name = "Example Hospitals NHS Trust", code = "RXX", address = ["Hospital Road", "Exampletown", "EX2 2BB"] }
start = 2026-04-01
end = 2027-03-31
annual_value = "24000000.00"
commissioners = ["15N"]
services = ["100", "101", "110", "120", "130", "140", "150", "160", "300", "301", "320", "330", "340", "400", "410", "420", "430", "500", "501", "502"]

[contacts]
commissioner_lead = { name = "Alex Morgan", title = "Head of Contracting" }
provider_lead = { name = "Sam Patel", title = "Director of Contracts" }
finance_lead = { name = "Jo Evans", title = "Deputy Director of Finance" }

[[kpi]]
id = "ae-4hr"
name = "A&E: patients admitted, transferred or discharged within 4 hours"
group = "national"
where = "pod = 'AE'"
numerator = "minutes_in_department <= 240"
target = ">= 95%"
amber = ">= 93%"
consequence = { per_excess = "120.00", floor = "85%" }

[[kpi]]
id = "ae-12hr"
name = "12-hour waits in A&E from arrival"
group = "national"
count = "pod = 'AE' AND minutes_in_department > 720"
target = "= 0"
consequence = { per_excess = "1000.00" }

[[kpi]]
id = "valid-nhs-number"
name = "Activity with a valid NHS number"
group = "data quality"
numerator = "valid_nhs_number(nhs_number)"
target = ">= 99%"

[consequences]
cap = "2.5%"

[[information]]
dataset = "activity"
due = "flex"
consequence = { percent_of_monthly_value = "1%", mode = "withhold" }

[[challenge]]
id = "duplicate"
name = "Duplicate activity"
duplicate_of = ["nhs_number", "pod", "start_date", "hrg"]

[[challenge]]
id = "responsible-commissioner"
name = "Not this commissioner's responsibility"
where = "commissioner_code NOT IN contract.commissioners"

[[challenge]]
id = "invalid-nhs-number"
name = "Invalid NHS number"
where = "nhs_number IS NULL OR NOT valid_nhs_number(nhs_number)"

[[escalation]]
step = "Raised at Contract Review Meeting"
when = "red 1"
owner = "contacts.commissioner_lead"
meeting = "CRM"
due = "wd 10"

[[escalation]]
step = "Contract Performance Notice"
when = "red 2"
owner = "contacts.commissioner_lead"
due = "wd 5"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_valid() {
        let spec = ActivityMonth {
            month: "2026-04".parse().unwrap(),
            rows: 500,
            seed: 7,
            ae_within_4h: 900_000,
            ae_over_12h: 10_000,
            follow_up_ratio: 200,
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_activity(&mut a, &spec).unwrap();
        write_activity(&mut b, &spec).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count(), 501);
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(crate::model::cell::valid_nhs_number(&nhs_number(&mut rng)));
        }
    }
}
