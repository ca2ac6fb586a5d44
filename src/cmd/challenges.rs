//! `levers challenges`: challenges raised for a month, and the state of outstanding ones.

use super::{Format, Globals};
use crate::model::calendar::Month;
use crate::model::money::Money;
use crate::results::challenges::ChallengeView;
use crate::results::month::contract_month;
use anyhow::Result;
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use std::collections::BTreeMap;

/// New challenges by rule (count and value), outstanding ones from earlier months by state and
/// age, and overdue ones. `--format csv` gives the full detail, one row per challenge.
#[derive(Debug, Args)]
pub struct ChallengesArgs {
    /// Only this contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: Option<String>,
    /// The activity month
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
}

pub fn run(globals: &Globals, args: ChallengesArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let (all, code) = super::for_each_contract(&workspace, args.contract.as_deref(), |contract| {
        let report = contract_month(&workspace, contract, args.month, globals.today)?;
        Ok((contract, report.new_challenges, report.outstanding))
    })?;
    match globals.format {
        Format::Json => {
            use std::io::Write;
            let views = all.iter().flat_map(|(_, n, o)| n.iter().chain(o));
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            crate::render::json::write_views_json(views, &mut out)?;
            out.write_all(b"\n")?;
            out.flush()?;
            // The process ends next: hundreds of thousands of views need not be freed one by
            // one first (the operating system takes the memory back at once).
            std::mem::forget(all);
        }
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            crate::render::csv::write_csv_header(&mut out)?;
            for (_, new, outstanding) in &all {
                for c in new.iter().chain(outstanding) {
                    crate::render::csv::write_csv_row(&mut out, c)?;
                }
            }
            out.flush()?;
        }
        Format::Table => {
            for (contract, new, outstanding) in &all {
                crate::say!(
                    "{} — challenges for {} ({})",
                    crate::render::text::clean(&contract.title),
                    args.month.long_name(),
                    contract.id
                );
                crate::say!("{}", by_rule(new));
                if !outstanding.is_empty() {
                    crate::say!("Outstanding from earlier months:");
                    crate::say!("{}", by_state(outstanding));
                }
                let overdue: Vec<&ChallengeView> = new
                    .iter()
                    .chain(outstanding)
                    .filter(|c| c.overdue)
                    .collect();
                if !overdue.is_empty() {
                    let value: Money = overdue.iter().map(|c| c.value).sum();
                    crate::say!("{} challenge(s) worth {value} have had no response from the provider by their date.", overdue.len());
                }
            }
        }
    }
    Ok(code)
}

fn by_rule(new: &[ChallengeView]) -> Table {
    let mut rules: BTreeMap<(&str, &str), (usize, Money)> = BTreeMap::new();
    for c in new {
        let entry = rules.entry((&c.rule, &c.rule_name)).or_default();
        entry.0 += 1;
        entry.1 += c.value;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["Rule", "New challenges", "Value"]);
    for ((id, name), (count, value)) in &rules {
        table.add_row(vec![
            crate::render::text::clean(&format!("{name} ({id})")).into_owned(),
            count.to_string(),
            value.to_string(),
        ]);
    }
    let total: Money = new.iter().map(|c| c.value).sum();
    table.add_row(vec![
        "Total".to_string(),
        new.len().to_string(),
        total.to_string(),
    ]);
    table
}

fn by_state(outstanding: &[ChallengeView]) -> Table {
    let mut groups: BTreeMap<(Month, String), (usize, Money, usize)> = BTreeMap::new();
    for c in outstanding {
        let entry = groups.entry((c.month, c.state.to_string())).or_default();
        entry.0 += 1;
        entry.1 += c.value;
        entry.2 += usize::from(c.overdue);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["Month", "State", "Challenges", "Value", "Overdue"]);
    for ((month, state), (count, value, overdue)) in &groups {
        table.add_row(vec![
            month.to_string(),
            state.clone(),
            count.to_string(),
            value.to_string(),
            overdue.to_string(),
        ]);
    }
    table
}
