//! `levers explain`: how one figure was computed, in words an analyst can defend to the
//! provider: the expressions, the counts, the formula with the values put in, the rounding,
//! the cap, the variation or relief in force, and the first records behind it.

use crate::model::contract::{ChallengeForm, Measure};
use crate::results::kpi::{terms, ConsequenceStatus, KpiResult};
use crate::results::month::ContractMonth;
use rust_decimal::Decimal;
use std::fmt::Write as _;

fn n(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The explanation of KPI `id` (every group of a KPI with `by`).
pub(crate) fn kpi(report: &ContractMonth<'_>, id: &str) -> Option<String> {
    let contract = report.contract;
    let kpi = contract.kpi(id)?;
    let t = terms(contract, kpi, report.month);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) — {}, {}",
        kpi.name,
        kpi.id,
        contract.id,
        report.month.long_name()
    );
    let _ = writeln!(out, "Dataset: {}", kpi.dataset);
    match &kpi.measure {
        Measure::Ratio {
            filter,
            numerator,
            denominator,
            by,
        } => {
            let _ = writeln!(out, "Measure: a ratio of row counts");
            if let Some(f) = filter {
                let _ = writeln!(out, "  rows considered (where): {}", f.text);
            }
            let _ = writeln!(out, "  numerator: {}", numerator.text);
            match denominator {
                Some(d) => {
                    let _ = writeln!(out, "  denominator: {}", d.text);
                }
                None => {
                    let _ = writeln!(out, "  denominator: every row considered");
                }
            }
            if let Some(b) = by {
                let _ = writeln!(out, "  one value per group of: {}", b.text);
            }
        }
        Measure::Count { condition } => {
            let _ = writeln!(out, "Measure: the number of rows where {}", condition.text);
        }
        Measure::Aggregate {
            aggregate,
            value,
            filter,
        } => {
            let _ = writeln!(
                out,
                "Measure: {} of {}{}",
                aggregate.name(),
                value.text,
                filter
                    .as_ref()
                    .map_or_else(String::new, |f| format!(" over rows where {}", f.text))
            );
            if matches!(aggregate, crate::model::contract::Aggregate::Percentile(_)) {
                let _ = writeln!(
                    out,
                    "  nearest rank: the value at position ⌈p/100 × n⌉ of the sorted values"
                );
            }
        }
        Measure::Returned => {
            let _ = writeln!(
                out,
                "Measure: the figure the provider returned in data/returns/{}.csv",
                report.month
            );
        }
    }
    match (t.target, t.variation) {
        (Some(target), Some(v)) => {
            let _ = writeln!(
                out,
                "Target in force: {} (from the variation effective {}{})",
                target.text,
                v.effective,
                if v.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", v.reason)
                }
            );
        }
        (Some(target), None) => {
            let _ = writeln!(out, "Target in force: {}", target.text);
        }
        (None, _) => {
            let _ = writeln!(out, "No target: the KPI is reported, not judged.");
        }
    }
    if let Some(amber) = t.amber {
        let _ = writeln!(out, "Amber band: {}", amber.text);
    }
    for r in report.kpis.iter().filter(|r| r.kpi == id) {
        explain_result(&mut out, report, r);
    }
    Some(out)
}

fn explain_result(out: &mut String, report: &ContractMonth<'_>, r: &KpiResult) {
    let contract = report.contract;
    let kpi = contract.kpi(&r.kpi).expect("result of a known KPI");
    let t = terms(contract, kpi, report.month);
    let _ = writeln!(out);
    if let Some(g) = &r.by_group {
        let _ = writeln!(out, "Group {g}:");
    }
    let Some(actual) = r.actual else {
        let _ = writeln!(out, "  No activity this month (the denominator is empty or no data was received): neither met nor failed.");
        return;
    };
    match (r.numerator, r.denominator) {
        (Some(num), Some(den)) => {
            let _ = writeln!(
                out,
                "  Counts: numerator {} of denominator {}",
                n(num),
                n(den)
            );
            let _ = writeln!(
                out,
                "  Actual = {} / {} = {} ({})",
                n(num),
                n(den),
                n(actual.round_dp(6)),
                r.actual_display()
            );
        }
        _ => {
            let _ = writeln!(out, "  Actual = {}", n(actual.round_dp(6)));
        }
    }
    if let Some(target) = t.target {
        let _ = writeln!(
            out,
            "  Variance = actual − target = {}",
            r.variance_display()
        );
        let _ = writeln!(
            out,
            "  RAG: {} (target {} {}; consecutive red months: {})",
            r.rag.label(),
            target.text,
            if target.holds(actual) {
                "met"
            } else {
                "not met"
            },
            r.consecutive_red
        );
        if let Some(excess) = r.excess {
            let formula = match (r.numerator, r.denominator) {
                (Some(num), Some(den)) if target.op.higher_is_better() => format!(
                    "max(0, ⌈{} × {}⌉ − {}) = max(0, {} − {})",
                    n(target.threshold),
                    n(den),
                    n(num),
                    n((target.threshold * den).ceil()),
                    n(num)
                ),
                (Some(num), Some(den)) => format!(
                    "max(0, {} − ⌊{} × {}⌋) = max(0, {} − {})",
                    n(num),
                    n(target.threshold),
                    n(den),
                    n(num),
                    n((target.threshold * den).floor())
                ),
                _ => format!("max(0, {} − {})", n(actual), n(target.threshold)),
            };
            let _ = writeln!(out, "  Excess = {formula} = {}", n(excess));
        }
    }
    if !r.consequence_basis.is_empty() || r.consequence_status != ConsequenceStatus::None {
        let status = r.consequence_status;
        let _ = writeln!(
            out,
            "  Consequence: {} ({status}); {}",
            r.consequence, r.consequence_basis
        );
        let _ = writeln!(out, "  Rounding: each line item is rounded half-up to the penny once; totals are sums of rounded items.");
        if r.consequence_status == ConsequenceStatus::Capped {
            let p = &report.position;
            let _ = writeln!(
                out,
                "  Cap: the month's deductions and withholdings of {} exceed the cap, so the total is brought down by {} (monthly) and {} (annual) to {}.",
                p.total_before_cap, -p.cap_adjustment, -p.annual_cap_adjustment, p.total_after_cap
            );
        }
    }
    if let Some(reason) = &r.relief {
        let _ = writeln!(
            out,
            "  Relief in force: {reason}. The consequence is shown but not charged."
        );
    }
    let spc = &r.spc;
    if let (Some(mean), Some(lower), Some(upper)) = (spc.mean, spc.lower, spc.upper) {
        let _ = writeln!(
            out,
            "  SPC over {} month(s){}: mean {}, limits {} to {}; signal {}; assurance {}",
            spc.points,
            if spc.trial { " (trial limits)" } else { "" },
            n(mean.round_dp(6)),
            n(lower.round_dp(6)),
            n(upper.round_dp(6)),
            spc.signal.as_str().replace('_', " "),
            spc.assurance.as_str().replace('_', " ")
        );
    }
    if !r.figure.numerator_keys.is_empty() {
        let _ = writeln!(
            out,
            "  First records counted in the numerator: {}",
            r.figure.numerator_keys.join(", ")
        );
    }
    if !r.figure.shortfall_keys.is_empty() && r.rag.failing() {
        let _ = writeln!(
            out,
            "  First records behind the excess (in the denominator, not the numerator): {}",
            r.figure.shortfall_keys.join(", ")
        );
    }
}

/// The explanation of one challenge.
pub(crate) fn challenge(
    report: &ContractMonth<'_>,
    id: &str,
    log: &crate::load::challenge_log::Log,
) -> Option<String> {
    let view = report
        .new_challenges
        .iter()
        .chain(&report.outstanding)
        .chain(&report.agreed)
        .find(|c| c.id == id)?;
    let raised = report
        .history
        .iter()
        .flat_map(|d| &d.challenges)
        .find(|c| c.id() == id)?;
    let rule = report
        .contract
        .challenges
        .iter()
        .find(|c| *c.id == *view.rule)?;
    let mut out = String::new();
    let _ = writeln!(out, "Challenge {id}");
    let _ = writeln!(
        out,
        "Rule: {} ({}) over dataset {}",
        rule.name, rule.id, rule.dataset
    );
    if let Some(f) = &rule.filter {
        let _ = writeln!(out, "  rows considered: {}", f.text);
    }
    match &rule.form {
        ChallengeForm::Where(c) => {
            let _ = writeln!(out, "  challenges every row where {}", c.text);
        }
        ChallengeForm::DuplicateOf(cols) => {
            let _ = writeln!(out, "  challenges every row whose ({}) repeats an earlier row's in the same month's file", cols.join(", "));
        }
        ChallengeForm::RatioCap {
            numerator,
            denominator,
            by,
            max,
        } => {
            let _ = writeln!(out, "  per group of {}: rows where {} above {} × rows where {}, valued at the group's mean value per numerator row", by.text, numerator.text, n(*max), denominator.text);
        }
    }
    let _ = writeln!(
        out,
        "Record: {} ({} row(s)); {}",
        view.record, view.rows, view.detail
    );
    if !raised.keys.is_empty() {
        let _ = writeln!(
            out,
            "Rows behind it (first {}): {}",
            raised.keys.len(),
            raised.keys.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "Value: {} (the sum of the value column over its rows, rounded to the penny)",
        view.value
    );
    let _ = writeln!(
        out,
        "State: {}; {}{}",
        view.state,
        view.respond_by.map_or_else(
            || "no letter has raised it yet, so no response is due".to_string(),
            |d| format!("response due by {d}")
        ),
        if view.overdue { " — overdue" } else { "" }
    );
    let history = log.history(id);
    if history.is_empty() {
        let _ = writeln!(
            out,
            "History: raised; no events recorded in challenge-log.csv"
        );
    } else {
        let _ = writeln!(out, "History:");
        for e in history {
            let _ = writeln!(
                out,
                "  {} {} by {}{}",
                e.date,
                e.event,
                e.by,
                if e.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.note)
                }
            );
        }
    }
    Some(out)
}

/// The explanation of GC9 case `case` as of the report's date: each clock, the date it counts
/// from and the operational days, whether its fact has happened, and the stage that follows.
pub(crate) fn case(
    report: &ContractMonth<'_>,
    case: &crate::results::cases::Case,
    calendar: &crate::model::calendar::Calendar,
) -> String {
    let contract = report.contract;
    let gc9 = &contract.gc9;
    let long = crate::render::text::long_date;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "GC9 case {} — {}, as of {}",
        case.case,
        contract.id,
        long(report.today)
    );
    if !case.subject.is_empty() {
        let _ = writeln!(out, "Subject: {}", case.subject);
    }
    if !case.kpis.is_empty() {
        let _ = writeln!(out, "Concerning: {}", case.kpis.join(", "));
    }
    let _ = writeln!(out, "Notice issued: {}", long(case.issued));
    let _ = writeln!(
        out,
        "Clocks in operational days (weekends and bank holidays excluded), from [gc9]: meeting {}, investigation report {}, plan {}",
        gc9.meeting_within, gc9.investigation_within, gc9.rap_within
    );
    let _ = writeln!(out);
    for clock in &case.clocks {
        let due = match clock.counted_from {
            Some((what, date, days)) => format!(
                "{} + {days} operational days from {what} = {}",
                long(date),
                long(clock.due)
            ),
            None => format!("due {}", long(clock.due)),
        };
        let state = match clock.done {
            Some(d) => format!("done {}", long(d)),
            None if clock.overdue(report.today) => "not done: overdue".to_string(),
            None => "not yet done".to_string(),
        };
        let _ = writeln!(out, "  {}: {due}; {state}", clock.what);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Stage: {}{}",
        case.stage.as_str().replace('_', " "),
        case.next.as_ref().map_or_else(String::new, |n| format!(
            "; next: {} by {}",
            n.what,
            long(n.due)
        ))
    );
    let mine: Vec<&crate::results::consequences::Withholding> = report
        .ledger
        .iter()
        .filter(|w| w.kind == crate::results::consequences::ItemKind::Case && w.source == case.case)
        .collect();
    if mine.is_empty() {
        let _ = writeln!(out, "Money: nothing withheld under the case so far.");
    } else {
        let _ = writeln!(
            out,
            "Money: each month ending with the plan overdue withholds {} of its value, each ending with a milestone missed {}; rounded half-up to the penny, then under the month's caps:",
            crate::model::money::percent_1dp(gc9.withhold_no_rap),
            crate::model::money::percent_1dp(gc9.withhold_missed_milestone)
        );
        for w in &mine {
            let (before, how) = &w.before_cap;
            let basis = if *before == w.amount {
                format!("{} ({how})", w.amount)
            } else {
                format!(
                    "{} ({how} = {before}, {} after the caps)",
                    w.amount, w.amount
                )
            };
            let fate = match (w.released_in, w.retained_in) {
                (Some(m), _) => format!("released in {}", m.long_name()),
                (None, Some(m)) => format!("retained for good in {}", m.long_name()),
                (None, None) => "held".to_string(),
            };
            let _ = writeln!(out, "  {}: withheld {basis}; {fate}", w.month.long_name());
        }
        let first = crate::results::cases::exception_reports(case, calendar, report.today)
            .into_iter()
            .map(|(c, date)| (date, c.id.as_str()))
            .min();
        if let Some((date, milestone)) = first {
            let _ = writeln!(
                out,
                "  First exception report: {} (the working day after milestone {milestone} was due); sums not remedied once {} months have ended since are retained.",
                long(date),
                gc9.retain_after
            );
        }
        let _ = writeln!(
            out,
            "  To date: withheld {}, released {}, retained {}.",
            case.withheld, case.released, case.retained
        );
    }
    out
}
