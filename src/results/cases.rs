//! GC9 cases as of a date (§4.9): which cases are open, the stage each has reached, its clocks,
//! and what is due next. The facts come from the case files; the clocks from the contract's
//! `[gc9]` settings and the working-day calendar (operational days: bank holidays excluded).

use crate::model::calendar::{Calendar, Month};
use crate::model::case::{escalation_case_id, CaseFile, Outcome};
use crate::model::contract::Contract;
use crate::model::named::named;
use crate::results::kpi::KpiResult;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

named! {
    /// Where a case stands as of a date.
    pub enum Stage {
        /// Notice issued; the Contract Management Meeting not yet held.
        Notice = "notice",
        /// A Joint Investigation agreed; its report not yet in.
        Investigation = "investigation",
        /// Meeting (or investigation report) held; no plan agreed yet.
        RapDue = "rap_due",
        /// A plan agreed; every milestone met or not yet due.
        Rap = "rap",
        /// A milestone past its due date and not met.
        MilestoneMissed = "milestone_missed",
        /// Every milestone met.
        Remedied = "remedied",
        /// The notice withdrawn at the meeting.
        Withdrawn = "withdrawn",
        /// Closed by agreement.
        Closed = "closed",
    }
}

impl Stage {
    /// Whether the case is still running (not remedied, withdrawn or closed).
    pub(crate) fn is_open(self) -> bool {
        matches!(
            self,
            Stage::Notice
                | Stage::Investigation
                | Stage::RapDue
                | Stage::Rap
                | Stage::MilestoneMissed
        )
    }
}

/// A dated step of a case: what is due, by when, and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// The clock's id within its case: `meeting`, `investigation`, `rap`, or a milestone's id.
    pub id: String,
    /// What is due, in words ("Hold the Contract Management Meeting", "Milestone M1: …").
    pub what: String,
    /// The contact role who owns it, when one does (a milestone's owner).
    pub owner_role: Option<String>,
    /// The date it is due.
    pub due: NaiveDate,
    /// What its date is counted from, that fact's date, and the operational days counted: none
    /// for a milestone, whose date the plan sets.
    pub counted_from: Option<(&'static str, NaiveDate, u32)>,
    /// The date it happened; `None` while it has not.
    pub done: Option<NaiveDate>,
}

impl Clock {
    /// Past its date without its fact, as of `today`.
    pub(crate) fn overdue(&self, today: NaiveDate) -> bool {
        self.done.is_none_or(|d| d > today) && self.due < today
    }
}

/// What is due next in a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Next {
    /// What is due.
    pub what: String,
    /// By when.
    pub due: NaiveDate,
}

/// One case as of a date.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The contract's id.
    pub contract: String,
    /// The case id, as `CPN-2026-08-ae-4hr`.
    pub case: String,
    /// The KPIs the case concerns.
    pub kpis: Vec<String>,
    /// What the case is about.
    pub subject: String,
    /// The date the notice was issued.
    pub issued: NaiveDate,
    /// Where the case stands.
    pub stage: Stage,
    /// What is due next, if anything.
    pub next: Option<Next>,
    /// Whether any clock is past its date without its fact.
    pub overdue: bool,
    /// Withheld under the case to date (months ended with the plan overdue or a milestone
    /// missed), after caps.
    pub withheld: crate::model::money::Money,
    /// Of that, released (the case remedied, closed or withdrawn).
    pub released: crate::model::money::Money,
    /// Of that, retained for good (`retain_after` months after the first exception report
    /// without remedy).
    pub retained: crate::model::money::Money,
    /// The date the case ended: remedied (its last milestone met), withdrawn (at the meeting)
    /// or closed; `None` while it runs.
    pub ended: Option<NaiveDate>,
    /// Every clock of the case so far, in order.
    pub clocks: Vec<Clock>,
    /// Where the facts are recorded (`contracts/<id>/cases/<case-id>.toml`), whether or not the
    /// file exists yet.
    pub file: std::path::PathBuf,
}

/// The cases an escalation step with `notice = true` opened up to `month`: for each month M
/// whose run first reaches such a step, the case `CPN-<M>-<kpi>`, issued on M's letter date
/// (a month with no letter issued opens no case yet). A KPI already under an open case on
/// that date (one the ladder opened, or one opened by hand whose file names the KPI) opens
/// no second one: the running case, its meeting and its plan, already deal with it. Ordered
/// by id.
pub(crate) fn opened_by_escalation(
    contract: &Contract,
    months: &[(Month, &[KpiResult])],
    letter_dates: &BTreeMap<Month, NaiveDate>,
    files: &[CaseFile],
    calendar: &Calendar,
) -> BTreeMap<String, (Vec<String>, String, NaiveDate)> {
    let mut opened = BTreeMap::new();
    for (month, results) in months {
        let Some(&issued) = letter_dates.get(month) else {
            continue;
        };
        let mut reached = Vec::new();
        for r in *results {
            for step in contract.escalation.iter().filter(|s| s.notice) {
                if r.escalation_run == step.run_months {
                    reached.push((r, step));
                }
            }
        }
        if reached.is_empty() {
            continue;
        }
        let running: Vec<Case> = cases(contract, files, &opened, calendar, issued)
            .into_iter()
            .filter(|c| c.stage.is_open())
            .collect();
        for (r, step) in reached {
            if running.iter().any(|c| c.kpis.contains(&r.kpi)) {
                continue;
            }
            opened
                .entry(escalation_case_id(*month, &r.kpi))
                .or_insert_with(|| {
                    (
                        vec![r.kpi.clone()],
                        format!(
                            "{} failing for {} consecutive months ({} reached)",
                            r.name, r.escalation_run, step.step
                        ),
                        issued,
                    )
                });
        }
    }
    opened
}

/// Every case of `contract` as of `today`: those opened by the ladder (with their files'
/// facts, when written) and those opened by hand (a file alone), ordered by id.
pub(crate) fn cases(
    contract: &Contract,
    files: &[CaseFile],
    opened: &BTreeMap<String, (Vec<String>, String, NaiveDate)>,
    calendar: &Calendar,
    today: NaiveDate,
) -> Vec<Case> {
    let mut ids: Vec<&String> = opened.keys().collect();
    ids.extend(files.iter().map(|f| &f.id));
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let file = files.iter().find(|f| &f.id == id);
            let from_ladder = opened.get(id);
            let issued = file
                .and_then(|f| f.issued)
                .or(from_ladder.map(|(_, _, d)| *d))?;
            if issued > today {
                return None;
            }
            let kpis = match file {
                Some(f) if !f.kpis.is_empty() => f.kpis.clone(),
                _ => from_ladder.map(|(k, _, _)| k.clone()).unwrap_or_default(),
            };
            let subject = file
                .and_then(|f| f.subject.clone())
                .or(from_ladder.map(|(_, s, _)| s.clone()))
                .unwrap_or_default();
            let blank = CaseFile::default();
            let facts = file.unwrap_or(&blank);
            Some(one(
                contract, id, kpis, subject, issued, facts, calendar, today,
            ))
        })
        .collect()
}

/// A fact, if it has happened by `today`.
fn by(date: Option<NaiveDate>, today: NaiveDate) -> Option<NaiveDate> {
    date.filter(|d| *d <= today)
}

#[allow(clippy::too_many_arguments)]
fn one(
    contract: &Contract,
    id: &str,
    kpis: Vec<String>,
    subject: String,
    issued: NaiveDate,
    facts: &CaseFile,
    calendar: &Calendar,
    today: NaiveDate,
) -> Case {
    let gc9 = &contract.gc9;
    let mut clocks = Vec::new();
    let meeting = by(facts.meeting, today);
    let counted = |id: &str, what: &str, from: (&'static str, NaiveDate, u32), done| Clock {
        id: id.into(),
        what: what.into(),
        owner_role: None,
        due: calendar.add_working_days(from.1, from.2),
        counted_from: Some(from),
        done,
    };
    clocks.push(counted(
        "meeting",
        "Hold the Contract Management Meeting",
        ("the notice", issued, gc9.meeting_within),
        meeting,
    ));
    let outcome = meeting.and(facts.outcome);
    let report = by(facts.investigation_report, today);
    let rap_agreed = by(facts.rap_agreed, today);
    let closed = by(facts.closed, today);
    // The plan is counted from the meeting, or from the investigation's report.
    let mut rap_from = meeting.map(|d| ("the meeting", d));
    if let (Some(held), Some(Outcome::Investigation)) = (meeting, outcome) {
        clocks.push(counted(
            "investigation",
            "Report on the Joint Investigation",
            ("the meeting", held, gc9.investigation_within),
            report,
        ));
        rap_from = report.map(|d| ("the investigation report", d));
    }
    if outcome != Some(Outcome::Withdrawn) {
        if let Some((what, from)) = rap_from {
            clocks.push(counted(
                "rap",
                "Agree the Remedial Action Plan",
                (what, from, gc9.rap_within),
                rap_agreed,
            ));
        }
    }
    if rap_agreed.is_some() {
        for m in &facts.milestones {
            clocks.push(Clock {
                id: m.id.clone(),
                what: format!("Milestone {}: {}", m.id, m.action),
                owner_role: Some(m.owner_role.clone()),
                due: m.due,
                counted_from: None,
                done: by(m.met, today),
            });
        }
    }
    let milestones: Vec<&Clock> = clocks.iter().filter(|c| c.owner_role.is_some()).collect();
    let stage = if closed.is_some() {
        Stage::Closed
    } else if outcome == Some(Outcome::Withdrawn) {
        Stage::Withdrawn
    } else if meeting.is_none() {
        Stage::Notice
    } else if outcome == Some(Outcome::Investigation) && report.is_none() {
        Stage::Investigation
    } else if rap_agreed.is_none() {
        Stage::RapDue
    } else if milestones.iter().any(|c| c.overdue(today)) {
        Stage::MilestoneMissed
    } else if !milestones.is_empty() && milestones.iter().all(|c| c.done.is_some()) {
        Stage::Remedied
    } else {
        Stage::Rap
    };
    let next = if stage.is_open() {
        clocks
            .iter()
            .filter(|c| c.done.is_none())
            .min_by_key(|c| c.due)
            .map(|c| Next {
                what: c.what.clone(),
                due: c.due,
            })
    } else {
        None
    };
    let overdue = stage.is_open() && clocks.iter().any(|c| c.overdue(today));
    let ended = match stage {
        Stage::Closed => closed,
        Stage::Withdrawn => meeting,
        Stage::Remedied => milestones.iter().filter_map(|c| c.done).max(),
        Stage::Notice
        | Stage::Investigation
        | Stage::RapDue
        | Stage::Rap
        | Stage::MilestoneMissed => None,
    };
    Case {
        contract: contract.id.clone(),
        case: id.to_string(),
        kpis,
        subject,
        issued,
        stage,
        next,
        overdue,
        withheld: crate::model::money::Money::ZERO,
        released: crate::model::money::Money::ZERO,
        retained: crate::model::money::Money::ZERO,
        ended,
        clocks,
        file: contract.dir.join("cases").join(format!("{id}.toml")),
    }
}

/// `case` as it stood at the end of a month (`end`, its last day), for the ledger: whether the
/// month withholds (the plan overdue, or a milestone missed), whether the case has ended, and
/// the date of its first exception report (the working day after the first milestone missed).
pub(crate) fn at_month_end(
    contract: &Contract,
    case: &Case,
    calendar: &Calendar,
    end: NaiveDate,
) -> crate::results::consequences::CaseAtMonthEnd {
    let gc9 = &contract.gc9;
    let day = crate::model::calendar::long_date;
    let plan_overdue = case.clocks.iter().find(|c| c.id == "rap" && c.overdue(end));
    let withholds = if case.stage == Stage::MilestoneMissed {
        let missed: Vec<String> = case
            .clocks
            .iter()
            .filter(|c| c.owner_role.is_some() && c.overdue(end))
            .map(|c| format!("{} (due {})", c.id, day(c.due)))
            .collect();
        let (one, many) = ("milestone", "milestones");
        Some((
            format!(
                "{} {} not met",
                if missed.len() == 1 { one } else { many },
                missed.join(", ")
            ),
            gc9.withhold_missed_milestone,
        ))
    } else {
        plan_overdue.filter(|_| case.stage.is_open()).map(|plan| {
            (
                format!(
                    "the Remedial Action Plan (due {}) not agreed",
                    day(plan.due)
                ),
                gc9.withhold_no_rap,
            )
        })
    };
    let first_exception = exception_reports(case, calendar, end)
        .into_iter()
        .map(|(_, date)| date)
        .min();
    crate::results::consequences::CaseAtMonthEnd {
        id: case.case.clone(),
        withholds,
        ended: matches!(
            case.stage,
            Stage::Remedied | Stage::Closed | Stage::Withdrawn
        ),
        first_exception,
    }
}

/// Fills each case's money to date from the ledger: withheld, released and retained.
pub(crate) fn add_money(cases: &mut [Case], ledger: &[crate::results::consequences::Withholding]) {
    use crate::results::consequences::ItemKind;
    for case in cases.iter_mut() {
        let mine = || {
            ledger
                .iter()
                .filter(|w| w.kind == ItemKind::Case && w.source == case.case)
        };
        case.withheld = mine().map(|w| w.amount).sum();
        case.released = mine()
            .filter(|w| w.released_in.is_some())
            .map(|w| w.amount)
            .sum();
        case.retained = mine()
            .filter(|w| w.retained_in.is_some())
            .map(|w| w.amount)
            .sum();
    }
}

/// The exception reports `case` calls for as of `today`: one for each milestone not met by its
/// due date, dated the working day after (§4.9), once that date has come.
pub(crate) fn exception_reports<'c>(
    case: &'c Case,
    calendar: &Calendar,
    today: NaiveDate,
) -> Vec<(&'c Clock, NaiveDate)> {
    case.clocks
        .iter()
        .filter(|c| c.owner_role.is_some() && c.done.is_none_or(|met| met > c.due))
        .map(|c| (c, calendar.add_working_days(c.due, 1)))
        .filter(|(_, date)| *date <= today)
        .collect()
}
