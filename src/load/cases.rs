//! Case files, `contracts/<id>/cases/<case-id>.toml` (§4.9): read and checked like every other
//! input, every problem with its file, line and column.

use crate::error::{Problem, Problems};
use crate::load::fields::{Doc, Fields};
use crate::model::case::{CaseFile, Milestone, Outcome};
use crate::model::contract::Contract;
use std::path::Path;

/// Whether `id` may name a case (and its file): letters, digits and hyphens, as
/// `CPN-2026-08-ae-4hr`.
pub(crate) fn valid_case_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.starts_with('-')
}

/// Every case file of `contract`, sorted by id, and the problems found in them.
pub fn read_all(root: &Path, contract: &Contract) -> (Vec<CaseFile>, Problems) {
    let mut problems = Problems::new();
    let mut cases = Vec::new();
    let dir = contract.dir.join("cases");
    let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
        return (cases, problems);
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for name in names {
        let file = dir.join(&name);
        let (case, found) = read_one(root, &file, &name, contract);
        problems.extend(found);
        cases.extend(case);
    }
    (cases, problems)
}

fn read_one(
    root: &Path,
    file: &Path,
    name: &str,
    contract: &Contract,
) -> (Option<CaseFile>, Problems) {
    let source = match crate::load::files::read_text(&root.join(file)) {
        Ok(s) => s,
        Err(e) => {
            let mut p = Problems::new();
            p.push(Problem::at_line(file, 1, 1, e));
            return (None, p);
        }
    };
    let mut doc = Doc::new(file, source.clone());
    let id = name.trim_end_matches(".toml").to_string();
    if !valid_case_id(&id) {
        doc.error(
            0..0,
            format!("`{name}` is not a case file name: expected <case-id>.toml, the id in letters, digits and hyphens (such as CPN-2026-08-ae-4hr.toml)"),
        );
    }
    let table = doc.parse(&source);
    let mut top = Fields::new(&table, 0..0, "the case file");
    let subject = top.string(&mut doc, "subject").map(|s| s.value);
    let kpis = top
        .string_list(&mut doc, "kpis")
        .map_or_else(Vec::new, |l| {
            l.value
                .into_iter()
                .filter(|k| {
                    let known = contract.kpi(&k.value).is_some();
                    if !known {
                        let ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
                        doc.error(
                            k.span.clone(),
                            format!(
                                "unknown KPI `{}`: expected one of {}",
                                k.value,
                                ids.join(", ")
                            ),
                        );
                    }
                    known
                })
                .map(|k| k.value)
                .collect()
        });
    let issued = top.date(&mut doc, "issued");
    let meeting = top.date(&mut doc, "meeting");
    let outcome = top.string(&mut doc, "outcome").and_then(|o| {
        let found = Outcome::from_name(&o.value);
        if found.is_none() {
            doc.error(
                o.span.clone(),
                format!(
                    "unknown outcome `{}`: expected \"withdrawn\", \"investigation\" or \"rap\"",
                    o.value
                ),
            );
        }
        found.map(|f| (f, o.span))
    });
    let report = top.date(&mut doc, "investigation_report");
    let rap_agreed = top.date(&mut doc, "rap_agreed");
    let closed = top.date(&mut doc, "closed");
    let mut milestones: Vec<(Milestone, std::ops::Range<usize>)> = Vec::new();
    for mut m in top.tables(&mut doc, "milestone") {
        let mid = m.required_string(&mut doc, "id");
        let action = m.required_string(&mut doc, "action");
        let owner = m.required_string(&mut doc, "owner");
        let due = m.date(&mut doc, "due");
        if due.is_none() && m.get("due").is_none() {
            doc.error(m.span(), "a milestone needs `due`, the date it is due");
        }
        let met = m.date(&mut doc, "met");
        let spans = m.finish(&mut doc);
        let owner_role = owner.and_then(|o| {
            let role = o.value.strip_prefix("contacts.").map(str::to_string);
            match &role {
                Some(r) if contract.contacts.contains_key(r) => {}
                _ => {
                    let roles: Vec<String> = contract
                        .contacts
                        .keys()
                        .map(|r| format!("contacts.{r}"))
                        .collect();
                    doc.error(
                        o.span.clone(),
                        format!(
                            "milestone owner `{}` is not a contact: expected one of {}",
                            o.value,
                            roles.join(", ")
                        ),
                    );
                    return None;
                }
            }
            role
        });
        let mid = mid.filter(|mid| {
            let fine = valid_case_id(&mid.value)
                && !["meeting", "investigation", "rap"].contains(&mid.value.as_str());
            if !fine {
                doc.error(
                    mid.span.clone(),
                    format!("`{}` is not a milestone id: expected letters, digits and hyphens such as \"M1\" (not meeting, investigation or rap, which name the case's other clocks)", mid.value),
                );
            }
            fine
        });
        let action = action.filter(|a| {
            let written = !a.value.trim().is_empty();
            if !written {
                doc.error(
                    a.span.clone(),
                    "a milestone's `action` says what is to be done: it cannot be empty",
                );
            }
            written
        });
        if let (Some(mid), Some(action), Some(owner_role), Some(due)) =
            (mid, action, owner_role, due)
        {
            if milestones.iter().any(|(x, _)| x.id == mid.value) {
                doc.error(
                    mid.span.clone(),
                    format!("milestone id `{}` is used twice", mid.value),
                );
            }
            milestones.push((
                Milestone {
                    id: mid.value,
                    action: action.value,
                    owner_role,
                    due: due.value,
                    met: met.map(|m| m.value),
                },
                spans.of("met"),
            ));
        }
    }
    let spans = top.finish(&mut doc);
    // The facts must follow one another.
    let date = |d: &Option<crate::load::fields::At<chrono::NaiveDate>>| d.as_ref().map(|d| d.value);
    let mut order = |later: &Option<crate::load::fields::At<chrono::NaiveDate>>,
                     later_key: &str,
                     earlier: Option<chrono::NaiveDate>,
                     earlier_key: &str| {
        if let (Some(l), Some(e)) = (later, earlier) {
            if l.value < e {
                doc.error(
                    l.span.clone(),
                    format!(
                        "`{later_key}` ({}) is before `{earlier_key}` ({e})",
                        l.value
                    ),
                );
            }
        }
    };
    order(&meeting, "meeting", date(&issued), "issued");
    order(&report, "investigation_report", date(&meeting), "meeting");
    order(&rap_agreed, "rap_agreed", date(&meeting), "meeting");
    order(&closed, "closed", date(&issued), "issued");
    order(&closed, "closed", date(&meeting), "meeting");
    order(
        &rap_agreed,
        "rap_agreed",
        date(&report),
        "investigation_report",
    );
    let outcome_value = outcome.as_ref().map(|(o, _)| *o);
    if outcome.is_some() && meeting.is_none() {
        doc.error(
            spans.of("outcome"),
            "an `outcome` is decided at the Contract Management Meeting: give `meeting`, the date it was held",
        );
    }
    if report.is_some() && outcome_value != Some(Outcome::Investigation) {
        doc.error(
            spans.of("investigation_report"),
            "`investigation_report` belongs to a case whose outcome is \"investigation\"",
        );
    }
    if rap_agreed.is_some() && outcome_value == Some(Outcome::Investigation) && report.is_none() {
        doc.error(
            spans.of("rap_agreed"),
            "a plan follows the Joint Investigation's report: give `investigation_report`",
        );
    }
    if rap_agreed.is_some() && outcome_value == Some(Outcome::Withdrawn) {
        doc.error(
            spans.of("rap_agreed"),
            "the notice was withdrawn, so no plan can be agreed",
        );
    }
    if rap_agreed.is_some() && outcome_value.is_none() {
        doc.error(
            spans.of("rap_agreed"),
            "a plan is agreed after the meeting decides on one: give `outcome = \"rap\"` (or \"investigation\")",
        );
    }
    for (m, met_span) in &milestones {
        if let Some(agreed) = date(&rap_agreed) {
            if m.due < agreed {
                doc.error(
                    spans.of("milestone"),
                    format!(
                        "milestone `{}` is due ({}) before the plan was agreed ({agreed})",
                        m.id, m.due
                    ),
                );
            }
        }
        match (m.met, date(&rap_agreed)) {
            (Some(met), Some(agreed)) if met < agreed => doc.error(
                met_span.clone(),
                format!(
                    "milestone `{}` is met ({met}) before the plan was agreed ({agreed})",
                    m.id
                ),
            ),
            (_, None) => doc.error(
                spans.of("milestone"),
                format!(
                    "milestone `{}` belongs to an agreed plan: give `rap_agreed`",
                    m.id
                ),
            ),
            _ => {}
        }
    }
    let problems = doc.problems;
    if problems.has_errors() {
        return (None, problems);
    }
    (
        Some(CaseFile {
            id,
            file: file.to_path_buf(),
            subject,
            kpis,
            issued: date(&issued),
            meeting: date(&meeting),
            outcome: outcome_value,
            investigation_report: date(&report),
            rap_agreed: date(&rap_agreed),
            closed: date(&closed),
            milestones: milestones.into_iter().map(|(m, _)| m).collect(),
        }),
        problems,
    )
}
