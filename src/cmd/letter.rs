//! `levers letter`: write a month's provisional or final letter and its challenge CSV.

use super::{exit, Globals};
use crate::audit::outputs::write;
use crate::model::calendar::Month;
use crate::model::letter::Stage;
use crate::results::month::{contract, contract_month_for_letter};
use anyhow::{bail, Result};
use clap::Args;

/// Writes contracts/<id>/letters/<YYYY-MM>-<stage>.md and its companion challenge CSV. A final
/// letter, once written, is never overwritten: a letter that would now read differently needs
/// --reissue --reason, and is written as <YYYY-MM>-final-r2.md (r3, …).
#[derive(Debug, Args)]
pub struct LetterArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
    /// provisional (after flex) or final (after freeze and the response window)
    #[arg(long, value_enum)]
    stage: Stage,
    /// Commit exactly the files written, naming contract, month, stage and input commit
    #[arg(long)]
    commit: bool,
    /// Issue a corrected final letter as the next -rN file
    #[arg(long, requires = "reason")]
    reissue: bool,
    /// Why the final letter is reissued (recorded in the letter)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Write a final letter before the freeze date or the end of the provider's response
    /// window (recorded in its provenance)
    #[arg(long)]
    force: bool,
    /// Also convert the letter, beside it, to docx, pdf or html (needs pandoc; pdf also
    /// Chromium); the Markdown stays the record
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<crate::audit::convert::Format>,
}

/// Writes a month's provisional or final letter and its challenge CSV, and commits them with
/// `--commit`.
pub fn run(globals: &Globals, args: LetterArgs) -> Result<u8> {
    // The month's cache entry is written once the letter is (see below).
    crate::pass::cache::defer_entries();
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    if args.commit {
        crate::audit::git::ready_to_commit(&workspace.root)?;
    }
    let report =
        contract_month_for_letter(&workspace, contract, args.month, globals.today, args.stage)?;
    if let Some(why) = crate::audit::outputs::not_yet(&report, args.stage, args.force) {
        bail!("{why}; nothing was written");
    }
    let command = regenerate_command(
        &contract.id,
        args.month,
        args.stage,
        globals.today,
        args.force && args.stage == Stage::Final,
    );
    let reason = if args.reissue {
        args.reason.as_deref()
    } else {
        None
    };
    if let Some(reason) = reason {
        if reason.trim().is_empty() || reason.chars().any(char::is_control) {
            bail!("--reason must be one line of text saying why the letter is reissued; nothing was written");
        }
    }
    let written = write(
        &report,
        args.stage,
        &workspace.root,
        &workspace.settings.organisation,
        reason,
        command,
        args.commit,
    )?;
    // The month's cache entry is written while git commits the letter.
    crate::pass::cache::write_entries_behind();
    if written.unchanged {
        if !globals.quiet {
            crate::say!("{} is up to date", written.letter.display());
        }
        return convert(&workspace.root, &written.letter, args.to);
    }
    for file in &written.files {
        crate::say!("wrote {}", file.display());
    }
    if args.commit {
        let input_commit = crate::audit::git::input_commit(&workspace.root, &report.inputs);
        let message = commit_message(&contract.id, args.month, args.stage, &input_commit);
        let hash = crate::audit::git::commit(&workspace.root, &written.files, &message)?;
        crate::say!("committed {hash}: {message}");
    }
    convert(&workspace.root, &written.letter, args.to)
}

/// With `--to`, the letter converted beside it (derived, never committed by levers).
fn convert(
    root: &std::path::Path,
    letter: &std::path::Path,
    to: Option<crate::audit::convert::Format>,
) -> Result<u8> {
    if let Some(format) = to {
        let converted = crate::audit::convert::convert(root, letter, format)?;
        crate::say!("converted {} to {}", letter.display(), converted.display());
    }
    Ok(exit::OK)
}

/// The arguments that regenerate a letter, recorded in its provenance for `levers verify`.
pub fn regenerate_command(
    contract: &str,
    month: Month,
    stage: Stage,
    today: chrono::NaiveDate,
    force: bool,
) -> String {
    format!(
        "letter --contract {contract} --month {month} --stage {} --today {today}{}",
        stage.name(),
        if force { " --force" } else { "" }
    )
}

/// The git commit message for a letter: contract, month, stage and the commit its inputs are at.
pub fn commit_message(contract: &str, month: Month, stage: Stage, input_commit: &str) -> String {
    format!(
        "levers: {} letter for {contract}, {month} (inputs at {input_commit})",
        stage.name()
    )
}
