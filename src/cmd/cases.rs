//! `levers cases`: each GC9 case with its stage, what is due next, and whether it is overdue.

use super::Globals;
use crate::render::report::CasesReport;
use crate::results::month::contract_month;
use crate::results::schedule::as_of_month;
use anyhow::Result;
use clap::Args;

/// Lists every formal contract-management case (§4.9) as of `--today`: its stage, the next
/// clock and its date, and whether a clock is overdue. Case files with problems stop the
/// contract (run `levers check`).
#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
}

/// Lists the cases of each contract (or the one named).
pub fn run(globals: &Globals, args: CasesArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (contracts, code) =
        super::for_each_contract(&workspace, args.contract.as_deref(), |contract| {
            let month = as_of_month(contract, globals.today);
            Ok(contract_month(&workspace, contract, month, globals.today)?.cases)
        })?;
    globals.print(&CasesReport(contracts.into_iter().flatten().collect()))?;
    Ok(code)
}
