//! A contract's expression (§4.2) written as SQL for one dialect, meaning what levers means by
//! it: the same types, the same NULLs, text compared code point by code point.
//!
//! The expression has already been type-checked by levers ([`crate::expr::compile`]); here the
//! types are worked out again only as far as the SQL needs them: where a condition must become
//! a value (T-SQL has no boolean values), where text is compared, where a text literal stands
//! for a date.

use super::dialect::{Dialect, SqlType};
use crate::expr::{BinaryOp, Expr, ExprKind, Literal};
use crate::model::schema::{ColumnType, Schema};
use std::collections::BTreeMap;

/// The type of an SQL expression; `None` stands for the literal NULL.
pub(crate) type Ty = Option<SqlType>;

pub(crate) fn column_type(ty: ColumnType) -> SqlType {
    match ty {
        ColumnType::Text | ColumnType::NhsNumber => SqlType::Text,
        ColumnType::Integer => SqlType::Integer,
        ColumnType::Decimal => SqlType::Decimal,
        ColumnType::Money => SqlType::Money,
        ColumnType::Date => SqlType::Date,
        ColumnType::Boolean => SqlType::Boolean,
    }
}

/// Writes expressions over one dataset's view.
pub(crate) struct Writer<'a> {
    pub dialect: Dialect,
    pub schema: &'a Schema,
    pub lists: &'a BTreeMap<String, Vec<String>>,
}

impl<'a> Writer<'a> {
    /// The writer for `dataset` of `contract`, whose schema levers has already validated.
    pub(crate) fn of(
        dialect: Dialect,
        contract: &'a crate::model::contract::Contract,
        dataset: &str,
    ) -> Writer<'a> {
        Writer {
            dialect,
            schema: contract
                .schema(dataset)
                .expect("validated: every dataset read has a schema"),
            lists: &contract.lists,
        }
    }
}

/// An expression that this dialect cannot write exactly.
#[derive(Debug)]
pub(crate) struct Refused(pub String);

type Out = Result<(String, Ty), Refused>;

impl Writer<'_> {
    /// `expr` as an SQL condition (for WHERE, CASE WHEN, AND).
    pub(crate) fn condition(&self, expr: &Expr) -> Result<String, Refused> {
        let (sql, ty) = self.write(expr)?;
        Ok(self.as_condition(sql, ty))
    }

    /// `expr` as an SQL value, with its type.
    pub(crate) fn value(&self, expr: &Expr) -> Out {
        let (sql, ty) = self.write(expr)?;
        Ok((self.as_value(sql, ty), ty))
    }

    /// A condition's text from what [`Writer::write`] gave: in T-SQL a BIT value is compared
    /// with 1.
    fn as_condition(&self, sql: String, ty: Ty) -> String {
        match ty {
            Some(SqlType::Boolean) if self.is_bit_value(&sql) => format!("({sql} = 1)"),
            // The literal NULL as a condition: unknown, not false, so that NOT keeps it NULL.
            None => "(CAST(NULL AS INT) = 1)".to_string(),
            _ => sql,
        }
    }

    /// A value's text: in T-SQL a condition becomes a BIT with CASE, keeping NULL.
    fn as_value(&self, sql: String, ty: Ty) -> String {
        match ty {
            Some(SqlType::Boolean)
                if !self.dialect.has_boolean_values() && !self.is_bit_value(&sql) =>
            {
                format!(
                    "CASE WHEN {sql} THEN {} WHEN NOT {sql} THEN {} END",
                    self.dialect.boolean(true),
                    self.dialect.boolean(false)
                )
            }
            _ => sql,
        }
    }

    /// In T-SQL, whether a boolean-typed text is a BIT value (a column, a cast, a COALESCE)
    /// rather than a condition. Conditions levers writes always start with `(` or `NOT`.
    fn is_bit_value(&self, sql: &str) -> bool {
        !self.dialect.has_boolean_values() && !sql.starts_with('(') && !sql.starts_with("NOT ")
    }

    fn write(&self, expr: &Expr) -> Out {
        let d = self.dialect;
        Ok(match &expr.kind {
            ExprKind::Column(name) => {
                let column = self
                    .schema
                    .columns
                    .iter()
                    .find(|c| c.name == *name)
                    .ok_or_else(|| Refused(format!("unknown column `{name}`")))?;
                (d.ident(name), Some(column_type(column.ty)))
            }
            ExprKind::ContractList(name) => {
                return Err(Refused(format!(
                    "contract.{name} is a list: use it after IN"
                )))
            }
            ExprKind::Literal(literal) => match literal {
                Literal::Null => ("NULL".to_string(), None),
                Literal::Bool(b) => (d.boolean(*b).to_string(), Some(SqlType::Boolean)),
                Literal::Integer(i) => (i.to_string(), Some(SqlType::Integer)),
                Literal::Decimal(x) => (x.to_string(), Some(SqlType::Decimal)),
                Literal::Text(t) => (d.text(t), Some(SqlType::Text)),
                Literal::Date(date) => (d.date(*date), Some(SqlType::Date)),
            },
            ExprKind::Not(inner) => (
                format!("(NOT {})", self.condition(inner)?),
                Some(SqlType::Boolean),
            ),
            ExprKind::Negate(inner) => {
                let (sql, ty) = self.value(inner)?;
                (format!("(-{sql})"), ty)
            }
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), a, b) => {
                let word = if *op == BinaryOp::And { "AND" } else { "OR" };
                (
                    format!("({} {word} {})", self.condition(a)?, self.condition(b)?),
                    Some(SqlType::Boolean),
                )
            }
            ExprKind::Binary(BinaryOp::Div, _, _) => {
                return Err(Refused(
                    "`/` divides exactly in levers (to 28 significant digits) but in binary \
                     floating point or at a fixed scale in SQL, so a figure could differ"
                        .to_string(),
                ))
            }
            ExprKind::Binary(op @ (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul), a, b) => {
                let (left, lt) = self.value(a)?;
                let (right, rt) = self.value(b)?;
                let ty = if lt == Some(SqlType::Integer) && rt == Some(SqlType::Integer) {
                    Some(SqlType::Integer)
                } else {
                    Some(SqlType::Decimal)
                };
                let symbol = match op {
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    _ => "*",
                };
                (format!("({left} {symbol} {right})"), ty)
            }
            ExprKind::Binary(op, a, b) => {
                let (left, right, ty) = self.pair(a, b)?;
                let symbol = match op {
                    BinaryOp::Eq => "=",
                    BinaryOp::Ne => "<>",
                    BinaryOp::Lt => "<",
                    BinaryOp::Le => "<=",
                    BinaryOp::Gt => ">",
                    _ => ">=",
                };
                let left = self.comparable(left, ty);
                (format!("({left} {symbol} {right})"), Some(SqlType::Boolean))
            }
            ExprKind::IsNull { expr, negated } => {
                let (sql, _) = self.value(expr)?;
                let not = if *negated { "NOT " } else { "" };
                (format!("({sql} IS {not}NULL)"), Some(SqlType::Boolean))
            }
            ExprKind::InList {
                expr: subject,
                list,
                negated,
            } => {
                let (sql, ty) = self.value(subject)?;
                let items: Vec<String> = match list.as_slice() {
                    [Expr {
                        kind: ExprKind::ContractList(name),
                        ..
                    }] => self
                        .lists
                        .get(name)
                        .ok_or_else(|| Refused(format!("unknown contract list `contract.{name}`")))?
                        .iter()
                        .map(|t| d.text(t))
                        .collect(),
                    _ => list
                        .iter()
                        .map(|item| self.value_as(item, ty).map(|(s, _)| s))
                        .collect::<Result<_, _>>()?,
                };
                let subject = self.comparable(sql, ty);
                // An empty list: nothing is in it, and NULL stays NULL.
                if items.is_empty() {
                    let op = if *negated { "=" } else { "<>" };
                    (
                        format!("({subject} {op} {subject})"),
                        Some(SqlType::Boolean),
                    )
                } else {
                    let not = if *negated { "NOT " } else { "" };
                    (
                        format!("({subject} {not}IN ({}))", items.join(", ")),
                        Some(SqlType::Boolean),
                    )
                }
            }
            ExprKind::Between {
                expr: subject,
                low,
                high,
                negated,
            } => {
                let (sql, ty) = self.value(subject)?;
                let (low, _) = self.value_as(low, ty)?;
                let (high, _) = self.value_as(high, ty)?;
                let not = if *negated { "NOT " } else { "" };
                let subject = self.comparable(sql, ty);
                (
                    format!("({subject} {not}BETWEEN {low} AND {high})"),
                    Some(SqlType::Boolean),
                )
            }
            ExprKind::Like {
                expr: subject,
                pattern,
                negated,
            } => {
                let (sql, _) = self.value(subject)?;
                let ExprKind::Literal(Literal::Text(pattern)) = &pattern.kind else {
                    return Err(Refused("LIKE needs a pattern in quotes".to_string()));
                };
                (d.like(&sql, pattern, *negated), Some(SqlType::Boolean))
            }
            ExprKind::Call { name, args, .. } => self.call(name, args)?,
        })
    }

    /// `expr`, reading a text literal as a date where the other side is a date (levers reads
    /// `start_date >= '2026-04-01'` so).
    fn value_as(&self, expr: &Expr, other: Ty) -> Out {
        if other == Some(SqlType::Date) {
            if let ExprKind::Literal(Literal::Text(text)) = &expr.kind {
                let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| Refused(format!("`{text}` is not a date as 'YYYY-MM-DD'")))?;
                return Ok((self.dialect.date(date), Some(SqlType::Date)));
            }
        }
        self.value(expr)
    }

    /// Both sides of a comparison, with the type they are compared as.
    fn pair(&self, a: &Expr, b: &Expr) -> Result<(String, String, Ty), Refused> {
        let (_, lt) = self.value(a)?;
        let (right, rt) = self.value_as(b, lt)?;
        let (left, lt) = if rt == Some(SqlType::Date) && lt == Some(SqlType::Text) {
            self.value_as(a, rt)?
        } else {
            self.value(a)?
        };
        Ok((left, right, lt.or(rt)))
    }

    /// Text is compared by code point whatever the engine's collation.
    fn comparable(&self, sql: String, ty: Ty) -> String {
        if ty == Some(SqlType::Text) {
            self.dialect.exact_text(&sql)
        } else {
            sql
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Out {
        let d = self.dialect;
        let one = || -> Out {
            match args {
                [arg] => self.value(arg),
                _ => Err(Refused(format!("{name} takes one argument"))),
            }
        };
        Ok(match name {
            "valid_nhs_number" => {
                let (x, _) = one()?;
                (valid_nhs_number(d, &x), Some(SqlType::Boolean))
            }
            "days_between" => {
                let [a, b] = args else {
                    return Err(Refused("days_between takes two dates".to_string()));
                };
                let (a, _) = self.value_as(a, Some(SqlType::Date))?;
                let (b, _) = self.value_as(b, Some(SqlType::Date))?;
                (d.days_between(&a, &b), Some(SqlType::Integer))
            }
            "upper" | "lower" | "trim" => {
                let (x, _) = one()?;
                (format!("{}({x})", name.to_uppercase()), Some(SqlType::Text))
            }
            "length" => (d.length(&one()?.0), Some(SqlType::Integer)),
            "month" | "year" => {
                let (x, _) = self.value_as(&args[0], Some(SqlType::Date))?;
                (
                    d.date_part(&name.to_uppercase(), &x),
                    Some(SqlType::Integer),
                )
            }
            "coalesce" => {
                let mut ty: Ty = None;
                let mut parts = Vec::new();
                for arg in args {
                    let (sql, arg_ty) = self.value_as(arg, ty)?;
                    ty = match (ty, arg_ty) {
                        (None, t) | (t, None) => t,
                        (Some(a), Some(b)) if a == b => Some(a),
                        (Some(SqlType::Integer), Some(_)) | (Some(_), Some(SqlType::Integer)) => {
                            Some(SqlType::Decimal)
                        }
                        (a, _) => a,
                    };
                    parts.push(sql);
                }
                (format!("COALESCE({})", parts.join(", ")), ty)
            }
            _ => return Err(Refused(format!("unknown function `{name}`"))),
        })
    }
}

/// The NHS Modulus 11 check (§3) in SQL: spaces and dashes removed, exactly ten digits, the
/// first nine weighted 10 down to 2, and `(11 − sum mod 11) mod 11` equal to the tenth (a
/// check of 10 matches no digit). NULL for NULL. Digits are read with ASCII, which cannot
/// fail, so no engine raises an error on a cell that is not a number.
pub(crate) fn valid_nhs_number(d: Dialect, x: &str) -> String {
    let s = format!("REPLACE(REPLACE({x}, ' ', ''), '-', '')");
    let digit = |i: usize| format!("(ASCII(SUBSTRING({s}, {i}, 1)) - 48)");
    let sum = (1..=9)
        .map(|i| format!("{} * {}", digit(i), 11 - i))
        .collect::<Vec<_>>()
        .join(" + ");
    format!(
        "({} AND ((11 - (({sum}) % 11)) % 11) = {})",
        d.ten_digits(&s),
        digit(10)
    )
}
