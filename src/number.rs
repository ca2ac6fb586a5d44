//! Exact decimals as JSON numbers.
//!
//! JSON readers parse numbers as binary floating point, so a decimal is written as the shortest
//! JSON number that reads back as the same value rounded to 12 places. Money never goes this
//! way: it is always a string with two decimals.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serializer;

pub fn to_json_number(value: Decimal) -> serde_json::Value {
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

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(
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
