//! docs/reference.md lists every key the loaders read and every variable the templates get;
//! these tests hold it to the code, both ways, so it cannot drift.

use std::collections::BTreeSet;
use std::path::Path;

/// (section, entry) pairs of the reference, for sections up to `until`.
fn documented(from: &str, until: Option<&str>) -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"))
            .unwrap();
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no `{from}` in the reference"));
    let end = until.map_or(text.len(), |u| {
        text[start..].find(u).map_or(text.len(), |i| start + i)
    });
    let mut section = String::new();
    let mut entries = BTreeSet::new();
    for line in text[start..end].lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            section = heading.split(" — ").next().unwrap().to_string();
        } else if let Some(row) = line.strip_prefix("| `") {
            let entry = row.split('`').next().unwrap().to_string();
            entries.insert((section.clone(), entry));
        }
    }
    entries
}

/// Every key the loaders ask for while loading the example workspace (every kind of file
/// and table is in it) and the valid test contracts.
fn asked() -> BTreeSet<(String, String)> {
    levers::load::fields::start_recording_keys();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.to_path_buf()];
    let valid = root.join("tests/contracts/valid");
    for entry in std::fs::read_dir(&valid).unwrap().flatten() {
        let dir = crate::common::temp_dir(&format!(
            "reference-{}",
            entry.file_name().to_string_lossy()
        ));
        std::fs::copy(
            root.join("tests/contracts/levers.toml"),
            dir.join("levers.toml"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("contracts/c")).unwrap();
        std::fs::copy(entry.path(), dir.join("contracts/c/contract.toml")).unwrap();
        std::fs::create_dir_all(dir.join("contracts/c/cases")).unwrap();
        std::fs::copy(
            root.join("tests/contracts/cases/every-key.toml"),
            dir.join("contracts/c/cases/CASE-1.toml"),
        )
        .unwrap();
        roots.push(dir);
    }
    for root in roots {
        let workspace = levers::load::workspace::Workspace::load(&root);
        for contract in workspace.contracts.iter().chain(&workspace.broken) {
            let ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
            levers::load::meetings::read_all(&workspace.root, &contract.dir, &ids);
            levers::load::exceptions::read_files(&workspace.root, &contract.dir, &ids);
            let (_, problems) = levers::load::cases::read_all(&workspace.root, contract);
            assert!(!problems.has_errors(), "{:?}", problems.sorted());
        }
    }
    levers::load::fields::recorded_keys()
}

#[test]
fn every_key_the_loaders_read_is_in_the_reference_and_no_other() {
    let asked = asked();
    let documented = documented("## levers.toml", Some("## Letter template variables"));
    let undocumented: Vec<_> = asked.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&asked).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "keys read but not in docs/reference.md: {undocumented:?}\nkeys in docs/reference.md that nothing reads: {unknown:?}"
    );
}

/// The paths of a template context: `meta.title`, `kpi_sections[].rows[].name`.
fn paths(value: &serde_json::Value, prefix: &str, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                into.insert(path.clone());
                paths(inner, &path, into);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), into);
            }
        }
        _ => {}
    }
}

fn check_variables(section: &str, until: Option<&str>, context: &serde_json::Value) {
    let mut given = BTreeSet::new();
    paths(context, "", &mut given);
    let documented: BTreeSet<String> = documented(section, until)
        .into_iter()
        .map(|(_, entry)| entry)
        .collect();
    let undocumented: Vec<_> = given.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "{section}: not in docs/reference.md: {undocumented:?}"
    );
    // Every variable documented at the top level is given (nested ones may sit in lists
    // that happen to be empty).
    let top: BTreeSet<&String> = given.iter().filter(|p| !p.contains(['.', '['])).collect();
    let missing: Vec<_> = documented
        .iter()
        .filter(|d| !d.contains(['.', '[']) && !top.contains(d))
        .collect();
    assert!(
        missing.is_empty(),
        "{section}: documented but not given: {missing:?}"
    );
}

#[test]
fn every_template_variable_is_in_the_reference() {
    let dir = crate::common::fixture("reference-templates");
    let workspace = levers::load::workspace::Workspace::load(&dir);
    let contract = workspace.contract("small").unwrap();
    let today = "2026-07-25".parse().unwrap();
    let report = levers::results::month::contract_month_for_letter(
        &workspace,
        contract,
        "2026-06".parse().unwrap(),
        today,
        levers::model::letter::Stage::Provisional,
    )
    .unwrap();
    let letter = levers::render::letter::context(
        &report,
        levers::model::letter::Stage::Provisional,
        &workspace.settings.organisation,
        Some("a reason"),
        "",
        Some("2026-06-charts"),
    );
    check_variables(
        "## Letter template variables",
        Some("## Action log"),
        &serde_json::to_value(&letter).unwrap(),
    );
    let (actions, _, _) = levers::results::actions::for_report(&workspace, &report, today);
    let log = levers::render::action_log::log_context(
        contract,
        &workspace.settings.organisation,
        &actions,
        today,
        "",
    );
    check_variables("## Action log template variables", None, &log);
}
