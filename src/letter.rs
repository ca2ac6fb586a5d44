//! The monthly performance and challenge letter (§5.1): a Markdown file with a YAML metadata
//! block that pandoc understands, written from a template built into the binary (or the
//! workspace's `templates/letter.md`), with its companion challenge CSV.
//!
//! [`context`] turns a [`ContractMonth`] into the words and figures the template lays out; the
//! template decides the wording. Every figure comes from the same results `levers kpi` and
//! `levers challenges` print. Text taken from contract files is escaped for Markdown, so a `|`
//! or `*` in a KPI name cannot break a table.

use crate::audit::{write_atomic, Provenance};
use crate::calendar::Month;
use crate::challenge::ChallengeView;
use crate::consequence::ItemKind;
use crate::information::Provision;
use crate::kpi::{ConsequenceStatus, KpiResult, Rag};
use crate::money::Money;
use crate::report::ContractMonth;
use crate::spc::Signal;
use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const BUILT_IN_LETTER: &str = include_str!("templates/letter.md");
pub const LETTER_OVERRIDE: &str = "templates/letter.md";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    Provisional,
    Final,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Provisional => "provisional",
            Stage::Final => "final",
        }
    }
}

/// Escapes text from contract files for Markdown prose and table cells.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A YAML double-quoted string (the metadata block pandoc reads).
pub fn yaml(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn count_words(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("one {one}"),
        _ => format!("{n} {many}"),
    }
}

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

#[derive(Serialize)]
struct InfoRow {
    dataset: String,
    due: String,
    received: String,
    status: String,
}

#[derive(Serialize)]
struct RuleRow {
    name: String,
    count: usize,
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
}

#[derive(Serialize)]
struct FinanceLine {
    label: String,
    amount: String,
}

#[derive(Serialize)]
pub struct LetterContext {
    meta: Meta,
    meta_from_plain: String,
    stage: &'static str,
    is_final: bool,
    reissue: Option<String>,
    month_long: String,
    addressee: Vec<String>,
    salutation: String,
    subject: String,
    summary: String,
    national: Vec<KpiRow>,
    local: Vec<KpiRow>,
    notes: Vec<String>,
    information: Vec<InfoRow>,
    new_challenges: Vec<RuleRow>,
    new_count: usize,
    new_value: String,
    outstanding: Vec<OutstandingRow>,
    outstanding_count: usize,
    outstanding_value: String,
    companion: String,
    key_name: String,
    escalations: Vec<EscalationRow>,
    finance: Vec<FinanceLine>,
    finance_notes: Vec<String>,
    agreed_position: String,
    respond_by: String,
    signatory: String,
    signatory_title: String,
    provenance: String,
}

fn kpi_row(r: &KpiResult) -> KpiRow {
    let name = match &r.by_group {
        Some(g) => format!("{} ({g})", r.name),
        None => r.name.clone(),
    };
    let rag = match r.rag {
        Rag::Red if r.consecutive_red > 1 => {
            format!("Red ({} month)", crate::number::ordinal(r.consecutive_red))
        }
        other => other.label().to_string(),
    };
    let trend = if r.no_activity {
        "No activity".to_string()
    } else {
        match r.spc.signal {
            Signal::Improvement => "Special cause: improvement".into(),
            Signal::Concern => "Special cause: concern".into(),
            Signal::Neutral => "Special cause".into(),
            Signal::CommonCause => "Common cause".into(),
            Signal::None => "—".into(),
        }
    };
    let consequence = match r.consequence_status {
        ConsequenceStatus::None => "—".to_string(),
        ConsequenceStatus::Charged => r.consequence.to_string(),
        ConsequenceStatus::Withheld => format!("{} withheld", r.consequence),
        ConsequenceStatus::Suspended => format!("{} suspended", r.consequence),
        ConsequenceStatus::Relieved => format!("{} relieved", r.consequence),
        ConsequenceStatus::Capped => format!("{} (capped)", r.consequence),
        ConsequenceStatus::Earned => format!("{} earned", r.consequence),
    };
    KpiRow {
        name: md(&name),
        target: r
            .target
            .as_deref()
            .and_then(|t| crate::target::Target::parse(t).ok())
            .map_or_else(|| "—".into(), |t| t.display()),
        actual: r.actual_display(),
        variance: r.variance_display(),
        rag,
        trend,
        consequence,
    }
}

/// The words and figures of the letter for `report` at `stage`.
pub fn context(
    report: &ContractMonth<'_>,
    stage: Stage,
    organisation: &crate::workspace::Organisation,
    reissue: Option<&str>,
    provenance: &str,
) -> LetterContext {
    let contract = report.contract;
    let month = report.month;
    let is_final = stage == Stage::Final;
    let provider_lead = contract.contact("provider_lead");
    let mut addressee = Vec::new();
    if let Some(lead) = provider_lead {
        addressee.push(md(&if lead.title.is_empty() {
            lead.name.clone()
        } else {
            format!("{}, {}", lead.name, lead.title)
        }));
    }
    addressee.push(md(&contract.provider.name));
    addressee.extend(contract.provider.address.iter().map(|l| md(l)));
    let salutation = provider_lead.map_or_else(|| "Sir or Madam".to_string(), |l| md(&l.name));

    let measured: Vec<&KpiResult> = report.kpis.iter().filter(|k| k.rag != Rag::None).collect();
    let met = measured.iter().filter(|k| k.rag == Rag::Green).count();
    let position = &report.position;
    let penalties = position.total_after_cap;
    let new_value: Money = report.new_challenges.iter().map(|c| c.value).sum();
    let outstanding_value: Money = report.outstanding.iter().map(|c| c.value).sum();
    let respond_by = long_date(report.respond_by);
    let mut summary = format!("{met} of {} requirements met", measured.len());
    if penalties.is_zero() {
        summary.push_str("; no consequences apply");
    } else {
        let deducted = position.deductions.min(penalties);
        let withheld = penalties - deducted;
        let parts: Vec<String> = [(deducted, "deducted"), (withheld, "withheld")]
            .iter()
            .filter(|(m, _)| !m.is_zero())
            .map(|(m, word)| format!("{m} {word}"))
            .collect();
        if parts.len() == 2 {
            summary.push_str(&format!(
                "; consequences of {penalties} ({})",
                parts.join(", ")
            ));
        } else {
            summary.push_str(&format!("; consequences of {}", parts.join("")));
        }
    }
    if !position.incentives.is_zero() {
        summary.push_str(&format!("; incentives of {} earned", position.incentives));
    }
    summary.push_str(&format!(
        "; {} worth {}; {} outstanding from earlier months; {}.",
        count_words(
            report.new_challenges.len(),
            "new data challenge",
            "new data challenges"
        ),
        new_value,
        count_words(report.outstanding.len(), "challenge", "challenges"),
        count_words(
            report.breaches(),
            "information breach",
            "information breaches"
        ),
    ));
    let summary = format!("Summary: {}{}", summary[..1].to_uppercase(), &summary[1..]);
    let summary = if is_final {
        summary
    } else {
        format!("{summary} Please respond to each challenge by {respond_by}.")
    };

    let (national, local): (Vec<&KpiResult>, Vec<&KpiResult>) =
        report.kpis.iter().partition(|k| k.category == "national");
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
                "{}: relief applies for {} ({}); the consequence is shown but not charged.",
                md(&r.name),
                report.month.long_name(),
                md(reason)
            ));
        }
        if r.spc.points > 1
            && r.spc.trial
            && r.by_group.is_none()
            && notes.iter().all(|n| !n.starts_with("Trend:"))
        {
            notes.push(format!("Trend: statistical process control limits are trial limits while fewer than {} months of data exist.", crate::spc::TRIAL_BELOW));
        }
    }
    notes.dedup();

    let information = report
        .information
        .iter()
        .map(|i| InfoRow {
            dataset: md(&i.dataset),
            due: long_date(i.due),
            received: i.received.map_or_else(|| "—".into(), long_date),
            status: match i.status {
                Provision::OnTime => "On time".into(),
                Provision::Late => "Late: breach".into(),
                Provision::Missing => "Not received: breach".into(),
                Provision::NotDue => "Not yet due".into(),
            },
        })
        .collect();

    let mut rules: BTreeMap<String, (usize, Money)> = BTreeMap::new();
    for c in &report.new_challenges {
        let e = rules.entry(c.rule_name.to_string()).or_default();
        e.0 += 1;
        e.1 += c.value;
    }
    let new_challenges = rules
        .into_iter()
        .map(|(name, (count, value))| RuleRow {
            name: md(&name),
            count,
            value: value.to_string(),
        })
        .collect();
    let mut groups: BTreeMap<(Month, String), (usize, Money, usize)> = BTreeMap::new();
    for c in &report.outstanding {
        let e = groups.entry((c.month, c.state.to_string())).or_default();
        e.0 += 1;
        e.1 += c.value;
        e.2 += usize::from(c.overdue);
    }
    let outstanding = groups
        .into_iter()
        .map(|((m, state), (count, value, overdue))| OutstandingRow {
            month: m.long_name(),
            state,
            count,
            value: value.to_string(),
            overdue,
        })
        .collect();

    let escalations = report
        .escalations
        .iter()
        .map(|e| EscalationRow {
            name: md(&match &e.group {
                Some(g) => format!("{} ({g})", e.name),
                None => e.name.clone(),
            }),
            months: e.consecutive_red,
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

    let negative = |m: Money| {
        if m.is_zero() {
            m.to_string()
        } else {
            (-m).to_string()
        }
    };
    let mut finance = vec![
        FinanceLine {
            label: "Deductions".into(),
            amount: negative(position.deductions),
        },
        FinanceLine {
            label: "Withholdings".into(),
            amount: negative(position.withholdings),
        },
    ];
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
    finance.push(FinanceLine {
        label: "Releases of sums withheld earlier".into(),
        amount: position.releases.to_string(),
    });
    finance.push(FinanceLine {
        label: "Incentives earned".into(),
        amount: position.incentives.to_string(),
    });
    if is_final {
        finance.push(FinanceLine {
            label: "Agreed data challenges".into(),
            amount: negative(report.agreed_value),
        });
        finance.push(FinanceLine {
            label: format!("**Net adjustment for {}**", month.long_name()),
            amount: format!("**{}**", report.net_adjustment()),
        });
    } else {
        finance.push(FinanceLine {
            label: format!(
                "**Net adjustment from consequences for {}**",
                month.long_name()
            ),
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
    for item in position
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Information || i.kind == ItemKind::Escalation)
    {
        finance_notes.push(format!(
            "{}: {} ({}).",
            md(&item.description),
            item.amount,
            md(&item.basis)
        ));
    }
    if !position.held.is_zero() {
        finance_notes.push(format!(
            "Sums withheld and not yet released, including this month: {}.",
            position.held
        ));
    }
    if !is_final {
        finance_notes
            .push("Agreed data challenges are taken into account in the final letter.".into());
    }

    let agreed_position = if is_final {
        let agreed: Vec<&ChallengeView> = report.agreed.iter().collect();
        let disputed: Vec<&ChallengeView> = report
            .new_challenges
            .iter()
            .chain(&report.outstanding)
            .filter(|c| !c.closed && !c.agreed)
            .collect();
        let disputed_value: Money = disputed.iter().map(|c| c.value).sum();
        format!(
            "The agreed position: {} worth {} {} been agreed since the last final letter and {} deducted from the payment for {}. {} worth {} remain{} open and will carry forward. The net adjustment to the payment for {} is {}.",
            count_words(agreed.len(), "challenge", "challenges"),
            report.agreed_value,
            if agreed.len() == 1 { "has" } else { "have" },
            if agreed.len() == 1 { "is" } else { "are" },
            month.long_name(),
            count_words(disputed.len(), "challenge", "challenges").replace("no ", "No ").replace("one ", "One "),
            disputed_value,
            if disputed.len() == 1 { "s" } else { "" },
            month.long_name(),
            report.net_adjustment()
        )
    } else {
        String::new()
    };

    let commissioner_lead = contract.contact("commissioner_lead");
    let title = format!(
        "Contract performance and data challenges: {} ({})",
        month.long_name(),
        stage.name()
    );
    LetterContext {
        meta: Meta {
            title: yaml(&title),
            date: report.today.format("%Y-%m-%d").to_string(),
            from: yaml(&organisation.name),
            to: yaml(&contract.provider.name),
            reference: yaml(&contract.reference),
        },
        meta_from_plain: md(&organisation.name),
        stage: stage.name(),
        is_final,
        reissue: reissue.map(md),
        month_long: month.long_name(),
        addressee,
        salutation,
        subject: format!(
            "{} ({}): performance and data challenges for {}",
            md(&contract.title),
            md(&contract.reference),
            month.long_name()
        ),
        summary,
        national: national.into_iter().map(kpi_row).collect(),
        local: local.into_iter().map(kpi_row).collect(),
        notes,
        information,
        new_challenges,
        new_count: report.new_challenges.len(),
        new_value: new_value.to_string(),
        outstanding,
        outstanding_count: report.outstanding.len(),
        outstanding_value: outstanding_value.to_string(),
        companion: companion_name(month, stage),
        key_name: contract
            .schema("activity")
            .and_then(|s| s.key.clone())
            .map_or_else(
                || "record key".into(),
                |k| format!("record key (`{}`)", md(&k)),
            ),
        escalations,
        finance,
        finance_notes,
        agreed_position,
        respond_by,
        signatory: commissioner_lead.map_or_else(|| md(&organisation.name), |c| md(&c.name)),
        signatory_title: commissioner_lead.map_or_else(String::new, |c| md(&c.title)),
        provenance: provenance.to_string(),
    }
}

pub fn companion_name(month: Month, stage: Stage) -> String {
    format!("{month}-{}-challenges.csv", stage.name())
}

/// A template environment holding `source` as `name`.
pub fn environment<'s>(
    name: &'s str,
    source: &'s str,
) -> Result<minijinja::Environment<'s>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(name, source)?;
    Ok(env)
}

/// The workspace's override of a template, or the built-in one.
pub fn template_source(root: &Path, override_path: &str, built_in: &'static str) -> Result<String> {
    let path = root.join(override_path);
    if path.is_file() {
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {override_path}"))
    } else {
        Ok(built_in.to_string())
    }
}

/// A template error as `file:line: message`.
pub fn template_error(file: &str, error: &minijinja::Error) -> String {
    let line = error.line().map_or_else(String::new, |l| format!("{l}:"));
    format!(
        "{file}:{line} template error: {}",
        error.detail().unwrap_or(&error.to_string())
    )
}

/// Every file a letter is made from: the report's inputs and any template override.
pub fn letter_inputs(root: &Path, report: &ContractMonth<'_>) -> Vec<PathBuf> {
    let mut inputs = report.inputs.clone();
    if root.join(LETTER_OVERRIDE).is_file() {
        inputs.push(PathBuf::from(LETTER_OVERRIDE));
        inputs.sort();
    }
    inputs
}

/// The provenance a letter records, hashing its inputs now.
pub fn provenance(root: &Path, report: &ContractMonth<'_>, command: String) -> Result<Provenance> {
    Provenance::of(root, command, &letter_inputs(root, report)).context("cannot hash the inputs")
}

/// The letter text and companion CSV for `report`.
pub fn render(
    report: &ContractMonth<'_>,
    stage: Stage,
    root: &Path,
    organisation: &crate::workspace::Organisation,
    reissue: Option<&str>,
    provenance: &Provenance,
) -> Result<(String, String)> {
    let source = template_source(root, LETTER_OVERRIDE, BUILT_IN_LETTER)?;
    let env = environment("letter.md", &source)
        .map_err(|e| anyhow::anyhow!(template_error(LETTER_OVERRIDE, &e)))?;
    let ctx = context(report, stage, organisation, reissue, &provenance.comment());
    let text = env
        .get_template("letter.md")
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&ctx))))
        .map_err(|e| anyhow::anyhow!(template_error(LETTER_OVERRIDE, &e)))?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    crate::cmd::challenges::write_csv_header(&mut csv)?;
    for c in report.new_challenges.iter().chain(&report.outstanding) {
        crate::cmd::challenges::write_csv_row(&mut csv, c)?;
    }
    let mut csv = String::from_utf8(csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    csv.push_str(&provenance.csv_trailer());
    Ok((tidy(&text), csv))
}

/// At most one blank line in a row, and one newline at the end.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// What writing a letter did.
pub struct Written {
    pub files: Vec<PathBuf>,
    /// The letter already existed with exactly this content: nothing was written.
    pub unchanged: bool,
    pub letter: PathBuf,
}

/// `letters/<YYYY-MM>-<stage>.md`, relative to the workspace.
pub fn letter_path(report: &ContractMonth<'_>, stage: Stage) -> PathBuf {
    report
        .contract
        .dir
        .join("letters")
        .join(format!("{}-{}.md", report.month, stage.name()))
}

/// Writes the letter and its companion atomically, keeping final letters immutable.
pub fn write(
    report: &ContractMonth<'_>,
    stage: Stage,
    root: &Path,
    organisation: &crate::workspace::Organisation,
    reissue: Option<&str>,
    command: String,
) -> Result<Written> {
    let dir = report.contract.dir.join("letters");
    let final_path = dir.join(format!("{}-final.md", report.month));
    let path = letter_path(report, stage);
    if stage == Stage::Provisional && root.join(&final_path).exists() {
        bail!("the final letter for {} has been issued ({}), so the provisional letter can no longer change", report.month.long_name(), final_path.display());
    }
    let (text, csv) = render(
        report,
        stage,
        root,
        organisation,
        None,
        &provenance(root, report, command.clone())?,
    )?;
    let companion = dir.join(companion_name(report.month, stage));
    if stage == Stage::Final && root.join(&path).exists() {
        let existing = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        if existing == text {
            return Ok(Written {
                files: Vec::new(),
                unchanged: true,
                letter: path,
            });
        }
        let Some(reason) = reissue else {
            bail!(
                "the final letter {} has already been issued and would now read differently; a final letter is never overwritten. To issue a corrected letter, run again with --reissue --reason \"why\" (it is written as the next -rN file)",
                path.display()
            );
        };
        let mut n = 2;
        let reissued = loop {
            let candidate = dir.join(format!("{}-final-r{n}.md", report.month));
            if !root.join(&candidate).exists() {
                break candidate;
            }
            n += 1;
        };
        let (text, csv) = render(
            report,
            stage,
            root,
            organisation,
            Some(reason),
            &provenance(
                root,
                report,
                format!("{command} --reissue --reason {reason:?}"),
            )?,
        )?;
        let reissued_companion = dir.join(format!("{}-final-r{n}-challenges.csv", report.month));
        write_atomic(&root.join(&reissued_companion), csv.as_bytes())?;
        write_atomic(&root.join(&reissued), text.as_bytes())?;
        return Ok(Written {
            files: vec![reissued.clone(), reissued_companion],
            unchanged: false,
            letter: reissued,
        });
    }
    if root.join(&path).exists()
        && std::fs::read_to_string(root.join(&path)).is_ok_and(|t| t == text)
        && root.join(&companion).exists()
    {
        return Ok(Written {
            files: Vec::new(),
            unchanged: true,
            letter: path,
        });
    }
    // The companion first: a letter on disk always has its detail beside it.
    write_atomic(&root.join(&companion), csv.as_bytes())
        .with_context(|| format!("cannot write {}", companion.display()))?;
    write_atomic(&root.join(&path), text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Written {
        files: vec![path.clone(), companion],
        unchanged: false,
        letter: path,
    })
}
