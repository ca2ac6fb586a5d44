//! `levers import`: validate a monthly file, store it, and record its receipt.

use super::{exit, Globals};
use crate::audit::{sha256_bytes, write_atomic};
use crate::calendar::Month;
use crate::dataset::{read_rows, RETURNS};
use crate::diag::InvalidInput;
use crate::report::contract;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

/// Validates FILE against the dataset's schema and stores it as
/// contracts/<id>/data/<dataset>/<YYYY-MM>.csv, recording the receipt in submissions.csv. A file
/// with any problem is refused whole, every problem listed, and nothing in the workspace changes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The activity month the file is for
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
    /// The dataset (activity, returns, …)
    dataset: String,
    /// The file to import
    file: PathBuf,
    /// Replace a month already imported (git keeps the earlier version)
    #[arg(long)]
    replace: bool,
    /// Commit the stored file and the receipt
    #[arg(long)]
    commit: bool,
}

pub fn run(globals: &Globals, args: ImportArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let Some(schema) = contract.schema(&args.dataset) else {
        let known: Vec<&str> = contract.datasets.keys().map(String::as_str).collect();
        bail!(
            "contract `{}` has no dataset `{}`: expected one of {}",
            contract.id,
            args.dataset,
            known.join(", ")
        );
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if args.commit {
        crate::git::ready_to_commit(&workspace.root)?;
    }
    let target = contract.data_file(&args.dataset, args.month);
    if workspace.root.join(&target).exists() && !args.replace {
        bail!(
            "{} already exists: pass --replace to replace it (git keeps the earlier version)",
            target.display()
        );
    }
    // Validate the file where it is, naming it as given, before anything is written.
    let display = args.file.clone();
    let (rows, problems) = if args.dataset == RETURNS {
        let dir = scratch_dir()?;
        let staged = dir.join(&target);
        write_atomic(&staged, &bytes)?;
        let (returns, mut problems) = crate::returns::read(&dir, &target, contract);
        let _ = std::fs::remove_dir_all(&dir);
        let renamed: Vec<_> = problems
            .iter()
            .map(|p| crate::diag::Problem {
                file: display.clone(),
                ..p.clone()
            })
            .collect();
        problems = crate::diag::Problems::new();
        renamed.into_iter().for_each(|p| problems.push(p));
        (returns.map_or(0, |r| r.len() as u64), problems)
    } else {
        let every_column: Vec<usize> = (0..schema.columns.len()).collect();
        let summary = read_rows(&args.file, &display, schema, &every_column, |_| {});
        (summary.rows, summary.problems)
    };
    if problems.has_errors() {
        eprintln!("{}", InvalidInput(problems.sorted()));
        eprintln!("{} was not imported.", args.file.display());
        return Ok(exit::NEEDS_ATTENTION);
    }
    let submissions = contract.dir.join("submissions.csv");
    let mut receipts =
        std::fs::read_to_string(workspace.root.join(&submissions)).unwrap_or_default();
    if receipts.is_empty() {
        receipts.push_str(&crate::information::HEADER.join(","));
        receipts.push('\n');
    }
    if !receipts.ends_with('\n') {
        receipts.push('\n');
    }
    receipts.push_str(&format!(
        "{},{},{}\n",
        args.month, args.dataset, globals.today
    ));
    write_atomic(&workspace.root.join(&target), &bytes)
        .with_context(|| format!("cannot write {}", target.display()))?;
    write_atomic(&workspace.root.join(&submissions), receipts.as_bytes())
        .with_context(|| format!("cannot write {}", submissions.display()))?;
    let sha = sha256_bytes(&bytes);
    crate::say!(
        "imported {} as {} ({rows} rows, sha256 {sha}); receipt recorded for {}",
        args.file.display(),
        target.display(),
        globals.today
    );
    if args.commit {
        let message = format!(
            "levers: import {} for {}, {} ({rows} rows, sha256 {sha})",
            args.dataset, contract.id, args.month
        );
        let hash = crate::git::commit(&workspace.root, &[target, submissions], &message)?;
        crate::say!("committed {hash}: {message}");
    }
    Ok(exit::OK)
}

/// A private scratch folder outside the workspace, so a refused import changes nothing in it.
fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("levers-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
