//! CSV renderers: one row per record, every cell safe to open in a spreadsheet.

use crate::results::challenges::ChallengeView;
use crate::results::month::ContractMonth;
use anyhow::Result;

/// The companion CSV's columns: the full detail of each challenge, one row each (no NHS
/// numbers: records are cited by the dataset's key column, named in `key_column`).
pub(crate) const CSV_HEADER: [&str; 16] = [
    "id",
    "contract",
    "month",
    "rule",
    "rule_name",
    "key_column",
    "record",
    "value",
    "rows",
    "state",
    "respond_by",
    "overdue",
    "age_months",
    "detail",
    "also_selected_by",
    "agreed_on",
];

pub(crate) fn write_csv_header<W: std::io::Write>(out: &mut csv::Writer<W>) -> Result<()> {
    out.write_record(CSV_HEADER)?;
    Ok(())
}

/// One challenge as a CSV row, every cell safe to open in a spreadsheet.
pub(crate) fn write_csv_row<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    c: &ChallengeView,
) -> Result<()> {
    use crate::render::text::spreadsheet_cell as cell;
    let date = |d: Option<chrono::NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
    let also: Vec<&str> = c.also.iter().map(|a| a.as_ref()).collect();
    out.write_record([
        cell(&c.id).as_ref(),
        cell(&c.contract).as_ref(),
        &c.month.to_string(),
        cell(&c.rule).as_ref(),
        cell(&c.rule_name).as_ref(),
        cell(&c.key_column).as_ref(),
        cell(&c.record).as_ref(),
        &c.value.plain(),
        &c.rows.to_string(),
        c.state.as_str(),
        &date(c.respond_by),
        if c.overdue { "true" } else { "false" },
        &c.age_months.to_string(),
        cell(&c.detail).as_ref(),
        cell(&also.join("; ")).as_ref(),
        &date(c.agreed_on),
    ])?;
    Ok(())
}

/// The companion CSV of `report`: this month's challenges and those still outstanding, one
/// row each, data only (its provenance is in the letter's block).
pub(crate) fn companion_csv(report: &ContractMonth<'_>) -> Result<String> {
    // Sized for a typical row, so that half a million rows are not copied as the buffer doubles.
    let rows = report.new_challenges.len() + report.outstanding.len();
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(256 + rows * 96));
    write_csv_header(&mut csv)?;
    for c in report.new_challenges.iter().chain(&report.outstanding) {
        write_csv_row(&mut csv, c)?;
    }
    Ok(String::from_utf8(
        csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    )?)
}

/// KPI results, one row each, figures exact (no rounding for display).
pub(crate) fn kpis<'a>(
    out: &mut dyn std::io::Write,
    rows: impl Iterator<Item = &'a crate::results::kpi::KpiResult>,
) -> Result<()> {
    let mut out = csv::Writer::from_writer(out);
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
            r.rag.to_string(),
            n(r.numerator),
            n(r.denominator),
            n(r.actual),
            n(r.variance),
            n(r.excess),
            n(r.previous),
            n(r.ytd.actual),
            r.consecutive_red.to_string(),
            r.consequence.plain(),
            r.consequence_status.to_string(),
            r.spc.signal.to_string(),
            r.spc.assurance.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// `check`'s problems, one row each.
pub(crate) fn problems(
    out: &mut dyn std::io::Write,
    problems: &[crate::error::Problem],
) -> Result<()> {
    let mut out = csv::Writer::from_writer(out);
    out.write_record(["file", "line", "column", "severity", "message"])?;
    for p in problems {
        out.write_record([
            p.file.display().to_string(),
            p.line.to_string(),
            p.column.to_string(),
            p.severity.as_str().to_string(),
            p.message.clone(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// GC9 cases, one row each.
pub(crate) fn cases(
    out: &mut dyn std::io::Write,
    cases: &[crate::results::cases::Case],
) -> Result<()> {
    use crate::render::text::spreadsheet_cell as cell;
    let mut out = csv::Writer::from_writer(out);
    out.write_record([
        "contract", "case", "kpis", "subject", "issued", "stage", "next", "next_due", "overdue",
        "withheld", "released", "retained",
    ])?;
    for c in cases {
        out.write_record([
            cell(&c.contract).as_ref(),
            cell(&c.case).as_ref(),
            cell(&c.kpis.join("; ")).as_ref(),
            cell(&c.subject).as_ref(),
            &c.issued.to_string(),
            c.stage.as_str(),
            cell(c.next.as_ref().map_or("", |n| n.what.as_str())).as_ref(),
            &c.next
                .as_ref()
                .map_or_else(String::new, |n| n.due.to_string()),
            if c.overdue { "true" } else { "false" },
            &c.withheld.plain(),
            &c.released.plain(),
            &c.retained.plain(),
        ])?;
    }
    out.flush()?;
    Ok(())
}
