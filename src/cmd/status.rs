//! `levers status`: the portfolio at a glance, contracts needing attention first.

use super::Globals;
use crate::model::calendar::Month;
use crate::render::report::StatusReport;
use crate::results::schedule::as_of_month;
use crate::results::status::{by_attention, status_row};
use anyhow::Result;
use clap::Args;

/// One row per contract: KPIs red/amber/green, the month's deductions, withholdings and
/// incentives, outstanding and overdue challenges, open and overdue actions, the highest
/// escalation step in force, and months to the contract's end, with renewals within six months
/// flagged alongside the contract's lifetime KPI record.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The activity month (default: the month before today's)
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Option<Month>,
}

/// Prints one row per contract for the month, contracts needing attention first.
pub fn run(globals: &Globals, args: StatusArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (mut rows, code) = super::for_each_contract(&workspace, None, |contract| {
        let month = args
            .month
            .unwrap_or_else(|| as_of_month(contract, globals.today));
        status_row(&workspace, contract, month, globals.today)
    })?;
    by_attention(&mut rows);
    globals.print(&StatusReport(rows))?;
    Ok(code)
}
