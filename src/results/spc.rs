//! Statistical process control (§4.4): "Making Data Count" XmR charts as NHSRplotthedots 0.2.2
//! computes them, in exact decimals.
//!
//! Limits: mean ± 2.66 × mean moving range; near limits at two thirds of that. With outlier
//! screening (on by default, as the package), moving ranges at or above 3.267 × the mean moving
//! range are dropped and the mean recomputed once. Special causes, the first rule that matches
//! labelling a point: (1) outside the limits; (2) a trend of seven points each strictly above
//! (or below) the one before; (3) two of three consecutive points beyond the near limits, inside
//! the limits, all three on one side of the mean; (4) a shift of seven points on one side of the
//! mean (a point on the mean breaks it).

use crate::model::named::named;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OutsideLimits,
    Trend,
    TwoOfThree,
    Shift,
}

/// Which way a special cause points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Side {
    High,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct SpecialCause {
    pub rule: Rule,
    pub side: Side,
}

named! {
    pub enum Signal {
        CommonCause = "common_cause",
        Improvement = "improvement",
        Concern = "concern",
        Neutral = "neutral",
        None = "none",
    }
}

named! {
    pub enum Assurance {
        ConsistentPass = "consistent_pass",
        ConsistentFail = "consistent_fail",
        HitAndMiss = "hit_and_miss",
        None = "none",
    }
}

/// Which direction is better, from the target's operator; `None` without a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Better {
    Higher,
    Lower,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    pub mean: Decimal,
    pub mean_moving_range: Decimal,
    pub lower: Decimal,
    pub upper: Decimal,
    pub near_lower: Decimal,
    pub near_upper: Decimal,
}

impl Better {
    /// Which way is better under `target` (from its operator); unknown without one.
    pub(crate) fn of(target: Option<&crate::model::target::Target>) -> Better {
        match target {
            Some(t) if t.op.higher_is_better() => Better::Higher,
            Some(_) => Better::Lower,
            None => Better::Unknown,
        }
    }
}

const LIMIT_FACTOR: Decimal = Decimal::from_parts(266, 0, 0, false, 2); // 2.66
const SCREEN_FACTOR: Decimal = Decimal::from_parts(3267, 0, 0, false, 3); // 3.267

/// Process limits of `values` (at least two points; `None` otherwise).
pub(crate) fn limits(values: &[Decimal], screen_outliers: bool) -> Option<Limits> {
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().copied().sum::<Decimal>() / Decimal::from(values.len());
    let ranges: Vec<Decimal> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let mut amr = ranges.iter().copied().sum::<Decimal>() / Decimal::from(ranges.len());
    if screen_outliers {
        let cutoff = SCREEN_FACTOR * amr;
        let kept: Vec<Decimal> = ranges.iter().copied().filter(|r| *r < cutoff).collect();
        if !kept.is_empty() {
            amr = kept.iter().copied().sum::<Decimal>() / Decimal::from(kept.len());
        }
    }
    let width = LIMIT_FACTOR * amr;
    let near = width * Decimal::TWO / Decimal::from(3);
    Some(Limits {
        mean,
        mean_moving_range: amr,
        lower: mean - width,
        upper: mean + width,
        near_lower: mean - near,
        near_upper: mean + near,
    })
}

/// The special cause (if any) labelling each point.
pub(crate) fn special_causes(values: &[Decimal], limits: &Limits) -> Vec<Option<SpecialCause>> {
    let n = values.len();
    let mut causes: Vec<Option<SpecialCause>> = vec![None; n];
    let mark = |causes: &mut Vec<Option<SpecialCause>>, i: usize, rule, side| {
        if causes[i].is_none_or(|c: SpecialCause| rank(rule) < rank(c.rule)) {
            causes[i] = Some(SpecialCause { rule, side });
        }
    };
    for (i, v) in values.iter().enumerate() {
        if *v > limits.upper {
            mark(&mut causes, i, Rule::OutsideLimits, Side::High);
        } else if *v < limits.lower {
            mark(&mut causes, i, Rule::OutsideLimits, Side::Low);
        }
    }
    const RUN: usize = 7;
    for end in RUN - 1..n {
        let window = &values[end + 1 - RUN..=end];
        let rising = window.windows(2).all(|w| w[1] > w[0]);
        let falling = window.windows(2).all(|w| w[1] < w[0]);
        if rising || falling {
            let side = if rising { Side::High } else { Side::Low };
            for i in end + 1 - RUN..=end {
                mark(&mut causes, i, Rule::Trend, side);
            }
        }
    }
    for end in 2..n {
        let window = end - 2..=end;
        for side in [Side::High, Side::Low] {
            let same_side = window.clone().all(|i| match side {
                Side::High => values[i] > limits.mean,
                Side::Low => values[i] < limits.mean,
            });
            if !same_side {
                continue;
            }
            let near: Vec<usize> = window
                .clone()
                .filter(|&i| match side {
                    Side::High => values[i] > limits.near_upper && values[i] <= limits.upper,
                    Side::Low => values[i] < limits.near_lower && values[i] >= limits.lower,
                })
                .collect();
            if near.len() >= 2 {
                for i in near {
                    mark(&mut causes, i, Rule::TwoOfThree, side);
                }
            }
        }
    }
    for end in RUN - 1..n {
        let window = end + 1 - RUN..=end;
        for side in [Side::High, Side::Low] {
            let all = window.clone().all(|i| match side {
                Side::High => values[i] > limits.mean,
                Side::Low => values[i] < limits.mean,
            });
            if all {
                for i in window.clone() {
                    mark(&mut causes, i, Rule::Shift, side);
                }
            }
        }
    }
    causes
}

fn rank(rule: Rule) -> u8 {
    match rule {
        Rule::OutsideLimits => 1,
        Rule::Trend => 2,
        Rule::TwoOfThree => 3,
        Rule::Shift => 4,
    }
}

/// How a special cause reads, given which direction is better.
pub(crate) fn reading(cause: Option<SpecialCause>, better: Better) -> Signal {
    match (cause, better) {
        (None, _) => Signal::CommonCause,
        (Some(_), Better::Unknown) => Signal::Neutral,
        (Some(c), Better::Higher) => {
            if c.side == Side::High {
                Signal::Improvement
            } else {
                Signal::Concern
            }
        }
        (Some(c), Better::Lower) => {
            if c.side == Side::Low {
                Signal::Improvement
            } else {
                Signal::Concern
            }
        }
    }
}

/// Whether the process can be relied on to meet `target` (in the same units as the points).
pub(crate) fn assurance(limits: &Limits, target: Option<Decimal>, better: Better) -> Assurance {
    let Some(target) = target else {
        return Assurance::None;
    };
    match better {
        Better::Higher if target < limits.lower => Assurance::ConsistentPass,
        Better::Higher if target > limits.upper => Assurance::ConsistentFail,
        Better::Lower if target > limits.upper => Assurance::ConsistentPass,
        Better::Lower if target < limits.lower => Assurance::ConsistentFail,
        Better::Unknown => Assurance::None,
        _ => Assurance::HitAndMiss,
    }
}

/// Fewer points than this make trial limits.
pub(crate) const TRIAL_BELOW: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ds(values: &[&str]) -> Vec<Decimal> {
        values
            .iter()
            .map(|v| Decimal::from_str(v).unwrap())
            .collect()
    }

    fn ints(values: &[i64]) -> Vec<Decimal> {
        values.iter().map(|v| Decimal::from(*v)).collect()
    }

    fn round6(d: Decimal) -> Decimal {
        d.round_dp(6)
    }

    /// A rebased segment's limits come from its own points: as NHSRplotthedots computes the
    /// moving ranges within each rebase group, the jump across the boundary (here 1 → 10) is
    /// not counted. Segment two: mean 11, mean moving range 2, limits 11 ± 5.32.
    #[test]
    fn a_rebased_segment_ignores_the_jump_across_its_boundary() {
        let whole = ints(&[1, 1, 1, 1, 10, 12, 10, 12]);
        let segment = limits(&whole[4..], false).unwrap();
        assert_eq!(segment.mean, Decimal::from(11));
        assert_eq!(segment.mean_moving_range, Decimal::from(2));
        assert_eq!(segment.upper, Decimal::from_str("16.32").unwrap());
        assert_eq!(segment.lower, Decimal::from_str("5.68").unwrap());
        // Unrebased, the jump widens the limits and the mean sits between the two processes.
        let unrebased = limits(&whole, false).unwrap();
        assert_eq!(unrebased.mean, Decimal::from_str("6").unwrap());
        assert!(unrebased.upper - unrebased.lower > segment.upper - segment.lower);
    }

    /// The NHSRplotthedots vignette example.
    #[test]
    fn vignette_limits_with_and_without_screening() {
        let values = ints(&[1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
        let screened = limits(&values, true).unwrap();
        assert_eq!(
            round6(screened.mean),
            Decimal::from_str("1.944444").unwrap()
        );
        assert_eq!(
            round6(screened.lower),
            Decimal::from_str("-0.715556").unwrap()
        );
        assert_eq!(
            round6(screened.upper),
            Decimal::from_str("4.604444").unwrap()
        );
        let plain = limits(&values, false).unwrap();
        assert_eq!(round6(plain.lower), Decimal::from_str("-3.062614").unwrap());
        assert_eq!(round6(plain.upper), Decimal::from_str("6.951503").unwrap());
        for l in [&screened, &plain] {
            let causes = special_causes(&values, l);
            let flagged: Vec<usize> = causes
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_some())
                .map(|(i, _)| i)
                .collect();
            assert_eq!(flagged, vec![4], "the 10 is the only special cause");
            assert_eq!(causes[4].unwrap().rule, Rule::OutsideLimits);
        }
    }

    fn fixed_limits() -> Limits {
        // mean 10, limits 4..16, near limits 6..14
        Limits {
            mean: Decimal::from(10),
            mean_moving_range: Decimal::ONE,
            lower: Decimal::from(4),
            upper: Decimal::from(16),
            near_lower: Decimal::from(6),
            near_upper: Decimal::from(14),
        }
    }

    fn rules(values: &[Decimal]) -> Vec<Option<Rule>> {
        special_causes(values, &fixed_limits())
            .iter()
            .map(|c| c.map(|c| c.rule))
            .collect()
    }

    #[test]
    fn a_trend_of_seven_is_flagged_and_a_tie_breaks_it() {
        let rising = ds(&["7", "7.5", "8", "8.5", "9", "9.5", "11"]);
        assert!(rules(&rising).iter().all(|r| *r == Some(Rule::Trend)));
        let tie = ds(&["7", "7.5", "8", "8", "9", "9.5", "11"]);
        assert!(rules(&tie).iter().all(|r| r.is_none()), "{:?}", rules(&tie));
        let six = ds(&["7", "7.5", "8", "8.5", "9", "9.5"]);
        assert!(rules(&six).iter().all(|r| r.is_none()));
    }

    #[test]
    fn two_of_three_needs_all_three_on_one_side() {
        let hit = ints(&[15, 11, 15]);
        assert_eq!(
            rules(&hit),
            vec![Some(Rule::TwoOfThree), None, Some(Rule::TwoOfThree)]
        );
        let split = ints(&[15, 9, 15]);
        assert_eq!(rules(&split), vec![None, None, None]);
        let one = ints(&[15, 11, 12]);
        assert_eq!(rules(&one), vec![None, None, None]);
        // Outside the limits is rule 1, not a near-limit point.
        let outside = ints(&[17, 11, 15]);
        assert_eq!(rules(&outside), vec![Some(Rule::OutsideLimits), None, None]);
    }

    #[test]
    fn a_shift_of_seven_and_a_point_on_the_mean_breaks_it() {
        let shift = ints(&[11, 12, 11, 12, 11, 12, 11]);
        assert!(rules(&shift).iter().all(|r| *r == Some(Rule::Shift)));
        let broken = ints(&[11, 12, 11, 10, 11, 12, 11]);
        assert!(rules(&broken).iter().all(|r| r.is_none()));
    }

    #[test]
    fn the_first_matching_rule_labels_a_point() {
        // Seven rising points above the mean, the last outside the limits.
        let values = ints(&[11, 12, 13, 14, 15, 16, 17]);
        let r = rules(&values);
        assert_eq!(r[6], Some(Rule::OutsideLimits));
        assert!(r[..6].iter().all(|x| *x == Some(Rule::Trend)));
    }

    #[test]
    fn readings_and_assurance_follow_the_target_direction() {
        let high = Some(SpecialCause {
            rule: Rule::Shift,
            side: Side::High,
        });
        assert_eq!(reading(high, Better::Higher), Signal::Improvement);
        assert_eq!(reading(high, Better::Lower), Signal::Concern);
        assert_eq!(reading(high, Better::Unknown), Signal::Neutral);
        assert_eq!(reading(None, Better::Higher), Signal::CommonCause);
        let l = fixed_limits();
        assert_eq!(
            assurance(&l, Some(Decimal::from(3)), Better::Higher),
            Assurance::ConsistentPass
        );
        assert_eq!(
            assurance(&l, Some(Decimal::from(17)), Better::Higher),
            Assurance::ConsistentFail
        );
        assert_eq!(
            assurance(&l, Some(Decimal::from(17)), Better::Lower),
            Assurance::ConsistentPass
        );
        assert_eq!(
            assurance(&l, Some(Decimal::from(10)), Better::Lower),
            Assurance::HitAndMiss
        );
        assert_eq!(assurance(&l, None, Better::Higher), Assurance::None);
    }
}
