//! The outputs levers keeps in a workspace, and the rules for writing them: a letter and its
//! challenge CSV written together, final letters never overwritten (reissued as `-rN` with a
//! reason), and a letter only when its month has data and, for a final one, once the freeze
//! date and the response window have passed.

use crate::audit::provenance::Provenance;
use crate::audit::write::write_file;
use crate::load::workspace::Workspace;
use crate::model::contract::Contract;
use crate::model::letter::{companion_name, Stage};
use crate::render::letter::{render, workbook_path, Rendered, LETTER_OVERRIDE};
use crate::render::text::long_date;
use crate::results::month::ContractMonth;
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};

/// Every file a letter is made from: the report's inputs and any template override.
pub(crate) fn letter_inputs(root: &Path, report: &ContractMonth<'_>) -> Vec<PathBuf> {
    let mut inputs = report.inputs.clone();
    if root.join(LETTER_OVERRIDE).is_file() {
        inputs.push(PathBuf::from(LETTER_OVERRIDE));
        inputs.sort();
    }
    inputs
}

/// The provenance a letter records, hashing its inputs now.
pub(crate) fn provenance(
    root: &Path,
    report: &ContractMonth<'_>,
    command: String,
) -> Result<Provenance> {
    Provenance::of(root, command, &letter_inputs(root, report)).context("cannot hash the inputs")
}

/// Why a letter cannot be written now, if it cannot: a month with no data at all, or a final
/// letter before the month's freeze date or before the provider's response window on its
/// provisional letter has ended (`--force` writes it anyway, and its provenance says so).
pub(crate) fn not_yet(report: &ContractMonth<'_>, stage: Stage, force: bool) -> Option<String> {
    let month = report.month;
    if !report.history.iter().any(|d| d.month == month) {
        return Some(format!(
            "there is no data for {} at all (no file under {}/data/*/{month}.csv), so there is nothing to write a letter about",
            month.long_name(),
            report.contract.dir.display()
        ));
    }
    if stage != Stage::Final || force {
        return None;
    }
    let freeze = report.dates.freeze;
    if report.today < freeze {
        return Some(format!(
            "the final letter for {} cannot be written before the final data (freeze) date, {}; pass --force to write it anyway (its provenance will say so)",
            month.long_name(),
            long_date(freeze)
        ));
    }
    if let Some(provisional) = &report.provisional {
        if report.today <= report.respond_by {
            return Some(format!(
                "the provider has until {} to respond to the provisional letter of {}, so the final letter for {} cannot be written yet; pass --force to write it anyway (its provenance will say so)",
                long_date(report.respond_by),
                long_date(provisional.date),
                month.long_name()
            ));
        }
    }
    None
}

/// What writing a letter did.
pub(crate) struct Written {
    pub files: Vec<PathBuf>,
    /// The letter already existed with exactly this content: nothing was written.
    pub unchanged: bool,
    pub letter: PathBuf,
}

/// `letters/<YYYY-MM>-<stage>.md`, relative to the workspace.
pub(crate) fn letter_path(report: &ContractMonth<'_>, stage: Stage) -> PathBuf {
    report
        .contract
        .dir
        .join("letters")
        .join(format!("{}-{}.md", report.month, stage.name()))
}

/// Writes the letter and its companion atomically, keeping final letters immutable. With
/// `commit_follows`, git stores the companion CSV's contents from the moment it is made.
pub(crate) fn write(
    report: &ContractMonth<'_>,
    stage: Stage,
    root: &Path,
    organisation: &crate::model::settings::Organisation,
    reissue: Option<&str>,
    command: String,
    commit_follows: bool,
) -> Result<Written> {
    let dir = report.contract.dir.join("letters");
    let final_path = dir.join(format!("{}-final.md", report.month));
    let path = letter_path(report, stage);
    if stage == Stage::Provisional && root.join(&final_path).exists() {
        bail!("the final letter for {} has been issued ({}), so the provisional letter can no longer change", report.month.long_name(), final_path.display());
    }
    let companion = dir.join(companion_name(report.month, stage));
    // With a commit to follow, git stores the CSV from the moment it is made (while the
    // workbook is still being made); dropping this waits for it.
    let mut storing = None;
    let rendered = render(
        report,
        stage,
        root,
        organisation,
        None,
        &provenance(root, report, command.clone())?,
        &companion,
        &mut store_csv(root, &companion, commit_follows, &mut storing),
    )?;
    if stage == Stage::Final && root.join(&path).exists() {
        let existing = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        if existing == rendered.text {
            return Ok(Written {
                files: Vec::new(),
                unchanged: true,
                letter: path,
            });
        }
        let Some(reason) = reissue else {
            bail!(
                "the final letter {} has already been issued and would now read differently; a final letter is never overwritten. To issue a corrected letter, run again with --reissue --reason \"why\" (it is written as the next -rN file)",
                path.display()
            );
        };
        let mut n = 2;
        let reissued = loop {
            let candidate = dir.join(format!("{}-final-r{n}.md", report.month));
            if !root.join(&candidate).exists() {
                break candidate;
            }
            n += 1;
        };
        let reissued_companion = dir.join(format!("{}-final-r{n}-challenges.csv", report.month));
        let rendered = render(
            report,
            stage,
            root,
            organisation,
            Some(reason),
            &provenance(
                root,
                report,
                format!("{command} --reissue --reason {reason:?}"),
            )?,
            &reissued_companion,
            &mut store_csv(root, &reissued_companion, commit_follows, &mut storing),
        )?;
        let files = write_letter(root, &reissued, &reissued_companion, &rendered)?;
        return Ok(Written {
            files,
            unchanged: false,
            letter: reissued,
        });
    }
    let workbook = workbook_path(&companion);
    if std::fs::read_to_string(root.join(&path)).is_ok_and(|t| t == rendered.text)
        && std::fs::read_to_string(root.join(&companion)).is_ok_and(|t| t == *rendered.csv)
        && std::fs::read(root.join(&workbook)).is_ok_and(|b| b == rendered.workbook)
        && rendered
            .charts
            .iter()
            .all(|(p, svg)| std::fs::read_to_string(root.join(p)).is_ok_and(|t| t == *svg))
    {
        return Ok(Written {
            files: Vec::new(),
            unchanged: true,
            letter: path,
        });
    }
    let files = write_letter(root, &path, &companion, &rendered)?;
    drop(storing);
    Ok(Written {
        files,
        unchanged: false,
        letter: path,
    })
}

/// A `csv_made` for [`render`]: with a commit to follow, git stores the CSV (the file
/// `companion` will hold) from the moment it is made, while the workbook is still being made;
/// what it starts is kept in `storing`, which waits for git when dropped.
fn store_csv<'a>(
    root: &'a Path,
    companion: &'a Path,
    commit_follows: bool,
    storing: &'a mut Option<crate::audit::git::StoringBlob>,
) -> impl FnMut(&std::sync::Arc<String>) + 'a {
    move |csv| {
        if commit_follows {
            *storing = Some(crate::audit::git::StoringBlob::start(
                root,
                companion,
                std::sync::Arc::clone(csv),
            ));
        }
    }
}

/// Writes a letter and its two companions, each atomically: the companions first, so a letter
/// on disk always has its detail beside it. Returns the files written. (The workbook is left
/// for `git add` to store, not stored ahead as the CSV is: storing it ahead read it twice, and
/// with both cores busy cost a run 0.15 s of processor time for no gain in time.)
fn write_letter(
    root: &Path,
    letter: &Path,
    companion: &Path,
    rendered: &Rendered,
) -> Result<Vec<PathBuf>> {
    let workbook = workbook_path(companion);
    write_file(root, companion, rendered.csv.as_bytes())
        .with_context(|| format!("cannot write {}", companion.display()))?;
    write_file(root, &workbook, &rendered.workbook)
        .with_context(|| format!("cannot write {}", workbook.display()))?;
    let mut files = vec![letter.to_path_buf(), companion.to_path_buf(), workbook];
    // The charts: a picture the letter no longer shows is removed, so the folder holds exactly
    // what the letter's provenance lists.
    let dir = crate::render::letter::charts_dir(companion);
    if let Ok(entries) = std::fs::read_dir(root.join(&dir)) {
        let mut stale: Vec<PathBuf> = entries
            .flatten()
            .map(|e| dir.join(e.file_name()))
            .filter(|p| p.extension().is_some_and(|e| e == "svg"))
            .filter(|p| !rendered.charts.iter().any(|(c, _)| c == p))
            .collect();
        stale.sort();
        for path in stale {
            std::fs::remove_file(root.join(&path))
                .with_context(|| format!("cannot remove {}", path.display()))?;
            files.push(path);
        }
    }
    for (path, svg) in &rendered.charts {
        write_file(root, path, svg.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(path.clone());
    }
    write_file(root, letter, rendered.text.as_bytes())
        .with_context(|| format!("cannot write {}", letter.display()))?;
    Ok(files)
}

/// Writes one contract's action log (contracts/<id>/action-log.md); `None` when it is already up to date.
pub(crate) fn write_action_log(
    workspace: &Workspace,
    contract: &Contract,
    today: chrono::NaiveDate,
) -> Result<Option<PathBuf>> {
    let month = crate::results::schedule::as_of_month(contract, today);
    let report = crate::results::month::contract_month(workspace, contract, month, today)?;
    write_action_log_of(workspace, &report, today)
}

/// [`write_action_log`] for the contract's month as of `today`, already worked out.
pub(crate) fn write_action_log_of(
    workspace: &Workspace,
    report: &ContractMonth<'_>,
    today: chrono::NaiveDate,
) -> Result<Option<PathBuf>> {
    let contract = report.contract;
    let (all, meetings, problems) = crate::results::actions::for_report(workspace, report, today);
    if problems.has_errors() {
        return Err(crate::error::InvalidInput(problems.sorted()).into());
    }
    let file = contract.dir.join("action-log.md");
    if all.is_empty() && !workspace.root.join(&file).exists() {
        // Nothing to log yet: no file rather than an empty one.
        return Ok(None);
    }
    let mut inputs = report.inputs.clone();
    inputs.extend(meetings.iter().map(|m| m.file.clone()));
    inputs.sort();
    inputs.dedup();
    let command = format!("actions --contract {} --today {today}", contract.id);
    let provenance =
        Provenance::of(&workspace.root, command, &inputs).context("cannot hash the inputs")?;
    let text = crate::render::action_log::render_log(
        &workspace.root,
        contract,
        &workspace.settings.organisation,
        &all,
        today,
        &provenance.comment(),
    )?;
    let file = contract.dir.join("action-log.md");
    if std::fs::read_to_string(workspace.root.join(&file)).is_ok_and(|t| t == text) {
        return Ok(None);
    }
    write_file(&workspace.root, &file, text.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(Some(file))
}

/// `notices/<case-id>.md` of `contract` (or, for a milestone's exception report,
/// `notices/<case-id>-exception-<milestone>.md`), relative to the workspace.
pub(crate) fn notice_path(contract: &Contract, case: &str, exception: Option<&str>) -> PathBuf {
    let name = match exception {
        Some(milestone) => format!("{case}-exception-{milestone}"),
        None => case.to_string(),
    };
    contract.dir.join("notices").join(format!("{name}.md"))
}

/// Writes the Contract Performance Notice of `case` (or a milestone's exception report) from
/// `report`, the contract as of its `today` (the month before it): `None` when it already says
/// exactly this. A notice, once written, is never overwritten: one that would now read
/// differently needs `reissue` (a reason), and is written as the next `-rN` file.
pub(crate) fn write_notice(
    workspace: &Workspace,
    report: &ContractMonth<'_>,
    case: &str,
    exception: Option<&str>,
    reissue: Option<&str>,
) -> Result<Option<PathBuf>> {
    let root = &workspace.root;
    let (contract, today) = (report.contract, report.today);
    let Some(found) = report.cases.iter().find(|c| c.case == case) else {
        let ids: Vec<&str> = report.cases.iter().map(|c| c.case.as_str()).collect();
        return Err(crate::error::Usage(format!(
            "contract `{}` has no case `{case}` as of {today}: expected one of {}",
            contract.id,
            if ids.is_empty() {
                "(none)".to_string()
            } else {
                ids.join(", ")
            }
        ))
        .into());
    };
    let command = match exception {
        Some(m) => format!(
            "notice --contract {} {case} --exception {m} --today {today}",
            contract.id
        ),
        None => format!("notice --contract {} {case} --today {today}", contract.id),
    };
    let text = |command: String, reason: Option<&str>| -> Result<String> {
        let provenance = provenance(root, report, command)?;
        document(
            report,
            found,
            exception,
            workspace,
            today,
            reason,
            &provenance.comment(),
        )
    };
    let path = notice_path(contract, case, exception);
    let written = text(command.clone(), None)?;
    if let Ok(existing) = std::fs::read_to_string(root.join(&path)) {
        // The issued notice stands while what it says is unchanged: its provenance (the date it
        // was made, the inputs as they then were) is allowed to differ from a remaking today.
        let body = |t: &'_ str| -> String {
            let end = crate::audit::provenance::comment_start(t).unwrap_or(t.len());
            t[..end].to_string()
        };
        if existing == written || (reissue.is_none() && body(&existing) == body(&written)) {
            return Ok(None);
        }
        let Some(reason) = reissue else {
            bail!(
                "the notice {} has already been issued and would now read differently; a notice is never overwritten. To issue a corrected one, run again with --reissue --reason \"why\" (it is written as the next -rN file)",
                path.display()
            );
        };
        let mut n = 2;
        let reissued = loop {
            let stem = notice_path(contract, case, exception);
            let stem = stem
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().to_string());
            let candidate = contract.dir.join("notices").join(format!("{stem}-r{n}.md"));
            if !root.join(&candidate).exists() {
                break candidate;
            }
            n += 1;
        };
        let text = text(
            format!("{command} --reissue --reason {reason:?}"),
            Some(reason),
        )?;
        write_file(root, &reissued, text.as_bytes())
            .with_context(|| format!("cannot write {}", reissued.display()))?;
        return Ok(Some(reissued));
    }
    write_file(root, &path, written.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// The Markdown of a case's notice, or of a milestone's exception report, as of `today`.
pub(crate) fn document(
    report: &ContractMonth<'_>,
    case: &crate::results::cases::Case,
    exception: Option<&str>,
    workspace: &Workspace,
    today: chrono::NaiveDate,
    reissue: Option<&str>,
    provenance: &str,
) -> Result<String> {
    let organisation = &workspace.settings.organisation;
    let Some(milestone) = exception else {
        return Ok(crate::render::notice::notice(
            report,
            case,
            organisation,
            reissue,
            provenance,
        ));
    };
    let due = crate::results::cases::exception_reports(case, &workspace.calendar, today);
    let Some((clock, date)) = due.iter().find(|(c, _)| c.id == milestone) else {
        return Err(crate::error::Usage(format!(
            "case `{}` calls for no exception report on milestone `{milestone}` as of {today}: a report is due the working day after a milestone is missed",
            case.case
        ))
        .into());
    };
    let first = due.iter().map(|(_, d)| *d).min().unwrap_or(*date);
    Ok(crate::render::notice::exception_report(
        report,
        case,
        clock,
        (*date, first),
        organisation,
        reissue,
        provenance,
    ))
}
