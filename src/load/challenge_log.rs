//! `challenge-log.csv`: what happened to each challenge after it was raised (§4.6).
//!
//! One event a row, `date,challenge,event,by,note`, replayed in file order through the state
//! machine below. An event that does not fit the challenge's state is an error with its line;
//! so is an event naming a challenge that was never raised (checked by the caller, which knows
//! the raised ids).

use crate::error::Invalid;
use crate::error::{Problem, Problems};
use crate::model::named::named;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

named! {
    pub enum State {
        Raised = "raised",
        Accepted = "accepted",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
        Rechallenged = "rechallenged",
        Disputed = "disputed",
        Upheld = "upheld",
        Overturned = "overturned",
    }
}

impl State {
    pub fn parse_event(text: &str) -> Option<State> {
        State::from_name(text).filter(|s| *s != State::Raised)
    }

    /// Closed: nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Accepted | State::Withdrawn | State::Upheld | State::Overturned
        )
    }

    /// Agreed: the provider accepted, or a dispute upheld the challenge; its value comes off
    /// the month's payable value.
    pub fn is_agreed(self) -> bool {
        matches!(self, State::Accepted | State::Upheld)
    }

    /// Waiting on the provider's response.
    pub fn awaits_provider(self) -> bool {
        matches!(self, State::Raised | State::Rechallenged)
    }

    /// The events allowed from this state.
    pub fn next(self) -> &'static [State] {
        match self {
            State::Raised | State::Rechallenged => &[State::Accepted, State::Rejected],
            State::Rejected => &[State::Withdrawn, State::Rechallenged, State::Disputed],
            State::Disputed => &[State::Upheld, State::Overturned],
            State::Accepted | State::Withdrawn | State::Upheld | State::Overturned => &[],
        }
    }

    pub fn apply(self, event: State) -> Result<State, Invalid> {
        if self.next().contains(&event) {
            Ok(event)
        } else if self.is_final() {
            Err(Invalid::from(format!(
                "the challenge is already {} (closed), so it cannot be {}",
                self.as_str(),
                event.as_str()
            )))
        } else {
            let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
            Err(Invalid::from(format!(
                "a {} challenge cannot be {}: expected {}",
                self.as_str(),
                event.as_str(),
                allowed.join(" or ")
            )))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub line: usize,
    pub date: NaiveDate,
    pub challenge: String,
    pub event: State,
    pub by: String,
    pub note: String,
}

/// Every event of a contract's log, grouped by challenge, in file order.
#[derive(Debug, Default, Clone)]
pub struct Log {
    pub events: BTreeMap<String, Vec<Event>>,
}

impl Log {
    /// The state of `challenge` as of `date` (events after it are not yet known).
    pub fn state(&self, challenge: &str, as_of: NaiveDate) -> State {
        self.events
            .get(challenge)
            .and_then(|events| events.iter().rev().find(|e| e.date <= as_of))
            .map_or(State::Raised, |e| e.event)
    }

    pub fn history(&self, challenge: &str) -> &[Event] {
        self.events.get(challenge).map_or(&[], Vec::as_slice)
    }
}

pub(crate) const HEADER: [&str; 5] = ["date", "challenge", "event", "by", "note"];

/// Reads and replays the log. Problems: bad rows, bad dates, unknown events, and events that
/// do not fit the challenge's state, each with its line.
pub(crate) fn read(path: &Path, display: &Path) -> (Log, Problems) {
    let mut problems = Problems::new();
    let mut log = Log::default();
    let (records, read_problems) = crate::load::records::read_fixed_csv(path, display, &HEADER);
    problems.extend(read_problems);
    let mut states: BTreeMap<String, State> = BTreeMap::new();
    let mut last_date: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for (line, excerpt, record) in records {
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        if record.len() < 4 {
            problems.push(
                Problem::at_line(
                    display,
                    line,
                    1,
                    format!(
                        "expected {} fields ({}), found {}",
                        HEADER.len(),
                        HEADER.join(","),
                        record.len()
                    ),
                )
                .with_excerpt(excerpt),
            );
            continue;
        }
        let date = match NaiveDate::parse_from_str(&field(0), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                problems.push(
                    Problem::at_line(
                        display,
                        line,
                        1,
                        format!(
                            "column `date`: expected a date as YYYY-MM-DD, found `{}`",
                            field(0)
                        ),
                    )
                    .with_excerpt(excerpt),
                );
                continue;
            }
        };
        let challenge = field(1);
        if challenge.is_empty() {
            problems.push(
                Problem::at_line(
                    display,
                    line,
                    2,
                    "column `challenge`: expected a challenge id such as 2026-04/duplicate/R000123",
                )
                .with_excerpt(excerpt),
            );
            continue;
        }
        let Some(event) = State::parse_event(&field(2)) else {
            problems.push(Problem::at_line(display, line, 3, format!("column `event`: unknown event `{}`: expected one of accepted, rejected, withdrawn, rechallenged, disputed, upheld, overturned", field(2))).with_excerpt(excerpt));
            continue;
        };
        if last_date.get(&challenge).is_some_and(|d| date < *d) {
            problems.push(Problem::at_line(display, line, 1, format!("this event is dated before the previous event on {challenge}: the log is in date order")).with_excerpt(excerpt.clone()));
        }
        let state = states.get(&challenge).copied().unwrap_or(State::Raised);
        match state.apply(event) {
            Ok(next) => {
                states.insert(challenge.clone(), next);
                last_date.insert(challenge.clone(), date);
                log.events
                    .entry(challenge.clone())
                    .or_default()
                    .push(Event {
                        line,
                        date,
                        challenge,
                        event,
                        by: field(3),
                        note: field(4),
                    });
            }
            Err(message) => problems.push(
                Problem::at_line(display, line, 3, format!("{challenge}: {message}"))
                    .with_excerpt(excerpt),
            ),
        }
    }
    (log, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use State::*;

    #[test]
    fn every_allowed_transition() {
        let allowed = [
            (Raised, Accepted),
            (Raised, Rejected),
            (Rechallenged, Accepted),
            (Rechallenged, Rejected),
            (Rejected, Withdrawn),
            (Rejected, Rechallenged),
            (Rejected, Disputed),
            (Disputed, Upheld),
            (Disputed, Overturned),
        ];
        for &from in State::ALL {
            for event in State::ALL.iter().copied().filter(|s| *s != Raised) {
                let expected = allowed.contains(&(from, event));
                assert_eq!(from.apply(event).is_ok(), expected, "{from} -> {event}");
            }
        }
    }

    #[test]
    fn final_states_are_closed_and_agreed_ones_reduce_payment() {
        for s in [Accepted, Withdrawn, Upheld, Overturned] {
            assert!(s.is_final() && s.next().is_empty());
        }
        assert!(Accepted.is_agreed() && Upheld.is_agreed());
        assert!(!Overturned.is_agreed() && !Withdrawn.is_agreed());
    }

    #[test]
    fn a_forbidden_event_is_reported_with_its_line() {
        let dir = std::env::temp_dir().join(format!("levers-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("challenge-log.csv");
        std::fs::write(
            &path,
            "date,challenge,event,by,note\n\
             2026-06-01,2026-04/dup/R1,rejected,Trust,not a duplicate\n\
             2026-06-02,2026-04/dup/R1,accepted,Trust,\n\
             2026-06-03,2026-04/dup/R1,disputed,ICB,\n\
             2026-06-04,2026-04/dup/R2,accepted,Trust,\n\
             2026-06-05,2026-04/dup/R2,rejected,Trust,\n\
             2026-06-0x,2026-04/dup/R3,accepted,Trust,\n\
             2026-06-07,2026-04/dup/R3,agreed,Trust,\n",
        )
        .unwrap();
        let (log, problems) = read(&path, Path::new("challenge-log.csv"));
        let problems = problems.sorted();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 6, 7, 8], "{problems:#?}");
        assert!(problems[0].message.contains("a rejected challenge cannot be accepted: expected withdrawn or rechallenged or disputed"));
        assert!(problems[1].message.contains("already accepted (closed)"));
        let as_of = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(log.state("2026-04/dup/R1", as_of), Disputed);
        assert_eq!(log.state("2026-04/dup/R2", as_of), Accepted);
        assert_eq!(
            log.state(
                "2026-04/dup/R1",
                NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
            ),
            Rejected
        );
        assert_eq!(log.state("unknown", as_of), Raised);
    }

    proptest! {
        /// Whatever events arrive, replaying them only ever moves along allowed transitions,
        /// and nothing leaves a final state.
        #[test]
        fn state_only_moves_along_allowed_transitions(events in prop::collection::vec(1usize..8, 0..20)) {
            let mut state = Raised;
            for e in events {
                let event = State::ALL[e];
                match state.apply(event) {
                    Ok(next) => {
                        prop_assert!(state.next().contains(&next));
                        prop_assert!(!state.is_final());
                        state = next;
                    }
                    Err(_) => prop_assert!(!state.next().contains(&event)),
                }
            }
        }
    }
}
