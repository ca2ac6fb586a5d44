//! Whole-workspace validation for `levers check`: everything loading finds, plus every data
//! file, submissions, challenge logs and meeting files, each problem located. Writes nothing.

use crate::error::{Problem, Problems};
use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::schema::RETURNS;
use crate::pass::csv::read_rows;
use std::path::Path;

pub(crate) fn check_workspace(workspace: &Workspace, today: chrono::NaiveDate) -> Problems {
    let mut problems = workspace.problems.clone();
    for (file, _) in [
        (
            crate::render::letter::LETTER_OVERRIDE,
            crate::render::letter::BUILT_IN_LETTER,
        ),
        (
            crate::render::action_log::ACTION_LOG_OVERRIDE,
            crate::render::action_log::BUILT_IN_ACTION_LOG,
        ),
    ] {
        problems.extend(check_template(&workspace.root, file));
    }
    for contract in workspace.contracts.iter().chain(&workspace.broken) {
        let mut found = check_contract_files(&workspace.root, contract);
        // Updates are checked against every action as of today, escalation actions included,
        // once the files those come from are sound.
        if !found.has_errors() && !workspace.broken.iter().any(|b| b.id == contract.id) {
            found.extend(unknown_updates(workspace, contract, today));
        }
        problems.extend(found);
    }
    problems
}

fn unknown_updates(
    workspace: &Workspace,
    contract: &Contract,
    today: chrono::NaiveDate,
) -> Problems {
    let month = crate::results::schedule::as_of_month(contract, today);
    let Ok(report) = crate::results::month::contract_month(workspace, contract, month, today)
    else {
        return Problems::new();
    };
    let (actions, meetings, _) = crate::results::actions::for_report(workspace, &report, today);
    let mut problems = crate::results::actions::unknown_updates(&actions, &meetings);
    problems.extend(unmatched_cases(workspace, contract, &report));
    problems
}

/// A case file that names no case: not one the ladder opened (a misspelt id, a month whose
/// letter has not gone out, a KPI no longer failing) and not opened by hand (no `issued`).
/// Its facts would otherwise be silently ignored.
fn unmatched_cases(
    workspace: &Workspace,
    contract: &Contract,
    report: &crate::results::month::ContractMonth<'_>,
) -> Problems {
    let mut problems = Problems::new();
    let (files, _) = crate::load::cases::read_all(&workspace.root, contract);
    for file in &files {
        // A ladder case concerns the KPI that reached the step: its file cannot swap it.
        if let Some(kpi) = file
            .id
            .strip_prefix("CPN-")
            .and_then(|rest| rest.get(8..))
            .filter(|kpi| contract.kpi(kpi).is_some())
        {
            if !file.kpis.is_empty() && !file.kpis.iter().any(|k| k == kpi) {
                problems.push(Problem::at_line(
                    &file.file,
                    1,
                    1,
                    format!(
                        "`{}` was opened by the escalation ladder for KPI `{kpi}`, so its `kpis` must include `{kpi}` (found {})",
                        file.id,
                        file.kpis.join(", ")
                    ),
                ));
            }
        }
    }
    for file in files {
        let known = report.cases.iter().any(|c| c.case == file.id);
        if !known && file.issued.is_none() {
            let ladder: Vec<&str> = report.cases.iter().map(|c| c.case.as_str()).collect();
            problems.push(Problem::at_line(
                &file.file,
                1,
                1,
                format!(
                    "`{}` is no case the escalation ladder has opened ({}), and a case opened by hand needs `issued`, the date of its notice",
                    file.id,
                    if ladder.is_empty() {
                        "it has opened none".to_string()
                    } else {
                        format!("its cases: {}", ladder.join(", "))
                    }
                ),
            ));
        }
    }
    problems
}

/// A workspace's template override must parse; an error names its line.
fn check_template(root: &Path, file: &str) -> Problems {
    let mut problems = Problems::new();
    let Ok(source) = crate::load::files::read_text(&root.join(file)) else {
        return problems;
    };
    if let Err(error) = crate::render::templates::environment("template", &source) {
        let line = error.line().unwrap_or(1);
        let excerpt = source
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .to_string();
        problems.push(
            Problem::at_line(
                Path::new(file),
                line,
                1,
                format!(
                    "template error: {}",
                    error.detail().unwrap_or(&error.to_string())
                ),
            )
            .with_excerpt(excerpt),
        );
    }
    problems
}

/// The files of one contract beyond contract.toml.
pub(crate) fn check_contract_files(root: &Path, contract: &Contract) -> Problems {
    let mut problems = Problems::new();
    for (dataset, _month, file) in data_files(root, contract, &mut problems) {
        if dataset == RETURNS {
            problems.extend(crate::load::returns::read(root, &file, contract).1);
            continue;
        }
        let Some(schema) = contract.schema(&dataset) else {
            continue;
        };
        let every_column: Vec<usize> = (0..schema.columns.len()).collect();
        problems
            .extend(read_rows(&root.join(&file), &file, schema, &every_column, |_| {}).problems);
    }
    let submissions = contract.dir.join("submissions.csv");
    problems
        .extend(crate::load::submissions::read(&root.join(&submissions), &submissions, contract).1);
    let log_file = contract.dir.join("challenge-log.csv");
    let (log, log_problems) = crate::load::challenge_log::read(&root.join(&log_file), &log_file);
    problems.extend(log_problems);
    if !log.events.is_empty() && !problems.has_errors() {
        problems.extend(unknown_challenges(root, contract, &log, &log_file));
    }
    let kpi_ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
    problems.extend(crate::load::meetings::read_all(root, &contract.dir, &kpi_ids).1);
    problems.extend(crate::load::cases::read_all(root, contract).1);
    problems.extend(crate::load::exceptions::read_files(root, &contract.dir, &kpi_ids).1);
    problems
}

/// Log events that name a challenge no rule raised, each at its line. The raised ids come from
/// the month cache, so this costs one pass over data that is not cached yet.
fn unknown_challenges(
    root: &Path,
    contract: &Contract,
    log: &crate::load::challenge_log::Log,
    file: &Path,
) -> Problems {
    let mut problems = Problems::new();
    let mut raised = std::collections::HashSet::new();
    let mut months_seen = std::collections::BTreeSet::new();
    for id in log.events.keys() {
        if let Some(month) = id.split('/').next().and_then(|m| m.parse::<Month>().ok()) {
            months_seen.insert(month);
        }
    }
    for month in months_seen {
        if let Ok(data) = crate::pass::cache::month(root, contract, month) {
            raised.extend(data.challenges.iter().map(|c| c.id()));
        }
    }
    for (id, events) in &log.events {
        if raised.contains(id) {
            continue;
        }
        for event in events {
            problems.push(Problem::at_line(
                file,
                event.line,
                2,
                format!("no challenge `{id}` was raised: expected an id of the form <YYYY-MM>/<rule-id>/<record> from a letter's challenge list"),
            ));
        }
    }
    problems
}

/// Every `data/<dataset>/<YYYY-MM>.csv` of a contract, sorted; misnamed files and unknown
/// datasets are problems.
pub(crate) fn data_files(
    root: &Path,
    contract: &Contract,
    problems: &mut Problems,
) -> Vec<(String, Month, std::path::PathBuf)> {
    let mut files = Vec::new();
    let data = contract.dir.join("data");
    let Ok(datasets) = std::fs::read_dir(root.join(&data)) else {
        return files;
    };
    let mut names: Vec<String> = datasets
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for dataset in names {
        let dir = data.join(&dataset);
        if !contract.datasets.contains_key(&dataset) {
            let known: Vec<&str> = contract.datasets.keys().map(String::as_str).collect();
            problems.push(Problem::at_line(
                &dir,
                1,
                1,
                format!(
                    "data for unknown dataset `{dataset}`: expected one of {}",
                    known.join(", ")
                ),
            ));
            continue;
        }
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        let mut months: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        months.sort();
        for name in months {
            let file = dir.join(&name);
            if !crate::load::files::inside_workspace(root, &root.join(&file)) {
                let mut warning = Problem::at_line(
                    &file,
                    1,
                    1,
                    format!(
                        "this data file links outside the workspace (to {}), so git does not keep it: the audit trail records its SHA-256 but cannot give it back; store the month in the workspace (`levers import`)",
                        std::fs::canonicalize(root.join(&file)).map_or_else(|_| "?".into(), |p| p.display().to_string())
                    ),
                );
                warning.severity = crate::error::Severity::Warning;
                problems.push(warning);
            }
            match name.strip_suffix(".csv").map(str::parse::<Month>) {
                Some(Ok(month)) => files.push((dataset.clone(), month, file)),
                _ => problems.push(Problem::at_line(
                    &file,
                    1,
                    1,
                    format!("`{name}` is not a monthly data file: expected <YYYY-MM>.csv"),
                )),
            }
        }
    }
    files
}
