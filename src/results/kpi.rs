//! KPI performance for a month (§4.4): actual, target, RAG, variance, excess, previous month,
//! year to date, consecutive red months and SPC, computed from a contract's month history.
//!
//! [`KpiResult`] is the one results struct that feeds the terminal table, the JSON, the CSV and
//! the letters, so they can never disagree.

use crate::model::calendar::Month;
use crate::model::contract::{
    Aggregate, Consequence, Contract, EscalateOn, Kpi, Measure, Variation,
};
use crate::model::money::Money;
use crate::model::named::named;
use crate::model::number;
use crate::model::target::Target;
use crate::pass::measures::{aggregate_value, Figure, MonthFigures};
use crate::pass::month::MonthData;
use crate::results::spc::{self, Assurance, Better, Signal};
use rust_decimal::Decimal;
use serde::Serialize;

named! {
    /// A KPI's rating for a month against the target and amber band in force.
    pub enum Rag {
        /// The target is met.
        Green = "green",
        /// The target is failed, but the amber band is met.
        Amber = "amber",
        /// The target is failed, and any amber band too.
        Red = "red",
        /// A dataset the KPI reads has no file for the month (§5.2a): not measured, never green.
        Missing = "missing",
        /// No target, or no activity to measure.
        None = "none",
    }
}

impl Rag {
    /// The rating as tables and letters show it: "Green", "Amber", "Red", "Missing", or "—".
    pub fn label(self) -> &'static str {
        match self {
            Rag::Green => "Green",
            Rag::Amber => "Amber",
            Rag::Red => "Red",
            Rag::Missing => "Missing",
            Rag::None => "—",
        }
    }

    /// Amber and red both fail the target (consequences apply to both).
    pub fn failing(self) -> bool {
        matches!(self, Rag::Amber | Rag::Red)
    }
}

named! {
    /// Where the consequence of a KPI (or of a line item) stands for the month.
    pub enum ConsequenceStatus {
        /// No consequence this month.
        None = "none",
        /// Deducted from the month's payment.
        Charged = "charged",
        /// Withheld from the month's payment until the requirement is met again.
        Withheld = "withheld",
        /// Due, but the contract suspends the consequence: nothing is taken.
        Suspended = "suspended",
        /// Due, but a relief in force for the month covers it: nothing is taken.
        Relieved = "relieved",
        /// Deducted or withheld, with a monthly or annual cap binding on the month's total.
        Capped = "capped",
        /// An incentive earned (CQUIN-like).
        Earned = "earned",
    }
}

/// The target, amber band and consequence in force for a month, and the variation that set them.
#[derive(Debug, Clone)]
pub struct Terms<'c> {
    /// The target in force, if any.
    pub target: Option<&'c Target>,
    /// The amber band in force, if any.
    pub amber: Option<&'c Target>,
    /// The consequence in force, if any.
    pub consequence: Option<&'c Consequence>,
    /// The latest variation of the KPI in force, if any.
    pub variation: Option<&'c Variation>,
}

/// The terms of `kpi` in force in `month`: variations apply from the month holding their
/// effective date, later ones over earlier ones, field by field.
pub fn terms<'c>(contract: &'c Contract, kpi: &'c Kpi, month: Month) -> Terms<'c> {
    let mut terms = Terms {
        target: kpi.target.as_ref(),
        amber: kpi.amber.as_ref(),
        consequence: kpi.consequence.as_ref(),
        variation: None,
    };
    let mut variations: Vec<&Variation> = contract
        .variations
        .iter()
        .filter(|v| v.kpi == kpi.id && Month::of(v.effective) <= month)
        .collect();
    variations.sort_by_key(|v| v.effective);
    for v in variations {
        if let Some(t) = &v.target {
            terms.target = Some(t);
        }
        if let Some(a) = &v.amber {
            terms.amber = Some(a);
        }
        if let Some(c) = &v.consequence {
            terms.consequence = Some(c);
        }
        terms.variation = Some(v);
    }
    terms
}

/// Green when `value` meets `target`, amber when it meets `amber`, red otherwise; none without
/// a value or a target.
pub fn rag(value: Option<Decimal>, target: Option<&Target>, amber: Option<&Target>) -> Rag {
    let (Some(v), Some(t)) = (value, target) else {
        return Rag::None;
    };
    if t.holds(v) {
        Rag::Green
    } else if amber.is_some_and(|a| a.holds(v)) {
        Rag::Amber
    } else {
        Rag::Red
    }
}

/// Service users (or units) beyond the threshold, for a failing month.
pub fn excess(kpi: &Kpi, figure: &Figure, target: &Target) -> Option<Decimal> {
    let value = figure.value?;
    let counts = figure.numerator.zip(figure.denominator);
    match &kpi.measure {
        Measure::Ratio { .. } => counts.map(|(n, d)| target.ratio_excess(n, d)),
        Measure::Count { .. }
        | Measure::Aggregate {
            aggregate: Aggregate::Sum,
            ..
        } => Some(target.count_excess(value)),
        // A mean, median or percentile counts no service users (the loader refuses
        // `per_excess` on them).
        Measure::Aggregate {
            aggregate: Aggregate::Mean | Aggregate::Median | Aggregate::Percentile(_),
            ..
        } => None,
        Measure::Returned => match counts {
            Some((n, d)) => Some(target.ratio_excess(n, d)),
            None if !target.percent => Some(target.count_excess(value)),
            None => None,
        },
    }
}

/// A KPI's figures over the financial year to date.
#[derive(Debug, Clone, Serialize)]
pub struct Ytd {
    /// The sum of the months' numerators (counts and sums included), if any month has one.
    #[serde(with = "number::option")]
    pub numerator: Option<Decimal>,
    /// The sum of the months' denominators, if any month has one.
    #[serde(with = "number::option")]
    pub denominator: Option<Decimal>,
    /// The year's actual: the summed numerators over the summed denominators for a ratio, the
    /// total for a count or sum, the pooled aggregate for a mean, median or percentile, the mean
    /// of the months for a returned value.
    #[serde(with = "number::option")]
    pub actual: Option<Decimal>,
    /// The months of the year with a figure.
    pub months: usize,
}

/// A KPI's SPC (XmR) chart up to the month, and how its latest point reads.
#[derive(Debug, Clone, Serialize)]
pub struct SpcResult {
    /// The centre line: the mean of the points; none with fewer than two points.
    #[serde(with = "number::option")]
    pub mean: Option<Decimal>,
    /// The lower process limit: the mean less 2.66 times the mean moving range.
    #[serde(with = "number::option")]
    pub lower: Option<Decimal>,
    /// The upper process limit: the mean plus 2.66 times the mean moving range.
    #[serde(with = "number::option")]
    pub upper: Option<Decimal>,
    /// The lower near limit, two thirds of the way from the mean to the lower limit.
    #[serde(with = "number::option")]
    pub near_lower: Option<Decimal>,
    /// The upper near limit, two thirds of the way from the mean to the upper limit.
    #[serde(with = "number::option")]
    pub near_upper: Option<Decimal>,
    /// The points the reading uses: the months with a figure in the current segment (from the
    /// contract's start, or from the KPI's latest `[[rebase]]`) up to the month.
    pub points: usize,
    /// Fewer than 12 points: the limits are trial limits.
    pub trial: bool,
    /// Every point the same (the moving ranges all zero): the limits collapse onto the mean, so
    /// the series supports no SPC reading and no assurance.
    pub no_variation: bool,
    /// Whether outlying moving ranges were screened out of the limits (the KPI's
    /// `screen_outliers`).
    pub screen_outliers: bool,
    /// How the month's point reads: improvement, concern, neutral or common cause; none without a
    /// figure for the month or limits to read it against.
    pub signal: Signal,
    /// The special-cause rule that labels the month's point, if any.
    pub special_cause: Option<spc::Rule>,
    /// Whether the limits show the target consistently met, consistently failed, or hit and miss.
    pub assurance: Assurance,
}

/// One KPI (or one group of a KPI with `by`) in one month.
#[derive(Debug, Clone, Serialize)]
pub struct KpiResult {
    /// The contract's id.
    pub contract: String,
    /// The activity month.
    pub month: Month,
    /// The KPI's id.
    pub kpi: String,
    /// The KPI's name, as the contract gives it.
    pub name: String,
    /// For a KPI with `by`, the group key; null otherwise (§5.2a).
    pub group: Option<String>,
    /// The KPI's group as the contract states it, whatever `by` says.
    pub category: String,
    /// The `by` group key, or null.
    pub by_group: Option<String>,
    /// What the KPI measures: `ratio`, `count`, `returned`, or the aggregate's name.
    pub measure: String,
    /// The target in force, as written (">= 95%"); null without one.
    pub target: Option<String>,
    /// The amber band in force, as written, if any.
    pub amber: Option<String>,
    /// Whether the actual reads as a percentage.
    pub percent: bool,
    /// The month's rating.
    pub rag: Rag,
    /// Measured, but nothing to measure (an empty denominator): neither met nor failed.
    pub no_activity: bool,
    /// Not measured: a dataset the KPI reads has no file for the month.
    pub missing: bool,
    /// The month's numerator (the count or sum, for those measures).
    #[serde(with = "number::option")]
    pub numerator: Option<Decimal>,
    /// The month's denominator, for a ratio.
    #[serde(with = "number::option")]
    pub denominator: Option<Decimal>,
    /// A fraction 0..1 for percentages.
    #[serde(with = "number::option")]
    pub actual: Option<Decimal>,
    /// actual − target: percentage points for percentages.
    #[serde(with = "number::option")]
    pub variance: Option<Decimal>,
    /// Service users (or units) beyond the threshold in a failing month; zero when the target is
    /// met; null when there is no figure or target, or the measure has no such count.
    #[serde(with = "number::option")]
    pub excess: Option<Decimal>,
    /// The previous month's actual, if it has one.
    #[serde(with = "number::option")]
    pub previous: Option<Decimal>,
    /// The actual less the previous month's.
    #[serde(with = "number::option")]
    pub change: Option<Decimal>,
    /// The financial year to date.
    pub ytd: Ytd,
    /// Consecutive red months, ending with this one.
    pub consecutive_red: u32,
    /// Consecutive months failing the target (amber or red), for `after = N`.
    pub consecutive_failing: u32,
    /// The run the escalation ladder counts: failing months, or red ones under
    /// `escalate_on = "red"`; zero for a KPI outside the ladder.
    pub escalation_run: u32,
    /// The month's consequence, in pounds, before any cap: a deduction or withholding, or the
    /// incentive earned.
    pub consequence: Money,
    /// Where the consequence stands.
    pub consequence_status: ConsequenceStatus,
    /// How the consequence was worked out, in words (for explain and letters).
    pub consequence_basis: String,
    /// The SPC chart of the KPI up to this month.
    pub spc: SpcResult,
    /// The variation in force, named by its effective date and reason.
    pub variation: Option<String>,
    /// The relief in force this month.
    pub relief: Option<String>,
    /// Whether the KPI counts towards the escalation ladder (its `escalate`).
    pub escalate: bool,
    /// The pass's figure behind the result, with its first record keys (not serialised).
    #[serde(skip)]
    pub figure: Figure,
}

impl KpiResult {
    /// The target in force, parsed.
    pub(crate) fn target_in_force(&self) -> Option<Target> {
        self.target.as_deref().and_then(|t| Target::parse(t).ok())
    }

    /// The target in force as a letter prints it ("≥ 95%"), or "—" without one.
    pub fn target_display(&self) -> String {
        self.target_in_force()
            .map_or_else(|| "—".to_string(), |t| t.display())
    }

    /// The KPI's name as letters show it: with its group, for a KPI measured `by` a column.
    pub fn display_name(&self) -> String {
        match &self.by_group {
            Some(g) => format!("{} ({g})", self.name),
            None => self.name.clone(),
        }
    }

    /// The actual as a person reads it ("91.2%", "4.54"), with as many decimals as it takes
    /// for the figure shown to meet or fail its target as the exact figure does: 98.47% against
    /// ≥ 98.5% shows as 98.47%, never 98.5%. "data missing" or "no activity" without a value.
    pub fn actual_display(&self) -> String {
        if self.missing {
            return "data missing".into();
        }
        match self.actual {
            None => "no activity".into(),
            Some(v) => shown_against(v, self.percent, self.target_in_force().as_ref()),
        }
    }

    /// The variance as the letter's own figures give it: the actual as shown minus the target,
    /// in percentage points or units, so a reader subtracting the two columns gets it; never
    /// shown as zero unless the actual meets the threshold exactly.
    pub fn variance_display(&self) -> String {
        let (Some(actual), Some(target), Some(_)) =
            (self.actual, self.target_in_force(), self.variance)
        else {
            return "—".into();
        };
        let scale = if self.percent {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::ONE
        };
        let (shown, places) = shown_value(actual, self.percent, Some(&target));
        let difference = shown - target.threshold * scale;
        if self.percent {
            format!("{} pp", signed(difference, places.max(1)))
        } else {
            signed(difference, places)
        }
    }
}

/// `v` (already rounded as shown) with a sign, to `places` decimal places.
fn signed(v: Decimal, places: u32) -> String {
    let sign = if v.is_zero() {
        ""
    } else if v.is_sign_negative() {
        "−"
    } else {
        "+"
    };
    format!("{sign}{:.*}", places as usize, v.abs())
}

fn round(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The fewest places from `from` (at most 8) at which the rounded `v` satisfies `faithful`.
fn places_to_show(v: Decimal, from: u32, faithful: impl Fn(Decimal) -> bool) -> u32 {
    (from..=8).find(|&dp| faithful(round(v, dp))).unwrap_or(8)
}

/// A value as a letter shows it against its target: a percentage to one decimal place (a
/// number to two), or more when fewer would show a failing figure as meeting the target, or a
/// figure off the threshold as on it.
pub fn shown_against(value: Decimal, percent: bool, target: Option<&Target>) -> String {
    let (shown, places) = shown_value(value, percent, target);
    if percent {
        format!("{:.*}%", places as usize, shown)
    } else {
        format!("{:.*}", places as usize, shown)
    }
}

/// The figure [`shown_against`] shows (in percent for percentages) and its decimal places:
/// one for a percentage, up to two for a number (none for a whole one), more when needed.
fn shown_value(value: Decimal, percent: bool, target: Option<&Target>) -> (Decimal, u32) {
    let scale = if percent {
        Decimal::ONE_HUNDRED
    } else {
        Decimal::ONE
    };
    let faithful = |shown: Decimal| {
        let as_value = shown / scale;
        target.is_none_or(|t| {
            t.holds(as_value) == t.holds(value)
                && ((as_value == t.threshold) == (value == t.threshold))
        })
    };
    let from = if percent { 1 } else { 2 };
    let places = places_to_show(value * scale, from, faithful);
    let shown = round(value * scale, places);
    if percent {
        (shown, places)
    } else {
        // 4.50 reads as 4.5, and a whole number has no decimals, unless precision is needed.
        let normal = shown.normalize();
        (normal, normal.scale().min(places))
    }
}

/// A value as tables show it with no target to judge it by (a percentage to one decimal place,
/// a number to at most two), or "no activity" for none.
pub fn display_value(value: Option<Decimal>, percent: bool) -> String {
    match value {
        None => "no activity".into(),
        Some(v) => shown_against(v, percent, None),
    }
}

fn measure_name(kpi: &Kpi) -> String {
    match &kpi.measure {
        Measure::Ratio { .. } => "ratio".into(),
        Measure::Count { .. } => "count".into(),
        Measure::Aggregate { aggregate, .. } => aggregate.name(),
        Measure::Returned => "returned".into(),
    }
}

fn groups_in(figures: Option<&MonthFigures>) -> Vec<Option<String>> {
    match figures {
        Some(MonthFigures::Grouped(g)) => g.keys().cloned().map(Some).collect(),
        Some(MonthFigures::Single(_)) | None => vec![None],
    }
}

/// Every KPI's results for `month`, from `history` (months ascending, ending at or before
/// `month`). Consequences are filled in afterwards by [`crate::results::consequences`].
pub fn evaluate(
    contract: &Contract,
    history: &[std::sync::Arc<MonthData>],
    month: Month,
) -> Vec<KpiResult> {
    let upto: Vec<&MonthData> = history
        .iter()
        .map(|m| m.as_ref())
        .filter(|m| m.month <= month)
        .collect();
    let current = upto.last().filter(|m| m.month == month);
    let mut results = Vec::new();
    for kpi in &contract.kpis {
        let figures = current.and_then(|m| m.kpis.get(&kpi.id));
        let grouped = matches!(kpi.measure, Measure::Ratio { by: Some(_), .. });
        let groups = if grouped && figures.is_some() {
            groups_in(figures)
        } else {
            vec![None]
        };
        for group in groups {
            results.push(evaluate_one(
                contract,
                kpi,
                &upto,
                month,
                group,
                figures.is_none(),
            ));
        }
    }
    results
}

fn evaluate_one(
    contract: &Contract,
    kpi: &Kpi,
    upto: &[&MonthData],
    month: Month,
    group: Option<String>,
    missing: bool,
) -> KpiResult {
    let terms = terms(contract, kpi, month);
    let series: Vec<(Month, Figure)> = upto
        .iter()
        .filter_map(|m| {
            m.figure(&kpi.id, group.as_deref())
                .map(|f| (m.month, f.clone()))
        })
        .collect();
    let figure = series
        .last()
        .filter(|(m, _)| *m == month)
        .map(|(_, f)| f.clone())
        .unwrap_or_default();
    let percent = terms.target.map_or(
        kpi.measure.is_ratio() || figure.denominator.is_some(),
        |t| t.percent,
    );
    let rag_now = if missing {
        Rag::Missing
    } else {
        rag(figure.value, terms.target, terms.amber)
    };
    let variance = figure.value.zip(terms.target).map(|(v, t)| t.variance(v));
    let excess_now = match (figure.value, terms.target) {
        (Some(_), Some(t)) if rag_now.failing() => excess(kpi, &figure, t),
        (Some(_), Some(_)) => Some(Decimal::ZERO),
        _ => None,
    };
    // Consecutive measured months ending at `month`. A month whose data is missing neither
    // counts nor breaks a run (withholding data must not reset the escalation ladder), but a
    // month with data missing is itself in no run.
    let run = |pred: &dyn Fn(Rag) -> bool| -> u32 {
        if missing {
            return 0;
        }
        let mut count = 0;
        for (m, f) in series.iter().rev() {
            let t = self::terms(contract, kpi, *m);
            if !pred(rag(f.value, t.target, t.amber)) {
                break;
            }
            count += 1;
        }
        count
    };
    let consecutive_red = run(&|r| r == Rag::Red);
    let consecutive_failing = run(&|r| r.failing());
    let escalation_run = match (kpi.escalate, contract.escalate_on) {
        (false, _) => 0,
        (true, EscalateOn::Failing) => consecutive_failing,
        (true, EscalateOn::Red) => consecutive_red,
    };
    let previous = series
        .iter()
        .find(|(m, _)| *m == month.previous())
        .and_then(|(_, f)| f.value);
    let change = figure.value.zip(previous).map(|(a, b)| a - b);
    let fy_start = month.financial_year_start();
    let year: Vec<&Figure> = series
        .iter()
        .filter(|(m, _)| *m >= fy_start && *m <= month)
        .map(|(_, f)| f)
        .collect();
    let ytd = year_to_date(kpi, &year);
    let segment_start = contract
        .rebases_of(&kpi.id)
        .into_iter()
        .map(|(m, _)| m)
        .filter(|m| *m <= month)
        .max();
    let spc = spc_for(kpi, &series, month, terms.target, segment_start);
    let relief = contract
        .reliefs
        .iter()
        .find(|r| r.kpi == kpi.id && r.months.contains(&month))
        .map(|r| r.reason.clone());
    KpiResult {
        contract: contract.id.clone(),
        month,
        kpi: kpi.id.clone(),
        name: kpi.name.clone(),
        group: group.clone(),
        category: kpi.group.clone(),
        by_group: group,
        measure: measure_name(kpi),
        target: terms.target.map(|t| t.text.clone()),
        amber: terms.amber.map(|t| t.text.clone()),
        percent,
        rag: rag_now,
        no_activity: figure.value.is_none() && !missing,
        missing,
        numerator: figure.numerator,
        denominator: figure.denominator,
        actual: figure.value,
        variance,
        excess: excess_now,
        previous,
        change,
        ytd,
        consecutive_red,
        consecutive_failing,
        escalation_run,
        consequence: Money::ZERO,
        consequence_status: ConsequenceStatus::None,
        consequence_basis: String::new(),
        spc,
        variation: terms.variation.map(|v| {
            let effective = v.effective.format("%-d %B %Y");
            if v.reason.is_empty() {
                format!("variation effective {effective}")
            } else {
                format!("variation effective {effective} ({})", v.reason)
            }
        }),
        relief,
        escalate: kpi.escalate,
        figure,
    }
}

fn year_to_date(kpi: &Kpi, year: &[&Figure]) -> Ytd {
    let months = year.iter().filter(|f| f.value.is_some()).count();
    let sum = |get: &dyn Fn(&Figure) -> Option<Decimal>| -> Option<Decimal> {
        let parts: Vec<Decimal> = year.iter().filter_map(|f| get(f)).collect();
        (!parts.is_empty()).then(|| parts.iter().copied().sum())
    };
    let numerator = sum(&|f| f.numerator);
    let denominator = sum(&|f| f.denominator);
    let pooled_ratio = || {
        numerator
            .zip(denominator)
            .and_then(|(n, d)| (!d.is_zero()).then(|| n / d))
    };
    let actual = match &kpi.measure {
        Measure::Ratio { .. } => pooled_ratio(),
        Measure::Count { .. }
        | Measure::Aggregate {
            aggregate: Aggregate::Sum,
            ..
        } => numerator,
        Measure::Aggregate {
            aggregate: aggregate @ (Aggregate::Mean | Aggregate::Median | Aggregate::Percentile(_)),
            ..
        } => {
            let mut pooled: Vec<Decimal> =
                year.iter().flat_map(|f| f.values.iter().copied()).collect();
            aggregate_value(*aggregate, &mut pooled)
        }
        // A return that gives counts pools as a ratio; bare values average over the months
        // returned.
        Measure::Returned if denominator.is_some() => pooled_ratio(),
        Measure::Returned => {
            let values: Vec<Decimal> = year.iter().filter_map(|f| f.value).collect();
            (!values.is_empty())
                .then(|| values.iter().copied().sum::<Decimal>() / Decimal::from(values.len()))
        }
    };
    Ytd {
        numerator,
        denominator,
        actual,
        months,
    }
}

fn spc_for(
    kpi: &Kpi,
    series: &[(Month, Figure)],
    month: Month,
    target: Option<&Target>,
    segment_start: Option<Month>,
) -> SpcResult {
    // The current segment only: a `[[rebase]]` starts the mean and limits afresh.
    let values: Vec<Decimal> = series
        .iter()
        .filter(|(m, _)| segment_start.is_none_or(|s| *m >= s))
        .filter_map(|(_, f)| f.value)
        .collect();
    let has_current = series
        .last()
        .is_some_and(|(m, f)| *m == month && f.value.is_some());
    let better = Better::of(target);
    let empty = SpcResult {
        mean: None,
        lower: None,
        upper: None,
        near_lower: None,
        near_upper: None,
        points: values.len(),
        trial: values.len() < spc::TRIAL_BELOW,
        no_variation: false,
        screen_outliers: kpi.screen_outliers,
        signal: Signal::None,
        special_cause: None,
        assurance: Assurance::None,
    };
    let Some(limits) = spc::limits(&values, kpi.screen_outliers) else {
        return empty;
    };
    if limits.upper == limits.lower {
        return SpcResult {
            mean: Some(limits.mean),
            no_variation: true,
            ..empty
        };
    }
    let causes = spc::special_causes(&values, &limits);
    let last = if has_current {
        causes.last().copied().flatten()
    } else {
        None
    };
    SpcResult {
        mean: Some(limits.mean),
        lower: Some(limits.lower),
        upper: Some(limits.upper),
        near_lower: Some(limits.near_lower),
        near_upper: Some(limits.near_upper),
        signal: if has_current {
            spc::reading(last, better)
        } else {
            Signal::None
        },
        special_cause: last.map(|c| c.rule),
        assurance: spc::assurance(&limits, target.map(|t| t.threshold), better),
        ..empty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// A failing figure never reads as meeting its target, nor a figure off the threshold as
    /// on it; otherwise one decimal place for percentages, two for numbers.
    #[test]
    fn figures_show_as_many_decimals_as_their_target_needs() {
        let t = |text: &str| Target::parse(text).unwrap();
        for (value, percent, target, shown) in [
            ("0.98471", true, Some(">= 98.5%"), "98.47%"),
            ("0.98499", true, Some(">= 98.5%"), "98.499%"),
            ("0.985", true, Some(">= 98.5%"), "98.5%"),
            ("0.98512", true, Some(">= 98.5%"), "98.51%"),
            ("0.9123", true, Some(">= 95%"), "91.2%"),
            ("0.9123", true, None, "91.2%"),
            ("0.04999", true, Some("<= 5%"), "4.999%"),
            ("0.05001", true, Some("<= 5%"), "5.001%"),
            ("5.504", false, Some("<= 5.5"), "5.504"),
            ("4.5", false, Some("<= 5.5"), "4.5"),
            ("2", false, Some("= 0"), "2"),
        ] {
            let target = target.map(t);
            assert_eq!(
                shown_against(d(value), percent, target.as_ref()),
                shown,
                "{value} against {target:?}"
            );
        }
    }

    #[test]
    fn the_variance_is_the_shown_actual_less_the_target() {
        let result = |actual: &str, target: &str, percent: bool| KpiResult {
            actual: Some(d(actual)),
            target: Some(target.into()),
            variance: Some(Target::parse(target).unwrap().variance(d(actual))),
            percent,
            ..blank()
        };
        // 98.47% against 98.5%: −0.03 pp, never 0.0 pp.
        assert_eq!(
            result("0.98471", ">= 98.5%", true).variance_display(),
            "−0.03 pp"
        );
        // 89.75% shows as 89.8%, and 89.8 − 92.0 is −2.2 as a reader works it out.
        assert_eq!(
            result("0.8975", ">= 92%", true).variance_display(),
            "−2.2 pp"
        );
        assert_eq!(result("0.95", ">= 95%", true).variance_display(), "0.0 pp");
        assert_eq!(result("4.61", "<= 5.5", false).variance_display(), "−0.89");
        assert_eq!(result("9", "= 0", false).variance_display(), "+9");
    }

    fn blank() -> KpiResult {
        KpiResult {
            contract: String::new(),
            month: "2026-04".parse().unwrap(),
            kpi: String::new(),
            name: String::new(),
            group: None,
            category: String::new(),
            by_group: None,
            measure: String::new(),
            target: None,
            amber: None,
            percent: false,
            rag: Rag::None,
            no_activity: false,
            missing: false,
            numerator: None,
            denominator: None,
            actual: None,
            variance: None,
            excess: None,
            previous: None,
            change: None,
            ytd: Ytd {
                numerator: None,
                denominator: None,
                actual: None,
                months: 0,
            },
            consecutive_red: 0,
            consecutive_failing: 0,
            escalation_run: 0,
            consequence: Money::ZERO,
            consequence_status: ConsequenceStatus::None,
            consequence_basis: String::new(),
            spc: SpcResult {
                mean: None,
                lower: None,
                upper: None,
                near_lower: None,
                near_upper: None,
                points: 0,
                trial: true,
                no_variation: false,
                screen_outliers: true,
                signal: Signal::None,
                special_cause: None,
                assurance: Assurance::None,
            },
            variation: None,
            relief: None,
            escalate: true,
            figure: Figure::default(),
        }
    }
}
