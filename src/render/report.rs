//! One results value per report command, and the one place an output format is chosen.
//!
//! A report command works out its results, wraps them in one of the types below and hands
//! them to [`emit`]. Every format is a method of [`Report`], so a new report type must say how
//! it renders in each (the compiler checks), and a new format is one method here and its
//! layouts in its own file (`table.rs`, `json.rs`, `csv.rs`).

use crate::error::{Problem, Severity};
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::render::text::clean;
use crate::results::challenges::ChallengeView;
use crate::results::kpi::KpiResult;
use crate::results::status::StatusRow;
use anyhow::Result;
use std::io::Write;

/// How report commands print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables and sentences, for a person at a terminal.
    Table,
    /// Pretty JSON, for programs.
    Json,
    /// CSV with a header row, for spreadsheets.
    Csv,
}

/// How a table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Colour RAG cells (only on a terminal and never with NO_COLOR).
    pub colour: bool,
    /// Leave out summary lines.
    pub quiet: bool,
}

/// A report that can be written in every [`Format`].
pub trait Report {
    /// For a person at a terminal.
    fn table(&self, out: &mut dyn Write, style: Style) -> Result<()>;
    /// For programs.
    fn json(&self, out: &mut dyn Write) -> Result<()>;
    /// For spreadsheets; a report with no tabular form returns an error saying so.
    fn csv(&self, out: &mut dyn Write) -> Result<()>;
}

/// Writes `report` to `out` in `format`.
pub(crate) fn emit(
    report: &dyn Report,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Table => report.table(out, style)?,
        Format::Json => report.json(out)?,
        Format::Csv => report.csv(out)?,
    }
    out.flush()?;
    Ok(())
}

/// `value` as pretty JSON and a newline.
fn json(out: &mut dyn Write, value: &(impl serde::Serialize + ?Sized)) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// `levers kpi`: each contract's KPI results for a month.
pub(crate) struct KpiReport<'w> {
    pub month: Month,
    pub contracts: Vec<(&'w Contract, Vec<KpiResult>)>,
}

impl Report for KpiReport<'_> {
    fn table(&self, out: &mut dyn Write, style: Style) -> Result<()> {
        for (contract, results) in &self.contracts {
            writeln!(
                out,
                "{} — {} ({})",
                clean(&contract.title),
                self.month.long_name(),
                contract.id
            )?;
            writeln!(out, "{}", super::table::kpis(results, style.colour))?;
        }
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        let rows: Vec<&KpiResult> = self.contracts.iter().flat_map(|(_, r)| r).collect();
        json(out, &rows)
    }

    fn csv(&self, out: &mut dyn Write) -> Result<()> {
        super::csv::kpis(out, self.contracts.iter().flat_map(|(_, r)| r))
    }
}

/// `levers challenges`: each contract's new challenges for a month and its outstanding ones.
pub(crate) struct ChallengesReport<'w> {
    pub month: Month,
    /// Per contract: the month's new challenges, then those outstanding from earlier months.
    pub contracts: Vec<(&'w Contract, Vec<ChallengeView>, Vec<ChallengeView>)>,
}

impl ChallengesReport<'_> {
    fn all(&self) -> impl Iterator<Item = &ChallengeView> {
        self.contracts
            .iter()
            .flat_map(|(_, n, o)| n.iter().chain(o))
    }
}

impl Report for ChallengesReport<'_> {
    fn table(&self, out: &mut dyn Write, _style: Style) -> Result<()> {
        for (contract, new, outstanding) in &self.contracts {
            writeln!(
                out,
                "{} — challenges for {} ({})",
                clean(&contract.title),
                self.month.long_name(),
                contract.id
            )?;
            writeln!(out, "{}", super::table::challenges_by_rule(new))?;
            if !outstanding.is_empty() {
                writeln!(out, "Outstanding from earlier months:")?;
                writeln!(out, "{}", super::table::challenges_by_state(outstanding))?;
            }
            let overdue: Vec<&ChallengeView> = new
                .iter()
                .chain(outstanding)
                .filter(|c| c.overdue)
                .collect();
            if !overdue.is_empty() {
                let value: crate::model::money::Money = overdue.iter().map(|c| c.value).sum();
                writeln!(
                    out,
                    "{} challenge(s) worth {value} have had no response from the provider by their date.",
                    overdue.len()
                )?;
            }
        }
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        // Written by hand for speed (a month can hold hundreds of thousands of challenges);
        // tested byte for byte against serde's description of `ChallengeView`.
        super::json::write_views_json(self.all(), &mut *out)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    fn csv(&self, out: &mut dyn Write) -> Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        super::csv::write_csv_header(&mut writer)?;
        let mut scratch = String::new();
        for c in self.all() {
            super::csv::write_csv_row(&mut writer, c, &mut scratch)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// `levers status`: the portfolio, most urgent first.
pub(crate) struct StatusReport(pub Vec<StatusRow>);

impl Report for StatusReport {
    fn table(&self, out: &mut dyn Write, _style: Style) -> Result<()> {
        writeln!(out, "{}", super::table::status(&self.0))?;
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        json(out, &self.0)
    }

    fn csv(&self, out: &mut dyn Write) -> Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        for row in &self.0 {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// `levers cases`: every GC9 case of the contracts asked for.
pub(crate) struct CasesReport(pub Vec<crate::results::cases::Case>);

impl Report for CasesReport {
    fn table(&self, out: &mut dyn Write, _style: Style) -> Result<()> {
        if self.0.is_empty() {
            writeln!(out, "No formal contract-management cases.")?;
            return Ok(());
        }
        writeln!(out, "{}", super::table::cases(&self.0))?;
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        json(out, &self.0)
    }

    fn csv(&self, out: &mut dyn Write) -> Result<()> {
        super::csv::cases(out, &self.0)
    }
}

/// `levers check`: every problem found, errors and warnings.
pub(crate) struct CheckReport(pub Vec<Problem>);

impl CheckReport {
    /// How many of the problems are errors.
    pub(crate) fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

impl Report for CheckReport {
    fn table(&self, out: &mut dyn Write, style: Style) -> Result<()> {
        for p in &self.0 {
            writeln!(out, "{p}\n")?;
        }
        if !style.quiet {
            if self.0.is_empty() {
                writeln!(out, "The workspace is valid: no problems found.")?;
            } else {
                let errors = self.errors();
                let warnings = self.0.len() - errors;
                writeln!(out, "{errors} error(s), {warnings} warning(s).")?;
            }
        }
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        json(out, &self.0)
    }

    fn csv(&self, out: &mut dyn Write) -> Result<()> {
        super::csv::problems(out, &self.0)
    }
}

/// `levers explain`: how one figure was worked out, and the figures themselves.
#[derive(serde::Serialize)]
pub(crate) struct Explanation {
    pub contract: String,
    /// The explanation in words.
    pub explanation: String,
    /// The figures explained, as `levers kpi` or `levers challenges` gives them in JSON.
    pub figures: serde_json::Value,
    pub month: Month,
    pub subject: String,
}

impl Report for Explanation {
    fn table(&self, out: &mut dyn Write, _style: Style) -> Result<()> {
        writeln!(out, "{}", self.explanation)?;
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> Result<()> {
        json(out, self)
    }

    fn csv(&self, _out: &mut dyn Write) -> Result<()> {
        Err(crate::error::Usage(
            "`levers explain` has no CSV form: it explains in words; use --format table, or --format json for the figures".into(),
        )
        .into())
    }
}
