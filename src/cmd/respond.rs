//! `levers respond`: the provider's answers to challenges, recorded in the challenge log.

use super::{exit, Globals};
use crate::audit::events::NewEvent;
use crate::error::{InvalidInput, Problem, Usage};
use crate::load::challenge_log::State;
use crate::results::month::contract;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// The columns of a returned CSV.
const HEADER: [&str; 3] = ["id", "response", "reason"];

/// Reads the provider's returned answers (a CSV with columns `id,response,reason`; `response`
/// is `accept` or `reject`, and a rejection needs a reason) and appends one `accepted` or
/// `rejected` event a row to the contract's `challenge-log.csv`, dated `--today`. Every row is
/// checked first; any problem refuses the whole file and nothing is written. A row the log
/// already records the same way is skipped, so the same file imported twice changes nothing.
#[derive(Debug, Args)]
pub struct RespondArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The returned file: CSV with columns id,response,reason (the workbook form is to come)
    file: PathBuf,
    /// Who answered (default: the provider's name)
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Commit the log
    #[arg(long)]
    commit: bool,
}

/// Checks every answer, then records them all or none.
pub fn run(globals: &Globals, args: RespondArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let root = &workspace.root;
    if args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        return Err(Usage(
            "levers reads returned answers as CSV (id,response,reason) for now; save the workbook's Challenges sheet as CSV".into(),
        )
        .into());
    }
    let display = args.file.clone();
    if !args.file.is_file() {
        return Err(Usage(format!("cannot read {}: no such file", display.display())).into());
    }
    let (records, mut problems) =
        crate::load::records::read_fixed_csv(&args.file, &display, &HEADER);
    let by = args.by.unwrap_or_else(|| contract.provider.name.clone());
    let mut events = Vec::new();
    for (line, excerpt, record) in records {
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let mut problem = |column: usize, message: String| {
            problems.push(
                Problem::at_line(&display, line, column, message).with_excerpt(excerpt.clone()),
            );
        };
        let (id, response, reason) = (field(0), field(1), field(2));
        if id.is_empty() {
            problem(1, "expected a challenge id".into());
            continue;
        }
        let event = match response.to_ascii_lowercase().as_str() {
            // Left blank: not answered yet.
            "" => continue,
            "accept" | "accepted" => State::Accepted,
            "reject" | "rejected" => State::Rejected,
            other => {
                problem(2, format!("expected `accept` or `reject`, found `{other}`"));
                continue;
            }
        };
        if event == State::Rejected && reason.is_empty() {
            problem(3, "a rejection needs its reason".into());
            continue;
        }
        events.push(NewEvent {
            challenge: id,
            event,
            by: by.clone(),
            note: reason,
            from: (display.clone(), line, 1),
        });
    }
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()).into());
    }
    if args.commit {
        crate::audit::git::ready_to_commit(root)?;
    }
    let _lock = crate::audit::lock::WorkspaceLock::acquire(root)?;
    let answered = events.len();
    let (log_file, fresh) = crate::audit::events::record(root, contract, globals.today, events)?;
    if fresh.is_empty() {
        crate::say!(
            "{} answer(s) read; each is already in {}: nothing to record",
            answered,
            log_file.display()
        );
        return Ok(exit::OK);
    }
    let count = |s: State| fresh.iter().filter(|e| e.event == s).count();
    crate::say!(
        "recorded in {}: {} accepted, {} rejected ({} already recorded)",
        log_file.display(),
        count(State::Accepted),
        count(State::Rejected),
        answered - fresh.len()
    );
    if args.commit {
        let message = format!(
            "levers: {}'s answers to {} challenge(s) ({})",
            by,
            fresh.len(),
            contract.id
        );
        let hash = crate::audit::git::commit(root, std::slice::from_ref(&log_file), &message)?;
        crate::say!("committed {hash}: {message}");
    }
    Ok(exit::OK)
}
