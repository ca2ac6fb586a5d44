//! `levers run`: everything due today, for cron. Idempotent, and locked so two runs cannot
//! interleave.

use super::{exit, Globals};
use crate::cycle::due_letters;
use crate::report::contract_month_for_letter;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes and commits every letter and action log that is due, one line per output. Contracts
/// whose inputs are invalid are reported and skipped (exit 1); the others still run. A second
/// run the same day writes nothing and exits 0.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// List what would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// How long a second run waits for the first to finish.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Holds `.levers/run.lock` for the life of the run.
struct RunLock {
    path: PathBuf,
}

impl RunLock {
    fn acquire(root: &Path) -> Result<RunLock> {
        let path = crate::cache::ensure_private_dir(root)
            .context("cannot create .levers")?
            .join("run.lock");
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let _ = writeln!(file, "{}", std::process::id());
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().parse::<u32>().ok();
                    // A lock left by a run that died (its process is gone) is taken over.
                    if let Some(pid) = pid {
                        if !Path::new("/proc").join(pid.to_string()).exists()
                            && Path::new("/proc/self").exists()
                        {
                            let _ = std::fs::remove_file(&path);
                            continue;
                        }
                    }
                    if started.elapsed() > LOCK_WAIT {
                        bail!(
                            "another levers run is in progress (it holds {}, process {}); nothing was done. Try again when it has finished",
                            path.display(),
                            holder.trim()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()))
                }
            }
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn run(globals: &Globals, args: RunArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let root = workspace.root.clone();
    if !args.dry_run {
        crate::git::ready_to_commit(&root)?;
    }
    let _lock = if args.dry_run {
        None
    } else {
        Some(RunLock::acquire(&root)?)
    };
    let today = globals.today;
    let mut code = exit::OK;
    for broken in &workspace.broken {
        eprintln!(
            "levers: skipping contract `{}`: its files have problems (run `levers check`):",
            broken.id
        );
        for problem in workspace.problems_for(&broken.id) {
            eprintln!("{problem}");
        }
        code = exit::NEEDS_ATTENTION;
    }
    for contract in &workspace.contracts {
        let outcome: Result<()> = (|| {
            for due in due_letters(&workspace, contract, today) {
                let report =
                    contract_month_for_letter(&workspace, contract, due.month, today, due.stage)?;
                let path = crate::letter::letter_path(&report, due.stage);
                if args.dry_run {
                    crate::say!(
                        "would write {} ({} letter for {}, {})",
                        path.display(),
                        due.stage.name(),
                        contract.id,
                        due.month
                    );
                    continue;
                }
                let command = super::letter::regenerate_command(
                    &contract.id,
                    due.month,
                    due.stage,
                    today,
                    false,
                );
                let written = crate::letter::write(
                    &report,
                    due.stage,
                    &root,
                    &workspace.settings.organisation,
                    None,
                    command,
                )?;
                if written.unchanged {
                    continue;
                }
                let input_commit = crate::git::input_commit(&root, &report.inputs);
                let message = super::letter::commit_message(
                    &contract.id,
                    due.month,
                    due.stage,
                    &input_commit,
                );
                let hash = crate::git::commit(&root, &written.files, &message)?;
                crate::say!(
                    "{} ({} letter for {}, {}; commit {hash})",
                    written.letter.display(),
                    due.stage.name(),
                    contract.id,
                    due.month
                );
            }
            let log = contract.dir.join("action-log.md");
            if args.dry_run {
                crate::say!("would update {} if it has changed", log.display());
            } else if let Some(file) = super::actions::write_log(&workspace, contract, today)? {
                let message = format!("levers: action log for {} as of {today}", contract.id);
                let hash = crate::git::commit(&root, std::slice::from_ref(&file), &message)?;
                crate::say!(
                    "{} (action log for {}; commit {hash})",
                    file.display(),
                    contract.id
                );
            }
            Ok(())
        })();
        if let Err(error) = outcome {
            if super::is_broken_pipe(&error) {
                return Err(error);
            }
            eprintln!(
                "levers: contract `{}` was not completed: {error:#}",
                contract.id
            );
            code = exit::NEEDS_ATTENTION;
        }
    }
    Ok(code)
}
