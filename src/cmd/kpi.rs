//! `levers kpi`: the performance table for a month.

use super::{Format, Globals};
use crate::model::calendar::Month;
use crate::results::kpi::{KpiResult, Rag};
use crate::results::month::contract_month_kpis;
use anyhow::Result;
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, Table};

/// Each KPI's actual, target, variance, RAG, previous month, year to date, SPC signal,
/// consecutive red months and consequence, per contract.
#[derive(Debug, Args)]
pub struct KpiArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
}

pub fn run(globals: &Globals, args: KpiArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (all, code) = super::for_each_contract(&workspace, args.contract.as_deref(), |contract| {
        let report = contract_month_kpis(&workspace, contract, args.month, globals.today)?;
        Ok((contract, report.kpis))
    })?;
    match globals.format {
        Format::Json => {
            let rows: Vec<&KpiResult> = all.iter().flat_map(|(_, r)| r).collect();
            super::print_json(&rows)?;
        }
        Format::Csv => write_csv(all.iter().flat_map(|(_, r)| r))?,
        Format::Table => {
            for (contract, results) in &all {
                crate::say!(
                    "{} — {} ({})",
                    crate::render::text::clean(&contract.title),
                    args.month.long_name(),
                    contract.id
                );
                crate::say!("{}", table(results, globals.colour));
            }
        }
    }
    Ok(code)
}

fn rag_cell(rag: Rag, text: String, colour: bool) -> Cell {
    let cell = Cell::new(text);
    if !colour {
        return cell;
    }
    match rag {
        Rag::Green => cell.fg(Color::Green),
        Rag::Amber => cell.fg(Color::Yellow),
        Rag::Red => cell.fg(Color::Red),
        Rag::Missing => cell.fg(Color::Magenta),
        Rag::None => cell,
    }
}

fn name(r: &KpiResult) -> String {
    match &r.by_group {
        Some(g) => format!("{} [{g}]", r.kpi),
        None => r.kpi.clone(),
    }
}

pub fn table(results: &[KpiResult], colour: bool) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "KPI",
        "Target",
        "Actual",
        "Variance",
        "RAG",
        "Previous",
        "YTD",
        "SPC",
        "Red run",
        "Consequence",
    ]);
    for r in results {
        let rag = match r.rag {
            Rag::Red if r.consecutive_red > 1 => format!("Red ({})", r.consecutive_red),
            other => other.label().to_string(),
        };
        let consequence = match r.consequence_status {
            crate::results::kpi::ConsequenceStatus::None => "—".to_string(),
            status => format!(
                "{} {}",
                r.consequence,
                serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        };
        table.add_row(vec![
            Cell::new(crate::render::text::clean(&name(r))),
            Cell::new(crate::render::text::clean(
                r.target.as_deref().unwrap_or("—"),
            )),
            Cell::new(r.actual_display()),
            Cell::new(r.variance_display()),
            rag_cell(r.rag, rag, colour),
            Cell::new(
                crate::results::kpi::display_value(r.previous, r.percent)
                    .replace("no activity", "—"),
            ),
            Cell::new(
                crate::results::kpi::display_value(r.ytd.actual, r.percent)
                    .replace("no activity", "—"),
            ),
            Cell::new(
                serde_json::to_value(r.spc.signal)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default(),
            ),
            Cell::new(r.consecutive_red),
            Cell::new(consequence),
        ]);
    }
    table
}

fn write_csv<'a>(rows: impl Iterator<Item = &'a KpiResult>) -> Result<()> {
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record([
        "contract",
        "month",
        "kpi",
        "name",
        "group",
        "category",
        "by_group",
        "target",
        "rag",
        "numerator",
        "denominator",
        "actual",
        "variance",
        "excess",
        "previous",
        "ytd",
        "consecutive_red",
        "consequence",
        "consequence_status",
        "spc_signal",
        "spc_assurance",
    ])?;
    let n = |v: Option<rust_decimal::Decimal>| {
        v.map(|d| d.round_dp(12).normalize().to_string())
            .unwrap_or_default()
    };
    let word = |v: serde_json::Value| v.as_str().unwrap_or("").to_string();
    for r in rows {
        out.write_record([
            r.contract.clone(),
            r.month.to_string(),
            r.kpi.clone(),
            r.name.clone(),
            r.group.clone().unwrap_or_default(),
            r.category.clone(),
            r.by_group.clone().unwrap_or_default(),
            r.target.clone().unwrap_or_default(),
            word(serde_json::to_value(r.rag)?),
            n(r.numerator),
            n(r.denominator),
            n(r.actual),
            n(r.variance),
            n(r.excess),
            n(r.previous),
            n(r.ytd.actual),
            r.consecutive_red.to_string(),
            r.consequence.plain(),
            word(serde_json::to_value(r.consequence_status)?),
            word(serde_json::to_value(r.spc.signal)?),
            word(serde_json::to_value(r.spc.assurance)?),
        ])?;
    }
    out.flush()?;
    Ok(())
}
