//! `levers log`: the commissioner's side of the challenge log, one event appended at a time.

use super::{exit, Globals};
use crate::error::{InvalidInput, Problem, Usage};
use crate::load::challenge_log::State;
use crate::model::calendar::Month;
use crate::results::month::contract;
use anyhow::{Context as _, Result};
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
    let event = State::from_name(&args.event)
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
    let file = contract.dir.join("challenge-log.csv");
    let (log, problems) = crate::load::challenge_log::read(&root.join(&file), &file);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()).into());
    }
    let refuse = |message: String| -> anyhow::Error {
        InvalidInput(vec![Problem::at_line(&file, 1, 1, message)]).into()
    };
    // The challenge must have been raised: its month's rules selected it.
    let month = args
        .challenge
        .split('/')
        .next()
        .and_then(|m| m.parse::<Month>().ok())
        .ok_or_else(|| {
            Usage(format!(
                "`{}` is not a challenge id: expected <YYYY-MM>/<rule-id>/<record>, as a letter's challenge list gives it",
                args.challenge
            ))
        })?;
    let raised = crate::pass::cache::month(root, contract, month)
        .map_err(|p| InvalidInput(p.sorted()))?
        .challenges
        .iter()
        .any(|c| c.id() == args.challenge);
    if !raised {
        return Err(refuse(format!(
            "no challenge `{}` was raised for {} in {month}: expected an id from a letter's challenge list",
            args.challenge, contract.id
        )));
    }
    if let Some(later) = log
        .history(&args.challenge)
        .iter()
        .map(|e| e.date)
        .filter(|d| *d > today)
        .max()
    {
        return Err(refuse(format!(
            "the log already records an event on {later} for `{}`, after {today}: an event is appended in date order",
            args.challenge
        )));
    }
    let state = log.state(&args.challenge, today);
    state
        .apply(event)
        .map_err(|e| refuse(format!("`{}`: {e}", args.challenge)))?;

    let by = args
        .by
        .unwrap_or_else(|| workspace.settings.organisation.name.clone());
    let mut bytes = match std::fs::read(root.join(&file)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut header = crate::load::challenge_log::HEADER.join(",").into_bytes();
            header.push(b'\n');
            header
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    {
        let mut row = csv::Writer::from_writer(&mut bytes);
        row.write_record([
            today.to_string().as_str(),
            args.challenge.as_str(),
            event.as_str(),
            crate::render::text::clean(&by).as_ref(),
            crate::render::text::clean(args.note.as_deref().unwrap_or("")).as_ref(),
        ])?;
        row.flush()?;
    }
    crate::audit::write::write_file(root, &file, &bytes)
        .with_context(|| format!("cannot write {}", file.display()))?;
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
