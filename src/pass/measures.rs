//! Measures (§4.1): what each KPI counts, sums or ranks in one month's rows.
//!
//! A [`MeasureState`] accumulates over the rows of one pass and ends as a [`Figure`]: the
//! month's numerator, denominator and value, exact. A ratio with an empty denominator, or an
//! aggregate over no rows, has no value: "no activity", neither met nor failed.

use crate::expr::{compile, CompileEnv, Compiled, ExprError, Memo, Want};
use crate::model::contract::{Aggregate, Measure};
use crate::model::money::ExactSum;
use crate::model::value::Value;
use crate::pass::hash::FastHash;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How many record keys a measure keeps for `levers explain`.
pub(crate) const SAMPLE_KEYS: usize = 10;

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
    /// A provider return's note: its account of the figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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

/// An expression that would not compile: the expression, why, and where in the contract file
/// the problem lies.
#[derive(Debug)]
pub(crate) struct CompileFailure {
    pub text: String,
    pub error: ExprError,
    pub span: std::ops::Range<usize>,
}

impl CompileFailure {
    /// The failure of `text` with `error`, placed at the error's own position in the file.
    pub(crate) fn of(text: &crate::model::contract::ExprText, error: ExprError) -> Self {
        CompileFailure {
            span: text.file_span(&error),
            text: text.text.clone(),
            error,
        }
    }
}

/// A KPI's measure compiled against the pass's slots, with its tally of the rows so far.
pub(crate) struct CompiledMeasure {
    /// The condition a row must meet to count at all: a ratio's or aggregate's `where`, or a
    /// count's condition. Tested first, inline, since most rows fail most measures' gates.
    gate: Option<Compiled>,
    form: Form,
}

/// Each measure form with its compiled expressions and its tally together: what a row adds,
/// how two parts of a file merge and what figure the month ends with are the form's own
/// methods, and every match over forms names each form (a new form cannot be left out).
enum Form {
    /// Rows in the numerator over rows in the denominator.
    Ratio(Ratio),
    /// A ratio per group of `by`.
    GroupedRatio(GroupedRatio),
    /// Every row through the gate.
    Count(Count),
    /// The exact sum of a value over the rows through the gate.
    Sum(Sum),
    /// A mean, median or percentile: every value is kept (the year to date pools them).
    Distribution(Distribution),
}

/// A ratio's two conditions; without `denominator`, the gate's rows are the denominator.
struct RatioConditions {
    numerator: Compiled,
    denominator: Option<Compiled>,
}

impl RatioConditions {
    /// Where `row` falls: in the numerator, in the denominator; `None` when in neither.
    #[inline]
    fn classify(&self, row: &[Value<'_>], memo: &Memo) -> Option<(bool, bool)> {
        let in_numerator = self.numerator.matches(row, memo);
        // With `denominator` the two counts are independent; without it, the filter's rows
        // are the denominator and the numerator counts among them.
        let in_denominator = self
            .denominator
            .as_ref()
            .is_none_or(|d| d.matches(row, memo));
        (in_numerator || in_denominator).then_some((in_numerator, in_denominator))
    }

    /// Counts a row that [`RatioConditions::classify`] placed into `tally`.
    #[inline]
    fn count(
        &self,
        tally: &mut Tally,
        (in_numerator, in_denominator): (bool, bool),
        key: &dyn Fn() -> String,
    ) {
        if in_numerator && (self.denominator.is_some() || in_denominator) {
            tally.numerator += 1;
            sample(&mut tally.numerator_keys, key);
        }
        if in_denominator {
            tally.denominator += 1;
            if !in_numerator {
                sample(&mut tally.shortfall_keys, key);
            }
        }
    }
}

struct Ratio {
    conditions: RatioConditions,
    tally: Tally,
}

struct GroupedRatio {
    conditions: RatioConditions,
    by: Compiled,
    groups: Groups,
}

struct Count {
    count: u64,
    keys: Vec<String>,
}

struct Sum {
    value: Compiled,
    sum: ExactSum,
    keys: Vec<String>,
}

struct Distribution {
    aggregate: Aggregate,
    value: Compiled,
    values: Vec<Decimal>,
    keys: Vec<String>,
}

#[derive(Default)]
struct Tally {
    numerator: u64,
    denominator: u64,
    numerator_keys: Vec<String>,
    shortfall_keys: Vec<String>,
}

impl Tally {
    fn merge(&mut self, later: Tally) {
        self.numerator += later.numerator;
        self.denominator += later.denominator;
        merge_keys(&mut self.numerator_keys, later.numerator_keys);
        merge_keys(&mut self.shortfall_keys, later.shortfall_keys);
    }

    fn figure(self) -> Figure {
        let mut figure = Figure::ratio(
            Decimal::from(self.numerator),
            Decimal::from(self.denominator),
        );
        figure.numerator_keys = self.numerator_keys;
        figure.shortfall_keys = self.shortfall_keys;
        figure
    }
}

/// Keeps `key()` while fewer than [`SAMPLE_KEYS`] are kept.
#[inline]
fn sample(keys: &mut Vec<String>, key: &dyn Fn() -> String) {
    if keys.len() < SAMPLE_KEYS {
        keys.push(key());
    }
}

/// Sampled keys of a later part of the file, after this part's: file order is kept.
fn merge_keys(into: &mut Vec<String>, from: Vec<String>) {
    into.extend(from);
    into.truncate(SAMPLE_KEYS);
}

impl CompiledMeasure {
    /// `None` for provider returns, which are not measured from rows.
    pub(crate) fn new(
        measure: &Measure,
        env: &mut CompileEnv<'_>,
    ) -> Result<Option<CompiledMeasure>, CompileFailure> {
        let c = |text: &crate::model::contract::ExprText, env: &mut CompileEnv<'_>, want| {
            compile(&text.expr, env, want).map_err(|e| CompileFailure::of(text, e))
        };
        let opt = |text: &Option<crate::model::contract::ExprText>,
                   env: &mut CompileEnv<'_>,
                   want|
         -> Result<Option<Compiled>, CompileFailure> {
            text.as_ref().map(|t| c(t, env, want)).transpose()
        };
        let (gate, form) = match measure {
            Measure::Ratio {
                filter,
                numerator,
                denominator,
                by,
            } => {
                let by = opt(by, env, None)?;
                let gate = opt(filter, env, Some(Want::Condition))?;
                let conditions = RatioConditions {
                    numerator: c(numerator, env, Some(Want::Condition))?,
                    denominator: opt(denominator, env, Some(Want::Condition))?,
                };
                let form = match by {
                    Some(by) => Form::GroupedRatio(GroupedRatio {
                        conditions,
                        by,
                        groups: Groups::default(),
                    }),
                    None => Form::Ratio(Ratio {
                        conditions,
                        tally: Tally::default(),
                    }),
                };
                (gate, form)
            }
            Measure::Count { condition } => (
                Some(c(condition, env, Some(Want::Condition))?),
                Form::Count(Count {
                    count: 0,
                    keys: Vec::new(),
                }),
            ),
            Measure::Aggregate {
                aggregate,
                value,
                filter,
            } => {
                let gate = opt(filter, env, Some(Want::Condition))?;
                let value = c(value, env, Some(Want::Number))?;
                let form = match aggregate {
                    Aggregate::Sum => Form::Sum(Sum {
                        value,
                        sum: ExactSum::default(),
                        keys: Vec::new(),
                    }),
                    Aggregate::Mean | Aggregate::Median | Aggregate::Percentile(_) => {
                        Form::Distribution(Distribution {
                            aggregate: *aggregate,
                            value,
                            values: Vec::new(),
                            keys: Vec::new(),
                        })
                    }
                };
                (gate, form)
            }
            Measure::Returned => return Ok(None),
        };
        Ok(Some(CompiledMeasure { gate, form }))
    }

    /// Feeds one row that passed the measure's gate ([`Dispatch`] tests gates). `key` gives
    /// the row's record key, computed only when a sample needs it.
    fn add_through_gate(&mut self, row: &[Value<'_>], memo: &Memo, key: &dyn Fn() -> String) {
        match &mut self.form {
            Form::Ratio(m) => {
                if let Some(place) = m.conditions.classify(row, memo) {
                    m.conditions.count(&mut m.tally, place, key);
                }
            }
            Form::GroupedRatio(m) => {
                if let Some(place) = m.conditions.classify(row, memo) {
                    let tally = m.groups.tally(&m.by.value_in(row, memo));
                    m.conditions.count(tally, place, key);
                }
            }
            Form::Count(m) => {
                m.count += 1;
                sample(&mut m.keys, key);
            }
            Form::Sum(m) => {
                if let Some(v) = m.value.value_in(row, memo).as_decimal() {
                    m.sum.add(v);
                    sample(&mut m.keys, key);
                }
            }
            Form::Distribution(m) => {
                // NULL values are left out, as SQL aggregates do.
                if let Some(v) = m.value.value_in(row, memo).as_decimal() {
                    m.values.push(v);
                    sample(&mut m.keys, key);
                }
            }
        }
    }

    /// Adds the tally of the same measure run over a later part of the file. Counts and sums
    /// add; sampled keys keep file order.
    pub(crate) fn merge(&mut self, later: CompiledMeasure) {
        const SAME: &str = "a measure merges with the same measure over another part of the file";
        match &mut self.form {
            Form::Ratio(m) => {
                let Form::Ratio(later) = later.form else {
                    unreachable!("{SAME}")
                };
                m.tally.merge(later.tally);
            }
            Form::GroupedRatio(m) => {
                let Form::GroupedRatio(later) = later.form else {
                    unreachable!("{SAME}")
                };
                for (group, t) in later.groups.into_sorted() {
                    m.groups.tally(&Value::Text(group.into())).merge(t);
                }
            }
            Form::Count(m) => {
                let Form::Count(later) = later.form else {
                    unreachable!("{SAME}")
                };
                m.count += later.count;
                merge_keys(&mut m.keys, later.keys);
            }
            Form::Sum(m) => {
                let Form::Sum(later) = later.form else {
                    unreachable!("{SAME}")
                };
                m.sum += later.sum;
                merge_keys(&mut m.keys, later.keys);
            }
            Form::Distribution(m) => {
                let Form::Distribution(later) = later.form else {
                    unreachable!("{SAME}")
                };
                m.values.extend(later.values);
                merge_keys(&mut m.keys, later.keys);
            }
        }
    }

    /// The month's figures: one, or one per group.
    pub(crate) fn finish(self) -> MonthFigures {
        match self.form {
            Form::Ratio(m) => MonthFigures::Single(m.tally.figure()),
            Form::GroupedRatio(m) => MonthFigures::Grouped(
                m.groups
                    .into_sorted()
                    .into_iter()
                    .map(|(k, t)| (k, t.figure()))
                    .collect(),
            ),
            Form::Count(m) => MonthFigures::Single(Figure {
                numerator: Some(Decimal::from(m.count)),
                value: Some(Decimal::from(m.count)),
                numerator_keys: m.keys,
                ..Figure::default()
            }),
            Form::Sum(m) => MonthFigures::Single(Figure {
                numerator: Some(m.sum.total()),
                value: Some(m.sum.total()),
                numerator_keys: m.keys,
                ..Figure::default()
            }),
            Form::Distribution(m) => {
                let mut figure = aggregate_figure(m.aggregate, m.values);
                figure.numerator_keys = m.keys;
                MonthFigures::Single(figure)
            }
        }
    }
}

/// The gates `column = 'text'` on one column (by slot): each text, and the measures it lets
/// through.
type Switch = (usize, Vec<(String, Vec<usize>)>);

/// How a pass hands each row to its measures: by gate, so that a compound condition that gates
/// several measures is tested once (a plain comparison, not shared through the memo, is tested
/// for each: that costs less than sharing it), and so that of many `column = 'text'` gates on
/// one column the row's cell is looked up once instead of compared with each (`pod = 'AE'`,
/// `pod = 'DC'`, … pick one arm). Measures are independent of each other, so the order they
/// see a row in is free.
#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    switches: Vec<Switch>,
    /// Every other gate (`None`: measures with no gate), and the measures behind it.
    gated: Vec<(Option<Compiled>, Vec<usize>)>,
}

impl Dispatch {
    pub(crate) fn new(measures: &[(String, CompiledMeasure)]) -> Dispatch {
        let mut dispatch = Dispatch::default();
        // Shared gates are told apart by memo index; an unshared gate is its own.
        let mut by_index: BTreeMap<usize, usize> = BTreeMap::new();
        let mut ungated: Option<usize> = None;
        for (at, (_, measure)) in measures.iter().enumerate() {
            let Some(gate) = &measure.gate else {
                let group = *ungated.get_or_insert_with(|| {
                    dispatch.gated.push((None, Vec::new()));
                    dispatch.gated.len() - 1
                });
                dispatch.gated[group].1.push(at);
                continue;
            };
            if let Some((slot, text)) = gate.text_equals() {
                let arms = match dispatch.switches.iter().position(|(s, _)| *s == slot) {
                    Some(i) => &mut dispatch.switches[i].1,
                    None => {
                        dispatch.switches.push((slot, Vec::new()));
                        &mut dispatch.switches.last_mut().expect("pushed").1
                    }
                };
                match arms.iter_mut().find(|(t, _)| t == text) {
                    Some((_, members)) => members.push(at),
                    None => arms.push((text.to_string(), vec![at])),
                }
                continue;
            }
            let group = match gate.shared_index() {
                Some(index) => *by_index.entry(index).or_insert_with(|| {
                    dispatch.gated.push((Some(gate.clone()), Vec::new()));
                    dispatch.gated.len() - 1
                }),
                None => {
                    dispatch.gated.push((Some(gate.clone()), Vec::new()));
                    dispatch.gated.len() - 1
                }
            };
            dispatch.gated[group].1.push(at);
        }
        dispatch
    }

    /// Feeds one row to every measure whose gate it passes.
    #[inline]
    pub(crate) fn add(
        &self,
        measures: &mut [(String, CompiledMeasure)],
        row: &[Value<'_>],
        memo: &Memo,
        key: &dyn Fn() -> String,
    ) {
        for (slot, arms) in &self.switches {
            let Value::Text(cell) = &row[*slot] else {
                continue;
            };
            let cell = cell.as_bytes();
            if let Some((_, members)) = arms
                .iter()
                .find(|(text, _)| same_text(text.as_bytes(), cell))
            {
                for &at in members {
                    measures[at].1.add_through_gate(row, memo, key);
                }
            }
        }
        for (gate, members) in &self.gated {
            if gate.as_ref().is_none_or(|g| g.matches(row, memo)) {
                for &at in members {
                    measures[at].1.add_through_gate(row, memo, key);
                }
            }
        }
    }
}

/// Byte equality in place: the texts are a few bytes long, where a call to `memcmp` costs more
/// than the comparison.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The tallies of a `by` KPI's groups, found by a hash of the group's key; ordered by key only
/// when finished.
#[derive(Default)]
struct Groups {
    index: HashMap<String, usize, FastHash>,
    tallies: Vec<Tally>,
}

impl Groups {
    /// The tally of a row's group, allocating the key only for a group not seen before.
    fn tally(&mut self, key: &Value<'_>) -> &mut Tally {
        let rendered;
        let key: &str = match key {
            Value::Text(t) => t,
            other => {
                rendered = other.render();
                &rendered
            }
        };
        let at = match self.index.get(key) {
            Some(&at) => at,
            None => {
                self.index.insert(key.to_string(), self.tallies.len());
                self.tallies.push(Tally::default());
                self.tallies.len() - 1
            }
        };
        &mut self.tallies[at]
    }

    fn into_sorted(self) -> BTreeMap<String, Tally> {
        let mut tallies: Vec<Option<Tally>> = self.tallies.into_iter().map(Some).collect();
        self.index
            .into_iter()
            .filter_map(|(key, at)| Some((key, tallies[at].take()?)))
            .collect()
    }
}

/// The figure of an aggregate over `values` (sum, mean, median, nearest-rank percentile).
pub(crate) fn aggregate_figure(aggregate: Aggregate, mut values: Vec<Decimal>) -> Figure {
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
pub(crate) fn aggregate_value(aggregate: Aggregate, values: &mut [Decimal]) -> Option<Decimal> {
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
    use crate::expr::SlotMap;
    use crate::model::contract::ExprText;
    use crate::model::schema::{ColumnType, Schema};
    use proptest::prelude::*;
    use std::borrow::Cow;

    fn text(source: &str) -> ExprText {
        ExprText {
            text: source.to_string(),
            expr: crate::expr::parse(source).expect("parses"),
            span: 0..0,
            offset: None,
        }
    }

    /// Measures of every kind, gated by switchable, shared, compound and no conditions.
    fn measures() -> Vec<Measure> {
        let count = |c: &str| Measure::Count { condition: text(c) };
        let sum = |filter: Option<&str>| Measure::Aggregate {
            aggregate: Aggregate::Sum,
            value: text("price"),
            filter: filter.map(text),
        };
        vec![
            count("pod = 'AE'"),
            sum(Some("pod = 'AE'")),
            count("pod = 'DC'"),
            count("pod <> 'AE'"),
            count("pod = 'AE' AND minutes > 720"),
            count("tf = '100'"),
            count("pod IS NULL"),
            sum(None),
            sum(Some("minutes > 100")),
            Measure::Ratio {
                filter: None,
                numerator: text("pod = 'OPFU'"),
                denominator: Some(text("pod = 'OPFA'")),
                by: Some(text("tf")),
            },
            Measure::Ratio {
                filter: Some(text("pod = 'AE'")),
                numerator: text("minutes <= 240"),
                denominator: None,
                by: None,
            },
        ]
    }

    fn compiled(shared: bool) -> (Vec<(String, CompiledMeasure)>, SlotMap) {
        let schema = Schema::of(&[
            ("pod", ColumnType::Text),
            ("minutes", ColumnType::Integer),
            ("price", ColumnType::Money),
            ("tf", ColumnType::Text),
        ]);
        let lists = BTreeMap::new();
        let compile_all = |slots: &mut SlotMap| -> Vec<(String, CompiledMeasure)> {
            let mut env = CompileEnv {
                schema: &schema,
                lists: &lists,
                slots,
            };
            measures()
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let m = CompiledMeasure::new(m, &mut env).ok().flatten();
                    (i.to_string(), m.expect("compiles"))
                })
                .collect()
        };
        // Slots are given in the order columns are first met, so both compilations below
        // lay rows out alike.
        let mut counting = SlotMap::default();
        let unshared = compile_all(&mut counting);
        if !shared {
            return (unshared, counting);
        }
        let mut slots = counting.sharing_repeated();
        (compile_all(&mut slots), slots)
    }

    proptest! {
        /// Dispatching rows by gate, with shared conditions, gives every measure the figures
        /// it gets testing its own gate on every row.
        #[test]
        fn dispatch_by_gate_gives_the_figures_of_testing_each_gate(
            rows in proptest::collection::vec(
                (0..6usize, 0..3usize, 0..3usize, 0..3usize),
                0..60,
            )
        ) {
            let (mut dispatched, slots) = compiled(true);
            let (mut alone, _) = compiled(false);
            let memo = Memo::new(&slots);
            let dispatch = Dispatch::new(&dispatched);
            let pods = ["AE", "DC", "OPFU", "OPFA", "ae", ""];
            let key = || "k".to_string();
            for (pod, minutes, price, tf) in rows {
                let cell = |t: &'static str| {
                    if t.is_empty() { Value::Null } else { Value::Text(Cow::Borrowed(t)) }
                };
                let mut row = vec![Value::Null; slots.columns().len()];
                for (slot, &column) in slots.columns().iter().enumerate() {
                    row[slot] = match column {
                        0 => cell(pods[pod]),
                        1 => [Value::Null, Value::Int(100), Value::Int(800)][minutes].clone(),
                        2 => [Value::Null, Value::Dec(Decimal::new(150, 2)), Value::Dec(Decimal::ONE)][price].clone(),
                        _ => cell(["100", "110", ""][tf]),
                    };
                }
                memo.clear();
                dispatch.add(&mut dispatched, &row, &memo, &key);
                let unshared = Memo::default();
                for (_, m) in alone.iter_mut() {
                    if m.gate.as_ref().is_none_or(|g| g.matches(&row, &unshared)) {
                        m.add_through_gate(&row, &unshared, &key);
                    }
                }
            }
            let finish = |ms: Vec<(String, CompiledMeasure)>| -> Vec<MonthFigures> {
                ms.into_iter().map(|(_, m)| m.finish()).collect()
            };
            prop_assert_eq!(finish(dispatched), finish(alone));
        }
    }

    #[test]
    fn gates_on_one_column_share_a_switch_and_shared_gates_one_test() {
        let (measures, _) = compiled(true);
        let dispatch = Dispatch::new(&measures);
        // On `pod`: AE gates a count, a sum and a ratio, DC a count; on `tf`: one count.
        assert_eq!(dispatch.switches.len(), 2);
        let pod: Vec<(&str, usize)> = dispatch.switches[0]
            .1
            .iter()
            .map(|(t, members)| (t.as_str(), members.len()))
            .collect();
        assert_eq!(pod, [("AE", 3), ("DC", 1)]);
        // The ungated sum and the ratio without a filter share one group.
        assert!(dispatch
            .gated
            .iter()
            .any(|(gate, members)| gate.is_none() && members.len() == 2));
    }

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
