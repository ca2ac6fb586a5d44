//! Meeting minutes (`meetings/<YYYY-MM-DD>-<type>.toml`, §4.8): attendees, the actions agreed,
//! and updates on actions from earlier meetings.

use crate::error::{Problem, Problems};
use crate::load::fields::{Doc, Fields};
use chrono::NaiveDate;
use serde::Serialize;
use std::path::Path;

/// The meeting types a file's `type` may name, and its file name end with.
pub const MEETING_TYPES: [&str; 7] = ["CRM", "CQRG", "DQIP", "CMB", "QIPP", "associate", "other"];

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    /// Still to be done.
    Open,
    /// Done: recorded at a meeting, or, for an escalation action, taken up at a meeting of the
    /// step's kind.
    Done,
    /// Dropped at a meeting: no longer to be done.
    Dropped,
    /// An escalation action no longer required: its KPI was met again.
    Lapsed,
}

/// An action agreed at a meeting (`[[action]]`).
#[derive(Debug, Clone, Serialize)]
pub struct MeetingAction {
    /// The action's id: as the minutes give it, or `<TYPE>-<date>-<position>`.
    pub id: String,
    /// What is to be done.
    pub text: String,
    /// Who is to do it.
    pub owner: String,
    /// The date it is due.
    pub due: NaiveDate,
    /// The KPI it concerns, if it names one.
    pub kpi: Option<String>,
}

/// A meeting's update on an action agreed earlier (`[[update]]`).
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// The id of the action updated.
    pub action: String,
    /// Where the action now stands: open, done or dropped.
    pub status: ActionStatus,
    /// The update's note; empty when none is given.
    pub note: String,
    /// Where `action = "…"` is written, for a problem about the id it names.
    pub line: usize,
    /// The 1-based column of `action = "…"`.
    pub column: usize,
    /// The text of the line it is on, shown under a problem.
    pub excerpt: String,
}

/// One meeting's minutes, from `meetings/<YYYY-MM-DD>-<type>.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    /// The file, relative to the workspace.
    pub file: std::path::PathBuf,
    /// The date the meeting was held, from the file name.
    pub date: NaiveDate,
    /// The meeting type (CRM, CQRG, …); `other` when the file gives none.
    pub kind: String,
    /// Who attended.
    pub attendees: Vec<String>,
    /// The actions agreed at the meeting.
    pub actions: Vec<MeetingAction>,
    /// The updates given on actions agreed earlier.
    pub updates: Vec<Update>,
    /// The provider's accounts of failing KPIs given at the meeting.
    pub exceptions: Vec<crate::load::exceptions::Exception>,
}

/// Reads every meeting file of a contract, sorted by date then file name.
pub fn read_all(root: &Path, contract_dir: &Path, kpi_ids: &[&str]) -> (Vec<Meeting>, Problems) {
    let mut problems = Problems::new();
    let mut meetings = Vec::new();
    let dir = contract_dir.join("meetings");
    let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
        return (meetings, problems);
    };
    let mut files: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    for name in files {
        let file = dir.join(&name);
        match read_one(root, &file, &name, kpi_ids) {
            (Some(m), p) => {
                meetings.push(m);
                problems.extend(p);
            }
            (None, p) => problems.extend(p),
        }
    }
    meetings.sort_by(|a, b| (a.date, &a.file).cmp(&(b.date, &b.file)));
    (meetings, problems)
}

fn read_one(root: &Path, file: &Path, name: &str, kpi_ids: &[&str]) -> (Option<Meeting>, Problems) {
    let source = match crate::load::files::read_text(&root.join(file)) {
        Ok(s) => s,
        Err(e) => {
            let mut p = Problems::new();
            p.push(Problem::at_line(file, 1, 1, e));
            return (None, p);
        }
    };
    let mut doc = Doc::new(file, source.clone());
    let stem = name.trim_end_matches(".toml");
    let date = stem
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let type_in_name = stem.get(11..).unwrap_or("");
    if date.is_none() || stem.as_bytes().get(10) != Some(&b'-') {
        doc.error(
            0..0,
            format!("meeting file `{name}` should be named <YYYY-MM-DD>-<type>.toml"),
        );
    }
    let table = doc.parse(&source);
    let mut top = Fields::new(&table, 0..0, "the meeting");
    let kind = top.required_string(&mut doc, "type");
    if let Some(k) = &kind {
        if !MEETING_TYPES.contains(&k.value.as_str()) {
            doc.error(
                k.span.clone(),
                format!(
                    "unknown meeting type `{}`: expected one of {}",
                    k.value,
                    MEETING_TYPES.join(", ")
                ),
            );
        } else if !type_in_name.is_empty() && !type_in_name.eq_ignore_ascii_case(&k.value) {
            doc.error(
                k.span.clone(),
                format!(
                    "the file name says `{type_in_name}` but type is `{}`",
                    k.value
                ),
            );
        }
    }
    let attendees = top
        .string_list(&mut doc, "attendees")
        .map(|l| l.value.into_iter().map(|s| s.value).collect())
        .unwrap_or_default();
    let kind_text = kind.map(|k| k.value).unwrap_or_else(|| "other".into());
    let mut actions = Vec::new();
    for (position, mut a) in top.tables(&mut doc, "action").into_iter().enumerate() {
        let span = a.span();
        let id = a.string(&mut doc, "id").map(|s| s.value);
        let text = a.required_string(&mut doc, "text");
        let owner = a.required_string(&mut doc, "owner");
        let due = a.date(&mut doc, "due");
        if due.is_none() && a.get("due").is_none() {
            doc.error(span.clone(), "an action needs `due`, the date it is due");
        }
        let kpi = a.string(&mut doc, "kpi");
        if let Some(k) = &kpi {
            if !kpi_ids.contains(&k.value.as_str()) {
                doc.error(
                    k.span.clone(),
                    format!(
                        "unknown KPI `{}`: expected one of {}",
                        k.value,
                        kpi_ids.join(", ")
                    ),
                );
            }
        }
        a.finish(&mut doc);
        // Generated ids are stable as long as the file and the action's position in it are.
        let id = id.unwrap_or_else(|| {
            let d = date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            format!("{kind_text}-{d}-{}", position + 1)
        });
        if let (Some(text), Some(owner), Some(due)) = (text, owner, due) {
            actions.push(MeetingAction {
                id,
                text: text.value,
                owner: owner.value,
                due: due.value,
                kpi: kpi.map(|k| k.value),
            });
        }
    }
    let mut updates = Vec::new();
    for mut u in top.tables(&mut doc, "update") {
        let action = u.required_string(&mut doc, "action");
        let status = u
            .required_string(&mut doc, "status")
            .and_then(|s| match s.value.as_str() {
                "open" => Some(ActionStatus::Open),
                "done" => Some(ActionStatus::Done),
                "dropped" => Some(ActionStatus::Dropped),
                other => {
                    doc.error(
                        s.span,
                        format!("unknown status `{other}`: expected open, done or dropped"),
                    );
                    None
                }
            });
        let note = u
            .string(&mut doc, "note")
            .map(|s| s.value)
            .unwrap_or_default();
        u.finish(&mut doc);
        if let (Some(action), Some(status)) = (action, status) {
            let (line, column, excerpt) = crate::error::locate(&source, action.span.start);
            updates.push(Update {
                action: action.value,
                status,
                note,
                line,
                column,
                excerpt,
            });
        }
    }
    let given_in = match date {
        Some(d) => format!("the {kind_text} of {}", d.format("%-d %B %Y")),
        None => format!("the {kind_text}"),
    };
    let exceptions = top
        .tables(&mut doc, "exception")
        .into_iter()
        .filter_map(|t| crate::load::exceptions::read_table(&mut doc, t, None, kpi_ids, &given_in))
        .collect();
    top.string(&mut doc, "chair");
    top.string(&mut doc, "notes");
    top.finish(&mut doc);
    let meeting = date.map(|date| Meeting {
        file: file.to_path_buf(),
        date,
        kind: kind_text,
        attendees,
        actions,
        updates,
        exceptions,
    });
    (meeting, doc.problems)
}
