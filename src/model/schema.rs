//! Dataset schemas: a dataset (`activity`, `returns`, …) is a set of named, typed columns,
//! with the column that names a row (its key) and the one that values it (money).

use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    Integer,
    Decimal,
    Money,
    Date,
    Boolean,
    NhsNumber,
}

impl ColumnType {
    pub const NAMES: &'static [&'static str] = &[
        "text",
        "integer",
        "decimal",
        "money",
        "date",
        "boolean",
        "nhs_number",
    ];

    pub fn parse(name: &str) -> Option<ColumnType> {
        Some(match name {
            "text" => ColumnType::Text,
            "integer" => ColumnType::Integer,
            "decimal" => ColumnType::Decimal,
            "money" => ColumnType::Money,
            "date" => ColumnType::Date,
            "boolean" => ColumnType::Boolean,
            "nhs_number" => ColumnType::NhsNumber,
            _ => return None,
        })
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Money => "money",
            ColumnType::Date => "date",
            ColumnType::Boolean => "boolean",
            ColumnType::NhsNumber => "nhs_number",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

/// A validated dataset schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub name: String,
    /// How letters name the dataset ("Patient-level activity"); the name when not given.
    pub title: Option<String>,
    /// The column that identifies a row; challenges cite it.
    pub key: Option<String>,
    /// The money column: the value of a row.
    pub value: Option<String>,
    /// Source header → column name.
    pub rename: BTreeMap<String, String>,
    /// chrono format for `date` columns; ISO `YYYY-MM-DD` when absent.
    pub date_format: Option<String>,
    pub columns: Vec<Column>,
}

impl Schema {
    /// How letters name the dataset.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    /// A schema of `columns` for a dataset named `activity`, with no key, value or renames.
    #[cfg(test)]
    pub(crate) fn of(columns: &[(&str, ColumnType)]) -> Schema {
        Schema {
            title: None,
            name: "activity".into(),
            key: None,
            value: None,
            rename: BTreeMap::new(),
            date_format: None,
            columns: columns
                .iter()
                .map(|(name, ty)| Column {
                    name: name.to_string(),
                    ty: *ty,
                })
                .collect(),
        }
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The built-in `activity` schema: the spec's example columns, keyed by `record_id` and
    /// valued by `price`, used when a workspace declares no `[datasets.activity]`.
    pub fn default_activity() -> Schema {
        let columns = [
            ("record_id", ColumnType::Text),
            ("nhs_number", ColumnType::NhsNumber),
            ("commissioner_code", ColumnType::Text),
            ("pod", ColumnType::Text),
            ("treatment_function", ColumnType::Text),
            ("hrg", ColumnType::Text),
            ("start_date", ColumnType::Date),
            ("end_date", ColumnType::Date),
            ("minutes_in_department", ColumnType::Integer),
            ("price", ColumnType::Money),
        ];
        Schema {
            title: None,
            name: "activity".into(),
            key: Some("record_id".into()),
            value: Some("price".into()),
            rename: BTreeMap::new(),
            date_format: None,
            columns: columns
                .iter()
                .map(|(n, t)| Column {
                    name: n.to_string(),
                    ty: *t,
                })
                .collect(),
        }
    }

    /// The fixed schema of provider-submitted returns (`data/returns/<YYYY-MM>.csv`).
    pub fn returns() -> Schema {
        let columns = [
            ("kpi", ColumnType::Text),
            ("numerator", ColumnType::Decimal),
            ("denominator", ColumnType::Decimal),
            ("value", ColumnType::Decimal),
            ("note", ColumnType::Text),
        ];
        Schema {
            title: Some("Provider returns".into()),
            name: RETURNS.into(),
            key: Some("kpi".into()),
            value: None,
            rename: BTreeMap::new(),
            date_format: None,
            columns: columns
                .iter()
                .map(|(n, t)| Column {
                    name: n.to_string(),
                    ty: *t,
                })
                .collect(),
        }
    }
}

/// The dataset name of provider returns.
pub(crate) const RETURNS: &str = "returns";

/// The built-in rename map from Patient Level Contract Monitoring (DCB3003) headers to the
/// column names the example contracts use. A dataset's own `rename` entries win over it.
pub(crate) fn plcm_preset() -> BTreeMap<String, String> {
    [
        ("activity_identifier", "record_id"),
        ("nhs_number", "nhs_number"),
        (
            "organisation_identifier_code_of_commissioner",
            "commissioner_code",
        ),
        ("organisation_identifier_code_of_provider", "provider_code"),
        ("point_of_delivery_code", "pod"),
        ("activity_treatment_function_code", "treatment_function"),
        ("healthcare_resource_group_code", "hrg"),
        ("activity_start_date", "start_date"),
        ("activity_end_date", "end_date"),
        ("activity_count", "activity_count"),
        ("total_cost", "price"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Checks a `date_format` before any file is read.
pub(crate) fn valid_date_format(format: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    !StrftimeItems::new(format).any(|item| matches!(item, Item::Error))
}
