//! Challenges as a letter or report shows them: what was raised, and what has happened since,
//! read from the challenge log as of a date: state, the response date (from the letter that
//! raised it), overdue, agreed.

use crate::model::calendar::Month;
use crate::model::contract::{ChallengeForm, ChallengeRule};
use crate::model::money::Money;
use crate::pass::rules::Raised;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A challenge as a letter or report shows it: what was raised, and what has happened since.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengeView {
    pub id: String,
    /// Shared by every view of the contract (a month can hold hundreds of thousands).
    pub contract: Arc<str>,
    pub month: Month,
    pub rule: Arc<str>,
    pub rule_name: Arc<str>,
    /// The column (or, for a ratio cap, the grouping) that `record` is a value of.
    pub key_column: Arc<str>,
    pub record: String,
    pub value: Money,
    pub rows: u64,
    pub detail: Arc<str>,
    /// Other rules that also select its rows, for information (§4.6).
    pub also: Vec<Arc<str>>,
    pub state: crate::load::challenge_log::State,
    /// The provider's response is due by this date: the date of the letter that raised the
    /// challenge plus the response window, or the re-challenge date plus the window. None when
    /// no letter has raised it yet.
    pub respond_by: Option<chrono::NaiveDate>,
    /// No provider response by the respond-by date.
    pub overdue: bool,
    /// Closed: accepted, withdrawn, upheld or overturned.
    pub closed: bool,
    /// Accepted, or upheld in dispute: the value comes off the payment.
    pub agreed: bool,
    /// The date of the event that agreed it.
    pub agreed_on: Option<chrono::NaiveDate>,
    /// Months since the month it was raised for.
    pub age_months: i32,
    pub last_event: Option<chrono::NaiveDate>,
}

impl ChallengeView {
    /// Put to the provider (a letter has raised it) and not yet answered: raised, or
    /// re-challenged.
    pub(crate) fn awaiting_answer(&self) -> bool {
        self.respond_by.is_some() && self.state.awaits_provider()
    }
}

/// Views of `raised` challenges as of `today`, using the log.
///
/// A large month's views (hundreds of thousands) are built in two halves at once.
pub(crate) fn views(
    contract: &crate::model::contract::Contract,
    raised: &[&Raised],
    log: &crate::load::challenge_log::Log,
    as_of_month: Month,
    today: chrono::NaiveDate,
    respond_by: &(dyn Fn(Month) -> Option<chrono::NaiveDate> + Sync),
    add_working_days: &(dyn Fn(chrono::NaiveDate) -> chrono::NaiveDate + Sync),
) -> Vec<ChallengeView> {
    let contract_id: Arc<str> = contract.id.as_str().into();
    let names: BTreeMap<&str, (Arc<str>, Arc<str>)> = contract
        .challenges
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                (Arc::from(c.name.as_str()), key_column(contract, c)),
            )
        })
        .collect();
    let context = ViewContext {
        names,
        contract_id,
        log,
        as_of_month,
        today,
        respond_by,
        add_working_days,
    };
    let part = |part: &[&Raised]| context.views(part);
    if raised.len() < PARALLEL_VIEWS {
        return part(raised);
    }
    let (first, second) = raised.split_at(raised.len() / 2);
    let (mut a, b) = std::thread::scope(|scope| {
        let later = scope.spawn(|| part(second));
        let earlier = part(first);
        (earlier, later.join())
    });
    match b {
        Ok(b) => {
            a.extend(b);
            a
        }
        Err(_) => [a, part(second)].concat(),
    }
}

/// Months with at least this many challenges have their views built on two threads.
const PARALLEL_VIEWS: usize = 50_000;

/// What every view of one contract's challenges shares.
/// The column a rule's challenges cite records by: the dataset's key, or a ratio cap's `by`.
fn key_column(contract: &crate::model::contract::Contract, rule: &ChallengeRule) -> Arc<str> {
    match &rule.form {
        ChallengeForm::RatioCap { by, .. } => by.text.as_str().into(),
        _ => contract
            .schema(&rule.dataset)
            .and_then(|s| s.key.as_deref())
            .unwrap_or("line")
            .into(),
    }
}

struct ViewContext<'a> {
    /// Each rule's name and key column.
    names: BTreeMap<&'a str, (Arc<str>, Arc<str>)>,
    contract_id: Arc<str>,
    log: &'a crate::load::challenge_log::Log,
    as_of_month: Month,
    today: chrono::NaiveDate,
    respond_by: &'a (dyn Fn(Month) -> Option<chrono::NaiveDate> + Sync),
    add_working_days: &'a (dyn Fn(chrono::NaiveDate) -> chrono::NaiveDate + Sync),
}

impl ViewContext<'_> {
    fn views(&self, raised: &[&Raised]) -> Vec<ChallengeView> {
        use crate::load::challenge_log::State;
        let today = self.today;
        raised
            .iter()
            .map(|r| {
                let id = r.id();
                let state = self.log.state(&id, today);
                let history = self.log.history(&id);
                let known: Vec<_> = history.iter().filter(|e| e.date <= today).collect();
                let due = match known.iter().rev().find(|e| e.event == State::Rechallenged) {
                    Some(e) if state == State::Rechallenged => {
                        Some((self.add_working_days)(e.date))
                    }
                    _ => (self.respond_by)(r.month),
                };
                let agreed_on = known.iter().find(|e| e.event.is_agreed()).map(|e| e.date);
                let (rule_name, key_column) = self
                    .names
                    .get(r.rule.as_ref())
                    .cloned()
                    .unwrap_or_else(|| (r.rule.clone(), Arc::from("record")));
                ChallengeView {
                    id,
                    contract: self.contract_id.clone(),
                    month: r.month,
                    rule: r.rule.clone(),
                    rule_name,
                    key_column,
                    record: r.record.clone(),
                    value: r.value,
                    rows: r.rows,
                    detail: r.detail.clone(),
                    also: r.also.clone(),
                    state,
                    respond_by: due,
                    overdue: state.awaits_provider() && due.is_some_and(|due| today > due),
                    closed: state.is_final(),
                    agreed: state.is_agreed(),
                    agreed_on,
                    age_months: r.month.months_until(self.as_of_month),
                    last_event: known.last().map(|e| e.date),
                }
            })
            .collect()
    }
}
