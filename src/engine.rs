//! The monthly pass: each of a contract's monthly files is read once, and every KPI and
//! challenge rule reading that dataset is evaluated on each row as it streams past.
//!
//! All expressions of one dataset are compiled against one [`SlotMap`], so each column some rule
//! reads is parsed once per row, and columns no rule reads are never converted. A month's
//! results ([`MonthData`]) are plain data: the KPI figures, the challenges raised, and the
//! dataset totals; the history of earlier months comes from the cache when its inputs are
//! unchanged (see [`crate::cache`]).

use crate::calendar::Month;
use crate::challenge::{CompiledRule, Raised};
use crate::contract::{Contract, Measure};
use crate::dataset::{read_rows, RETURNS};
use crate::diag::{Problem, Problems};
use crate::expr::{CompileEnv, SlotMap};
use crate::measure::{CompiledMeasure, Figure, MonthFigures};
use crate::money::Money;
use crate::returns::Returned;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What one month's files give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthData {
    pub month: Month,
    /// KPI id → its figures. A KPI whose data file is absent has no entry.
    pub kpis: BTreeMap<String, MonthFigures>,
    #[serde(with = "compact_challenges")]
    pub challenges: Vec<Raised>,
    /// Dataset → rows read.
    pub rows: BTreeMap<String, u64>,
    /// Dataset → the sum of its value column (the month's actual value for `monthly_value =
    /// "actual"`).
    pub value_totals: BTreeMap<String, Money>,
    /// The input files read, relative to the workspace.
    pub inputs: Vec<PathBuf>,
}

impl MonthData {
    pub fn figure(&self, kpi: &str, group: Option<&str>) -> Option<&Figure> {
        match (self.kpis.get(kpi)?, group) {
            (MonthFigures::Single(f), None) => Some(f),
            (MonthFigures::Grouped(g), Some(key)) => g.get(key),
            _ => None,
        }
    }
}

/// Reads every file of `month` for `contract` and evaluates all its KPIs and challenge rules.
/// Any cell that does not parse, or any bad return, fails the month with every problem found.
pub fn measure_month(
    root: &Path,
    contract: &Contract,
    month: Month,
) -> Result<MonthData, Problems> {
    let mut data = MonthData {
        month,
        kpis: BTreeMap::new(),
        challenges: Vec::new(),
        rows: BTreeMap::new(),
        value_totals: BTreeMap::new(),
        inputs: Vec::new(),
    };
    let mut problems = Problems::new();
    for dataset in contract.datasets_read() {
        let file = contract.data_file(dataset, month);
        if !root.join(&file).is_file() {
            continue;
        }
        match run_pass(root, &file, contract, dataset, month) {
            Ok(pass) => {
                data.kpis.extend(pass.kpis);
                data.challenges.extend(pass.challenges);
                data.rows.insert(dataset.to_string(), pass.rows);
                if let Some(total) = pass.value_total {
                    data.value_totals.insert(dataset.to_string(), total);
                }
                data.inputs.push(file);
            }
            Err(p) => problems.extend(p),
        }
    }
    if contract
        .kpis
        .iter()
        .any(|k| matches!(k.measure, Measure::Returned))
    {
        let file = contract.data_file(RETURNS, month);
        let (returns, p) = crate::returns::read(root, &file, contract);
        problems.extend(p);
        if let Some(returns) = returns {
            data.inputs.push(file);
            for kpi in contract
                .kpis
                .iter()
                .filter(|k| matches!(k.measure, Measure::Returned))
            {
                let Some(r) = returns.get(&kpi.id) else {
                    continue;
                };
                let figure = match r.figure {
                    Returned::Ratio {
                        numerator,
                        denominator,
                    } => Figure::ratio(numerator, denominator),
                    // A returned value is in the target's units: 93.5 against ">= 90%" is 93.5%.
                    Returned::Value(v) => {
                        let percent = kpi.target.as_ref().is_some_and(|t| t.percent);
                        let value = if percent { v / Decimal::ONE_HUNDRED } else { v };
                        Figure {
                            value: Some(value),
                            ..Figure::default()
                        }
                    }
                };
                data.kpis
                    .insert(kpi.id.clone(), MonthFigures::Single(figure));
            }
        }
    }
    data.challenges.sort_by(|a, b| a.id.cmp(&b.id));
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(data)
    }
}

struct PassResult {
    kpis: BTreeMap<String, MonthFigures>,
    challenges: Vec<Raised>,
    rows: u64,
    value_total: Option<Money>,
}

/// Files smaller than this are read by one pass; larger ones by two concurrent passes (one for
/// duplicate rules, one for everything else) when the contract has both kinds of work.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

/// Evaluates every KPI and rule of `dataset` over `file`. On a large file with duplicate rules
/// the work is split across both cores: duplicate detection (hashing every row's key) runs in
/// one pass and everything else in another, each parsing only the columns it reads; the two
/// results are merged, which is exact because no item spans both passes.
fn run_pass(
    root: &Path,
    file: &Path,
    contract: &Contract,
    dataset: &str,
    month: Month,
) -> Result<PassResult, Problems> {
    let kpis: Vec<&crate::contract::Kpi> = contract
        .kpis
        .iter()
        .filter(|k| k.dataset == dataset)
        .collect();
    let rules: Vec<&crate::contract::ChallengeRule> = contract
        .challenges
        .iter()
        .filter(|r| r.dataset == dataset)
        .collect();
    let (duplicate_rules, other_rules): (
        Vec<&crate::contract::ChallengeRule>,
        Vec<&crate::contract::ChallengeRule>,
    ) = rules
        .iter()
        .partition(|r| matches!(r.form, crate::contract::ChallengeForm::DuplicateOf(_)));
    let large = std::fs::metadata(root.join(file)).is_ok_and(|m| m.len() >= PARALLEL_FROM_BYTES);
    if !large || duplicate_rules.is_empty() || (kpis.is_empty() && other_rules.is_empty()) {
        return run_subset(root, file, contract, dataset, month, &kpis, &rules, true);
    }
    let (a, b) = std::thread::scope(|scope| {
        let duplicates = scope.spawn(|| {
            run_subset(
                root,
                file,
                contract,
                dataset,
                month,
                &[],
                &duplicate_rules,
                false,
            )
        });
        let rest = run_subset(
            root,
            file,
            contract,
            dataset,
            month,
            &kpis,
            &other_rules,
            true,
        );
        (
            duplicates.join().unwrap_or_else(|_| Err(Problems::new())),
            rest,
        )
    });
    match (a, b) {
        (Ok(mut a), Ok(b)) => {
            a.kpis.extend(b.kpis);
            a.challenges.extend(b.challenges);
            a.value_total = b.value_total;
            a.rows = b.rows;
            Ok(a)
        }
        (Err(mut p), Err(q)) => {
            p.extend(q);
            Err(p)
        }
        (Err(p), _) | (_, Err(p)) => Err(p),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_subset(
    root: &Path,
    file: &Path,
    contract: &Contract,
    dataset: &str,
    month: Month,
    kpis: &[&crate::contract::Kpi],
    rules: &[&crate::contract::ChallengeRule],
    with_total: bool,
) -> Result<PassResult, Problems> {
    let mut problems = Problems::new();
    let schema = contract
        .schema(dataset)
        .expect("validated: every dataset read has a schema");
    let mut slots = SlotMap::default();
    let key_slot = schema
        .key
        .as_deref()
        .and_then(|k| schema.column_index(k))
        .map(|i| slots.slot_for(i));
    let needs_value = with_total || !rules.is_empty();
    let value_slot = schema
        .value
        .as_deref()
        .and_then(|v| schema.column_index(v))
        .filter(|_| needs_value)
        .map(|i| slots.slot_for(i));
    let mut env = CompileEnv {
        schema,
        lists: &contract.lists,
        slots: &mut slots,
    };
    let mut measures: Vec<(String, CompiledMeasure)> = Vec::new();
    let mut compiled_rules: Vec<CompiledRule> = Vec::new();
    let compile_problem = |what: &str, (text, error): crate::measure::CompileFailure| {
        Problem::at_line(
            &contract.file,
            1,
            1,
            format!("{what}: `{text}`: {}", error.message),
        )
    };
    for kpi in kpis {
        match CompiledMeasure::new(&kpi.measure, &mut env) {
            Ok(Some(m)) => measures.push((kpi.id.clone(), m)),
            Ok(None) => {}
            Err(e) => problems.push(compile_problem(&format!("KPI `{}`", kpi.id), e)),
        }
    }
    // Rows expected, from the file's size and its first megabyte: sizes duplicate sets once.
    let expected_rows = estimate_rows(&root.join(file));
    for rule in rules {
        match CompiledRule::new(rule, &mut env, expected_rows) {
            Ok(r) => compiled_rules.push(r),
            Err(e) => problems.push(compile_problem(&format!("challenge rule `{}`", rule.id), e)),
        }
    }
    if problems.has_errors() {
        return Err(problems);
    }
    let mut value_total = Decimal::ZERO;
    let summary = read_rows(&root.join(file), file, schema, slots.columns(), |row| {
        let values = row.values;
        let line = row.line;
        let key = || match key_slot.map(|s| &values[s]) {
            Some(v) if !v.is_null() => v.render(),
            _ => format!("line-{line}"),
        };
        let value = value_slot
            .and_then(|s| values[s].as_decimal())
            .unwrap_or_default();
        value_total += value;
        for (_, measure) in measures.iter_mut() {
            measure.add(values, &key);
        }
        for rule in compiled_rules.iter_mut() {
            rule.add(values, &key, value);
        }
    });
    problems.extend(summary.problems);
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(PassResult {
        kpis: measures
            .into_iter()
            .map(|(id, m)| (id, m.finish()))
            .collect(),
        challenges: compiled_rules
            .into_iter()
            .flat_map(|r| r.finish(month))
            .collect(),
        rows: summary.rows,
        value_total: value_slot
            .filter(|_| with_total)
            .map(|_| Money::from_decimal(value_total)),
    })
}

/// An estimate of a CSV file's rows (a little over, never wildly): its size over the mean
/// length of the lines in its first megabyte.
fn estimate_rows(path: &Path) -> usize {
    use std::io::Read;
    let Ok(size) = std::fs::metadata(path).map(|m| m.len()) else {
        return 0;
    };
    let mut head = Vec::with_capacity(1 << 20);
    if std::fs::File::open(path)
        .and_then(|f| f.take(1 << 20).read_to_end(&mut head))
        .is_err()
    {
        return 0;
    }
    let lines = head.iter().filter(|b| **b == b'\n').count().max(1);
    let estimate = size as f64 / (head.len() as f64 / lines as f64);
    (estimate * 1.02) as usize
}

/// The data files a month reads, in the order [`measure_month`] reads them: the datasets the
/// contract's KPIs and rules read, then provider returns when a KPI comes from them.
pub fn month_files(root: &Path, contract: &Contract, month: Month) -> Vec<PathBuf> {
    let returns = contract
        .kpis
        .iter()
        .any(|k| matches!(k.measure, Measure::Returned))
        .then_some(RETURNS);
    contract
        .datasets_read()
        .into_iter()
        .chain(returns)
        .map(|d| contract.data_file(d, month))
        .filter(|f| root.join(f).is_file())
        .collect()
}

/// Every month from the contract's start (or `first`) up to `last` that has any data file,
/// measured (or answered from the cache).
pub fn history(root: &Path, contract: &Contract, last: Month) -> Result<Vec<MonthData>, Problems> {
    let (start, _) = contract.months();
    let mut months = Vec::new();
    let mut problems = Problems::new();
    for month in start.through(last) {
        if month_files(root, contract, month).is_empty() {
            continue;
        }
        match crate::cache::month(root, contract, month) {
            Ok(data) => months.push(data),
            Err(p) => problems.extend(p),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(months)
    }
}

/// The month cache holds hundreds of thousands of challenges for a large month, so they are
/// stored per rule as parallel lists of records and values (their ids follow from month, rule
/// and record); a challenge with its own detail or rows (a ratio cap) is stored whole.
mod compact_challenges {
    use crate::calendar::Month;
    use crate::challenge::{challenge_id, Raised};
    use crate::money::Money;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Group {
        month: Month,
        rule: String,
        detail: String,
        records: Vec<String>,
        values: Vec<Money>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        whole: Vec<Raised>,
    }

    pub fn serialize<S: Serializer>(
        challenges: &[Raised],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut groups: Vec<Group> = Vec::new();
        for c in challenges {
            let fits = |g: &Group| g.rule == c.rule && g.month == c.month;
            if !groups.last().is_some_and(fits) {
                groups.push(Group {
                    month: c.month,
                    rule: c.rule.clone(),
                    detail: c.detail.clone(),
                    records: Vec::new(),
                    values: Vec::new(),
                    whole: Vec::new(),
                });
            }
            let group = groups.last_mut().expect("pushed above");
            if c.rows == 1 && c.keys.is_empty() && c.detail == group.detail {
                group.records.push(c.record.clone());
                group.values.push(c.value);
            } else {
                group.whole.push(c.clone());
            }
        }
        groups.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Raised>, D::Error> {
        let groups = Vec::<Group>::deserialize(deserializer)?;
        let mut challenges = Vec::new();
        for g in groups {
            for (record, value) in g.records.into_iter().zip(g.values) {
                challenges.push(Raised {
                    id: challenge_id(g.month, &g.rule, &record),
                    month: g.month,
                    rule: g.rule.clone(),
                    record,
                    value,
                    rows: 1,
                    detail: g.detail.clone(),
                    keys: Vec::new(),
                });
            }
            challenges.extend(g.whole);
        }
        challenges.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(challenges)
    }
}
