//! `levers check`: validate the whole workspace and report every problem, writing nothing.

use super::{exit, Globals};
use crate::load::check::check_workspace;
use crate::render::report::CheckReport;
use anyhow::Result;
use clap::Args;

/// Validates levers.toml, every contract, every data file, submissions, challenge logs and
/// meeting files. Exits 1 when it finds an error, 0 when the workspace is clean.
#[derive(Debug, Args)]
pub struct CheckArgs {}

/// Validates the whole workspace and prints every problem, writing nothing; exits 1 when any
/// problem is an error.
pub fn run(globals: &Globals, _args: CheckArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let report = CheckReport(check_workspace(&workspace, globals.today).sorted());
    globals.print(&report)?;
    Ok(if report.errors() > 0 {
        exit::NEEDS_ATTENTION
    } else {
        exit::OK
    })
}
