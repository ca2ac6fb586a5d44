//! `levers actions`: write each contract's action log.

use super::{exit, Globals};
use crate::results::month::selected;
use anyhow::Result;
use clap::Args;

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

/// Writes each contract's action log where it has changed, and commits the logs written with
/// `--commit`.
pub fn run(globals: &Globals, args: ActionsArgs) -> Result<u8> {
    let workspace = globals.load()?;
    if args.commit {
        crate::audit::git::ready_to_commit(&workspace.root)?;
    }
    let mut written = Vec::new();
    for contract in selected(&workspace, args.contract.as_deref())? {
        if let Some(file) =
            crate::audit::outputs::write_action_log(&workspace, contract, globals.today)?
        {
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
