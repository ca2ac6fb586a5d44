//! Numbers for people and programs: ordinals in words ("3rd") and exact decimals as JSON
//! numbers.
//!
//! JSON readers parse numbers as binary floating point, so a decimal is written as the shortest
//! JSON number that reads back as the same value rounded to 12 places. Money never goes this
//! way: it is always a string with two decimals.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serializer;

/// "1st", "2nd", "3rd", "4th", "11th", "21st"…
pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

pub(crate) fn to_json_number(value: Decimal) -> serde_json::Value {
    let rounded = value.round_dp(12).normalize();
    if rounded.scale() == 0 {
        if let Some(i) = rounded.to_i64() {
            return serde_json::Value::from(i);
        }
    }
    rounded
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serde::Serialize::serialize(&to_json_number(*v), serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }

    #[test]
    fn decimals_become_plain_json_numbers() {
        assert_eq!(
            to_json_number(Decimal::from_str("0.912").unwrap()).to_string(),
            "0.912"
        );
        assert_eq!(to_json_number(Decimal::from(42)).to_string(), "42");
        assert_eq!(
            to_json_number(Decimal::from_str("-3.80").unwrap()).to_string(),
            "-3.8"
        );
        assert_eq!(
            to_json_number(Decimal::ONE / Decimal::from(3)).to_string(),
            "0.333333333333"
        );
    }
}
