//! Type checking and compilation of expressions against a dataset schema, and evaluation.
//!
//! NULL follows SQL three-valued logic: comparisons with NULL are NULL, `AND`/`OR` absorb as
//! SQL does, and every function but `coalesce` returns NULL for a NULL argument. A condition
//! matches a row only when it evaluates to TRUE. Division by zero gives NULL (as DuckDB does),
//! never a crash.

use super::{BinaryOp, Expr, ExprError, ExprKind, Literal};
use crate::model::cell::valid_nhs_number;
use crate::model::schema::{ColumnType, Schema};
use crate::model::value::Value;
use chrono::Datelike;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Bool,
    Int,
    Dec,
    Text,
    Date,
    /// The literal NULL, compatible with anything.
    Null,
}

impl Type {
    fn of_column(ty: ColumnType) -> Type {
        match ty {
            ColumnType::Text | ColumnType::NhsNumber => Type::Text,
            ColumnType::Integer => Type::Int,
            ColumnType::Decimal | ColumnType::Money => Type::Dec,
            ColumnType::Date => Type::Date,
            ColumnType::Boolean => Type::Bool,
        }
    }

    pub(crate) fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Dec)
    }

    fn comparable_with(self, other: Type) -> bool {
        self == other
            || self == Type::Null
            || other == Type::Null
            || (self.is_numeric() && other.is_numeric())
    }

    fn unify(self, other: Type) -> Option<Type> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Type::Null, t) | (t, Type::Null) => Some(t),
            (a, b) if a.is_numeric() && b.is_numeric() => Some(Type::Dec),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Bool => "a condition (true/false)",
            Type::Int => "a whole number",
            Type::Dec => "a decimal number",
            Type::Text => "text",
            Type::Date => "a date",
            Type::Null => "NULL",
        })
    }
}

/// The columns a dataset pass converts, in slot order. Every rule compiled against one pass
/// shares one map, so a column read by ten rules is parsed once per row.
///
/// A pass compiles its rules twice: the first time counts how often each condition occurs (by
/// its canonical text), and the second, on [`SlotMap::sharing_repeated`], gives each condition
/// that occurs more than once a place in the row's [`Memo`]. A condition asked once is tested
/// directly, at no cost for the memo.
#[derive(Debug, Default, Clone)]
pub(crate) struct SlotMap {
    columns: Vec<usize>,
    /// The canonical text of every shared condition, by memo index.
    conditions: Vec<String>,
    /// How often each condition has been compiled.
    counts: BTreeMap<String, usize>,
    /// The conditions to share; none on the first compilation.
    shared: Option<HashSet<String>>,
}

impl SlotMap {
    pub(crate) fn slot_for(&mut self, column: usize) -> usize {
        match self.columns.iter().position(|&c| c == column) {
            Some(slot) => slot,
            None => {
                self.columns.push(column);
                self.columns.len() - 1
            }
        }
    }

    /// Schema column index of each slot.
    pub(crate) fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// The conditions shared through the memo, by index.
    #[cfg(test)]
    pub(crate) fn shared_conditions(&self) -> &[String] {
        &self.conditions
    }

    /// A fresh map for compiling the same rules again, sharing the conditions that occurred
    /// more than once.
    pub(crate) fn sharing_repeated(&self) -> SlotMap {
        SlotMap {
            shared: Some(
                self.counts
                    .iter()
                    .filter(|(_, n)| **n > 1)
                    .map(|(text, _)| text.clone())
                    .collect(),
            ),
            ..SlotMap::default()
        }
    }

    /// The memo index of a shared condition, the same for every condition with the same text.
    fn condition_for(&mut self, text: String) -> Option<usize> {
        let shared = self.shared.as_ref().is_some_and(|s| s.contains(&text));
        *self.counts.entry(text.clone()).or_default() += 1;
        if !shared {
            return None;
        }
        Some(match self.conditions.iter().position(|c| *c == text) {
            Some(index) => index,
            None => {
                self.conditions.push(text);
                self.conditions.len() - 1
            }
        })
    }
}

/// What an expression may refer to.
pub(crate) struct CompileEnv<'a> {
    pub schema: &'a Schema,
    /// The contract's lists: `contract.commissioners`, `contract.services`.
    pub lists: &'a BTreeMap<String, Vec<String>>,
    pub slots: &'a mut SlotMap,
}

/// A compiled expression, ready to evaluate against rows.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    node: Node,
}

impl Compiled {
    /// The expression's value in `row`; `memo` holds the row's shared conditions. (The pass
    /// asks [`Compiled::value_in`]; the tests hold the two to one answer.)
    #[cfg(test)]
    pub(crate) fn eval<'r>(&self, row: &[Value<'r>], memo: &Memo) -> Value<'r> {
        self.node.eval(row, memo)
    }

    /// The expression's value in `row`, borrowed from the row when the expression is a column
    /// (as a sum's value or a ratio's grouping mostly is): nothing copied, no call made.
    #[inline]
    pub(crate) fn value_in<'a, 'r>(
        &self,
        row: &'a [Value<'r>],
        memo: &Memo,
    ) -> std::borrow::Cow<'a, Value<'r>> {
        match &self.node {
            Node::Slot(i) => std::borrow::Cow::Borrowed(&row[*i]),
            node => std::borrow::Cow::Owned(node.eval(row, memo)),
        }
    }

    /// True when the condition holds (NULL and FALSE do not match).
    #[inline(always)]
    pub(crate) fn matches(&self, row: &[Value<'_>], memo: &Memo) -> bool {
        self.node.test(row, memo) == Some(true)
    }

    /// For `column = 'text'`, shared or not: the column's slot and the text. A cell equal to
    /// one such text is equal to no other, which lets a pass look up which of many such
    /// conditions a row meets instead of testing each.
    pub(crate) fn text_equals(&self) -> Option<(usize, &str)> {
        let node = match &self.node {
            Node::Memo(_, inner) => inner,
            node => node,
        };
        match node {
            Node::TextEquals {
                slot,
                text,
                negated: false,
            } => Some((*slot, text)),
            _ => None,
        }
    }

    /// The condition's place in the row's [`Memo`] when several rules share it: the same index
    /// is the same condition.
    pub(crate) fn shared_index(&self) -> Option<usize> {
        match &self.node {
            Node::Memo(index, _) => Some(*index),
            _ => None,
        }
    }
}

/// Each row's results for the conditions of a pass, worked out at most once a row however many
/// KPIs and rules ask: `valid_nhs_number(nhs_number)` checked once for the KPI and the rule
/// that both ask it. Conditions are told apart by their canonical text
/// ([`SlotMap::condition_for`]).
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// Each condition's truth and the row it is for: the row's number shifted left two bits,
    /// and 1 false, 2 true, 3 NULL. A cell of an earlier row is not yet worked out for this one,
    /// so a new row needs nothing cleared.
    cells: Vec<std::cell::Cell<u64>>,
    /// The row being tested, counted from 1.
    row: std::cell::Cell<u64>,
}

impl Memo {
    /// Room for the conditions of `slots`' pass.
    pub(crate) fn new(slots: &SlotMap) -> Memo {
        Memo {
            cells: vec![std::cell::Cell::new(0); slots.conditions.len()],
            row: std::cell::Cell::new(1),
        }
    }

    /// Forgets the last row's results: moves on to the next row.
    pub(crate) fn clear(&self) {
        self.row.set(self.row.get() + 1);
    }

    fn recall(&self, index: usize, work: impl FnOnce() -> Option<bool>) -> Option<bool> {
        let Some(cell) = self.cells.get(index) else {
            return work();
        };
        let row = self.row.get();
        let known = cell.get();
        if known >> 2 == row {
            return match known & 3 {
                1 => Some(false),
                2 => Some(true),
                _ => None,
            };
        }
        let truth = work();
        cell.set(
            row << 2
                | match truth {
                    Some(false) => 1,
                    Some(true) => 2,
                    None => 3,
                },
        );
        truth
    }
}

#[derive(Debug, Clone)]
enum Node {
    /// `column = 'text'` / `column <> 'text'`: compared in place, no value built.
    TextEquals {
        slot: usize,
        text: String,
        negated: bool,
    },
    /// `column OP integer` on an integer column.
    IntCompare {
        slot: usize,
        op: BinaryOp,
        value: i64,
    },
    Slot(usize),
    Const(Value<'static>),
    /// A condition shared through the row's [`Memo`].
    Memo(usize, Box<Node>),
    Not(Box<Node>),
    Negate(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(BinaryOp, Box<Node>, Box<Node>),
    Arith(BinaryOp, Box<Node>, Box<Node>),
    IsNull(Box<Node>, bool),
    InText(
        Box<Node>,
        HashSet<String, crate::pass::hash::FastHash>,
        bool,
    ),
    InValues(Box<Node>, Vec<Node>, bool),
    Between(Box<Node>, Box<Node>, Box<Node>, bool),
    Like(Box<Node>, LikePattern, bool),
    Call(Function, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    ValidNhsNumber,
    DaysBetween,
    Upper,
    Lower,
    Trim,
    Length,
    Coalesce,
    Month,
    Year,
}

const FUNCTIONS: &str =
    "valid_nhs_number, days_between, upper, lower, trim, length, coalesce, month, year";

/// Compiles `expr`, which must be of type `want` (`None`: any type).
pub(crate) fn compile(
    expr: &Expr,
    env: &mut CompileEnv<'_>,
    want: Option<Want>,
) -> Result<Compiled, ExprError> {
    let (node, ty) = build(expr, env)?;
    if let Some(want) = want {
        let ok = match want {
            Want::Condition => ty == Type::Bool,
            Want::Number => ty.is_numeric(),
        };
        if !ok {
            let expected = match want {
                Want::Condition => "a condition such as `pod = 'AE'`",
                Want::Number => "a numeric value such as a column of numbers",
            };
            return Err(ExprError::new(
                expr.span.clone(),
                format!("expected {expected}, but this is {ty}"),
            ));
        }
    }
    Ok(Compiled { node })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Condition,
    Number,
}

/// Builds `expr`, giving every condition a memo index so that the same condition asked by many
/// rules is worked out once a row.
fn build(expr: &Expr, env: &mut CompileEnv<'_>) -> Result<(Node, Type), ExprError> {
    let (node, ty) = build_node(expr, env)?;
    // A column compared with a constant, or tested for NULL, is answered in place for less
    // than looking it up in the memo would cost.
    if ty == Type::Bool && !node.is_simple() && !matches!(node, Node::Const(_)) {
        if let Some(index) = env.slots.condition_for(expr.to_string()) {
            return Ok((Node::Memo(index, Box::new(node)), ty));
        }
    }
    Ok((node, ty))
}

fn build_node(expr: &Expr, env: &mut CompileEnv<'_>) -> Result<(Node, Type), ExprError> {
    let span = expr.span.clone();
    Ok(match &expr.kind {
        ExprKind::Column(name) => {
            let Some(index) = env.schema.column_index(name) else {
                let mut names: Vec<&str> =
                    env.schema.columns.iter().map(|c| c.name.as_str()).collect();
                names.sort_unstable();
                let hint = crate::error::closest(name, &names)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                return Err(ExprError::new(
                    span,
                    format!(
                        "unknown column `{name}` in dataset `{}`: {hint}expected one of {}",
                        env.schema.name,
                        names.join(", ")
                    ),
                ));
            };
            let ty = Type::of_column(env.schema.columns[index].ty);
            (Node::Slot(env.slots.slot_for(index)), ty)
        }
        ExprKind::ContractList(name) => {
            return Err(ExprError::new(
                span,
                format!("contract.{name} is a list: use it after IN, as in `x IN contract.{name}`"),
            ))
        }
        ExprKind::Literal(literal) => match literal {
            Literal::Null => (Node::Const(Value::Null), Type::Null),
            Literal::Bool(b) => (Node::Const(Value::Bool(*b)), Type::Bool),
            Literal::Integer(i) => (Node::Const(Value::Int(*i)), Type::Int),
            Literal::Decimal(d) => (Node::Const(Value::Dec(*d)), Type::Dec),
            Literal::Text(t) => (Node::Const(Value::Text(Cow::Owned(t.clone()))), Type::Text),
            Literal::Date(d) => (Node::Const(Value::Date(*d)), Type::Date),
        },
        ExprKind::Not(inner) => {
            let node = condition(inner, env, "NOT")?;
            (Node::Not(Box::new(node)), Type::Bool)
        }
        ExprKind::Negate(inner) => {
            let (node, ty) = build(inner, env)?;
            if !ty.is_numeric() {
                return Err(ExprError::new(
                    inner.span.clone(),
                    format!("expected a number after `-`, but this is {ty}"),
                ));
            }
            (Node::Negate(Box::new(node)), ty)
        }
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), a, b) => {
            let word = op.symbol();
            let left = condition(a, env, word)?;
            let right = condition(b, env, word)?;
            let node = if *op == BinaryOp::And {
                Node::And(Box::new(left), Box::new(right))
            } else {
                Node::Or(Box::new(left), Box::new(right))
            };
            (node, Type::Bool)
        }
        ExprKind::Binary(
            op @ (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div),
            a,
            b,
        ) => {
            let (left, lt) = build(a, env)?;
            let (right, rt) = build(b, env)?;
            for (ty, side) in [(lt, a), (rt, b)] {
                if !ty.is_numeric() && ty != Type::Null {
                    let hint = if ty == Type::Date {
                        " (use days_between(a, b) for the days between two dates)"
                    } else {
                        ""
                    };
                    return Err(ExprError::new(
                        side.span.clone(),
                        format!("`{}` needs numbers, but this is {ty}{hint}", op.symbol()),
                    ));
                }
            }
            let ty = if *op != BinaryOp::Div && lt == Type::Int && rt == Type::Int {
                Type::Int
            } else {
                Type::Dec
            };
            (Node::Arith(*op, Box::new(left), Box::new(right)), ty)
        }
        ExprKind::Binary(op, a, b) => {
            let (left, right) = comparable_pair(a, b, env, op.symbol())?;
            (specialise_compare(*op, left, right), Type::Bool)
        }
        ExprKind::IsNull { expr, negated } => {
            let (node, _) = build(expr, env)?;
            (Node::IsNull(Box::new(node), *negated), Type::Bool)
        }
        ExprKind::InList {
            expr: subject,
            list,
            negated,
        } => {
            let (node, ty) = build(subject, env)?;
            if let [Expr {
                kind: ExprKind::ContractList(name),
                span: list_span,
            }] = list.as_slice()
            {
                let Some(values) = env.lists.get(name) else {
                    let names: Vec<&str> = env.lists.keys().map(String::as_str).collect();
                    return Err(ExprError::new(
                        list_span.clone(),
                        format!(
                            "unknown contract list `contract.{name}`: expected one of {}",
                            names
                                .iter()
                                .map(|n| format!("contract.{n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                if ty != Type::Text {
                    return Err(ExprError::new(
                        subject.span.clone(),
                        format!("contract.{name} holds text codes, but this is {ty}"),
                    ));
                }
                let set = values.iter().cloned().collect();
                return Ok((Node::InText(Box::new(node), set, *negated), Type::Bool));
            }
            let mut items = Vec::with_capacity(list.len());
            let mut all_text = ty == Type::Text;
            for item in list {
                let (item_node, item_ty) = build_as(item, ty, env)?;
                if !ty.comparable_with(item_ty) {
                    return Err(ExprError::new(
                        item.span.clone(),
                        format!("IN compares {ty} with {item_ty}: expected {ty}"),
                    ));
                }
                all_text &= matches!(item_node, Node::Const(Value::Text(_)));
                items.push(item_node);
            }
            if all_text {
                let set = items
                    .iter()
                    .filter_map(|n| match n {
                        Node::Const(Value::Text(t)) => Some(t.to_string()),
                        _ => None,
                    })
                    .collect();
                (Node::InText(Box::new(node), set, *negated), Type::Bool)
            } else {
                (Node::InValues(Box::new(node), items, *negated), Type::Bool)
            }
        }
        ExprKind::Between {
            expr: subject,
            low,
            high,
            negated,
        } => {
            let (node, ty) = build(subject, env)?;
            let (low_node, low_ty) = build_as(low, ty, env)?;
            let (high_node, high_ty) = build_as(high, ty, env)?;
            for (bound_ty, bound) in [(low_ty, low), (high_ty, high)] {
                if !ty.comparable_with(bound_ty) {
                    return Err(ExprError::new(
                        bound.span.clone(),
                        format!("BETWEEN compares {ty} with {bound_ty}: expected {ty}"),
                    ));
                }
            }
            (
                Node::Between(
                    Box::new(node),
                    Box::new(low_node),
                    Box::new(high_node),
                    *negated,
                ),
                Type::Bool,
            )
        }
        ExprKind::Like {
            expr: subject,
            pattern,
            negated,
        } => {
            let (node, ty) = build(subject, env)?;
            if ty != Type::Text {
                return Err(ExprError::new(
                    subject.span.clone(),
                    format!("LIKE matches text, but this is {ty}"),
                ));
            }
            let ExprKind::Literal(Literal::Text(text)) = &pattern.kind else {
                return Err(ExprError::new(
                    pattern.span.clone(),
                    "expected a pattern in quotes after LIKE, such as 'FD%'",
                ));
            };
            (
                Node::Like(Box::new(node), LikePattern::new(text), *negated),
                Type::Bool,
            )
        }
        ExprKind::Call {
            name,
            name_span,
            args,
        } => call(name, name_span, args, &span, env)?,
    })
}

/// Comparisons of a column with a constant, the commonest condition by far, get nodes that
/// compare in place.
fn specialise_compare(op: BinaryOp, left: Node, right: Node) -> Node {
    match (op, &left, &right) {
        (BinaryOp::Eq | BinaryOp::Ne, Node::Slot(slot), Node::Const(Value::Text(t)))
        | (BinaryOp::Eq | BinaryOp::Ne, Node::Const(Value::Text(t)), Node::Slot(slot)) => {
            Node::TextEquals {
                slot: *slot,
                text: t.to_string(),
                negated: op == BinaryOp::Ne,
            }
        }
        (_, Node::Slot(slot), Node::Const(Value::Int(i))) => Node::IntCompare {
            slot: *slot,
            op,
            value: *i,
        },
        _ => Node::Compare(op, Box::new(left), Box::new(right)),
    }
}

/// Builds `expr`, reading a text literal as a date when the other side is a date, so that
/// `start_date >= '2026-04-01'` works as it does in SQL Server.
fn build_as(expr: &Expr, other: Type, env: &mut CompileEnv<'_>) -> Result<(Node, Type), ExprError> {
    if other == Type::Date {
        if let ExprKind::Literal(Literal::Text(text)) = &expr.kind {
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                ExprError::new(
                    expr.span.clone(),
                    format!("expected a date as 'YYYY-MM-DD', found '{text}'"),
                )
            })?;
            return Ok((Node::Const(Value::Date(date)), Type::Date));
        }
    }
    build(expr, env)
}

fn comparable_pair(
    a: &Expr,
    b: &Expr,
    env: &mut CompileEnv<'_>,
    symbol: &str,
) -> Result<(Node, Node), ExprError> {
    let (left, lt) = build(a, env)?;
    let (right, rt) = build_as(b, lt, env)?;
    let (left, lt) = if rt == Type::Date && lt == Type::Text {
        build_as(a, rt, env)?
    } else {
        (left, lt)
    };
    for (ty, side) in [(lt, a), (rt, b)] {
        if ty == Type::Null {
            return Err(ExprError::new(
                side.span.clone(),
                format!("`{symbol} NULL` is never true in SQL: write `IS NULL` or `IS NOT NULL`"),
            ));
        }
    }
    if !lt.comparable_with(rt) {
        return Err(ExprError::new(
            b.span.clone(),
            format!("cannot compare {lt} with {rt}: expected {lt} on the right of `{symbol}`"),
        ));
    }
    Ok((left, right))
}

fn condition(expr: &Expr, env: &mut CompileEnv<'_>, word: &str) -> Result<Node, ExprError> {
    let (node, ty) = build(expr, env)?;
    if ty != Type::Bool && ty != Type::Null {
        return Err(ExprError::new(
            expr.span.clone(),
            format!("{word} needs a condition, but this is {ty}"),
        ));
    }
    Ok(node)
}

fn call(
    name: &str,
    name_span: &std::ops::Range<usize>,
    args: &[Expr],
    span: &std::ops::Range<usize>,
    env: &mut CompileEnv<'_>,
) -> Result<(Node, Type), ExprError> {
    let (function, params, result): (Function, &[Type], Type) = match name {
        "valid_nhs_number" => (Function::ValidNhsNumber, &[Type::Text], Type::Bool),
        "days_between" => (Function::DaysBetween, &[Type::Date, Type::Date], Type::Int),
        "upper" => (Function::Upper, &[Type::Text], Type::Text),
        "lower" => (Function::Lower, &[Type::Text], Type::Text),
        "trim" => (Function::Trim, &[Type::Text], Type::Text),
        "length" => (Function::Length, &[Type::Text], Type::Int),
        "month" => (Function::Month, &[Type::Date], Type::Int),
        "year" => (Function::Year, &[Type::Date], Type::Int),
        "coalesce" => {
            if args.is_empty() {
                return Err(ExprError::new(
                    span.clone(),
                    "coalesce needs at least one argument",
                ));
            }
            let mut nodes = Vec::new();
            let mut ty = Type::Null;
            for arg in args {
                let (node, arg_ty) = build_as(arg, ty, env)?;
                ty = ty.unify(arg_ty).ok_or_else(|| {
                    ExprError::new(
                        arg.span.clone(),
                        format!("coalesce mixes {ty} with {arg_ty}: expected {ty}"),
                    )
                })?;
                nodes.push(node);
            }
            return Ok((Node::Call(Function::Coalesce, nodes), ty));
        }
        _ => {
            return Err(ExprError::new(
                name_span.clone(),
                format!("unknown function `{name}`: expected one of {FUNCTIONS}"),
            ))
        }
    };
    if args.len() != params.len() {
        return Err(ExprError::new(
            span.clone(),
            format!(
                "{name} takes {} argument(s), found {}",
                params.len(),
                args.len()
            ),
        ));
    }
    let mut nodes = Vec::with_capacity(args.len());
    for (arg, want) in args.iter().zip(params) {
        let (node, ty) = build_as(arg, *want, env)?;
        if ty != *want && ty != Type::Null {
            return Err(ExprError::new(
                arg.span.clone(),
                format!("{name} expects {want}, but this is {ty}"),
            ));
        }
        nodes.push(node);
    }
    Ok((Node::Call(function, nodes), result))
}

fn truth(value: &Value<'_>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn from_truth(t: Option<bool>) -> Value<'static> {
    t.map_or(Value::Null, Value::Bool)
}

impl Node {
    /// A condition's truth (None for NULL), without building values where the node allows.
    /// The commonest nodes are answered here, inline where a measure asks; the rest by
    /// [`Node::test_other`].
    #[inline(always)]
    fn test(&self, row: &[Value<'_>], m: &Memo) -> Option<bool> {
        if let Some(truth) = self.test_simple(row) {
            return truth;
        }
        match self {
            // A memoised condition is never itself a memo: its inner node is tested simply or
            // by `test_other`, never by `test`, which therefore can be inlined.
            Node::Memo(index, inner) => m.recall(*index, || match inner.test_simple(row) {
                Some(truth) => truth,
                None => inner.test_other(row, m),
            }),
            _ => self.test_other(row, m),
        }
    }

    /// Whether [`Node::test_simple`] answers this node (in all but odd cases: an integer
    /// comparison on a cell that is not an integer).
    fn is_simple(&self) -> bool {
        match self {
            Node::TextEquals { .. } | Node::IntCompare { .. } => true,
            Node::IsNull(inner, _) => matches!(inner.as_ref(), Node::Slot(_)),
            _ => false,
        }
    }

    /// The truth of a column compared with a constant, or of a column being NULL, answered in
    /// place; `None` for any other node (or an integer comparison on a cell that is not an
    /// integer).
    #[inline(always)]
    fn test_simple(&self, row: &[Value<'_>]) -> Option<Option<bool>> {
        match self {
            Node::TextEquals {
                slot,
                text,
                negated,
            } => Some(match &row[*slot] {
                Value::Text(t) => Some(same_text(t.as_bytes(), text.as_bytes()) != *negated),
                _ => None,
            }),
            Node::IntCompare { slot, op, value } => match &row[*slot] {
                Value::Int(i) => Some(Some(compare_ordering(*op, i.cmp(value)))),
                _ => None,
            },
            Node::IsNull(inner, negated) => match inner.as_ref() {
                Node::Slot(slot) => Some(Some(row[*slot].is_null() != *negated)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The connectives and the NHS number check, on the path of every row; rarer nodes are
    /// left to [`Node::test_rare`], so that this function saves and restores few registers.
    #[inline(never)]
    fn test_other(&self, row: &[Value<'_>], m: &Memo) -> Option<bool> {
        match self {
            Node::Memo(..) | Node::TextEquals { .. } => self.test(row, m),
            Node::And(a, b) => match a.test(row, m) {
                Some(false) => Some(false),
                left => match (left, b.test(row, m)) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
            },
            Node::Or(a, b) => match a.test(row, m) {
                Some(true) => Some(true),
                left => match (left, b.test(row, m)) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            },
            Node::Not(inner) => inner.test(row, m).map(|b| !b),
            Node::IsNull(inner, negated) => match inner.as_ref() {
                Node::Slot(slot) => Some(row[*slot].is_null() != *negated),
                other => Some(other.eval(row, m).is_null() != *negated),
            },
            Node::Call(Function::ValidNhsNumber, args) => match &args[0] {
                Node::Slot(slot) => match &row[*slot] {
                    Value::Text(t) => Some(valid_nhs_number(t)),
                    _ => None,
                },
                _ => truth(&self.eval(row, m)),
            },
            _ => self.test_rare(row, m),
        }
    }

    /// [`Node::test_other`]'s rarer nodes.
    #[inline(never)]
    fn test_rare(&self, row: &[Value<'_>], m: &Memo) -> Option<bool> {
        match self {
            Node::IntCompare { slot, op, value } => match &row[*slot] {
                Value::Int(i) => Some(compare_ordering(*op, i.cmp(value))),
                Value::Null => None,
                other => other
                    .compare(&Value::Int(*value))
                    .map(|o| compare_ordering(*op, o)),
            },
            Node::InText(inner, set, negated) => match inner.as_ref() {
                Node::Slot(slot) => match &row[*slot] {
                    Value::Text(t) => Some(set.contains(t.as_ref()) != *negated),
                    _ => None,
                },
                other => match other.eval(row, m) {
                    Value::Text(t) => Some(set.contains(t.as_ref()) != *negated),
                    _ => None,
                },
            },
            _ => truth(&self.eval(row, m)),
        }
    }

    fn eval<'r>(&self, row: &[Value<'r>], m: &Memo) -> Value<'r> {
        match self {
            Node::TextEquals { .. } | Node::IntCompare { .. } | Node::Memo(..) => {
                from_truth(self.test(row, m))
            }
            Node::Slot(i) => row[*i].clone(),
            Node::Const(v) => v.clone(),
            Node::Not(inner) => from_truth(truth(&inner.eval(row, m)).map(|b| !b)),
            Node::Negate(inner) => match inner.eval(row, m) {
                Value::Int(i) => i.checked_neg().map_or(Value::Null, Value::Int),
                Value::Dec(d) => Value::Dec(-d),
                _ => Value::Null,
            },
            Node::And(a, b) => match truth(&a.eval(row, m)) {
                Some(false) => Value::Bool(false),
                left => match (left, truth(&b.eval(row, m))) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                },
            },
            Node::Or(a, b) => match truth(&a.eval(row, m)) {
                Some(true) => Value::Bool(true),
                left => match (left, truth(&b.eval(row, m))) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                },
            },
            Node::Compare(op, a, b) => {
                let ordering = a.eval(row, m).compare(&b.eval(row, m));
                from_truth(ordering.map(|o| compare_ordering(*op, o)))
            }
            Node::Arith(op, a, b) => arith(*op, &a.eval(row, m), &b.eval(row, m)),
            Node::IsNull(inner, negated) => Value::Bool(inner.eval(row, m).is_null() != *negated),
            Node::InText(inner, set, negated) => match inner.eval(row, m) {
                Value::Text(t) => Value::Bool(set.contains(t.as_ref()) != *negated),
                _ => Value::Null,
            },
            Node::InValues(inner, items, negated) => {
                let subject = inner.eval(row, m);
                if subject.is_null() {
                    return Value::Null;
                }
                let mut saw_null = false;
                for item in items {
                    match subject.compare(&item.eval(row, m)) {
                        Some(Ordering::Equal) => return Value::Bool(!*negated),
                        None => saw_null = true,
                        _ => {}
                    }
                }
                if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                }
            }
            Node::Between(inner, low, high, negated) => {
                let subject = inner.eval(row, m);
                let above = subject
                    .compare(&low.eval(row, m))
                    .map(|o| o != Ordering::Less);
                let below = subject
                    .compare(&high.eval(row, m))
                    .map(|o| o != Ordering::Greater);
                let within = match (above, below) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                from_truth(within.map(|w| w != *negated))
            }
            Node::Like(inner, pattern, negated) => match inner.eval(row, m) {
                Value::Text(t) => Value::Bool(pattern.matches(&t) != *negated),
                _ => Value::Null,
            },
            Node::Call(function, args) => call_function(*function, args, row, m),
        }
    }
}

/// Byte equality, compared in place: the texts compared are mostly a few bytes long, where a
/// call to `memcmp` costs more than the comparison.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn compare_ordering(op: BinaryOp, o: Ordering) -> bool {
    match op {
        BinaryOp::Eq => o == Ordering::Equal,
        BinaryOp::Ne => o != Ordering::Equal,
        BinaryOp::Lt => o == Ordering::Less,
        BinaryOp::Le => o != Ordering::Greater,
        BinaryOp::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

fn arith(op: BinaryOp, a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let result = match op {
            BinaryOp::Add => x.checked_add(*y),
            BinaryOp::Sub => x.checked_sub(*y),
            BinaryOp::Mul => x.checked_mul(*y),
            _ => None,
        };
        if let Some(r) = result {
            return Value::Int(r);
        }
    }
    let (Some(x), Some(y)) = (a.as_decimal(), b.as_decimal()) else {
        return Value::Null;
    };
    let result = match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        _ => x.checked_div(y),
    };
    result.map_or(Value::Null, Value::Dec)
}

fn call_function<'r>(function: Function, args: &[Node], row: &[Value<'r>], m: &Memo) -> Value<'r> {
    if function == Function::Coalesce {
        return args
            .iter()
            .map(|a| a.eval(row, m))
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null);
    }
    let first = args[0].eval(row, m);
    if first.is_null() {
        return Value::Null;
    }
    match (function, first) {
        (Function::ValidNhsNumber, Value::Text(t)) => Value::Bool(valid_nhs_number(&t)),
        (Function::Upper, Value::Text(t)) => Value::Text(Cow::Owned(t.to_uppercase())),
        (Function::Lower, Value::Text(t)) => Value::Text(Cow::Owned(t.to_lowercase())),
        (Function::Trim, Value::Text(t)) => match t {
            Cow::Borrowed(b) => Value::Text(Cow::Borrowed(b.trim())),
            Cow::Owned(o) => Value::Text(Cow::Owned(o.trim().to_string())),
        },
        (Function::Length, Value::Text(t)) => Value::Int(t.chars().count() as i64),
        (Function::Month, Value::Date(d)) => Value::Int(i64::from(d.month())),
        (Function::Year, Value::Date(d)) => Value::Int(i64::from(d.year())),
        (Function::DaysBetween, Value::Date(a)) => match args[1].eval(row, m) {
            Value::Date(b) => Value::Int((b - a).num_days()),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// A compiled LIKE pattern: `%` any run of characters, `_` exactly one. Case-sensitive, as in
/// DuckDB and PostgreSQL.
#[derive(Debug, Clone)]
struct LikePattern {
    parts: Vec<LikePart>,
}

#[derive(Debug, Clone, PartialEq)]
enum LikePart {
    Literal(String),
    One,
    Any,
}

impl LikePattern {
    fn new(pattern: &str) -> LikePattern {
        let mut parts = Vec::new();
        let mut literal = String::new();
        for c in pattern.chars() {
            let part = match c {
                '%' => LikePart::Any,
                '_' => LikePart::One,
                _ => {
                    literal.push(c);
                    continue;
                }
            };
            if !literal.is_empty() {
                parts.push(LikePart::Literal(std::mem::take(&mut literal)));
            }
            if !(part == LikePart::Any && parts.last() == Some(&LikePart::Any)) {
                parts.push(part);
            }
        }
        if !literal.is_empty() {
            parts.push(LikePart::Literal(literal));
        }
        LikePattern { parts }
    }

    fn matches(&self, text: &str) -> bool {
        like_from(&self.parts, text)
    }
}

fn like_from(parts: &[LikePart], text: &str) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((LikePart::Literal(l), rest)) => text
            .strip_prefix(l.as_str())
            .is_some_and(|t| like_from(rest, t)),
        Some((LikePart::One, rest)) => {
            let mut chars = text.chars();
            chars.next().is_some() && like_from(rest, chars.as_str())
        }
        Some((LikePart::Any, rest)) => {
            if rest.is_empty() {
                return true;
            }
            text.char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .any(|i| like_from(rest, &text[i..]))
        }
    }
}
