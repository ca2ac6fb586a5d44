//! The portfolio at a glance: one row per contract, and how urgently each needs attention.

use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::money::Money;
use crate::results::kpi::Rag;
use crate::results::month::contract_month;
use serde::Serialize;

/// One contract's month in the portfolio view.
#[derive(Debug, Serialize)]
pub(crate) struct StatusRow {
    pub contract: String,
    pub title: String,
    pub month: Month,
    pub red: usize,
    pub amber: usize,
    pub green: usize,
    /// KPIs not measured because a dataset they read has no file for the month.
    pub missing: usize,
    /// Those datasets, comma-separated.
    pub missing_data: String,
    pub deductions: Money,
    pub withholdings: Money,
    pub incentives: Money,
    pub outstanding_challenges: usize,
    pub outstanding_value: Money,
    pub overdue_challenges: usize,
    /// Challenges put to the provider and not yet answered (raised or re-challenged; §4.10).
    pub awaiting_response: usize,
    pub open_actions: usize,
    pub overdue_actions: usize,
    pub escalation: Option<String>,
    /// GC9 cases still running (§4.9).
    pub open_cases: usize,
    /// Of those, the cases with a clock past its date.
    pub overdue_cases: usize,
    pub months_to_end: i32,
    pub renewal_due: bool,
    /// KPI-months green over the contract's life so far, as a share of those measured.
    pub lifetime_green_share: Option<String>,
    pub lifetime_kpi_months: usize,
    /// Higher needs attention sooner.
    #[serde(skip)]
    pub attention: i64,
}

/// Months to the contract's end at or below which its renewal is flagged.
pub(crate) const RENEWAL_WINDOW_MONTHS: i32 = 6;

/// One contract's status row for `month`, as of `today`.
pub(crate) fn status_row(
    workspace: &Workspace,
    contract: &Contract,
    month: Month,
    today: chrono::NaiveDate,
) -> anyhow::Result<StatusRow> {
    let report = contract_month(workspace, contract, month, today)?;
    let (actions, _, _) = crate::results::actions::for_report(workspace, &report, today);
    Ok(status_of(&report, &actions, today))
}

/// The status row of a contract-month already worked out, with its actions.
pub(crate) fn status_of(
    report: &crate::results::month::ContractMonth<'_>,
    actions: &[crate::results::actions::Action],
    today: chrono::NaiveDate,
) -> StatusRow {
    let contract = report.contract;
    let month = report.month;
    let count = |rag| report.kpis.iter().filter(|k| k.rag == rag).count();
    let outstanding: Vec<_> = report
        .new_challenges
        .iter()
        .chain(&report.outstanding)
        .filter(|c| !c.closed)
        .collect();
    let (overdue_actions, open_actions, _) = crate::results::actions::sections(actions, today);
    let open_cases: Vec<_> = report.cases.iter().filter(|c| c.stage.is_open()).collect();
    let escalation = report
        .escalations
        .iter()
        .max_by_key(|e| e.step_number)
        .map(|e| format!("{} ({})", e.step, e.kpi));
    let measured: Vec<Rag> = report
        .earlier
        .iter()
        .flat_map(|(_, k)| k.iter())
        .chain(&report.kpis)
        .map(|r| r.rag)
        .filter(|r| *r != Rag::None)
        .collect();
    let lifetime = (!measured.is_empty()).then(|| {
        let green = measured.iter().filter(|r| **r == Rag::Green).count();
        crate::model::money::percent_1dp(
            rust_decimal::Decimal::from(green) / rust_decimal::Decimal::from(measured.len()),
        )
    });
    let (_, end) = contract.months();
    let months_to_end = Month::of(today).months_until(end);
    let renewal_due = months_to_end <= RENEWAL_WINDOW_MONTHS;
    let overdue = outstanding.iter().filter(|c| c.overdue).count();
    let red = count(Rag::Red);
    let missing = count(Rag::Missing);
    StatusRow {
        contract: contract.id.clone(),
        title: contract.title.clone(),
        month,
        red,
        amber: count(Rag::Amber),
        green: count(Rag::Green),
        missing,
        missing_data: report.missing_datasets().join(", "),
        deductions: report.position.deductions,
        withholdings: report.position.withholdings,
        incentives: report.position.incentives,
        outstanding_challenges: outstanding.len(),
        outstanding_value: outstanding.iter().map(|c| c.value).sum(),
        overdue_challenges: overdue,
        awaiting_response: outstanding.iter().filter(|c| c.awaiting_answer()).count(),
        open_actions: open_actions.len() + overdue_actions.len(),
        overdue_actions: overdue_actions.len(),
        escalation,
        open_cases: open_cases.len(),
        overdue_cases: open_cases.iter().filter(|c| c.overdue).count(),
        months_to_end,
        renewal_due,
        lifetime_green_share: lifetime,
        lifetime_kpi_months: measured.len(),
        attention: attention(
            red + missing,
            overdue_actions.len(),
            overdue,
            // A GC9 clock overdue weighs as a step of the ladder in force.
            report.escalations.len() + open_cases.iter().filter(|c| c.overdue).count(),
            renewal_due,
        ),
    }
}

/// How soon a contract needs a person: a red or unmeasured KPI outweighs an escalation step in
/// force, which outweighs a renewal within the window, an overdue action and an overdue challenge.
pub(crate) fn attention(
    red_or_missing: usize,
    overdue_actions: usize,
    overdue_challenges: usize,
    escalations: usize,
    renewal_due: bool,
) -> i64 {
    let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX / 1000);
    n(red_or_missing) * 100
        + n(escalations) * 50
        + i64::from(renewal_due) * 25
        + n(overdue_actions) * 10
        + n(overdue_challenges)
}

/// Orders rows most urgent first, then by contract id.
pub(crate) fn by_attention(rows: &mut [StatusRow]) {
    rows.sort_by(attention_order);
}

/// The order of [`by_attention`]: the most urgent first, then by contract id.
pub(crate) fn attention_order(a: &StatusRow, b: &StatusRow) -> std::cmp::Ordering {
    b.attention
        .cmp(&a.attention)
        .then(a.contract.cmp(&b.contract))
}

#[cfg(test)]
mod tests {
    use super::attention;

    #[test]
    fn each_kind_of_trouble_outweighs_the_next_one_down() {
        assert_eq!(attention(1, 0, 0, 0, false), 100);
        assert!(attention(1, 0, 0, 0, false) > attention(0, 0, 0, 1, true));
        assert!(attention(0, 0, 0, 0, true) > attention(0, 2, 0, 0, false));
        assert!(attention(0, 1, 0, 0, false) > attention(0, 0, 9, 0, false));
        assert_eq!(attention(2, 1, 3, 1, true), 200 + 50 + 25 + 10 + 3);
        assert_eq!(attention(0, 0, 0, 0, false), 0);
    }
}
