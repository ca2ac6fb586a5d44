//! Data challenges (§4.6): rules over a month's rows that raise challenges against the
//! provider's activity, each with a stable id `<YYYY-MM>/<rule-id>/<record key or group key>`
//! and a value (the sum of the dataset's value column over the rows it covers).
//!
//! Rules run inside the same single pass as the KPIs. `where` rules keep only the challenged
//! rows, `ratio_cap` one tally per group, and `duplicate_of` eight bytes per row it reads (a
//! [`KeyLog`] of key hashes, searched for repeats after the pass; keys are compared exactly, by
//! reading both rows again): 80 MB for ten million rows, and no key text held.

use crate::error::Invalid;
use crate::expr::{compile, CompileEnv, Compiled, Memo, SlotMap, Want};
use crate::model::calendar::Month;
use crate::model::contract::{ChallengeForm, ChallengeRule};
use crate::model::money::Money;
use crate::model::value::Value;
use crate::pass::csv::RecordAt;
use crate::pass::duplicates::KeyLog;
use crate::pass::hash::PartsHasher;
use crate::pass::measures::{CompileFailure, SAMPLE_KEYS};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One raised challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    pub month: Month,
    pub rule: Arc<str>,
    /// The record key, or the group key for a ratio cap.
    pub record: String,
    pub value: Money,
    /// Rows the challenge covers.
    pub rows: u64,
    /// What the rule found, in words (shared by every challenge of a rule that says the same).
    pub detail: Arc<str>,
    /// The first record keys behind it (a ratio cap covers several rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Other rules that also select its rows, in precedence order: information only, since a
    /// row is challenged once (§4.6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Arc<str>>,
}

impl Raised {
    /// `<YYYY-MM>/<rule-id>/<record>`: stable whatever the order of rows or rules.
    pub fn id(&self) -> String {
        challenge_id(self.month, &self.rule, &self.record)
    }
}

pub(crate) fn challenge_id(month: Month, rule: &str, record: &str) -> String {
    // Written by hand: a large month formats hundreds of thousands of ids.
    let mut id = String::with_capacity(9 + rule.len() + record.len());
    month.push_to(&mut id);
    id.push('/');
    id.push_str(rule);
    id.push('/');
    id.push_str(record);
    id
}

/// Orders challenges as their ids order, without building the ids.
pub(crate) fn id_order(a: &Raised, b: &Raised) -> std::cmp::Ordering {
    // Months print at a fixed width, so their order is their text's order.
    a.month.cmp(&b.month).then_with(|| {
        if a.rule == b.rule {
            return a.record.cmp(&b.record);
        }
        // Rule ids can be prefixes of each other: compare the text the ids hold.
        fn tail(r: &Raised) -> impl Iterator<Item = u8> + '_ {
            let rule = r.rule.as_bytes().iter();
            rule.chain(b"/").chain(r.record.as_bytes()).copied()
        }
        tail(a).cmp(tail(b))
    })
}

/// Sorts challenges by id, checking first whether they already are (the usual case).
pub(crate) fn sort_by_id(challenges: &mut [Raised]) {
    if !challenges.is_sorted_by(|a, b| id_order(a, b).is_le()) {
        challenges.sort_by(id_order);
    }
}

/// Rules that took at least this many rows between them are finished on two threads.
const PARALLEL_FINISH: usize = 50_000;

/// The most challenge rules one dataset may have: a row's other rules are kept as bits of a
/// word.
pub(crate) const MAX_RULES_PER_DATASET: usize = 64;

/// The challenge rules of one dataset's pass, in precedence order (§4.6), with their running
/// state.
///
/// A row is challenged once. `where` rules are tested on every row as it streams past and the
/// first that selects it takes it; the others that also select it are kept, as information. A
/// duplicate is only known once the pass is done, so each row a `duplicate_of` rule finds is
/// settled afterwards against the `where` rule that took it, whichever comes first in
/// precedence keeping it. A ratio cap challenges a number of rows of a group, not particular
/// rows, so it cannot take a row from a row rule: it counts only the rows no row rule takes,
/// whatever its own place (the rows a duplicate takes are read again and taken off its
/// tallies once duplicates are known). No row's value is ever challenged twice.
pub(crate) struct RuleSet {
    /// In precedence order; a rule's bit in [`Taken::also`] is its index here.
    rules: Vec<CompiledRule>,
    wheres: Vec<usize>,
    duplicates: Vec<usize>,
    caps: Vec<usize>,
    /// The pass's slots, to evaluate the caps' expressions on rows read again.
    slots: SlotMap,
}

/// A challenge rule compiled against the pass's slots, with its running state.
struct CompiledRule {
    rule_id: Arc<str>,
    filter: Option<Compiled>,
    kind: RuleKind,
    /// A ratio cap's `by`, numerator and denominator as written, for its challenges' detail.
    texts: Option<(String, String, String)>,
}

enum RuleKind {
    Where {
        condition: Compiled,
        /// The columns the condition reads, whose values say what was found.
        found: Vec<Found>,
        /// What was found, each text held once: most of a rule's rows say the same thing
        /// (three commissioner codes, one treatment function), so the details of a month's
        /// hundreds of thousands of challenges are a handful of strings.
        details: Details,
        taken: Vec<Taken>,
    },
    Duplicate(Box<Duplicates>),
    RatioCap {
        numerator: Compiled,
        denominator: Compiled,
        by: Compiled,
        max: Decimal,
        groups: BTreeMap<String, GroupTally>,
    },
}

/// A column a `where` rule reads, shown in a challenge's detail. An NHS number is described,
/// never shown.
struct Found {
    slot: usize,
    name: String,
    nhs_number: bool,
}

/// A row a rule took.
struct Taken {
    record: String,
    value: Decimal,
    /// The row's byte offset in the file.
    byte: u64,
    /// The other rules that also select the row (bits by rule index).
    also: u64,
    detail: Arc<str>,
    /// Settled to a rule before this one (a duplicate): not challenged by this rule.
    given_up: bool,
}

/// A `duplicate_of` rule's state in one reader of the file: the rows' key hashes, logged for
/// [`crate::pass::duplicates::repeats`] once every reader is done.
struct Duplicates {
    key_slots: Vec<usize>,
    key_names: Vec<String>,
    record_column: Option<usize>,
    value_column: Option<usize>,
    /// A hasher seeded as every reader's.
    hasher: PartsHasher,
    /// This reader's log, then (merged) every reader's in file order.
    logs: Vec<KeyLog>,
    rows: RowsAgain,
    /// After settling: every later row repeating an earlier row's key, in file order.
    found: Vec<Taken>,
}

/// Rows read again by offset: to compare two rows' keys exactly, and for a repeat's record key
/// and value.
struct RowsAgain {
    /// Schema columns of the key.
    key_columns: Vec<usize>,
    schema: crate::model::schema::Schema,
    file: PathBuf,
}

/// A repeat's record key (`None`: cited by line), value, and the record key of the earlier
/// row it repeats, read when its key was compared.
type Repeat = (Option<String>, Decimal, Option<String>);

impl RowsAgain {
    /// A comparer of two rows' keys for one thread, with its own reader of the file: for rows
    /// with the same key, the later row's record key and value, and the earlier row's key.
    fn comparer(
        &self,
        record_column: Option<usize>,
        value_column: Option<usize>,
    ) -> Result<impl FnMut(u64, u64) -> Result<Option<Repeat>, Invalid>, Invalid> {
        let mut reader = RecordAt::open(&self.file, &self.schema)?;
        let columns = self.key_columns.clone();
        let mut earlier: Vec<Value<'static>> = Vec::with_capacity(columns.len());
        Ok(move |a: u64, b: u64| -> Result<Option<Repeat>, Invalid> {
            reader.read(a)?;
            earlier.clear();
            for &column in &columns {
                earlier.push(reader.value(column)?.into_owned());
            }
            let earlier_record = match record_column {
                Some(c) => Some(reader.value(c)?.render()).filter(|r| !r.is_empty()),
                None => None,
            };
            reader.read(b)?;
            for (&column, earlier) in columns.iter().zip(&earlier) {
                if !same_key_part(earlier, &reader.value(column)?) {
                    return Ok(None);
                }
            }
            let value = match value_column {
                Some(c) => reader.value(c)?.as_decimal().unwrap_or_default(),
                None => Decimal::ZERO,
            };
            let record = match record_column {
                Some(c) => reader.value(c)?,
                None => Value::Null,
            };
            Ok(Some((
                (!record.is_null()).then(|| record.render()),
                value,
                earlier_record,
            )))
        })
    }
}

impl Duplicates {
    /// Logs a row that passed the rule's filter (a row with a NULL key part never matches).
    #[inline]
    fn add(&mut self, row: &[Value<'_>], byte: u64) {
        let mut hasher = self.hasher;
        for &slot in &self.key_slots {
            if !hash_key_part(&mut hasher, &row[slot]) {
                return;
            }
        }
        if let Some(log) = self.logs.last_mut() {
            log.push(hasher.finish(), byte);
        }
    }

    /// Finds the repeats among every reader's rows, with the record key and value of each.
    fn settle(&mut self) -> Result<(), Invalid> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let (record, value) = (self.record_column, self.value_column);
        let repeats = crate::pass::duplicates::repeats(&self.logs, threads, || {
            self.rows.comparer(record, value)
        })?;
        self.logs.clear();
        // Rows without a record key are cited by line, as the pass cites them.
        let unkeyed: Vec<u64> = repeats
            .iter()
            .filter(|(_, (record, _, _))| record.is_none())
            .map(|(offset, _)| *offset)
            .collect();
        let mut lines = crate::pass::csv::lines_at(&self.rows.file, &unkeyed)?.into_iter();
        let same = self.key_names.join(", ");
        for (byte, (record, value, earlier)) in repeats {
            let record = match record {
                Some(record) => record,
                None => format!("line-{}", lines.next().unwrap_or_default()),
            };
            let detail = match earlier {
                Some(earlier) => format!("repeats record {earlier} (same {same})"),
                None => format!("repeats an earlier row (same {same})"),
            };
            self.found.push(Taken {
                record,
                value,
                byte,
                also: 0,
                detail: detail.into(),
                given_up: false,
            });
        }
        Ok(())
    }
}

#[derive(Default)]
struct GroupTally {
    numerator: u64,
    denominator: u64,
    numerator_value: Decimal,
    keys: Vec<String>,
}

impl CompiledRule {
    /// A `duplicate_of` rule reads rows of `file` again, and expects about `rows` rows.
    fn new(
        rule: &ChallengeRule,
        env: &mut CompileEnv<'_>,
        file: &Path,
        rows: usize,
    ) -> Result<CompiledRule, CompileFailure> {
        let c = |text: &crate::model::contract::ExprText, env: &mut CompileEnv<'_>, want| {
            compile(&text.expr, env, want).map_err(|e| CompileFailure::of(text, e))
        };
        let filter = rule
            .filter
            .as_ref()
            .map(|f| c(f, env, Some(Want::Condition)))
            .transpose()?;
        let kind = match &rule.form {
            ChallengeForm::Where(condition) => {
                let compiled = c(condition, env, Some(Want::Condition))?;
                let found = condition
                    .expr
                    .columns()
                    .into_iter()
                    .filter_map(|name| {
                        let index = env.schema.column_index(name)?;
                        Some(Found {
                            slot: env.slots.slot_for(index),
                            name: name.to_string(),
                            nhs_number: env.schema.columns[index].ty
                                == crate::model::schema::ColumnType::NhsNumber,
                        })
                    })
                    .collect();
                RuleKind::Where {
                    condition: compiled,
                    found,
                    details: Details::default(),
                    taken: Vec::new(),
                }
            }
            ChallengeForm::DuplicateOf(columns) => {
                let mut key_slots = Vec::new();
                let mut key_columns = Vec::new();
                for column in columns {
                    let index = env
                        .schema
                        .column_index(column)
                        .ok_or_else(|| CompileFailure {
                            text: column.clone(),
                            error: crate::expr::ExprError::new(
                                0..column.len(),
                                format!("unknown column `{column}`"),
                            ),
                            span: rule.span.of("duplicate_of"),
                        })?;
                    key_slots.push(env.slots.slot_for(index));
                    key_columns.push(index);
                }
                let column = |name: &Option<String>| {
                    name.as_deref().and_then(|n| env.schema.column_index(n))
                };
                RuleKind::Duplicate(Box::new(Duplicates {
                    key_slots,
                    key_names: columns.clone(),
                    record_column: column(&env.schema.key),
                    value_column: column(&env.schema.value),
                    hasher: crate::pass::duplicates::key_hasher(),
                    logs: vec![KeyLog::with_rows(rows)],
                    rows: RowsAgain {
                        key_columns,
                        schema: env.schema.clone(),
                        file: file.to_path_buf(),
                    },
                    found: Vec::new(),
                }))
            }
            ChallengeForm::RatioCap {
                numerator,
                denominator,
                by,
                max,
            } => RuleKind::RatioCap {
                numerator: c(numerator, env, Some(Want::Condition))?,
                denominator: c(denominator, env, Some(Want::Condition))?,
                by: c(by, env, None)?,
                max: *max,
                groups: BTreeMap::new(),
            },
        };
        let texts = match &rule.form {
            ChallengeForm::RatioCap {
                numerator,
                denominator,
                by,
                ..
            } => Some((
                by.text.clone(),
                numerator.text.clone(),
                denominator.text.clone(),
            )),
            ChallengeForm::Where(_) | ChallengeForm::DuplicateOf(_) => None,
        };
        Ok(CompiledRule {
            rule_id: rule.id.as_str().into(),
            filter,
            kind,
            texts,
        })
    }

    #[inline]
    fn passes_filter(&self, row: &[Value<'_>], memo: &Memo) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(row, memo))
    }

    /// For a `where` rule: whether it selects the row.
    #[inline]
    fn selects(&self, row: &[Value<'_>], memo: &Memo) -> bool {
        match &self.kind {
            RuleKind::Where { condition, .. } => {
                self.passes_filter(row, memo) && condition.matches(row, memo)
            }
            RuleKind::Duplicate(_) | RuleKind::RatioCap { .. } => false,
        }
    }

    /// For a `where` rule: takes a row it selects.
    fn take(&mut self, row: &[Value<'_>], record: String, value: Decimal, byte: u64, also: u64) {
        if let RuleKind::Where {
            found,
            details,
            taken,
            ..
        } = &mut self.kind
        {
            let detail = details.of(found, row);
            taken.push(Taken {
                record,
                value,
                byte,
                also,
                detail,
                given_up: false,
            });
        }
    }

    /// For a `duplicate_of` rule: logs a row it considers.
    #[inline]
    fn log(&mut self, row: &[Value<'_>], memo: &Memo, byte: u64) {
        let passes = self.filter.as_ref().is_none_or(|f| f.matches(row, memo));
        if let RuleKind::Duplicate(d) = &mut self.kind {
            if passes {
                d.add(row, byte);
            }
        }
    }

    /// For a ratio cap: counts a row no row rule took (`sign` −1 takes it off again).
    fn tally(
        &mut self,
        row: &[Value<'_>],
        memo: &Memo,
        key: &dyn Fn() -> String,
        value: Decimal,
        sign: i64,
    ) {
        let passes = self.passes_filter(row, memo);
        let RuleKind::RatioCap {
            numerator,
            denominator,
            by,
            groups,
            ..
        } = &mut self.kind
        else {
            return;
        };
        if !passes {
            return;
        }
        let in_numerator = numerator.matches(row, memo);
        let in_denominator = denominator.matches(row, memo);
        if !in_numerator && !in_denominator {
            return;
        }
        let group = by.value_in(row, memo);
        if group.is_null() {
            return;
        }
        let rendered;
        let group_key: &str = match &*group {
            Value::Text(t) => t,
            other => {
                rendered = other.render();
                &rendered
            }
        };
        if !groups.contains_key(group_key) {
            groups.insert(group_key.to_string(), GroupTally::default());
        }
        let tally = groups.get_mut(group_key).expect("inserted above");
        let step = |count: &mut u64| {
            *count = if sign < 0 {
                count.saturating_sub(1)
            } else {
                *count + 1
            }
        };
        if in_numerator {
            step(&mut tally.numerator);
            if sign < 0 {
                tally.numerator_value -= value;
                let record = key();
                tally.keys.retain(|k| *k != record);
            } else {
                tally.numerator_value += value;
                if tally.keys.len() < SAMPLE_KEYS {
                    tally.keys.push(key());
                }
            }
        }
        if in_denominator {
            step(&mut tally.denominator);
        }
    }

    /// Adds the state of the same rule run over a later part of the file.
    fn merge(&mut self, later: CompiledRule) {
        const SAME: &str = "a rule merges with the same rule over another part of the file";
        match &mut self.kind {
            RuleKind::Where { taken, .. } => {
                let RuleKind::Where { taken: more, .. } = later.kind else {
                    unreachable!("{SAME}")
                };
                taken.extend(more)
            }
            RuleKind::Duplicate(a) => {
                let RuleKind::Duplicate(b) = later.kind else {
                    unreachable!("{SAME}")
                };
                a.logs.extend(b.logs)
            }
            RuleKind::RatioCap { groups, .. } => {
                let RuleKind::RatioCap { groups: more, .. } = later.kind else {
                    unreachable!("{SAME}")
                };
                for (group, t) in more {
                    let g = groups.entry(group).or_default();
                    g.numerator += t.numerator;
                    g.denominator += t.denominator;
                    g.numerator_value += t.numerator_value;
                    g.keys.extend(t.keys);
                    g.keys.truncate(SAMPLE_KEYS);
                }
            }
        }
    }

    /// The rows the rule took, in file order: a `where` rule's, or a settled duplicate rule's.
    fn taken_mut(&mut self) -> Option<&mut Vec<Taken>> {
        match &mut self.kind {
            RuleKind::Where { taken, .. } => Some(taken),
            RuleKind::Duplicate(d) => Some(&mut d.found),
            RuleKind::RatioCap { .. } => None,
        }
    }

    /// How many rows the rule has taken (for a ratio cap, its groups): the work of finishing it.
    fn rows_taken(&self) -> usize {
        match &self.kind {
            RuleKind::Where { taken, .. } => taken.len(),
            RuleKind::Duplicate(d) => d.found.len(),
            RuleKind::RatioCap { groups, .. } => groups.len(),
        }
    }

    /// The challenges raised, sorted by id, naming other rules by `names`. Rows sharing a
    /// record key are one challenge.
    fn finish(self, month: Month, names: &[Arc<str>]) -> Vec<Raised> {
        let rule = self.rule_id;
        let also = |bits: u64| -> Vec<Arc<str>> {
            (0..names.len())
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| names[i].clone())
                .collect()
        };
        let mut all: Vec<Raised> = Vec::new();
        let rows = |taken: Vec<Taken>, all: &mut Vec<Raised>| {
            // Sized once: grown as it fills, a large month's list was copied at each doubling
            // into memory never touched before (a page fault every 4 KiB).
            all.reserve_exact(taken.iter().filter(|t| !t.given_up).count());
            all.extend(taken.into_iter().filter(|t| !t.given_up).map(|t| Raised {
                month,
                rule: rule.clone(),
                record: t.record,
                value: Money::from_decimal(t.value),
                rows: 1,
                detail: t.detail,
                keys: Vec::new(),
                also: also(t.also),
            }));
        };
        match self.kind {
            RuleKind::Where { taken, .. } => rows(taken, &mut all),
            RuleKind::Duplicate(d) => rows(d.found, &mut all),
            RuleKind::RatioCap { max, groups, .. } => {
                let Some((by, numerator_text, denominator_text)) = self.texts else {
                    return all;
                };
                for (group, tally) in groups {
                    let allowed = (max * Decimal::from(tally.denominator)).floor();
                    let excess = Decimal::from(tally.numerator) - allowed;
                    if excess <= Decimal::ZERO || tally.numerator == 0 {
                        continue;
                    }
                    // Valued at the group's mean value per numerator row, rounded once.
                    let mean = tally.numerator_value / Decimal::from(tally.numerator);
                    let value = Money::from_decimal(mean * excess).round_to_penny();
                    let detail = format!(
                        "{by} {group}: {} rows where {numerator_text} against {} where {denominator_text}; {} allowed at a ratio of {}, so {} above, valued at the mean of {} a row",
                        tally.numerator,
                        tally.denominator,
                        allowed,
                        max.normalize(),
                        excess,
                        Money::from_decimal(mean).round_to_penny()
                    );
                    all.push(Raised {
                        month,
                        rule: rule.clone(),
                        record: group,
                        value,
                        rows: excess.try_into().unwrap_or(0),
                        detail: detail.into(),
                        keys: tally.keys,
                        also: Vec::new(),
                    });
                }
            }
        }
        // Every id of one rule and month shares the prefix, so record order is id order. The
        // rows arrive nearly in order (file order), which a stable sort finds in one sweep; rows
        // sharing a record key then become one challenge, with the first row's detail.
        // Merged in place: a large month's list is not copied.
        if !all.is_sorted_by(|a, b| a.record <= b.record) {
            all.sort_by(|a, b| a.record.cmp(&b.record));
        }
        all.dedup_by(|later, first| {
            let same = later.record == first.record;
            if same {
                first.value += later.value;
                first.rows += later.rows;
                for rule in later.also.drain(..) {
                    if !first.also.contains(&rule) {
                        first.also.push(rule);
                    }
                }
            }
            same
        });
        all
    }
}

/// The texts of what a rule found, each held once.
#[derive(Default)]
struct Details {
    known: std::collections::HashMap<Box<str>, Arc<str>, crate::pass::hash::FastHash>,
    scratch: String,
}

impl Details {
    /// What the rule found in `row`, shared with every earlier row that found the same.
    fn of(&mut self, found: &[Found], row: &[Value<'_>]) -> Arc<str> {
        self.scratch.clear();
        found_in(found, row, &mut self.scratch);
        if let Some(known) = self.known.get(self.scratch.as_str()) {
            return known.clone();
        }
        let detail: Arc<str> = self.scratch.as_str().into();
        // A rule whose rows say many different things (a free-text column) keeps no table.
        if self.known.len() < 4096 {
            self.known
                .insert(self.scratch.as_str().into(), detail.clone());
        }
        detail
    }
}

/// What a `where` rule found in a row: the values of the columns its condition reads (an NHS
/// number only described), written into `text`.
fn found_in(found: &[Found], row: &[Value<'_>], text: &mut String) {
    for f in found {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&f.name);
        let value = &row[f.slot];
        match value {
            Value::Null => text.push_str(" is blank"),
            Value::Text(t) if f.nhs_number => {
                text.push_str(if crate::model::cell::valid_nhs_number(t) {
                    " is a valid NHS number"
                } else {
                    " is not a valid NHS number"
                })
            }
            Value::Text(t) => {
                text.push_str(" is ");
                text.push_str(t);
            }
            other => {
                text.push_str(" is ");
                text.push_str(&other.render());
            }
        }
    }
}

impl RuleSet {
    /// Compiles `rules` (one dataset's, in precedence order) against the pass's slots.
    pub(crate) fn new(
        rules: &[&ChallengeRule],
        env: &mut CompileEnv<'_>,
        file: &Path,
        rows: usize,
    ) -> Result<RuleSet, Vec<(String, CompileFailure)>> {
        let mut set = RuleSet {
            rules: Vec::new(),
            wheres: Vec::new(),
            duplicates: Vec::new(),
            caps: Vec::new(),
            slots: SlotMap::default(),
        };
        let mut failures = Vec::new();
        for (at, rule) in rules.iter().enumerate() {
            if at >= MAX_RULES_PER_DATASET {
                let message =
                    format!("a dataset can have at most {MAX_RULES_PER_DATASET} challenge rules");
                failures.push((
                    rule.id.clone(),
                    CompileFailure {
                        text: rule.id.clone(),
                        error: crate::expr::ExprError::new(0..0, message),
                        span: rule.span.table(),
                    },
                ));
                continue;
            }
            match CompiledRule::new(rule, env, file, rows) {
                Ok(compiled) => {
                    let at = set.rules.len();
                    match compiled.kind {
                        RuleKind::Where { .. } => set.wheres.push(at),
                        RuleKind::Duplicate(_) => set.duplicates.push(at),
                        RuleKind::RatioCap { .. } => set.caps.push(at),
                    }
                    set.rules.push(compiled);
                }
                Err(e) => failures.push((rule.id.clone(), e)),
            }
        }
        if failures.is_empty() {
            Ok(set)
        } else {
            Err(failures)
        }
    }

    /// Records the slots the pass was compiled against, once every measure and rule is in.
    pub(crate) fn set_slots(&mut self, slots: &SlotMap) {
        self.slots = slots.clone();
    }

    /// Feeds one row; `key` gives its record key, `value` its money value, `byte` its offset.
    #[inline]
    pub(crate) fn add(
        &mut self,
        row: &[Value<'_>],
        memo: &Memo,
        key: &dyn Fn() -> String,
        value: Decimal,
        byte: u64,
    ) {
        let mut taker = None;
        let mut also = 0u64;
        for &i in &self.wheres {
            if self.rules[i].selects(row, memo) {
                if taker.is_none() {
                    taker = Some(i);
                } else {
                    also |= 1 << i;
                }
            }
        }
        if let Some(i) = taker {
            self.rules[i].take(row, key(), value, byte, also);
        }
        for &i in &self.duplicates {
            self.rules[i].log(row, memo, byte);
        }
        if taker.is_none() {
            for &i in &self.caps {
                self.rules[i].tally(row, memo, key, value, 1);
            }
        }
    }

    /// Adds the state of the same rules run over a later part of the file.
    pub(crate) fn merge(&mut self, later: RuleSet) {
        for (a, b) in self.rules.iter_mut().zip(later.rules) {
            a.merge(b);
        }
    }

    /// Completes the rules once every part of the file is in: duplicate rules find their
    /// repeats among every part's rows, each row is settled to the first rule in precedence
    /// that selects it, and the ratio caps give up the rows a duplicate took. An error is a
    /// file that could not be read again.
    pub(crate) fn settle(&mut self) -> Result<(), Invalid> {
        if self.duplicates.is_empty() {
            return Ok(());
        }
        for &i in &self.duplicates {
            if let RuleKind::Duplicate(d) = &mut self.rules[i].kind {
                d.settle()?;
            }
        }
        // Every row some duplicate rule found, with the rules that found it.
        let mut rows: BTreeMap<u64, Vec<(usize, usize)>> = BTreeMap::new();
        for &d in &self.duplicates {
            if let RuleKind::Duplicate(dup) = &self.rules[d].kind {
                for (at, t) in dup.found.iter().enumerate() {
                    rows.entry(t.byte).or_default().push((d, at));
                }
            }
        }
        let mut taken_by_duplicate: Vec<u64> = Vec::new();
        let wheres = self.wheres.clone();
        for (byte, mut claims) in rows {
            // The `where` rule that took the row in the pass, if any (rows are in file order).
            let by_where = wheres.iter().find_map(|&w| {
                let taken = self.rules[w].taken_mut()?;
                let at = taken.binary_search_by_key(&byte, |t| t.byte).ok()?;
                Some((w, at))
            });
            if let Some(claim) = by_where {
                claims.push(claim);
            }
            claims.sort_unstable();
            let (winner, winner_at) = claims[0];
            let mut also = 0u64;
            for &(rule, at) in &claims[1..] {
                let taken = &mut self.rules[rule].taken_mut().expect("a row rule")[at];
                taken.given_up = true;
                also |= (1 << rule) | taken.also;
            }
            self.rules[winner].taken_mut().expect("a row rule")[winner_at].also |= also;
            if by_where.is_none() {
                taken_by_duplicate.push(byte);
            }
        }
        if !self.caps.is_empty() && !taken_by_duplicate.is_empty() {
            self.untally(&taken_by_duplicate)?;
        }
        Ok(())
    }

    /// Takes the rows at `bytes` (which the caps counted, no `where` rule having taken them)
    /// off the ratio caps' tallies, reading each again.
    fn untally(&mut self, bytes: &[u64]) -> Result<(), Invalid> {
        let Some(RuleKind::Duplicate(d)) = self.duplicates.first().map(|&i| &self.rules[i].kind)
        else {
            return Ok(());
        };
        let schema = d.rows.schema.clone();
        let file = d.rows.file.clone();
        let (key_column, value_column) = (d.record_column, d.value_column);
        let mut reader = RecordAt::open(&file, &schema)?;
        let memo = Memo::new(&self.slots);
        let columns = self.slots.columns().to_vec();
        let mut row: Vec<Value<'static>> = Vec::with_capacity(columns.len());
        for &byte in bytes {
            reader.read(byte)?;
            row.clear();
            for &column in &columns {
                row.push(reader.value(column)?.into_owned());
            }
            let value = match value_column {
                Some(c) => reader.value(c)?.as_decimal().unwrap_or_default(),
                None => Decimal::ZERO,
            };
            let record = match key_column {
                Some(c) => reader.value(c)?.render(),
                None => String::new(),
            };
            memo.clear();
            for &i in &self.caps {
                self.rules[i].tally(&row, &memo, &|| record.clone(), value, -1);
            }
        }
        Ok(())
    }

    /// The challenges each rule raised, each sorted by id. A large month's rules are finished
    /// on two threads, each rule whole on one of them (the larger rules shared out first).
    pub(crate) fn finish(self, month: Month) -> Vec<Vec<Raised>> {
        let names: Vec<Arc<str>> = self.rules.iter().map(|r| r.rule_id.clone()).collect();
        let sizes: Vec<usize> = self.rules.iter().map(CompiledRule::rows_taken).collect();
        if sizes.iter().sum::<usize>() < PARALLEL_FINISH {
            return self
                .rules
                .into_iter()
                .map(|r| r.finish(month, &names))
                .collect();
        }
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
        let (mut here, mut there) = (Vec::new(), Vec::new());
        let (mut here_rows, mut there_rows) = (0, 0);
        for i in order {
            if here_rows <= there_rows {
                here.push(i);
                here_rows += sizes[i];
            } else {
                there.push(i);
                there_rows += sizes[i];
            }
        }
        let mut rules: Vec<Option<CompiledRule>> = self.rules.into_iter().map(Some).collect();
        let mut take = |indices: &[usize]| -> Vec<(usize, CompiledRule)> {
            indices
                .iter()
                .filter_map(|&i| Some((i, rules[i].take()?)))
                .collect()
        };
        let (here, there) = (take(&here), std::sync::Mutex::new(Some(take(&there))));
        let names = &names;
        let finish = move |rules: Vec<(usize, CompiledRule)>| -> Vec<(usize, Vec<Raised>)> {
            rules
                .into_iter()
                .map(|(i, r)| (i, r.finish(month, names)))
                .collect()
        };
        // The other thread's share, taken by whichever thread finishes it.
        let there = || {
            there
                .lock()
                .ok()
                .and_then(|mut there| there.take())
                .unwrap_or_default()
        };
        let mut finished: Vec<(usize, Vec<Raised>)> = std::thread::scope(|scope| {
            let later = std::thread::Builder::new().spawn_scoped(scope, || finish(there()));
            let mut finished = finish(here);
            match later {
                // A rule is finished by plain data structure work that cannot fail; a thread
                // that stopped anyway would be a bug, reported as a panic on this thread.
                Ok(later) => finished.extend(later.join().expect("finishing a rule's challenges")),
                Err(_) => finished.extend(finish(there())),
            }
            finished
        });
        finished.sort_by_key(|(i, _)| *i);
        finished.into_iter().map(|(_, raised)| raised).collect()
    }
}

/// Appends one key part to a duplicate key; false for NULL. Parts are typed and separated so
/// that no two different keys write the same bytes.
fn hash_key_part(hasher: &mut PartsHasher, value: &Value<'_>) -> bool {
    // Each kind of value is led by its own word, so that no two kinds hash alike by chance.
    match value {
        Value::Null => return false,
        Value::Text(t) => {
            hasher.word(1);
            hasher.bytes(t.as_bytes());
        }
        Value::Int(i) => {
            hasher.word(2);
            hasher.word(*i as u64);
        }
        Value::Dec(d) => {
            // Equal amounts hash alike whatever their scale (1.5 and 1.50).
            hasher.word(3);
            hasher.bytes(&d.normalize().serialize());
        }
        Value::Date(d) => {
            hasher.word(4);
            hasher.word(chrono::Datelike::num_days_from_ce(d) as u64);
        }
        Value::Bool(b) => {
            hasher.word(5);
            hasher.word(u64::from(*b));
        }
    }
    true
}

/// Whether two key parts are the same key, as [`hash_key_part`] hashes them: equal amounts are
/// the same whatever their scale, and NULL is never the same as anything.
fn same_key_part(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Dec(x), Value::Dec(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raised(month: &str, rule: &str, record: &str) -> Raised {
        Raised {
            month: month.parse().unwrap(),
            rule: rule.into(),
            record: record.into(),
            value: Money::ZERO,
            rows: 1,
            detail: "".into(),
            keys: Vec::new(),
            also: Vec::new(),
        }
    }

    proptest! {
        /// Sorting by `id_order` gives the ids' own text order, including rule ids that are
        /// prefixes of others (`dup` and `dup-x`: `-` sorts before `/`).
        #[test]
        fn id_order_is_the_order_of_the_ids(
            items in prop::collection::vec(
                (0usize..3, prop::sample::select(vec!["dup", "dup-x", "d", "long"]), "[A-Za-z0-9/-]{0,4}"),
                0..40,
            )
        ) {
            let months = ["2025-12", "2026-01", "2026-10"];
            let mut challenges: Vec<Raised> = items
                .iter()
                .map(|(m, rule, record)| raised(months[*m], rule, record))
                .collect();
            let mut want: Vec<String> = challenges.iter().map(Raised::id).collect();
            want.sort();
            sort_by_id(&mut challenges);
            let got: Vec<String> = challenges.iter().map(Raised::id).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn ids_name_month_rule_and_record() {
        assert_eq!(raised("2026-04", "dup", "R1").id(), "2026-04/dup/R1");
        assert_eq!(raised("2030-12", "x", "").id(), "2030-12/x/");
    }
}
