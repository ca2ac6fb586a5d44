//! Data challenges (§4.6): rules over a month's rows that raise challenges against the
//! provider's activity, each with a stable id `<YYYY-MM>/<rule-id>/<record key or group key>`
//! and a value (the sum of the dataset's value column over the rows it covers).
//!
//! Rules run inside the same single pass as the KPIs. Memory is bounded by distinct keys:
//! `where` rules keep only the challenged rows, `duplicate_of` keeps one exact key per distinct
//! combination (never a per-row string: the key parts are written into one reused buffer and
//! the set stores the bytes once), and `ratio_cap` keeps one tally per group.

use crate::calendar::Month;
use crate::contract::{ChallengeForm, ChallengeRule};
use crate::expr::{compile, CompileEnv, Compiled, Want};
use crate::measure::{CompileFailure, SAMPLE_KEYS};
use crate::money::Money;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Reads again the records at the given byte offsets, giving each one's key and value.
pub type Reread<'a> = &'a dyn Fn(&[u64]) -> Result<Vec<(String, Decimal)>, String>;

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
}

impl Raised {
    /// `<YYYY-MM>/<rule-id>/<record>`: stable whatever the order of rows or rules.
    pub fn id(&self) -> String {
        challenge_id(self.month, &self.rule, &self.record)
    }
}

pub fn challenge_id(month: Month, rule: &str, record: &str) -> String {
    format!("{month}/{rule}/{record}")
}

/// A challenge rule compiled against the pass's slots, with its running state.
pub struct CompiledRule {
    rule_id: String,
    filter: Option<Compiled>,
    kind: RuleKind,
}

enum RuleKind {
    Where {
        condition: Compiled,
        raised: Vec<(String, Decimal)>,
    },
    Duplicate {
        key_slots: Vec<usize>,
        seen: HashSet<Fingerprint, BuildHasherDefault<FingerprintHasher>>,
        /// In a later chunk of the file: where each key was first seen in the chunk, to settle
        /// against the earlier chunk's keys afterwards.
        firsts: Option<
            std::collections::HashMap<Fingerprint, u64, BuildHasherDefault<FingerprintHasher>>,
        >,
        buffer: Vec<u8>,
        raised: Vec<(String, Decimal)>,
    },
    RatioCap {
        numerator: Compiled,
        denominator: Compiled,
        by: Compiled,
        max: Decimal,
        groups: BTreeMap<String, GroupTally>,
    },
}

#[derive(Default)]
struct GroupTally {
    numerator: u64,
    denominator: u64,
    numerator_value: Decimal,
    keys: Vec<String>,
}

impl CompiledRule {
    /// `expected_rows` sizes a duplicate rule's set once, so it never grows (growing a table of
    /// millions of fingerprints holds the old and new tables at once).
    pub fn new(
        rule: &ChallengeRule,
        env: &mut CompileEnv<'_>,
        expected_rows: usize,
        later_chunk: bool,
    ) -> Result<CompiledRule, CompileFailure> {
        let c = |text: &crate::contract::ExprText, env: &mut CompileEnv<'_>, want| {
            compile(&text.expr, env, want).map_err(|e| (text.text.clone(), e))
        };
        let filter = rule
            .filter
            .as_ref()
            .map(|f| c(f, env, Some(Want::Condition)))
            .transpose()?;
        let kind = match &rule.form {
            ChallengeForm::Where(condition) => RuleKind::Where {
                condition: c(condition, env, Some(Want::Condition))?,
                raised: Vec::new(),
            },
            ChallengeForm::DuplicateOf(columns) => {
                let mut key_slots = Vec::new();
                for column in columns {
                    let index = env.schema.column_index(column).ok_or_else(|| {
                        (
                            column.clone(),
                            crate::expr::ExprError::new(
                                0..column.len(),
                                format!("unknown column `{column}`"),
                            ),
                        )
                    })?;
                    key_slots.push(env.slots.slot_for(index));
                }
                RuleKind::Duplicate {
                    key_slots,
                    seen: if later_chunk {
                        HashSet::default()
                    } else {
                        HashSet::with_capacity_and_hasher(
                            expected_rows,
                            BuildHasherDefault::default(),
                        )
                    },
                    firsts: later_chunk.then(|| {
                        std::collections::HashMap::with_capacity_and_hasher(
                            expected_rows,
                            BuildHasherDefault::default(),
                        )
                    }),
                    buffer: Vec::with_capacity(64),
                    raised: Vec::new(),
                }
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
        Ok(CompiledRule {
            rule_id: rule.id.clone(),
            filter,
            kind,
        })
    }

    /// Feeds one row; `key` and `value` are the row's record key and money value.
    pub fn add(&mut self, row: &[Value<'_>], key: &dyn Fn() -> String, value: Decimal, byte: u64) {
        if self.filter.as_ref().is_some_and(|f| !f.matches(row)) {
            return;
        }
        match &mut self.kind {
            RuleKind::Where { condition, raised } => {
                if condition.matches(row) {
                    raised.push((key(), value));
                }
            }
            RuleKind::Duplicate {
                key_slots,
                seen,
                firsts,
                buffer,
                raised,
            } => {
                buffer.clear();
                for &slot in key_slots.iter() {
                    if !write_key_part(buffer, &row[slot]) {
                        return; // a NULL key part never matches
                    }
                }
                let print = fingerprint(buffer);
                match firsts {
                    None => {
                        if !seen.insert(print) {
                            raised.push((key(), value));
                        }
                    }
                    Some(firsts) => match firsts.entry(print) {
                        std::collections::hash_map::Entry::Occupied(_) => {
                            raised.push((key(), value))
                        }
                        std::collections::hash_map::Entry::Vacant(slot) => {
                            slot.insert(byte);
                        }
                    },
                }
            }
            RuleKind::RatioCap {
                numerator,
                denominator,
                by,
                groups,
                ..
            } => {
                let in_numerator = numerator.matches(row);
                let in_denominator = denominator.matches(row);
                if !in_numerator && !in_denominator {
                    return;
                }
                let group = by.eval(row);
                if group.is_null() {
                    return;
                }
                let rendered;
                let group_key: &str = match &group {
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
                if in_numerator {
                    tally.numerator += 1;
                    tally.numerator_value += value;
                    if tally.keys.len() < SAMPLE_KEYS {
                        tally.keys.push(key());
                    }
                }
                if in_denominator {
                    tally.denominator += 1;
                }
            }
        }
    }

    /// Adds the state of the same rule run over the next part of the file. A later chunk's
    /// first occurrence of a key the earlier chunk has seen is a duplicate too: its record is read
    /// again (by byte offset, with `reread`) for its key and value.
    pub fn merge(&mut self, later: CompiledRule, reread: Reread<'_>) -> Result<(), String> {
        match (&mut self.kind, later.kind) {
            (RuleKind::Where { raised, .. }, RuleKind::Where { raised: more, .. }) => {
                raised.extend(more)
            }
            (
                RuleKind::Duplicate { seen, raised, .. },
                RuleKind::Duplicate {
                    raised: more,
                    firsts,
                    ..
                },
            ) => {
                raised.extend(more);
                let mut offsets: Vec<u64> = firsts
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(print, _)| seen.contains(print))
                    .map(|(_, byte)| byte)
                    .collect();
                offsets.sort_unstable();
                raised.extend(reread(&offsets)?);
            }
            (RuleKind::RatioCap { groups, .. }, RuleKind::RatioCap { groups: more, .. }) => {
                for (group, t) in more {
                    let g = groups.entry(group).or_default();
                    g.numerator += t.numerator;
                    g.denominator += t.denominator;
                    g.numerator_value += t.numerator_value;
                    g.keys.extend(t.keys);
                    g.keys.truncate(SAMPLE_KEYS);
                }
            }
            _ => unreachable!("the same rule has the same state"),
        }
        Ok(())
    }

    /// The challenges raised, sorted by id. Rows sharing a record key are one challenge.
    pub fn finish(self, month: Month) -> Vec<Raised> {
        let rule: Arc<str> = self.rule_id.into();
        let matches: Arc<str> = "matches the rule".into();
        let repeats: Arc<str> = "repeats an earlier row's key".into();
        // Keyed by record: every id of one rule and month shares the prefix, so record order
        // is id order.
        let mut by_record: BTreeMap<String, Raised> = BTreeMap::new();
        let mut add =
            |record: String, value: Money, rows: u64, detail: Arc<str>, keys: Vec<String>| {
                match by_record.get_mut(&record) {
                    Some(r) => {
                        r.value += value;
                        r.rows += rows;
                    }
                    None => {
                        by_record.insert(
                            record.clone(),
                            Raised {
                                month,
                                rule: rule.clone(),
                                record,
                                value,
                                rows,
                                detail,
                                keys,
                            },
                        );
                    }
                }
            };
        match self.kind {
            RuleKind::Where { raised, .. } => {
                for (record, value) in raised {
                    add(
                        record,
                        Money::from_decimal(value),
                        1,
                        matches.clone(),
                        Vec::new(),
                    );
                }
            }
            RuleKind::Duplicate { raised, .. } => {
                for (record, value) in raised {
                    add(
                        record,
                        Money::from_decimal(value),
                        1,
                        repeats.clone(),
                        Vec::new(),
                    );
                }
            }
            RuleKind::RatioCap { max, groups, .. } => {
                for (group, tally) in groups {
                    let allowed = (max * Decimal::from(tally.denominator)).floor();
                    let excess = Decimal::from(tally.numerator) - allowed;
                    if excess <= Decimal::ZERO || tally.numerator == 0 {
                        continue;
                    }
                    // Valued at the group's mean value per numerator row, rounded once.
                    let mean = tally.numerator_value / Decimal::from(tally.numerator);
                    let value = Money::from_decimal(mean * excess).round_to_penny();
                    let detail =
                        format!(
                        "{} numerator rows against {} denominator rows: {} allowed at {}, {} above",
                        tally.numerator, tally.denominator, allowed, max.normalize(), excess
                    );
                    add(
                        group,
                        value,
                        excess.try_into().unwrap_or(0),
                        detail.into(),
                        tally.keys,
                    );
                }
            }
        }
        by_record.into_values().collect()
    }
}

/// A 128-bit fingerprint of a duplicate key: two SipHash-1-3 digests of the key's bytes under
/// different salts. Keeping fingerprints rather than the keys keeps memory at 16 bytes per
/// distinct key with no allocation per row; two different keys share a fingerprint with
/// probability about 2⁻¹²⁸ per pair, about 10⁻²⁵ across ten million keys. (SipHash's fixed
/// keys make the result the same on every run.) Two `u64`s rather than a `u128`: the same bits
/// with 8-byte alignment, so a table entry pairing one with a byte offset takes 24 bytes, not 32.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint(u64, u64);

impl std::hash::Hash for Fingerprint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0);
    }
}

fn fingerprint(key: &[u8]) -> Fingerprint {
    let digest = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write_u8(salt);
        h.write(key);
        h.finish()
    };
    Fingerprint(digest(0x5a), digest(0xa5))
}

/// A table's own hash of a fingerprint is its first half: it is already uniformly mixed.
#[derive(Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only fingerprints are hashed here, through `write_u64`; anything else is mixed simply.
        for b in bytes {
            self.0 = self.0.rotate_left(5) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Appends one key part to a duplicate key; false for NULL. Parts are typed and separated so
/// that no two different keys write the same bytes.
fn write_key_part(buffer: &mut Vec<u8>, value: &Value<'_>) -> bool {
    match value {
        Value::Null => return false,
        Value::Text(t) => {
            buffer.push(b'T');
            buffer.extend_from_slice(&(t.len() as u32).to_le_bytes());
            buffer.extend_from_slice(t.as_bytes());
        }
        Value::Int(i) => {
            buffer.push(b'I');
            buffer.extend_from_slice(&i.to_le_bytes());
        }
        Value::Dec(d) => {
            buffer.push(b'D');
            buffer.extend_from_slice(&d.normalize().serialize());
        }
        Value::Date(d) => {
            buffer.push(b'A');
            buffer.extend_from_slice(&chrono::Datelike::num_days_from_ce(d).to_le_bytes());
        }
        Value::Bool(b) => {
            buffer.push(b'B');
            buffer.push(u8::from(*b));
        }
    }
    true
}

/// A challenge as a letter or report shows it: what was raised, and what has happened since.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengeView {
    pub id: String,
    /// Shared by every view of the contract (a month can hold hundreds of thousands).
    pub contract: Arc<str>,
    pub month: Month,
    pub rule: Arc<str>,
    pub rule_name: Arc<str>,
    pub record: String,
    pub value: Money,
    pub rows: u64,
    pub detail: Arc<str>,
    pub state: crate::challenge_log::State,
    /// The provider's response was due by this date (the month's provisional letter date plus
    /// the response window), or by the re-challenge date plus the window.
    pub respond_by: chrono::NaiveDate,
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

/// Views of `raised` challenges as of `today`, using the log.
pub fn views(
    contract: &crate::contract::Contract,
    raised: &[&Raised],
    log: &crate::challenge_log::Log,
    as_of_month: Month,
    today: chrono::NaiveDate,
    respond_by: &dyn Fn(Month) -> chrono::NaiveDate,
    add_working_days: &dyn Fn(chrono::NaiveDate) -> chrono::NaiveDate,
) -> Vec<ChallengeView> {
    use crate::challenge_log::State;
    let contract_id: Arc<str> = contract.id.as_str().into();
    let names: BTreeMap<&str, Arc<str>> = contract
        .challenges
        .iter()
        .map(|c| (c.id.as_str(), Arc::from(c.name.as_str())))
        .collect();
    raised
        .iter()
        .map(|r| {
            let id = r.id();
            let state = log.state(&id, today);
            let history = log.history(&id);
            let known: Vec<_> = history.iter().filter(|e| e.date <= today).collect();
            let due = match known.iter().rev().find(|e| e.event == State::Rechallenged) {
                Some(e) if state == State::Rechallenged => add_working_days(e.date),
                _ => respond_by(r.month),
            };
            let agreed_on = known.iter().find(|e| e.event.is_agreed()).map(|e| e.date);
            ChallengeView {
                id,
                contract: contract_id.clone(),
                month: r.month,
                rule: r.rule.clone(),
                rule_name: names
                    .get(r.rule.as_ref())
                    .cloned()
                    .unwrap_or_else(|| r.rule.clone()),
                record: r.record.clone(),
                value: r.value,
                rows: r.rows,
                detail: r.detail.clone(),
                state,
                respond_by: due,
                overdue: state.awaits_provider() && today > due,
                closed: state.is_final(),
                agreed: state.is_agreed(),
                agreed_on,
                age_months: r.month.months_until(as_of_month),
                last_event: known.last().map(|e| e.date),
            }
        })
        .collect()
}
