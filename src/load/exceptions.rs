//! Exception analysis: the provider's account of a failing KPI in a month (its cause, the
//! actions being taken, and a recovery trajectory), which the monthly letter carries beside
//! the figures, or asks for when none has been given.
//!
//! An account comes from any of three places: `exceptions/<YYYY-MM>.toml` (`[[exception]]`
//! tables with `kpi`, `cause`, `actions`, `trajectory`), an `[[exception]]` in meeting minutes
//! (which also names its `month`), or the `note` of a provider return. The first two are read
//! here; the return's note comes with the month's figures.

use crate::error::{Problem, Problems};
use crate::load::fields::{Doc, Fields};
use crate::model::calendar::Month;
use std::path::{Path, PathBuf};

/// The provider's account of one KPI's failure in one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exception {
    /// The id of the KPI whose failure it explains.
    pub kpi: String,
    /// The activity month it explains.
    pub month: Month,
    /// The provider's account of the cause.
    pub cause: String,
    /// The actions the provider is taking; empty when none are given.
    pub actions: String,
    /// The recovery trajectory; empty when none is given.
    pub trajectory: String,
    /// Where it was written, relative to the workspace.
    pub file: PathBuf,
    /// Where it was given, in words: "your exception report for October 2026", "the CRM of
    /// 12 November 2026".
    pub given_in: String,
}

/// Reads one `[[exception]]` table; `month` is the file's month for an exceptions file, or
/// `None` when the table must name its own (meeting minutes).
pub fn read_table(
    doc: &mut Doc,
    mut t: Fields<'_, '_>,
    month: Option<Month>,
    kpi_ids: &[&str],
    given_in: &str,
) -> Option<Exception> {
    let span = t.span();
    let kpi = t.required_string(doc, "kpi");
    let own_month = t.string(doc, "month");
    let cause = t.required_string(doc, "cause");
    let actions = t
        .string(doc, "actions")
        .map(|a| a.value)
        .unwrap_or_default();
    let trajectory = t
        .string(doc, "trajectory")
        .map(|a| a.value)
        .unwrap_or_default();
    t.finish(doc);
    if let Some(k) = &kpi {
        if !kpi_ids.contains(&k.value.as_str()) {
            let hint = crate::error::closest(&k.value, kpi_ids)
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            doc.error(
                k.span.clone(),
                format!(
                    "unknown KPI `{}`: {hint}expected one of {}",
                    k.value,
                    kpi_ids.join(", ")
                ),
            );
            return None;
        }
    }
    let month = match (own_month, month) {
        (Some(m), file_month) => match m.value.parse::<Month>() {
            Ok(parsed) if file_month.is_none_or(|f| f == parsed) => parsed,
            Ok(_) => {
                doc.error(m.span, "an exception in an exceptions file is for the file's month: leave out `month`, or move it to the right file");
                return None;
            }
            Err(e) => {
                doc.error(m.span, e);
                return None;
            }
        },
        (None, Some(file_month)) => file_month,
        (None, None) => {
            doc.error(span, "an [[exception]] in meeting minutes needs `month`, the activity month it explains (\"YYYY-MM\")");
            return None;
        }
    };
    Some(Exception {
        kpi: kpi?.value,
        month,
        cause: cause?.value,
        actions,
        trajectory,
        file: doc.file.clone(),
        given_in: given_in.to_string(),
    })
}

/// Every `exceptions/<YYYY-MM>.toml` of a contract, with their problems.
pub fn read_files(
    root: &Path,
    contract_dir: &Path,
    kpi_ids: &[&str],
) -> (Vec<Exception>, Problems) {
    let mut problems = Problems::new();
    let mut found = Vec::new();
    let dir = contract_dir.join("exceptions");
    let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
        return (found, problems);
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for name in names {
        let file = dir.join(&name);
        let Ok(month) = name.trim_end_matches(".toml").parse::<Month>() else {
            problems.push(Problem::at_line(
                &file,
                1,
                1,
                format!("exceptions file `{name}` should be named <YYYY-MM>.toml, for the activity month it explains"),
            ));
            continue;
        };
        let source = match crate::load::files::read_text(&root.join(&file)) {
            Ok(s) => s,
            Err(e) => {
                problems.push(Problem::at_line(&file, 1, 1, e));
                continue;
            }
        };
        let mut doc = Doc::new(&file, source.clone());
        let table = doc.parse(&source);
        let mut top = Fields::new(&table, 0..0, "the exceptions file");
        for t in top.tables(&mut doc, "exception") {
            let given_in = format!("your exception report for {}", month.long_name());
            if let Some(e) = read_table(&mut doc, t, Some(month), kpi_ids, &given_in) {
                found.push(e);
            }
        }
        top.finish(&mut doc);
        problems.extend(doc.problems);
    }
    (found, problems)
}
