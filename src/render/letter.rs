//! The monthly performance and challenge letter (§5.1): a Markdown file with a YAML metadata
//! block that pandoc understands, written from a template built into the binary (or the
//! workspace's `templates/letter.md`), with its companion challenge CSV.
//!
//! [`context`] turns a [`ContractMonth`] into the words and figures the template lays out; the
//! template decides the wording. Every figure comes from the same results `levers kpi` and
//! `levers challenges` print. Text taken from contract files is escaped for Markdown, so a `|`
//! or `*` in a KPI name cannot break a table.

use crate::audit::provenance::Provenance;
use crate::load::challenge_log::State;
use crate::model::calendar::Month;
use crate::model::letter::{companion_name, Stage};
use crate::model::money::Money;
use crate::render::templates::{environment, template_error, template_source, tidy};
use crate::render::text::{capitalise, count_words, long_date, md, yaml};
use crate::results::challenges::ChallengeView;
use crate::results::consequences::ItemKind;
use crate::results::information::Provision;
use crate::results::kpi::{ConsequenceStatus, KpiResult, Rag};
use crate::results::month::ContractMonth;
use crate::results::spc::Signal;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The letter template built into the binary.
pub const BUILT_IN_LETTER: &str = include_str!("templates/letter.md");
/// The workspace's own letter template, relative to its root: used instead of the built-in
/// one when present.
pub const LETTER_OVERRIDE: &str = "templates/letter.md";

#[derive(Serialize)]
struct Meta {
    title: String,
    date: String,
    from: String,
    to: String,
    reference: String,
}

#[derive(Serialize)]
struct KpiRow {
    name: String,
    target: String,
    actual: String,
    variance: String,
    rag: String,
    trend: String,
    consequence: String,
}

/// A chart the letter shows: the KPI's name, the picture's path relative to the letter, and its
/// text alternative.
#[derive(Serialize)]
struct ChartRef {
    name: String,
    file: String,
    alt: String,
}

/// The KPIs of one group of the contract (national, local, quality…), in contract order.
#[derive(Serialize)]
struct KpiSection {
    number: usize,
    heading: String,
    rows: Vec<KpiRow>,
}

#[derive(Serialize)]
struct ExceptionRow {
    name: String,
    figure: String,
    cause: String,
    actions: String,
    trajectory: String,
    /// A provider return's note, when that is all there is.
    note: String,
    source: String,
}

#[derive(Serialize)]
struct InfoRow {
    dataset: String,
    due: String,
    received: String,
    status: String,
}

#[derive(Serialize)]
struct CountRow {
    name: String,
    count: usize,
    /// The records the challenges cover (a ratio cap's covers several).
    rows: u64,
    value: String,
}

#[derive(Serialize)]
struct OutstandingRow {
    month: String,
    state: String,
    count: usize,
    value: String,
    overdue: usize,
}

#[derive(Serialize)]
struct EscalationRow {
    name: String,
    months: u32,
    step: String,
    owner: String,
    due: String,
    /// Where the step's action stands as of the letter's date, and any earlier step's action
    /// still overdue.
    status: String,
}

/// An open GC9 case in the letter's "Formal contract management" section.
#[derive(Serialize)]
struct CaseRow {
    id: String,
    /// The requirements it concerns, by name.
    concerning: String,
    stage: String,
    next: String,
    due: String,
    /// The notice's date.
    issued: String,
    /// Withheld under the case and not released or retained, to the letter's month.
    held: String,
    /// "yes" when a clock is past its date.
    overdue: String,
}

#[derive(Serialize)]
struct FinanceLine {
    label: String,
    amount: String,
}

/// Section numbers, for the sections a letter has (empty ones are left out).
#[derive(Serialize, Default)]
struct Numbers {
    exceptions: usize,
    information: usize,
    challenges: usize,
    escalation: usize,
    cases: usize,
    finance: usize,
}

/// Everything the letter template lays out: the words and figures, worked out and escaped.
#[derive(Serialize)]
pub struct LetterContext {
    meta: Meta,
    /// The letter's charts, one a KPI with a figure, for its appendix.
    charts: Vec<ChartRef>,
    stage: &'static str,
    is_final: bool,
    reissue: Option<String>,
    month_long: String,
    letterhead: Vec<String>,
    date: String,
    our_ref: String,
    your_ref: String,
    addressee: Vec<String>,
    salutation: String,
    subject: String,
    opening: String,
    summary: String,
    kpi_sections: Vec<KpiSection>,
    notes: Vec<String>,
    missing: Vec<String>,
    exceptions: Vec<ExceptionRow>,
    exceptions_requested: Vec<String>,
    exceptions_request: String,
    information: Vec<InfoRow>,
    challenges_intro: String,
    new_by_rule: Vec<CountRow>,
    new_by_state: Vec<CountRow>,
    new_count: usize,
    new_rows: u64,
    new_value: String,
    outstanding: Vec<OutstandingRow>,
    outstanding_count: usize,
    outstanding_value: String,
    overdue_note: String,
    companion: String,
    companion_note: String,
    escalations: Vec<EscalationRow>,
    escalation_rule: String,
    cases: Vec<CaseRow>,
    finance: Vec<FinanceLine>,
    finance_notes: Vec<String>,
    agreed_position: String,
    respond_by: String,
    reply_by: String,
    asks_response: bool,
    closing: String,
    signatory: String,
    signatory_title: String,
    signatory_org: String,
    cc: Vec<String>,
    n: Numbers,
    provenance: String,
}

/// How a group of KPIs is headed in a letter.
fn section_heading(category: &str) -> String {
    match category {
        "national" => "National standards".into(),
        "local" => "Local requirements".into(),
        "quality" => "Quality requirements".into(),
        "cquin" => "CQUIN".into(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().collect::<String>() + chars.as_str()
            })
        }
    }
}

fn kpi_row(r: &KpiResult, is_final: bool, charts: Option<&str>) -> KpiRow {
    let rag = match r.rag {
        Rag::Red | Rag::Amber if r.consecutive_failing > 1 => format!(
            "{} ({} month failing)",
            r.rag.label(),
            crate::model::number::ordinal(r.consecutive_failing)
        ),
        other => other.label().to_string(),
    };
    let trend = if r.missing {
        "—".to_string()
    } else if r.no_activity {
        "No activity".to_string()
    } else if r.spc.no_variation {
        "No variation: no SPC limits".to_string()
    } else {
        match r.spc.signal {
            Signal::Improvement => "Special cause: improvement".into(),
            Signal::Concern => "Special cause: concern".into(),
            Signal::Neutral => "Special cause".into(),
            Signal::CommonCause => "Common cause".into(),
            Signal::None => "—".into(),
        }
    };
    // The month's two icons, drawn beside the letter, ahead of the words.
    let trend = match (charts, r.spc.signal) {
        (Some(dir), signal) if signal != Signal::None && !r.missing && !r.spc.no_variation => {
            let high = crate::render::chart::month_is_high(r);
            format!(
                "![Variation: {}]({dir}/{}) ![Assurance: {}]({dir}/{}) {trend}",
                crate::render::chart::signal_words(signal),
                crate::render::chart::variation_icon_name(signal, high),
                crate::render::chart::assurance_words(r.spc.assurance),
                crate::render::chart::assurance_icon_name(r.spc.assurance),
            )
        }
        _ => trend,
    };
    let (deducted, withheld) = if is_final {
        ("deducted", "withheld")
    } else {
        ("to be deducted", "to be withheld")
    };
    let consequence = match r.consequence_status {
        ConsequenceStatus::None => "—".to_string(),
        ConsequenceStatus::Charged => format!("{} {deducted}", r.consequence),
        ConsequenceStatus::Withheld => format!("{} {withheld}", r.consequence),
        ConsequenceStatus::Suspended => format!("{} (suspended)", r.consequence),
        ConsequenceStatus::Relieved => format!("{} (relieved)", r.consequence),
        ConsequenceStatus::Capped => format!("{} (capped)", r.consequence),
        ConsequenceStatus::Earned => format!("{} earned", r.consequence),
    };
    KpiRow {
        name: md(&r.display_name()),
        target: r.target_display(),
        actual: r.actual_display(),
        variance: r.variance_display(),
        rag,
        trend,
        consequence,
    }
}

/// "Agreed" and the other words a letter uses for the states of this month's challenges.
fn state_words(state: State) -> &'static str {
    match state {
        State::Raised | State::Rechallenged => "Awaiting your response",
        State::Accepted | State::Upheld => "Agreed",
        State::Rejected => "Rejected by you, under review",
        State::Disputed => "In dispute",
        State::Withdrawn => "Withdrawn by us",
        State::Overturned => "Overturned in dispute",
    }
}

/// The cases still running as of the letter's date, for the provider's finance and quality
/// leads: what each concerns, where it stands and what is due next.
fn case_rows(report: &ContractMonth<'_>) -> Vec<CaseRow> {
    use crate::results::cases::Stage;
    report
        .cases
        .iter()
        .filter(|c| c.stage.is_open())
        .map(|c| CaseRow {
            id: md(&c.case),
            concerning: if c.kpis.is_empty() {
                md(&c.subject)
            } else {
                c.kpis
                    .iter()
                    .map(|k| {
                        md(report
                            .contract
                            .kpi(k)
                            .map_or(k.as_str(), |kpi| kpi.name.as_str()))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            stage: match c.stage {
                Stage::Notice => "Contract Performance Notice issued".into(),
                Stage::Investigation => "Joint Investigation under way".into(),
                Stage::RapDue => "Remedial Action Plan to be agreed".into(),
                Stage::Rap => "Remedial Action Plan agreed".into(),
                Stage::MilestoneMissed => "Milestone missed".into(),
                Stage::Remedied | Stage::Withdrawn | Stage::Closed => c.stage.to_string(),
            },
            next: c.next.as_ref().map_or_else(String::new, |n| md(&n.what)),
            due: c
                .next
                .as_ref()
                .map_or_else(String::new, |n| long_date(n.due)),
            issued: long_date(c.issued),
            held: (c.withheld - c.released - c.retained).to_string(),
            overdue: if c.overdue { "yes".into() } else { "no".into() },
        })
        .collect()
}

/// The words and figures of the letter for `report` at `stage`.
pub fn context(
    report: &ContractMonth<'_>,
    stage: Stage,
    organisation: &crate::model::settings::Organisation,
    reissue: Option<&str>,
    provenance: &str,
    charts: Option<&str>,
) -> LetterContext {
    let contract = report.contract;
    let month = report.month;
    let month_long = month.long_name();
    let is_final = stage == Stage::Final;
    let provider_lead = contract.contact("provider_lead");
    let mut addressee = Vec::new();
    if let Some(lead) = provider_lead {
        addressee.push(md(&lead.name_and_title()));
    }
    addressee.push(md(&contract.provider.name));
    addressee.extend(contract.provider.address.iter().map(|l| md(l)));
    let salutation = md(&crate::model::contract::Contact::greeting(provider_lead));
    let mut letterhead = vec![md(&organisation.name)];
    letterhead.extend(organisation.address.iter().map(|l| md(l)));
    letterhead.extend(organisation.letterhead.iter().map(|l| md(l)));

    // A final letter raises the month's challenges itself when no provisional letter did.
    let raises_challenges = !is_final || report.provisional.is_none();
    let respond_by = long_date(report.respond_by);
    let dates = &report.dates;
    let opening = match (stage, &report.provisional) {
        (Stage::Provisional, _) => format!(
            "This is the provisional position for {month_long}, on the data received by the date of this letter. It becomes final after the final data date ({}) and the end of the period for your response.",
            long_date(dates.freeze)
        ),
        (Stage::Final, Some(provisional)) => format!(
            "This is the final position for {month_long}. It follows our provisional letter of {}, the final data date ({}) and the end of the period for your response to it.",
            long_date(provisional.date),
            long_date(dates.freeze)
        ),
        (Stage::Final, None) => format!(
            "This is the final position for {month_long}, on the data as it stood at the final data date ({}). No provisional letter was issued for {month_long}, so the data challenges below are put to you for the first time in this letter.",
            long_date(dates.freeze)
        ),
    };

    // The summary: what was met, what it costs, what is challenged, what is missing.
    let measured: Vec<&KpiResult> = report
        .kpis
        .iter()
        .filter(|k| matches!(k.rag, Rag::Green | Rag::Amber | Rag::Red))
        .collect();
    let met = measured.iter().filter(|k| k.rag == Rag::Green).count();
    let missing_kpis = report.kpis.iter().filter(|k| k.missing).count();
    let position = &report.position;
    let penalties = position.total_after_cap;
    let new_value: Money = report.new_challenges.iter().map(|c| c.value).sum();
    let outstanding_value: Money = report.outstanding.iter().map(|c| c.value).sum();
    let mut parts: Vec<String> = Vec::new();
    parts.push(match measured.len() {
        0 => "no requirement could be measured this month".to_string(),
        n => format!("{met} of {n} requirements met"),
    });
    if missing_kpis > 0 {
        parts.push(format!(
            "{} not measured because {} data is missing",
            count_words(missing_kpis, "requirement", "requirements"),
            if missing_kpis == 1 { "its" } else { "their" }
        ));
    }
    let (deducted_word, withheld_word) = if is_final {
        ("deducted", "withheld")
    } else {
        ("to be deducted", "to be withheld")
    };
    if penalties.is_zero() {
        parts.push("no consequences apply".into());
    } else {
        let deducted = position.deductions_after_cap;
        let withheld = position.withholdings_after_cap;
        let pieces: Vec<String> = [(deducted, deducted_word), (withheld, withheld_word)]
            .iter()
            .filter(|(m, _)| !m.is_zero())
            .map(|(m, word)| format!("{m} {word}"))
            .collect();
        parts.push(if pieces.len() == 2 {
            format!("consequences of {penalties} ({})", pieces.join(", "))
        } else {
            format!("consequences of {}", pieces.join(""))
        });
    }
    if !position.releases.is_zero() {
        parts.push(format!(
            "releases of {} withheld earlier",
            position.releases
        ));
    }
    if !position.incentives.is_zero() {
        parts.push(format!("incentives of {} earned", position.incentives));
    }
    parts.push(if is_final {
        format!(
            "a net adjustment of {}, agreed data challenges included",
            report.net_adjustment()
        )
    } else {
        format!(
            "a net adjustment from consequences of {}",
            position.consequences_net()
        )
    });
    if !report.new_challenges.is_empty() {
        parts.push(format!(
            "{} worth {new_value}",
            count_words(
                report.new_challenges.len(),
                "data challenge for the month",
                "data challenges for the month"
            )
        ));
    } else {
        parts.push("no data challenges for the month".into());
    }
    if !report.outstanding.is_empty() {
        parts.push(format!(
            "{} from earlier months still open",
            count_words(report.outstanding.len(), "challenge", "challenges")
        ));
    }
    if report.breaches() > 0 {
        parts.push(count_words(
            report.breaches(),
            "information breach",
            "information breaches",
        ));
    }
    let joined = parts.join("; ");
    let mut summary = format!("Summary: {}{}.", joined[..1].to_uppercase(), &joined[1..]);
    if raises_challenges && !report.new_challenges.is_empty() {
        summary.push_str(&format!(
            " Please respond to each challenge by {respond_by}."
        ));
    }

    // The KPI tables, one per group, in contract order.
    let mut sections: Vec<KpiSection> = Vec::new();
    for r in &report.kpis {
        let heading = section_heading(&r.category);
        if !sections.iter().any(|s| s.heading == heading) {
            sections.push(KpiSection {
                number: 0,
                heading: heading.clone(),
                rows: Vec::new(),
            });
        }
        let section = sections
            .iter_mut()
            .find(|s| s.heading == heading)
            .expect("added above");
        section.rows.push(kpi_row(r, is_final, charts));
    }
    let mut number = 0;
    let mut next = || {
        number += 1;
        number
    };
    let kpi_sections: Vec<KpiSection> = sections
        .into_iter()
        .map(|s| KpiSection {
            number: next(),
            ..s
        })
        .collect();

    let mut notes = Vec::new();
    for r in &report.kpis {
        if let Some(v) = &r.variation {
            notes.push(format!(
                "{}: the target in force follows the {}.",
                md(&r.name),
                md(v)
            ));
        }
        if let Some(reason) = &r.relief {
            notes.push(format!(
                "{}: relief applies for {month_long} ({}); the consequence is shown but not charged.",
                md(&r.name),
                md(reason)
            ));
        }
    }
    let trial: Vec<&KpiResult> = report
        .kpis
        .iter()
        .filter(|r| r.spc.points > 1 && r.spc.trial && !r.spc.no_variation && !r.missing)
        .collect();
    if !trial.is_empty() {
        let rebased: Vec<String> = trial
            .iter()
            .filter_map(|r| {
                let from = contract
                    .rebases_of(&r.kpi)
                    .into_iter()
                    .map(|(m, _)| m)
                    .filter(|m| *m <= month)
                    .max()?;
                Some(format!(
                    "{} (rebased from {}: {} months in its new segment)",
                    md(&r.display_name()),
                    from.long_name(),
                    r.spc.points
                ))
            })
            .collect();
        notes.push(if rebased.len() == trial.len() {
            format!(
                "Trend: trial limits, from fewer than {} months, for {}.",
                crate::results::spc::TRIAL_BELOW,
                rebased.join("; ")
            )
        } else {
            format!("Trend: the statistical process control limits are trial limits while fewer than {} months of data exist (or, for a requirement rebased, fewer than {} months since).", crate::results::spc::TRIAL_BELOW, crate::results::spc::TRIAL_BELOW)
        });
    }
    if report.kpis.iter().any(|r| {
        let shown = r.actual_display();
        let places = shown
            .trim_end_matches('%')
            .split_once('.')
            .map_or(0, |(_, d)| d.len());
        places > if r.percent { 1 } else { 2 }
    }) {
        notes.push("Figures are shown to one decimal place (numbers to two), or to more where fewer would show a figure that fails its target as meeting it, or one off the threshold as on it.".into());
    }
    if report.kpis.iter().any(|r| r.spc.no_variation && !r.missing) {
        notes.push("Trend: where every month so far shows the same figure (or nearly every month shows none), the series cannot support statistical process control limits, so no variation signal or assurance is given.".into());
    }
    notes.dedup();

    // Missing data: named, never read as "no activity".
    let mut missing: Vec<String> = Vec::new();
    for dataset in report.missing_datasets() {
        let kpis: Vec<String> = report
            .kpis
            .iter()
            .filter(|k| k.missing && contract.kpi(&k.kpi).is_some_and(|d| d.dataset == dataset))
            .map(|k| md(&k.name))
            .collect();
        let breach = report
            .information
            .iter()
            .any(|i| i.dataset == dataset && i.is_breach());
        missing.push(format!(
            "No {} data has been received for {month_long}, so {} cannot be measured{}.",
            md(contract.schema(&dataset).map_or(&dataset, |s| s.title())),
            if kpis.is_empty() {
                "the requirements that read it".to_string()
            } else {
                kpis.join(", ")
            },
            if breach {
                "; this is also an information breach (section below)"
            } else {
                ""
            }
        ));
    }

    // Exception analysis: the provider's account of each failing KPI, or a request for one.
    let mut exceptions = Vec::new();
    let mut exceptions_requested = Vec::new();
    for r in report.kpis.iter().filter(|r| r.rag.failing()) {
        let figure = format!(
            "{} against a target of {}",
            r.actual_display(),
            r.target_display()
        );
        let given: Vec<&crate::load::exceptions::Exception> = report
            .exceptions
            .iter()
            .filter(|e| e.kpi == r.kpi)
            .collect();
        for e in &given {
            exceptions.push(ExceptionRow {
                name: md(&r.display_name()),
                figure: figure.clone(),
                cause: md(&e.cause),
                actions: md(&e.actions),
                trajectory: md(&e.trajectory),
                note: String::new(),
                source: md(&e.given_in),
            });
        }
        if given.is_empty() {
            match &r.figure.note {
                Some(note) => exceptions.push(ExceptionRow {
                    name: md(&r.display_name()),
                    figure,
                    cause: String::new(),
                    actions: String::new(),
                    trajectory: String::new(),
                    note: md(note),
                    source: "your return".into(),
                }),
                None => exceptions_requested.push(md(&r.display_name())),
            }
        }
    }

    let exceptions_request = match (&report.provisional, stage) {
        (Some(provisional), Stage::Final) => format!(
            "We asked for these in our provisional letter of {}, by {}. Please send each by **{}**: the cause of the failure, the actions you are taking, and a trajectory for recovery with dates.",
            long_date(provisional.date),
            long_date(report.respond_by),
            long_date(report.reply_by)
        ),
        _ => format!(
            "Please send one for each by **{}**: the cause of the failure, the actions you are taking, and a trajectory for recovery with dates.",
            long_date(report.reply_by)
        ),
    };

    let information: Vec<InfoRow> = report
        .information
        .iter()
        .map(|i| InfoRow {
            dataset: md(contract
                .schema(&i.dataset)
                .map_or(&i.dataset, |s| s.title())),
            due: long_date(i.due),
            received: i.received.map_or_else(|| "—".into(), long_date),
            status: match i.status {
                Provision::OnTime => "On time".into(),
                Provision::Late => "Late: breach".into(),
                Provision::Missing => "Not received: breach".into(),
                Provision::NotDue => "Not yet due".into(),
                Provision::Unrecorded => "Received; date of receipt not recorded".into(),
            },
        })
        .collect();

    // Data challenges.
    // This month's challenges by rule, in the rules' order of precedence, and by state.
    let mut rules: Vec<(&str, CountRow)> = contract
        .challenges
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                CountRow {
                    name: md(&r.name),
                    count: 0,
                    rows: 0,
                    value: String::new(),
                },
            )
        })
        .collect();
    let mut rule_values: Vec<Money> = vec![Money::ZERO; rules.len()];
    // A final letter counts as agreed only what its period took in; later agreements are
    // deducted by the next final letter, and shown apart.
    let deducted_here = |c: &ChallengeView| report.agreed.iter().any(|a| a.id == c.id);
    let agreed_later = format!(
        "Agreed after {} (deducted in the next final letter)",
        long_date(report.agreed_until)
    );
    let mut states: BTreeMap<String, (usize, u64, Money)> = BTreeMap::new();
    for c in &report.new_challenges {
        if let Some(at) = rules.iter().position(|(id, _)| **id == *c.rule) {
            rules[at].1.count += 1;
            rules[at].1.rows += c.rows;
            rule_values[at] += c.value;
        }
        let state = if c.agreed && is_final && !deducted_here(c) {
            agreed_later.clone()
        } else if c.agreed && is_final {
            "Agreed (deducted in this letter)".to_string()
        } else {
            state_words(c.state).to_string()
        };
        let e = states.entry(state).or_default();
        e.0 += 1;
        e.1 += c.rows;
        e.2 += c.value;
    }
    let new_by_rule: Vec<CountRow> = rules
        .into_iter()
        .zip(rule_values)
        .filter(|((_, row), _)| row.count > 0)
        .map(|((_, row), value)| CountRow {
            value: value.to_string(),
            ..row
        })
        .collect();
    let state_order = [
        "Agreed (deducted in this letter)",
        agreed_later.as_str(),
        "Agreed",
        "Awaiting your response",
        "Rejected by you, under review",
        "In dispute",
        "Withdrawn by us",
        "Overturned in dispute",
    ];
    let new_by_state: Vec<CountRow> = state_order
        .iter()
        .filter_map(|s| {
            states.get(*s).map(|(count, rows, value)| CountRow {
                name: s.to_string(),
                count: *count,
                rows: *rows,
                value: value.to_string(),
            })
        })
        .collect();
    let new_count = report.new_challenges.len();
    let new_rows: u64 = report.new_challenges.iter().map(|c| c.rows).sum();
    let group_rules: Vec<String> = contract
        .challenges
        .iter()
        .filter(|r| {
            matches!(
                r.form,
                crate::model::contract::ChallengeForm::RatioCap { .. }
            ) && report.new_challenges.iter().any(|c| *c.rule == r.id)
        })
        .map(|r| md(&r.name))
        .collect();
    let challenges_intro = if new_count == 0 {
        format!("We raise no data challenges for {month_long}.")
    } else if raises_challenges {
        let mut text = format!(
            "We raise {} for {month_long}, covering {}, worth {new_value} in total. A record that more than one rule selects is challenged once, under the first rule that selects it (the rules are listed in that order).",
            count_words(new_count, "challenge", "challenges"),
            count_words(new_rows as usize, "record", "records"),
        );
        for name in &group_rules {
            text.push_str(&format!(
                " {name}: each challenge is one group, covering the records above the agreed ratio in it, valued at the group's mean value a record."
            ));
        }
        text
    } else {
        format!(
            "Our provisional letter put {} for {month_long} to you, covering {}, worth {new_value} in total. Where they stand now:",
            count_words(new_count, "challenge", "challenges"),
            count_words(new_rows as usize, "record", "records"),
        )
    };
    let mut groups: BTreeMap<(Month, &str), (usize, Money, usize)> = BTreeMap::new();
    for c in &report.outstanding {
        let e = groups.entry((c.month, state_words(c.state))).or_default();
        e.0 += 1;
        e.1 += c.value;
        e.2 += usize::from(c.overdue);
    }
    let outstanding = groups
        .into_iter()
        .map(|((m, state), (count, value, overdue))| OutstandingRow {
            month: m.long_name(),
            state: state.to_string(),
            count,
            value: value.to_string(),
            overdue,
        })
        .collect();
    let overdue: Vec<&ChallengeView> = report
        .new_challenges
        .iter()
        .chain(&report.outstanding)
        .filter(|c| c.overdue)
        .collect();
    let overdue_note = if overdue.is_empty() {
        String::new()
    } else {
        let value: Money = overdue.iter().map(|c| c.value).sum();
        format!(
            "{} worth {value} {} had no response from you by the date our letter raising {} asked for one.",
            capitalise(&count_words(overdue.len(), "challenge", "challenges")),
            if overdue.len() == 1 { "has" } else { "have" },
            if overdue.len() == 1 { "it" } else { "them" },
        )
    };
    let key_columns: Vec<String> = {
        let mut keys: Vec<String> = report
            .new_challenges
            .iter()
            .chain(&report.outstanding)
            .map(|c| c.key_column.to_string())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let holds_nhs_numbers = contract.datasets_read().into_iter().any(|d| {
        contract.schema(d).is_some_and(|s| {
            s.columns
                .iter()
                .any(|c| c.ty == crate::model::schema::ColumnType::NhsNumber)
        })
    });
    let companion_note = format!(
        "Each challenge is listed in the attached file {}, one row each: its identifier, the record it cites (by {}), the reason with what was found, its value, where it stands, and any other rule that also applies to the record (for information only: no record is challenged twice). The same challenges are in the workbook {}: please answer each in its response column (accept or reject), give your reason for each rejection, name any evidence, and return the workbook.{}",
        companion_name(month, stage),
        if key_columns.is_empty() {
            "the dataset's key".to_string()
        } else {
            md(&key_columns.join(" or "))
        },
        companion_name(month, stage).replace(".csv", ".xlsx"),
        if holds_nhs_numbers {
            " No NHS number is included."
        } else {
            ""
        }
    );

    let today = report.today;
    let action_status = |e: &crate::results::escalation::Escalation| -> String {
        use crate::load::meetings::ActionStatus;
        let for_kpi = |a: &&crate::results::actions::Action| {
            a.id.starts_with("ESC-") && a.kpi.as_deref() == Some(e.kpi.as_str())
        };
        let this_step = report
            .actions
            .iter()
            .filter(for_kpi)
            .filter(|a| a.text.starts_with(&format!("{}: ", e.step)))
            .max_by_key(|a| a.due);
        let mut text = match this_step {
            None => "—".to_string(),
            Some(a) => match a.status {
                ActionStatus::Open if a.due < today => {
                    format!("Overdue since {}", long_date(a.due))
                }
                ActionStatus::Open => "Open".to_string(),
                ActionStatus::Done => format!("Done ({})", a.note),
                ActionStatus::Dropped => "Dropped".to_string(),
                ActionStatus::Lapsed => "Closed: no longer required".to_string(),
            },
        };
        let earlier: Vec<String> = report
            .actions
            .iter()
            .filter(for_kpi)
            .filter(|a| {
                a.status == ActionStatus::Open
                    && a.due < today
                    && !a.text.starts_with(&format!("{}: ", e.step))
            })
            .map(|a| {
                let step = a.text.split(": ").next().unwrap_or(&a.text);
                format!("{step} (due {})", long_date(a.due))
            })
            .collect();
        if !earlier.is_empty() {
            text.push_str(&format!("; also overdue: {}", earlier.join(", ")));
        }
        md(&text)
    };
    let escalations = report
        .escalations
        .iter()
        .map(|e| EscalationRow {
            status: action_status(e),
            name: md(&match &e.group {
                Some(g) => format!("{} ({g})", e.name),
                None => e.name.clone(),
            }),
            months: e.run,
            step: md(&if e.reached_this_month {
                e.step.clone()
            } else {
                format!("{} (in force)", e.step)
            }),
            owner: md(&e.owner),
            due: if e.reached_this_month {
                long_date(e.due)
            } else {
                "—".into()
            },
        })
        .collect();
    let escalation_rule = match contract.escalate_on {
        crate::model::contract::EscalateOn::Failing => "Months failing counts the consecutive months in which the requirement failed its target, red or amber: an amber month does not reset the count.",
        crate::model::contract::EscalateOn::Red => "Months failing counts the consecutive months in which the requirement was red: under this contract an amber month resets the count.",
    }
    .to_string();

    // The financial summary: each withholding and each release named.
    let negative = |m: Money| {
        if m.is_zero() {
            m.to_string()
        } else {
            (-m).to_string()
        }
    };
    let mut finance = vec![FinanceLine {
        label: format!("Deductions{}", if is_final { "" } else { " (to be made)" }),
        amount: negative(position.deductions),
    }];
    for item in position.items.iter().filter(|i| {
        i.counts_towards_cap() && i.mode == Some(crate::model::contract::Mode::Withhold)
    }) {
        finance.push(FinanceLine {
            label: format!(
                "{} for {}: {}",
                if is_final {
                    "Withheld"
                } else {
                    "To be withheld"
                },
                md(&item.description),
                md(&item.basis)
            ),
            amount: negative(item.amount),
        });
    }
    if !position.cap_adjustment.is_zero() {
        let cap = position.monthly_cap.unwrap_or_default();
        finance.push(FinanceLine {
            label: format!(
                "Cap adjustment (monthly cap {cap}; total before cap {})",
                position.total_before_cap
            ),
            amount: (-position.cap_adjustment).to_string(),
        });
    }
    if !position.annual_cap_adjustment.is_zero() {
        let cap = position.annual_cap.unwrap_or_default();
        finance.push(FinanceLine {
            label: format!("Annual cap adjustment (annual cap {cap})"),
            amount: (-position.annual_cap_adjustment).to_string(),
        });
    }
    for item in position
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Release)
    {
        finance.push(FinanceLine {
            label: format!("{}: {}", md(&item.description), md(&item.basis)),
            amount: item.amount.to_string(),
        });
    }
    if !position.incentives.is_zero() {
        finance.push(FinanceLine {
            label: "Incentives earned".into(),
            amount: position.incentives.to_string(),
        });
    }
    if is_final {
        finance.push(FinanceLine {
            label: "Agreed data challenges".into(),
            amount: negative(report.agreed_value),
        });
        finance.push(FinanceLine {
            label: format!("**Net adjustment for {month_long}**"),
            amount: format!("**{}**", report.net_adjustment()),
        });
    } else {
        finance.push(FinanceLine {
            label: format!("**Net adjustment from consequences for {month_long}**"),
            amount: format!("**{}**", position.consequences_net()),
        });
    }
    let mut finance_notes = Vec::new();
    if !position.suspended.is_zero() {
        finance_notes.push(format!("Consequences of {} are suspended under this year's contract and are shown for information only.", position.suspended));
    }
    if !position.relieved.is_zero() {
        finance_notes.push(format!(
            "Consequences of {} are relieved and not charged.",
            position.relieved
        ));
    }
    for item in position.items.iter().filter(|i| {
        i.kind == ItemKind::Escalation && i.mode != Some(crate::model::contract::Mode::Withhold)
    }) {
        finance_notes.push(format!(
            "{}: {} ({}).",
            md(&item.description),
            item.amount,
            md(&item.basis)
        ));
    }
    if let Some(cap) = position.monthly_cap {
        finance_notes.push(format!(
            "The month's deductions and withholdings are capped at {cap}{}.",
            match contract.monthly_cap {
                Some(crate::model::contract::Cap::Percent(p)) => format!(
                    " ({} of the monthly value {})",
                    crate::model::money::percent_1dp(p),
                    position.monthly_value
                ),
                _ => String::new(),
            }
        ));
    }
    if let Some(cap) = position.annual_cap {
        finance_notes.push(format!(
            "Of the annual cap of {cap}, {} has been taken in the financial year so far, this month included (sums withheld and since released are not counted), leaving {}.",
            position.annual_cap_used,
            (cap - position.annual_cap_used).max(Money::ZERO)
        ));
    }
    // Sums retained for good under a GC9 case are no longer held pending release.
    let retained: Vec<&crate::results::consequences::Withholding> = report
        .ledger
        .iter()
        .filter(|w| w.retained_in.is_some_and(|m| m <= month) && w.month <= month)
        .collect();
    if !retained.is_empty() {
        let total: Money = retained.iter().map(|w| w.amount).sum();
        let list: Vec<String> = retained
            .iter()
            .map(|w| {
                format!(
                    "{} withheld in {} for {}",
                    w.amount,
                    w.month.long_name(),
                    md(&w.description)
                )
            })
            .collect();
        finance_notes.push(format!(
            "Retained and not to be released, the plan not having been remedied within {} months of the first exception report: {total} ({}).",
            contract.gc9.retain_after,
            list.join("; ")
        ));
    }
    let still_held: Vec<&crate::results::consequences::Withholding> = report
        .ledger
        .iter()
        .filter(|w| {
            w.released_in.is_none_or(|m| m > month)
                && w.retained_in.is_none_or(|m| m > month)
                && w.month <= month
        })
        .collect();
    if !still_held.is_empty() {
        let total: Money = still_held.iter().map(|w| w.amount).sum();
        let list: Vec<String> = still_held
            .iter()
            .map(|w| {
                format!(
                    "{} withheld in {} for {}",
                    w.amount,
                    w.month.long_name(),
                    md(&w.description)
                )
            })
            .collect();
        finance_notes.push(format!(
            "Sums withheld and not yet released, including this month's: {total} ({}).",
            list.join("; ")
        ));
    }
    if !is_final {
        finance_notes
            .push("Agreed data challenges are taken into account in the final letter.".into());
    }

    let agreed_position = if is_final {
        let agreed = report.agreed.len();
        let open: Vec<&ChallengeView> = report
            .new_challenges
            .iter()
            .chain(&report.outstanding)
            .filter(|c| !c.closed)
            .collect();
        let open_value: Money = open.iter().map(|c| c.value).sum();
        let period = match report.agreed_since {
            Some(since) => format!(
                "between {} and {}",
                long_date(since.succ_opt().unwrap_or(since)),
                long_date(report.agreed_until)
            ),
            None => format!("up to {}", long_date(report.agreed_until)),
        };
        let of_month = report.agreed.iter().filter(|c| c.month == month).count();
        let breakdown = if of_month == agreed || of_month == 0 {
            String::new()
        } else {
            format!(
                " ({of_month} for {month_long} and {} from earlier months)",
                agreed - of_month
            )
        };
        let mut text = if agreed == 0 {
            format!("No challenges were agreed {period}, so none is deducted from the payment for {month_long}.")
        } else {
            format!(
                "The agreed position: {}{breakdown} worth {} {} agreed {period} and {} deducted from the payment for {month_long}.",
                count_words(agreed, "challenge", "challenges"),
                report.agreed_value,
                if agreed == 1 { "was" } else { "were" },
                if agreed == 1 { "is" } else { "are" },
            )
        };
        if !open.is_empty() {
            text.push_str(&format!(
                " {} worth {open_value} {} open and will carry forward.",
                capitalise(&count_words(open.len(), "challenge", "challenges")),
                if open.len() == 1 { "remains" } else { "remain" },
            ));
        }
        text.push_str(&format!(
            " The net adjustment to the payment for {month_long} is {}.",
            report.net_adjustment()
        ));
        text
    } else {
        String::new()
    };

    let asks_response = raises_challenges && new_count > 0;
    let closing = if !is_final {
        format!("The final position for {month_long} will follow after the final data date.")
    } else {
        String::new()
    };

    let mut n = Numbers::default();
    let mut next = || {
        number += 1;
        number
    };
    if !exceptions.is_empty() || !exceptions_requested.is_empty() {
        n.exceptions = next();
    }
    if !information.is_empty() {
        n.information = next();
    }
    n.challenges = next();
    let escalations: Vec<EscalationRow> = escalations;
    if !escalations.is_empty() {
        n.escalation = next();
    }
    let cases = case_rows(report);
    if !cases.is_empty() {
        n.cases = next();
    }
    n.finance = next();

    let commissioner_lead = contract.contact("commissioner_lead");
    let cc: Vec<String> = contract
        .contacts
        .values()
        .filter(|c| c.cc)
        .map(|c| md(&c.name_and_title()))
        .collect();
    let title = format!(
        "Contract performance and data challenges: {month_long} ({})",
        stage.name()
    );
    LetterContext {
        meta: Meta {
            title: yaml(&title),
            date: yaml(&long_date(report.today)),
            from: yaml(&organisation.name),
            to: yaml(&contract.provider.name),
            reference: yaml(&contract.reference),
        },
        stage: stage.name(),
        is_final,
        reissue: reissue.map(md),
        month_long: month_long.clone(),
        letterhead,
        date: long_date(report.today),
        our_ref: md(&if contract.reference.is_empty() {
            format!("{}/{month}", contract.id)
        } else {
            format!("{}/{month}", contract.reference)
        }),
        your_ref: md(&contract.provider.reference),
        addressee,
        salutation,
        subject: format!(
            "{} ({}): performance and data challenges for {month_long}",
            md(&contract.title),
            md(&contract.reference)
        ),
        opening,
        summary,
        kpi_sections,
        charts: charts
            .map(|dir| {
                report
                    .kpis
                    .iter()
                    .filter(|r| !r.missing && r.actual.is_some())
                    .map(|r| ChartRef {
                        name: md(&r.display_name()),
                        file: format!("{dir}/{}", crate::render::chart::chart_name(r)),
                        alt: md(&format!(
                            "XmR chart of {} to {}",
                            r.display_name(),
                            month_long
                        )),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        notes,
        missing,
        exceptions,
        exceptions_requested,
        exceptions_request,
        information,
        challenges_intro,
        new_by_rule: if raises_challenges {
            new_by_rule
        } else {
            Vec::new()
        },
        new_by_state: if raises_challenges {
            Vec::new()
        } else {
            new_by_state
        },
        new_count,
        new_rows,
        new_value: new_value.to_string(),
        outstanding,
        outstanding_count: report.outstanding.len(),
        outstanding_value: outstanding_value.to_string(),
        overdue_note,
        companion: companion_name(month, stage),
        companion_note,
        escalations,
        escalation_rule,
        cases,
        finance,
        finance_notes,
        agreed_position,
        respond_by,
        reply_by: long_date(report.reply_by),
        asks_response,
        closing,
        signatory: commissioner_lead.map_or_else(|| md(&organisation.name), |c| md(&c.name)),
        signatory_title: commissioner_lead.map_or_else(String::new, |c| md(&c.title)),
        signatory_org: md(&organisation.name),
        cc,
        n,
        provenance: provenance.to_string(),
    }
}

/// What a letter is made of: its text, and its challenges as CSV and as a workbook.
pub struct Rendered {
    /// The letter's Markdown, provenance included.
    pub text: String,
    /// The companion CSV (shared: git may be storing it while the letter is finished).
    pub csv: std::sync::Arc<String>,
    /// The companion workbook (`.xlsx`) the provider answers in.
    pub workbook: Vec<u8>,
    /// The charts and icons beside the letter (path relative to the workspace, SVG text).
    pub charts: Vec<(std::path::PathBuf, String)>,
}

/// The folder of a letter's charts, beside it: `<M>-charts` for the month's provisional
/// letter, `<M>-final-charts` for its final letter (`<M>-final-rN-charts` for a reissue), so
/// that a later letter never rewrites the pictures an earlier one shows.
pub fn charts_dir(companion: &Path) -> std::path::PathBuf {
    let name = companion
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.strip_suffix("-challenges.csv").unwrap_or(name);
    let stem = stem.strip_suffix("-provisional").unwrap_or(stem);
    companion.with_file_name(format!("{stem}-charts"))
}

/// The workbook beside a companion CSV: `…-challenges.csv` → `…-challenges.xlsx`.
pub fn workbook_path(companion: &Path) -> std::path::PathBuf {
    companion.with_extension("xlsx")
}

/// The letter text, companion CSV and workbook for `report`; the letter's provenance records
/// both companions (the workbook beside the CSV written as `companion`) by their SHA-256.
/// `csv_made` is handed the CSV as soon as it is made, while the workbook is still being made.
#[allow(clippy::too_many_arguments)]
pub fn render(
    report: &ContractMonth<'_>,
    stage: Stage,
    root: &Path,
    organisation: &crate::model::settings::Organisation,
    reissue: Option<&str>,
    provenance: &Provenance,
    companion: &Path,
    csv_made: &mut dyn FnMut(&std::sync::Arc<String>),
) -> Result<Rendered> {
    // The workbook, the slowest of the three, is made on a core of its own while the CSV and
    // the charts are made on this one.
    let (csv, workbook) = std::thread::scope(|scope| {
        let workbook = scope.spawn(|| {
            crate::render::workbook::challenges_workbook(
                report.new_challenges.iter().chain(&report.outstanding),
                &format!(
                    "Data challenges: {}, {} ({})",
                    report.contract.title,
                    report.month.long_name(),
                    stage.name()
                ),
                &organisation.name,
                report.today,
            )
            .map(|bytes| {
                let sha = crate::audit::provenance::sha256_bytes(&bytes);
                (bytes, sha)
            })
        });
        let csv = crate::render::csv::companion_csv(report).map(|text| {
            let text = std::sync::Arc::new(text);
            csv_made(&text);
            let sha = crate::audit::provenance::sha256_bytes(text.as_bytes());
            (text, sha)
        });
        let workbook = workbook
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the workbook could not be made")));
        (csv, workbook)
    });
    let ((csv, csv_sha), (workbook, workbook_sha)) = (csv?, workbook?);
    let chart_dir = charts_dir(companion);
    let chart_dir_name = chart_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let charts = crate::render::chart::files(report, &chart_dir);
    let mut provenance = provenance.clone();
    provenance.companions = vec![
        (companion.to_path_buf(), csv_sha),
        (workbook_path(companion), workbook_sha),
    ];
    provenance
        .companions
        .extend(charts.iter().map(|(path, svg)| {
            (
                path.clone(),
                crate::audit::provenance::sha256_bytes(svg.as_bytes()),
            )
        }));
    let source = template_source(root, LETTER_OVERRIDE, BUILT_IN_LETTER)?;
    let env = environment("letter.md", &source)
        .map_err(|e| anyhow::anyhow!(template_error(LETTER_OVERRIDE, &e)))?;
    let ctx = context(
        report,
        stage,
        organisation,
        reissue,
        &provenance.comment(),
        Some(&chart_dir_name),
    );
    let text = env
        .get_template("letter.md")
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&ctx))))
        .map_err(|e| anyhow::anyhow!(template_error(LETTER_OVERRIDE, &e)))?;
    Ok(Rendered {
        text: tidy(&text),
        csv,
        workbook,
        charts,
    })
}
