//! `levers actions`: write each contract's action log.

use super::{exit, Globals};
use crate::audit::provenance::{write_file, Provenance};
use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::results::actions::render_log;
use crate::results::month::{contract_month, selected};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

/// Writes contracts/<id>/action-log.md from the meeting files and the escalation ladder:
/// overdue actions first, then open ones by due date, then those closed in the last 60 days.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
    /// Commit the logs written
    #[arg(long)]
    commit: bool,
}

pub fn run(globals: &Globals, args: ActionsArgs) -> Result<u8> {
    let workspace = globals.load()?;
    if args.commit {
        crate::audit::git::ready_to_commit(&workspace.root)?;
    }
    let mut written = Vec::new();
    for contract in selected(&workspace, args.contract.as_deref())? {
        if let Some(file) = write_log(&workspace, contract, globals.today)? {
            crate::say!("wrote {}", file.display());
            written.push(file);
        } else if !globals.quiet && globals.verbose > 0 {
            crate::say!(
                "{} is up to date",
                contract.dir.join("action-log.md").display()
            );
        }
    }
    if args.commit && !written.is_empty() {
        let message = format!("levers: action logs as of {}", globals.today);
        let hash = crate::audit::git::commit(&workspace.root, &written, &message)?;
        crate::say!("committed {hash}: {message}");
    }
    Ok(exit::OK)
}

/// The month an action log is as of: the last month before today's within the contract.
pub fn as_of_month(contract: &Contract, today: chrono::NaiveDate) -> Month {
    let (start, end) = contract.months();
    Month::of(today).previous().min(end).max(start)
}

/// Writes one contract's action log; `None` when it is already up to date.
pub fn write_log(
    workspace: &Workspace,
    contract: &Contract,
    today: chrono::NaiveDate,
) -> Result<Option<PathBuf>> {
    let month = as_of_month(contract, today);
    let report = contract_month(workspace, contract, month, today)?;
    let (all, meetings, problems) = crate::results::actions::for_report(workspace, &report, today);
    if problems.has_errors() {
        return Err(crate::error::InvalidInput(problems.sorted()).into());
    }
    let file = contract.dir.join("action-log.md");
    if all.is_empty() && !workspace.root.join(&file).exists() {
        // Nothing to log yet: no file rather than an empty one.
        return Ok(None);
    }
    let mut inputs = report.inputs.clone();
    inputs.extend(meetings.iter().map(|m| m.file.clone()));
    inputs.sort();
    inputs.dedup();
    let command = format!("actions --contract {} --today {today}", contract.id);
    let provenance =
        Provenance::of(&workspace.root, command, &inputs).context("cannot hash the inputs")?;
    let text = render_log(
        &workspace.root,
        contract,
        &workspace.settings.organisation,
        &all,
        today,
        &provenance.comment(),
    )?;
    let file = contract.dir.join("action-log.md");
    if std::fs::read_to_string(workspace.root.join(&file)).is_ok_and(|t| t == text) {
        return Ok(None);
    }
    write_file(&workspace.root, &file, text.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(Some(file))
}
