//! Consequences through the library, on small workspaces written from strings: the published
//! historical sanction cases, withholding and release, `after`, caps, and properties of the
//! ledger.

use levers::load::workspace::Workspace;
use levers::model::calendar::Month;
use levers::model::money::Money;
use levers::results::kpi::ConsequenceStatus;
use levers::results::month::contract_month;
use proptest::prelude::*;
use std::path::PathBuf;

struct Fixture {
    root: PathBuf,
}

impl Fixture {
    /// A workspace with one contract `c` (the shared `events` dataset, then `contract_extra`)
    /// and the given files.
    fn new(name: &str, contract_extra: &str, files: &[(&str, String)]) -> Fixture {
        Fixture {
            root: crate::common::string_workspace(
                &format!("consequences-{name}"),
                contract_extra,
                files,
            ),
        }
    }

    fn workspace(&self) -> Workspace {
        let ws = Workspace::load(&self.root);
        assert!(
            !ws.problems.has_errors(),
            "{:?}",
            ws.problems.iter().collect::<Vec<_>>()
        );
        ws
    }
}

/// Rows of the `events` dataset: `n` rows of `kind` with `minutes` and `days`.
fn events(groups: &[(&str, usize, i64, i64)]) -> String {
    let mut out = String::from("id,kind,minutes,days,who,price\n");
    let mut k = 0;
    for (kind, n, minutes, days) in groups {
        for _ in 0..*n {
            k += 1;
            out.push_str(&format!("E{k},{kind},{minutes},{days},,0.00\n"));
        }
    }
    out
}

fn pounds(text: &str) -> Money {
    levers::model::money::parse_money(text).unwrap()
}

#[test]
fn ambulance_handovers_69_of_30_to_60_minutes_and_2_over_60_cost_15800() {
    let kpis = r#"
[[kpi]]
id = "h30"
from = "events"
count = "kind = 'handover' AND minutes > 30 AND minutes <= 60"
target = "= 0"
consequence = { per_excess = "200.00" }
[[kpi]]
id = "h60"
from = "events"
count = "kind = 'handover' AND minutes > 60"
target = "= 0"
consequence = { per_excess = "1000.00" }
"#;
    let data = events(&[
        ("handover", 69, 45, 0),
        ("handover", 2, 75, 0),
        ("handover", 300, 20, 0),
    ]);
    let f = Fixture::new("handovers", kpis, &[("data/events/2026-04.csv", data)]);
    let ws = f.workspace();
    let report = contract_month(
        &ws,
        ws.contract("c").unwrap(),
        "2026-04".parse().unwrap(),
        "2026-06-30".parse().unwrap(),
    )
    .unwrap();
    let amount = |id: &str| {
        report
            .kpis
            .iter()
            .find(|k| k.kpi == id)
            .unwrap()
            .consequence
    };
    assert_eq!(amount("h30"), pounds("13800.00"));
    assert_eq!(amount("h60"), pounds("2000.00"));
    assert_eq!(report.position.deductions, pounds("15800.00"));
}

#[test]
fn mixed_sex_accommodation_203_patient_days_cost_50750() {
    let kpis = r#"
[[kpi]]
id = "msa"
from = "events"
sum = "days"
where = "kind = 'msa'"
target = "= 0"
consequence = { per_excess = "250.00" }
"#;
    let data = events(&[("msa", 67, 0, 3), ("msa", 1, 0, 2)]);
    let f = Fixture::new("msa", kpis, &[("data/events/2026-04.csv", data)]);
    let ws = f.workspace();
    let report = contract_month(
        &ws,
        ws.contract("c").unwrap(),
        "2026-04".parse().unwrap(),
        "2026-06-30".parse().unwrap(),
    )
    .unwrap();
    let k = &report.kpis[0];
    assert_eq!(k.excess, Some(203.into()));
    assert_eq!(k.consequence, pounds("50750.00"));
}

#[test]
fn ae_at_80_percent_of_10000_with_an_85_percent_floor_caps_the_excess_at_1000() {
    let kpis = r#"
[[kpi]]
id = "ae"
from = "events"
where = "kind = 'ae'"
numerator = "minutes <= 240"
target = ">= 95%"
consequence = { per_excess = "120.00", floor = "85%" }
"#;
    let data = events(&[("ae", 8000, 100, 0), ("ae", 2000, 300, 0)]);
    let f = Fixture::new("ae-floor", kpis, &[("data/events/2026-04.csv", data)]);
    let ws = f.workspace();
    let report = contract_month(
        &ws,
        ws.contract("c").unwrap(),
        "2026-04".parse().unwrap(),
        "2026-06-30".parse().unwrap(),
    )
    .unwrap();
    let k = &report.kpis[0];
    assert_eq!(k.excess, Some(1500.into()), "ceil(0.95 × 10,000) − 8,000");
    assert_eq!(
        k.consequence,
        pounds("120000.00"),
        "excess capped at 9,500 − 8,500 = 1,000"
    );
    assert!(
        k.consequence_basis.contains("capped at 1000"),
        "{}",
        k.consequence_basis
    );
}

fn monthly(f: &Fixture, month: &str) -> levers::results::month::ContractMonth<'static> {
    let ws: &'static Workspace = Box::leak(Box::new(f.workspace()));
    contract_month(
        ws,
        ws.contract("c").unwrap(),
        month.parse().unwrap(),
        "2027-06-30".parse().unwrap(),
    )
    .unwrap()
}

#[test]
fn a_withholding_is_released_when_the_kpi_is_green_again() {
    let kpis = r#"
[[kpi]]
id = "k"
from = "events"
where = "kind = 'x'"
numerator = "minutes <= 240"
target = ">= 90%"
consequence = { percent_of_monthly_value = "1%", mode = "withhold" }
"#;
    let red = events(&[("x", 8, 100, 0), ("x", 2, 300, 0)]);
    let green = events(&[("x", 10, 100, 0)]);
    let f = Fixture::new(
        "withhold",
        kpis,
        &[
            ("data/events/2026-04.csv", red.clone()),
            ("data/events/2026-05.csv", red),
            ("data/events/2026-06.csv", green),
        ],
    );
    let april = monthly(&f, "2026-04");
    assert_eq!(
        april.kpis[0].consequence_status,
        ConsequenceStatus::Withheld
    );
    assert_eq!(
        april.position.withholdings,
        pounds("10000.00"),
        "1% of £1,000,000"
    );
    let may = monthly(&f, "2026-05");
    assert_eq!(may.position.releases, Money::ZERO);
    assert_eq!(may.position.held, pounds("20000.00"));
    let june = monthly(&f, "2026-06");
    assert_eq!(
        june.position.releases,
        pounds("20000.00"),
        "both months' withholdings come back"
    );
    assert_eq!(june.position.held, Money::ZERO);
    assert_eq!(june.position.consequences_net(), pounds("20000.00"));
}

#[test]
fn after_3_applies_only_from_the_third_consecutive_failing_month() {
    let kpis = r#"
[[kpi]]
id = "k"
from = "events"
count = "kind = 'bad'"
target = "= 0"
consequence = { fixed = "500.00", after = 3 }
"#;
    let bad = events(&[("bad", 1, 0, 0)]);
    let f = Fixture::new(
        "after",
        kpis,
        &[
            ("data/events/2026-04.csv", bad.clone()),
            ("data/events/2026-05.csv", bad.clone()),
            ("data/events/2026-06.csv", bad),
        ],
    );
    assert_eq!(monthly(&f, "2026-04").kpis[0].consequence, Money::ZERO);
    assert_eq!(monthly(&f, "2026-05").kpis[0].consequence, Money::ZERO);
    assert!(monthly(&f, "2026-05").kpis[0]
        .consequence_basis
        .contains("applies from the 3rd"));
    assert_eq!(monthly(&f, "2026-06").kpis[0].consequence, pounds("500.00"));
}

#[test]
fn a_monthly_cap_that_binds_adds_one_adjustment_line() {
    let kpis = r#"
[[kpi]]
id = "k"
from = "events"
count = "kind = 'bad'"
target = "= 0"
consequence = { per_excess = "1000.00" }
[consequences]
cap = "2.5%"
"#;
    // 30 breaches × £1,000 = £30,000 against a cap of 2.5% of £1,000,000 = £25,000.
    let f = Fixture::new(
        "cap",
        kpis,
        &[("data/events/2026-04.csv", events(&[("bad", 30, 0, 0)]))],
    );
    let report = monthly(&f, "2026-04");
    let p = &report.position;
    assert_eq!(p.total_before_cap, pounds("30000.00"));
    assert_eq!(p.cap_adjustment, -pounds("5000.00"));
    assert_eq!(p.total_after_cap, pounds("25000.00"));
    assert_eq!(
        report.kpis[0].consequence,
        pounds("30000.00"),
        "the KPI keeps its full amount"
    );
    assert_eq!(report.kpis[0].consequence_status, ConsequenceStatus::Capped);
}

#[test]
fn an_annual_cap_binds_in_month_11() {
    let kpis = r#"
[[kpi]]
id = "k"
from = "events"
count = "kind = 'bad'"
target = "= 0"
consequence = { per_excess = "1000.00" }
[consequences]
annual_cap = "100000.00"
"#;
    // £10,000 a month: the financial year's £100,000 is reached in month 10 (January).
    let data = events(&[("bad", 10, 0, 0)]);
    let months: Vec<String> = "2026-04"
        .parse::<Month>()
        .unwrap()
        .through("2027-03".parse().unwrap())
        .map(|m| format!("data/events/{m}.csv"))
        .collect();
    let files: Vec<(&str, String)> = months.iter().map(|m| (m.as_str(), data.clone())).collect();
    let f = Fixture::new("annual-cap", kpis, &files);
    assert_eq!(
        monthly(&f, "2027-01").position.total_after_cap,
        pounds("10000.00"),
        "month 10 fills the cap exactly"
    );
    let feb = monthly(&f, "2027-02");
    assert_eq!(feb.position.total_before_cap, pounds("10000.00"));
    assert_eq!(
        feb.position.annual_cap_adjustment,
        -pounds("10000.00"),
        "month 11 is capped to nothing"
    );
    assert_eq!(feb.position.total_after_cap, Money::ZERO);
}

/// The annual cap bounds what the year keeps: a withholding released later in the year gives
/// its room back, so a month after the release can be charged again.
#[test]
fn a_released_withholding_gives_the_annual_cap_its_room_back() {
    let kpis = r#"
[[kpi]]
id = "k"
from = "events"
count = "kind = 'bad'"
target = "= 0"
consequence = { per_excess = "1000.00", mode = "withhold" }
[consequences]
annual_cap = "20000.00"
"#;
    // April and May withhold £10,000 each (the cap is full); June is green and releases both;
    // July withholds £10,000 again, within the room the release gave back.
    let f = Fixture::new(
        "annual-cap-release",
        kpis,
        &[
            ("data/events/2026-04.csv", events(&[("bad", 10, 0, 0)])),
            ("data/events/2026-05.csv", events(&[("bad", 10, 0, 0)])),
            ("data/events/2026-06.csv", events(&[("good", 10, 0, 0)])),
            ("data/events/2026-07.csv", events(&[("bad", 10, 0, 0)])),
        ],
    );
    let may = monthly(&f, "2026-05").position;
    assert_eq!(may.annual_cap_used, pounds("20000.00"));
    let june = monthly(&f, "2026-06").position;
    assert_eq!(june.releases, pounds("20000.00"));
    assert_eq!(june.annual_cap_used, Money::ZERO, "both sums came back");
    let july = monthly(&f, "2026-07").position;
    assert_eq!(july.annual_cap_adjustment, Money::ZERO);
    assert_eq!(july.total_after_cap, pounds("10000.00"));
    assert_eq!(july.annual_cap_used, pounds("10000.00"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the breaches, capping never increases the total, the total is the sum of the
    /// rounded items, and what is released is exactly what was withheld.
    #[test]
    fn caps_rounding_and_the_ledger_keep_every_penny(breaches in prop::collection::vec(0usize..40, 4), cap in 1u32..60, rate_pence in 1i64..200_000) {
        let kpis = format!(r#"
[[kpi]]
id = "k"
from = "events"
count = "kind = 'bad'"
target = "= 0"
consequence = {{ per_excess = "{}", mode = "withhold" }}
[consequences]
cap = "{}%"
"#, Money::from_pence(rate_pence).plain(), f64::from(cap) / 10.0);
        let months = ["2026-04", "2026-05", "2026-06", "2026-07"];
        let files: Vec<(String, String)> = months.iter().zip(&breaches).map(|(m, n)| (format!("data/events/{m}.csv"), events(&[("bad", *n, 0, 0), ("ok", 1, 0, 0)]))).collect();
        let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
        let f = Fixture::new(&format!("prop-{}", breaches.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("-")), &kpis, &files);
        let last = monthly(&f, "2026-07");
        let mut withheld = Money::ZERO;
        for month in months {
            let p = monthly(&f, month).position;
            prop_assert!(p.total_after_cap <= p.total_before_cap);
            let items: Money = p.items.iter().filter(|i| i.counts_towards_cap()).map(|i| i.amount).sum();
            prop_assert_eq!(items, p.total_before_cap);
            prop_assert_eq!(p.total_after_cap, p.total_before_cap + p.cap_adjustment + p.annual_cap_adjustment);
            withheld += p.total_after_cap;
        }
        let released: Money = last.ledger.iter().filter(|w| w.released_in.is_some()).map(|w| w.amount).sum();
        let held: Money = last.ledger.iter().filter(|w| w.released_in.is_none()).map(|w| w.amount).sum();
        prop_assert_eq!(released + held, withheld, "the ledger holds exactly what was withheld");
    }
}
