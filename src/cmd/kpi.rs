//! `levers kpi`: the performance table for a month.

use super::Globals;
use crate::model::calendar::Month;
use crate::render::report::KpiReport;
use crate::results::month::contract_month_kpis;
use anyhow::Result;
use clap::Args;

/// Each KPI's actual, target, variance, RAG, previous month, year to date, SPC signal,
/// consecutive red months and consequence, per contract.
#[derive(Debug, Args)]
pub struct KpiArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
}

/// Prints the month's KPI table of the contract named, or of every contract.
pub fn run(globals: &Globals, args: KpiArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (contracts, code) =
        super::for_each_contract(&workspace, args.contract.as_deref(), |contract| {
            let report = contract_month_kpis(&workspace, contract, args.month, globals.today)?;
            Ok((contract, report.kpis))
        })?;
    globals.print(&KpiReport {
        month: args.month,
        contracts,
    })?;
    Ok(code)
}
