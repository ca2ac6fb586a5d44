//! The typed values a dataset cell or an expression holds at run time.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// One typed value. Text borrows from the CSV record being read, so reading a row allocates
/// nothing for text cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Text(Cow<'a, str>),
    Date(NaiveDate),
}

impl<'a> Value<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Dec(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// SQL comparison: `None` when either side is NULL or the kinds cannot be compared
    /// (type checking rules the latter out before evaluation).
    pub fn compare(&self, other: &Value<'_>) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Text(a), Value::Text(b)) => Some(a.as_ref().cmp(b.as_ref())),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (a, b) => Some(a.as_decimal()?.cmp(&b.as_decimal()?)),
        }
    }

    /// An owned copy that outlives the record it was read from (group keys, first rows).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Dec(d) => Value::Dec(d),
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Date(d) => Value::Date(d),
        }
    }

    /// As a person would write it: used for group keys and challenge ids.
    pub fn render(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Dec(d) => d.normalize().to_string(),
            Value::Text(t) => t.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}
