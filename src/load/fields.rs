//! Reading TOML files field by field, with every problem located.
//!
//! The files are parsed with toml's spanned document tree (`DeTable::parse_recoverable`), which
//! recovers from syntax errors, and then read by hand through [`Fields`]: each read marks its key
//! as known, and [`Fields::finish`] reports every key nobody asked for. So a typo such as
//! `per_exess` is an error at its own line and column (a typo must never silently switch a
//! penalty off), and one run reports every problem in a file rather than the first.

use crate::error::{Problem, Problems};
use crate::model::money::{parse_decimal, parse_money, parse_percent, Money};
use crate::model::spans::Spans;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

thread_local! {
    /// Every (table, key) a loader has asked for while recording is on: what the reference
    /// in docs/reference.md is checked against, so that it cannot drift from the loaders.
    static ASKED: std::cell::RefCell<Option<std::collections::BTreeSet<(String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

/// Starts recording the keys loaders ask for, on this thread.
pub fn start_recording_keys() {
    ASKED.with(|a| *a.borrow_mut() = Some(Default::default()));
}

/// The (table, key) pairs asked for since [`start_recording_keys`], tables named as the
/// reference names them (`[[kpi]]`, `[datasets.<name>]`, `[contacts.<role>]`…).
pub fn recorded_keys() -> std::collections::BTreeSet<(String, String)> {
    ASKED.with(|a| a.borrow_mut().take().unwrap_or_default())
}

fn record(what: &str, key: &str) {
    ASKED.with(|a| {
        if let Some(asked) = a.borrow_mut().as_mut() {
            let key = if key.len() > 1
                && key.starts_with('p')
                && key[1..].bytes().all(|b| b.is_ascii_digit())
            {
                "pNN"
            } else {
                key
            };
            asked.insert((reference_table(what), key.to_string()));
        }
    });
}

/// A table's name in messages, as the reference heads it: data in the name (a dataset, a
/// month, a role) becomes a placeholder, and `` `x` `` becomes `[x]`.
fn reference_table(what: &str) -> String {
    if let Some(rest) = what.strip_prefix("[datasets.") {
        return if rest.ends_with(']') {
            "[datasets.<name>]".into()
        } else {
            what.into()
        };
    }
    if what.starts_with("[timetable.dates.") {
        return "[timetable.dates.\"YYYY-MM\"]".into();
    }
    if what.starts_with("contact `") {
        return "[contacts.<role>]".into();
    }
    match what.strip_prefix('`').and_then(|w| w.strip_suffix('`')) {
        Some(name) => format!("[{name}]"),
        None => what.into(),
    }
}

/// The largest sum of money a contract may name, in pounds: every product levers forms from
/// contract figures and data stays exact within the decimal type.
pub const MAX_MONEY: u64 = 1_000_000_000_000;

/// The largest plain number a contract may name (a ratio's maximum).
pub const MAX_NUMBER: u64 = 1_000_000;

/// The largest whole number a contract or levers.toml may name (days, months, precedence).
pub const MAX_WHOLE_NUMBER: u32 = 10_000;

/// A value read from a file, with the byte span it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value read.
    pub value: T,
    /// The bytes of the file's text it was read from.
    pub span: Range<usize>,
}

/// A parsed TOML file and the problems found in it.
pub struct Doc {
    /// The file, relative to the workspace, as problems name it.
    pub file: PathBuf,
    /// The file's text.
    pub source: String,
    /// Every problem found in the file so far.
    pub problems: Problems,
}

impl Doc {
    /// The document of `file`, whose text is `source`, with no problems yet.
    pub fn new(file: &Path, source: String) -> Doc {
        Doc {
            file: file.to_path_buf(),
            source,
            problems: Problems::new(),
        }
    }

    /// Records an error at the byte range `span` of the source.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let problem = Problem::at_span(&self.file, &self.source, span, message);
        self.problems.push(problem);
    }

    /// Parses `source` (the same text the document was made with), recording every syntax
    /// error; what could be recovered is returned for the semantic checks.
    pub fn parse<'i>(&mut self, source: &'i str) -> DeTable<'i> {
        let (table, errors) = DeTable::parse_recoverable(source);
        for error in &errors {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim().to_string();
            self.error(span, format!("invalid TOML: {message}"));
        }
        table.into_inner()
    }
}

/// The keys of one TOML table, read one by one.
pub struct Fields<'t, 'i> {
    table: &'t DeTable<'i>,
    span: Range<usize>,
    what: String,
    used: Vec<String>,
    spans: Spans,
}

impl<'t, 'i> Fields<'t, 'i> {
    /// Reads `table`, written at `span`, named `what` in messages (`[[kpi]]`, "the meeting").
    pub fn new(table: &'t DeTable<'i>, span: Range<usize>, what: impl Into<String>) -> Self {
        Fields {
            table,
            spans: Spans::new(span.clone()),
            span,
            what: what.into(),
            used: Vec::new(),
        }
    }

    /// Where the table is written: a problem about a missing key points here.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The table's name in messages.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The raw value of `key`, marking the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        record(&self.what, key);
        self.used.push(key.to_string());
        let found = self
            .table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v);
        if let Some(value) = found {
            self.spans.record(key, value.span());
        }
        found
    }

    /// Marks a key read through [`Fields::entries`] as known.
    pub fn mark_used(&mut self, key: &str) {
        self.used.push(key.to_string());
    }

    /// Every key and value, for tables whose keys are data (column names, dates).
    pub fn entries(&self) -> impl Iterator<Item = (At<String>, &'t Spanned<DeValue<'i>>)> {
        self.table.iter().map(|(k, v)| {
            (
                At {
                    value: k.get_ref().to_string(),
                    span: k.span(),
                },
                v,
            )
        })
    }

    /// Reports every key no read asked for, with the closest known key as a hint, and returns
    /// where the table and each key read were written.
    pub fn finish(self, doc: &mut Doc) -> Spans {
        for (key, _) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if self.used.iter().any(|u| u == name) {
                continue;
            }
            let mut known: Vec<&str> = self.used.iter().map(String::as_str).collect();
            let hint = crate::error::closest(name, &known)
                .map(|k| format!("did you mean `{k}`? "))
                .unwrap_or_default();
            known.sort_unstable();
            known.dedup();
            doc.error(
                key.span(),
                format!(
                    "unknown key `{name}` in {}: {hint}expected one of {}",
                    self.what,
                    known.join(", ")
                ),
            );
        }
        self.spans
    }

    /// The string at `key`, if present; an error if it is not a string.
    pub fn string(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<String>> {
        let value = self.get(key)?;
        as_string(doc, value, &format!("`{key}`"))
    }

    /// As [`Fields::string`], and an error when `key` is absent.
    pub fn required_string(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<String>> {
        let found = self.string(doc, key);
        if found.is_none() && self.get(key).is_none() {
            doc.error(self.span.clone(), format!("{} needs `{key}`", self.what));
        }
        found
    }

    /// The boolean at `key`, if present; an error if it is not true or false.
    pub fn bool(&mut self, doc: &mut Doc, key: &'static str) -> Option<bool> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                doc.error(
                    value.span(),
                    format!("`{key}` must be true or false, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// The whole number at `key` (0 to [`MAX_WHOLE_NUMBER`]), if present; an error otherwise.
    pub fn whole_number(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<u32>> {
        let value = self.get(key)?;
        as_whole_number(doc, value, &format!("`{key}`"))
    }

    /// The date at `key` (a TOML date or a `YYYY-MM-DD` string), if present; an error otherwise.
    pub fn date(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<NaiveDate>> {
        let value = self.get(key)?;
        as_date(doc, value, &format!("`{key}`"))
    }

    /// The sum of money at `key` (a quoted string or a TOML integer, at most [`MAX_MONEY`] pounds
    /// either side of zero), if present; an error otherwise.
    pub fn money(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<Money>> {
        let value = self.get(key)?;
        let text = number_text(doc, value, key, "money such as \"120.00\"")?;
        match parse_money(&text.value) {
            Ok(m) if m.amount().abs() > Decimal::from(MAX_MONEY) => {
                doc.error(
                    text.span,
                    format!(
                        "`{key}`: {m} is beyond any contract's sums (at most £1,000,000,000,000)"
                    ),
                );
                None
            }
            Ok(m) => Some(At {
                value: m,
                span: text.span,
            }),
            Err(message) => {
                doc.error(text.span, format!("`{key}`: {message}"));
                None
            }
        }
    }

    /// The percentage at `key` (a string such as "2.5%", from 0% to 100%) as a fraction, if
    /// present; an error otherwise.
    pub fn percent(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<Decimal>> {
        let value = self.get(key)?;
        let text = as_string(doc, value, &format!("`{key}`"))?;
        match parse_percent(&text.value) {
            Ok(p) if p < Decimal::ZERO || p > Decimal::ONE => {
                doc.error(
                    text.span,
                    format!(
                        "`{key}` must be a percentage from 0% to 100%, found `{}`",
                        text.value
                    ),
                );
                None
            }
            Ok(p) => Some(At {
                value: p,
                span: text.span,
            }),
            Err(message) => {
                doc.error(text.span, format!("`{key}`: {message}"));
                None
            }
        }
    }

    /// The number at `key` (a quoted string or a TOML integer, at most [`MAX_NUMBER`] either side
    /// of zero), if present; an error otherwise.
    pub fn decimal(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<Decimal>> {
        let value = self.get(key)?;
        let text = number_text(doc, value, key, "a number such as \"2.0\"")?;
        match parse_decimal(&text.value) {
            Ok(d) if d.abs() > Decimal::from(MAX_NUMBER) => {
                doc.error(
                    text.span,
                    format!(
                        "`{key}`: {d} is beyond any figure a contract sets (at most 1,000,000)"
                    ),
                );
                None
            }
            Ok(d) => Some(At {
                value: d,
                span: text.span,
            }),
            Err(message) => {
                doc.error(text.span, format!("`{key}`: {message}"));
                None
            }
        }
    }

    /// The list of strings at `key`, if present; an error if it is not a list, and for each item
    /// that is not a string (left out).
    pub fn string_list(&mut self, doc: &mut Doc, key: &'static str) -> Option<At<Vec<At<String>>>> {
        let value = self.get(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            doc.error(
                value.span(),
                format!("`{key}` must be a list of strings, such as [\"a\", \"b\"]"),
            );
            return None;
        };
        let list = items
            .iter()
            .filter_map(|item| as_string(doc, item, &format!("an item of `{key}`")))
            .collect();
        Some(At {
            value: list,
            span: value.span(),
        })
    }

    /// The table at `key`, to be read field by field, if present; an error if it is not a table.
    pub fn table(&mut self, doc: &mut Doc, key: &'static str) -> Option<Fields<'t, 'i>> {
        let value = self.get(key)?;
        let what = format!("`{key}`");
        as_table(doc, value, what)
    }

    /// An array of tables (`[[kpi]]`); each element is named `what` in messages.
    pub fn tables(&mut self, doc: &mut Doc, key: &'static str) -> Vec<Fields<'t, 'i>> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| as_table(doc, item, format!("[[{key}]]")))
                .collect(),
            _ => {
                doc.error(
                    value.span(),
                    format!("`{key}` must be written as [[{key}]] tables"),
                );
                Vec::new()
            }
        }
    }
}

/// `value` as a table named `what` in messages; an error if it is not a table.
pub fn as_table<'t, 'i>(
    doc: &mut Doc,
    value: &'t Spanned<DeValue<'i>>,
    what: String,
) -> Option<Fields<'t, 'i>> {
    match value.get_ref() {
        DeValue::Table(table) => Some(Fields::new(table, value.span(), what)),
        other => {
            doc.error(
                value.span(),
                format!("{what} must be a table, found {}", other.type_str()),
            );
            None
        }
    }
}

/// `value` as a string; an error, naming it `what`, if it is not one.
pub fn as_string(doc: &mut Doc, value: &Spanned<DeValue<'_>>, what: &str) -> Option<At<String>> {
    match value.get_ref() {
        DeValue::String(s) => Some(At {
            value: s.to_string(),
            span: value.span(),
        }),
        other => {
            doc.error(
                value.span(),
                format!(
                    "{what} must be a string in quotes, found {}",
                    other.type_str()
                ),
            );
            None
        }
    }
}

/// `value` as a whole number from 0 to [`MAX_WHOLE_NUMBER`]; an error, naming it `what`,
/// otherwise.
pub fn as_whole_number(doc: &mut Doc, value: &Spanned<DeValue<'_>>, what: &str) -> Option<At<u32>> {
    match value.get_ref() {
        DeValue::Integer(i) if i.radix() == 10 => {
            match i.as_str().replace('_', "").parse::<u32>() {
                Ok(n) if n > MAX_WHOLE_NUMBER => {
                    doc.error(
                        value.span(),
                        format!("{what} must be at most {MAX_WHOLE_NUMBER}, found {n}"),
                    );
                    None
                }
                Ok(n) => Some(At {
                    value: n,
                    span: value.span(),
                }),
                Err(_) => {
                    doc.error(
                        value.span(),
                        format!("{what} must be a whole number from 0 upwards"),
                    );
                    None
                }
            }
        }
        other => {
            doc.error(
                value.span(),
                format!("{what} must be a whole number, found {}", other.type_str()),
            );
            None
        }
    }
}

/// A date written as a TOML date (`2026-04-01`) or as a string (`"2026-04-01"`).
pub fn as_date(doc: &mut Doc, value: &Spanned<DeValue<'_>>, what: &str) -> Option<At<NaiveDate>> {
    let parsed = match value.get_ref() {
        DeValue::Datetime(dt) => match (dt.date, dt.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        },
        DeValue::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    };
    match parsed {
        Some(date) => Some(At {
            value: date,
            span: value.span(),
        }),
        None => {
            doc.error(
                value.span(),
                format!("{what} must be a date such as 2026-04-01"),
            );
            None
        }
    }
}

/// A number written as a string (`"120.00"`) or a TOML integer. A TOML float is refused: its
/// binary value is not the decimal the contract states.
fn number_text(
    doc: &mut Doc,
    value: &Spanned<DeValue<'_>>,
    key: &str,
    expected: &str,
) -> Option<At<String>> {
    match value.get_ref() {
        DeValue::String(s) => Some(At {
            value: s.to_string(),
            span: value.span(),
        }),
        DeValue::Integer(i) if i.radix() == 10 => Some(At {
            value: i.as_str().replace('_', ""),
            span: value.span(),
        }),
        DeValue::Float(f) => {
            doc.error(
                value.span(),
                format!(
                    "`{key}` must be written in quotes, as \"{}\", so that it stays exact",
                    f.as_str()
                ),
            );
            None
        }
        other => {
            doc.error(
                value.span(),
                format!("`{key}` must be {expected}, found {}", other.type_str()),
            );
            None
        }
    }
}

/// The span of a string value's content (inside its quotes), so that an expression error can
/// point at a character within it. For strings with escapes or multi-line strings the offsets
/// inside may not line up, so those point at the string as a whole.
pub fn content_offset(source: &str, span: &Range<usize>, value: &str) -> Option<usize> {
    let raw = source.get(span.clone())?;
    for quote in ["'", "\""] {
        if raw.len() == value.len() + 2
            && raw.starts_with(quote)
            && raw.ends_with(quote)
            && &raw[1..raw.len() - 1] == value
        {
            return Some(span.start + 1);
        }
    }
    None
}
