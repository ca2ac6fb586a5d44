//! Action logs (§4.8): actions agreed at meetings, updated at later ones, and the actions the
//! escalation ladder creates, listed overdue first, then open by due date, then those closed in
//! the last 60 days.

use crate::load::meetings::{ActionStatus, Meeting};
use crate::load::workspace::Workspace;
use crate::model::calendar::long_date as long;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::money::Money;
use crate::results::kpi::{KpiResult, Rag};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// One action of a contract's log: agreed at a meeting, or created by an escalation step.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The action's id: the meeting's (or `<TYPE>-<date>-<position>`), or
    /// `ESC-<month>-<KPI>[-<group>]-<step>` for an escalation action.
    pub id: String,
    /// What is to be done; for an escalation action, the step and the KPI's name.
    pub text: String,
    /// Who is to do it; for an escalation action, the contact holding the step's owner role (or
    /// the role, when no contact holds it).
    pub owner: String,
    /// The date it is due; for an escalation action, the step's working days after the letter.
    pub due: NaiveDate,
    /// "CRM 2026-05-14" or "escalation, April 2026".
    pub source: String,
    /// The KPI it concerns, if any.
    pub kpi: Option<String>,
    /// Where it stands as of today, after every update.
    pub status: ActionStatus,
    /// When it was done, dropped or lapsed; none while it is open.
    pub closed_on: Option<NaiveDate>,
    /// The note of the update that set its status, or how an escalation action closed; empty
    /// otherwise.
    pub note: String,
}

/// Every action of a contract as of `today`: meeting actions with their updates, and one
/// action per escalation step reached in a month whose letter has gone out (`letters` holds
/// the date each month's challenges and position were put to the provider), due the step's
/// working days after that letter. An escalation action is done when a meeting of the step's
/// kind held after the letter takes up its KPI (an action, update or exception account on it),
/// and lapses, no longer required, when the letter of a later month shows the KPI met.
pub fn actions(
    workspace: &Workspace,
    contract: &Contract,
    meetings: &[Meeting],
    months: &[(Month, &[KpiResult])],
    letters: &std::collections::BTreeMap<Month, NaiveDate>,
    today: NaiveDate,
) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    let held: Vec<&Meeting> = meetings.iter().filter(|m| m.date <= today).collect();
    for meeting in &held {
        for a in &meeting.actions {
            out.push(Action {
                id: a.id.clone(),
                text: a.text.clone(),
                owner: a.owner.clone(),
                due: a.due,
                source: format!("{} {}", meeting.kind, long(meeting.date)),
                kpi: a.kpi.clone(),
                status: ActionStatus::Open,
                closed_on: None,
                note: String::new(),
            });
        }
    }
    let calendar = &workspace.calendar;
    let takes_up = |meeting: &Meeting, kpi: &str| {
        meeting
            .actions
            .iter()
            .any(|a| a.kpi.as_deref() == Some(kpi))
            || meeting.exceptions.iter().any(|e| e.kpi == kpi)
            || meeting.updates.iter().any(|u| {
                out.iter()
                    .any(|a| a.id == u.action && a.kpi.as_deref() == Some(kpi))
            })
    };
    let mut escalated: Vec<Action> = Vec::new();
    for (i, (month, results)) in months.iter().enumerate() {
        let Some(&letter) = letters.get(month).filter(|d| **d <= today) else {
            continue;
        };
        for r in results.iter().filter(|r| r.escalation_run > 0) {
            for (n, step) in contract
                .escalation
                .iter()
                .enumerate()
                .filter(|(_, s)| s.run_months == r.escalation_run)
            {
                let owner = contract
                    .contact(&step.owner_role)
                    .map_or_else(|| step.owner_role.clone(), |c| c.name.clone());
                // Taken up at a meeting of the step's kind after the letter.
                let taken_up = step.meeting.as_ref().and_then(|kind| {
                    held.iter()
                        .find(|m| m.kind == *kind && m.date >= letter && takes_up(m, &r.kpi))
                });
                // No longer required once a later month's letter shows the KPI met.
                let met_again = months[i + 1..]
                    .iter()
                    .find(|(_, later)| {
                        later.iter().any(|l| {
                            l.kpi == r.kpi && l.by_group == r.by_group && l.rag == Rag::Green
                        })
                    })
                    .and_then(|(m, _)| letters.get(m).map(|d| (*m, *d)))
                    .filter(|(_, d)| *d <= today);
                let (status, closed_on, note) = match (taken_up, met_again) {
                    // A notice step's action is the notice, issued with the month's letter; its
                    // case carries the clocks from there (§4.9).
                    _ if step.notice => (
                        ActionStatus::Done,
                        Some(letter),
                        format!(
                            "the notice was issued with the letter of {}: GC9 case {}",
                            long(letter),
                            crate::model::case::escalation_case_id(*month, &r.kpi)
                        ),
                    ),
                    (Some(m), Some((_, d))) if m.date > d => lapsed(d, met_again),
                    (Some(m), _) => (
                        ActionStatus::Done,
                        Some(m.date),
                        format!("taken up at the {} of {}", m.kind, long(m.date)),
                    ),
                    (None, Some((_, d))) => lapsed(d, met_again),
                    (None, None) => (ActionStatus::Open, None, String::new()),
                };
                let group = r
                    .by_group
                    .as_ref()
                    .map_or_else(String::new, |g| format!("-{g}"));
                escalated.push(Action {
                    id: format!("ESC-{month}-{}{group}-{}", r.kpi, n + 1),
                    text: format!("{}: {}", step.step, r.name),
                    owner,
                    due: calendar.add_working_days(letter, step.due_working_days),
                    source: match &step.meeting {
                        Some(meeting) => format!("escalation, {} ({meeting})", month.long_name()),
                        None => format!("escalation, {}", month.long_name()),
                    },
                    kpi: Some(r.kpi.clone()),
                    status,
                    closed_on,
                    note,
                });
            }
        }
    }
    out.extend(escalated);
    // Updates recorded at meetings, in date order: on meeting actions and escalation actions
    // alike (an escalation action closes when a meeting records it done, or when its KPI is
    // next met, whichever comes first).
    for meeting in meetings.iter().filter(|m| m.date <= today) {
        for update in &meeting.updates {
            if let Some(action) = out.iter_mut().find(|a| a.id == update.action) {
                if action.closed_on.is_some_and(|d| d < meeting.date) {
                    continue;
                }
                action.status = update.status;
                action.closed_on = (update.status != ActionStatus::Open).then_some(meeting.date);
                action.note = update.note.clone();
            }
        }
    }
    out
}

/// Updates at meetings that name an action that does not exist (as of `today`), each located.
pub fn unknown_updates(actions: &[Action], meetings: &[Meeting]) -> crate::error::Problems {
    let mut problems = crate::error::Problems::new();
    let ids: Vec<&str> = actions.iter().map(|a| a.id.as_str()).collect();
    for meeting in meetings {
        for update in &meeting.updates {
            if ids.contains(&update.action.as_str()) {
                continue;
            }
            let hint = crate::error::closest(&update.action, &ids)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            problems.push(
                crate::error::Problem::at_line(
                    &meeting.file,
                    update.line,
                    update.column,
                    format!(
                        "this update is for action `{}`, which no meeting agreed and no escalation step created{hint}",
                        update.action
                    ),
                )
                .with_excerpt(update.excerpt.clone()),
            );
        }
    }
    problems
}

/// The clocks of GC9 cases as actions (§4.9): the meeting, the investigation's report and the
/// plan for the commissioner and provider leads, each milestone for its owner. A clock met is
/// done on the day it was met; one still open when its case was withdrawn or closed is dropped.
fn case_actions(contract: &Contract, cases: &[crate::results::cases::Case]) -> Vec<Action> {
    let who = |role: &str| {
        contract
            .contact(role)
            .map_or_else(|| role.to_string(), |c| c.name_and_title())
    };
    let leads = format!("{} and {}", who("commissioner_lead"), who("provider_lead"));
    let mut out = Vec::new();
    for case in cases {
        for clock in &case.clocks {
            let (status, closed_on, note) = match clock.done {
                Some(done) => (ActionStatus::Done, Some(done), String::new()),
                None if case.stage.is_open() => (ActionStatus::Open, None, String::new()),
                None => (
                    ActionStatus::Dropped,
                    case.ended,
                    format!("the case is {}", case.stage.as_str().replace('_', " ")),
                ),
            };
            out.push(Action {
                id: format!("{}-{}", case.case, clock.id),
                text: clock.what.clone(),
                owner: clock
                    .owner_role
                    .as_deref()
                    .map_or_else(|| leads.clone(), who),
                due: clock.due,
                source: format!("GC9 case {}", case.case),
                kpi: case.kpis.first().cloned(),
                status,
                closed_on,
                note,
            });
        }
    }
    out
}

/// The provider's answers the letters have asked for: for each month's challenges put to the
/// provider and each date an answer is due by (a re-challenge sets its own), one action for the
/// provider lead, open while any challenge awaits an answer, done when the last is answered.
fn response_actions<'a>(
    contract: &Contract,
    challenges: impl Iterator<Item = &'a crate::results::challenges::ChallengeView>,
) -> Vec<Action> {
    let mut groups: BTreeMap<(Month, NaiveDate), (usize, Money, Option<NaiveDate>)> =
        BTreeMap::new();
    for c in challenges {
        let Some(by) = c.respond_by else {
            continue;
        };
        let group = groups
            .entry((c.month, by))
            .or_insert((0, Money::ZERO, None));
        if c.awaiting_answer() {
            group.0 += 1;
            group.1 += c.value;
        } else {
            group.2 = group.2.max(c.last_event);
        }
    }
    let owner = contract
        .contact("provider_lead")
        .map_or_else(|| "provider_lead".to_string(), |c| c.name_and_title());
    groups
        .into_iter()
        .map(|((month, by), (waiting, value, last))| {
            let (text, status, closed_on, note) = if waiting > 0 {
                (
                    format!(
                        "Answer {} for {} (worth {value})",
                        if waiting == 1 {
                            "one data challenge".to_string()
                        } else {
                            format!("{waiting} data challenges")
                        },
                        month.long_name()
                    ),
                    ActionStatus::Open,
                    None,
                    String::new(),
                )
            } else {
                (
                    format!("Answer the data challenges for {}", month.long_name()),
                    ActionStatus::Done,
                    last,
                    "every challenge answered".to_string(),
                )
            };
            Action {
                id: format!("CHL-{month}-{by}"),
                text,
                owner: owner.clone(),
                due: by,
                source: format!("data challenges, {}", month.long_name()),
                kpi: None,
                status,
                closed_on,
                note,
            }
        })
        .collect()
}

/// An escalation action no longer required: its KPI was met again, as the letter of `date`
/// showed.
fn lapsed(
    date: NaiveDate,
    met: Option<(Month, NaiveDate)>,
) -> (ActionStatus, Option<NaiveDate>, String) {
    let month = met.map_or_else(String::new, |(m, _)| m.long_name());
    (
        ActionStatus::Lapsed,
        Some(date),
        format!("the requirement was met again in {month}"),
    )
}

/// Every action of `report`'s contract as of `today`: its meetings (read here, with any
/// problems in them) and the escalation actions of every month up to the report's.
pub fn for_report(
    workspace: &Workspace,
    report: &crate::results::month::ContractMonth<'_>,
    today: NaiveDate,
) -> (Vec<Action>, Vec<Meeting>, crate::error::Problems) {
    let contract = report.contract;
    let kpi_ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
    let (meetings, problems) =
        crate::load::meetings::read_all(&workspace.root, &contract.dir, &kpi_ids);
    let months: Vec<(Month, &[KpiResult])> = report
        .earlier
        .iter()
        .map(|(m, k)| (*m, k.as_slice()))
        .chain(std::iter::once((report.month, report.kpis.as_slice())))
        .collect();
    let mut all = actions(
        workspace,
        contract,
        &meetings,
        &months,
        &report.letter_dates,
        today,
    );
    all.extend(case_actions(contract, &report.cases));
    all.extend(response_actions(
        contract,
        report.new_challenges.iter().chain(&report.outstanding),
    ));
    (all, meetings, problems)
}

/// Overdue, open and recently closed actions, each sorted as the log lists them.
pub fn sections(
    actions: &[Action],
    today: NaiveDate,
) -> (Vec<&Action>, Vec<&Action>, Vec<&Action>) {
    let key = |a: &&Action| (a.due, a.id.clone());
    let mut overdue: Vec<&Action> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Open && a.due < today)
        .collect();
    let mut open: Vec<&Action> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Open && a.due >= today)
        .collect();
    let since = today - Duration::days(60);
    let mut closed: Vec<&Action> = actions
        .iter()
        .filter(|a| {
            a.status != ActionStatus::Open && a.closed_on.is_some_and(|d| d >= since && d <= today)
        })
        .collect();
    overdue.sort_by_key(key);
    open.sort_by_key(key);
    closed.sort_by_key(|a| (std::cmp::Reverse(a.closed_on), a.id.clone()));
    (overdue, open, closed)
}
