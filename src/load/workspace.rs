//! The workspace: `levers.toml`, its contracts, and where files live (§2, §3).
//!
//! A workspace is found as git finds a repository: the nearest ancestor holding `levers.toml`.
//! Loading reads every file it can and collects every problem; a contract with problems is
//! kept out of [`Workspace::contracts`] but its problems are reported, so one broken contract
//! never hides the others.

use crate::error::{Problem, Problems};
use crate::load::fields::{as_date, as_string, as_table, At, Doc, Fields};
use crate::model::calendar::{Calendar, Month};
use crate::model::contract::Contract;
use crate::model::schema::{plcm_preset, valid_date_format, Column, ColumnType, Schema, RETURNS};
use crate::model::settings::{Organisation, PublishedDates, Settings, Timetable};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The settings file at a workspace's root: the folder holding it is a workspace.
pub const SETTINGS_FILE: &str = "levers.toml";

/// A workspace as loaded: its settings, its contracts, and every problem found.
pub struct Workspace {
    /// The workspace folder, holding levers.toml.
    pub root: PathBuf,
    /// The settings read from levers.toml, with defaults for what it does not give.
    pub settings: Settings,
    /// The working-day calendar the settings give.
    pub calendar: Calendar,
    /// Contracts that loaded without errors, sorted by id.
    pub contracts: Vec<Contract>,
    /// Every problem found while loading, across all files.
    pub problems: Problems,
    /// Contracts that loaded with errors: kept out of `contracts`, but `check` still
    /// validates their data files so one run reports everything.
    pub broken: Vec<Contract>,
}

/// The nearest ancestor of `start` (itself included) that holds `levers.toml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(SETTINGS_FILE).is_file())
        .map(Path::to_path_buf)
}

/// A contract id is `[a-z0-9][a-z0-9-]*`; checked before any path is built from it.
pub fn valid_contract_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && id.len() <= 64
}

impl Workspace {
    /// Loads levers.toml and every contract under `contracts/` in `root`, collecting every problem
    /// rather than stopping at the first.
    pub fn load(root: &Path) -> Workspace {
        let mut problems = Problems::new();
        let settings = load_settings(root, &mut problems);
        let calendar = settings.calendar();
        let mut contracts = Vec::new();
        let mut broken = Vec::new();
        for id in contract_ids(root, &mut problems) {
            let (contract, contract_problems) = crate::load::contract::load(root, &id, &settings);
            match contract {
                Some(c) if !contract_problems.has_errors() => contracts.push(c),
                Some(c) => broken.push(c),
                None => {}
            }
            problems.extend(contract_problems);
        }
        Workspace {
            root: root.to_path_buf(),
            settings,
            calendar,
            contracts,
            problems,
            broken,
        }
    }

    /// The contract `id`, if it loaded without errors.
    pub fn contract(&self, id: &str) -> Option<&Contract> {
        self.contracts.iter().find(|c| c.id == id)
    }

    /// Problems that belong to one contract's files, or to the shared settings.
    pub fn problems_for(&self, id: &str) -> Vec<Problem> {
        let prefix = Path::new("contracts").join(id);
        self.problems
            .iter()
            .filter(|p| p.file.starts_with(&prefix) || p.file == Path::new(SETTINGS_FILE))
            .cloned()
            .collect()
    }
}

fn contract_ids(root: &Path, problems: &mut Problems) -> Vec<String> {
    let dir = root.join("contracts");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if valid_contract_id(&name) {
            ids.push(name);
        } else {
            problems.push(Problem::at_line(
                &Path::new("contracts").join(&name),
                1,
                1,
                format!("`{name}` is not a valid contract id: expected lower-case letters, digits and hyphens, starting with a letter or digit"),
            ));
        }
    }
    ids.sort();
    ids
}

fn load_settings(root: &Path, problems: &mut Problems) -> Settings {
    let file = Path::new(SETTINGS_FILE);
    let mut settings = Settings {
        organisation: Organisation::default(),
        timetable: Timetable::default(),
        extra_holidays: Vec::new(),
        bank_holidays: true,
        datasets: default_datasets(),
        output_formats: Vec::new(),
    };
    let source = match crate::load::files::read_text(&root.join(file)) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem::at_line(
                file,
                1,
                1,
                format!("{SETTINGS_FILE}: {e}"),
            ));
            return settings;
        }
    };
    let mut doc = Doc::new(file, source.clone());
    let table = doc.parse(&source);
    let mut top = Fields::new(&table, 0..0, SETTINGS_FILE);

    match top.table(&mut doc, "organisation") {
        Some(mut org) => {
            settings.organisation.name = org
                .required_string(&mut doc, "name")
                .map(|s| s.value)
                .unwrap_or_default();
            settings.organisation.code = org
                .string(&mut doc, "code")
                .map(|s| s.value)
                .unwrap_or_default();
            settings.organisation.address = org
                .string_list(&mut doc, "address")
                .map(|l| l.value.into_iter().map(|s| s.value).collect())
                .unwrap_or_default();
            settings.organisation.letterhead = org
                .string_list(&mut doc, "letterhead")
                .map(|l| l.value.into_iter().map(|s| s.value).collect())
                .unwrap_or_default();
            org.finish(&mut doc);
        }
        None => doc.error(
            0..0,
            "levers.toml needs an [organisation] table with at least `name`",
        ),
    }

    if let Some(mut cal) = top.table(&mut doc, "calendar") {
        if let Some(kind) = cal.string(&mut doc, "bank_holidays") {
            match kind.value.as_str() {
                "england-and-wales" => settings.bank_holidays = true,
                "none" => settings.bank_holidays = false,
                other => doc.error(kind.span, format!("unknown bank holiday list `{other}`: expected \"england-and-wales\" or \"none\"")),
            }
        }
        if let Some(value) = cal.get("extra_holidays") {
            match value.get_ref() {
                toml::de::DeValue::Array(items) => {
                    for item in items {
                        if let Some(d) = as_date(&mut doc, item, "an extra holiday") {
                            settings.extra_holidays.push(d.value);
                        }
                    }
                }
                _ => doc.error(
                    value.span(),
                    "`extra_holidays` must be a list of dates, such as [2026-12-29]",
                ),
            }
        }
        cal.finish(&mut doc);
    }

    if let Some(mut tt) = top.table(&mut doc, "timetable") {
        let t = &mut settings.timetable;
        for (key, slot) in [
            ("flex", &mut t.flex),
            ("freeze", &mut t.freeze),
            ("provisional_letter", &mut t.provisional_letter),
            ("response_days", &mut t.response_days),
            ("final_letter", &mut t.final_letter),
        ] {
            if let Some(n) = tt.whole_number(&mut doc, key) {
                if n.value > crate::model::contract::MAX_WORKING_DAYS {
                    doc.error(
                        n.span,
                        format!(
                            "`{key}` is a number of working days after the month: at most {}",
                            crate::model::contract::MAX_WORKING_DAYS
                        ),
                    );
                } else {
                    *slot = n.value;
                }
            }
        }
        if let Some(dates) = tt.table(&mut doc, "dates") {
            for (month, value) in dates.entries() {
                let Ok(m) = month.value.parse::<Month>() else {
                    doc.error(
                        month.span,
                        format!("`{}` is not a month: expected \"YYYY-MM\"", month.value),
                    );
                    continue;
                };
                let Some(mut fields) =
                    as_table(&mut doc, value, format!("[timetable.dates.\"{m}\"]"))
                else {
                    continue;
                };
                let published = PublishedDates {
                    flex: fields.date(&mut doc, "flex").map(|d| d.value),
                    freeze: fields.date(&mut doc, "freeze").map(|d| d.value),
                    provisional_letter: fields
                        .date(&mut doc, "provisional_letter")
                        .map(|d| d.value),
                    final_letter: fields.date(&mut doc, "final_letter").map(|d| d.value),
                };
                fields.finish(&mut doc);
                t.dates.insert(m, published);
            }
        }
        tt.finish(&mut doc);
    }

    if let Some(mut output) = top.table(&mut doc, "output") {
        if let Some(formats) = output.string_list(&mut doc, "formats") {
            for f in formats.value {
                match <crate::audit::convert::Format as clap::ValueEnum>::from_str(&f.value, true) {
                    Ok(format) if !settings.output_formats.contains(&format) => {
                        settings.output_formats.push(format);
                    }
                    Ok(_) => {}
                    Err(_) => doc.error(
                        f.span,
                        format!(
                            "unknown output format `{}`: expected \"docx\", \"pdf\" or \"html\"",
                            f.value
                        ),
                    ),
                }
            }
        }
        output.finish(&mut doc);
    }

    if let Some(datasets) = top.table(&mut doc, "datasets") {
        read_datasets(&mut doc, datasets, &mut settings.datasets);
    }
    top.finish(&mut doc);
    problems.extend(doc.problems);
    settings
}

fn default_datasets() -> BTreeMap<String, Schema> {
    BTreeMap::from([("activity".to_string(), Schema::default_activity())])
}

/// Reads `[datasets.<name>]` tables into `into`, replacing any schema of the same name.
pub fn read_datasets(doc: &mut Doc, datasets: Fields<'_, '_>, into: &mut BTreeMap<String, Schema>) {
    for (name, value) in datasets.entries() {
        if name.value == RETURNS {
            doc.error(name.span, "`returns` is the built-in dataset of provider returns (kpi,numerator,denominator,value,note) and cannot be redefined");
            continue;
        }
        if !valid_contract_id(&name.value.replace('_', "-")) {
            doc.error(name.span.clone(), format!("`{}` is not a valid dataset name: expected lower-case letters, digits, `-` and `_`", name.value));
            continue;
        }
        let Some(mut fields) = as_table(doc, value, format!("[datasets.{}]", name.value)) else {
            continue;
        };
        if let Some(schema) = read_schema(doc, &mut fields, &name) {
            into.insert(name.value.clone(), schema);
        }
        fields.finish(doc);
    }
}

fn read_schema(doc: &mut Doc, fields: &mut Fields<'_, '_>, name: &At<String>) -> Option<Schema> {
    let title = fields.string(doc, "title").map(|t| t.value);
    let key = fields.string(doc, "key");
    let value = fields.string(doc, "value");
    let mut rename = BTreeMap::new();
    if let Some(preset) = fields.string(doc, "preset") {
        match preset.value.as_str() {
            "plcm" => rename = plcm_preset(),
            other => doc.error(
                preset.span,
                format!("unknown preset `{other}`: expected \"plcm\""),
            ),
        }
    }
    if let Some(map) = fields.table(doc, "rename") {
        for (from, to) in map.entries() {
            if let Some(to) = as_string(doc, to, &format!("the new name of `{}`", from.value)) {
                rename.insert(from.value, to.value);
            }
        }
    }
    let date_format = fields.string(doc, "date_format");
    if let Some(f) = &date_format {
        if !valid_date_format(&f.value) {
            doc.error(f.span.clone(), format!("`{}` is not a valid date format: expected chrono/strftime fields such as \"%d/%m/%Y\"", f.value));
        }
    }
    let mut columns = Vec::new();
    match fields.table(doc, "columns") {
        Some(cols) => {
            for (column, ty) in cols.entries() {
                let Some(ty_text) = as_string(doc, ty, &format!("the type of `{}`", column.value))
                else {
                    continue;
                };
                match ColumnType::parse(&ty_text.value) {
                    Some(t) => columns.push(Column {
                        name: column.value,
                        ty: t,
                    }),
                    None => doc.error(
                        ty_text.span,
                        format!(
                            "unknown column type `{}`: expected one of {}",
                            ty_text.value,
                            ColumnType::NAMES.join(", ")
                        ),
                    ),
                }
            }
        }
        None => doc.error(
            fields.span(),
            format!(
                "[datasets.{}] needs a [datasets.{}.columns] table",
                name.value, name.value
            ),
        ),
    }
    let schema = Schema {
        title,
        name: name.value.clone(),
        key: key.as_ref().map(|k| k.value.clone()),
        value: value.as_ref().map(|v| v.value.clone()),
        rename,
        date_format: date_format.map(|f| f.value),
        columns,
    };
    if let Some(k) = &key {
        if schema
            .column(&k.value)
            .is_some_and(|c| c.ty == ColumnType::NhsNumber)
        {
            doc.error(
                k.span.clone(),
                format!(
                    "the key column `{}` holds NHS numbers: challenges cite records by their key in letters and spreadsheets, and no NHS number may appear there; key the dataset by a record identifier",
                    k.value
                ),
            );
        }
        if schema.column(&k.value).is_none() {
            doc.error(
                k.span.clone(),
                format!(
                    "the key column `{}` is not among the dataset's columns",
                    k.value
                ),
            );
        }
    }
    if let Some(v) = &value {
        match schema.column(&v.value) {
            None => doc.error(
                v.span.clone(),
                format!(
                    "the value column `{}` is not among the dataset's columns",
                    v.value
                ),
            ),
            Some(c) if c.ty != ColumnType::Money => doc.error(
                v.span.clone(),
                format!(
                    "the value column `{}` must have type money, not {}",
                    v.value, c.ty
                ),
            ),
            Some(_) => {}
        }
    }
    Some(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_ids_are_checked_before_use() {
        for ok in ["acute", "nws-acute-2026", "0day"] {
            assert!(valid_contract_id(ok), "{ok}");
        }
        for bad in [
            "", "-acute", "Acute", "../etc", "a/b", "a.b", "a b", "acute_1",
        ] {
            assert!(!valid_contract_id(bad), "{bad}");
        }
    }
}
