//! `levers notice`: write a GC9 case's Contract Performance Notice by hand.

use super::{exit, Globals};
use crate::results::month::contract;
use anyhow::Result;
use clap::Args;

/// Writes `notices/<case-id>.md`: the failing obligations with their figures and months, what
/// the provider must do, and the meeting deadline. A notice is final once written: one that
/// would now read differently is refused unless `--reissue --reason` is given (written as the
/// next `-rN` file). `levers run` writes each notice when its case opens.
#[derive(Debug, Args)]
pub struct NoticeArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The case id, as `levers cases` lists it
    case: String,
    /// Write the exception report for this missed milestone instead of the notice
    #[arg(long, value_name = "MILESTONE")]
    exception: Option<String>,
    /// Commit the notice written
    #[arg(long)]
    commit: bool,
    /// Write a corrected notice beside one already issued
    #[arg(long, requires = "reason")]
    reissue: bool,
    /// Why the notice is reissued (recorded in its provenance)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Also convert the notice, beside it, to docx, pdf or html (needs pandoc; pdf also
    /// Chromium); the Markdown stays the record
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<crate::audit::convert::Format>,
}

/// Writes the notice (or says it is already written).
pub fn run(globals: &Globals, args: NoticeArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    if args.commit {
        crate::audit::git::ready_to_commit(&workspace.root)?;
    }
    let reason = args.reissue.then(|| args.reason.clone()).flatten();
    let month = crate::results::schedule::as_of_month(contract, globals.today);
    let report = crate::results::month::contract_month(&workspace, contract, month, globals.today)?;
    let written = crate::audit::outputs::write_notice(
        &workspace,
        &report,
        &args.case,
        args.exception.as_deref(),
        reason.as_deref(),
    )?;
    let record = written.clone().unwrap_or_else(|| {
        crate::audit::outputs::notice_path(contract, &args.case, args.exception.as_deref())
    });
    match written {
        Some(file) => {
            crate::say!("wrote {}", file.display());
            if args.commit {
                let message = format!(
                    "levers: Contract Performance Notice {} ({})",
                    args.case, contract.id
                );
                let hash = crate::audit::git::commit(&workspace.root, &[file], &message)?;
                crate::say!("committed {hash}: {message}");
            }
        }
        None => crate::say!(
            "{} is up to date",
            crate::audit::outputs::notice_path(contract, &args.case, args.exception.as_deref())
                .display()
        ),
    }
    if let Some(format) = args.to {
        let converted = crate::audit::convert::convert(&workspace.root, &record, format)?;
        crate::say!("converted {} to {}", record.display(), converted.display());
    }
    Ok(exit::OK)
}
