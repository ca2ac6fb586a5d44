//! The action log's Markdown (§5.3): overdue actions first, then open ones by due date, then
//! those closed in the last 60 days, laid out by the action-log template.

use crate::load::meetings::ActionStatus;
use crate::model::contract::Contract;
use crate::results::actions::{sections, Action};
use chrono::NaiveDate;
use serde::Serialize;

/// The action-log template built into the binary.
pub const BUILT_IN_ACTION_LOG: &str = include_str!("templates/action-log.md");
/// The workspace's own action-log template, relative to its root: used instead of the
/// built-in one when present.
pub const ACTION_LOG_OVERRIDE: &str = "templates/action-log.md";

#[derive(Serialize)]
struct Row {
    id: String,
    text: String,
    owner: String,
    due: String,
    closed: String,
    outcome: String,
    source: String,
    kpi: String,
}

fn row(a: &Action) -> Row {
    use crate::render::text::{long_date, md};
    Row {
        id: md(&a.id),
        text: md(&a.text),
        owner: md(&a.owner),
        due: long_date(a.due),
        closed: a.closed_on.map_or_else(String::new, long_date),
        outcome: match a.status {
            ActionStatus::Done => {
                if a.note.is_empty() {
                    "Done".into()
                } else {
                    format!("Done: {}", md(&a.note))
                }
            }
            ActionStatus::Dropped => {
                if a.note.is_empty() {
                    "Dropped".into()
                } else {
                    format!("Dropped: {}", md(&a.note))
                }
            }
            ActionStatus::Lapsed => {
                if a.note.is_empty() {
                    "Closed: no longer required".into()
                } else {
                    format!("Closed: no longer required ({})", md(&a.note))
                }
            }
            ActionStatus::Open => "Open".into(),
        },
        source: md(&a.source),
        kpi: a.kpi.as_deref().map_or_else(|| "—".into(), md),
    }
}

/// What the action-log template lays out.
pub fn log_context(
    contract: &Contract,
    organisation: &crate::model::settings::Organisation,
    actions: &[Action],
    today: NaiveDate,
    provenance: &str,
) -> serde_json::Value {
    use crate::render::text::{long_date, md, yaml};
    let (overdue, open, closed) = sections(actions, today);
    serde_json::json!({
        "meta": {
            "title": yaml(&format!("Action log: {}", contract.title)),
            "date": yaml(&long_date(today)),
            "from": yaml(&organisation.name),
            "to": yaml(&contract.provider.name),
            "reference": yaml(&contract.reference),
        },
        "title": format!("{} ({})", md(&contract.title), md(&contract.reference)),
        "as_of": long_date(today),
        "overdue": overdue.iter().map(|a| row(a)).collect::<Vec<_>>(),
        "open": open.iter().map(|a| row(a)).collect::<Vec<_>>(),
        "closed": closed.iter().map(|a| row(a)).collect::<Vec<_>>(),
        "provenance": provenance,
    })
}

/// The action log's Markdown, ending with `provenance`.
pub fn render_log(
    root: &std::path::Path,
    contract: &Contract,
    organisation: &crate::model::settings::Organisation,
    actions: &[Action],
    today: NaiveDate,
    provenance: &str,
) -> anyhow::Result<String> {
    use crate::render::templates::{environment, template_error, template_source};
    let ctx = log_context(contract, organisation, actions, today, provenance);
    let source = template_source(root, ACTION_LOG_OVERRIDE, BUILT_IN_ACTION_LOG)?;
    let env = environment("action-log.md", &source)
        .map_err(|e| anyhow::anyhow!(template_error(ACTION_LOG_OVERRIDE, &e)))?;
    let text = env
        .get_template("action-log.md")
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&ctx))))
        .map_err(|e| anyhow::anyhow!(template_error(ACTION_LOG_OVERRIDE, &e)))?;
    Ok(crate::render::templates::tidy(&text))
}
