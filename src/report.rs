//! One contract-month, computed once: the results model every renderer reads (terminal
//! tables, JSON, CSV, letters). Renderers compute nothing; this module formats nothing.

use crate::calendar::Month;
use crate::contract::Contract;
use crate::diag::{InvalidInput, Problem};
use crate::engine::{history, MonthData};
use crate::kpi::{evaluate, KpiResult};
use crate::workspace::{MonthDates, Workspace};
use chrono::NaiveDate;

pub struct ContractMonth<'w> {
    pub contract: &'w Contract,
    pub month: Month,
    pub today: NaiveDate,
    pub dates: MonthDates,
    pub history: Vec<MonthData>,
    pub kpis: Vec<KpiResult>,
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

pub fn contract_month<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
) -> Result<ContractMonth<'w>, InvalidInput> {
    let history =
        history(&workspace.root, contract, month).map_err(|p| InvalidInput(p.sorted()))?;
    let kpis = evaluate(contract, &history, month);
    Ok(ContractMonth {
        contract,
        month,
        today,
        dates: workspace
            .settings
            .timetable
            .dates_for(month, &workspace.calendar),
        history,
        kpis,
    })
}
