//! `levers challenges`: challenges raised for a month, and the state of outstanding ones.

use super::Globals;
use crate::model::calendar::Month;
use crate::render::report::ChallengesReport;
use crate::results::month::contract_month;
use anyhow::Result;
use clap::Args;

/// New challenges by rule (count and value), outstanding ones from earlier months by state and
/// age, and overdue ones. `--format csv` gives the full detail, one row per challenge.
#[derive(Debug, Args)]
pub struct ChallengesArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
}

/// Prints the month's new and outstanding challenges of the contract named, or of every contract.
pub fn run(globals: &Globals, args: ChallengesArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (contracts, code) =
        super::for_each_contract(&workspace, args.contract.as_deref(), |contract| {
            let report = contract_month(&workspace, contract, args.month, globals.today)?;
            Ok((contract, report.new_challenges, report.outstanding))
        })?;
    let report = ChallengesReport {
        month: args.month,
        contracts,
    };
    globals.print(&report)?;
    // The process ends next: hundreds of thousands of views need not be freed one by one
    // first (the operating system takes the memory back at once).
    std::mem::forget(report);
    Ok(code)
}
