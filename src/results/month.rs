//! One contract-month, computed once: the results model every renderer reads (terminal
//! tables, JSON, CSV, letters). Renderers compute nothing; this module formats nothing.

use crate::error::{InvalidInput, Problem, Problems};
use crate::load::challenge_log::Log;
use crate::load::letters::{Issued, IssuedLetters};
use crate::load::submissions::Submissions;
use crate::load::workspace::Workspace;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::model::letter::Stage;
use crate::model::money::Money;
use crate::model::settings::MonthDates;
use crate::pass::month::{history, MonthData};
use crate::pass::rules::Raised;
use crate::results::challenges::{views, ChallengeView};
use crate::results::consequences::{positions, MonthInput, Position, Withholding};
use crate::results::escalation::{escalations, Escalation};
use crate::results::information::{assess, InformationResult};
use crate::results::kpi::{evaluate, KpiResult};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One contract-month worked out as of a date: the results every renderer reads.
pub struct ContractMonth<'w> {
    /// The contract.
    pub contract: &'w Contract,
    /// The activity month.
    pub month: Month,
    /// The date the month is worked out as of.
    pub today: NaiveDate,
    /// The month's timetable dates: flex, freeze and the two letters.
    pub dates: MonthDates,
    /// The provider must respond to the month's challenges by this date: the date of the letter
    /// that raised them (or of the letter being written) plus the response window.
    pub respond_by: NaiveDate,
    /// A reply asked for in a letter written today is due by this date (today plus the
    /// response window).
    pub reply_by: NaiveDate,
    /// The letter being written, if the report is for one.
    pub writing: Option<Stage>,
    /// The date each month's position and challenges were put to the provider: the date of
    /// the letter that raised them (today for the letter being written).
    pub letter_dates: BTreeMap<Month, NaiveDate>,
    /// The month's provisional letter, when one was issued (and is not the one being written).
    pub provisional: Option<Issued>,
    /// The figures of every month with data, from the contract's start up to this month.
    pub history: Vec<std::sync::Arc<MonthData>>,
    /// The month's KPI results, consequences filled in.
    pub kpis: Vec<KpiResult>,
    /// Every earlier month's results, from the contract's start (escalation history).
    pub earlier: Vec<(Month, Vec<KpiResult>)>,
    /// The month's information requirements, and whether each was met.
    pub information: Vec<InformationResult>,
    /// The month's financial position: line items, caps and totals.
    pub position: Position,
    /// The withholding ledger from the contract's start: each sum withheld, and when it was
    /// released.
    pub ledger: Vec<Withholding>,
    /// The escalation steps in force this month, with owners and due dates.
    pub escalations: Vec<Escalation>,
    /// The contract's GC9 cases as of `today` (§4.9), ordered by id.
    pub cases: Vec<crate::results::cases::Case>,
    /// Challenges raised for this month.
    pub new_challenges: Vec<ChallengeView>,
    /// Challenges from earlier months not yet closed.
    pub outstanding: Vec<ChallengeView>,
    /// Challenges agreed within this month's final-letter period (they reduce this month's
    /// payment in the final letter): after `agreed_since`, up to `agreed_until`.
    pub agreed: Vec<ChallengeView>,
    /// The total value of the agreed challenges, taken off the month's payment.
    pub agreed_value: Money,
    /// Challenges agreed on or before this date are not among `agreed`: it is where the period of
    /// the last earlier month with data ended; `None` when no earlier month has data.
    pub agreed_since: Option<NaiveDate>,
    /// The last date a challenge among `agreed` may have been agreed: the month's timetabled
    /// final-letter date, or the date its final letter was issued (or is written) if earlier,
    /// and never after today.
    pub agreed_until: NaiveDate,
    /// The provider's accounts of this month's failing KPIs (read for letters only).
    pub exceptions: Vec<crate::load::exceptions::Exception>,
    /// Every action as of today, meeting and escalation actions alike (read for letters only:
    /// the letter shows where each escalation step's action stands).
    pub actions: Vec<crate::results::actions::Action>,
    /// Every input file read, relative to the workspace, sorted: the contract's files and
    /// data, and the earlier letters whose dates the figures depend on.
    pub inputs: Vec<PathBuf>,
}

impl ContractMonth<'_> {
    /// Consequences and agreed challenges together: the net change to the month's payment.
    pub fn net_adjustment(&self) -> Money {
        self.position.consequences_net() - self.agreed_value
    }

    /// How many information requirements were breached this month (late or missing).
    pub fn breaches(&self) -> usize {
        self.information.iter().filter(|i| i.is_breach()).count()
    }

    /// The datasets a KPI reads that have no file for the month, sorted.
    pub fn missing_datasets(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .kpis
            .iter()
            .filter(|k| k.missing)
            .filter_map(|k| self.contract.kpi(&k.kpi).map(|d| d.dataset.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The contract `id`, or an error naming the problems that keep it from loading.
pub fn contract<'w>(workspace: &'w Workspace, id: &str) -> anyhow::Result<&'w Contract> {
    if !crate::load::workspace::valid_contract_id(id) {
        anyhow::bail!(
            "`{id}` is not a valid contract id: expected lower-case letters, digits and hyphens"
        );
    }
    if let Some(c) = workspace.contract(id) {
        return Ok(c);
    }
    if workspace.broken.iter().any(|c| c.id == id) {
        return Err(InvalidInput(workspace.problems_for(id)).into());
    }
    let known: Vec<&str> = workspace.contracts.iter().map(|c| c.id.as_str()).collect();
    anyhow::bail!(
        "no contract `{id}` in this workspace: expected one of {}",
        known.join(", ")
    )
}

/// The contracts a command acts on: the one named, or every valid one.
pub fn selected<'w>(
    workspace: &'w Workspace,
    id: Option<&str>,
) -> anyhow::Result<Vec<&'w Contract>> {
    match id {
        Some(id) => Ok(vec![contract(workspace, id)?]),
        None => {
            let settings_errors: Vec<Problem> = workspace
                .problems
                .iter()
                .filter(|p| p.file == std::path::Path::new(crate::load::workspace::SETTINGS_FILE))
                .cloned()
                .collect();
            if !settings_errors.is_empty() {
                return Err(InvalidInput(settings_errors).into());
            }
            Ok(workspace.contracts.iter().collect())
        }
    }
}

/// The submissions and challenge log of a contract, or every problem in them.
pub fn contract_records(
    workspace: &Workspace,
    contract: &Contract,
) -> Result<(Submissions, Log), InvalidInput> {
    let mut problems = Problems::new();
    let file = contract.dir.join("submissions.csv");
    let (submissions, p) =
        crate::load::submissions::read(&workspace.root.join(&file), &file, contract);
    problems.extend(p);
    let file = contract.dir.join("challenge-log.csv");
    let (log, p) = crate::load::challenge_log::read(&workspace.root.join(&file), &file);
    problems.extend(p);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()));
    }
    Ok((submissions, log))
}

/// `contract`'s `month` worked out as of `today`, or every problem in its inputs.
pub fn contract_month<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
) -> Result<ContractMonth<'w>, InvalidInput> {
    build(workspace, contract, month, today, true, None)
}

/// [`contract_month`] as the letter of `stage` being written today sees it: that letter raises
/// the month's challenges if no earlier letter did, and its date bounds the agreed challenges.
pub fn contract_month_for_letter<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
    stage: Stage,
) -> Result<ContractMonth<'w>, InvalidInput> {
    let mut report = build(workspace, contract, month, today, true, Some(stage))?;
    let (actions, meetings, problems) =
        crate::results::actions::for_report(workspace, &report, today);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()));
    }
    report.actions = actions;
    // The minutes that decided where an action stands are inputs of the letter too.
    report.inputs.extend(
        meetings
            .into_iter()
            .filter(|m| m.date <= today)
            .map(|m| m.file),
    );
    report.inputs.sort();
    report.inputs.dedup();
    Ok(report)
}

/// [`contract_month`] without the views of its challenges (`new_challenges`, `outstanding` and
/// `agreed` are empty): for reports of KPIs alone, which would otherwise build a view of every
/// challenge of the month and throw it away.
pub fn contract_month_kpis<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
) -> Result<ContractMonth<'w>, InvalidInput> {
    build(workspace, contract, month, today, false, None)
}

fn build<'w>(
    workspace: &'w Workspace,
    contract: &'w Contract,
    month: Month,
    today: NaiveDate,
    with_challenges: bool,
    writing: Option<Stage>,
) -> Result<ContractMonth<'w>, InvalidInput> {
    let history =
        history(&workspace.root, contract, month).map_err(|p| InvalidInput(p.sorted()))?;
    let (submissions, log) = contract_records(workspace, contract)?;
    let calendar = &workspace.calendar;
    let timetable = &workspace.settings.timetable;
    let (start, _) = contract.months();
    let first = start.min(month);

    // Every month from the contract's start: withholdings and the annual cap carry forward.
    let mut evaluated: Vec<(Month, Vec<KpiResult>, Vec<InformationResult>)> = first
        .through(month)
        .map(|m| {
            (
                m,
                evaluate(contract, &history, m),
                assess(
                    contract,
                    &submissions,
                    m,
                    today,
                    timetable,
                    calendar,
                    &|dataset| {
                        workspace
                            .root
                            .join(contract.data_file(dataset, m))
                            .is_file()
                    },
                ),
            )
        })
        .collect();
    let value_total = |m: Month| -> Option<Money> {
        let data = history.iter().find(|d| d.month == m)?;
        data.value_totals
            .get("activity")
            .or_else(|| data.value_totals.values().next())
            .copied()
    };
    // The letters already issued: they raise each month's challenges (so the response clock
    // runs from them) and bound each final letter's agreed challenges. The letter being
    // written is not yet among them, whatever its file says.
    let issued = IssuedLetters::read(&workspace.root, &contract.dir);
    let issued_letter = |m: Month, stage: Stage| -> Option<&Issued> {
        if m == month && writing.is_some_and(|w| w <= stage) {
            return None;
        }
        issued.get(m, stage)
    };
    let mut letters_read: Vec<PathBuf> = Vec::new();
    let mut read = |letter: Option<&Issued>| {
        if let Some(file) = letter.and_then(|l| l.file.clone()) {
            letters_read.push(file);
        }
    };
    let window = |d: NaiveDate| calendar.add_working_days(d, timetable.response_days);
    // The date each month's challenges were raised to the provider, if they have been.
    let raised_on: BTreeMap<Month, NaiveDate> = history
        .iter()
        .filter(|d| d.month <= month)
        .filter_map(|d| {
            let letter = issued_letter(d.month, Stage::Provisional)
                .or_else(|| issued_letter(d.month, Stage::Final));
            read(letter);
            match letter {
                Some(l) => Some((d.month, l.date)),
                None if d.month == month && writing.is_some() => Some((d.month, today)),
                None => None,
            }
        })
        .collect();
    // GC9 cases: opened by the ladder once a month's letter is issued, or by hand. Each
    // month that has ended is seen as it stood at its end, for the ledger.
    let (case_files, problems) = crate::load::cases::read_all(&workspace.root, contract);
    if problems.has_errors() {
        return Err(InvalidInput(problems.sorted()));
    }
    let opened = {
        let so_far: Vec<(Month, &[KpiResult])> = evaluated
            .iter()
            .map(|(m, k, _)| (*m, k.as_slice()))
            .collect();
        crate::results::cases::opened_by_escalation(
            contract,
            &so_far,
            &raised_on,
            &case_files,
            calendar,
        )
    };
    let at_month_end = |m: Month| -> Vec<crate::results::consequences::CaseAtMonthEnd> {
        let end = m.last_day();
        if end >= today {
            return Vec::new();
        }
        crate::results::cases::cases(contract, &case_files, &opened, calendar, end)
            .into_iter()
            .map(|c| crate::results::cases::at_month_end(contract, &c, calendar, end))
            .collect()
    };
    let inputs: Vec<MonthInput<'_>> = evaluated
        .iter_mut()
        .map(|(m, kpis, info)| MonthInput {
            cases: at_month_end(*m),
            month: *m,
            kpis,
            information: info,
            value_total: value_total(*m),
        })
        .collect();
    let (mut all_positions, ledger) = positions(contract, inputs);
    let (_, kpis, information) = evaluated
        .pop()
        .expect("the month itself is always evaluated");
    let earlier: Vec<(Month, Vec<KpiResult>)> =
        evaluated.into_iter().map(|(m, k, _)| (m, k)).collect();
    let position = all_positions
        .pop()
        .expect("the month itself always has a position");

    let dates = timetable.dates_for(month, calendar);

    let provisional = issued_letter(month, Stage::Provisional).cloned();
    // Steps reached this month are due from the letter that tells the provider (or, before
    // one has gone out, from the timetable's date for it).
    let escalations = escalations(
        contract,
        &kpis,
        raised_on
            .get(&month)
            .copied()
            .unwrap_or(dates.provisional_letter),
        calendar,
    );
    let respond_by = window(raised_on.get(&month).copied().unwrap_or(today));
    // Each month's answer date, worked out once (a large month's views ask it for every one of
    // hundreds of thousands of challenges).
    let answer_dates: BTreeMap<Month, NaiveDate> =
        raised_on.iter().map(|(m, d)| (*m, window(*d))).collect();
    let respond = |m: Month| answer_dates.get(&m).copied();

    let raised: Vec<&Raised> = if with_challenges {
        history.iter().flat_map(|d| &d.challenges).collect()
    } else {
        Vec::new()
    };
    // Views of this month's challenges and of earlier ones are built apart: a large month holds
    // hundreds of thousands, and splitting one list afterwards would hold them twice.
    let (this_month, older): (Vec<&Raised>, Vec<&Raised>) =
        raised.into_iter().partition(|r| r.month == month);
    let new_challenges = views(contract, &this_month, &log, month, today, &respond, &window);
    let older = views(contract, &older, &log, month, today, &respond, &window);

    // Each agreed challenge is deducted by exactly one final letter: the first whose period
    // holds the date it was agreed. A month's period ends on the earlier of its timetabled
    // final-letter date and the date its final letter was issued (or is being written), and
    // starts where the period of the last earlier month with data ended.
    let period_end = |m: Month| {
        let timetabled = timetable.dates_for(m, calendar).final_letter;
        let issued = if m == month && writing == Some(Stage::Final) {
            Some(today)
        } else {
            let letter = issued_letter(m, Stage::Final);
            letter.map(|l| l.date)
        };
        issued.map_or(timetabled, |d| d.min(timetabled))
    };
    let previous_with_data = history.iter().rev().map(|d| d.month).find(|m| *m < month);
    if let Some(m) = previous_with_data {
        read(issued_letter(m, Stage::Final));
    }
    let since = previous_with_data.map(period_end);
    let until = period_end(month).min(today);
    // In id order, as the challenges are: earlier months first.
    let agreed: Vec<ChallengeView> = older
        .iter()
        .chain(&new_challenges)
        .filter(|c| {
            c.agreed_on
                .is_some_and(|d| since.is_none_or(|s| d > s) && d <= until)
        })
        .cloned()
        .collect();
    let outstanding: Vec<ChallengeView> = older.into_iter().filter(|c| !c.closed).collect();
    let agreed_value = agreed.iter().map(|c| c.value).sum();

    let mut exceptions = Vec::new();
    if writing.is_some() {
        let kpi_ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
        let (files, mut problems) =
            crate::load::exceptions::read_files(&workspace.root, &contract.dir, &kpi_ids);
        let (meetings, meeting_problems) =
            crate::load::meetings::read_all(&workspace.root, &contract.dir, &kpi_ids);
        problems.extend(meeting_problems);
        if problems.has_errors() {
            return Err(InvalidInput(problems.sorted()));
        }
        exceptions = files
            .into_iter()
            .chain(
                meetings
                    .into_iter()
                    .filter(|m| m.date <= today)
                    .flat_map(|m| m.exceptions),
            )
            .filter(|e| e.month == month)
            .collect();
        letters_read.extend(exceptions.iter().map(|e| e.file.clone()));
    }

    let mut cases = crate::results::cases::cases(contract, &case_files, &opened, calendar, today);
    crate::results::cases::add_money(&mut cases, &ledger);

    let mut inputs: Vec<PathBuf> = vec![
        PathBuf::from(crate::load::workspace::SETTINGS_FILE),
        contract.file.clone(),
    ];
    inputs.extend(case_files.iter().map(|c| c.file.clone()));
    inputs.extend(history.iter().flat_map(|d| d.inputs.iter().cloned()));
    inputs.extend(letters_read);
    for name in ["submissions.csv", "challenge-log.csv"] {
        let file = contract.dir.join(name);
        if workspace.root.join(&file).is_file() {
            inputs.push(file);
        }
    }
    inputs.sort();
    inputs.dedup();

    Ok(ContractMonth {
        contract,
        month,
        today,
        dates,
        respond_by,
        reply_by: window(today),
        writing,
        letter_dates: raised_on.clone(),
        provisional,
        history,
        kpis,
        earlier,
        information,
        position,
        ledger,
        escalations,
        cases,
        new_challenges,
        outstanding,
        agreed,
        agreed_value,
        agreed_since: since,
        agreed_until: until,
        exceptions,
        actions: Vec::new(),
        inputs,
    })
}
