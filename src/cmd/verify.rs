//! `levers verify FILE`: recompute a generated file from the inputs its provenance names.

use super::{exit, Globals};
use crate::audit::provenance::{sha256_file, Provenance};
use crate::error::Invalid;
use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::letter::Stage;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Reads the provenance at the end of FILE, checks each input's SHA-256, and makes the file
/// again, from the working tree when the inputs are unchanged or from the recorded commit when
/// they have moved on. Exit 0 when it matches; 1 with the first differing lines when not. A
/// letter's challenge CSV is checked through the letter's provenance.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A generated letter, challenge CSV or action log
    file: PathBuf,
}

/// What a provenance command asks to regenerate.
#[derive(Debug)]
enum Target {
    Letter {
        contract: String,
        month: Month,
        stage: Stage,
        today: chrono::NaiveDate,
        reason: Option<String>,
    },
    Actions {
        contract: String,
        today: chrono::NaiveDate,
    },
    Notice {
        contract: String,
        case: String,
        exception: Option<String>,
        today: chrono::NaiveDate,
        reason: Option<String>,
    },
}

/// A string as Rust's `{:?}` quotes it (the reissue reason in a command), unquoted.
fn unquote(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_command(command: &str) -> Result<Target> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let value = |flag: &str| {
        words
            .iter()
            .position(|w| *w == flag)
            .and_then(|i| words.get(i + 1))
            .map(|s| s.to_string())
    };
    let today = value("--today")
        .context("the provenance names no --today")?
        .parse()
        .context("bad --today in the provenance")?;
    let contract = value("--contract").context("the provenance names no contract")?;
    match words.first() {
        Some(&"letter") => {
            let stage = match value("--stage").as_deref() {
                Some("final") => Stage::Final,
                Some("provisional") => Stage::Provisional,
                _ => bail!("the provenance names no stage"),
            };
            let reason = command
                .split_once("--reason ")
                .map(|(_, r)| unquote(r.trim()));
            let month = value("--month")
                .context("the provenance names no month")?
                .parse()
                .map_err(|e: Invalid| anyhow::anyhow!(e))?;
            Ok(Target::Letter {
                contract,
                month,
                stage,
                today,
                reason,
            })
        }
        Some(&"actions") => Ok(Target::Actions { contract, today }),
        Some(&"notice") => {
            // The case is the one word that is neither a flag nor a flag's value.
            let mut case = None;
            let mut i = 1;
            while i < words.len() {
                match words[i] {
                    "--contract" | "--today" | "--exception" => i += 2,
                    "--reason" => break,
                    flag if flag.starts_with("--") => i += 1,
                    word => {
                        case = Some(word.to_string());
                        break;
                    }
                }
            }
            Ok(Target::Notice {
                contract,
                case: case.context("the provenance names no case")?,
                exception: value("--exception"),
                today,
                reason: command
                    .split_once("--reason ")
                    .map(|(_, r)| unquote(r.trim())),
            })
        }
        _ => bail!("the provenance names a command levers cannot remake: {command}"),
    }
}

/// Which of a letter's companions a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Companion {
    /// `…-challenges.csv`
    Csv,
    /// `…-challenges.xlsx`
    Workbook,
    /// A picture in the letter's `…-charts/` folder, by file name.
    Chart(String),
}

/// The letter whose provenance covers a companion (`…-challenges.csv` or `….xlsx` → `….md`),
/// and which companion it is.
fn letter_of_companion(file: &Path) -> Option<(PathBuf, Companion)> {
    let name = file.file_name()?.to_str()?;
    let folder = file.parent()?;
    if let Some(stem) = folder
        .file_name()
        .and_then(|d| d.to_str())
        .and_then(|d| d.strip_suffix("-charts"))
        .filter(|_| name.ends_with(".svg"))
    {
        // `<M>-charts` holds the provisional letter's pictures, `<M>-final[-rN]-charts` the
        // final letter's.
        let letter = if stem.len() == 7 {
            format!("{stem}-provisional.md")
        } else {
            format!("{stem}.md")
        };
        return Some((
            folder.with_file_name(letter),
            Companion::Chart(name.to_string()),
        ));
    }
    let (stem, which) = if let Some(stem) = name.strip_suffix("-challenges.csv") {
        (stem, Companion::Csv)
    } else {
        (name.strip_suffix("-challenges.xlsx")?, Companion::Workbook)
    };
    Some((file.with_file_name(format!("{stem}.md")), which))
}

/// Remakes a generated file from the inputs its provenance names and reports whether it matches
/// (exit 0) or not (exit 1).
pub fn run(globals: &Globals, args: VerifyArgs) -> Result<u8> {
    let root = globals.root()?;
    let companion = letter_of_companion(&args.file);
    let made_from = companion
        .as_ref()
        .map_or_else(|| args.file.clone(), |(l, _)| l.clone());
    let made_from = made_from.as_path();
    let letter_text = std::fs::read_to_string(made_from)
        .with_context(|| format!("cannot read {}", made_from.display()))?;
    let Some(provenance) = Provenance::parse(&letter_text) else {
        bail!(
            "{} has no levers provenance block, so it cannot be verified",
            made_from.display()
        );
    };
    let companion = companion.map(|(_, which)| which);
    let text: Vec<u8> = match companion.clone() {
        Some(which) => {
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            let recorded = match &which {
                Companion::Csv => provenance.companions.first(),
                Companion::Workbook => provenance.companions.get(1),
                Companion::Chart(name) => provenance.companions.iter().find(|(p, _)| {
                    p.file_name().and_then(|n| n.to_str()) == Some(name.as_str())
                        && p.parent().and_then(|d| d.file_name())
                            == args.file.parent().and_then(|d| d.file_name())
                }),
            }
            .map(|(_, sha)| sha.as_str());
            if recorded != Some(crate::audit::provenance::sha256_bytes(&bytes).as_str()) {
                crate::say!(
                    "MISMATCH: {} is not the file its letter {} records (its SHA-256 differs)",
                    args.file.display(),
                    made_from.display()
                );
                return Ok(exit::NEEDS_ATTENTION);
            }
            bytes
        }
        None => letter_text.into_bytes(),
    };
    let target = parse_command(&provenance.command)?;
    let changed: Vec<&PathBuf> = provenance
        .inputs
        .iter()
        .filter(|(path, sha)| sha256_file(&root.join(path)).ok().as_deref() != Some(sha.as_str()))
        .map(|(path, _)| path)
        .collect();
    let remade = if changed.is_empty() {
        remake(&root, &target, &provenance, companion.clone())?
    } else {
        crate::say!(
            "inputs changed since {} was made: {}",
            args.file.display(),
            changed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let commit = &provenance.input_commit;
        if commit == "uncommitted" || commit == "not in git" {
            crate::say!("MISMATCH: the inputs were not committed when the file was made ({commit}), so it cannot be remade from them");
            return Ok(exit::NEEDS_ATTENTION);
        }
        let scratch = std::env::temp_dir().join(format!("levers-verify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        for (path, sha) in &provenance.inputs {
            let bytes = crate::audit::git::show(&root, commit, path)?;
            if crate::audit::provenance::sha256_bytes(&bytes) != *sha {
                crate::say!(
                    "MISMATCH: {} at commit {commit} is not the version the file was made from",
                    path.display()
                );
                let _ = std::fs::remove_dir_all(&scratch);
                return Ok(exit::NEEDS_ATTENTION);
            }
            std::fs::create_dir_all(&scratch)?;
            crate::audit::write::write_file(&scratch, path, &bytes)?;
        }
        let result = remake(&scratch, &target, &provenance, companion.clone());
        let _ = std::fs::remove_dir_all(&scratch);
        result?
    };
    if remade == text && changed.is_empty() {
        crate::say!("OK: {} matches what its inputs make", args.file.display());
        return Ok(exit::OK);
    }
    if remade == text {
        crate::say!(
            "MISMATCH: {} matches its inputs as they were at commit {}, but the inputs above have changed since: regenerate it (or, for a final letter, reissue it)",
            args.file.display(),
            provenance.input_commit
        );
        return Ok(exit::NEEDS_ATTENTION);
    }
    if companion == Some(Companion::Workbook) {
        crate::say!(
            "MISMATCH: {} differs from what its inputs make (a workbook: compare it with a fresh `levers letter`)",
            args.file.display()
        );
        return Ok(exit::NEEDS_ATTENTION);
    }
    let (text, remade) = (
        String::from_utf8_lossy(&text),
        String::from_utf8_lossy(&remade),
    );
    let line = text
        .lines()
        .zip(remade.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| text.lines().count().min(remade.lines().count()));
    crate::say!(
        "MISMATCH: {} differs from what its inputs make, first at line {}:",
        args.file.display(),
        line + 1
    );
    crate::say!(
        "  file:     {}",
        text.lines().nth(line).unwrap_or("(end of file)")
    );
    crate::say!(
        "  expected: {}",
        remade.lines().nth(line).unwrap_or("(end of file)")
    );
    Ok(exit::NEEDS_ATTENTION)
}

/// Whether a generated file in the working tree (a letter, its challenge CSV, an action log)
/// is exactly what its inputs, as they are now, make: what `run` asks of an output an earlier
/// run wrote but did not commit before it commits it.
pub fn matches_inputs(root: &Path, file: &Path) -> Result<bool> {
    let companion = letter_of_companion(file);
    let made_from = companion.as_ref().map_or(file, |(l, _)| l.as_path());
    let text = crate::load::files::read_text(&root.join(made_from)).map_err(anyhow::Error::msg)?;
    let Some(provenance) = Provenance::parse(&text) else {
        return Ok(false);
    };
    let inputs_unchanged = provenance
        .inputs
        .iter()
        .all(|(path, sha)| sha256_file(&root.join(path)).ok().as_deref() == Some(sha.as_str()));
    if !inputs_unchanged {
        return Ok(false);
    }
    let target = parse_command(&provenance.command)?;
    let remade = remake(root, &target, &provenance, companion.map(|(_, w)| w))?;
    let current = std::fs::read(root.join(file))?;
    Ok(remade == current)
}

fn remake(
    root: &Path,
    target: &Target,
    provenance: &Provenance,
    companion: Option<Companion>,
) -> Result<Vec<u8>> {
    let workspace = Workspace::load(root);
    match target {
        Target::Letter {
            contract,
            month,
            stage,
            today,
            reason,
        } => {
            let contract = crate::results::month::contract(&workspace, contract)?;
            let report = crate::results::month::contract_month_for_letter(
                &workspace, contract, *month, *today, *stage,
            )?;
            let companion_path = provenance
                .companions
                .first()
                .map(|(path, _)| path.clone())
                .unwrap_or_else(|| {
                    contract
                        .dir
                        .join("letters")
                        .join(crate::model::letter::companion_name(*month, *stage))
                });
            let rendered = crate::render::letter::render(
                &report,
                *stage,
                root,
                &workspace.settings.organisation,
                reason.as_deref(),
                provenance,
                &companion_path,
                &mut |_| {},
            )?;
            Ok(match companion {
                None => rendered.text.into_bytes(),
                // Nothing else holds the CSV (no blob is stored): it is moved, not copied.
                Some(Companion::Csv) => std::sync::Arc::try_unwrap(rendered.csv)
                    .map_or_else(|csv| csv.as_bytes().to_vec(), String::into_bytes),
                Some(Companion::Workbook) => rendered.workbook,
                Some(Companion::Chart(name)) => rendered
                    .charts
                    .into_iter()
                    .find(|(p, _)| p.file_name().and_then(|n| n.to_str()) == Some(name.as_str()))
                    .map(|(_, svg)| svg.into_bytes())
                    .unwrap_or_default(),
            })
        }
        Target::Notice {
            contract,
            case,
            exception,
            today,
            reason,
        } => {
            let contract = crate::results::month::contract(&workspace, contract)?;
            let month = crate::results::schedule::as_of_month(contract, *today);
            let report =
                crate::results::month::contract_month(&workspace, contract, month, *today)?;
            let found = report
                .cases
                .iter()
                .find(|c| c.case == *case)
                .with_context(|| format!("the inputs no longer give a case `{case}`"))?;
            crate::audit::outputs::document(
                &report,
                found,
                exception.as_deref(),
                &workspace,
                *today,
                reason.as_deref(),
                &provenance.comment(),
            )
            .map(String::into_bytes)
        }
        Target::Actions { contract, today } => {
            let contract = crate::results::month::contract(&workspace, contract)?;
            let month = crate::results::schedule::as_of_month(contract, *today);
            let report =
                crate::results::month::contract_month(&workspace, contract, month, *today)?;
            let (all, _, _) = crate::results::actions::for_report(&workspace, &report, *today);
            crate::render::action_log::render_log(
                root,
                contract,
                &workspace.settings.organisation,
                &all,
                *today,
                &provenance.comment(),
            )
            .map(String::into_bytes)
        }
    }
}
