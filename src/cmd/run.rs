//! `levers run`: everything due today, for cron. Idempotent, and locked so two runs cannot
//! interleave.

use super::{exit, Globals};
use crate::results::month::contract_month_for_letter;
use crate::results::schedule::due_letters;
use anyhow::Result;
use clap::Args;

/// Writes and commits every letter and action log that is due, one line per output. Contracts
/// whose inputs are invalid are reported and skipped (exit 1); the others still run. A second
/// run the same day writes nothing and exits 0.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// List what would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The copies of `record` that `[output] formats` in levers.toml asks for, converted beside it
/// (derived from the record; committed with it).
fn converted(
    root: &std::path::Path,
    workspace: &crate::load::workspace::Workspace,
    record: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>> {
    workspace
        .settings
        .output_formats
        .iter()
        .map(|format| crate::audit::convert::convert(root, record, *format))
        .collect()
}

/// Whether `file` is a converted copy of a Markdown record beside it (`[output] formats`).
fn is_converted_copy(root: &std::path::Path, file: &std::path::Path) -> bool {
    file.extension()
        .is_some_and(|e| e == "docx" || e == "pdf" || e == "html")
        && root.join(file.with_extension("md")).is_file()
}

/// Commits the outputs an earlier run wrote but did not commit (it was killed, or git failed),
/// once each is shown to be exactly what its inputs make; an output changed by hand is left
/// alone and reported. A run is done only when its outputs are committed.
fn commit_left_over(
    root: &std::path::Path,
    contract: &crate::model::contract::Contract,
    today: chrono::NaiveDate,
) -> Result<()> {
    let mut files = crate::audit::git::uncommitted_files(root, &contract.dir.join("letters"));
    files.extend(crate::audit::git::uncommitted_files(
        root,
        &contract.dir.join("action-log.md"),
    ));
    files.extend(crate::audit::git::uncommitted_files(
        root,
        &contract.dir.join("notices"),
    ));
    files.sort();
    let mut changed_by_hand = Vec::new();
    let mut ready = Vec::new();
    for file in files {
        if is_converted_copy(root, &file) {
            // Derived from its record, which is checked in its own right.
            ready.push(file);
            continue;
        }
        match super::verify::matches_inputs(root, &file) {
            Ok(true) => ready.push(file),
            _ => changed_by_hand.push(file),
        }
    }
    if !ready.is_empty() {
        let names: Vec<String> = ready.iter().map(|f| f.display().to_string()).collect();
        let message = format!(
            "levers: outputs for {} written by an earlier run that did not commit them ({today})",
            contract.id
        );
        let hash = crate::audit::git::commit(root, &ready, &message)?;
        crate::say!(
            "{} (left uncommitted by an earlier run; commit {hash})",
            names.join(", ")
        );
    }
    if !changed_by_hand.is_empty() {
        let names: Vec<String> = changed_by_hand
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        anyhow::bail!(
            "{} {} not committed and no longer what {} inputs make (changed by hand?): levers leaves {} to you",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" },
            if names.len() == 1 { "its" } else { "their" },
            if names.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(())
}

/// A letter being committed on a thread of its own, and the line that says so once it is.
struct Committing<'scope> {
    line: String,
    commit: Commit<'scope>,
}

/// A commit on its thread, or made already (when no thread could be started).
enum Commit<'scope> {
    Running(std::thread::ScopedJoinHandle<'scope, Result<String>>),
    Made(Result<String>),
}

impl<'scope> Committing<'scope> {
    /// Commits `files` with `message` on a thread of `scope` (or here, should no thread start).
    fn start<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        root: &'env std::path::Path,
        files: Vec<std::path::PathBuf>,
        message: String,
        line: String,
    ) -> Committing<'scope> {
        let commit = move || crate::audit::git::commit(root, &files, &message);
        let commit = match std::thread::Builder::new().spawn_scoped(scope, commit.clone()) {
            Ok(running) => Commit::Running(running),
            Err(_) => Commit::Made(commit()),
        };
        Committing { line, commit }
    }

    /// Waits for the commit, and says it was made (or gives its error).
    fn reported(self) -> Result<()> {
        let hash = match self.commit {
            Commit::Running(running) => running.join().map_err(|_| {
                anyhow::anyhow!("internal error: the commit of {}) stopped", self.line)
            })??,
            Commit::Made(made) => made?,
        };
        crate::say!("{}; commit {hash})", self.line);
        Ok(())
    }
}

/// Writes and commits every letter and action log due today, or with `--dry-run` lists them and
/// writes nothing.
pub fn run(globals: &Globals, args: RunArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let root = workspace.root.clone();
    if !args.dry_run {
        crate::audit::git::ready_to_commit(&root)?;
    }
    if args.dry_run {
        // A dry run writes nothing at all: not even the cache.
        crate::pass::cache::set_read_only(true);
    }
    // A contract's letters and then its action log read the same months; its cache entries are
    // written while git commits its letters.
    crate::pass::cache::hold_months();
    crate::pass::cache::defer_entries();
    let _lock = if args.dry_run {
        None
    } else {
        Some(crate::audit::lock::WorkspaceLock::acquire(&root)?)
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
        let outcome: Result<()> = std::thread::scope(|scope| {
            // A letter's commit runs on a thread of its own while the next step is worked out
            // (git spends a large month's quarter second hashing the companions again, on one
            // core): only git's read-only commands (the letters' history) run meanwhile, and
            // its outcome is reported before anything else touches git.
            let mut committing: Option<Committing<'_>> = None;
            for due in due_letters(&workspace, contract, today) {
                if let Some(letter) = committing.take() {
                    letter.reported()?;
                }
                let report =
                    contract_month_for_letter(&workspace, contract, due.month, today, due.stage)?;
                let path = crate::audit::outputs::letter_path(&report, due.stage);
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
                let written = crate::audit::outputs::write(
                    &report,
                    due.stage,
                    &root,
                    &workspace.settings.organisation,
                    None,
                    command,
                    true,
                )?;
                // The month's cache entry is written while git commits the letter (written
                // earlier, its buffers sat beside the letter's and raised the peak).
                crate::pass::cache::write_entries_behind();
                if written.unchanged {
                    continue;
                }
                let mut files = written.files.clone();
                files.extend(converted(&root, &workspace, &written.letter)?);
                let input_commit = crate::audit::git::input_commit(&root, &report.inputs);
                let message = super::letter::commit_message(
                    &contract.id,
                    due.month,
                    due.stage,
                    &input_commit,
                );
                let line = format!(
                    "{} ({} letter for {}, {}",
                    written.letter.display(),
                    due.stage.name(),
                    contract.id,
                    due.month
                );
                committing = Some(Committing::start(scope, &root, files, message, line));
            }
            // Each GC9 case's notice, once its case has opened (never rewritten here). The
            // month as of today reads the letters from the working tree, so it is worked out
            // while the last letter is committed.
            let month = crate::results::schedule::as_of_month(contract, today);
            let report = crate::results::month::contract_month(&workspace, contract, month, today);
            if let Some(letter) = committing.take() {
                letter.reported()?;
            }
            // Left-over outputs are committed whether or not the month as of today can be
            // worked out.
            if !args.dry_run {
                commit_left_over(&root, contract, today)?;
            }
            let report = report?;
            let documents = report.cases.iter().flat_map(|case| {
                std::iter::once((case, None)).chain(
                    crate::results::cases::exception_reports(case, &workspace.calendar, today)
                        .into_iter()
                        .map(move |(clock, _)| (case, Some(clock.id.clone()))),
                )
            });
            for (case, exception) in documents {
                let path =
                    crate::audit::outputs::notice_path(contract, &case.case, exception.as_deref());
                if root.join(&path).exists() {
                    continue;
                }
                if args.dry_run {
                    crate::say!("would write {}", path.display());
                    continue;
                }
                if let Some(file) = crate::audit::outputs::write_notice(
                    &workspace,
                    &report,
                    &case.case,
                    exception.as_deref(),
                    None,
                )? {
                    let message = match &exception {
                        Some(m) => format!(
                            "levers: exception report {} milestone {m} ({})",
                            case.case, contract.id
                        ),
                        None => format!(
                            "levers: Contract Performance Notice {} ({})",
                            case.case, contract.id
                        ),
                    };
                    let mut files = vec![file.clone()];
                    files.extend(converted(&root, &workspace, &file)?);
                    let hash = crate::audit::git::commit(&root, &files, &message)?;
                    crate::say!(
                        "{} ({} for {}; commit {hash})",
                        file.display(),
                        if exception.is_some() {
                            "exception report"
                        } else {
                            "Contract Performance Notice"
                        },
                        contract.id
                    );
                }
            }
            let log = contract.dir.join("action-log.md");
            if args.dry_run {
                crate::say!("would update {} if it has changed", log.display());
            } else if let Some(file) =
                // The month as of today, worked out above for the notices, once the letters
                // were written: the log's inputs are the same.
                crate::audit::outputs::write_action_log_of(
                    &workspace, &report, today,
                )?
            {
                let message = format!("levers: action log for {} as of {today}", contract.id);
                let hash = crate::audit::git::commit(&root, std::slice::from_ref(&file), &message)?;
                crate::say!(
                    "{} (action log for {}; commit {hash})",
                    file.display(),
                    contract.id
                );
            }
            Ok(())
        });
        // A contract's months measured for the first time are written to the cache now if no
        // letter's commit gave them the time, behind the next contract's work.
        crate::pass::cache::write_entries_behind();
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
    // Every cache entry is written before the workspace is let go.
    crate::pass::cache::entries_written();
    Ok(code)
}
