//! Targets and amber bands (`>= 95%`, `= 0`, `<= 2.0`), and the arithmetic of §4.4 on them:
//! whether a value meets a target, the signed variance, and the excess (service users below the
//! threshold), all in exact decimal arithmetic.

use crate::error::Invalid;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "=")]
    Eq,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Eq => "=",
        }
    }

    /// The symbol as a letter prints it.
    pub fn pretty(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Gt => ">",
            Op::Le => "≤",
            Op::Lt => "<",
            Op::Eq => "=",
        }
    }

    /// Higher values are better for `>=` and `>`; lower for `<=`, `<` and `=`.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Op::Ge | Op::Gt)
    }
}

/// `OP NUMBER` or `OP NUMBER%`. A percentage is held as its exact fraction (95% → 0.95).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub op: Op,
    pub threshold: Decimal,
    pub percent: bool,
    /// As written in the contract.
    pub text: String,
    /// The number as written ("2.0", "98.5"), so a letter shows the precision the contract
    /// chose.
    pub number: String,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, Invalid> {
        let t = text.trim();
        let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), ("==", Op::Eq), (">", Op::Gt), ("<", Op::Lt), ("=", Op::Eq)]
            .iter()
            .find_map(|(s, op)| t.strip_prefix(s).map(|rest| (*op, rest.trim())))
            .ok_or_else(|| format!("expected a target such as \">= 95%\" or \"= 0\" (one of >= > <= < = and a number), found `{text}`"))?;
        let (number, percent) = match rest.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (rest, false),
        };
        let mut threshold = crate::model::money::parse_decimal(number).map_err(|_| {
            format!(
                "expected a number after `{}` in the target, found `{rest}`",
                op.symbol()
            )
        })?;
        if threshold.abs() > Decimal::from(crate::load::fields::MAX_MONEY) {
            return Err(Invalid::from(format!(
                "`{number}` is beyond any target a contract sets (at most 1,000,000,000,000)"
            )));
        }
        if percent {
            threshold /= Decimal::ONE_HUNDRED;
        }
        Ok(Target {
            op,
            threshold,
            percent,
            text: t.to_string(),
            number: number.to_string(),
        })
    }

    pub fn holds(&self, value: Decimal) -> bool {
        match self.op {
            Op::Ge => value >= self.threshold,
            Op::Gt => value > self.threshold,
            Op::Le => value <= self.threshold,
            Op::Lt => value < self.threshold,
            Op::Eq => value == self.threshold,
        }
    }

    /// actual − target: in percentage points for percentages, in units otherwise. Negative is
    /// worse for `>=`/`>` targets and positive is worse for the others, by construction.
    pub fn variance(&self, value: Decimal) -> Decimal {
        let diff = value - self.threshold;
        if self.percent {
            diff * Decimal::ONE_HUNDRED
        } else {
            diff
        }
    }

    /// Service users below the threshold for a ratio `numerator / denominator` (§4.4).
    pub fn ratio_excess(&self, numerator: Decimal, denominator: Decimal) -> Decimal {
        let at_threshold = self.threshold * denominator;
        let excess = match self.op {
            Op::Ge | Op::Gt => at_threshold.ceil() - numerator,
            Op::Le | Op::Lt | Op::Eq => numerator - at_threshold.floor(),
        };
        excess.max(Decimal::ZERO)
    }

    /// Units beyond the threshold for a count or a sum (§4.4).
    pub fn count_excess(&self, value: Decimal) -> Decimal {
        let excess = match self.op {
            Op::Eq | Op::Le => value - self.threshold,
            Op::Lt => value - self.threshold + Decimal::ONE,
            Op::Ge => self.threshold - value,
            Op::Gt => self.threshold - value + Decimal::ONE,
        };
        excess.max(Decimal::ZERO)
    }

    /// "≥ 95%" or "≤ 2.0", as a letter shows the target: the number as the contract wrote it.
    pub fn display(&self) -> String {
        let percent = if self.percent { "%" } else { "" };
        format!("{} {}{percent}", self.op.pretty(), self.number)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn targets_parse_as_written() {
        let target = t(">= 95%");
        assert_eq!(
            (target.op, target.threshold, target.percent),
            (Op::Ge, d("0.95"), true)
        );
        assert_eq!(t("= 0").threshold, d("0"));
        assert_eq!(t("<=2.0").op, Op::Le);
        assert_eq!(t(">= 92.5%").display(), "≥ 92.5%");
        for bad in ["95%", ">= x", "=> 5", "", ">= 5%%"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn excess_at_and_around_a_95_percent_threshold_over_1001_rows() {
        // 95% of 1,001 is 950.95: 951 within the threshold are needed.
        let target = t(">= 95%");
        let cases = [
            (951, "0", true),
            (950, "1", false),
            (900, "51", false),
            (1001, "0", true),
            (0, "951", false),
        ];
        for (numerator, excess, holds) in cases {
            let n = Decimal::from(numerator);
            assert_eq!(target.ratio_excess(n, d("1001")), d(excess), "{numerator}");
            assert_eq!(target.holds(n / d("1001")), holds, "{numerator}");
        }
    }

    #[test]
    fn excess_for_each_operator() {
        // (target, numerator, denominator, ratio excess)
        let ratio_cases = [
            (">= 78%", "70", "100", "8"),
            ("> 78%", "70", "100", "8"),
            ("<= 2%", "5", "101", "3"), // floor(2.02) = 2
            ("< 2%", "5", "101", "3"),
            (">= 90%", "95", "100", "0"),
        ];
        for (target, num, den, excess) in ratio_cases {
            assert_eq!(
                t(target).ratio_excess(d(num), d(den)),
                d(excess),
                "{target} {num}/{den}"
            );
        }
        // (target, count or sum, excess)
        let count_cases = [
            ("= 0", "3", "3"),
            ("<= 2", "3", "1"),
            ("< 2", "3", "2"),
            ("< 2", "1", "0"),
            ("= 0", "0", "0"),
            ("= 0", "203", "203"),
            ("<= 1.5", "2.25", "0.75"),
        ];
        for (target, value, excess) in count_cases {
            assert_eq!(
                t(target).count_excess(d(value)),
                d(excess),
                "{target} {value}"
            );
        }
    }

    #[test]
    fn variance_is_signed_so_that_negative_is_worse_for_at_least_targets() {
        assert_eq!(t(">= 95%").variance(d("0.912")), d("-3.8"));
        assert_eq!(t("<= 2.0").variance(d("2.5")), d("0.5"));
        assert_eq!(t("= 0").variance(d("4")), d("4"));
    }
}
