//! `levers respond`: the provider's answers to challenges, recorded in the challenge log.

use super::{exit, Globals};
use crate::audit::events::NewEvent;
use crate::error::{InvalidInput, Problems, Usage};
use crate::load::answers::Answer;
use crate::load::challenge_log::State;
use crate::results::month::contract;
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Reads the provider's returned answers (the workbook levers wrote beside the letter, answered
/// in its response, reason and evidence columns; or a CSV with columns
/// `id,response,reason[,evidence]`; `response` is `accept` or `reject`, and a rejection needs a
/// reason) and appends one `accepted` or `rejected` event a row to the contract's
/// `challenge-log.csv`, dated `--today`. Every row is checked first; any problem refuses the
/// whole file and nothing is written. A row the log already records the same way is skipped, so
/// the same file imported twice changes nothing.
#[derive(Debug, Args)]
pub struct RespondArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The returned file: the letter's workbook (.xlsx), or a CSV with columns
    /// id,response,reason[,evidence]
    file: PathBuf,
    /// Who answered (default: the provider's name)
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Commit the log
    #[arg(long)]
    commit: bool,
}

/// The answers' problems that need no log: a workbook row whose locked columns disagree with
/// its id, and the same challenge answered twice in different ways.
fn check_rows(answers: &[Answer], problems: &mut Problems) {
    let mut seen: BTreeMap<&str, &Answer> = BTreeMap::new();
    for a in answers {
        if let Some(shown) = &a.shown {
            let mut parts = a.id.splitn(3, '/');
            let expected = [
                ("month", parts.next().unwrap_or(""), &shown.month),
                ("rule", parts.next().unwrap_or(""), &shown.rule),
                ("record", parts.next().unwrap_or(""), &shown.record),
            ];
            if shown.value.is_none() {
                problems.push(a.place.problem(
                    crate::render::workbook::column("value"),
                    "expected the challenge's value, a number: the row was changed outside the provider's columns (response, reason, evidence)",
                ));
            }
            for (name, from_id, found) in expected {
                if from_id != found.as_str() {
                    problems.push(a.place.problem(
                        crate::render::workbook::column(name),
                        format!(
                            "the row's {name} is `{found}` but its id `{}` says `{from_id}`: the row was changed outside the provider's columns (response, reason, evidence)",
                            a.id
                        ),
                    ));
                }
            }
        }
        match seen.get(a.id.as_str()) {
            Some(first)
                if first.response != a.response
                    || first.reason != a.reason
                    || first.evidence != a.evidence =>
            {
                problems.push(a.place.problem(
                    0,
                    format!(
                        "`{}` is answered twice, differently (first at {} {}): keep one answer",
                        a.id,
                        if first.place.workbook { "row" } else { "line" },
                        first.place.line
                    ),
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(&a.id, a);
            }
        }
    }
}

/// Checks every answer, then records them all or none.
pub fn run(globals: &Globals, args: RespondArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let root = &workspace.root;
    let display = args.file.clone();
    if !args.file.exists() {
        return Err(Usage(format!("cannot read {}: no such file", display.display())).into());
    }
    if !args.file.is_file() {
        return Err(Usage(format!(
            "cannot read {}: not a regular file (expected the returned workbook or a CSV)",
            display.display()
        ))
        .into());
    }
    // A workbook by its extension, or by its first bytes (a zip archive) whatever its name.
    let workbook = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        || std::fs::File::open(&args.file).is_ok_and(|mut f| {
            let mut magic = [0u8; 4];
            std::io::Read::read_exact(&mut f, &mut magic).is_ok() && magic == *b"PK\x03\x04"
        });
    let (answers, mut problems) = if workbook {
        crate::load::answers::read_workbook(&args.file, &display)
    } else {
        crate::load::answers::read_csv(&args.file, &display)
    };
    check_rows(&answers, &mut problems);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()).into());
    }
    let by = args.by.unwrap_or_else(|| contract.provider.name.clone());
    let mut events: Vec<NewEvent> = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for a in answers {
        if !taken.insert(a.id.clone()) {
            continue; // the same answer twice in the file
        }
        let note = match (a.reason.is_empty(), a.evidence.is_empty()) {
            (_, true) => a.reason,
            (true, false) => format!("evidence: {}", a.evidence),
            (false, false) => format!("{} (evidence: {})", a.reason, a.evidence),
        };
        events.push(NewEvent {
            challenge: a.id,
            event: a.response,
            by: by.clone(),
            note,
            shown_value: a.shown.and_then(|s| s.value),
            from: a.place,
        });
    }
    if args.commit {
        crate::audit::git::ready_to_commit(root)?;
    }
    let _lock = crate::audit::lock::WorkspaceLock::acquire(root)?;
    let answered = events.len();
    if answered == 0 {
        crate::say!(
            "no answers in {}: every response is blank; nothing to record",
            display.display()
        );
        return Ok(exit::OK);
    }
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
