//! The workspace: `levers.toml`, its contracts, and where files live (§2, §3).
//!
//! A workspace is found as git finds a repository: the nearest ancestor holding `levers.toml`.
//! Loading reads every file it can and collects every problem; a contract with problems is
//! kept out of [`Workspace::contracts`] but its problems are reported, so one broken contract
//! never hides the others.

use crate::error::{Problem, Problems};
use crate::load::fields::{as_date, as_string, as_table, At, Doc, Fields};
use crate::model::calendar::{Calendar, Month};
use crate::model::contract::{self, Contract};
use crate::pass::csv::{plcm_preset, valid_date_format, Column, ColumnType, Schema, RETURNS};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const SETTINGS_FILE: &str = "levers.toml";

/// The commissioner: the letters' sender.
#[derive(Debug, Clone, Default)]
pub struct Organisation {
    pub name: String,
    pub code: String,
    pub address: Vec<String>,
    /// Further letterhead lines under the address (telephone, web site).
    pub letterhead: Vec<String>,
}

/// Working days after the end of activity month M, with published dates overriding the rule.
#[derive(Debug, Clone)]
pub struct Timetable {
    pub flex: u32,
    pub freeze: u32,
    pub provisional_letter: u32,
    pub response_days: u32,
    pub final_letter: u32,
    pub dates: BTreeMap<Month, PublishedDates>,
}

/// Dates published for one month, overriding the working-day rule.
#[derive(Debug, Clone, Default)]
pub struct PublishedDates {
    pub flex: Option<NaiveDate>,
    pub freeze: Option<NaiveDate>,
    pub provisional_letter: Option<NaiveDate>,
    pub final_letter: Option<NaiveDate>,
}

impl Default for Timetable {
    fn default() -> Self {
        Timetable {
            flex: 14,
            freeze: 30,
            provisional_letter: 17,
            response_days: 10,
            final_letter: 33,
            dates: BTreeMap::new(),
        }
    }
}

/// The dates of one activity month's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDates {
    pub flex: NaiveDate,
    pub freeze: NaiveDate,
    pub provisional_letter: NaiveDate,
    pub final_letter: NaiveDate,
}

impl Timetable {
    pub fn dates_for(&self, month: Month, calendar: &Calendar) -> MonthDates {
        let published = self.dates.get(&month).cloned().unwrap_or_default();
        let rule = |n| calendar.working_day_after(month, n);
        MonthDates {
            flex: published.flex.unwrap_or_else(|| rule(self.flex)),
            freeze: published.freeze.unwrap_or_else(|| rule(self.freeze)),
            provisional_letter: published
                .provisional_letter
                .unwrap_or_else(|| rule(self.provisional_letter)),
            final_letter: published
                .final_letter
                .unwrap_or_else(|| rule(self.final_letter)),
        }
    }
}

/// Everything `levers.toml` holds.
#[derive(Debug, Clone)]
pub struct Settings {
    pub organisation: Organisation,
    pub timetable: Timetable,
    pub extra_holidays: Vec<NaiveDate>,
    pub bank_holidays: bool,
    /// Dataset schemas shared by every contract (a contract may override one).
    pub datasets: BTreeMap<String, Schema>,
}

impl Settings {
    pub fn calendar(&self) -> Calendar {
        if self.bank_holidays {
            Calendar::england_and_wales(&self.extra_holidays)
        } else {
            Calendar::weekends_only(&self.extra_holidays)
        }
    }
}

pub struct Workspace {
    pub root: PathBuf,
    pub settings: Settings,
    pub calendar: Calendar,
    /// Contracts that loaded without errors, sorted by id.
    pub contracts: Vec<Contract>,
    /// Every problem found while loading, across all files.
    pub problems: Problems,
    /// Contracts that loaded with errors: kept out of `contracts`, but `check` still
    /// validates their data files so one run reports everything.
    pub broken: Vec<Contract>,
}

/// The largest text input levers reads whole (a contract, minutes, a record file): anything
/// bigger is not one of those, and reading it would only exhaust memory.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Reads a text input whole: a regular file (a symlink to one is followed), at most
/// [`MAX_TEXT_BYTES`], UTF-8 with any byte-order mark dropped. Anything else is a message
/// saying what was found instead: a folder, a device or pipe, a UTF-16 file, bytes that are
/// not text.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = read_regular(path, MAX_TEXT_BYTES)?;
    decode_text(bytes)
}

/// A regular file's bytes, refusing anything else (a FIFO would block, `/dev/zero` would never
/// end) and files over `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read the file: it is {}, not a regular file",
            file_kind(&meta)
        ));
    }
    if meta.len() > limit {
        return Err(format!(
            "cannot read the file: it is {} bytes, more than the {limit} bytes such a file can be",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "cannot read the file: it grew past {limit} bytes while being read"
        ));
    }
    Ok(bytes)
}

/// Whether `path` (a file or folder in the workspace at `root`, following links) resolves to
/// somewhere inside the workspace: data must live in the workspace, whose history is the audit
/// trail.
pub fn inside_workspace(root: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(root), std::fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => true, // a path that cannot be resolved is reported by whatever reads it
    }
}

/// What a path that is not a regular file is, in words.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Text from bytes: UTF-8 with any byte-order mark dropped; a UTF-16 file (by its byte-order
/// mark, or by NUL bytes between ASCII letters) is named as such rather than misread.
pub fn decode_text(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(encoding) = utf16(&bytes) {
        return Err(format!(
            "the file is {encoding} text; levers reads UTF-8: save it as \"CSV UTF-8\" (or UTF-8 text) and try again"
        ));
    }
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (byte {} is not valid UTF-8): save it as UTF-8 and try again",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// `Some("UTF-16LE")` or `Some("UTF-16BE")` when `bytes` look like UTF-16.
pub fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => return Some("UTF-16BE"),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let le = head.chunks(2).filter(|p| p[0] != 0 && p[1] == 0).count();
    let be = head.chunks(2).filter(|p| p[0] == 0 && p[1] != 0).count();
    if le * 4 >= pairs * 3 {
        Some("UTF-16LE")
    } else if be * 4 >= pairs * 3 {
        Some("UTF-16BE")
    } else {
        None
    }
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
    pub fn load(root: &Path) -> Workspace {
        let mut problems = Problems::new();
        let settings = load_settings(root, &mut problems);
        let calendar = settings.calendar();
        let mut contracts = Vec::new();
        let mut broken = Vec::new();
        for id in contract_ids(root, &mut problems) {
            let (contract, contract_problems) = contract::load(root, &id, &settings);
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
    };
    let source = match read_text(&root.join(file)) {
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
