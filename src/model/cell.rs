//! How a cell's text becomes a typed value (§3): whole numbers, decimals, money as finance
//! extracts write it, dates (ISO, or the dataset's `date_format`), booleans, and NHS numbers by
//! the Modulus 11 rule. An empty cell is NULL before any of these is asked.

use crate::error::Invalid;
use crate::model::money::parse_money;
use crate::model::schema::ColumnType;
use crate::model::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::str::FromStr;

/// NHS Modulus 11: weights 10..2 on the first nine digits, check = 11 − (sum mod 11), 11 → 0,
/// 10 → no valid number. Spaces and dashes (`943 476 5919`, `943-476-5919`) are accepted.
pub(crate) fn valid_nhs_number(text: &str) -> bool {
    // The common case, ten plain digits: the first eight checked as one word, every byte in
    // `0x30..=0x39` (its high half 3, and its low half not carrying past 15 when 6 is added).
    if let Ok(ten) = <&[u8; 10]>::try_from(text.as_bytes()) {
        let (first, last) = ten.split_at(8);
        let word = u64::from_le_bytes(first.try_into().expect("eight bytes"));
        const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        if word & HIGH == u64::from_le_bytes([b'0'; 8]) {
            let digits = word - u64::from_le_bytes([b'0'; 8]);
            let (ninth, check) = (last[0].wrapping_sub(b'0'), last[1].wrapping_sub(b'0'));
            if (digits + u64::from_le_bytes([6; 8])) & HIGH == 0 && ninth <= 9 && check <= 9 {
                let sum: u32 = (0..8)
                    .map(|i| ((digits >> (8 * i)) & 0xff) as u32 * (10 - i))
                    .sum::<u32>()
                    + u32::from(ninth) * 2;
                return modulus_11(sum, u32::from(check));
            }
        }
    }
    let mut digits = [0u32; 10];
    let mut n = 0;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                if n == 10 {
                    return false;
                }
                digits[n] = u32::from(b - b'0');
                n += 1;
            }
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    n == 10 && modulus_11((0..9).map(|i| digits[i] * (10 - i as u32)).sum(), digits[9])
}

/// Whether `check` is the check digit of a number whose first nine digits, weighted 10..2, sum
/// to `sum`.
fn modulus_11(sum: u32, check: u32) -> bool {
    match 11 - sum % 11 {
        11 => check == 0,
        10 => false,
        expected => expected == check,
    }
}

/// Parses one non-empty cell as `ty`. The error says what was expected.
/// The largest magnitude a number in a data cell may have: sums of billions of rows of such
/// figures, and products of two, stay exact and inside the decimal type.
pub(crate) const MAX_CELL_MAGNITUDE: u64 = 1_000_000_000_000_000;

pub(crate) fn parse_cell<'a>(
    text: &'a str,
    ty: ColumnType,
    date_format: Option<&str>,
) -> Result<Value<'a>, Invalid> {
    let text_shown = || crate::error::short(text);
    let bounded = |value: Value<'a>| -> Result<Value<'a>, Invalid> {
        let too_large = match &value {
            Value::Int(i) => i.unsigned_abs() > MAX_CELL_MAGNITUDE,
            Value::Dec(d) => d.abs() > Decimal::from(MAX_CELL_MAGNITUDE),
            _ => false,
        };
        if too_large {
            Err(format!(
                "`{}` is larger than any figure a monthly file holds (at most 10^15 either way)",
                crate::error::short(text)
            )
            .into())
        } else {
            Ok(value)
        }
    };
    match ty {
        ColumnType::Text | ColumnType::NhsNumber => Ok(Value::Text(Cow::Borrowed(text))),
        ColumnType::Integer => text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("expected a whole number, found `{}`", text_shown()).into())
            .and_then(bounded),
        ColumnType::Decimal => parse_plain_decimal(text)
            .map(Value::Dec)
            .ok_or_else(|| format!("expected a decimal number, found `{}`", text_shown()).into())
            .and_then(bounded),
        ColumnType::Money => parse_money(text)
            .map(|m| Value::Dec(m.amount()))
            .and_then(bounded),
        ColumnType::Date => parse_date(text, date_format).map(Value::Date),
        ColumnType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
            "false" | "f" | "no" | "n" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, found `{}`", text_shown()).into()),
        },
    }
}

fn parse_plain_decimal(text: &str) -> Option<Decimal> {
    // One sign at most: `+-1` is not a number.
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Decimal::from_str(text.trim_start_matches('+')).ok()
}

/// A cell without surrounding white space (the usual case) is returned as it is, without
/// `str::trim`'s Unicode scan.
pub(crate) fn trim_cell(text: &str) -> &str {
    let plain = |b: u8| b > b' ' && b < 0x7f;
    match text.as_bytes() {
        [first, .., last] if plain(*first) && plain(*last) => text,
        [only] if plain(*only) => text,
        _ => text.trim(),
    }
}

/// ISO dates are parsed by hand (the common case, and the hot path); other formats by chrono.
pub(crate) fn parse_date(text: &str, format: Option<&str>) -> Result<NaiveDate, Invalid> {
    match format {
        None | Some("%Y-%m-%d") => parse_iso_date(text)
            .ok_or_else(|| format!("expected a date as YYYY-MM-DD, found `{text}`").into()),
        Some(format) => NaiveDate::parse_from_str(text, format)
            .map_err(|_| format!("expected a date in the form `{format}`, found `{text}`").into()),
    }
}

pub(crate) fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::valid_date_format;

    proptest::proptest! {
        /// Ten bytes checked a word at a time are judged as a byte loop judges them, whatever
        /// sits in them: digits, the bytes either side of the digits, a digit's pattern with
        /// the high bit set, spaces and dashes.
        #[test]
        fn ten_bytes_are_judged_as_a_byte_loop_judges_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => b'0'..=b'9',
                    1 => proptest::sample::select(vec![b'/', b':', b' ', b'-', 0xb5, b'?', b'J']),
                ],
                10,
            )
        ) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let digits: Vec<u32> = text
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| u32::from(b - b'0'))
                .collect();
            let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
            let expected = plain && digits.len() == 10 && {
                let sum: u32 = (0..9).map(|i| digits[i] * (10 - i as u32)).sum();
                match 11 - sum % 11 {
                    11 => digits[9] == 0,
                    10 => false,
                    check => check == digits[9],
                }
            };
            proptest::prop_assert_eq!(valid_nhs_number(&text), expected, "{:?}", text);
        }
    }

    #[test]
    fn nhs_numbers_by_modulus_11() {
        for valid in [
            "9434765919",
            "9434765870",
            "4010232137",
            "943 476 5919",
            "943-476-5919",
        ] {
            assert!(valid_nhs_number(valid), "{valid} is valid");
        }
        // 1234567890: the check value is 10, so no valid number has these first nine digits.
        for invalid in [
            "9434765871",
            "1234567890",
            "943476591",
            "94347659190",
            "943476591X",
            "",
        ] {
            assert!(!valid_nhs_number(invalid), "{invalid} is invalid");
        }
    }

    #[test]
    fn a_decimal_has_one_sign_at_most() {
        for text in ["+-1", "-+1", "--1", "++1"] {
            assert!(
                parse_cell(text, ColumnType::Decimal, None).is_err(),
                "{text}"
            );
        }
        assert_eq!(
            parse_cell("+1.5", ColumnType::Decimal, None).ok(),
            Some(Value::Dec(Decimal::from_str("1.5").unwrap()))
        );
    }

    #[test]
    fn cells_parse_as_their_type() {
        assert_eq!(
            parse_cell("42", ColumnType::Integer, None),
            Ok(Value::Int(42))
        );
        assert_eq!(
            parse_cell("(1,234.50)", ColumnType::Money, None),
            Ok(Value::Dec(Decimal::from_str("-1234.50").unwrap()))
        );
        assert_eq!(
            parse_cell("01/04/2026", ColumnType::Date, Some("%d/%m/%Y")),
            Ok(Value::Date(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()))
        );
        assert!(parse_cell("2026-02-30", ColumnType::Date, None)
            .unwrap_err()
            .0
            .contains("YYYY-MM-DD"));
        assert!(parse_cell("12.345", ColumnType::Money, None).is_err());
        assert!(parse_cell("4.5", ColumnType::Integer, None).is_err());
        assert_eq!(
            parse_cell("Yes", ColumnType::Boolean, None),
            Ok(Value::Bool(true))
        );
        assert!(valid_date_format("%d/%m/%Y"));
        assert!(!valid_date_format("%Q"));
    }
}
