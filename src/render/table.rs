//! Tables for a terminal: the layouts of the report commands' `--format table` output.

use crate::model::calendar::Month;
use crate::model::money::Money;
use crate::render::text::clean;
use crate::results::challenges::ChallengeView;
use crate::results::kpi::{display_value, ConsequenceStatus, KpiResult, Rag};
use crate::results::status::StatusRow;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, Table};
use std::collections::BTreeMap;

fn new_table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header);
    table
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

/// A KPI's name in a table: its id, and its group for a KPI measured `by` a column.
fn kpi_name(r: &KpiResult) -> String {
    match &r.by_group {
        Some(g) => format!("{} [{g}]", r.kpi),
        None => r.kpi.clone(),
    }
}

/// One contract's month of KPI results.
pub(crate) fn kpis(results: &[KpiResult], colour: bool) -> Table {
    let mut table = new_table([
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
            ConsequenceStatus::None => "—".to_string(),
            status => format!("{} {status}", r.consequence),
        };
        table.add_row(vec![
            Cell::new(clean(&kpi_name(r))),
            Cell::new(clean(r.target.as_deref().unwrap_or("—"))),
            Cell::new(r.actual_display()),
            Cell::new(r.variance_display()),
            rag_cell(r.rag, rag, colour),
            Cell::new(display_value(r.previous, r.percent).replace("no activity", "—")),
            Cell::new(display_value(r.ytd.actual, r.percent).replace("no activity", "—")),
            Cell::new(r.spc.signal.as_str().replace('_', " ")),
            Cell::new(r.consecutive_red),
            Cell::new(consequence),
        ]);
    }
    table
}

/// New challenges by rule: count and value, with a total.
pub(crate) fn challenges_by_rule(new: &[ChallengeView]) -> Table {
    let mut rules: BTreeMap<(&str, &str), (usize, Money)> = BTreeMap::new();
    for c in new {
        let entry = rules.entry((&c.rule, &c.rule_name)).or_default();
        entry.0 += 1;
        entry.1 += c.value;
    }
    let mut table = new_table(["Rule", "New challenges", "Value"]);
    for ((id, name), (count, value)) in &rules {
        table.add_row(vec![
            clean(&format!("{name} ({id})")).into_owned(),
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

/// Challenges outstanding from earlier months, by month and state.
pub(crate) fn challenges_by_state(outstanding: &[ChallengeView]) -> Table {
    let mut groups: BTreeMap<(Month, &str), (usize, Money, usize)> = BTreeMap::new();
    for c in outstanding {
        let entry = groups.entry((c.month, c.state.as_str())).or_default();
        entry.0 += 1;
        entry.1 += c.value;
        entry.2 += usize::from(c.overdue);
    }
    let mut table = new_table(["Month", "State", "Challenges", "Value", "Overdue"]);
    for ((month, state), (count, value, overdue)) in &groups {
        table.add_row(vec![
            month.to_string(),
            (*state).to_string(),
            count.to_string(),
            value.to_string(),
            overdue.to_string(),
        ]);
    }
    table
}

/// The portfolio, one row per contract.
pub(crate) fn status(rows: &[StatusRow]) -> Table {
    let mut table = new_table([
        "Contract",
        "Month",
        "R/A/G",
        "Deducted",
        "Withheld",
        "Incentives",
        "Challenges open; awaiting an answer (overdue)",
        "Actions open (overdue)",
        "Escalation",
        "Cases open (overdue)",
        "Months to end",
    ]);
    for r in rows {
        let end = if r.renewal_due {
            format!(
                "{} — renewal due; lifetime {} green",
                r.months_to_end,
                r.lifetime_green_share.as_deref().unwrap_or("—")
            )
        } else {
            r.months_to_end.to_string()
        };
        let rag = if r.missing > 0 {
            format!(
                "{}/{}/{} ({} missing: no {} data)",
                r.red, r.amber, r.green, r.missing, r.missing_data
            )
        } else {
            format!("{}/{}/{}", r.red, r.amber, r.green)
        };
        table.add_row(vec![
            r.contract.clone(),
            r.month.to_string(),
            rag,
            r.deductions.to_string(),
            r.withholdings.to_string(),
            r.incentives.to_string(),
            format!(
                "{} worth {}; {} ({})",
                r.outstanding_challenges,
                r.outstanding_value,
                r.awaiting_response,
                r.overdue_challenges
            ),
            format!("{} ({})", r.open_actions, r.overdue_actions),
            clean(r.escalation.as_deref().unwrap_or("—")).into_owned(),
            format!("{} ({})", r.open_cases, r.overdue_cases),
            end,
        ]);
    }
    table
}

/// GC9 cases, one row each.
pub(crate) fn cases(cases: &[crate::results::cases::Case]) -> Table {
    let mut table = new_table([
        "Contract", "Case", "KPIs", "Issued", "Stage", "Next", "Due", "Overdue", "Withheld",
        "Released", "Retained",
    ]);
    for c in cases {
        table.add_row(vec![
            c.contract.clone(),
            clean(&c.case).into_owned(),
            clean(&c.kpis.join(", ")).into_owned(),
            c.issued.to_string(),
            c.stage.as_str().replace('_', " "),
            c.next
                .as_ref()
                .map_or_else(|| "—".to_string(), |n| clean(&n.what).into_owned()),
            c.next
                .as_ref()
                .map_or_else(|| "—".to_string(), |n| n.due.to_string()),
            if c.overdue { "yes" } else { "no" }.to_string(),
            c.withheld.to_string(),
            c.released.to_string(),
            c.retained.to_string(),
        ]);
    }
    table
}
