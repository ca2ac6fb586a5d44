//! `levers sql`: the contract's KPIs and challenge rules as SQL for another engine (§6.1).

use super::Globals;
use crate::model::calendar::Month;
use crate::sql::{contract_sql, Dialect};
use anyhow::Result;
use clap::Args;

/// Prints SQL defining the views `levers_kpi(kpi, "group", numerator, denominator, value)` and
/// `levers_challenges(id, rule, record, value)`, equal to levers' own figures, over one view
/// per dataset. With --month the script first defines those views over the month's CSV files,
/// so it runs as printed (`levers sql -c ID --month 2026-10 | duckdb`).
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The SQL engine
    #[arg(long, value_enum, default_value = "duckdb")]
    dialect: Dialect,
    /// Read this month's CSV files (otherwise the dataset views must exist already)
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Option<Month>,
}

/// Writes the script to standard output, or every expression the dialect cannot write.
pub fn run(globals: &Globals, args: SqlArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = crate::results::month::contract(&workspace, &args.contract)?;
    let sql = contract_sql(&workspace.root, contract, args.dialect, args.month)
        .map_err(|e| anyhow::anyhow!("no SQL was written for contract `{}`:\n{e}", contract.id))?;
    use std::io::Write as _;
    std::io::stdout().write_all(sql.as_bytes())?;
    Ok(super::exit::OK)
}
