//! Provider returns (`data/returns/<YYYY-MM>.csv`, §4.3): `kpi,numerator,denominator,value,note`.
//! A row gives either a numerator and a denominator (a ratio) or a value. A return for a KPI id
//! the contract lacks is an error.

use crate::error::{Problem, Problems};
use crate::model::contract::Contract;
use crate::model::schema::Schema;
use crate::model::value::Value;
use crate::pass::csv::read_rows;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Returned {
    Ratio {
        numerator: Decimal,
        denominator: Decimal,
    },
    Value(Decimal),
}

#[derive(Debug, Clone)]
pub(crate) struct Return {
    pub figure: Returned,
    pub note: String,
}

/// One row as read: line, kpi, numerator, denominator, value, note.
type ReturnRow = (
    u64,
    String,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    String,
);

/// Reads one month's returns; `None` for the map when the file does not exist.
pub(crate) fn read(
    root: &Path,
    display: &Path,
    contract: &Contract,
) -> (Option<BTreeMap<String, Return>>, Problems) {
    let path = root.join(display);
    if !path.exists() {
        return (None, Problems::new());
    }
    read_at(&path, display, contract)
}

/// Reads returns from `path`, naming it `display` in problems.
pub(crate) fn read_at(
    path: &Path,
    display: &Path,
    contract: &Contract,
) -> (Option<BTreeMap<String, Return>>, Problems) {
    let path = path.to_path_buf();
    let schema = Schema::returns();
    let mut problems = Problems::new();
    let mut returns = BTreeMap::new();
    let mut rows: Vec<ReturnRow> = Vec::new();
    let summary = read_rows(&path, display, &schema, &[0, 1, 2, 3, 4], |row| {
        let text = |v: &Value<'_>| v.as_str().unwrap_or("").to_string();
        rows.push((
            row.line,
            text(&row.values[0]),
            row.values[1].as_decimal(),
            row.values[2].as_decimal(),
            row.values[3].as_decimal(),
            text(&row.values[4]),
        ));
    });
    problems.extend(summary.problems);
    for (line, kpi, numerator, denominator, value, note) in rows {
        let at = |column: usize, message: String| {
            Problem::at_line(display, line as usize, column, message)
        };
        if contract.kpi(&kpi).is_none() {
            let ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
            problems.push(at(
                1,
                format!(
                    "column `kpi`: the contract has no KPI `{kpi}`: expected one of {}",
                    ids.join(", ")
                ),
            ));
            continue;
        }
        let figure = match (numerator, denominator, value) {
            (Some(n), Some(d), None) if d >= Decimal::ZERO && n >= Decimal::ZERO => {
                Returned::Ratio {
                    numerator: n,
                    denominator: d,
                }
            }
            (None, None, Some(v)) => Returned::Value(v),
            _ => {
                problems.push(at(2, "expected either `numerator` and `denominator` (not negative) or `value`, not both and not neither".to_string()));
                continue;
            }
        };
        if returns
            .insert(kpi.clone(), Return { figure, note })
            .is_some()
        {
            problems.push(at(
                1,
                format!("a second return for KPI `{kpi}` in the same month"),
            ));
        }
    }
    (Some(returns), problems)
}
