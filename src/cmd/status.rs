//! `levers status`: the portfolio at a glance, contracts needing attention first.

use super::{Format, Globals};
use crate::model::calendar::Month;
use crate::model::money::Money;
use crate::results::kpi::Rag;
use crate::results::month::contract_month;
use anyhow::Result;
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde::Serialize;

/// One row per contract: KPIs red/amber/green, the month's deductions, withholdings and
/// incentives, outstanding and overdue challenges, open and overdue actions, the highest
/// escalation step in force, and months to the contract's end, with renewals within six months
/// flagged alongside the contract's lifetime KPI record.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The activity month (default: the month before today's)
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Option<Month>,
}

#[derive(Debug, Serialize)]
pub struct StatusRow {
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
    pub open_actions: usize,
    pub overdue_actions: usize,
    pub escalation: Option<String>,
    pub months_to_end: i32,
    pub renewal_due: bool,
    /// KPI-months green over the contract's life so far, as a share of those measured.
    pub lifetime_green_share: Option<String>,
    pub lifetime_kpi_months: usize,
    /// Higher needs attention sooner.
    #[serde(skip)]
    attention: i64,
}

pub fn run(globals: &Globals, args: StatusArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (mut rows, code) = super::for_each_contract(&workspace, None, |contract| {
        let month = args
            .month
            .unwrap_or_else(|| super::actions::as_of_month(contract, globals.today));
        let report = contract_month(&workspace, contract, month, globals.today)?;
        let count = |rag| report.kpis.iter().filter(|k| k.rag == rag).count();
        let outstanding: Vec<_> = report
            .new_challenges
            .iter()
            .chain(&report.outstanding)
            .filter(|c| !c.closed)
            .collect();
        let (actions, _, _) =
            crate::results::actions::for_report(&workspace, &report, globals.today);
        let (overdue_actions, open_actions, _) =
            crate::results::actions::sections(&actions, globals.today);
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
        let months_to_end = Month::of(globals.today).months_until(end);
        let overdue = outstanding.iter().filter(|c| c.overdue).count();
        let red = count(Rag::Red);
        let attention = (red + count(Rag::Missing)) as i64 * 100
            + overdue_actions.len() as i64 * 10
            + overdue as i64
            + report.escalations.len() as i64 * 50
            + i64::from(months_to_end <= 6) * 25;
        Ok(StatusRow {
            contract: contract.id.clone(),
            title: contract.title.clone(),
            month,
            red,
            amber: count(Rag::Amber),
            green: count(Rag::Green),
            missing: count(Rag::Missing),
            missing_data: report.missing_datasets().join(", "),
            deductions: report.position.deductions,
            withholdings: report.position.withholdings,
            incentives: report.position.incentives,
            outstanding_challenges: outstanding.len(),
            outstanding_value: outstanding.iter().map(|c| c.value).sum(),
            overdue_challenges: overdue,
            open_actions: open_actions.len() + overdue_actions.len(),
            overdue_actions: overdue_actions.len(),
            escalation,
            months_to_end,
            renewal_due: months_to_end <= 6,
            lifetime_green_share: lifetime,
            lifetime_kpi_months: measured.len(),
            attention,
        })
    })?;
    rows.sort_by(|a, b| {
        b.attention
            .cmp(&a.attention)
            .then(a.contract.cmp(&b.contract))
    });
    match globals.format {
        super::Format::Json => super::print_json(&rows)?,
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            for row in &rows {
                out.serialize(row)?;
            }
            out.flush()?;
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header([
                "Contract",
                "Month",
                "R/A/G",
                "Deducted",
                "Withheld",
                "Incentives",
                "Challenges open (overdue)",
                "Actions open (overdue)",
                "Escalation",
                "Months to end",
            ]);
            for r in &rows {
                let end = if r.renewal_due {
                    format!(
                        "{} — renewal due; lifetime {} green",
                        r.months_to_end,
                        r.lifetime_green_share.clone().unwrap_or_else(|| "—".into())
                    )
                } else {
                    r.months_to_end.to_string()
                };
                table.add_row(vec![
                    r.contract.clone(),
                    r.month.to_string(),
                    if r.missing > 0 {
                        format!(
                            "{}/{}/{} ({} missing: no {} data)",
                            r.red, r.amber, r.green, r.missing, r.missing_data
                        )
                    } else {
                        format!("{}/{}/{}", r.red, r.amber, r.green)
                    },
                    r.deductions.to_string(),
                    r.withholdings.to_string(),
                    r.incentives.to_string(),
                    format!(
                        "{} worth {} ({})",
                        r.outstanding_challenges, r.outstanding_value, r.overdue_challenges
                    ),
                    format!("{} ({})", r.open_actions, r.overdue_actions),
                    crate::render::text::clean(r.escalation.as_deref().unwrap_or("—")).into_owned(),
                    end,
                ]);
            }
            crate::say!("{table}");
        }
    }
    Ok(code)
}
