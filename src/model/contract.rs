//! A contract (`contracts/<id>/contract.toml`, §4), as the loader ([`crate::load::contract`])
//! leaves it, validated: parties, value, KPIs, consequences, information requirements,
//! challenge rules, the escalation ladder, variations and relief.

use crate::expr::{Expr, ExprError};
use crate::model::calendar::Month;
use crate::model::money::Money;
use crate::model::schema::{Schema, RETURNS};
use crate::model::spans::Spans;
use crate::model::target::Target;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Party {
    pub name: String,
    pub code: String,
    pub address: Vec<String>,
    /// The provider's own reference for the contract: "Your ref" on letters.
    pub reference: String,
}

#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub name: String,
    pub title: String,
    pub email: String,
    /// How a letter to this contact opens ("Dear Tom"); see [`Contact::greeting`] for the default.
    pub salutation: Option<String>,
    /// Copied in on every letter.
    pub cc: bool,
}

impl Contact {
    /// "Tom Reed, Director of Contracts", or the name alone.
    pub fn name_and_title(&self) -> String {
        if self.title.is_empty() {
            self.name.clone()
        } else {
            format!("{}, {}", self.name, self.title)
        }
    }

    /// How a letter to `contact` opens: its `salutation`; for a name that starts with a title
    /// ("Dr Amelia Hart"), the title and surname ("Dear Dr Hart"); otherwise "Dear <name>";
    /// with no contact, "Dear Sir or Madam".
    pub fn greeting(contact: Option<&Contact>) -> String {
        const TITLES: [&str; 10] = [
            "Dr",
            "Mr",
            "Mrs",
            "Ms",
            "Miss",
            "Mx",
            "Prof",
            "Professor",
            "Sir",
            "Dame",
        ];
        contact.map_or_else(
            || "Dear Sir or Madam".to_string(),
            |c| {
                c.salutation.clone().unwrap_or_else(|| {
                    let words: Vec<&str> = c.name.split_whitespace().collect();
                    match words.as_slice() {
                        [title, .., surname]
                            if words.len() > 2 && TITLES.contains(&title.trim_end_matches('.')) =>
                        {
                            // Sir and Dame go with the first name, not the surname.
                            if matches!(*title, "Sir" | "Dame") {
                                format!("Dear {title} {}", words[1])
                            } else {
                                format!("Dear {title} {surname}")
                            }
                        }
                        _ => format!("Dear {}", c.name),
                    }
                })
            },
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthlyValue {
    /// annual_value / 12
    Planned,
    /// the sum of the activity dataset's value column for the month
    Actual,
}

/// An expression as written in contract.toml, parsed, with where it sits in the file.
#[derive(Debug, Clone)]
pub struct ExprText {
    pub text: String,
    pub expr: Expr,
    /// Span of the TOML string holding the expression.
    pub span: Range<usize>,
    /// Offset of the expression's first character in the file, when it can be known exactly.
    pub offset: Option<usize>,
}

impl ExprText {
    /// The file span of an error inside the expression.
    pub fn file_span(&self, error: &ExprError) -> Range<usize> {
        match self.offset {
            Some(o) => o + error.span.start..o + error.span.end.max(error.span.start),
            None => self.span.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Mean,
    Median,
    /// Nearest-rank percentile, 1..=99.
    Percentile(u8),
}

impl Aggregate {
    pub fn name(self) -> String {
        match self {
            Aggregate::Sum => "sum".into(),
            Aggregate::Mean => "mean".into(),
            Aggregate::Median => "median".into(),
            Aggregate::Percentile(p) => format!("p{p}"),
        }
    }
}

/// The one measure form a KPI has (§4.1).
// Built once per contract load, so the variants' difference in size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Measure {
    /// Rows matching `numerator` (and `filter`) over rows matching `denominator` (or `filter`).
    Ratio {
        filter: Option<ExprText>,
        numerator: ExprText,
        denominator: Option<ExprText>,
        by: Option<ExprText>,
    },
    Count {
        condition: ExprText,
    },
    Aggregate {
        aggregate: Aggregate,
        value: ExprText,
        filter: Option<ExprText>,
    },
    /// The value the provider submitted in `data/returns/<YYYY-MM>.csv`.
    Returned,
}

impl Measure {
    pub fn is_ratio(&self) -> bool {
        matches!(self, Measure::Ratio { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Deduct,
    Withhold,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsequenceForm {
    /// amount × excess; with `floor`, excess stops growing below the floor.
    PerExcess {
        rate: Money,
        floor: Option<Decimal>,
    },
    Fixed(Money),
    PercentOfMonthlyValue(Decimal),
    /// CQUIN-like: `earn` × annual value / 12 a month, paid linearly between `floor` (0%) and
    /// `ceiling` (100%) of achievement.
    Incentive {
        earn: Decimal,
        floor: Decimal,
        ceiling: Decimal,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consequence {
    pub form: ConsequenceForm,
    pub mode: Mode,
    /// Applies only from the Nth consecutive failing month (1 = at once).
    pub after: u32,
    pub suspended: bool,
    /// Where the consequence table and its keys were written.
    pub span: Spans,
}

#[derive(Debug, Clone)]
pub struct Kpi {
    pub id: String,
    pub name: String,
    pub group: String,
    pub dataset: String,
    pub measure: Measure,
    pub target: Option<Target>,
    pub amber: Option<Target>,
    pub consequence: Option<Consequence>,
    pub escalate: bool,
    pub screen_outliers: bool,
    pub span: Spans,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Flex,
    Freeze,
    /// Working day N after the end of the month.
    WorkingDay(u32),
}

/// The most working days a due date may be after its month (or its letter): a year's worth.
pub(crate) const MAX_WORKING_DAYS: u32 = 260;

impl Due {
    pub fn parse(text: &str) -> Option<Due> {
        match text.trim() {
            "flex" => Some(Due::Flex),
            "freeze" => Some(Due::Freeze),
            other => other
                .strip_prefix("wd")
                .and_then(|n| n.trim().parse().ok())
                .filter(|n| *n <= MAX_WORKING_DAYS)
                .map(Due::WorkingDay),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Information {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub dataset: String,
    pub due: Due,
    pub consequence: Option<Consequence>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ChallengeForm {
    Where(ExprText),
    DuplicateOf(Vec<String>),
    RatioCap {
        numerator: ExprText,
        denominator: ExprText,
        by: ExprText,
        max: Decimal,
    },
}

#[derive(Debug, Clone)]
pub struct ChallengeRule {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub id: String,
    /// Where the rule stands when several select one row (§4.6): its `precedence`, or else
    /// its position among the `[[challenge]]` blocks (1 for the first). Lower goes first; the
    /// contract keeps its rules sorted by it, an explicit `precedence` before a position of the
    /// same number, then block order.
    pub precedence: u32,
    /// Whether `precedence` was written rather than taken from the position.
    pub explicit_precedence: bool,
    pub name: String,
    pub dataset: String,
    /// A filter on the rows the rule considers (for `duplicate_of` and `ratio_cap`).
    pub filter: Option<ExprText>,
    pub form: ChallengeForm,
}

#[derive(Debug, Clone)]
pub struct EscalationStep {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub step: String,
    /// The run of consecutive months that reaches this step (`when = "red N"`): failing
    /// months, or red ones under `escalate_on = "red"`.
    pub run_months: u32,
    /// The contact role (`commissioner_lead` for `contacts.commissioner_lead`).
    pub owner_role: String,
    pub meeting: Option<String>,
    /// Working days after the provisional letter date.
    pub due_working_days: u32,
    pub consequence: Option<Consequence>,
    /// Reaching this step opens a GC9 case (§4.9): `notice = true`.
    pub notice: bool,
}

#[derive(Debug, Clone)]
pub struct Variation {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub effective: NaiveDate,
    pub kpi: String,
    pub target: Option<Target>,
    pub amber: Option<Target>,
    pub consequence: Option<Consequence>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Relief {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub kpi: String,
    pub months: Vec<Month>,
    pub reason: String,
}

/// A `[[rebase]]` block: from `from`, the KPI's SPC starts a new segment (its mean and limits
/// computed from that month on, as NHSRplotthedots' `rebase`), for `reason`.
#[derive(Debug, Clone)]
pub struct Rebase {
    /// The table's span in contract.toml.
    pub span: Spans,
    pub kpi: String,
    pub from: Month,
    pub reason: String,
}

impl Contract {
    /// The months from which `kpi`'s SPC segments start after its first, in order, each with
    /// its reason.
    pub fn rebases_of(&self, kpi: &str) -> Vec<(Month, &str)> {
        let mut out: Vec<(Month, &str)> = self
            .rebases
            .iter()
            .filter(|r| r.kpi == kpi)
            .map(|r| (r.from, r.reason.as_str()))
            .collect();
        out.sort();
        out.dedup_by_key(|r| r.0);
        out
    }
}

/// What the escalation ladder's `red N` counts (§4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalateOn {
    /// Consecutive months failing the target, red or amber (the default): a month of amber
    /// does not reset a run of failures.
    Failing,
    /// Consecutive red months only (`escalate_on = "red"`).
    Red,
}

/// A cap: a percentage of the period's value, or a fixed sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Percent(Decimal),
    Amount(Money),
}

#[derive(Debug, Clone)]
pub struct Contract {
    pub id: String,
    /// `contracts/<id>`, relative to the workspace.
    pub dir: PathBuf,
    /// `contracts/<id>/contract.toml`, relative to the workspace.
    pub file: PathBuf,
    pub source: String,
    pub title: String,
    pub reference: String,
    pub provider: Party,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub annual_value: Money,
    pub monthly_value: MonthlyValue,
    /// Lists an expression may name as `contract.<name>`: `commissioners` and `services` (from
    /// the keys of those names) and any of the contract's own `[lists]`.
    pub lists: BTreeMap<String, Vec<String>>,
    pub contacts: BTreeMap<String, Contact>,
    pub kpis: Vec<Kpi>,
    pub monthly_cap: Option<Cap>,
    pub annual_cap: Option<Cap>,
    pub information: Vec<Information>,
    pub challenges: Vec<ChallengeRule>,
    pub escalation: Vec<EscalationStep>,
    pub escalate_on: EscalateOn,
    /// The clocks and withholding rates of formal contract management (`[gc9]`).
    pub gc9: crate::model::case::Gc9Settings,
    pub variations: Vec<Variation>,
    pub reliefs: Vec<Relief>,
    /// New SPC segments (§5.4): from each, a KPI's mean and limits are computed afresh.
    pub rebases: Vec<Rebase>,
    /// The schema of every dataset this contract may read (workspace ones, overridden here).
    pub datasets: BTreeMap<String, Schema>,
}

impl Contract {
    pub fn kpi(&self, id: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.id == id)
    }

    pub fn schema(&self, dataset: &str) -> Option<&Schema> {
        self.datasets.get(dataset)
    }

    /// `contracts/<id>/data/<dataset>/<YYYY-MM>.csv`, relative to the workspace.
    pub fn data_file(&self, dataset: &str, month: Month) -> PathBuf {
        self.dir
            .join("data")
            .join(dataset)
            .join(format!("{month}.csv"))
    }

    /// The first and last activity months the contract covers.
    pub fn months(&self) -> (Month, Month) {
        (Month::of(self.start), Month::of(self.end))
    }

    /// The datasets the contract's KPIs and challenge rules read (not `returns`), sorted.
    pub fn datasets_read(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .kpis
            .iter()
            .map(|k| k.dataset.as_str())
            .chain(self.challenges.iter().map(|c| c.dataset.as_str()))
            .filter(|d| *d != RETURNS)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    pub fn contact(&self, role: &str) -> Option<&Contact> {
        self.contacts.get(role)
    }
}

#[cfg(test)]
mod tests {
    use super::Contact;

    fn greet(name: &str) -> String {
        Contact::greeting(Some(&Contact {
            name: name.into(),
            ..Contact::default()
        }))
    }

    #[test]
    fn a_greeting_uses_title_and_surname_when_the_name_has_a_title() {
        assert_eq!(greet("Dr Amelia Hart"), "Dear Dr Hart");
        assert_eq!(greet("Prof. Ann de Vries Smith"), "Dear Prof. Smith");
        assert_eq!(greet("Sir John Major"), "Dear Sir John");
        assert_eq!(greet("Tom Reed"), "Dear Tom Reed");
        assert_eq!(greet("Dr Hart"), "Dear Dr Hart");
        assert_eq!(Contact::greeting(None), "Dear Sir or Madam");
        let own = Contact {
            name: "Dr Amelia Hart".into(),
            salutation: Some("Dear Amelia".into()),
            ..Contact::default()
        };
        assert_eq!(Contact::greeting(Some(&own)), "Dear Amelia");
    }
}
