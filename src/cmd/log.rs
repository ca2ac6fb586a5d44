//! `levers log`: the commissioner's side of the challenge log, one event appended at a time.

use super::{exit, Globals};
use crate::audit::events::NewEvent;
use crate::error::Usage;
use crate::load::challenge_log::State;
use crate::model::calendar::Month;
use crate::results::month::contract;
use anyhow::Result;
use clap::Args;

/// The events the commissioner records; the provider's (`accepted`, `rejected`) come back
/// through its responses.
const COMMISSIONER_EVENTS: [State; 5] = [
    State::Withdrawn,
    State::Rechallenged,
    State::Disputed,
    State::Upheld,
    State::Overturned,
];

/// Appends one event (withdrawn, rechallenged, disputed, upheld, overturned) to a contract's
/// `challenge-log.csv`, dated `--today`, after checking it against the challenge's state; the
/// file is rewritten whole or not at all.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The challenge id, as a letter's challenge list gives it (2026-04/duplicate/R000123)
    challenge: String,
    /// What happened: withdrawn, rechallenged, disputed, upheld or overturned
    event: String,
    /// A note for the log (the reason, the evidence)
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Who records it (default: the commissioner's organisation)
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Commit the log
    #[arg(long)]
    commit: bool,
}

/// Checks the event and appends it to the log.
pub fn run(globals: &Globals, args: LogArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let root = &workspace.root;
    let today = globals.today;
    let event = State::from_name(&args.event.to_ascii_lowercase())
        .filter(|e| COMMISSIONER_EVENTS.contains(e))
        .ok_or_else(|| {
            Usage(format!(
                "`{}` is not an event the commissioner records: expected withdrawn, rechallenged, disputed, upheld or overturned (the provider's accepted and rejected come back through its responses)",
                args.event
            ))
        })?;
    if args.commit {
        crate::audit::git::ready_to_commit(root)?;
    }
    let _lock = crate::audit::lock::WorkspaceLock::acquire(root)?;
    if args
        .challenge
        .split('/')
        .next()
        .and_then(|m| m.parse::<Month>().ok())
        .is_none()
    {
        return Err(Usage(format!(
            "`{}` is not a challenge id: expected <YYYY-MM>/<rule-id>/<record>, as a letter's challenge list gives it",
            args.challenge
        ))
        .into());
    }
    let by = args
        .by
        .unwrap_or_else(|| workspace.settings.organisation.name.clone());
    let wanted = NewEvent {
        challenge: args.challenge.clone(),
        event,
        by,
        note: args.note.unwrap_or_default(),
        from: crate::load::answers::Place {
            file: contract.dir.join("challenge-log.csv"),
            line: 1,
            workbook: false,
        },
        shown_value: None,
    };
    let (file, fresh) = crate::audit::events::record(root, contract, today, vec![wanted])?;
    if fresh.is_empty() {
        crate::say!(
            "{} is already {} in {}: nothing to record",
            args.challenge,
            event.as_str(),
            file.display()
        );
        return Ok(exit::OK);
    }
    crate::say!(
        "recorded in {}: {today} {} {}",
        file.display(),
        args.challenge,
        event.as_str()
    );
    if args.commit {
        let message = format!(
            "levers: challenge {} {} ({})",
            args.challenge,
            event.as_str(),
            contract.id
        );
        let hash = crate::audit::git::commit(root, std::slice::from_ref(&file), &message)?;
        crate::say!("committed {hash}: {message}");
    }
    Ok(exit::OK)
}
