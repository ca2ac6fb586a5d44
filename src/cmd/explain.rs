//! `levers explain`: how one KPI figure or one challenge was computed.

use super::{exit, Globals};
use crate::model::calendar::Month;
use crate::render::report::Explanation;
use crate::results::month::{contract, contract_month, contract_records};
use anyhow::{bail, Result};
use clap::Args;

/// Shows the expression, the counts, the formula with the values put in, the rounding, the cap,
/// the variation or relief in force, and the first records behind a KPI figure or challenge.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
    /// A KPI id, a challenge id such as 2026-04/duplicate/R000123, or a GC9 case id
    what: String,
}

/// Prints how one KPI figure or one challenge of a contract-month was worked out, with the
/// figures behind it.
pub fn run(globals: &Globals, args: ExplainArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let report = contract_month(&workspace, contract, args.month, globals.today)?;
    let case = report.cases.iter().find(|c| c.case == args.what);
    let text = if let Some(case) = case {
        Some(crate::render::explain::case(
            &report,
            case,
            &workspace.calendar,
        ))
    } else if args.what.contains('/') {
        let (_, log) = contract_records(&workspace, contract)?;
        crate::render::explain::challenge(&report, &args.what, &log)
    } else {
        crate::render::explain::kpi(&report, &args.what)
    };
    match text {
        Some(text) => {
            // The figures behind the explanation, and the explanation itself.
            let figures = if let Some(case) = case {
                serde_json::to_value(case)?
            } else if args.what.contains('/') {
                serde_json::to_value(
                    report
                        .new_challenges
                        .iter()
                        .chain(&report.outstanding)
                        .chain(&report.agreed)
                        .find(|c| c.id == args.what),
                )?
            } else {
                serde_json::to_value(
                    report
                        .kpis
                        .iter()
                        .filter(|k| k.kpi == args.what)
                        .collect::<Vec<_>>(),
                )?
            };
            globals.print(&Explanation {
                contract: contract.id.clone(),
                month: args.month,
                subject: args.what,
                figures,
                explanation: text.trim_end().to_string(),
            })?;
            Ok(exit::OK)
        }
        None if args.what.contains('/') => bail!("no challenge `{}` for {} in {} (new this month, outstanding, or agreed since the last final letter)", args.what, contract.id, args.month),
        None => {
            let ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
            let hint = crate::error::closest(&args.what, &ids).map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
            bail!("contract `{}` has no KPI `{}`: {hint}expected one of {}", contract.id, args.what, ids.join(", "))
        }
    }
}
