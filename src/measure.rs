//! Measures (§4.1): what each KPI counts, sums or ranks in one month's rows.
//!
//! A [`MeasureState`] accumulates over the rows of one pass and ends as a [`Figure`]: the
//! month's numerator, denominator and value, exact. A ratio with an empty denominator, or an
//! aggregate over no rows, has no value: "no activity", neither met nor failed.

use crate::contract::{Aggregate, Measure};
use crate::expr::{compile, CompileEnv, Compiled, ExprError, Memo, Want};
use crate::money::ExactSum;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many record keys a measure keeps for `levers explain`.
pub const SAMPLE_KEYS: usize = 10;

/// One month's figure for a KPI (or one group of a KPI with `by`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Figure {
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// The actual: a fraction for ratios, the count, sum, mean or percentile otherwise.
    /// `None` means no activity.
    pub value: Option<Decimal>,
    /// For mean/median/percentiles: every value, so the year to date can be pooled exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Decimal>,
    /// The first record keys counted in the numerator (or the count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numerator_keys: Vec<String>,
    /// The first record keys in the denominator but not the numerator: those behind an excess.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shortfall_keys: Vec<String>,
}

impl Figure {
    pub fn ratio(numerator: Decimal, denominator: Decimal) -> Figure {
        Figure {
            numerator: Some(numerator),
            denominator: Some(denominator),
            value: (!denominator.is_zero()).then(|| numerator / denominator),
            ..Figure::default()
        }
    }
}

/// The figures of one KPI in one month: one, or one per group for a KPI with `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MonthFigures {
    Single(Figure),
    Grouped(BTreeMap<String, Figure>),
}

/// A KPI's measure compiled against the pass's slots.
pub struct CompiledMeasure {
    /// The condition a row must meet to count at all: a ratio's or aggregate's `where`, or a
    /// count's condition. Tested first, inline, since most rows fail most measures' gates.
    gate: Option<Compiled>,
    kind: Kind,
    state: State,
}

enum Kind {
    Ratio {
        numerator: Compiled,
        denominator: Option<Compiled>,
        by: Option<Compiled>,
    },
    /// A count: every row through the gate.
    Count,
    Aggregate {
        aggregate: Aggregate,
        value: Compiled,
    },
}

#[derive(Default)]
struct Tally {
    numerator: u64,
    denominator: u64,
    numerator_keys: Vec<String>,
    shortfall_keys: Vec<String>,
}

enum State {
    Sum(ExactSum, Vec<String>),
    Ratio(Tally),
    Grouped(BTreeMap<String, Tally>),
    Count(u64, Vec<String>),
    Values(Vec<Decimal>, Vec<String>),
}

/// The expression that failed to compile, and why (the contract's own validation reports
/// these with file positions; here they stop the pass).
pub type CompileFailure = (String, ExprError);

impl CompiledMeasure {
    /// `None` for provider returns, which are not measured from rows.
    pub fn new(
        measure: &Measure,
        env: &mut CompileEnv<'_>,
    ) -> Result<Option<CompiledMeasure>, CompileFailure> {
        let c = |text: &crate::contract::ExprText, env: &mut CompileEnv<'_>, want| {
            compile(&text.expr, env, want).map_err(|e| (text.text.clone(), e))
        };
        let opt = |text: &Option<crate::contract::ExprText>,
                   env: &mut CompileEnv<'_>,
                   want|
         -> Result<Option<Compiled>, CompileFailure> {
            text.as_ref().map(|t| c(t, env, want)).transpose()
        };
        let (gate, kind, state) = match measure {
            Measure::Ratio {
                filter,
                numerator,
                denominator,
                by,
            } => {
                let by_compiled = opt(by, env, None)?;
                let state = if by_compiled.is_some() {
                    State::Grouped(BTreeMap::new())
                } else {
                    State::Ratio(Tally::default())
                };
                (
                    opt(filter, env, Some(Want::Condition))?,
                    Kind::Ratio {
                        numerator: c(numerator, env, Some(Want::Condition))?,
                        denominator: opt(denominator, env, Some(Want::Condition))?,
                        by: by_compiled,
                    },
                    state,
                )
            }
            Measure::Count { condition } => (
                Some(c(condition, env, Some(Want::Condition))?),
                Kind::Count,
                State::Count(0, Vec::new()),
            ),
            Measure::Aggregate {
                aggregate,
                value,
                filter,
            } => (
                opt(filter, env, Some(Want::Condition))?,
                Kind::Aggregate {
                    aggregate: *aggregate,
                    value: c(value, env, Some(Want::Number))?,
                },
                if *aggregate == Aggregate::Sum {
                    State::Sum(ExactSum::default(), Vec::new())
                } else {
                    State::Values(Vec::new(), Vec::new())
                },
            ),
            Measure::Returned => return Ok(None),
        };
        Ok(Some(CompiledMeasure { gate, kind, state }))
    }

    /// Feeds one row. `key` gives the row's record key, computed only when a sample needs it.
    #[inline]
    pub fn add(&mut self, row: &[Value<'_>], memo: &Memo, key: &dyn Fn() -> String) {
        if self.gate.as_ref().is_none_or(|g| g.matches(row, memo)) {
            self.add_through_gate(row, memo, key);
        }
    }

    fn add_through_gate(&mut self, row: &[Value<'_>], memo: &Memo, key: &dyn Fn() -> String) {
        match (&self.kind, &mut self.state) {
            (
                Kind::Ratio {
                    numerator,
                    denominator,
                    by,
                },
                state,
            ) => {
                let in_numerator = numerator.matches(row, memo);
                // With `denominator` the two counts are independent; without it, the filter's
                // rows are the denominator and the numerator counts among them.
                let in_denominator = denominator.as_ref().is_none_or(|d| d.matches(row, memo));
                if !in_numerator && !in_denominator {
                    return;
                }
                let tally = match (state, by) {
                    (State::Ratio(t), _) => t,
                    (State::Grouped(groups), Some(by)) => group_tally(groups, by.eval(row, memo)),
                    _ => return,
                };
                if in_numerator && (denominator.is_some() || in_denominator) {
                    tally.numerator += 1;
                    if tally.numerator_keys.len() < SAMPLE_KEYS {
                        tally.numerator_keys.push(key());
                    }
                }
                if in_denominator {
                    tally.denominator += 1;
                    if !in_numerator && tally.shortfall_keys.len() < SAMPLE_KEYS {
                        tally.shortfall_keys.push(key());
                    }
                }
            }
            (Kind::Count, State::Count(n, keys)) => {
                *n += 1;
                if keys.len() < SAMPLE_KEYS {
                    keys.push(key());
                }
            }
            (Kind::Aggregate { value, .. }, State::Sum(sum, keys)) => {
                if let Some(v) = value.eval(row, memo).as_decimal() {
                    sum.add(v);
                    if keys.len() < SAMPLE_KEYS {
                        keys.push(key());
                    }
                }
            }
            (Kind::Aggregate { value, .. }, State::Values(values, keys)) => {
                // NULL values are left out, as SQL aggregates do.
                if let Some(v) = value.eval(row, memo).as_decimal() {
                    values.push(v);
                    if keys.len() < SAMPLE_KEYS {
                        keys.push(key());
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds the state of the same measure run over a later part of the file. Counts and sums
    /// add; sampled keys keep file order.
    pub fn merge(&mut self, later: CompiledMeasure) {
        fn keys(into: &mut Vec<String>, from: Vec<String>) {
            into.extend(from);
            into.truncate(SAMPLE_KEYS);
        }
        fn tally(into: &mut Tally, from: Tally) {
            into.numerator += from.numerator;
            into.denominator += from.denominator;
            keys(&mut into.numerator_keys, from.numerator_keys);
            keys(&mut into.shortfall_keys, from.shortfall_keys);
        }
        match (&mut self.state, later.state) {
            (State::Ratio(a), State::Ratio(b)) => tally(a, b),
            (State::Grouped(a), State::Grouped(b)) => {
                for (group, t) in b {
                    tally(a.entry(group).or_default(), t);
                }
            }
            (State::Count(a, ka), State::Count(b, kb)) => {
                *a += b;
                keys(ka, kb);
            }
            (State::Sum(a, ka), State::Sum(b, kb)) => {
                *a += b;
                keys(ka, kb);
            }
            (State::Values(a, ka), State::Values(b, kb)) => {
                a.extend(b);
                keys(ka, kb);
            }
            _ => unreachable!("the same measure has the same state"),
        }
    }

    pub fn finish(self) -> MonthFigures {
        match (self.kind, self.state) {
            (_, State::Ratio(t)) => MonthFigures::Single(tally_figure(t)),
            (_, State::Grouped(groups)) => MonthFigures::Grouped(
                groups
                    .into_iter()
                    .map(|(k, t)| (k, tally_figure(t)))
                    .collect(),
            ),
            (_, State::Sum(sum, keys)) => MonthFigures::Single(Figure {
                numerator: Some(sum.total()),
                value: Some(sum.total()),
                numerator_keys: keys,
                ..Figure::default()
            }),
            (_, State::Count(n, keys)) => MonthFigures::Single(Figure {
                numerator: Some(Decimal::from(n)),
                value: Some(Decimal::from(n)),
                numerator_keys: keys,
                ..Figure::default()
            }),
            (Kind::Aggregate { aggregate, .. }, State::Values(values, keys)) => {
                let mut figure = aggregate_figure(aggregate, values);
                figure.numerator_keys = keys;
                MonthFigures::Single(figure)
            }
            (_, State::Values(..)) => MonthFigures::Single(Figure::default()),
        }
    }
}

/// The tally of a row's group, allocating the key only for a group not seen before.
fn group_tally<'g>(groups: &'g mut BTreeMap<String, Tally>, key: Value<'_>) -> &'g mut Tally {
    let rendered;
    let key: &str = match &key {
        Value::Text(t) => t,
        other => {
            rendered = other.render();
            &rendered
        }
    };
    if !groups.contains_key(key) {
        groups.insert(key.to_string(), Tally::default());
    }
    groups.get_mut(key).expect("inserted above")
}

fn tally_figure(t: Tally) -> Figure {
    let mut figure = Figure::ratio(Decimal::from(t.numerator), Decimal::from(t.denominator));
    figure.numerator_keys = t.numerator_keys;
    figure.shortfall_keys = t.shortfall_keys;
    figure
}

/// The figure of an aggregate over `values` (sum, mean, median, nearest-rank percentile).
pub fn aggregate_figure(aggregate: Aggregate, mut values: Vec<Decimal>) -> Figure {
    let value = if aggregate == Aggregate::Sum {
        Some(values.iter().copied().sum())
    } else {
        aggregate_value(aggregate, &mut values)
    };
    let keep = !matches!(aggregate, Aggregate::Sum);
    Figure {
        numerator: (aggregate == Aggregate::Sum).then(|| value.unwrap_or_default()),
        value,
        values: if keep { values } else { Vec::new() },
        ..Figure::default()
    }
}

/// Mean, median (the mean of the two middle values for an even count) or nearest-rank
/// percentile; `None` over no values.
pub fn aggregate_value(aggregate: Aggregate, values: &mut [Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    Some(match aggregate {
        Aggregate::Sum => values.iter().copied().sum(),
        Aggregate::Mean => values.iter().copied().sum::<Decimal>() / Decimal::from(n),
        Aggregate::Median => {
            values.sort_unstable();
            if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / Decimal::TWO
            }
        }
        Aggregate::Percentile(p) => {
            values.sort_unstable();
            // Nearest rank: the smallest value with at least p% of values at or below it.
            let rank = (usize::from(p) * n).div_ceil(100).max(1);
            values[rank - 1]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(values: &[i64]) -> Vec<Decimal> {
        values.iter().map(|v| Decimal::from(*v)).collect()
    }

    #[test]
    fn aggregates_over_known_values() {
        let values = ds(&[15, 20, 35, 40, 50]);
        assert_eq!(
            aggregate_value(Aggregate::Percentile(30), &mut values.clone()),
            Some(Decimal::from(20))
        );
        assert_eq!(
            aggregate_value(Aggregate::Percentile(40), &mut values.clone()),
            Some(Decimal::from(20))
        );
        assert_eq!(
            aggregate_value(Aggregate::Percentile(50), &mut values.clone()),
            Some(Decimal::from(35))
        );
        assert_eq!(
            aggregate_value(Aggregate::Percentile(99), &mut values.clone()),
            Some(Decimal::from(50))
        );
        assert_eq!(
            aggregate_value(Aggregate::Percentile(1), &mut values.clone()),
            Some(Decimal::from(15))
        );
        assert_eq!(
            aggregate_value(Aggregate::Median, &mut ds(&[4, 1, 3, 2])),
            Some(Decimal::new(25, 1))
        );
        assert_eq!(
            aggregate_value(Aggregate::Median, &mut ds(&[5, 1, 3])),
            Some(Decimal::from(3))
        );
        assert_eq!(
            aggregate_value(Aggregate::Mean, &mut ds(&[1, 2])),
            Some(Decimal::new(15, 1))
        );
        assert_eq!(aggregate_value(Aggregate::Mean, &mut []), None);
        assert_eq!(
            aggregate_figure(Aggregate::Sum, Vec::new()).value,
            Some(Decimal::ZERO),
            "a sum over no rows is zero"
        );
    }

    #[test]
    fn an_empty_denominator_is_no_activity() {
        let f = Figure::ratio(Decimal::ZERO, Decimal::ZERO);
        assert!(f.value.is_none());
        assert_eq!(
            Figure::ratio(Decimal::from(3), Decimal::from(4)).value,
            Some(Decimal::new(75, 2))
        );
    }
}
