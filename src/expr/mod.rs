//! The expression language of conditions and values (§4.2): SQL as an NHS analyst writes it.
//!
//! Text is parsed by a hand-written lexer and Pratt parser ([`parse`]) into an [`Expr`] that
//! keeps byte spans, type-checked against a dataset schema and compiled ([`compile`]) into a
//! [`Compiled`] tree whose column references are slots in the row being read. Compilation
//! happens once per rule; evaluation then runs once per row with no lookups by name.

mod compile;
mod parse;

pub(crate) use compile::{compile, CompileEnv, Compiled, Memo, SlotMap, Want};
pub(crate) use parse::parse;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt;
use std::ops::Range;

/// A problem in an expression, located by byte span within the expression's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub span: Range<usize>,
    pub message: String,
}

impl ExprError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        ExprError {
            span,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Column(String),
    /// `contract.services`: a list taken from the contract.
    ContractList(String),
    Literal(Literal),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Call {
        name: String,
        name_span: Range<usize>,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Integer(i64),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

impl Expr {
    /// The column names the expression reads, in order of first appearance.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let ExprKind::Column(name) = &e.kind {
                if !out.contains(&name.as_str()) {
                    out.push(name.as_str());
                }
            }
        });
        out
    }

    /// The expression's operands, in order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Column(_) | ExprKind::ContractList(_) | ExprKind::Literal(_) => Vec::new(),
            ExprKind::Not(e) | ExprKind::Negate(e) | ExprKind::IsNull { expr: e, .. } => vec![e],
            ExprKind::Binary(_, a, b)
            | ExprKind::Like {
                expr: a,
                pattern: b,
                ..
            } => vec![a, b],
            ExprKind::InList { expr, list, .. } => {
                std::iter::once(&**expr).chain(list.iter()).collect()
            }
            ExprKind::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::Call { args, .. } => args.iter().collect(),
        }
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        for child in self.children() {
            child.visit(f);
        }
    }
}

/// Prints the expression back as text, parenthesising every compound operand, so that
/// `parse(e.to_string())` gives `e` again (spans aside).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |negated: bool| if negated { "NOT " } else { "" };
        match &self.kind {
            ExprKind::Column(name) => {
                if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    write!(f, "{name}")
                } else {
                    write!(f, "\"{name}\"")
                }
            }
            ExprKind::ContractList(name) => write!(f, "contract.{name}"),
            ExprKind::Literal(literal) => match literal {
                Literal::Null => write!(f, "NULL"),
                Literal::Bool(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
                Literal::Integer(i) => write!(f, "{i}"),
                Literal::Decimal(d) => write!(f, "{d}"),
                Literal::Text(t) => write!(f, "'{}'", t.replace('\'', "''")),
                Literal::Date(d) => write!(f, "DATE '{}'", d.format("%Y-%m-%d")),
            },
            ExprKind::Not(e) => write!(f, "NOT ({e})"),
            ExprKind::Negate(e) => write!(f, "-({e})"),
            ExprKind::Binary(op, a, b) => write!(f, "({a}) {} ({b})", op.symbol()),
            ExprKind::IsNull { expr, negated } => write!(f, "({expr}) IS {}NULL", not(*negated)),
            ExprKind::InList {
                expr,
                list,
                negated,
            } => {
                if let [single @ Expr {
                    kind: ExprKind::ContractList(_),
                    ..
                }] = list.as_slice()
                {
                    return write!(f, "({expr}) {}IN {single}", not(*negated));
                }
                write!(f, "({expr}) {}IN (", not(*negated))?;
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, ")")
            }
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                write!(f, "({expr}) {}BETWEEN ({low}) AND ({high})", not(*negated))
            }
            ExprKind::Like {
                expr,
                pattern,
                negated,
            } => {
                write!(f, "({expr}) {}LIKE ({pattern})", not(*negated))
            }
            ExprKind::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                write!(f, ")")
            }
        }
    }
}

#[cfg(test)]
mod tests;
