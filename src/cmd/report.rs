//! `levers report`: the board pack, one self-contained HTML page for the portfolio (§5.4).

use super::Globals;
use crate::model::calendar::Month;
use crate::render::board::{board_pack, ContractPage};
use crate::results::month::contract_month;
use crate::results::schedule::as_of_month;
use crate::results::status::{attention_order, status_of};
use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;

/// Writes the board pack: the portfolio summary, then a page per contract with its KPI matrix
/// by variation and assurance, its KPIs with their icons, its charts, data challenges, open GC9
/// cases and overdue actions. Inline CSS and SVG, no scripts and no external requests;
/// printable on A4, a page a contract.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The activity month (default: each contract's month as of --today)
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Option<Month>,
    /// Write the pack to FILE (written whole, atomically) instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Builds every contract's month and writes the pack.
pub fn run(globals: &Globals, args: ReportArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let today = globals.today;
    let (mut items, code) = super::for_each_contract(&workspace, None, |contract| {
        let month = args.month.unwrap_or_else(|| as_of_month(contract, today));
        let report = contract_month(&workspace, contract, month, today)?;
        let (actions, _, _) = crate::results::actions::for_report(&workspace, &report, today);
        Ok((status_of(&report, &actions, today), report, actions))
    })?;
    // Contracts needing attention first, as `status` orders them.
    items.sort_by(|(a, _, _), (b, _, _)| attention_order(a, b));
    let pages: Vec<ContractPage<'_, '_>> = items
        .iter()
        .map(|(status, report, actions)| ContractPage {
            status,
            report,
            overdue_actions: crate::results::actions::sections(actions, today).0,
        })
        .collect();
    let html = board_pack(&workspace.settings.organisation.name, today, &pages);
    match args.out {
        Some(path) => {
            let absolute = if path.is_absolute() {
                path.clone()
            } else {
                std::env::current_dir()?.join(&path)
            };
            let dir = absolute
                .parent()
                .context("the output file has no folder")?
                .to_path_buf();
            let name = absolute
                .file_name()
                .context("the output file has no name")?;
            crate::audit::write::write_file(&dir, std::path::Path::new(name), html.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            crate::say!("{}", path.display());
        }
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(html.as_bytes())?;
        }
    }
    Ok(code)
}
