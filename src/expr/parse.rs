//! Lexer and Pratt parser for the SQL-like conditions and values of §4.2.
//!
//! Every node keeps the byte span of its text, so a type error can point at the exact operand.

use super::{BinaryOp, Expr, ExprError, ExprKind, Literal};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::ops::Range;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number(String),
    Str(String),
    Symbol(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
struct Spanned {
    token: Token,
    span: Range<usize>,
}

fn lex(source: &str) -> Result<Vec<Spanned>, ExprError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let token = if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Token::Ident(source[start..i].to_string())
        } else if c == b'"' {
            // "quoted identifier" for column names that are not plain words.
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += 1;
            }
            if i == bytes.len() {
                return Err(ExprError::new(
                    start..i,
                    "unterminated quoted name: expected a closing `\"`",
                ));
            }
            i += 1;
            Token::Ident(source[start + 1..i - 1].to_string())
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            Token::Number(source[start..i].to_string())
        } else if c == b'\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match source[i..].find('\'') {
                    None => {
                        return Err(ExprError::new(
                            start..source.len(),
                            "unterminated string: expected a closing `'`",
                        ))
                    }
                    Some(j) => {
                        text.push_str(&source[i..i + j]);
                        i += j + 1;
                        if bytes.get(i) == Some(&b'\'') {
                            text.push('\'');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            Token::Str(text)
        } else {
            let two = source.get(i..i + 2).unwrap_or("");
            let symbol = match two {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "<>" => Some("<>"),
                "!=" => Some("!="),
                "==" => Some("="),
                _ => None,
            };
            if let Some(s) = symbol {
                i += 2;
                Token::Symbol(s)
            } else {
                i += 1;
                Token::Symbol(match c {
                    b'=' => "=",
                    b'<' => "<",
                    b'>' => ">",
                    b'+' => "+",
                    b'-' => "-",
                    b'*' => "*",
                    b'/' => "/",
                    b'(' => "(",
                    b')' => ")",
                    b',' => ",",
                    b'.' => ".",
                    _ => {
                        let ch = source[start..].chars().next().unwrap_or('?');
                        return Err(ExprError::new(
                            start..start + ch.len_utf8(),
                            format!("unexpected character `{ch}`"),
                        ));
                    }
                })
            }
        };
        tokens.push(Spanned {
            token,
            span: start..i,
        });
    }
    tokens.push(Spanned {
        token: Token::Eof,
        span: source.len()..source.len(),
    });
    Ok(tokens)
}

const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN", "LIKE", "TRUE", "FALSE", "DATE",
];

// Binding powers, loosest first.
const BP_OR: u8 = 1;
const BP_AND: u8 = 2;
const BP_NOT: u8 = 3;
const BP_COMPARE: u8 = 4;
const BP_ADD: u8 = 5;
const BP_MUL: u8 = 6;
const BP_UNARY: u8 = 7;

struct Parser<'s> {
    tokens: Vec<Spanned>,
    pos: usize,
    source: &'s str,
    /// How deeply the parser has recursed: bounded, so hostile text cannot overflow the stack.
    depth: usize,
}

/// The deepest an expression may nest (parentheses, NOT, minus, operators on operators).
/// Real conditions nest a handful of levels; the bound keeps every later walk of the tree
/// (type checking, compiling, evaluating, printing) well inside the stack.
pub(super) const MAX_DEPTH: usize = 200;

/// The most tokens one expression may have.
pub(super) const MAX_TOKENS: usize = 20_000;

/// Parses one expression; the whole text must be consumed.
pub(crate) fn parse(source: &str) -> Result<Expr, ExprError> {
    let tokens = lex(source)?;
    if tokens.len() > MAX_TOKENS {
        return Err(ExprError::new(
            0..source.len(),
            format!("the expression is too long: more than {MAX_TOKENS} words and symbols"),
        ));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        source,
        depth: 0,
    };
    if matches!(parser.peek(), Token::Eof) {
        return Err(ExprError::new(0..source.len(), "the expression is empty"));
    }
    let expr = parser.expr(0)?;
    if let Some(span) = too_deep(&expr) {
        return Err(ExprError::new(
            span,
            format!("the expression nests more than {MAX_DEPTH} levels deep here: split it, or write it with IN (…)"),
        ));
    }
    match parser.peek() {
        Token::Eof => Ok(expr),
        _ => {
            let span = parser.span();
            Err(ExprError::new(
                span.clone(),
                format!(
                    "unexpected `{}` after a complete expression: expected AND, OR or an operator",
                    &source[span]
                ),
            ))
        }
    }
}

/// The span of the first node deeper than [`MAX_DEPTH`], found without recursion (a chain of
/// ten thousand ORs is one level of parser recursion but ten thousand levels of tree).
fn too_deep(expr: &Expr) -> Option<Range<usize>> {
    let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Some(e.span.clone());
        }
        stack.extend(e.children().into_iter().map(|c| (c, depth + 1)));
    }
    None
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos].token
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].token
    }

    fn span(&self) -> Range<usize> {
        self.tokens[self.pos].span.clone()
    }

    fn advance(&mut self) -> Spanned {
        let t = self.tokens[self.pos].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Token::Ident(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn is_keyword_at(&self, n: usize, keyword: &str) -> bool {
        matches!(self.peek_at(n), Token::Ident(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn expect_symbol(&mut self, symbol: &str, what: &str) -> Result<Range<usize>, ExprError> {
        if self.peek() == &Token::Symbol(static_symbol(symbol)) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<Range<usize>, ExprError> {
        if self.is_keyword(keyword) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(&format!("`{keyword}`")))
        }
    }

    fn unexpected(&self, expected: &str) -> ExprError {
        let span = self.span();
        let found = match self.peek() {
            Token::Eof => "the end of the expression".to_string(),
            _ => format!("`{}`", &self.source[span.clone()]),
        };
        ExprError::new(span, format!("expected {expected}, found {found}"))
    }

    fn expr(&mut self, min_bp: u8) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.span();
            return Err(ExprError::new(
                span,
                format!("the expression nests more than {MAX_DEPTH} levels deep here"),
            ));
        }
        let result = self.expr_within(min_bp);
        self.depth -= 1;
        result
    }

    fn expr_within(&mut self, min_bp: u8) -> Result<Expr, ExprError> {
        let mut lhs = self.prefix()?;
        loop {
            let start = lhs.span.start;
            if self.is_keyword("OR") && BP_OR > min_bp {
                self.advance();
                let rhs = self.expr(BP_OR)?;
                lhs = binary(BinaryOp::Or, lhs, rhs);
            } else if self.is_keyword("AND") && BP_AND > min_bp {
                self.advance();
                let rhs = self.expr(BP_AND)?;
                lhs = binary(BinaryOp::And, lhs, rhs);
            } else if BP_COMPARE > min_bp && self.at_comparison() {
                lhs = self.comparison(lhs, start)?;
            } else if let Token::Symbol(s @ ("+" | "-")) = self.peek() {
                if BP_ADD <= min_bp {
                    break;
                }
                let op = if *s == "+" {
                    BinaryOp::Add
                } else {
                    BinaryOp::Sub
                };
                self.advance();
                let rhs = self.expr(BP_ADD)?;
                lhs = binary(op, lhs, rhs);
            } else if let Token::Symbol(s @ ("*" | "/")) = self.peek() {
                if BP_MUL <= min_bp {
                    break;
                }
                let op = if *s == "*" {
                    BinaryOp::Mul
                } else {
                    BinaryOp::Div
                };
                self.advance();
                let rhs = self.expr(BP_MUL)?;
                lhs = binary(op, lhs, rhs);
            } else {
                break;
            }
        }
        Ok(lhs)
    }

    fn at_comparison(&self) -> bool {
        matches!(
            self.peek(),
            Token::Symbol("=" | "<>" | "!=" | "<" | "<=" | ">" | ">=")
        ) || self.is_keyword("IS")
            || self.is_keyword("IN")
            || self.is_keyword("BETWEEN")
            || self.is_keyword("LIKE")
            || (self.is_keyword("NOT")
                && (self.is_keyword_at(1, "IN")
                    || self.is_keyword_at(1, "BETWEEN")
                    || self.is_keyword_at(1, "LIKE")))
    }

    fn comparison(&mut self, lhs: Expr, start: usize) -> Result<Expr, ExprError> {
        if let Token::Symbol(s) = self.peek().clone() {
            let op = match s {
                "=" => BinaryOp::Eq,
                "<>" | "!=" => BinaryOp::Ne,
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::Le,
                ">" => BinaryOp::Gt,
                _ => BinaryOp::Ge,
            };
            self.advance();
            let rhs = self.expr(BP_COMPARE)?;
            return Ok(binary(op, lhs, rhs));
        }
        if self.is_keyword("IS") {
            self.advance();
            let negated = self.is_keyword("NOT");
            if negated {
                self.advance();
            }
            let end = self
                .expect_keyword("NULL")
                .map_err(|_| self.unexpected("NULL or NOT NULL after IS"))?;
            return Ok(Expr {
                span: start..end.end,
                kind: ExprKind::IsNull {
                    expr: Box::new(lhs),
                    negated,
                },
            });
        }
        let negated = self.is_keyword("NOT");
        if negated {
            self.advance();
        }
        if self.is_keyword("IN") {
            self.advance();
            if self.is_keyword("contract") && self.peek_at(1) == &Token::Symbol(".") {
                let list = self.contract_list()?;
                return Ok(Expr {
                    span: start..list.span.end,
                    kind: ExprKind::InList {
                        expr: Box::new(lhs),
                        list: vec![list],
                        negated,
                    },
                });
            }
            self.expect_symbol(
                "(",
                "`(` and a list of values, or contract.<list>, after IN",
            )?;
            let mut list = Vec::new();
            loop {
                list.push(self.expr(0)?);
                if self.peek() == &Token::Symbol(",") {
                    self.advance();
                    continue;
                }
                let end = self.expect_symbol(")", "`,` or `)` in the IN list")?;
                return Ok(Expr {
                    span: start..end.end,
                    kind: ExprKind::InList {
                        expr: Box::new(lhs),
                        list,
                        negated,
                    },
                });
            }
        }
        if self.is_keyword("BETWEEN") {
            self.advance();
            let low = self.expr(BP_COMPARE)?;
            self.expect_keyword("AND")
                .map_err(|_| self.unexpected("AND between the two bounds of BETWEEN"))?;
            let high = self.expr(BP_COMPARE)?;
            return Ok(Expr {
                span: start..high.span.end,
                kind: ExprKind::Between {
                    expr: Box::new(lhs),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                },
            });
        }
        self.expect_keyword("LIKE")?;
        let pattern = self.expr(BP_COMPARE)?;
        Ok(Expr {
            span: start..pattern.span.end,
            kind: ExprKind::Like {
                expr: Box::new(lhs),
                pattern: Box::new(pattern),
                negated,
            },
        })
    }

    fn contract_list(&mut self) -> Result<Expr, ExprError> {
        let start = self.advance().span.start; // `contract`
        self.advance(); // `.`
        match self.peek().clone() {
            Token::Ident(name) => {
                let end = self.advance().span.end;
                Ok(Expr {
                    span: start..end,
                    kind: ExprKind::ContractList(name),
                })
            }
            _ => Err(self.unexpected("a list name after `contract.`, such as contract.services")),
        }
    }

    fn prefix(&mut self) -> Result<Expr, ExprError> {
        let Spanned { token, span } = self.tokens[self.pos].clone();
        match token {
            Token::Ident(word) if word.eq_ignore_ascii_case("NOT") => {
                self.advance();
                let operand = self.expr(BP_NOT)?;
                Ok(Expr {
                    span: span.start..operand.span.end,
                    kind: ExprKind::Not(Box::new(operand)),
                })
            }
            Token::Symbol("-") => {
                self.advance();
                let operand = self.expr(BP_UNARY)?;
                Ok(Expr {
                    span: span.start..operand.span.end,
                    kind: ExprKind::Negate(Box::new(operand)),
                })
            }
            Token::Symbol("(") => {
                self.advance();
                let inner = self.expr(0)?;
                let end = self.expect_symbol(")", "`)` to close the parenthesis")?;
                Ok(Expr {
                    span: span.start..end.end,
                    kind: inner.kind,
                })
            }
            Token::Number(text) => {
                self.advance();
                let literal = if text.contains('.') {
                    Decimal::from_str(&text).map(Literal::Decimal)
                } else {
                    text.parse::<i64>()
                        .map(Literal::Integer)
                        .or_else(|_| Decimal::from_str(&text).map(Literal::Decimal))
                };
                let literal = literal.map_err(|_| {
                    ExprError::new(span.clone(), format!("`{text}` is not a number"))
                })?;
                Ok(Expr {
                    span,
                    kind: ExprKind::Literal(literal),
                })
            }
            Token::Str(text) => {
                self.advance();
                Ok(Expr {
                    span,
                    kind: ExprKind::Literal(Literal::Text(text)),
                })
            }
            Token::Ident(word) => self.word(word, span),
            Token::Eof => Err(self.unexpected("a value, a column name or `(`")),
            Token::Symbol(_) => Err(self.unexpected("a value, a column name or `(`")),
        }
    }

    fn word(&mut self, word: String, span: Range<usize>) -> Result<Expr, ExprError> {
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "NULL" => {
                self.advance();
                return Ok(Expr {
                    span,
                    kind: ExprKind::Literal(Literal::Null),
                });
            }
            "TRUE" | "FALSE" => {
                self.advance();
                return Ok(Expr {
                    span,
                    kind: ExprKind::Literal(Literal::Bool(upper == "TRUE")),
                });
            }
            "DATE" if matches!(self.peek_at(1), Token::Str(_)) => {
                self.advance();
                let Spanned {
                    token: Token::Str(text),
                    span: text_span,
                } = self.advance()
                else {
                    unreachable!("checked above")
                };
                let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                    ExprError::new(
                        text_span.clone(),
                        format!("expected a date as 'YYYY-MM-DD', found '{text}'"),
                    )
                })?;
                return Ok(Expr {
                    span: span.start..text_span.end,
                    kind: ExprKind::Literal(Literal::Date(date)),
                });
            }
            _ => {}
        }
        if word.eq_ignore_ascii_case("contract") && self.peek_at(1) == &Token::Symbol(".") {
            return self.contract_list();
        }
        if KEYWORDS.contains(&upper.as_str()) {
            return Err(ExprError::new(
                span,
                format!("expected a value or a column name, found the keyword `{word}`"),
            ));
        }
        self.advance();
        if self.peek() == &Token::Symbol("(") {
            self.advance();
            let mut args = Vec::new();
            if self.peek() != &Token::Symbol(")") {
                loop {
                    args.push(self.expr(0)?);
                    if self.peek() == &Token::Symbol(",") {
                        self.advance();
                        continue;
                    }
                    break;
                }
            }
            let end = self.expect_symbol(")", "`,` or `)` after a function argument")?;
            return Ok(Expr {
                span: span.start..end.end,
                kind: ExprKind::Call {
                    name: word.to_ascii_lowercase(),
                    name_span: span,
                    args,
                },
            });
        }
        Ok(Expr {
            span,
            kind: ExprKind::Column(word),
        })
    }
}

fn static_symbol(symbol: &str) -> &'static str {
    match symbol {
        "(" => "(",
        ")" => ")",
        "," => ",",
        _ => ".",
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        span: lhs.span.start..rhs.span.end,
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
    }
}
