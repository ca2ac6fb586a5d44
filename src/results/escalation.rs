//! The escalation ladder (§1 step 4, §4): failing KPIs climb the contract's steps by their run
//! of consecutive failing months (red or amber; red only under `escalate_on = "red"`); a month
//! that meets the target resets the run. Each step reached in a month is an action for the
//! step's named owner, due the step's working days after that month's provisional letter.

use crate::model::calendar::{Calendar, Month};
use crate::model::contract::{Contract, EscalationStep};
use crate::results::kpi::KpiResult;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub kpi: String,
    pub group: Option<String>,
    pub name: String,
    pub month: Month,
    /// The run the ladder counts ([`KpiResult::escalation_run`]).
    pub run: u32,
    /// The highest step in force.
    pub step: String,
    pub step_number: usize,
    /// This month is the first at this step: an action is due.
    pub reached_this_month: bool,
    pub owner_role: String,
    pub owner: String,
    pub meeting: Option<String>,
    pub due: NaiveDate,
}

/// The ladder's steps a KPI whose run is `run` months has reached, lowest first, with their
/// 1-based numbers: the one place the ladder's rule is written.
pub(crate) fn steps_reached(
    contract: &Contract,
    run: u32,
) -> impl Iterator<Item = (usize, &EscalationStep)> {
    contract
        .escalation
        .iter()
        .enumerate()
        .filter(move |(_, s)| s.run_months <= run)
        .map(|(i, s)| (i + 1, s))
}

/// The steps in force for `results` (one month), with owners and due dates.
pub(crate) fn escalations(
    contract: &Contract,
    results: &[KpiResult],
    letter_date: NaiveDate,
    calendar: &Calendar,
) -> Vec<Escalation> {
    let mut out = Vec::new();
    for r in results.iter().filter(|r| r.escalation_run > 0) {
        let Some((number, step)) = steps_reached(contract, r.escalation_run).last() else {
            continue;
        };
        let owner = contract.contact(&step.owner_role).map_or_else(
            || step.owner_role.clone(),
            |c| {
                if c.title.is_empty() {
                    c.name.clone()
                } else {
                    format!("{}, {}", c.name, c.title)
                }
            },
        );
        out.push(Escalation {
            kpi: r.kpi.clone(),
            group: r.by_group.clone(),
            name: r.name.clone(),
            month: r.month,
            run: r.escalation_run,
            step: step.step.clone(),
            step_number: number,
            reached_this_month: step.run_months == r.escalation_run,
            owner_role: step.owner_role.clone(),
            owner,
            meeting: step.meeting.clone(),
            due: calendar.add_working_days(letter_date, step.due_working_days),
        });
    }
    out
}
