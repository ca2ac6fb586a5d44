//! Consequences (§4.5, §4.5a, §4.7): what each failed KPI, escalation step and information
//! breach costs, the withholding ledger, incentives, relief, and the monthly and annual caps.
//!
//! The financial position of a month is a fold over the contract's months from its start,
//! because withholdings carry forward until released and the annual cap counts the financial
//! year so far. Every line item is rounded half-up to the penny once; totals are sums of rounded
//! items; caps are applied after rounding, the monthly cap first, then the annual cap, each as
//! one negative adjustment line, with every item keeping its full amount and the status
//! `capped`.

use crate::model::calendar::Month;
use crate::model::contract::{Cap, Consequence, ConsequenceForm, Contract, Mode, MonthlyValue};
use crate::model::money::Money;
use crate::model::target::{Op, Target};
use crate::results::information::InformationResult;
use crate::results::kpi::{terms, ConsequenceStatus, KpiResult, Rag};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Kpi,
    Escalation,
    Information,
    Incentive,
    Release,
    /// A GC9 case's withholding (§4.9): the plan overdue or a milestone missed at month end.
    Case,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineItem {
    pub kind: ItemKind,
    /// The KPI, or the dataset for information.
    pub source: String,
    pub group: Option<String>,
    pub description: String,
    /// Rounded to the penny; positive (a release or incentive is paid to the provider).
    pub amount: Money,
    /// What is taken after the month's caps, this item's share of the capped total (the
    /// amount itself when no cap binds, or for releases and incentives).
    pub after_cap: Money,
    pub status: ConsequenceStatus,
    /// Deduct or withhold, for penalties; none for releases and incentives.
    pub mode: Option<Mode>,
    /// The arithmetic, in words.
    pub basis: String,
}

impl LineItem {
    /// Counts towards the month's deductions and withholdings (and so the caps).
    pub fn counts_towards_cap(&self) -> bool {
        matches!(
            self.kind,
            ItemKind::Kpi | ItemKind::Escalation | ItemKind::Information | ItemKind::Case
        ) && matches!(
            self.status,
            ConsequenceStatus::Charged | ConsequenceStatus::Withheld | ConsequenceStatus::Capped
        )
    }
}

/// A sum held back, and when it was released.
#[derive(Debug, Clone, Serialize)]
pub struct Withholding {
    pub kind: ItemKind,
    pub source: String,
    /// What the sum was withheld for, in words (the KPI or the information breach).
    pub description: String,
    pub month: Month,
    /// What the ledger holds: the line's amount scaled by any cap that bound that month.
    pub amount: Money,
    /// The line's amount before the month's caps, and its arithmetic in words.
    #[serde(skip)]
    pub before_cap: (Money, String),
    pub released_in: Option<Month>,
    /// The month a GC9 case's withholding was retained for good (never released).
    pub retained_in: Option<Month>,
    #[serde(skip)]
    release_after: Option<Month>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Position {
    pub month: Month,
    pub monthly_value: Money,
    pub items: Vec<LineItem>,
    pub deductions: Money,
    pub withholdings: Money,
    pub releases: Money,
    pub incentives: Money,
    pub suspended: Money,
    pub relieved: Money,
    /// Deductions and withholdings before any cap.
    pub total_before_cap: Money,
    pub monthly_cap: Option<Money>,
    /// Zero or negative.
    pub cap_adjustment: Money,
    pub annual_cap: Option<Money>,
    /// Zero or negative.
    pub annual_cap_adjustment: Money,
    /// Deductions and withholdings after caps in the financial year so far, this month
    /// included, less the sums withheld this year and since released: what the annual cap
    /// has taken and kept.
    pub annual_cap_used: Money,
    /// Deductions and withholdings after both caps.
    pub total_after_cap: Money,
    /// The deductions and the withholdings within `total_after_cap`: the capped total shared
    /// among the items in proportion, to the penny.
    pub deductions_after_cap: Money,
    pub withholdings_after_cap: Money,
    /// Withholdings still held at the end of the month (all months so far).
    pub held: Money,
}

impl Position {
    /// The change to the month's payment from consequences: incentives and releases paid,
    /// penalties after caps taken (negative means less is paid).
    pub fn consequences_net(&self) -> Money {
        self.incentives + self.releases - self.total_after_cap
    }
}

/// The month's value: planned (annual / 12) or actual (the activity value column's sum).
pub(crate) fn monthly_value(contract: &Contract, value_total: Option<Money>) -> Money {
    match contract.monthly_value {
        MonthlyValue::Planned => {
            Money::from_decimal(contract.annual_value.amount() / Decimal::from(12))
        }
        MonthlyValue::Actual => value_total.unwrap_or(Money::ZERO),
    }
}

fn cap_amount(cap: Cap, base: Money) -> Money {
    match cap {
        Cap::Percent(p) => base.times(p).round_to_penny(),
        Cap::Amount(a) => a,
    }
}

/// The amount a consequence form gives before status (rounded once) and its basis in words.
pub(crate) fn amount(
    contract: &Contract,
    result: &KpiResult,
    target: Option<&Target>,
    consequence: &Consequence,
    value: Money,
) -> (Money, String) {
    match &consequence.form {
        ConsequenceForm::PerExcess { rate, floor } => {
            let excess = result.excess.unwrap_or_default();
            let mut charged = excess;
            let mut basis = String::new();
            if let (Some(floor), Some(den), Some(target)) = (floor, result.denominator, target) {
                if matches!(target.op, Op::Ge | Op::Gt) {
                    let limit = ((target.threshold * den).ceil() - (*floor * den).ceil())
                        .max(Decimal::ZERO);
                    if excess > limit {
                        charged = limit;
                        basis = format!(
                            " (excess {} capped at {} by the {} floor: ⌈{}×{}⌉ − ⌈{}×{}⌉)",
                            excess.normalize(),
                            limit.normalize(),
                            crate::model::money::percent_1dp(*floor),
                            target.threshold.normalize(),
                            den.normalize(),
                            floor.normalize(),
                            den.normalize()
                        );
                    }
                }
            }
            let amount = rate.times(charged).round_to_penny();
            (amount, format!("{} × {}{basis}", charged.normalize(), rate))
        }
        form @ (ConsequenceForm::Fixed(_) | ConsequenceForm::PercentOfMonthlyValue(_)) => {
            flat_amount(form, value).expect("a flat form has an amount")
        }
        ConsequenceForm::Incentive {
            earn,
            floor,
            ceiling,
        } => {
            let available =
                Money::from_decimal(contract.annual_value.amount() * *earn / Decimal::from(12));
            let achieved = result.actual.unwrap_or_default();
            let share = ((achieved - floor) / (ceiling - floor)).clamp(Decimal::ZERO, Decimal::ONE);
            let amount = available.times(share).round_to_penny();
            (
                amount,
                format!(
                    "{} of {} available ({} of annual value / 12), achievement {} between {} and {}",
                    crate::model::money::percent_1dp(share),
                    available.round_to_penny(),
                    crate::model::money::percent_1dp(*earn),
                    crate::model::money::percent_1dp(achieved),
                    crate::model::money::percent_1dp(*floor),
                    crate::model::money::percent_1dp(*ceiling)
                ),
            )
        }
    }
}

/// The amount of a form that does not depend on a KPI's figures (fixed, or a percentage of the
/// month's value), rounded once, with its basis; `None` for the other forms.
fn flat_amount(form: &ConsequenceForm, value: Money) -> Option<(Money, String)> {
    match form {
        ConsequenceForm::Fixed(a) => Some((*a, format!("fixed {a}"))),
        ConsequenceForm::PercentOfMonthlyValue(p) => Some((
            value.times(*p).round_to_penny(),
            format!(
                "{} of the monthly value {}",
                crate::model::money::percent_1dp(*p),
                value
            ),
        )),
        ConsequenceForm::PerExcess { .. } | ConsequenceForm::Incentive { .. } => None,
    }
}

fn status_of(consequence: &Consequence, relieved: bool) -> ConsequenceStatus {
    if relieved {
        ConsequenceStatus::Relieved
    } else if consequence.suspended {
        ConsequenceStatus::Suspended
    } else if consequence.mode == Mode::Withhold {
        ConsequenceStatus::Withheld
    } else {
        ConsequenceStatus::Charged
    }
}

/// One month's inputs to the fold.
/// A GC9 case as it stood at the end of a month, for the ledger.
#[derive(Debug, Clone)]
pub(crate) struct CaseAtMonthEnd {
    /// The case id.
    pub id: String,
    /// Why the month withholds, and the share of the monthly value: the plan overdue, or a
    /// milestone missed, at the month's end.
    pub withholds: Option<(String, rust_decimal::Decimal)>,
    /// Remedied, closed or withdrawn by the month's end: its withholdings are released.
    pub ended: bool,
    /// The date of its first exception report (the working day after the first milestone
    /// missed), if one is due by the month's end.
    pub first_exception: Option<chrono::NaiveDate>,
}

pub(crate) struct MonthInput<'a> {
    /// The GC9 cases at the month's end (none for a month not yet ended).
    pub cases: Vec<CaseAtMonthEnd>,
    pub month: Month,
    pub kpis: &'a mut Vec<KpiResult>,
    pub information: &'a [InformationResult],
    /// The sum of the activity value column, for `monthly_value = "actual"`.
    pub value_total: Option<Money>,
}

/// Folds the months (ascending, from the contract's start) into their financial positions,
/// filling each KPI result's `consequence`, `consequence_status` and `consequence_basis`.
pub(crate) fn positions(
    contract: &Contract,
    months: Vec<MonthInput<'_>>,
) -> (Vec<Position>, Vec<Withholding>) {
    let mut ledger: Vec<Withholding> = Vec::new();
    let mut positions: Vec<Position> = Vec::new();
    for input in months {
        let month = input.month;
        let value = monthly_value(contract, input.value_total);
        let mut items: Vec<LineItem> = Vec::new();

        // Releases first: sums withheld in earlier months whose condition is now met.
        for w in ledger
            .iter_mut()
            .filter(|w| w.released_in.is_none() && w.retained_in.is_none() && w.month < month)
        {
            let met = match w.kind {
                ItemKind::Information => w.release_after.is_some_and(|m| m <= month),
                ItemKind::Case => input.cases.iter().any(|c| c.id == w.source && c.ended),
                ItemKind::Kpi | ItemKind::Escalation | ItemKind::Incentive | ItemKind::Release => {
                    input
                        .kpis
                        .iter()
                        .any(|r| r.kpi == w.source && r.rag == Rag::Green)
                }
            };
            if met {
                w.released_in = Some(month);
                items.push(LineItem {
                    after_cap: Money::ZERO,
                    kind: ItemKind::Release,
                    source: w.source.clone(),
                    group: None,
                    description: format!(
                        "Release of the sum withheld in {} for {}",
                        w.month.long_name(),
                        w.description
                    ),
                    amount: w.amount,
                    status: ConsequenceStatus::None,
                    mode: None,
                    basis: match w.kind {
                        ItemKind::Information => "the data has been received".into(),
                        ItemKind::Case => format!(
                            "the case was remedied, closed or withdrawn by the end of {}",
                            month.long_name()
                        ),
                        ItemKind::Kpi
                        | ItemKind::Escalation
                        | ItemKind::Incentive
                        | ItemKind::Release => {
                            format!("the requirement was met again in {}", month.long_name())
                        }
                    },
                });
            }
        }

        for result in input.kpis.iter_mut() {
            let Some(kpi) = contract.kpi(&result.kpi) else {
                continue;
            };
            let t = terms(contract, kpi, month);
            let Some(consequence) = t.consequence else {
                continue;
            };
            if result.no_activity {
                continue;
            }
            if let ConsequenceForm::Incentive { .. } = consequence.form {
                let (amount, basis) = amount(contract, result, t.target, consequence, value);
                result.consequence = amount;
                result.consequence_status = if amount.is_zero() {
                    ConsequenceStatus::None
                } else {
                    ConsequenceStatus::Earned
                };
                result.consequence_basis = basis.clone();
                if !amount.is_zero() {
                    items.push(LineItem {
                        after_cap: Money::ZERO,
                        kind: ItemKind::Incentive,
                        source: kpi.id.clone(),
                        group: result.by_group.clone(),
                        description: kpi.name.clone(),
                        amount,
                        status: ConsequenceStatus::Earned,
                        mode: None,
                        basis,
                    });
                }
                continue;
            }
            if !result.rag.failing() {
                continue;
            }
            if result.consecutive_failing < consequence.after {
                result.consequence_basis = format!(
                    "applies from the {} consecutive failing month; this is the {}",
                    crate::model::number::ordinal(consequence.after),
                    crate::model::number::ordinal(result.consecutive_failing)
                );
                continue;
            }
            let (amount, basis) = amount(contract, result, t.target, consequence, value);
            let status = status_of(consequence, result.relief.is_some());
            result.consequence = amount;
            result.consequence_status = status;
            result.consequence_basis = basis.clone();
            items.push(LineItem {
                after_cap: Money::ZERO,
                kind: ItemKind::Kpi,
                source: kpi.id.clone(),
                group: result.by_group.clone(),
                description: kpi.name.clone(),
                amount,
                status,
                mode: Some(consequence.mode),
                basis,
            });
        }

        // Escalation steps with a consequence of their own, for each KPI that has reached them.
        for result in input.kpis.iter().filter(|r| r.escalation_run > 0) {
            for (_, step) in
                crate::results::escalation::steps_reached(contract, result.escalation_run)
            {
                let Some(consequence) = &step.consequence else {
                    continue;
                };
                let Some((amount, basis)) = flat_amount(&consequence.form, value) else {
                    continue;
                };
                let status = status_of(consequence, result.relief.is_some());
                items.push(LineItem {
                    after_cap: Money::ZERO,
                    kind: ItemKind::Escalation,
                    source: result.kpi.clone(),
                    group: result.by_group.clone(),
                    description: format!("{} (escalation: {})", result.name, step.step),
                    amount,
                    status,
                    mode: Some(consequence.mode),
                    basis: format!("{basis}; failing {} months running", result.escalation_run),
                });
            }
        }

        for (requirement, info) in contract.information.iter().zip(input.information) {
            let Some(consequence) = &requirement.consequence else {
                continue;
            };
            if !info.is_breach() {
                continue;
            }
            let Some((amount, basis)) = flat_amount(&consequence.form, value) else {
                continue;
            };
            let status = status_of(consequence, false);
            let long = crate::model::calendar::long_date;
            let (what, when) = match (info.status, info.received) {
                (crate::results::information::Provision::Late, Some(r)) => (
                    "late",
                    format!("received {}, due {}", long(r), long(info.due)),
                ),
                _ => ("missing", format!("not received by {}", long(info.due))),
            };
            items.push(LineItem {
                after_cap: Money::ZERO,
                kind: ItemKind::Information,
                source: info.dataset.clone(),
                group: None,
                description: format!(
                    "the {what} {} data for {} ({when})",
                    info.dataset,
                    month.long_name(),
                ),
                amount,
                status,
                mode: Some(consequence.mode),
                basis,
            });
        }

        // GC9 cases: a month ending with the plan overdue or a milestone missed withholds a
        // share of the month's value, under the caps as any consequence (§4.9).
        for case in &input.cases {
            let Some((reason, rate)) = &case.withholds else {
                continue;
            };
            let rate = *rate;
            items.push(LineItem {
                after_cap: Money::ZERO,
                kind: ItemKind::Case,
                source: case.id.clone(),
                group: None,
                description: format!(
                    "GC9 case {}: {reason} at the end of {}",
                    case.id,
                    month.long_name()
                ),
                amount: value.times(rate).round_to_penny(),
                status: ConsequenceStatus::Withheld,
                mode: Some(Mode::Withhold),
                basis: format!(
                    "{} of the monthly value {}",
                    crate::model::money::percent_1dp(rate),
                    value.round_to_penny()
                ),
            });
        }

        let sum = |items: &[LineItem], pred: &dyn Fn(&LineItem) -> bool| -> Money {
            items.iter().filter(|i| pred(i)).map(|i| i.amount).sum()
        };
        let total_before_cap = sum(&items, &|i| i.counts_towards_cap());
        let monthly_cap = contract.monthly_cap.map(|c| cap_amount(c, value));
        let mut after_monthly = total_before_cap;
        if let Some(cap) = monthly_cap {
            after_monthly = after_monthly.min(cap);
        }
        let cap_adjustment = after_monthly - total_before_cap;
        let annual_cap = contract.annual_cap.map(|c| {
            // The annual cap is on the planned annual value, whichever monthly value the contract uses.
            let annual_base = contract.annual_value;
            cap_amount(c, annual_base)
        });
        let year_start = month.financial_year_start();
        // The annual cap bounds what the year keeps: a sum withheld this financial year and
        // since released (this month's releases included) gives its room back.
        let released_this_year: Money = ledger
            .iter()
            .filter(|w| w.month >= year_start && w.released_in.is_some())
            .map(|w| w.amount)
            .sum();
        let year_so_far: Money = positions
            .iter()
            .filter(|p| p.month >= year_start)
            .map(|p| p.total_after_cap)
            .sum::<Money>()
            - released_this_year;
        let mut total_after_cap = after_monthly;
        if let Some(cap) = annual_cap {
            let room = (cap - year_so_far).max(Money::ZERO);
            total_after_cap = total_after_cap.min(room);
        }
        let annual_cap_adjustment = total_after_cap - after_monthly;
        if total_after_cap < total_before_cap {
            for item in items.iter_mut().filter(|i| i.counts_towards_cap()) {
                item.status = ConsequenceStatus::Capped;
            }
            for result in input.kpis.iter_mut().filter(|r| {
                matches!(
                    r.consequence_status,
                    ConsequenceStatus::Charged | ConsequenceStatus::Withheld
                )
            }) {
                result.consequence_status = ConsequenceStatus::Capped;
            }
        }

        // The capped total is shared among the items in proportion, to the penny: what each
        // withholding holds back (and later releases) is its share, and the shares add up to
        // the capped total exactly.
        for item in items.iter_mut() {
            item.after_cap = item.amount;
        }
        let capped: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].counts_towards_cap())
            .collect();
        let amounts: Vec<Money> = capped.iter().map(|&i| items[i].amount).collect();
        for (&i, share) in capped
            .iter()
            .zip(crate::model::money::apportion(&amounts, total_after_cap))
        {
            items[i].after_cap = share;
        }
        for item in &items {
            if item.mode != Some(Mode::Withhold) || !item.counts_towards_cap() {
                continue;
            }
            let release_after = match item.kind {
                ItemKind::Information => input
                    .information
                    .iter()
                    .find(|i| i.dataset == item.source)
                    .and_then(|i| i.received)
                    .map(|r| Month::of(r).max(month.next())),
                // Released when the KPI is met again, or the case remedied: not at a known
                // month.
                ItemKind::Kpi
                | ItemKind::Escalation
                | ItemKind::Incentive
                | ItemKind::Release
                | ItemKind::Case => None,
            };
            ledger.push(Withholding {
                kind: item.kind,
                source: item.source.clone(),
                description: item.description.clone(),
                month,
                amount: item.after_cap,
                before_cap: (item.amount, item.basis.clone()),
                released_in: None,
                retained_in: None,
                release_after,
            });
        }
        // A case's withholdings are retained for good once `retain_after` months have ended
        // since its first exception report without remedy.
        for w in ledger.iter_mut().filter(|w| {
            w.kind == ItemKind::Case && w.released_in.is_none() && w.retained_in.is_none()
        }) {
            let Some(case) = input.cases.iter().find(|c| c.id == w.source) else {
                continue;
            };
            let months_ended = case
                .first_exception
                .map(|d| Month::of(d).months_until(month) + 1);
            if !case.ended
                && months_ended.is_some_and(|n| {
                    n >= i32::try_from(contract.gc9.retain_after).unwrap_or(i32::MAX)
                })
            {
                w.retained_in = Some(month);
            }
        }
        // An information withholding whose data arrives later is released once it has.
        for w in ledger.iter_mut().filter(|w| {
            w.kind == ItemKind::Information && w.release_after.is_none() && w.released_in.is_none()
        }) {
            if let Some(info) = input
                .information
                .iter()
                .find(|i| i.dataset == w.source && w.month == month)
            {
                w.release_after = info.received.map(|r| Month::of(r).max(month.next()));
            }
        }

        let withheld_items = sum(&items, &|i| {
            i.counts_towards_cap() && i.mode == Some(Mode::Withhold)
        });
        let position = Position {
            deductions_after_cap: items
                .iter()
                .filter(|i| i.counts_towards_cap() && i.mode != Some(Mode::Withhold))
                .map(|i| i.after_cap)
                .sum(),
            withholdings_after_cap: items
                .iter()
                .filter(|i| i.counts_towards_cap() && i.mode == Some(Mode::Withhold))
                .map(|i| i.after_cap)
                .sum(),
            month,
            monthly_value: value.round_to_penny(),
            deductions: total_before_cap - withheld_items,
            withholdings: withheld_items,
            releases: sum(&items, &|i| i.kind == ItemKind::Release),
            incentives: sum(&items, &|i| i.kind == ItemKind::Incentive),
            suspended: sum(&items, &|i| i.status == ConsequenceStatus::Suspended),
            relieved: sum(&items, &|i| i.status == ConsequenceStatus::Relieved),
            total_before_cap,
            monthly_cap,
            cap_adjustment,
            annual_cap,
            annual_cap_adjustment,
            annual_cap_used: year_so_far + total_after_cap,
            total_after_cap,
            held: ledger
                .iter()
                .filter(|w| w.released_in.is_none() && w.retained_in.is_none())
                .map(|w| w.amount)
                .sum(),
            items,
        };
        positions.push(position);
    }
    (positions, ledger)
}
