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

/// One challenge as a CSV row, every cell safe to open in a spreadsheet. Its numbers and dates
/// are written one after another into `scratch` and handed over as slices of it: a large
/// month writes half a million rows, and a string apiece was a third of the CSV's time.
pub(crate) fn write_csv_row<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    c: &ChallengeView,
    scratch: &mut String,
) -> Result<()> {
    use crate::model::calendar::push_iso_date;
    use crate::render::text::spreadsheet_cell as cell;
    use std::fmt::Write as _;
    /// The span of `scratch` that `write` appends.
    fn span(scratch: &mut String, write: impl FnOnce(&mut String)) -> std::ops::Range<usize> {
        let start = scratch.len();
        write(scratch);
        start..scratch.len()
    }
    scratch.clear();
    let month = span(scratch, |s| c.month.push_to(s));
    let value = span(scratch, |s| c.value.push_plain(s));
    // Writing to a String cannot fail.
    let rows = span(scratch, |s| {
        let _ = write!(s, "{}", c.rows);
    });
    let respond_by = span(scratch, |s| {
        c.respond_by.into_iter().for_each(|d| push_iso_date(s, d))
    });
    let age = span(scratch, |s| {
        let _ = write!(s, "{}", c.age_months);
    });
    let agreed_on = span(scratch, |s| {
        c.agreed_on.into_iter().for_each(|d| push_iso_date(s, d))
    });
    let also = span(scratch, |s| {
        for (i, rule) in c.also.iter().enumerate() {
            if i > 0 {
                s.push_str("; ");
            }
            s.push_str(rule);
        }
    });
    let scratch = scratch.as_str();
    out.write_record([
        cell(&c.id).as_ref(),
        cell(&c.contract).as_ref(),
        &scratch[month],
        cell(&c.rule).as_ref(),
        cell(&c.rule_name).as_ref(),
        cell(&c.key_column).as_ref(),
        cell(&c.record).as_ref(),
        &scratch[value],
        &scratch[rows],
        c.state.as_str(),
        &scratch[respond_by],
        if c.overdue { "true" } else { "false" },
        &scratch[age],
        cell(&c.detail).as_ref(),
        cell(&scratch[also]).as_ref(),
        &scratch[agreed_on],
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
    let mut scratch = String::new();
    for c in report.new_challenges.iter().chain(&report.outstanding) {
        write_csv_row(&mut csv, c, &mut scratch)?;
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
