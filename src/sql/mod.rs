//! The same contract on another engine (§6.1): every KPI and challenge rule as SQL.
//!
//! [`contract_sql`] writes a script that defines two views, `levers_kpi(kpi, "group",
//! numerator, denominator, value)` and `levers_challenges(id, rule, record, value)`, over one
//! view per dataset (the schema's columns and types, plus `_row`, the record's place in its
//! file, and `_month`, the activity month as `YYYY-MM`). With a month, the script first defines
//! those dataset views over the month's CSV files with levers' own cell rules.
//!
//! The arithmetic is levers' own: counts and sums exact; a ratio's numerator and denominator
//! exact and its value their quotient; the median the mean of the two middle values and `pNN`
//! the nearest rank, picked by row number, so exact; duplicates by a row number over the key
//! in file order; a row challenged once, by the first rule in precedence that selects it; a
//! ratio cap over the rows no row rule took, its value rounded half away from zero to the
//! penny in whole-number arithmetic. Where a dialect cannot say a contract's expression
//! exactly, [`contract_sql`] refuses, naming the KPI or rule and the dialect.

pub mod dialect;
mod expr;

use crate::model::calendar::Month;
use crate::model::contract::{Aggregate, ChallengeForm, Contract, Measure};
use crate::model::schema::{ColumnType, Schema};
pub use dialect::Dialect;
use dialect::SqlType;
use expr::{column_type, Refused, Writer};
use std::fmt::Write as _;
use std::path::Path;

/// Why no SQL was written: every problem found, each naming what could not be written.
#[derive(Debug)]
pub struct SqlError(pub Vec<String>);

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}

/// Where the month's files are: the month, and the workspace they lie under.
struct MonthFiles<'a> {
    month: Month,
    root: &'a Path,
}

/// The SQL for `contract` in `dialect`; with `month`, preceded by the dataset views over that
/// month's files under `root`.
pub fn contract_sql(
    root: &Path,
    contract: &Contract,
    dialect: Dialect,
    month: Option<Month>,
) -> Result<String, SqlError> {
    let mut problems = Vec::new();
    let mut statements: Vec<String> = dialect.preamble();
    if let Some(month) = month {
        let files = MonthFiles { month, root };
        for dataset in contract.datasets_read() {
            let schema = contract
                .schema(dataset)
                .expect("validated: every dataset read has a schema");
            match dataset_view(dialect, contract, schema, &files) {
                Ok(mut s) => statements.append(&mut s),
                Err(e) => problems.push(e),
            }
        }
    }
    match kpi_view(dialect, contract) {
        Ok(s) => statements.push(s),
        Err(mut e) => problems.append(&mut e),
    }
    match challenge_view(dialect, contract) {
        Ok(s) => statements.push(s),
        Err(mut e) => problems.append(&mut e),
    }
    if !problems.is_empty() {
        return Err(SqlError(problems));
    }
    let mut out = header(dialect, contract, month);
    for statement in statements {
        out.push_str(&statement);
        out.push_str(dialect.end_statement());
    }
    Ok(out)
}

fn header(dialect: Dialect, contract: &Contract, month: Option<Month>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- levers {}: contract {} ({}) as {} SQL.",
        env!("CARGO_PKG_VERSION"),
        contract.id,
        contract.reference,
        dialect.title()
    );
    match month {
        Some(month) => {
            let _ = writeln!(
                out,
                "-- The dataset views read the files of {month} with levers' cell rules; then"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "-- Expects one table or view per dataset, holding one month: the schema's columns and types,"
            );
            let _ = writeln!(
                out,
                "-- `_row` (the record's place in its file) and `_month` ('YYYY-MM'):"
            );
            for dataset in contract.datasets_read() {
                if let Some(schema) = contract.schema(dataset) {
                    let columns: Vec<String> = schema
                        .columns
                        .iter()
                        .map(|c| format!("{} {}", c.name, dialect.ty(column_type(c.ty))))
                        .collect();
                    let _ = writeln!(
                        out,
                        "--   {dataset}(_row BIGINT, _month {}, {})",
                        dialect.ty(SqlType::Text),
                        columns.join(", ")
                    );
                }
            }
            let _ = writeln!(out, "-- Then");
        }
    }
    let _ = writeln!(
        out,
        "-- levers_kpi(kpi, \"group\", numerator, denominator, value) holds every measured KPI's figures"
    );
    let _ = writeln!(
        out,
        "-- and levers_challenges(id, rule, record, value) every challenge raised, as levers computes them."
    );
    out
}

/// The statements that define `schema`'s view over the month's file.
fn dataset_view(
    d: Dialect,
    contract: &Contract,
    schema: &Schema,
    files: &MonthFiles<'_>,
) -> Result<Vec<String>, String> {
    let relative = contract.data_file(&schema.name, files.month);
    let path = files.root.join(&relative);
    let display = relative.display();
    if !path.is_file() {
        return Err(format!(
            "{display}: no file for {}: levers sql --month needs the file of every dataset the contract reads",
            files.month
        ));
    }
    let path = path
        .canonicalize()
        .map_err(|e| format!("{display}: cannot read: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(&path)
        .map_err(|e| format!("{display}: cannot read: {e}"))?;
    let fields = reader
        .byte_headers()
        .map_err(|e| format!("{display}: cannot read the header: {e}"))?
        .len();
    let positions =
        crate::pass::csv::header_positions(&mut reader, &relative, schema).map_err(|problems| {
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
    let names: Vec<String> = (1..=fields).map(|i| format!("c{i}")).collect();
    let month = format!(
        "{} AS {}",
        d.text(&files.month.to_string()),
        d.ident("_month")
    );
    let (mut cleaned, mut parsed, mut bounded) = (Vec::new(), Vec::new(), vec![month]);
    for (column, &at) in schema.columns.iter().zip(&positions) {
        let name = d.ident(&column.name);
        cleaned.push(format!(
            "NULLIF({}, '') AS {name}",
            d.trim_cell(&d.ident(&names[at]))
        ));
        let value =
            cell_value(d, &name, column.ty, schema.date_format.as_deref()).ok_or_else(|| {
                d.refuses(
                    &format!(
                        "dataset `{}`: date_format `{}`",
                        schema.name,
                        schema.date_format.as_deref().unwrap_or("%Y-%m-%d")
                    ),
                    "cannot read dates in that form exactly; use %Y, %m, %d and separators",
                )
            })?;
        parsed.push(format!("{value} AS {name}"));
        bounded.push(match column.ty {
            ColumnType::Integer | ColumnType::Decimal | ColumnType::Money => {
                format!("CASE WHEN ABS({name}) <= {BOUND} THEN {name} END AS {name}")
            }
            _ => name,
        });
    }
    // Three steps, as levers reads a cell: trimmed (blank is NULL), parsed as its type (NULL
    // when it does not parse), and held within the largest figure a monthly file holds. The
    // record's place, when the source has it, is carried through.
    let typed = |source: &str, row: Option<&str>| {
        let r = d.ident("_row");
        let (outer, inner) = match row {
            Some(row) => (
                format!("{r},\n       "),
                format!("{row} AS {r},\n                   "),
            ),
            None => (String::new(), String::new()),
        };
        let middle = if row.is_some() {
            format!("{r},\n             ")
        } else {
            String::new()
        };
        format!(
            "SELECT {outer}{}\nFROM (SELECT {middle}{}\n      FROM (SELECT {inner}{}\n            FROM {source}) cells) parsed",
            bounded.join(",\n       "),
            parsed.join(",\n             "),
            cleaned.join(",\n                   "),
        )
    };
    Ok(d.dataset_from_csv(&schema.name, &path.to_string_lossy(), &names, &typed))
}

/// The largest magnitude levers reads in a cell (`model::cell::MAX_CELL_MAGNITUDE`).
const BOUND: &str = "1000000000000000";

/// A cleaned cell (trimmed, blank as NULL) as `ty` under levers' cell rules; NULL when it does
/// not parse, as levers reads such a cell (and reports it). The bound on magnitude is applied
/// after.
fn cell_value(d: Dialect, cell: &str, ty: ColumnType, date_format: Option<&str>) -> Option<String> {
    Some(match ty {
        ColumnType::Text | ColumnType::NhsNumber => cell.to_string(),
        ColumnType::Integer => d.try_cast(cell, "[+-]?[0-9]{1,16}", SqlType::Integer),
        ColumnType::Decimal => d.try_cast(
            cell,
            "[+-]?([0-9]+[.]?[0-9]{0,12}|[.][0-9]{1,12})",
            SqlType::Decimal,
        ),
        // `£1,234.56`, `(1,234.56)`, `-£5`: the digits, with the sign the form gives.
        ColumnType::Money => {
            let mut digits = cell.to_string();
            for mark in ["£", ",", "(", ")", "-", " "] {
                digits = format!("REPLACE({digits}, {}, '')", d.text(mark));
            }
            let negative = format!(
                "({} OR {})",
                d.like(cell, "(%)", false),
                d.like(cell, "%-%", false)
            );
            let amount = d.try_cast(&digits, "[0-9]+([.][0-9]{1,2})?", SqlType::Money);
            let marked = format!("(CASE WHEN {negative} THEN -1 ELSE 1 END * {amount})");
            // Most cells are plain (`1234.56`, `-5`, `.5`): read directly, the marks only
            // otherwise (which need a whole part, as levers' do).
            match d.full_match(cell, "-?([0-9]+([.][0-9]{1,2})?|[.][0-9]{1,2})") {
                Some(plain) => format!(
                    "CASE WHEN {plain} THEN {} ELSE {marked} END",
                    d.cast(cell, SqlType::Money)
                ),
                None => marked,
            }
        }
        ColumnType::Date => d.parse_date(cell, date_format)?,
        ColumnType::Boolean => {
            let lower = format!("LOWER({cell})");
            let list = |words: &[&str]| {
                words
                    .iter()
                    .map(|w| d.text(w))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "CASE WHEN {lower} IN ({}) THEN {} WHEN {lower} IN ({}) THEN {} END",
                list(&["true", "t", "yes", "y", "1"]),
                d.boolean(true),
                list(&["false", "f", "no", "n", "0"]),
                d.boolean(false)
            )
        }
    })
}

/// One row of `levers_kpi`, every column cast to the view's type.
fn kpi_row(
    d: Dialect,
    kpi: &str,
    group: &str,
    numerator: &str,
    denominator: &str,
    value: &str,
) -> String {
    format!(
        "SELECT {} AS kpi, {} AS {}, {} AS numerator, {} AS denominator, {} AS value",
        d.cast(&d.text(kpi), SqlType::Text),
        d.cast(group, SqlType::Text),
        d.ident("group"),
        d.cast(numerator, SqlType::Integer),
        d.cast(denominator, SqlType::Integer),
        d.cast(value, SqlType::Figure)
    )
}

/// `WITH a AS (…), b AS (…)` and a line end before a view's query; nothing without CTEs.
fn with_clause(ctes: &[String]) -> String {
    if ctes.is_empty() {
        String::new()
    } else {
        format!("WITH {}\n", ctes.join(",\n"))
    }
}

/// `CASE WHEN condition THEN 1 ELSE 0 END`: a row counted when the condition holds (NULL does
/// not hold).
fn one_if(condition: &str) -> String {
    format!("CASE WHEN {condition} THEN 1 ELSE 0 END")
}

/// Conditions joined with AND; `None` when there are none (every row).
fn all_of(conditions: &[String]) -> Option<String> {
    match conditions {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("({})", many.join(" AND "))),
    }
}

fn kpi_view(d: Dialect, contract: &Contract) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut ctes = Vec::new();
    let mut rows = Vec::new();
    for dataset in contract.datasets_read() {
        let w = Writer::of(d, contract, dataset);
        let sums = format!("{dataset}_sums");
        let mut aggregates: Vec<String> = Vec::new();
        for kpi in contract.kpis.iter().filter(|k| k.dataset == dataset) {
            let what = format!("KPI `{}`", kpi.id);
            match kpi_sql(&w, kpi, &sums, &mut aggregates) {
                Ok(row) => rows.push(row),
                Err(Refused(why)) => {
                    problems.push(d.refuses(&what, &format!("cannot be written: {why}")))
                }
            }
        }
        if !aggregates.is_empty() {
            ctes.push(format!(
                "{} AS (SELECT {}\n  FROM {})",
                d.ident(&sums),
                aggregates.join(",\n         "),
                d.ident(dataset)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if rows.is_empty() {
        rows.push(format!(
            "{} WHERE 1 = 0",
            kpi_row(d, "", "NULL", "NULL", "NULL", "NULL")
        ));
    }
    let with = with_clause(&ctes);
    Ok(d.create_view(
        "levers_kpi",
        &format!("{with}{}", rows.join("\nUNION ALL\n")),
    ))
}

/// One KPI's rows of `levers_kpi`; the aggregates it needs from the dataset's one scan are
/// added to `aggregates` (read from the CTE `sums`).
fn kpi_sql(
    w: &Writer<'_>,
    kpi: &crate::model::contract::Kpi,
    sums: &str,
    aggregates: &mut Vec<String>,
) -> Result<String, Refused> {
    let d = w.dialect;
    let n = aggregates.len();
    let column = |suffix: &str| format!("k{n}_{suffix}");
    let from_sums = |select: String| format!("{select} FROM {}", d.ident(sums));
    let gate_of =
        |filter: &Option<crate::model::contract::ExprText>| -> Result<Vec<String>, Refused> {
            filter.iter().map(|f| w.condition(&f.expr)).collect()
        };
    Ok(match &kpi.measure {
        Measure::Returned => unreachable!("provider returns are read from no dataset"),
        Measure::Ratio {
            filter,
            numerator,
            denominator,
            by,
        } => {
            let gate = gate_of(filter)?;
            let mut num = gate.clone();
            num.push(w.condition(&numerator.expr)?);
            let mut den = gate.clone();
            if let Some(den_expr) = denominator {
                den.push(w.condition(&den_expr.expr)?);
            }
            let num_c = all_of(&num).expect("a numerator");
            let den_count = match all_of(&den) {
                Some(c) => format!("SUM({})", one_if(&c)),
                None => "COUNT(*)".to_string(),
            };
            match by {
                None => {
                    aggregates.push(format!("SUM({}) AS {}", one_if(&num_c), column("n")));
                    aggregates.push(format!("{den_count} AS {}", column("d")));
                    let numerator = format!("COALESCE({}, 0)", column("n"));
                    let denominator = format!("COALESCE({}, 0)", column("d"));
                    from_sums(kpi_row(
                        d,
                        &kpi.id,
                        "NULL",
                        &numerator,
                        &denominator,
                        &d.quotient(&numerator, &denominator),
                    ))
                }
                Some(by) => {
                    let (by_sql, by_ty) = w.value(&by.expr)?;
                    let group = group_key(d, &by_sql, by_ty, "`by`")?;
                    // A row counts towards its group when it is in the numerator or the
                    // denominator (levers makes no group of rows in neither).
                    let counted = match (all_of(&gate), denominator) {
                        (gate, Some(den_expr)) => {
                            let either = format!(
                                "({} OR {})",
                                w.condition(&numerator.expr)?,
                                w.condition(&den_expr.expr)?
                            );
                            Some(match gate {
                                Some(g) => format!("{g} AND {either}"),
                                None => either,
                            })
                        }
                        (gate, None) => gate,
                    };
                    let filter = counted.map(|c| format!(" WHERE {c}")).unwrap_or_default();
                    format!(
                        "{} FROM (SELECT COALESCE({group}, '') AS g, SUM({}) AS n, {den_count} AS d FROM {}{filter} GROUP BY {group}) grouped",
                        kpi_row(d, &kpi.id, "g", "n", "d", &d.quotient("n", "d")),
                        one_if(&num_c),
                        d.ident(&kpi.dataset),
                    )
                }
            }
        }
        Measure::Count { condition } => {
            let c = w.condition(&condition.expr)?;
            aggregates.push(format!("SUM({}) AS {}", one_if(&c), column("n")));
            from_sums(kpi_row(
                d,
                &kpi.id,
                "NULL",
                "NULL",
                "NULL",
                &format!("COALESCE({}, 0)", column("n")),
            ))
        }
        Measure::Aggregate {
            aggregate,
            value,
            filter,
        } => {
            let (v, v_ty) = w.value(&value.expr)?;
            let sum = |x: &str| {
                if v_ty == Some(SqlType::Integer) {
                    d.sum_of_integers(x)
                } else {
                    format!("SUM({x})")
                }
            };
            let gate = all_of(&gate_of(filter)?);
            let gated = match &gate {
                Some(g) => format!("CASE WHEN {g} THEN {v} END"),
                None => v.clone(),
            };
            match aggregate {
                Aggregate::Sum => {
                    aggregates.push(format!("{} AS {}", sum(&gated), column("s")));
                    from_sums(kpi_row(
                        d,
                        &kpi.id,
                        "NULL",
                        "NULL",
                        "NULL",
                        &format!("COALESCE({}, 0)", column("s")),
                    ))
                }
                Aggregate::Mean => {
                    aggregates.push(format!("{} AS {}", sum(&gated), column("s")));
                    aggregates.push(format!("COUNT({gated}) AS {}", column("c")));
                    from_sums(kpi_row(
                        d,
                        &kpi.id,
                        "NULL",
                        "NULL",
                        "NULL",
                        &d.quotient(&column("s"), &column("c")),
                    ))
                }
                Aggregate::Median | Aggregate::Percentile(_) => {
                    let filter = gate.map(|g| format!(" WHERE {g}")).unwrap_or_default();
                    let ranked = format!(
                        "SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n FROM (SELECT {v} AS v FROM {}{filter}) gated WHERE v IS NOT NULL",
                        d.ident(&kpi.dataset)
                    );
                    let (pick, at) = match aggregate {
                        // The mean of the two middle values (one value for an odd count),
                        // halved by multiplying, which keeps a decimal exact.
                        Aggregate::Median => (
                            "(MIN(v) + MAX(v)) * 0.5".to_string(),
                            format!(
                                "r IN ({}, {})",
                                d.int_div("n + 1", "2"),
                                d.int_div("n + 2", "2")
                            ),
                        ),
                        // Nearest rank: the smallest value with at least p% at or below it.
                        Aggregate::Percentile(p) => {
                            let rank = d.int_div(&format!("{p} * n + 99"), "100");
                            (
                                "MIN(v)".to_string(),
                                format!("r = CASE WHEN {rank} < 1 THEN 1 ELSE {rank} END"),
                            )
                        }
                        _ => unreachable!(),
                    };
                    format!(
                        "{} FROM (SELECT {pick} AS x FROM ({ranked}) ranked WHERE {at}) picked",
                        kpi_row(d, &kpi.id, "NULL", "NULL", "NULL", "x")
                    )
                }
            }
        }
    })
}

/// A `by`, group or record key as the text levers writes for it; decimals are refused, since
/// each engine prints them in its own way (levers writes `3.1` for `3.10`).
fn group_key(d: Dialect, sql: &str, ty: expr::Ty, what: &str) -> Result<String, Refused> {
    match ty {
        Some(SqlType::Decimal | SqlType::Money | SqlType::Figure) => Err(Refused(
            format!("{what} is a decimal number, which levers and the engine would print differently as a group"),
        )),
        Some(ty) => Ok(d.render(sql, ty)),
        None => Ok("NULL".to_string()),
    }
}

fn challenge_view(d: Dialect, contract: &Contract) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut ctes = Vec::new();
    let mut selects = Vec::new();
    for dataset in contract.datasets_read() {
        let rules: Vec<_> = contract
            .challenges
            .iter()
            .filter(|r| r.dataset == dataset)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let w = Writer::of(d, contract, dataset);
        match dataset_challenges(&w, dataset, &rules) {
            Ok((cte, mut s)) => {
                ctes.push(cte);
                selects.append(&mut s);
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if selects.is_empty() {
        selects.push(format!(
            "SELECT {} AS id, {} AS rule, {} AS record, {} AS value WHERE 1 = 0",
            d.cast("NULL", SqlType::Text),
            d.cast("NULL", SqlType::Text),
            d.cast("NULL", SqlType::Text),
            d.cast("NULL", SqlType::Money)
        ));
    }
    let with = with_clause(&ctes);
    Ok(d.create_view(
        "levers_challenges",
        &format!("{with}{}", selects.join("\nUNION ALL\n")),
    ))
}

/// The CTE naming each row's challenging rule (the first in precedence that selects it), and
/// the selects of the dataset's challenges.
fn dataset_challenges(
    w: &Writer<'_>,
    dataset: &str,
    rules: &[&crate::model::contract::ChallengeRule],
) -> Result<(String, Vec<String>), Vec<String>> {
    let d = w.dialect;
    let schema = w.schema;
    let mut problems = Vec::new();
    let mut windows = Vec::new();
    let mut takers = Vec::new();
    let mut caps = Vec::new();
    let challenged = format!("{dataset}_challenged");
    let value = match &schema.value {
        Some(v) => format!("COALESCE({}, 0)", d.ident(v)),
        None => "0".to_string(),
    };
    for (i, rule) in rules.iter().enumerate() {
        let what = format!("challenge rule `{}`", rule.id);
        let result: Result<(), Refused> = (|| {
            let filter = rule
                .filter
                .as_ref()
                .map(|f| w.condition(&f.expr))
                .transpose()?;
            match &rule.form {
                ChallengeForm::Where(condition) => {
                    let mut parts: Vec<String> = filter.into_iter().collect();
                    parts.push(w.condition(&condition.expr)?);
                    takers.push((rule.id.clone(), all_of(&parts).expect("a condition")));
                }
                // A later row with the same key as an earlier one, among the rows the rule's
                // filter lets through; rows with a NULL key part never match.
                ChallengeForm::DuplicateOf(columns) => {
                    let mut parts: Vec<String> = filter.into_iter().collect();
                    let mut keys = Vec::new();
                    for name in columns {
                        let column = schema
                            .columns
                            .iter()
                            .find(|c| c.name == *name)
                            .ok_or_else(|| Refused(format!("unknown column `{name}`")))?;
                        let sql = d.ident(name);
                        parts.push(format!("{sql} IS NOT NULL"));
                        keys.push(if column_type(column.ty) == SqlType::Text {
                            d.exact_text(&sql)
                        } else {
                            sql
                        });
                    }
                    let candidate = one_if(&all_of(&parts).expect("a key"));
                    windows.push(format!("{candidate} AS {}", d.ident(&format!("_dp{i}"))));
                    windows.push(format!(
                        "ROW_NUMBER() OVER (PARTITION BY {candidate}, {} ORDER BY {}) AS {}",
                        keys.join(", "),
                        d.ident("_row"),
                        d.ident(&format!("_dn{i}"))
                    ));
                    takers.push((
                        rule.id.clone(),
                        format!(
                            "({} = 1 AND {} > 1)",
                            d.ident(&format!("_dp{i}")),
                            d.ident(&format!("_dn{i}"))
                        ),
                    ));
                }
                ChallengeForm::RatioCap {
                    numerator,
                    denominator,
                    by,
                    max,
                } => {
                    let num = w.condition(&numerator.expr)?;
                    let den = w.condition(&denominator.expr)?;
                    let (by_sql, by_ty) = w.value(&by.expr)?;
                    let group = group_key(d, &by_sql, by_ty, "`by`")?;
                    caps.push(ratio_cap(
                        d,
                        &rule.id,
                        &challenged,
                        filter,
                        [&num, &den, &by_sql, &group, &value],
                        *max,
                    ));
                }
            }
            Ok(())
        })();
        if let Err(Refused(why)) = result {
            problems.push(d.refuses(&what, &format!("cannot be written: {why}")));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let taker = if takers.is_empty() {
        d.cast("NULL", SqlType::Text)
    } else {
        format!(
            "CASE {} END",
            takers
                .iter()
                .map(|(id, c)| format!("WHEN {c} THEN {}", d.text(id)))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    // The rows, with each duplicate rule's row numbers beside them when there are any.
    let (source, all) = if windows.is_empty() {
        (d.ident(dataset), format!("{}.*", d.ident(dataset)))
    } else {
        (
            format!(
                "(SELECT {}.*, {} FROM {}) windowed",
                d.ident(dataset),
                windows.join(", "),
                d.ident(dataset)
            ),
            "windowed.*".to_string(),
        )
    };
    let cte = format!(
        "{} AS (SELECT {all}, {taker} AS {} FROM {source})",
        d.ident(&challenged),
        d.ident("_rule"),
    );
    let mut selects = Vec::new();
    if !takers.is_empty() {
        let record = match schema
            .key
            .as_ref()
            .and_then(|k| schema.columns.iter().find(|c| c.name == *k))
        {
            Some(column) => {
                let key = d.ident(&column.name);
                let rendered = group_key(d, &key, Some(column_type(column.ty)), "its key")
                    .map_err(|Refused(why)| {
                        vec![d.refuses(
                            &format!("the challenges of dataset `{dataset}`"),
                            &format!("cannot be written: {why}"),
                        )]
                    })?;
                format!("COALESCE({rendered}, {})", line_of(d))
            }
            None => line_of(d),
        };
        let (month, rule) = (d.ident("_month"), d.ident("_rule"));
        selects.push(format!(
            "SELECT {} AS id, {rule} AS rule, record, {} AS value\nFROM (SELECT {month}, {rule}, {record} AS record, {value} AS v FROM {} WHERE {rule} IS NOT NULL) taken\nGROUP BY {month}, {rule}, record",
            d.concat(&[month.clone(), d.text("/"), rule.clone(), d.text("/"), "record".to_string()]),
            d.cast("SUM(v)", SqlType::Money),
            d.ident(&challenged)
        ));
    }
    selects.extend(caps);
    Ok((cte, selects))
}

/// `line-N`: a record with no key is cited by its line (the header is line 1).
fn line_of(d: Dialect) -> String {
    d.concat(&[
        d.text("line-"),
        d.render(&format!("({} + 1)", d.ident("_row")), SqlType::Integer),
    ])
}

/// A ratio cap's challenges: in each group, over the rows no row rule took, the numerator rows
/// above `floor(max × denominator)`, valued at the group's mean value per numerator row and
/// rounded half away from zero to the penny, in whole pence.
/// `[num, den, by, group, value]`: the numerator and denominator conditions, the `by` value,
/// its text as a group key, and a row's value (0 when NULL).
fn ratio_cap(
    d: Dialect,
    rule: &str,
    challenged: &str,
    filter: Option<String>,
    [num, den, by, group, value]: [&str; 5],
    max: rust_decimal::Decimal,
) -> String {
    let mut counted = vec![format!("{} IS NULL", d.ident("_rule"))];
    counted.extend(filter);
    counted.push(format!("({num} OR {den})"));
    counted.push(format!("{by} IS NOT NULL"));
    let month = d.ident("_month");
    let pence = format!(
        "{} * {}",
        d.cast("nv * 100", SqlType::Integer),
        d.cast("excess", SqlType::Integer)
    );
    let rounded = format!(
        "CASE WHEN {pence} < 0 THEN -1 ELSE 1 END * {}",
        d.int_div(&format!("2 * ABS({pence}) + n"), "2 * n")
    );
    format!(
        "SELECT {} AS id, {} AS rule, g AS record, {} AS value\nFROM (SELECT {month}, g, n, nv, n - FLOOR({max} * d) AS excess\n      FROM (SELECT {month}, {group} AS g, SUM({}) AS n, SUM({}) AS d, SUM(CASE WHEN {num} THEN {value} ELSE 0 END) AS nv\n            FROM {}\n            WHERE {}\n            GROUP BY {month}, {group}) tallied) capped\nWHERE excess > 0 AND n > 0",
        d.concat(&[month.clone(), d.text("/"), d.text(rule), d.text("/"), "g".to_string()]),
        d.text(rule),
        d.cast(&format!("{} * 0.01", d.cast(&rounded, SqlType::Integer)), SqlType::Money),
        one_if(num),
        one_if(den),
        d.ident(challenged),
        counted.join(" AND "),
        max = max.normalize(),
    )
}
