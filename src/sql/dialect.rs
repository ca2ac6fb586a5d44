//! Every difference between the SQL engines levers writes for, in one place (§6.1).
//!
//! The rest of [`crate::sql`] writes SQL through these methods only: quoting, literals, types,
//! the few functions that are spelled differently, text comparison by code point, and how a
//! month's CSV file becomes a table with its rows numbered in file order. A dialect that cannot
//! say something exactly as levers computes it says so with an error ([`Dialect::refuses`]),
//! never with SQL that gives a different figure.

use chrono::NaiveDate;

/// An SQL engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB (verified against levers by the test suite).
    Duckdb,
    /// Spark SQL, 3.4 or later (verified against levers by the test suite).
    Spark,
    /// Microsoft SQL Server's T-SQL, 2017 or later.
    Tsql,
    /// PostgreSQL, 12 or later (verified against levers by the test suite, on 15).
    Postgres,
}

/// The column types of the views levers defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlType {
    Text,
    Integer,
    /// A `decimal` column: up to twelve decimal places.
    Decimal,
    /// A `money` column, or a challenge's value: pounds and pence.
    Money,
    Date,
    Boolean,
    /// A KPI's value: a count, sum, statistic or fraction, to twelve decimal places.
    Figure,
}

impl Dialect {
    /// The engine's name, as error messages and the header say it.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Duckdb => "DuckDB",
            Dialect::Spark => "Spark SQL",
            Dialect::Tsql => "T-SQL (SQL Server)",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// A quoted identifier.
    pub(crate) fn ident(self, name: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::Tsql => format!("[{}]", name.replace(']', "]]")),
        }
    }

    /// A text literal. Spark reads a backslash in a literal as an escape; T-SQL needs `N` for
    /// text beyond Latin-1.
    pub(crate) fn text(self, text: &str) -> String {
        let quoted = text.replace('\'', "''");
        match self {
            Dialect::Spark => format!("'{}'", quoted.replace('\\', "\\\\")),
            Dialect::Tsql => format!("N'{quoted}'"),
            Dialect::Duckdb | Dialect::Postgres => format!("'{quoted}'"),
        }
    }

    pub(crate) fn date(self, date: NaiveDate) -> String {
        let iso = date.format("%Y-%m-%d");
        match self {
            Dialect::Tsql => format!("CAST('{iso}' AS DATE)"),
            _ => format!("DATE '{iso}'"),
        }
    }

    pub(crate) fn ty(self, ty: SqlType) -> &'static str {
        match (self, ty) {
            (Dialect::Duckdb, SqlType::Text) => "VARCHAR",
            (Dialect::Spark, SqlType::Text) => "STRING",
            (Dialect::Tsql, SqlType::Text) => "NVARCHAR(4000)",
            (Dialect::Postgres, SqlType::Text) => "TEXT",
            (_, SqlType::Integer) => "BIGINT",
            (Dialect::Postgres, SqlType::Decimal) => "NUMERIC(38,12)",
            (_, SqlType::Decimal) => "DECIMAL(38,12)",
            (Dialect::Postgres, SqlType::Money) => "NUMERIC(18,2)",
            (_, SqlType::Money) => "DECIMAL(18,2)",
            (_, SqlType::Date) => "DATE",
            (Dialect::Tsql, SqlType::Boolean) => "BIT",
            (_, SqlType::Boolean) => "BOOLEAN",
            (Dialect::Postgres, SqlType::Figure) => "NUMERIC(38,12)",
            (_, SqlType::Figure) => "DECIMAL(38,12)",
        }
    }

    pub(crate) fn cast(self, expr: &str, ty: SqlType) -> String {
        format!("CAST({expr} AS {})", self.ty(ty))
    }

    /// T-SQL has no boolean values, only conditions: a BIT column is a value, and a condition
    /// must be turned into one with CASE.
    pub(crate) fn has_boolean_values(self) -> bool {
        self != Dialect::Tsql
    }

    pub(crate) fn boolean(self, b: bool) -> &'static str {
        match (self, b) {
            (Dialect::Tsql, true) => "CAST(1 AS BIT)",
            (Dialect::Tsql, false) => "CAST(0 AS BIT)",
            (_, true) => "TRUE",
            (_, false) => "FALSE",
        }
    }

    /// Text compared code point by code point, as levers compares it: SQL Server's default
    /// collations ignore case and PostgreSQL's order by locale.
    pub(crate) fn exact_text(self, expr: &str) -> String {
        match self {
            Dialect::Tsql => format!("({expr} COLLATE Latin1_General_100_BIN2)"),
            Dialect::Postgres => format!("({expr} COLLATE \"C\")"),
            Dialect::Duckdb | Dialect::Spark => expr.to_string(),
        }
    }

    /// `b − a` in days.
    pub(crate) fn days_between(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Duckdb => format!("date_diff('day', {a}, {b})"),
            Dialect::Spark => format!("CAST(datediff({b}, {a}) AS BIGINT)"),
            Dialect::Tsql => format!("CAST(DATEDIFF(day, {a}, {b}) AS BIGINT)"),
            Dialect::Postgres => format!("CAST(({b}) - ({a}) AS BIGINT)"),
        }
    }

    /// `month(d)` or `year(d)` as a whole number.
    pub(crate) fn date_part(self, part: &str, d: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST(EXTRACT({part} FROM {d}) AS BIGINT)"),
            _ => format!("CAST({part}({d}) AS BIGINT)"),
        }
    }

    /// The number of characters. T-SQL's LEN ignores trailing spaces, so one is added and
    /// taken off again.
    pub(crate) fn length(self, x: &str) -> String {
        match self {
            Dialect::Duckdb => format!("CAST(length({x}) AS BIGINT)"),
            Dialect::Spark | Dialect::Postgres => format!("CAST(char_length({x}) AS BIGINT)"),
            Dialect::Tsql => format!("CAST(LEN({x} + N'.') - 1 AS BIGINT)"),
        }
    }

    /// `subject LIKE pattern` with levers' pattern rules: `%` and `_` are the only special
    /// characters. PostgreSQL and Spark treat a backslash as an escape by default and T-SQL a
    /// `[`, so those are escaped.
    pub(crate) fn like(self, subject: &str, pattern: &str, negated: bool) -> String {
        let not = if negated { "NOT " } else { "" };
        let pattern = match self {
            Dialect::Duckdb => pattern.to_string(),
            Dialect::Spark | Dialect::Postgres => pattern.replace('\\', "\\\\"),
            Dialect::Tsql => pattern.replace('[', "[[]"),
        };
        format!(
            "({} {not}LIKE {})",
            self.exact_text(subject),
            self.text(&pattern)
        )
    }

    /// True when `text` (not NULL) matches the whole of `regex`; NULL when `text` is NULL.
    /// `regex` uses only character classes, repetition and `|`, which every engine's regular
    /// expressions read alike.
    pub(crate) fn full_match(self, text: &str, regex: &str) -> Option<String> {
        match self {
            Dialect::Duckdb => Some(format!("regexp_full_match({text}, {})", self.text(regex))),
            Dialect::Spark => Some(format!("({text} RLIKE {})", self.text(&anchored(regex)))),
            Dialect::Postgres => Some(format!("({text} ~ {})", self.text(&anchored(regex)))),
            Dialect::Tsql => None,
        }
    }

    /// True when `text` is exactly ten digits (NULL for NULL).
    pub(crate) fn ten_digits(self, text: &str) -> String {
        match self.full_match(text, "[0-9]{10}") {
            Some(test) => test,
            None => format!("(LEN({text}) = 10 AND {text} NOT LIKE '%[^0-9]%')"),
        }
    }

    /// Whole-number division of two whole numbers, rounding towards zero.
    pub(crate) fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Duckdb => format!("(({a}) // ({b}))"),
            Dialect::Spark => format!("(({a}) div ({b}))"),
            Dialect::Tsql | Dialect::Postgres => format!("(({a}) / ({b}))"),
        }
    }

    /// `numerator / denominator` to twelve decimal places, NULL when the denominator is 0 (no
    /// activity): a ratio's counts, or a mean's sum and count. Worked in exact arithmetic and
    /// rounded half away from zero at the twelfth place, because a quotient in floating point
    /// is out by more than that once it passes ten thousand. (DuckDB divides decimals in
    /// floating point, so it divides whole numbers scaled by 10^12; Spark and SQL Server
    /// divide decimals at a fixed scale, here 22 and 12 places, then round.)
    pub(crate) fn quotient(self, numerator: &str, denominator: &str) -> String {
        let (n, d) = (numerator, denominator);
        let exact = match self {
            Dialect::Duckdb => {
                // n × 10^12 as a whole number: the digits of n at twelve places, without the
                // point (multiplying would keep the scale and overflow 38 digits).
                let scaled = format!(
                    "CAST(replace(CAST(CAST({n} AS DECIMAL(38,12)) AS VARCHAR), '.', '') AS HUGEINT)"
                );
                format!(
                    "CAST(CASE WHEN {n} < 0 THEN -1 ELSE 1 END * ((2 * ABS({scaled}) + {d}) // (2 * {d})) AS DECIMAL(38,0)) * 0.000000000001"
                )
            }
            Dialect::Postgres => format!(
                "CAST(div(CAST({n} AS NUMERIC) * 2000000000000 + sign(CAST({n} AS NUMERIC)) * {d}, CAST(2 * {d} AS NUMERIC)) AS NUMERIC(38,0)) * 0.000000000001"
            ),
            Dialect::Spark | Dialect::Tsql => {
                format!("CAST({n} AS DECIMAL(38,12)) / {d}")
            }
        };
        format!(
            "CASE WHEN {d} = 0 THEN NULL ELSE {} END",
            self.cast(&exact, SqlType::Figure)
        )
    }

    /// The sum of whole numbers, without overflow where the engine's own sum would stop: Spark
    /// sums BIGINT as BIGINT.
    pub(crate) fn sum_of_integers(self, x: &str) -> String {
        match self {
            Dialect::Spark => format!("SUM(CAST({x} AS DECIMAL(38,0)))"),
            _ => format!("SUM({x})"),
        }
    }

    /// A value of a column's type (a date, number or boolean) written as levers writes it in a
    /// challenge's record or a KPI's group.
    pub(crate) fn render(self, expr: &str, ty: SqlType) -> String {
        match ty {
            SqlType::Text => expr.to_string(),
            SqlType::Date => match self {
                Dialect::Tsql => format!("CONVERT(NVARCHAR(10), {expr}, 23)"),
                Dialect::Postgres => format!("to_char({expr}, 'YYYY-MM-DD')"),
                _ => self.cast(expr, SqlType::Text),
            },
            SqlType::Boolean => {
                let truth = if self.has_boolean_values() {
                    expr.to_string()
                } else {
                    format!("{expr} = 1")
                };
                format!(
                    "CASE WHEN {truth} THEN {} WHEN NOT ({truth}) THEN {} END",
                    self.text("true"),
                    self.text("false")
                )
            }
            _ => self.cast(expr, SqlType::Text),
        }
    }

    /// Text joined: `||`, or `+` in T-SQL.
    pub(crate) fn concat(self, parts: &[String]) -> String {
        let op = if self == Dialect::Tsql { " + " } else { " || " };
        format!("({})", parts.join(op))
    }

    /// Removes white space from both ends of a cell as levers does (Rust's `str::trim`: every
    /// character with Unicode's White_Space property, the no-break space of spreadsheet
    /// exports among them).
    pub(crate) fn trim_cell(self, x: &str) -> String {
        let chars: Vec<String> = WHITE_SPACE
            .iter()
            .map(|&c| match self {
                Dialect::Duckdb | Dialect::Postgres => format!("chr({c})"),
                Dialect::Spark => format!("'\\u{c:04X}'"),
                Dialect::Tsql => format!("NCHAR({c})"),
            })
            .collect();
        let trimmed = match self {
            Dialect::Duckdb => format!("trim({x}, {})", chars.join(" || ")),
            Dialect::Spark => format!("trim(BOTH concat({}) FROM {x})", chars.join(", ")),
            Dialect::Tsql => format!("TRIM({} FROM {x})", chars.join(" + ")),
            Dialect::Postgres => format!("btrim({x}, {})", chars.join(" || ")),
        };
        // Most cells start and end with a printable ASCII character and need no trimming:
        // tested first, as levers does, since the full trim doubles the time DuckDB takes to
        // read a month.
        let (code, last) = match self {
            Dialect::Tsql => ("UNICODE", format!("RIGHT({x}, 1)")),
            Dialect::Duckdb | Dialect::Postgres => ("ascii", format!("right({x}, 1)")),
            Dialect::Spark => ("ascii", format!("substring({x}, -1, 1)")),
        };
        format!(
            "CASE WHEN {code}({x}) BETWEEN 33 AND 126 AND {code}({last}) BETWEEN 33 AND 126 THEN {x} ELSE {trimmed} END"
        )
    }

    /// A cell's text as `ty`, or NULL when it does not parse. `regex` is the cell rule's form;
    /// where the dialect has no regular expressions, its own TRY_CAST decides alone.
    pub(crate) fn try_cast(self, text: &str, regex: &str, ty: SqlType) -> String {
        let sql_ty = self.ty(ty);
        match (self, self.full_match(text, regex)) {
            (Dialect::Tsql, _) | (_, None) => format!("TRY_CAST({text} AS {sql_ty})"),
            (Dialect::Postgres, Some(test)) => {
                format!("CASE WHEN {test} THEN CAST({text} AS {sql_ty}) END")
            }
            (_, Some(test)) => format!("CASE WHEN {test} THEN TRY_CAST({text} AS {sql_ty}) END"),
        }
    }

    /// A date cell in `format` (chrono's `%d/%m/%Y`; ISO when `None`), NULL when it is not a
    /// date. `None` when the dialect cannot read that format exactly.
    pub(crate) fn parse_date(self, text: &str, format: Option<&str>) -> Option<String> {
        let format = format.unwrap_or("%Y-%m-%d");
        let pieces = date_pieces(format)?;
        let regex: String = pieces
            .iter()
            .map(|p| match p {
                DatePiece::Year => "[0-9]{4}".to_string(),
                DatePiece::Month | DatePiece::Day => "[0-9]{1,2}".to_string(),
                DatePiece::Literal(c) => regex_char(*c),
            })
            .collect();
        if format == "%Y-%m-%d" {
            let iso = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
            return Some(match self {
                Dialect::Postgres => format!(
                    "CASE WHEN {} THEN pg_temp.levers_date({text}, 'YYYY-MM-DD') END",
                    self.full_match(text, iso)?
                ),
                Dialect::Tsql => format!("TRY_CONVERT(DATE, {text}, 23)"),
                _ => self.try_cast(text, iso, SqlType::Date),
            });
        }
        let test = self.full_match(text, &regex);
        Some(match self {
            Dialect::Duckdb => format!(
                "CASE WHEN {} THEN CAST(try_strptime({text}, {}) AS DATE) END",
                test?,
                self.text(format)
            ),
            Dialect::Spark => {
                let java: String = pieces
                    .iter()
                    .map(|p| match p {
                        DatePiece::Year => "yyyy".to_string(),
                        DatePiece::Month => "M".to_string(),
                        DatePiece::Day => "d".to_string(),
                        DatePiece::Literal(c) if c.is_ascii_alphabetic() => format!("'{c}'"),
                        DatePiece::Literal(c) => c.to_string(),
                    })
                    .collect();
                format!(
                    "CASE WHEN {} THEN CAST(try_to_timestamp({text}, {}) AS DATE) END",
                    test?,
                    self.text(&java)
                )
            }
            Dialect::Postgres => {
                let pg: String = pieces
                    .iter()
                    .map(|p| match p {
                        DatePiece::Year => "YYYY".to_string(),
                        DatePiece::Month => "MM".to_string(),
                        DatePiece::Day => "DD".to_string(),
                        DatePiece::Literal(c) => c.to_string(),
                    })
                    .collect();
                format!(
                    "CASE WHEN {} THEN pg_temp.levers_date({text}, {}) END",
                    test?,
                    self.text(&pg)
                )
            }
            // SQL Server reads day-first and month-first dates by style number only.
            Dialect::Tsql => {
                let style = match format {
                    "%d/%m/%Y" => 103,
                    "%m/%d/%Y" => 101,
                    "%d-%m-%Y" => 105,
                    "%d.%m.%Y" => 104,
                    "%Y/%m/%d" => 111,
                    "%Y%m%d" => 112,
                    _ => return None,
                };
                format!("TRY_CONVERT(DATE, {text}, {style})")
            }
        })
    }

    /// Statements run before the script's own: Spark is made to keep decimals exact and to fail
    /// on overflow rather than wrap, and PostgreSQL gets the date reader it lacks.
    pub(crate) fn preamble(self) -> Vec<String> {
        match self {
            // Spark otherwise cuts a product's decimal places to six to keep it within 38
            // digits: exactness kept, and an overflow an error rather than a rounded figure.
            Dialect::Spark => vec![
                "SET spark.sql.ansi.enabled = true".to_string(),
                "SET spark.sql.decimalOperations.allowPrecisionLoss = false".to_string(),
            ],
            Dialect::Postgres => vec![
                "CREATE OR REPLACE FUNCTION pg_temp.levers_date(cell TEXT, form TEXT) RETURNS DATE \
                 LANGUAGE plpgsql IMMUTABLE AS $$\n\
                 DECLARE d DATE;\n\
                 BEGIN\n  d := to_date(cell, form);\n  \
                 -- to_date rolls 31 February over into March: a date must print back as it was written\n  \
                 IF to_char(d, form) <> cell AND to_char(d, replace(replace(form, 'DD', 'FMDD'), 'MM', 'FMMM')) <> cell THEN RETURN NULL; END IF;\n  \
                 RETURN d;\n\
                 EXCEPTION WHEN others THEN RETURN NULL;\n\
                 END $$"
                    .to_string(),
            ],
            Dialect::Duckdb | Dialect::Tsql => Vec::new(),
        }
    }

    /// A view, replacing any of the same name.
    pub(crate) fn create_view(self, name: &str, body: &str) -> String {
        let name = self.ident(name);
        match self {
            Dialect::Duckdb => format!("CREATE OR REPLACE VIEW {name} AS\n{body}"),
            Dialect::Spark => format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{body}"),
            Dialect::Tsql => format!("CREATE OR ALTER VIEW {name} AS\n{body}"),
            Dialect::Postgres => format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{body}"),
        }
    }

    /// The statements that define the view `dataset` over a CSV file with header fields
    /// `fields` (as named in the SQL). `typed(source, row)` is the SELECT that types the cells
    /// of `source` under levers' rules, carrying the expression `row` through as `_row`.
    pub(crate) fn dataset_from_csv(
        self,
        dataset: &str,
        path: &str,
        fields: &[String],
        typed: &dyn Fn(&str, Option<&str>) -> String,
    ) -> Vec<String> {
        let table = format!("{dataset}_file");
        let t = self.ident(&table);
        let r = self.ident("_row");
        match self {
            // The cells are typed once, as the file is read into a table; CREATE TABLE AS keeps
            // the file's order (DuckDB's preserve_insertion_order), so the table's rowid is the
            // record's place.
            Dialect::Duckdb => {
                let columns: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: 'VARCHAR'", self.text(f)))
                    .collect();
                let source = format!(
                    "read_csv({}, header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true, auto_detect = false, columns = {{{}}})",
                    self.text(path),
                    columns.join(", ")
                );
                vec![
                    format!(
                        "CREATE OR REPLACE TEMPORARY TABLE {t} AS\n{}",
                        typed(&source, None)
                    ),
                    self.create_view(dataset, &format!("SELECT rowid + 1 AS {r}, * FROM {t}")),
                ]
            }
            // One file's rows keep their order in monotonically_increasing_id.
            Dialect::Spark => {
                let columns: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} STRING", self.ident(f)))
                    .collect();
                vec![
                    format!(
                        "CREATE OR REPLACE TEMPORARY VIEW {t} ({})\nUSING csv OPTIONS (path {}, header 'true', multiLine 'true', escape '\"', encoding 'UTF-8', mode 'PERMISSIVE')",
                        columns.join(", "),
                        self.text(path)
                    ),
                    self.create_view(
                        dataset,
                        &typed(&format!("(SELECT monotonically_increasing_id() + 1 AS {r}, * FROM {t}) numbered"), Some(&r)),
                    ),
                ]
            }
            Dialect::Tsql => {
                let load = self.ident(&format!("{table}_load"));
                let columns: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} NVARCHAR(4000) NULL", self.ident(f)))
                    .collect();
                let names: Vec<String> = fields.iter().map(|f| self.ident(f)).collect();
                vec![
                    format!("DROP TABLE IF EXISTS {t}"),
                    format!(
                        "CREATE TABLE {t} ({r} BIGINT IDENTITY(1,1) NOT NULL, {})",
                        columns.join(", ")
                    ),
                    format!(
                        "CREATE OR ALTER VIEW {load} AS SELECT {} FROM {t}",
                        names.join(", ")
                    ),
                    format!(
                        "BULK INSERT {load} FROM {} WITH (FORMAT = 'CSV', FIRSTROW = 2, CODEPAGE = '65001', TABLOCK)",
                        self.text(path)
                    ),
                    self.create_view(dataset, &typed(&t, Some(&r))),
                ]
            }
            // COPY FROM a file needs the server to read it (pg_read_server_files); psql's
            // \copy with the same options reads it from the client.
            Dialect::Postgres => {
                let columns: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} TEXT", self.ident(f)))
                    .collect();
                let names: Vec<String> = fields.iter().map(|f| self.ident(f)).collect();
                vec![
                    format!("DROP TABLE IF EXISTS {t} CASCADE"),
                    format!(
                        "CREATE TEMPORARY TABLE {t} ({r} BIGINT GENERATED ALWAYS AS IDENTITY, {})",
                        columns.join(", ")
                    ),
                    format!(
                        "COPY {t} ({}) FROM {} WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
                        names.join(", "),
                        self.text(path)
                    ),
                    self.create_view(dataset, &typed(&t, Some(&r))),
                ]
            }
        }
    }

    /// What ends a statement; T-SQL also needs `GO` between a view and what uses it.
    pub(crate) fn end_statement(self) -> &'static str {
        match self {
            Dialect::Tsql => ";\nGO\n",
            _ => ";\n",
        }
    }

    /// Why this dialect cannot write `what` exactly as levers computes it.
    pub(crate) fn refuses(self, what: &str, why: &str) -> String {
        format!("{what}: {} {why}", self.title())
    }
}

/// The code points Rust's `char::is_whitespace` accepts (Unicode's White_Space property).
const WHITE_SPACE: [u32; 25] = [
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
    0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
];

fn anchored(regex: &str) -> String {
    format!("^({regex})$")
}

fn regex_char(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("[{c}]")
    }
}

/// The parts of a date format levers can write for every engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatePiece {
    Year,
    Month,
    Day,
    Literal(char),
}

/// `%Y`, `%m`, `%d` and separators; `None` for any other specifier.
fn date_pieces(format: &str) -> Option<Vec<DatePiece>> {
    let mut pieces = Vec::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        pieces.push(match c {
            '%' => match chars.next()? {
                'Y' => DatePiece::Year,
                'm' => DatePiece::Month,
                'd' => DatePiece::Day,
                _ => return None,
            },
            '\'' | '\\' => return None,
            c => DatePiece::Literal(c),
        });
    }
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_white_space_trimmed_is_rusts() {
        let rust: Vec<u32> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .map(u32::from)
            .collect();
        assert_eq!(rust, WHITE_SPACE);
    }

    #[test]
    fn literals_are_quoted_for_each_engine() {
        assert_eq!(Dialect::Duckdb.text("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Spark.text("a\\b'c"), "'a\\\\b''c'");
        assert_eq!(Dialect::Tsql.text("£"), "N'£'");
        assert_eq!(Dialect::Spark.ident("group"), "`group`");
        assert_eq!(Dialect::Tsql.ident("a]b"), "[a]]b]");
        assert_eq!(Dialect::Postgres.ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn like_patterns_escape_what_each_engine_reads_specially() {
        assert_eq!(Dialect::Duckdb.like("x", "a\\%", false), "(x LIKE 'a\\%')");
        assert_eq!(
            Dialect::Postgres.like("x", "a\\%", true),
            "((x COLLATE \"C\") NOT LIKE 'a\\\\%')"
        );
        assert_eq!(
            Dialect::Tsql.like("x", "[A]%", false),
            "((x COLLATE Latin1_General_100_BIN2) LIKE N'[[]A]%')"
        );
    }

    #[test]
    fn date_formats_beyond_day_month_year_are_refused() {
        assert!(Dialect::Duckdb.parse_date("c", Some("%d/%m/%Y")).is_some());
        assert!(Dialect::Spark.parse_date("c", Some("%d %b %Y")).is_none());
        assert!(Dialect::Tsql.parse_date("c", Some("%d %m %Y")).is_none());
        assert!(Dialect::Tsql.parse_date("c", Some("%Y%m%d")).is_some());
        let spark = Dialect::Spark.parse_date("c", Some("%d/%m/%Y")).unwrap();
        assert!(spark.contains("'d/M/yyyy'"), "{spark}");
    }
}
