//! Exact pounds and pence, and exact percentages.
//!
//! Money is a [`Money`] newtype over `rust_decimal::Decimal`, so no figure ever passes through
//! binary floating point. There is one rounding function, [`Money::round_to_penny`] (half away
//! from zero, which is "half-up" for the positive sums a letter shows); every line item is
//! rounded once and totals are plain sums of rounded items.

use crate::error::Invalid;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// An exact sum of money, in pounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    /// No money: £0.00.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// An amount that may carry more than two decimal places (an intermediate product).
    pub fn from_decimal(value: Decimal) -> Self {
        Money(value)
    }

    /// An amount given in pence (`1234` is £12.34).
    pub fn from_pence(pence: i64) -> Self {
        Money(Decimal::new(pence, 2))
    }

    /// The amount in whole pence when it is held to exactly two decimal places (as amounts
    /// read from data files and their sums are), so that [`Money::from_pence`] gives it back
    /// unchanged; `None` for any other amount.
    pub fn exact_pence(self) -> Option<i64> {
        (self.0.scale() == 2)
            .then(|| i64::try_from(self.0.mantissa()).ok())
            .flatten()
    }

    /// The amount in pounds, as an exact decimal.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Half-up (away from zero) to the penny: the only rounding money ever gets.
    pub fn round_to_penny(self) -> Self {
        Money(
            self.0
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// The amount times `factor`, not rounded.
    pub fn times(self, factor: Decimal) -> Money {
        Money(self.0 * factor)
    }

    /// The smaller of the two amounts.
    pub fn min(self, other: Money) -> Money {
        if self <= other {
            self
        } else {
            other
        }
    }

    /// Two decimals, no symbol, no separators: the form JSON and CSV carry ("1234.50").
    pub fn plain(self) -> String {
        let mut text = String::with_capacity(16);
        self.push_plain(&mut text);
        text
    }

    /// Appends [`Money::plain`]'s text: written from the pence, without the formatting
    /// machinery (a large month writes hundreds of thousands of amounts).
    pub fn push_plain(self, out: &mut String) {
        out.push_str(self.plain_in(&mut [0; PLAIN_BYTES]));
    }

    /// [`Money::plain`]'s text, written into `buffer` (nothing allocated).
    fn plain_in(self, buffer: &mut [u8; PLAIN_BYTES]) -> &str {
        let rounded = self.round_to_penny().0;
        // Rounding leaves at most two decimal places; the mantissa in pence follows.
        let scale = rounded.scale().min(2);
        let pence = rounded.mantissa() * 10i128.pow(2 - scale);
        let negative = pence < 0;
        let pence = pence.unsigned_abs();
        // Written backwards from the end: pence, the point, the pounds, the sign.
        let mut at = buffer.len();
        let mut put = |byte: u8| {
            at -= 1;
            buffer[at] = byte;
        };
        put(b'0' + (pence % 10) as u8);
        put(b'0' + (pence / 10 % 10) as u8);
        put(b'.');
        let mut pounds = pence / 100;
        loop {
            put(b'0' + (pounds % 10) as u8);
            pounds /= 10;
            if pounds == 0 {
                break;
            }
        }
        if negative {
            put(b'-');
        }
        std::str::from_utf8(&buffer[at..]).expect("ASCII digits")
    }

    /// `£1,234.56`, or `−£1,234.56` for a negative amount: the form letters and tables show.
    pub fn display(self) -> String {
        let rounded = self.round_to_penny();
        let text = format!("{:.2}", rounded.0.abs());
        let (whole, pence) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if rounded.is_negative() { "−" } else { "" };
        format!("{sign}£{grouped}.{pence}")
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// Room for [`Money::plain`]'s text: a sign, 29 digits of pounds, the point and the pence.
const PLAIN_BYTES: usize = 40;

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.plain_in(&mut [0; PLAIN_BYTES]))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Borrowed from the input where it can be: a month's cache holds hundreds of thousands.
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Decimal::from_str(&text)
            .map(Money)
            .map_err(serde::de::Error::custom)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// Parses a money cell as finance extracts write it: `1234.5`, `£1,234.56`, `-12.00`,
/// `(1,234.56)` (an accounting negative). At most two decimal places; thousands separators must
/// sit every three digits.
pub fn parse_money(text: &str) -> Result<Money, Invalid> {
    if let Some(pence) = plain_pence(text) {
        return Ok(Money::from_pence(pence));
    }
    let mut s = text.trim();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    if let Some(rest) = s.strip_prefix('-') {
        if negative {
            return Err(Invalid::from(format!(
                "expected money such as 1234.56, found `{text}`"
            )));
        }
        negative = true;
        s = rest.trim_start();
    }
    s = s.strip_prefix('£').unwrap_or(s).trim_start();
    if let Some(rest) = s.strip_prefix('-') {
        if negative {
            return Err(Invalid::from(format!(
                "expected money such as 1234.56, found `{text}`"
            )));
        }
        negative = true;
        s = rest;
    }
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let whole_digits = strip_thousands(whole)
        .ok_or_else(|| format!("expected money such as £1,234.56, found `{text}`"))?;
    if let Some(f) = fraction {
        if f.len() > 2 {
            return Err(Invalid::from(format!(
                "money has at most two decimal places (pounds and pence), found `{text}`"
            )));
        }
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::from(format!(
                "expected money such as 1234.56, found `{text}`"
            )));
        }
    }
    let canonical = match fraction {
        Some(f) => format!("{whole_digits}.{f}"),
        None => whole_digits,
    };
    let value =
        Decimal::from_str(&canonical).map_err(|_| format!("amount out of range: `{text}`"))?;
    Ok(Money(if negative { -value } else { value }))
}

/// Pence of a plain amount (`-1234.56`, `1234.5`, `1234`), as [`parse_money`] reads it; `None`
/// for anything else, which [`parse_money`] reads or refuses.
pub fn parse_pence(text: &str) -> Option<i64> {
    plain_pence(text)
}

/// The hot path: `-1234.56`, `1234.5` or `1234`, read straight into pence without allocating.
/// Anything else (symbols, separators, brackets) goes the general way.
fn plain_pence(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut pounds: i64 = 0;
    let mut pence: i64 = 0;
    let mut fraction_digits = None;
    for &b in digits {
        match (b, fraction_digits) {
            (b'0'..=b'9', None) => pounds = pounds * 10 + i64::from(b - b'0'),
            (b'0'..=b'9', Some(n)) if n < 2 => {
                pence = pence * 10 + i64::from(b - b'0');
                fraction_digits = Some(n + 1);
            }
            (b'.', None) => fraction_digits = Some(0),
            _ => return None,
        }
    }
    let pence = match fraction_digits {
        None => 0,
        Some(0) => return None,
        Some(1) => pence * 10,
        Some(_) => pence,
    };
    let total = pounds.checked_mul(100)?.checked_add(pence)?;
    Some(if negative { -total } else { total })
}

/// `1,234,567` → `1234567`; `None` when the commas are not every three digits or a character
/// is not a digit.
fn strip_thousands(whole: &str) -> Option<String> {
    if whole.is_empty() || whole.len() > 24 {
        return None;
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let ok = groups.iter().enumerate().all(|(i, g)| {
        !g.is_empty()
            && g.bytes().all(|b| b.is_ascii_digit())
            && (groups.len() == 1 || if i == 0 { g.len() <= 3 } else { g.len() == 3 })
    });
    ok.then(|| groups.concat())
}

/// A decimal written in a contract: `"120.00"`, `"2.0"`. Rejects anything that is not a plain
/// decimal number.
pub fn parse_decimal(text: &str) -> Result<Decimal, Invalid> {
    let t = text.trim();
    let valid = !t.is_empty()
        && t.trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
        && t.matches('.').count() <= 1;
    if !valid {
        return Err(Invalid::from(format!(
            "expected a decimal number such as 120.00, found `{text}`"
        )));
    }
    Decimal::from_str(t.trim_start_matches('+'))
        .map_err(|_| format!("number out of range: `{text}`").into())
}

/// A percentage written as `"2.5%"`, returned as the exact fraction (0.025).
pub fn parse_percent(text: &str) -> Result<Decimal, Invalid> {
    let t = text.trim();
    let Some(number) = t.strip_suffix('%') else {
        return Err(Invalid::from(format!(
            "expected a percentage such as 2.5%, found `{text}`"
        )));
    };
    let value = parse_decimal(number)
        .map_err(|_| format!("expected a percentage such as 2.5%, found `{text}`"))?;
    Ok(value / Decimal::ONE_HUNDRED)
}

/// A fraction shown as a percentage with one decimal place: 0.9123 → `91.2%`.
pub fn percent_1dp(fraction: Decimal) -> String {
    let pct = (fraction * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    format!("{pct:.1}%")
}

/// Shares `total` among `amounts` in proportion to them, in whole pence, so that the shares
/// add up to `total` exactly: each share is its exact proportion rounded down to the penny,
/// and the pennies left over go to the largest remainders (the earliest first, on a tie).
/// Amounts are penny amounts, none negative, and `total` is at most their sum. This is how a
/// cap that binds is spread over a month's items, so that what is withheld item by item, and
/// later released, adds up to the capped total and never a penny more.
pub fn apportion(amounts: &[Money], total: Money) -> Vec<Money> {
    let pence = |m: Money| -> i128 {
        let d = m.round_to_penny().0 * Decimal::ONE_HUNDRED;
        d.trunc().mantissa() / 10i128.pow(d.trunc().scale())
    };
    let whole: i128 = amounts.iter().map(|a| pence(*a)).sum();
    let target = pence(total).clamp(0, whole);
    if whole == 0 {
        return amounts.iter().map(|_| Money::ZERO).collect();
    }
    let mut shares: Vec<(i128, i128, usize)> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let exact = pence(*a) * target;
            (exact / whole, exact % whole, i)
        })
        .collect();
    let given: i128 = shares.iter().map(|s| s.0).sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(a.cmp(&b)));
    for &i in order.iter().take((target - given) as usize) {
        shares[i].0 += 1;
    }
    shares
        .into_iter()
        .map(|(p, _, _)| Money::from_pence(p as i64))
        .collect()
}

/// A running sum of decimals, exact, that adds amounts in pence (two decimal places, as money
/// cells are read) as integers: the sums of a pass add one or two amounts a row, and an integer
/// add costs a fraction of a `Decimal` one. Other amounts are added as decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactSum {
    pence: i128,
    other: Decimal,
}

impl ExactSum {
    /// Adds `value`: as whole pence when it has exactly two decimal places, as a decimal otherwise.
    #[inline]
    pub fn add(&mut self, value: Decimal) {
        if value.scale() == 2 {
            // From the parts, one word each (`mantissa` reads them as one, after they were
            // stored apart: a stall on every row).
            let parts = value.unpack();
            let magnitude =
                i128::from(parts.lo) | (i128::from(parts.mid) << 32) | (i128::from(parts.hi) << 64);
            self.pence += if parts.negative {
                -magnitude
            } else {
                magnitude
            };
        } else {
            self.other += value;
        }
    }

    /// The sum. (Beyond Decimal's range, about 10²⁶ pounds, this panics as a `Decimal` sum
    /// would.)
    pub fn total(self) -> Decimal {
        self.other + Decimal::from_i128_with_scale(self.pence, 2)
    }
}

impl std::ops::AddAssign for ExactSum {
    fn add_assign(&mut self, later: ExactSum) {
        self.pence += later.pence;
        self.other += later.other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_is_shared_to_the_penny() {
        let m = |p: i64| Money::from_pence(p);
        // Two equal items under a cap with an odd penny: one gets it.
        assert_eq!(apportion(&[m(100), m(100)], m(101)), [m(51), m(50)]);
        // In proportion: 750 and 81,750 of a total 82,500 capped at 82,500 stay as they are.
        assert_eq!(
            apportion(&[m(75_000), m(8_175_000)], m(8_250_000)),
            [m(75_000), m(8_175_000)]
        );
        assert_eq!(apportion(&[m(0), m(300)], m(150)), [m(0), m(150)]);
        assert_eq!(apportion(&[], m(0)), Vec::<Money>::new());
    }

    proptest::proptest! {
        /// Shares add up to the total exactly, none exceeds its amount, none is negative.
        #[test]
        fn shares_add_up_exactly(amounts in proptest::collection::vec(0i64..10_000_000, 0..12), cut in 0u32..=100) {
            let amounts: Vec<Money> = amounts.into_iter().map(Money::from_pence).collect();
            let whole: Money = amounts.iter().copied().sum();
            let total = Money::from_decimal(whole.amount() * Decimal::from(cut) / Decimal::ONE_HUNDRED).round_to_penny();
            let total = Money::from_pence(((total.amount() * Decimal::ONE_HUNDRED).trunc()).try_into().unwrap_or(0i64));
            let shares = apportion(&amounts, total);
            let sum: Money = shares.iter().copied().sum();
            proptest::prop_assert_eq!(sum, total);
            for (share, amount) in shares.iter().zip(&amounts) {
                proptest::prop_assert!(*share <= *amount && !share.is_negative());
            }
        }
    }
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        parse_money(s).unwrap()
    }

    proptest! {
        /// An exact sum, added in any split, is the decimals' sum.
        #[test]
        fn exact_sums_are_decimal_sums(
            items in prop::collection::vec((any::<i32>(), 0u32..5), 0..50),
            split in 0usize..50,
        ) {
            let values: Vec<Decimal> = items.iter().map(|(m, s)| Decimal::new(i64::from(*m), *s)).collect();
            let want: Decimal = values.iter().copied().sum();
            let split = split.min(values.len());
            let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
            values[..split].iter().for_each(|v| a.add(*v));
            values[split..].iter().for_each(|v| b.add(*v));
            a += b;
            prop_assert_eq!(a.total(), want);
        }
    }

    proptest! {
        /// The hand-written amount is what Decimal's own formatting writes, but that an amount
        /// rounding to nothing is never "-0.00".
        #[test]
        fn plain_amounts_are_decimals_rounded_to_the_penny(mantissa in any::<i64>(), scale in 0u32..8) {
            let amount = Money::from_decimal(Decimal::new(mantissa, scale));
            let rounded = amount.round_to_penny();
            let want = if rounded.0.is_zero() {
                "0.00".to_string()
            } else {
                format!("{:.2}", rounded.0)
            };
            prop_assert_eq!(amount.plain(), want);
        }
    }

    #[test]
    fn money_cells_as_finance_extracts_write_them() {
        let cases = [
            ("1234.56", 123456),
            ("£1,234.56", 123456),
            ("(1,234.56)", -123456),
            ("-12.5", -1250),
            ("£-3", -300),
            ("0", 0),
            ("1,000,000", 100_000_000),
        ];
        for (text, pence) in cases {
            assert_eq!(m(text), Money::from_pence(pence), "{text}");
        }
    }

    #[test]
    fn money_rejects_what_it_cannot_read_exactly() {
        for text in [
            "12.345", "1,23", "abc", "£", "(-1)", "1.2.3", "12,34.00", "1e5", "",
        ] {
            assert!(parse_money(text).is_err(), "{text} should be rejected");
        }
        assert!(parse_money("12.345")
            .unwrap_err()
            .0
            .contains("two decimal places"));
    }

    #[test]
    fn rounding_is_half_up_once() {
        let cases = [
            ("0.005", "0.01"),
            ("0.004", "0.00"),
            ("2.675", "2.68"),
            ("-0.005", "-0.01"),
        ];
        for (input, expected) in cases {
            let v = Money::from_decimal(Decimal::from_str(input).unwrap());
            assert_eq!(v.round_to_penny().plain(), expected, "{input}");
        }
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(m("124800000").display(), "£124,800,000.00");
        assert_eq!(m("999.5").display(), "£999.50");
        assert_eq!(m("-1234.5").display(), "−£1,234.50");
        assert_eq!(m("0").display(), "£0.00");
    }

    #[test]
    fn percentages_are_exact_fractions() {
        assert_eq!(
            parse_percent("2.5%").unwrap(),
            Decimal::from_str("0.025").unwrap()
        );
        assert_eq!(
            parse_percent("95%").unwrap(),
            Decimal::from_str("0.95").unwrap()
        );
        assert!(parse_percent("95").is_err());
        assert_eq!(percent_1dp(Decimal::from_str("0.91249").unwrap()), "91.2%");
        assert_eq!(percent_1dp(Decimal::from_str("0.91250").unwrap()), "91.3%");
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(pence in -10_000_000_000i64..10_000_000_000i64) {
            let value = Money::from_pence(pence);
            let shown = value.display().replace('−', "-");
            prop_assert_eq!(parse_money(&shown).unwrap(), value);
        }
    }
}
