//! Appending events to a contract's `challenge-log.csv` (§4.6, §4.10): each checked against the
//! challenge's state first, every problem found before anything is written, then the file
//! rewritten whole (atomically) with the new rows at its end.

use crate::error::{InvalidInput, Problems};
use crate::load::answers::Place;
use crate::load::challenge_log::{Log, State};
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::money::Money;
use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One event to append, and where it came from (for a problem about it).
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub challenge: String,
    pub event: State,
    pub by: String,
    pub note: String,
    /// Where the event was read from, for a problem about it (the command line: the log
    /// itself).
    pub from: Place,
    /// The challenge's value as the returned row showed it, checked against the challenge's
    /// own (a row changed outside the provider's columns is refused).
    pub shown_value: Option<Money>,
}

/// The value of `challenge` if it was raised (its month's rules selected it; the month cache
/// answers), `None` if it never was.
fn raised(
    root: &Path,
    contract: &Contract,
    challenge: &str,
    months: &mut BTreeMap<Month, BTreeMap<String, Money>>,
) -> Result<Option<Money>, InvalidInput> {
    let Some(month) = challenge
        .split('/')
        .next()
        .and_then(|m| m.parse::<Month>().ok())
    else {
        return Ok(None);
    };
    let ids = match months.entry(month) {
        std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
        std::collections::btree_map::Entry::Vacant(slot) => slot.insert(
            crate::pass::cache::month(root, contract, month)
                .map_err(|p| InvalidInput(p.sorted()))?
                .challenges
                .iter()
                .map(|c| (c.id(), c.value))
                .collect(),
        ),
    };
    Ok(ids.get(challenge).copied())
}

/// Checks `events` in order against the log as of `today` (each one's state after those before
/// it), leaving out any that the log already records the same way (so a file answered twice
/// changes nothing); returns those to append, or every problem.
fn check(
    root: &Path,
    contract: &Contract,
    log: &Log,
    today: NaiveDate,
    events: Vec<NewEvent>,
) -> Result<Vec<NewEvent>, InvalidInput> {
    let mut problems = Problems::new();
    let mut months = BTreeMap::new();
    let mut states: BTreeMap<String, State> = BTreeMap::new();
    let mut fresh = Vec::new();
    for e in events {
        let mut problem = |message: String| {
            problems.push(e.from.problem(0, message));
        };
        let Some(value) = raised(root, contract, &e.challenge, &mut months)? else {
            problem(format!(
                "no challenge `{}` was raised for {}: expected an id from a letter's challenge list (<YYYY-MM>/<rule-id>/<record>)",
                e.challenge, contract.id
            ));
            continue;
        };
        if let Some(shown) = e.shown_value.filter(|v| *v != value) {
            problems.push(e.from.problem(
                crate::render::workbook::column("value"),
                format!(
                    "the row shows a value of {shown} where challenge `{}` is for {value}: the row was changed outside the provider's columns (response, reason, evidence)",
                    e.challenge
                ),
            ));
            continue;
        }
        let history = log.history(&e.challenge);
        if let Some(later) = history.iter().map(|h| h.date).filter(|d| *d > today).max() {
            problem(format!(
                "the log already records an event on {later} for `{}`, after {today}: events are appended in date order",
                e.challenge
            ));
            continue;
        }
        let note = crate::render::text::clean(&e.note);
        let answered_before = matches!(e.event, State::Accepted | State::Rejected)
            && history
                .iter()
                .any(|h| h.event == e.event && h.note == note.as_ref());
        if history.last().is_some_and(|h| h.event == e.event) || answered_before {
            // Already recorded this way (the last event, or this very answer earlier, as when
            // a returned file is imported again after the commissioner has acted on it):
            // importing the same answer twice changes nothing.
            continue;
        }
        if let Some(month) = e
            .challenge
            .split('/')
            .next()
            .and_then(|m| m.parse::<Month>().ok())
        {
            if today <= month.last_day() {
                problem(format!(
                    "an event dated {today} for `{}`, before {} had ended: check --today",
                    e.challenge,
                    month.long_name()
                ));
                continue;
            }
        }
        let state = *states
            .entry(e.challenge.clone())
            .or_insert_with(|| log.state(&e.challenge, today));
        match state.apply(e.event) {
            Ok(next) => {
                states.insert(e.challenge.clone(), next);
                fresh.push(e);
            }
            Err(why) => problem(format!("`{}`: {why}", e.challenge)),
        }
    }
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()));
    }
    Ok(fresh)
}

/// Appends `events`, dated `today`, to the contract's log, rewriting it whole; returns the log's
/// path (relative to the workspace).
fn append(
    root: &Path,
    contract: &Contract,
    today: NaiveDate,
    events: &[NewEvent],
) -> Result<PathBuf> {
    let file = contract.dir.join("challenge-log.csv");
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
        let mut rows = csv::Writer::from_writer(&mut bytes);
        for e in events {
            rows.write_record([
                today.to_string().as_str(),
                e.challenge.as_str(),
                e.event.as_str(),
                crate::render::text::clean(&e.by).as_ref(),
                crate::render::text::clean(&e.note).as_ref(),
            ])?;
        }
        rows.flush()?;
    }
    crate::audit::write::write_file(root, &file, &bytes)
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

/// Records `events` in the contract's log as of `today`: the log read (its problems refuse
/// everything), every event checked, then those not yet recorded appended. Returns the log's
/// path and the events appended: none when each was already recorded. The caller holds the
/// workspace lock.
pub(crate) fn record(
    root: &Path,
    contract: &Contract,
    today: NaiveDate,
    events: Vec<NewEvent>,
) -> Result<(PathBuf, Vec<NewEvent>)> {
    let file = contract.dir.join("challenge-log.csv");
    let (log, problems) = crate::load::challenge_log::read(&root.join(&file), &file);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()).into());
    }
    let fresh = check(root, contract, &log, today, events)?;
    if !fresh.is_empty() {
        append(root, contract, today, &fresh)?;
    }
    Ok((file, fresh))
}
