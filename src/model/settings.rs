//! What `levers.toml` holds (§3): the organisation, the calendar, the timetable of each
//! month's cycle, and the dataset schemas every contract shares.

use crate::model::calendar::{Calendar, Month};
use crate::model::schema::Schema;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The commissioner: the letters' sender.
#[derive(Debug, Clone, Default)]
pub struct Organisation {
    pub name: String,
    pub code: String,
    pub address: Vec<String>,
    /// Further letterhead lines under the address (telephone, web site).
    pub letterhead: Vec<String>,
}

/// Working days after the end of activity month M, with published dates overriding the rule.
#[derive(Debug, Clone)]
pub struct Timetable {
    pub flex: u32,
    pub freeze: u32,
    pub provisional_letter: u32,
    pub response_days: u32,
    pub final_letter: u32,
    pub dates: BTreeMap<Month, PublishedDates>,
}

/// Dates published for one month, overriding the working-day rule.
#[derive(Debug, Clone, Default)]
pub struct PublishedDates {
    pub flex: Option<NaiveDate>,
    pub freeze: Option<NaiveDate>,
    pub provisional_letter: Option<NaiveDate>,
    pub final_letter: Option<NaiveDate>,
}

impl Default for Timetable {
    fn default() -> Self {
        Timetable {
            flex: 14,
            freeze: 30,
            provisional_letter: 17,
            response_days: 10,
            final_letter: 33,
            dates: BTreeMap::new(),
        }
    }
}

/// The dates of one activity month's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDates {
    pub flex: NaiveDate,
    pub freeze: NaiveDate,
    pub provisional_letter: NaiveDate,
    pub final_letter: NaiveDate,
}

impl Timetable {
    pub fn dates_for(&self, month: Month, calendar: &Calendar) -> MonthDates {
        let published = self.dates.get(&month).cloned().unwrap_or_default();
        let rule = |n| calendar.working_day_after(month, n);
        MonthDates {
            flex: published.flex.unwrap_or_else(|| rule(self.flex)),
            freeze: published.freeze.unwrap_or_else(|| rule(self.freeze)),
            provisional_letter: published
                .provisional_letter
                .unwrap_or_else(|| rule(self.provisional_letter)),
            final_letter: published
                .final_letter
                .unwrap_or_else(|| rule(self.final_letter)),
        }
    }
}

/// Everything `levers.toml` holds.
#[derive(Debug, Clone)]
pub struct Settings {
    pub organisation: Organisation,
    pub timetable: Timetable,
    pub extra_holidays: Vec<NaiveDate>,
    pub bank_holidays: bool,
    /// Dataset schemas shared by every contract (a contract may override one).
    pub datasets: BTreeMap<String, Schema>,
    /// `[output] formats`: the converted copies `run` writes beside each letter and notice.
    pub output_formats: Vec<crate::audit::convert::Format>,
}

impl Settings {
    pub fn calendar(&self) -> Calendar {
        if self.bank_holidays {
            Calendar::england_and_wales(&self.extra_holidays)
        } else {
            Calendar::weekends_only(&self.extra_holidays)
        }
    }
}
