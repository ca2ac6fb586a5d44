//! Activity months, the NHS financial year, and working days.
//!
//! The timetable counts in working days after the end of an activity month: Monday to Friday,
//! less England & Wales bank holidays and any `extra_holidays` the workspace adds. Bank holidays
//! are computed by the statutory rules (fixed dates with substitute days when they fall at a
//! weekend, Easter by the Gregorian computus, the first and last Mondays of May and the last
//! Monday of August). The rules reproduce the published list for 2025–2030, which the tests pin;
//! a one-off holiday outside the rules (a coronation, a state funeral) goes in `extra_holidays`.

use crate::error::Invalid;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Month `month` (1 to 12) of `year` (1900 to 2200); `None` outside those.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=2200).contains(&year))
            .then_some(Month { year, month })
    }

    /// The month holding `date`.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month of the year, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// The month's last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - Duration::days(1)
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// April of the financial year holding this month (the NHS year runs April to March).
    pub fn financial_year_start(self) -> Month {
        if self.month >= 4 {
            Month {
                year: self.year,
                month: 4,
            }
        } else {
            Month {
                year: self.year - 1,
                month: 4,
            }
        }
    }

    /// "2026/27" for any month from April 2026 to March 2027.
    pub fn financial_year_label(self) -> String {
        let start = self.financial_year_start().year;
        format!("{}/{:02}", start, (start + 1) % 100)
    }

    /// Months from `self` up to and including `last`.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self), move |m| (*m < last).then(|| m.next()))
            .take_while(move |m| *m <= last)
    }

    /// Whole months from `self` to `later` (0 when the same month).
    pub fn months_until(self, later: Month) -> i32 {
        (later.year - self.year) * 12 + later.month as i32 - self.month as i32
    }

    /// "April 2026".
    pub fn long_name(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl Month {
    /// Appends `YYYY-MM` to `out` (what `Display` writes, without the formatting machinery).
    pub fn push_to(&self, out: &mut String) {
        if !(0..=9999).contains(&self.year) {
            out.push_str(&self.to_string());
            return;
        }
        let year = self.year as u32;
        for digit in [year / 1000, year / 100 % 10, year / 10 % 10, year % 10] {
            out.push(char::from(b'0' + digit as u8));
        }
        out.push('-');
        out.push(char::from(b'0' + (self.month / 10) as u8));
        out.push(char::from(b'0' + (self.month % 10) as u8));
    }
}

/// Appends `date` as `YYYY-MM-DD` (what its `Display` writes, without the formatting machinery:
/// a large month's companion writes a date in each of half a million rows).
pub fn push_iso_date(out: &mut String, date: NaiveDate) {
    if !(0..=9999).contains(&date.year()) {
        out.push_str(&date.to_string());
        return;
    }
    Month::of(date).push_to(out);
    let day = date.day() as u8;
    out.extend([
        '-',
        char::from(b'0' + day / 10),
        char::from(b'0' + day % 10),
    ]);
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Month, Invalid> {
        let bad = || format!("expected a month as YYYY-MM, found `{s}`");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(Invalid::from(bad()));
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        Ok(Month::new(year, month).ok_or_else(bad)?)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A date as letters write it, the UK way: "25 November 2026".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The working-day calendar of a workspace.
#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// England & Wales bank holidays for 1990–2100 plus the workspace's extra holidays.
    pub fn england_and_wales(extra: &[NaiveDate]) -> Calendar {
        let mut holidays: BTreeSet<NaiveDate> = (1990..=2100).flat_map(bank_holidays).collect();
        holidays.extend(extra.iter().copied());
        Calendar { holidays }
    }

    /// Weekends only, plus the extra holidays (for a workspace with `bank_holidays = "none"`).
    pub fn weekends_only(extra: &[NaiveDate]) -> Calendar {
        Calendar {
            holidays: extra.iter().copied().collect(),
        }
    }

    /// Monday to Friday, and not one of the calendar's holidays.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The `n`th working day after `date` (n = 0 gives `date` itself).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working day `n` after the end of `month`: `wd 1` is the first working day of the next month.
    pub fn working_day_after(&self, month: Month, n: u32) -> NaiveDate {
        self.add_working_days(month.last_day(), n)
    }
}

/// England & Wales bank holidays of one year, by the statutory rules.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    let easter = easter_sunday(year);
    let mut days = vec![
        substitute(date(1, 1)),
        easter - Duration::days(2),
        easter + Duration::days(1),
        first_monday(year, 5),
        last_monday(year, 5),
        last_monday(year, 8),
    ];
    // Christmas and Boxing Day: when either falls at a weekend the holiday moves to the next
    // weekday that is not already a holiday (so 2026's Boxing Day Saturday becomes Monday 28th).
    let christmas = date(12, 25);
    let boxing = date(12, 26);
    let christmas_observed = substitute(christmas);
    let mut boxing_observed = substitute(boxing);
    if boxing_observed <= christmas_observed {
        boxing_observed = substitute(christmas_observed + Duration::days(1));
    }
    days.push(christmas_observed);
    days.push(boxing_observed);
    days.sort();
    days
}

fn substitute(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date + Duration::days(2),
        Weekday::Sun => date + Duration::days(1),
        _ => date,
    }
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid date");
    let offset = (7 - first.weekday().num_days_from_monday() as i64) % 7;
    first + Duration::days(offset)
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let last = Month::new(year, month).expect("valid month").last_day();
    last - Duration::days(last.weekday().num_days_from_monday() as i64)
}

/// Gregorian Easter Sunday (the anonymous computus).
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("valid Easter")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Dates are written as their `Display` writes them, far past and future included.
        #[test]
        fn iso_dates_are_written_as_display_writes_them(days in -3_000_000i32..3_000_000) {
            let date = NaiveDate::from_num_days_from_ce_opt(days).unwrap();
            let mut text = String::new();
            push_iso_date(&mut text, date);
            proptest::prop_assert_eq!(text, date.to_string());
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ds(list: &[&str]) -> Vec<NaiveDate> {
        list.iter().map(|s| d(s)).collect()
    }

    #[test]
    fn published_england_and_wales_bank_holidays() {
        let published: [(i32, Vec<NaiveDate>); 6] = [
            (
                2025,
                ds(&[
                    "2025-01-01",
                    "2025-04-18",
                    "2025-04-21",
                    "2025-05-05",
                    "2025-05-26",
                    "2025-08-25",
                    "2025-12-25",
                    "2025-12-26",
                ]),
            ),
            (
                2026,
                ds(&[
                    "2026-01-01",
                    "2026-04-03",
                    "2026-04-06",
                    "2026-05-04",
                    "2026-05-25",
                    "2026-08-31",
                    "2026-12-25",
                    "2026-12-28",
                ]),
            ),
            (
                2027,
                ds(&[
                    "2027-01-01",
                    "2027-03-26",
                    "2027-03-29",
                    "2027-05-03",
                    "2027-05-31",
                    "2027-08-30",
                    "2027-12-27",
                    "2027-12-28",
                ]),
            ),
            (
                2028,
                ds(&[
                    "2028-01-03",
                    "2028-04-14",
                    "2028-04-17",
                    "2028-05-01",
                    "2028-05-29",
                    "2028-08-28",
                    "2028-12-25",
                    "2028-12-26",
                ]),
            ),
            (
                2029,
                ds(&[
                    "2029-01-01",
                    "2029-03-30",
                    "2029-04-02",
                    "2029-05-07",
                    "2029-05-28",
                    "2029-08-27",
                    "2029-12-25",
                    "2029-12-26",
                ]),
            ),
            (
                2030,
                ds(&[
                    "2030-01-01",
                    "2030-04-19",
                    "2030-04-22",
                    "2030-05-06",
                    "2030-05-27",
                    "2030-08-26",
                    "2030-12-25",
                    "2030-12-26",
                ]),
            ),
        ];
        for (year, expected) in published {
            assert_eq!(bank_holidays(year), expected, "{year}");
        }
    }

    #[test]
    fn working_days_skip_christmas_and_substitute_days() {
        let cal = Calendar::england_and_wales(&[d("2026-12-29")]);
        // Thu 24 Dec 2026 + 1 working day: 25 (hol), 26-27 (weekend), 28 (substitute), 29 (extra).
        assert_eq!(cal.add_working_days(d("2026-12-24"), 1), d("2026-12-30"));
        // November 2026 ends on a Monday; wd 1 is Tue 1 December.
        assert_eq!(
            cal.working_day_after("2026-11".parse().unwrap(), 1),
            d("2026-12-01")
        );
        // wd 14 after December 2026: January 2027 has New Year's Day on Friday the 1st.
        assert_eq!(
            cal.working_day_after("2026-12".parse().unwrap(), 14),
            d("2027-01-21")
        );
        // wd 14 after April 2026: 1 May is a Friday, 4 May a bank holiday; the published SUS flex
        // date for April 2026 is 21 May.
        assert_eq!(
            cal.working_day_after("2026-04".parse().unwrap(), 14),
            d("2026-05-21")
        );
    }

    #[test]
    fn months_and_financial_years() {
        let m: Month = "2027-02".parse().unwrap();
        assert_eq!(m.financial_year_start().to_string(), "2026-04");
        assert_eq!(m.financial_year_label(), "2026/27");
        assert_eq!(m.next().to_string(), "2027-03");
        assert_eq!(
            "2027-01".parse::<Month>().unwrap().previous().to_string(),
            "2026-12"
        );
        assert_eq!(m.long_name(), "February 2027");
        let months: Vec<String> = "2026-11"
            .parse::<Month>()
            .unwrap()
            .through(m)
            .map(|m| m.to_string())
            .collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
