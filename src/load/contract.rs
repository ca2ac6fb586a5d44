//! Reading `contracts/<id>/contract.toml` (§4) into a validated [`Contract`].
//!
//! [`load`] reads the file key by key (unknown keys are errors), parses and type-checks every
//! expression against its dataset's schema, and resolves every reference (dataset, KPI,
//! contact role). All problems are collected, each pointing into contract.toml.

use crate::error::{Problem, Problems};
use crate::expr::{self, CompileEnv, SlotMap, Want};
use crate::load::fields::{content_offset, Doc, Fields};
use crate::load::workspace::read_datasets;
use crate::model::calendar::Month;
use crate::model::contract::*;
use crate::model::money::Money;
use crate::model::schema::{Schema, RETURNS};
use crate::model::settings::Settings;
use crate::model::target::{Op, Target};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

const PERCENTILE_HINT: &str = "p1 to p99";

/// Loads and validates `contracts/<id>/contract.toml`.
pub(crate) fn load(root: &Path, id: &str, settings: &Settings) -> (Option<Contract>, Problems) {
    let dir = Path::new("contracts").join(id);
    let file = dir.join("contract.toml");
    let source = match crate::load::files::read_text(&root.join(&file)) {
        Ok(s) => s,
        Err(e) => {
            let mut problems = Problems::new();
            problems.push(Problem::at_line(
                &file,
                1,
                1,
                format!("cannot read the contract: {e}"),
            ));
            return (None, problems);
        }
    };
    let mut doc = Doc::new(&file, source.clone());
    let table = doc.parse(&source);
    let mut top = Fields::new(&table, 0..0, "contract.toml");
    let contract = read_contract(&mut doc, &mut top, id, &dir, &file, &source, settings);
    top.finish(&mut doc);
    let contract = contract.inspect(|c| validate(&mut doc, c));
    (contract, doc.problems)
}

fn read_contract(
    doc: &mut Doc,
    top: &mut Fields<'_, '_>,
    id: &str,
    dir: &Path,
    file: &Path,
    source: &str,
    settings: &Settings,
) -> Option<Contract> {
    let title = top
        .required_string(doc, "title")
        .map(|s| s.value)
        .unwrap_or_default();
    let reference = top
        .string(doc, "reference")
        .map(|s| s.value)
        .unwrap_or_default();
    let provider = match top.table(doc, "provider") {
        Some(mut p) => {
            let party = Party {
                name: p
                    .required_string(doc, "name")
                    .map(|s| s.value)
                    .unwrap_or_default(),
                code: p.string(doc, "code").map(|s| s.value).unwrap_or_default(),
                address: p
                    .string_list(doc, "address")
                    .map(|l| l.value.into_iter().map(|s| s.value).collect())
                    .unwrap_or_default(),
                reference: p
                    .string(doc, "reference")
                    .map(|s| s.value)
                    .unwrap_or_default(),
            };
            p.finish(doc);
            party
        }
        None => {
            doc.error(0..0, "contract.toml needs `provider = { name = \"…\" }`");
            Party::default()
        }
    };
    let start = top.date(doc, "start");
    let end = top.date(doc, "end");
    if start.is_none() && top.get("start").is_none() {
        doc.error(
            0..0,
            "contract.toml needs `start`, the date the contract starts (e.g. start = 2026-04-01)",
        );
    }
    if end.is_none() && top.get("end").is_none() {
        doc.error(
            0..0,
            "contract.toml needs `end`, the date the contract ends (e.g. end = 2029-03-31)",
        );
    }
    if let (Some(s), Some(e)) = (&start, &end) {
        if e.value < s.value {
            doc.error(e.span.clone(), "the contract ends before it starts");
        }
    }
    let annual_value = top.money(doc, "annual_value").map(|m| m.value);
    if annual_value.is_none() && top.get("annual_value").is_none() {
        doc.error(0..0, "contract.toml needs `annual_value`, the planned value in pounds (e.g. annual_value = \"1200000.00\")");
    }
    let monthly_value = match top.string(doc, "monthly_value") {
        None => MonthlyValue::Planned,
        Some(v) => match v.value.as_str() {
            "planned" => MonthlyValue::Planned,
            "actual" => MonthlyValue::Actual,
            other => {
                doc.error(
                    v.span,
                    format!("unknown monthly_value `{other}`: expected \"planned\" or \"actual\""),
                );
                MonthlyValue::Planned
            }
        },
    };
    let list = |doc: &mut Doc, top: &mut Fields<'_, '_>, key| {
        top.string_list(doc, key)
            .map(|l| l.value.into_iter().map(|s| s.value).collect::<Vec<_>>())
    };
    let commissioners = list(doc, top, "commissioners").unwrap_or_else(|| {
        if settings.organisation.code.is_empty() {
            Vec::new()
        } else {
            vec![settings.organisation.code.clone()]
        }
    });
    let services = list(doc, top, "services").unwrap_or_default();
    let mut lists = BTreeMap::from([
        ("commissioners".to_string(), commissioners),
        ("services".to_string(), services),
    ]);
    if let Some(extra) = top.table(doc, "lists") {
        for (name, value) in extra.entries() {
            let what = format!("the list `{}`", name.value);
            if let toml::de::DeValue::Array(items) = value.get_ref() {
                let items = items
                    .iter()
                    .filter_map(|i| crate::load::fields::as_string(doc, i, &what))
                    .map(|s| s.value)
                    .collect();
                lists.insert(name.value, items);
            } else {
                doc.error(value.span(), format!("{what} must be a list of strings"));
            }
        }
    }

    let mut contacts = BTreeMap::new();
    if let Some(table) = top.table(doc, "contacts") {
        for (role, value) in table.entries() {
            let Some(mut c) =
                crate::load::fields::as_table(doc, value, format!("contact `{}`", role.value))
            else {
                continue;
            };
            let contact = Contact {
                name: c
                    .required_string(doc, "name")
                    .map(|s| s.value)
                    .unwrap_or_default(),
                title: c.string(doc, "title").map(|s| s.value).unwrap_or_default(),
                email: c.string(doc, "email").map(|s| s.value).unwrap_or_default(),
                salutation: c.string(doc, "salutation").map(|s| s.value),
                cc: c.bool(doc, "cc").unwrap_or(false),
            };
            c.string(doc, "phone");
            c.finish(doc);
            contacts.insert(role.value, contact);
        }
    }

    let mut datasets = settings.datasets.clone();
    if let Some(table) = top.table(doc, "datasets") {
        read_datasets(doc, table, &mut datasets);
    }
    datasets.insert(RETURNS.to_string(), Schema::returns());

    let mut monthly_cap = None;
    let mut annual_cap = None;
    if let Some(mut caps) = top.table(doc, "consequences") {
        monthly_cap = read_cap(doc, &mut caps, "cap");
        annual_cap = read_cap(doc, &mut caps, "annual_cap");
        caps.finish(doc);
    }

    let ctx = ExprContext { source };
    let kpis: Vec<Kpi> = top
        .tables(doc, "kpi")
        .into_iter()
        .filter_map(|t| read_kpi(doc, t, &ctx))
        .collect();
    let information = top
        .tables(doc, "information")
        .into_iter()
        .filter_map(|mut t| {
            let dataset = t.required_string(doc, "dataset");
            let due = match t.string(doc, "due") {
                None => Some(Due::Flex),
                Some(d) => Due::parse(&d.value).or_else(|| {
                    doc.error(d.span.clone(), format!("unknown due `{}`: expected \"flex\", \"freeze\" or \"wd N\" (working day N after month end, N at most {MAX_WORKING_DAYS})", d.value));
                    None
                }),
            };
            let consequence = t.table(doc, "consequence").and_then(|c| read_consequence(doc, c));
            let span = t.finish(doc);
            Some(Information { dataset: dataset?.value, due: due?, consequence, span })
        })
        .collect();
    let mut challenges: Vec<ChallengeRule> = top
        .tables(doc, "challenge")
        .into_iter()
        .enumerate()
        .filter_map(|(position, t)| read_challenge(doc, t, &ctx, position as u32 + 1))
        .collect();
    // A row two rules select is challenged by the first in this order (§4.6).
    challenges.sort_by_key(|r| (r.precedence, !r.explicit_precedence));
    let escalation = top
        .tables(doc, "escalation")
        .into_iter()
        .filter_map(|t| read_escalation(doc, t))
        .collect();
    let gc9 = top
        .table(doc, "gc9")
        .map_or_else(Default::default, |t| read_gc9(doc, t));
    let escalate_on = match top.string(doc, "escalate_on") {
        None => EscalateOn::Failing,
        Some(v) => match v.value.as_str() {
            "failing" => EscalateOn::Failing,
            "red" => EscalateOn::Red,
            other => {
                doc.error(
                    v.span,
                    format!("unknown escalate_on `{other}`: expected \"failing\" (red or amber, the default) or \"red\""),
                );
                EscalateOn::Failing
            }
        },
    };
    let variations = top
        .tables(doc, "variation")
        .into_iter()
        .filter_map(|mut t| {
            let effective = t.date(doc, "effective");
            if effective.is_none() && t.get("effective").is_none() {
                doc.error(
                    t.span(),
                    "[[variation]] needs `effective`, the date it applies from",
                );
            }
            let kpi = t.required_string(doc, "kpi");
            let target = read_target(doc, &mut t, "target");
            let amber = read_target(doc, &mut t, "amber");
            let consequence = t
                .table(doc, "consequence")
                .and_then(|c| read_consequence(doc, c));
            let reason = t.string(doc, "reason").map(|s| s.value).unwrap_or_default();
            let span = t.finish(doc);
            Some(Variation {
                effective: effective?.value,
                kpi: kpi?.value,
                target,
                amber,
                consequence,
                reason,
                span,
            })
        })
        .collect();
    let reliefs = top
        .tables(doc, "relief")
        .into_iter()
        .filter_map(|mut t| {
            let kpi = t.required_string(doc, "kpi");
            let months = t.string_list(doc, "months").map(|l| {
                l.value
                    .into_iter()
                    .filter_map(|m| match m.value.parse::<Month>() {
                        Ok(month) => Some(month),
                        Err(e) => {
                            doc.error(m.span, e);
                            None
                        }
                    })
                    .collect()
            });
            if months.is_none() && t.get("months").is_none() {
                doc.error(t.span(), "[[relief]] needs `months`, such as [\"2026-12\"]");
            }
            let reason = t.string(doc, "reason").map(|s| s.value).unwrap_or_default();
            let span = t.finish(doc);
            Some(Relief {
                kpi: kpi?.value,
                months: months?,
                reason,
                span,
            })
        })
        .collect();
    let rebases = top
        .tables(doc, "rebase")
        .into_iter()
        .filter_map(|mut t| {
            let kpi = t.required_string(doc, "kpi");
            let from =
                t.required_string(doc, "from")
                    .and_then(|f| match f.value.parse::<Month>() {
                        Ok(m) => Some(m),
                        Err(e) => {
                            doc.error(f.span, e);
                            None
                        }
                    });
            let reason = t.required_string(doc, "reason").map(|s| s.value);
            let span = t.finish(doc);
            Some(Rebase {
                kpi: kpi?.value,
                from: from?,
                reason: reason?,
                span,
            })
        })
        .collect();

    Some(Contract {
        id: id.to_string(),
        dir: dir.to_path_buf(),
        file: file.to_path_buf(),
        source: source.to_string(),
        title,
        reference,
        provider,
        // A missing required field is already an error (so the contract is never used for
        // figures); the placeholder lets the remaining checks run and report everything at once.
        start: start.map_or(NaiveDate::MIN, |s| s.value),
        end: end.map_or(NaiveDate::MAX, |e| e.value),
        annual_value: annual_value.unwrap_or(Money::ZERO),
        monthly_value,
        lists,
        contacts,
        kpis,
        monthly_cap,
        annual_cap,
        information,
        challenges,
        escalation,
        escalate_on,
        gc9,
        variations,
        reliefs,
        rebases,
        datasets,
    })
}

struct ExprContext<'s> {
    source: &'s str,
}

fn read_expr(
    doc: &mut Doc,
    fields: &mut Fields<'_, '_>,
    key: &'static str,
    ctx: &ExprContext<'_>,
) -> Option<ExprText> {
    let text = fields.string(doc, key)?;
    let offset = content_offset(ctx.source, &text.span, &text.value);
    match expr::parse(&text.value) {
        Ok(parsed) => Some(ExprText {
            text: text.value,
            expr: parsed,
            span: text.span,
            offset,
        }),
        Err(error) => {
            let span = match offset {
                Some(o) => o + error.span.start..o + error.span.end,
                None => text.span,
            };
            doc.error(span, format!("in `{key}`: {}", error.message));
            None
        }
    }
}

fn read_target(doc: &mut Doc, fields: &mut Fields<'_, '_>, key: &'static str) -> Option<Target> {
    let text = fields.string(doc, key)?;
    match Target::parse(&text.value) {
        Ok(t) => Some(t),
        Err(message) => {
            doc.error(text.span, format!("`{key}`: {message}"));
            None
        }
    }
}

fn read_cap(doc: &mut Doc, fields: &mut Fields<'_, '_>, key: &'static str) -> Option<Cap> {
    let value = fields.get(key)?;
    let text = crate::load::fields::as_string(doc, value, &format!("`{key}`"))?;
    if text.value.trim().ends_with('%') {
        match crate::model::money::parse_percent(&text.value) {
            Ok(p) if p < Decimal::ZERO || p > Decimal::ONE => {
                doc.error(
                    text.span,
                    format!(
                        "`{key}` must be a percentage from 0% to 100%, found `{}`",
                        text.value
                    ),
                );
                None
            }
            Ok(p) => Some(Cap::Percent(p)),
            Err(e) => {
                doc.error(text.span, e);
                None
            }
        }
    } else {
        match crate::model::money::parse_money(&text.value) {
            Ok(m)
                if m.is_negative()
                    || m.amount() > Decimal::from(crate::load::fields::MAX_MONEY) =>
            {
                doc.error(
                    text.span,
                    format!(
                        "`{key}` must be a sum from £0 to £1,000,000,000,000, found `{}`",
                        text.value
                    ),
                );
                None
            }
            Ok(m) => Some(Cap::Amount(m)),
            Err(_) => {
                doc.error(text.span, format!("`{key}` must be a percentage of the value (\"2.5%\") or a sum of money (\"50000.00\"), found `{}`", text.value));
                None
            }
        }
    }
}

fn read_kpi(doc: &mut Doc, mut t: Fields<'_, '_>, ctx: &ExprContext<'_>) -> Option<Kpi> {
    let id = t.required_string(doc, "id");
    if let Some(id) = &id {
        if !crate::load::workspace::valid_contract_id(&id.value) {
            doc.error(
                id.span.clone(),
                format!(
                    "`{}` is not a valid KPI id: expected lower-case letters, digits and hyphens",
                    id.value
                ),
            );
        }
    }
    let name = t.string(doc, "name").map(|s| s.value);
    let group = t
        .string(doc, "group")
        .map_or_else(|| "local".to_string(), |s| s.value);
    let dataset = t
        .string(doc, "from")
        .map_or_else(|| "activity".to_string(), |s| s.value);
    let filter = read_expr(doc, &mut t, "where", ctx);
    let numerator = read_expr(doc, &mut t, "numerator", ctx);
    let denominator = read_expr(doc, &mut t, "denominator", ctx);
    let by = read_expr(doc, &mut t, "by", ctx);
    let count = read_expr(doc, &mut t, "count", ctx);
    let mut aggregates: Vec<(Aggregate, ExprText)> = Vec::new();
    for (aggregate, key) in [
        (Aggregate::Sum, "sum"),
        (Aggregate::Mean, "mean"),
        (Aggregate::Median, "median"),
    ] {
        if let Some(e) = read_expr(doc, &mut t, key, ctx) {
            aggregates.push((aggregate, e));
        }
    }
    let percentile_keys: Vec<(String, Range<usize>)> = t
        .entries()
        .filter(|(k, _)| {
            k.value.len() >= 2
                && k.value.starts_with('p')
                && k.value[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(|(k, _)| (k.value, k.span))
        .collect();
    for (key, key_span) in percentile_keys {
        t.mark_used(&key);
        let p: u32 = key[1..].parse().unwrap_or(0);
        if !(1..=99).contains(&p) {
            doc.error(
                key_span,
                format!("`{key}` is not a percentile: expected {PERCENTILE_HINT}"),
            );
            continue;
        }
        // `Fields` reads keys by static name; percentiles are few, so they are named in a table.
        if let Some(e) = read_expr(doc, &mut t, PERCENTILE_KEYS[p as usize], ctx) {
            aggregates.push((Aggregate::Percentile(p as u8), e));
        }
    }
    let target = read_target(doc, &mut t, "target");
    let amber = read_target(doc, &mut t, "amber");
    let consequence = t
        .table(doc, "consequence")
        .and_then(|c| read_consequence(doc, c));
    let escalate = t.bool(doc, "escalate");
    let screen_outliers = t.bool(doc, "screen_outliers").unwrap_or(true);
    t.string(doc, "description");

    // Count the forms written, not the ones that parsed: an expression that failed to parse is
    // already an error, and must not also read as "no measure".
    let written = |t: &mut Fields<'_, '_>, key| t.get(key).is_some();
    let written_percentiles = t
        .entries()
        .filter(|(k, _)| {
            k.value.len() >= 2
                && k.value.starts_with('p')
                && k.value[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .count();
    let forms = usize::from(written(&mut t, "numerator"))
        + usize::from(written(&mut t, "count"))
        + ["sum", "mean", "median"]
            .iter()
            .filter(|k| written(&mut t, k))
            .count()
        + written_percentiles
        + usize::from(dataset == RETURNS);
    let parsed = usize::from(numerator.is_some())
        + usize::from(count.is_some())
        + aggregates.len()
        + usize::from(dataset == RETURNS);
    let span = t.finish(doc);
    let id = id?;
    if forms == 1 && parsed == 0 {
        return None;
    }
    let measure = if forms != 1 {
        doc.error(
            id.span.clone(),
            if forms == 0 {
                format!("KPI `{}` has no measure: give `numerator` (with `where` or `denominator`), `count`, `sum`, `mean`, `median`, a percentile such as `p90`, or from = \"returns\"", id.value)
            } else {
                format!("KPI `{}` has more than one measure form: give exactly one of `numerator`, `count`, `sum`, `mean`, `median`, `pNN`, or from = \"returns\"", id.value)
            },
        );
        None
    } else if dataset == RETURNS {
        for (present, key) in [
            (filter.is_some(), "where"),
            (denominator.is_some(), "denominator"),
            (by.is_some(), "by"),
        ] {
            if present {
                doc.error(span.of(key), format!("KPI `{}` comes from provider returns, so it takes no `where`, `denominator` or `by`", id.value));
            }
        }
        Some(Measure::Returned)
    } else if let Some(numerator) = numerator {
        Some(Measure::Ratio {
            filter,
            numerator,
            denominator,
            by,
        })
    } else if let Some(condition) = count {
        for (present, key) in [
            (filter.is_some(), "where"),
            (denominator.is_some(), "denominator"),
            (by.is_some(), "by"),
        ] {
            if present {
                doc.error(span.of(key), format!("KPI `{}` is a count: write its whole condition in `count` rather than `{key}`", id.value));
            }
        }
        Some(Measure::Count { condition })
    } else {
        let (aggregate, value) = aggregates.pop()?;
        for (present, key) in [(denominator.is_some(), "denominator"), (by.is_some(), "by")] {
            if present {
                doc.error(
                    span.of(key),
                    format!(
                        "KPI `{}` is a {}: `denominator` and `by` belong to ratios",
                        id.value,
                        aggregate.name()
                    ),
                );
            }
        }
        Some(Measure::Aggregate {
            aggregate,
            value,
            filter,
        })
    };
    Some(Kpi {
        name: name.unwrap_or_else(|| id.value.clone()),
        id: id.value,
        group,
        dataset,
        measure: measure?,
        target,
        amber,
        // Incentives reward; they do not climb the ladder unless the contract says so.
        escalate: escalate.unwrap_or(
            !consequence
                .as_ref()
                .is_some_and(|c| matches!(c.form, ConsequenceForm::Incentive { .. })),
        ),
        consequence,
        screen_outliers,
        span,
    })
}

/// Static key names p0..p99, so percentile keys can be read like any other key.
const PERCENTILE_KEYS: [&str; 100] = [
    "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14",
    "p15", "p16", "p17", "p18", "p19", "p20", "p21", "p22", "p23", "p24", "p25", "p26", "p27",
    "p28", "p29", "p30", "p31", "p32", "p33", "p34", "p35", "p36", "p37", "p38", "p39", "p40",
    "p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48", "p49", "p50", "p51", "p52", "p53",
    "p54", "p55", "p56", "p57", "p58", "p59", "p60", "p61", "p62", "p63", "p64", "p65", "p66",
    "p67", "p68", "p69", "p70", "p71", "p72", "p73", "p74", "p75", "p76", "p77", "p78", "p79",
    "p80", "p81", "p82", "p83", "p84", "p85", "p86", "p87", "p88", "p89", "p90", "p91", "p92",
    "p93", "p94", "p95", "p96", "p97", "p98", "p99",
];

fn read_consequence(doc: &mut Doc, mut c: Fields<'_, '_>) -> Option<Consequence> {
    let span = c.span();
    let per_excess = c.money(doc, "per_excess");
    let fixed = c.money(doc, "fixed");
    let percent = c.percent(doc, "percent_of_monthly_value");
    let earn = c.percent(doc, "earn");
    let floor = c.percent(doc, "floor");
    let ceiling = c.percent(doc, "ceiling");
    let mode = match c.string(doc, "mode") {
        None => Mode::Deduct,
        Some(m) => match m.value.as_str() {
            "deduct" => Mode::Deduct,
            "withhold" => Mode::Withhold,
            other => {
                doc.error(
                    m.span,
                    format!("unknown mode `{other}`: expected \"deduct\" or \"withhold\""),
                );
                Mode::Deduct
            }
        },
    };
    let after = c.whole_number(doc, "after").map_or(1, |a| a.value.max(1));
    let suspended = c.bool(doc, "suspended").unwrap_or(false);
    // Count the forms written, not those that read well: a bad amount is already an error,
    // and must not also read as "no form".
    let written = ["per_excess", "fixed", "percent_of_monthly_value", "earn"]
        .iter()
        .filter(|key| c.get(key).is_some())
        .count();
    let spans = c.finish(doc);
    if written != 1 {
        doc.error(span, "a consequence needs exactly one of `per_excess`, `fixed`, `percent_of_monthly_value` or `earn`");
        return None;
    }
    if [
        &per_excess.is_some(),
        &fixed.is_some(),
        &percent.is_some(),
        &earn.is_some(),
    ]
    .iter()
    .all(|f| !**f)
    {
        return None;
    }
    // A bound the form does not use would be silently ignored: refuse it instead.
    if earn.is_none() {
        if let Some(ceiling) = &ceiling {
            doc.error(
                ceiling.span.clone(),
                "`ceiling` belongs to incentives (`earn`)",
            );
        }
        if per_excess.is_none() {
            if let Some(floor) = &floor {
                doc.error(
                    floor.span.clone(),
                    "`floor` belongs to `per_excess` (the level below which every failure is charged) and to incentives (`earn`)",
                );
            }
        }
    }
    let form = if let Some(rate) = per_excess {
        ConsequenceForm::PerExcess {
            rate: rate.value,
            floor: floor.map(|f| f.value),
        }
    } else if let Some(amount) = fixed {
        ConsequenceForm::Fixed(amount.value)
    } else if let Some(p) = percent {
        ConsequenceForm::PercentOfMonthlyValue(p.value)
    } else {
        let earn = earn?;
        let floor = floor.map_or(Decimal::ZERO, |f| f.value);
        let ceiling = ceiling.map_or(Decimal::ONE, |c| c.value);
        if ceiling <= floor {
            doc.error(
                earn.span.clone(),
                "an incentive's `ceiling` must be above its `floor`",
            );
        }
        ConsequenceForm::Incentive {
            earn: earn.value,
            floor,
            ceiling,
        }
    };
    Some(Consequence {
        form,
        mode,
        after,
        suspended,
        span: spans,
    })
}

fn read_challenge(
    doc: &mut Doc,
    mut t: Fields<'_, '_>,
    ctx: &ExprContext<'_>,
    position: u32,
) -> Option<ChallengeRule> {
    let id = t.required_string(doc, "id");
    let name = t.string(doc, "name").map(|s| s.value);
    let explicit = t.whole_number(doc, "precedence");
    let explicit_precedence = explicit.is_some();
    let precedence = explicit.map_or(position, |p| p.value);
    let dataset = t
        .string(doc, "from")
        .map_or_else(|| "activity".to_string(), |s| s.value);
    let filter = read_expr(doc, &mut t, "where", ctx);
    let duplicate_of = t.string_list(doc, "duplicate_of");
    let t_has_ratio_cap = t.get("ratio_cap").is_some();
    let ratio_cap = t.table(doc, "ratio_cap").and_then(|mut r| {
        let numerator = read_expr(doc, &mut r, "numerator", ctx);
        let denominator = read_expr(doc, &mut r, "denominator", ctx);
        let by = read_expr(doc, &mut r, "by", ctx);
        let max = r.decimal(doc, "max");
        for (present, key) in [
            (numerator.is_some(), "numerator"),
            (denominator.is_some(), "denominator"),
            (by.is_some(), "by"),
            (max.is_some(), "max"),
        ] {
            if !present && r.get(key).is_none() {
                doc.error(r.span(), format!("ratio_cap needs `{key}`"));
            }
        }
        r.finish(doc);
        Some(ChallengeForm::RatioCap {
            numerator: numerator?,
            denominator: denominator?,
            by: by?,
            max: max?.value,
        })
    });
    let span = t.finish(doc);
    let id = id?;
    if !crate::load::workspace::valid_contract_id(&id.value) {
        doc.error(id.span.clone(), format!("`{}` is not a valid rule id: expected lower-case letters, digits and hyphens (it becomes part of challenge ids)", id.value));
    }
    let (form, filter) = match (duplicate_of, ratio_cap) {
        (Some(_), Some(_)) => {
            doc.error(
                id.span,
                "a challenge rule has one form: `where`, `duplicate_of` or `ratio_cap`",
            );
            return None;
        }
        (Some(keys), None) => {
            if keys.value.is_empty() {
                doc.error(keys.span, "`duplicate_of` needs at least one column");
            }
            (
                ChallengeForm::DuplicateOf(keys.value.into_iter().map(|k| k.value).collect()),
                filter,
            )
        }
        (None, Some(form)) => (form, filter),
        // A `ratio_cap` that did not read well is already an error.
        (None, None) if t_has_ratio_cap => return None,
        (None, None) => match filter {
            Some(condition) => (ChallengeForm::Where(condition), None),
            None => {
                doc.error(id.span, format!("challenge rule `{}` selects nothing: give `where`, `duplicate_of` or `ratio_cap`", id.value));
                return None;
            }
        },
    };
    Some(ChallengeRule {
        name: name.unwrap_or_else(|| id.value.clone()),
        precedence,
        explicit_precedence,
        id: id.value,
        dataset,
        filter,
        form,
        span,
    })
}

/// `[gc9]`: each key defaults as the spec says (§4.9).
fn read_gc9(doc: &mut Doc, mut t: Fields<'_, '_>) -> crate::model::case::Gc9Settings {
    let defaults = crate::model::case::Gc9Settings::default();
    let mut days = |doc: &mut Doc, key: &'static str, default: u32| match t.string(doc, key) {
        None => default,
        Some(d) => match Due::parse(&d.value) {
            Some(Due::WorkingDay(n)) => n,
            _ => {
                doc.error(
                    d.span,
                    format!("`{}`: expected \"wd N\", N operational (working) days (at most {MAX_WORKING_DAYS})", d.value),
                );
                default
            }
        },
    };
    let meeting_within = days(doc, "meeting_within", defaults.meeting_within);
    let investigation_within = days(doc, "investigation_within", defaults.investigation_within);
    let rap_within = days(doc, "rap_within", defaults.rap_within);
    let withhold_no_rap = t
        .percent(doc, "withhold_no_rap")
        .map_or(defaults.withhold_no_rap, |p| p.value);
    let withhold_missed_milestone = t
        .percent(doc, "withhold_missed_milestone")
        .map_or(defaults.withhold_missed_milestone, |p| p.value);
    let retain_after = t
        .whole_number(doc, "retain_after")
        .map_or(defaults.retain_after, |n| n.value);
    t.finish(doc);
    crate::model::case::Gc9Settings {
        meeting_within,
        investigation_within,
        rap_within,
        withhold_no_rap,
        withhold_missed_milestone,
        retain_after,
    }
}

fn read_escalation(doc: &mut Doc, mut t: Fields<'_, '_>) -> Option<EscalationStep> {
    let step = t.required_string(doc, "step");
    let when = t.required_string(doc, "when");
    let owner = t.required_string(doc, "owner");
    let meeting = t.string(doc, "meeting").map(|s| s.value);
    let due = t.string(doc, "due");
    let consequence = t
        .table(doc, "consequence")
        .and_then(|c| read_consequence(doc, c));
    let notice = t.bool(doc, "notice").unwrap_or(false);
    let span = t.finish(doc);
    let run_months = when.as_ref().and_then(|w| {
        let n = w
            .value
            .trim()
            .strip_prefix("red")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| *n >= 1);
        if n.is_none() {
            doc.error(
                w.span.clone(),
                format!(
                    "unknown trigger `{}`: expected \"red N\", red in N consecutive months",
                    w.value
                ),
            );
        }
        n
    });
    let owner_role = owner.as_ref().and_then(|o| {
        let role = o.value.strip_prefix("contacts.").map(str::to_string);
        if role.is_none() {
            doc.error(
                o.span.clone(),
                format!(
                    "`{}`: expected a contact such as \"contacts.commissioner_lead\"",
                    o.value
                ),
            );
        }
        role
    });
    let due_working_days = match due {
        None => 10,
        Some(d) => match Due::parse(&d.value) {
            Some(Due::WorkingDay(n)) => n,
            _ => {
                doc.error(
                    d.span,
                    format!(
                        "`{}`: expected \"wd N\", N working days after the provisional letter (at most {MAX_WORKING_DAYS})",
                        d.value
                    ),
                );
                10
            }
        },
    };
    Some(EscalationStep {
        step: step?.value,
        run_months: run_months?,
        owner_role: owner_role?,
        meeting,
        due_working_days,
        consequence,
        notice,
        span,
    })
}

/// Cross-checks: references resolve, expressions type-check, forms fit their targets.
fn validate(doc: &mut Doc, contract: &Contract) {
    let mut seen = Vec::new();
    for kpi in &contract.kpis {
        if seen.contains(&kpi.id.as_str()) {
            doc.error(
                kpi.span.of("id"),
                format!("KPI id `{}` is used twice", kpi.id),
            );
        }
        seen.push(kpi.id.as_str());
        let Some(schema) = dataset_or_error(doc, contract, &kpi.dataset, kpi.span.of("from"))
        else {
            continue;
        };
        let mut slots = SlotMap::default();
        let mut env = CompileEnv {
            schema,
            lists: &contract.lists,
            slots: &mut slots,
        };
        match &kpi.measure {
            Measure::Ratio {
                filter,
                numerator,
                denominator,
                by,
            } => {
                check_expr(doc, &mut env, filter.as_ref(), Some(Want::Condition));
                check_expr(doc, &mut env, Some(numerator), Some(Want::Condition));
                check_expr(doc, &mut env, denominator.as_ref(), Some(Want::Condition));
                check_expr(doc, &mut env, by.as_ref(), None);
                check_no_nhs_number(doc, schema, by.as_ref());
            }
            Measure::Count { condition } => {
                check_expr(doc, &mut env, Some(condition), Some(Want::Condition))
            }
            Measure::Aggregate { value, filter, .. } => {
                check_expr(doc, &mut env, filter.as_ref(), Some(Want::Condition));
                check_expr(doc, &mut env, Some(value), Some(Want::Number));
            }
            Measure::Returned => {}
        }
        for (key, target) in [("target", &kpi.target), ("amber", &kpi.amber)] {
            let Some(target) = target else { continue };
            if target.percent && matches!(kpi.measure, Measure::Count { .. }) {
                doc.error(
                    kpi.span.of(key),
                    format!(
                        "KPI `{}` is a count, so its target cannot be a percentage (`{}`)",
                        kpi.id, target.text
                    ),
                );
            }
        }
        if kpi.amber.is_some() && kpi.target.is_none() {
            doc.error(
                kpi.span.of("amber"),
                format!("KPI `{}` has an `amber` band but no `target`", kpi.id),
            );
        }
        check_consequence(doc, kpi, kpi.target.as_ref(), kpi.consequence.as_ref());
    }
    for v in &contract.variations {
        match contract.kpi(&v.kpi) {
            None => doc.error(
                v.span.of("kpi"),
                unknown_kpi(contract, &v.kpi, "[[variation]]"),
            ),
            Some(kpi) => check_consequence(
                doc,
                kpi,
                v.target.as_ref().or(kpi.target.as_ref()),
                v.consequence.as_ref(),
            ),
        }
    }
    for r in &contract.reliefs {
        if contract.kpi(&r.kpi).is_none() {
            doc.error(
                r.span.of("kpi"),
                unknown_kpi(contract, &r.kpi, "[[relief]]"),
            );
        }
    }
    let (first, last) = contract.months();
    for r in &contract.rebases {
        if contract.kpi(&r.kpi).is_none() {
            doc.error(
                r.span.of("kpi"),
                unknown_kpi(contract, &r.kpi, "[[rebase]]"),
            );
        }
        if r.from <= first || r.from > last {
            doc.error(
                r.span.of("from"),
                format!(
                    "[[rebase]] `from = \"{}\"` must be a month after the contract's first ({first}) and no later than its last ({last}): a segment starting at the first month is the contract's own",
                    r.from
                ),
            );
        }
        if r.reason.trim().is_empty() {
            doc.error(
                r.span.of("reason"),
                "[[rebase]] needs a `reason`: the chart shows why the process changed",
            );
        }
    }
    for info in &contract.information {
        if !contract.datasets.contains_key(&info.dataset) {
            doc.error(
                info.span.of("dataset"),
                format!(
                    "[[information]] names unknown dataset `{}`: expected one of {}",
                    info.dataset,
                    dataset_names(contract)
                ),
            );
        }
    }
    for dataset in contract.datasets.keys() {
        let rules: Vec<&ChallengeRule> = contract
            .challenges
            .iter()
            .filter(|r| r.dataset == *dataset)
            .collect();
        if let Some(extra) = rules.get(crate::pass::rules::MAX_RULES_PER_DATASET) {
            doc.error(
                extra.span.table(),
                format!(
                    "dataset `{dataset}` has more than {} challenge rules",
                    crate::pass::rules::MAX_RULES_PER_DATASET
                ),
            );
        }
    }
    let mut rule_ids = Vec::new();
    for rule in &contract.challenges {
        if rule_ids.contains(&rule.id.as_str()) {
            doc.error(
                rule.span.of("id"),
                format!("challenge rule id `{}` is used twice", rule.id),
            );
        }
        rule_ids.push(rule.id.as_str());
        let Some(schema) = dataset_or_error(doc, contract, &rule.dataset, rule.span.of("from"))
        else {
            continue;
        };
        if schema.key.is_none() {
            doc.error(rule.span.of("from"), format!("challenge rule `{}` reads dataset `{}`, which has no `key` column to cite records by", rule.id, schema.name));
        }
        if schema.value.is_none() {
            doc.error(rule.span.of("from"), format!("challenge rule `{}` reads dataset `{}`, which has no `value` (money) column to value challenges", rule.id, schema.name));
        }
        let mut slots = SlotMap::default();
        let mut env = CompileEnv {
            schema,
            lists: &contract.lists,
            slots: &mut slots,
        };
        check_expr(doc, &mut env, rule.filter.as_ref(), Some(Want::Condition));
        match &rule.form {
            ChallengeForm::Where(condition) => {
                check_expr(doc, &mut env, Some(condition), Some(Want::Condition))
            }
            ChallengeForm::DuplicateOf(columns) => {
                for column in columns {
                    if schema.column(column).is_none() {
                        doc.error(rule.span.of("duplicate_of"), format!("challenge rule `{}`: duplicate_of names unknown column `{column}` of dataset `{}`", rule.id, schema.name));
                    }
                }
            }
            ChallengeForm::RatioCap {
                numerator,
                denominator,
                by,
                max,
            } => {
                check_expr(doc, &mut env, Some(numerator), Some(Want::Condition));
                check_expr(doc, &mut env, Some(denominator), Some(Want::Condition));
                check_expr(doc, &mut env, Some(by), None);
                check_no_nhs_number(doc, schema, Some(by));
                if max.is_sign_negative() {
                    doc.error(
                        rule.span.of("max"),
                        format!(
                            "challenge rule `{}`: ratio_cap max must not be negative",
                            rule.id
                        ),
                    );
                }
            }
        }
    }
    for step in &contract.escalation {
        if !contract.contacts.contains_key(&step.owner_role) {
            let roles: Vec<&str> = contract.contacts.keys().map(String::as_str).collect();
            doc.error(
                step.span.of("owner"),
                format!(
                    "escalation step `{}` is owned by `contacts.{}`, which is not in [contacts]: expected one of {}",
                    step.step,
                    step.owner_role,
                    if roles.is_empty() { "(no contacts defined)".to_string() } else { roles.iter().map(|r| format!("contacts.{r}")).collect::<Vec<_>>().join(", ") }
                ),
            );
        }
    }
    let ladder: Vec<u32> = contract.escalation.iter().map(|s| s.run_months).collect();
    if let Some(i) = ladder.windows(2).position(|w| w[0] >= w[1]) {
        doc.error(contract.escalation[i + 1].span.of("when"), "the escalation ladder must list its steps lowest first, each needing a longer run of failing months than the one before");
    }
}

fn dataset_or_error<'c>(
    doc: &mut Doc,
    contract: &'c Contract,
    name: &str,
    span: Range<usize>,
) -> Option<&'c Schema> {
    let schema = contract.datasets.get(name);
    if schema.is_none() {
        doc.error(span, format!("unknown dataset `{name}`: expected one of {} (define others under [datasets.<name>] in levers.toml)", dataset_names(contract)));
    }
    schema
}

fn dataset_names(contract: &Contract) -> String {
    contract
        .datasets
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_kpi(contract: &Contract, id: &str, what: &str) -> String {
    let ids: Vec<&str> = contract.kpis.iter().map(|k| k.id.as_str()).collect();
    let hint = crate::error::closest(id, &ids)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    format!(
        "{what} names unknown KPI `{id}`: {hint}expected one of {}",
        ids.join(", ")
    )
}

/// A `by` grouping becomes the record that letters and spreadsheets cite: it must not read an
/// NHS number, whatever the function around it.
fn check_no_nhs_number(doc: &mut Doc, schema: &Schema, by: Option<&ExprText>) {
    let Some(by) = by else { return };
    for column in by.expr.columns() {
        if schema
            .column(column)
            .is_some_and(|c| c.ty == crate::model::schema::ColumnType::NhsNumber)
        {
            doc.error(
                by.span.clone(),
                format!("`by` reads `{column}`, which holds NHS numbers: each group's key appears in letters and spreadsheets, and no NHS number may; group by something else"),
            );
        }
    }
}

fn check_expr(
    doc: &mut Doc,
    env: &mut CompileEnv<'_>,
    text: Option<&ExprText>,
    want: Option<Want>,
) {
    let Some(text) = text else { return };
    if let Err(error) = expr::compile(&text.expr, env, want) {
        doc.error(text.file_span(&error), error.message);
    }
}

fn check_consequence(
    doc: &mut Doc,
    kpi: &Kpi,
    target: Option<&Target>,
    consequence: Option<&Consequence>,
) {
    let Some(consequence) = consequence else {
        return;
    };
    if target.is_none() {
        doc.error(
            consequence.span.table(),
            format!("KPI `{}` has a consequence but no target to fail", kpi.id),
        );
        return;
    }
    let target = target.expect("checked");
    match &consequence.form {
        ConsequenceForm::PerExcess { floor, .. } => {
            if matches!(
                kpi.measure,
                Measure::Aggregate {
                    aggregate: Aggregate::Mean | Aggregate::Median | Aggregate::Percentile(_),
                    ..
                }
            ) {
                doc.error(consequence.span.of("per_excess"), format!("KPI `{}`: per_excess needs a count of service users, which a mean, median or percentile does not give", kpi.id));
            }
            if floor.is_some()
                && !(kpi.measure.is_ratio()
                    && target.percent
                    && matches!(target.op, Op::Ge | Op::Gt))
            {
                doc.error(consequence.span.of("floor"), format!("KPI `{}`: a per_excess `floor` applies to `>=` percentage targets on ratios", kpi.id));
            }
        }
        ConsequenceForm::Incentive { .. } => {
            if !target.percent {
                doc.error(consequence.span.of("earn"), format!("KPI `{}`: an incentive pays on achievement, so its target must be a percentage", kpi.id));
            }
        }
        ConsequenceForm::Fixed(_) | ConsequenceForm::PercentOfMonthlyValue(_) => {}
    }
}
