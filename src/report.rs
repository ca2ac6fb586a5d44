//! One contract-month, computed once: the results model every renderer reads (terminal
//! tables, JSON, CSV, letters). Renderers compute nothing; this module formats nothing.

use crate::calendar::Month;
use crate::challenge::{views, ChallengeView, Raised};
use crate::challenge_log::Log;
use crate::consequence::{positions, MonthInput, Position, Withholding};
use crate::contract::Contract;
use crate::diag::{InvalidInput, Problem, Problems};
use crate::engine::{history, MonthData};
use crate::escalation::{escalations, Escalation};
use crate::information::{assess, InformationResult, Submissions};
use crate::kpi::{evaluate, KpiResult};
use crate::money::Money;
use crate::workspace::{MonthDates, Workspace};
use chrono::NaiveDate;
use std::path::PathBuf;

pub struct ContractMonth<'w> {
    pub contract: &'w Contract,
    pub month: Month,
    pub today: NaiveDate,
    pub dates: MonthDates,
    /// The provider must respond to the month's provisional letter by this date.
    pub respond_by: NaiveDate,
    pub history: Vec<MonthData>,
    pub kpis: Vec<KpiResult>,
    /// Every earlier month's results, from the contract's start (escalation history).
    pub earlier: Vec<(Month, Vec<KpiResult>)>,
    pub information: Vec<InformationResult>,
    pub position: Position,
    pub ledger: Vec<Withholding>,
    pub escalations: Vec<Escalation>,
    /// Challenges raised for this month.
    pub new_challenges: Vec<ChallengeView>,
    /// Challenges from earlier months not yet closed.
    pub outstanding: Vec<ChallengeView>,
    /// Challenges agreed since the previous month's final letter (they reduce this month's
    /// payment in the final letter).
    pub agreed: Vec<ChallengeView>,
    pub agreed_value: Money,
    /// Every input file read, relative to the workspace, sorted.
    pub inputs: Vec<PathBuf>,
}

impl ContractMonth<'_> {
    /// Consequences and agreed challenges together: the net change to the month's payment.
    pub fn net_adjustment(&self) -> Money {
        self.position.consequences_net() - self.agreed_value
    }

    pub fn breaches(&self) -> usize {
        self.information.iter().filter(|i| i.is_breach()).count()
    }
}

/// The contract `id`, or an error naming the problems that keep it from loading.
pub fn contract<'w>(workspace: &'w Workspace, id: &str) -> anyhow::Result<&'w Contract> {
    if !crate::workspace::valid_contract_id(id) {
        anyhow::bail!(
            "`{id}` is not a valid contract id: expected lower-case letters, digits and hyphens"
        );
    }
    if let Some(c) = workspace.contract(id) {
        return Ok(c);
    }
    if workspace.broken.iter().any(|c| c.id == id) {
        return Err(InvalidInput(workspace.problems_for(id)).into());
    }
    let known: Vec<&str> = workspace.contracts.iter().map(|c| c.id.as_str()).collect();
    anyhow::bail!(
        "no contract `{id}` in this workspace: expected one of {}",
        known.join(", ")
    )
}

/// The contracts a command acts on: the one named, or every valid one.
pub fn selected<'w>(
    workspace: &'w Workspace,
    id: Option<&str>,
) -> anyhow::Result<Vec<&'w Contract>> {
    match id {
        Some(id) => Ok(vec![contract(workspace, id)?]),
        None => {
            let settings_errors: Vec<Problem> = workspace
                .problems
                .iter()
                .filter(|p| p.file == std::path::Path::new(crate::workspace::SETTINGS_FILE))
                .cloned()
                .collect();
            if !settings_errors.is_empty() {
                return Err(InvalidInput(settings_errors).into());
            }
            Ok(workspace.contracts.iter().collect())
        }
    }
}

/// The submissions and challenge log of a contract, or every problem in them.
pub fn contract_records(
    workspace: &Workspace,
    contract: &Contract,
) -> Result<(Submissions, Log), InvalidInput> {
    let mut problems = Problems::new();
    let file = contract.dir.join("submissions.csv");
    let (submissions, p) = crate::information::read(&workspace.root.join(&file), &file, contract);
    problems.extend(p);
    let file = contract.dir.join("challenge-log.csv");
    let (log, p) = crate::challenge_log::read(&workspace.root.join(&file), &file);
    problems.extend(p);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()));
    }
    Ok((submissions, log))
}

pub fn contract_month<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
) -> Result<ContractMonth<'w>, InvalidInput> {
    build(workspace, contract, month, today, true)
}

/// [`contract_month`] without the views of its challenges (`new_challenges`, `outstanding` and
/// `agreed` are empty): for reports of KPIs alone, which would otherwise build a view of every
/// challenge of the month and throw it away.
pub fn contract_month_kpis<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
) -> Result<ContractMonth<'w>, InvalidInput> {
    build(workspace, contract, month, today, false)
}

fn build<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
    with_challenges: bool,
) -> Result<ContractMonth<'w>, InvalidInput> {
    let history =
        history(&workspace.root, contract, month).map_err(|p| InvalidInput(p.sorted()))?;
    let (submissions, log) = contract_records(workspace, contract)?;
    let calendar = &workspace.calendar;
    let timetable = &workspace.settings.timetable;
    let (start, _) = contract.months();
    let first = start.min(month);

    // Every month from the contract's start: withholdings and the annual cap carry forward.
    let mut evaluated: Vec<(Month, Vec<KpiResult>, Vec<InformationResult>)> = first
        .through(month)
        .map(|m| {
            (
                m,
                evaluate(contract, &history, m),
                assess(contract, &submissions, m, today, timetable, calendar),
            )
        })
        .collect();
    let value_total = |m: Month| -> Option<Money> {
        let data = history.iter().find(|d| d.month == m)?;
        data.value_totals
            .get("activity")
            .or_else(|| data.value_totals.values().next())
            .copied()
    };
    let inputs: Vec<MonthInput<'_>> = evaluated
        .iter_mut()
        .map(|(m, kpis, info)| MonthInput {
            month: *m,
            kpis,
            information: info,
            value_total: value_total(*m),
        })
        .collect();
    let (mut all_positions, ledger) = positions(contract, inputs);
    let (_, kpis, information) = evaluated
        .pop()
        .expect("the month itself is always evaluated");
    let earlier: Vec<(Month, Vec<KpiResult>)> =
        evaluated.into_iter().map(|(m, k, _)| (m, k)).collect();
    let position = all_positions
        .pop()
        .expect("the month itself always has a position");

    let dates = timetable.dates_for(month, calendar);
    let respond_by = calendar.add_working_days(dates.provisional_letter, timetable.response_days);
    let escalations = escalations(contract, &kpis, dates.provisional_letter, calendar);

    let raised: Vec<&Raised> = if with_challenges {
        history.iter().flat_map(|d| &d.challenges).collect()
    } else {
        Vec::new()
    };
    // One response date per month, not one calendar walk per challenge.
    let respond_dates: std::collections::BTreeMap<Month, NaiveDate> = history
        .iter()
        .map(|d| {
            (
                d.month,
                calendar.add_working_days(
                    timetable.dates_for(d.month, calendar).provisional_letter,
                    timetable.response_days,
                ),
            )
        })
        .collect();
    let respond = |m: Month| {
        respond_dates.get(&m).copied().unwrap_or_else(|| {
            calendar.add_working_days(
                timetable.dates_for(m, calendar).provisional_letter,
                timetable.response_days,
            )
        })
    };
    let add_window = |d: NaiveDate| calendar.add_working_days(d, timetable.response_days);
    // Views of this month's challenges and of earlier ones are built apart: a large month holds
    // hundreds of thousands, and splitting one list afterwards would hold them twice.
    let (this_month, older): (Vec<&Raised>, Vec<&Raised>) =
        raised.into_iter().partition(|r| r.month == month);
    let new_challenges = views(
        contract,
        &this_month,
        &log,
        month,
        today,
        &respond,
        &add_window,
    );
    let older = views(contract, &older, &log, month, today, &respond, &add_window);
    let previous_final = timetable.dates_for(month.previous(), calendar).final_letter;
    // In id order, as the challenges are: earlier months first.
    let agreed: Vec<ChallengeView> = older
        .iter()
        .chain(&new_challenges)
        .filter(|c| {
            c.agreed_on
                .is_some_and(|d| d > previous_final && d <= today)
        })
        .cloned()
        .collect();
    let outstanding: Vec<ChallengeView> = older.into_iter().filter(|c| !c.closed).collect();
    let agreed_value = agreed.iter().map(|c| c.value).sum();

    let mut inputs: Vec<PathBuf> = vec![
        PathBuf::from(crate::workspace::SETTINGS_FILE),
        contract.file.clone(),
    ];
    inputs.extend(history.iter().flat_map(|d| d.inputs.iter().cloned()));
    for name in ["submissions.csv", "challenge-log.csv"] {
        let file = contract.dir.join(name);
        if workspace.root.join(&file).is_file() {
            inputs.push(file);
        }
    }
    inputs.sort();
    inputs.dedup();

    Ok(ContractMonth {
        contract,
        month,
        today,
        dates,
        respond_by,
        history,
        kpis,
        earlier,
        information,
        position,
        ledger,
        escalations,
        new_challenges,
        outstanding,
        agreed,
        agreed_value,
        inputs,
    })
}
