//! `levers check`: validate the whole workspace and report every problem, writing nothing.

use super::{exit, Format, Globals};
use crate::error::{Problem, Severity};
use crate::load::check::check_workspace;
use anyhow::Result;
use clap::Args;

/// Validates levers.toml, every contract, every data file, submissions, challenge logs and
/// meeting files. Exits 1 when it finds an error, 0 when the workspace is clean.
#[derive(Debug, Args)]
pub struct CheckArgs {}

pub fn run(globals: &Globals, _args: CheckArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let problems = check_workspace(&workspace, globals.today).sorted();
    print(globals, &problems)?;
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    Ok(if errors > 0 {
        exit::NEEDS_ATTENTION
    } else {
        exit::OK
    })
}

fn print(globals: &Globals, problems: &[Problem]) -> Result<()> {
    match globals.format {
        Format::Json => super::print_json(problems)?,
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            out.write_record(["file", "line", "column", "severity", "message"])?;
            for p in problems {
                let severity = match p.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                out.write_record([
                    p.file.display().to_string(),
                    p.line.to_string(),
                    p.column.to_string(),
                    severity.to_string(),
                    p.message.clone(),
                ])?;
            }
            out.flush()?;
        }
        Format::Table => {
            for p in problems {
                crate::say!("{p}\n");
            }
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            if !globals.quiet {
                if problems.is_empty() {
                    crate::say!("The workspace is valid: no problems found.");
                } else {
                    crate::say!("{errors} error(s), {warnings} warning(s).");
                }
            }
        }
    }
    Ok(())
}
