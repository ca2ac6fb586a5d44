//! The board pack (§5.4): one self-contained HTML page (inline CSS and SVG, no scripts, no
//! external requests) for a board or contract meeting: the portfolio summary, then a page per
//! contract with its KPIs laid out as the summary matrix of an Integrated Performance Report
//! (variation by assurance), the KPI table with its icons, the charts, the data challenges,
//! the open GC9 cases and the overdue actions. Printable on A4, a page a contract.
//!
//! Accessible by construction: one `h1`, then `h2` and `h3` in order; every table has a caption
//! and header cells with scope; every chart and icon carries a text alternative; text is dark
//! grey on white or white on dark blue (contrast above 7:1).

use crate::model::money::Money;
use crate::render::chart;
use crate::results::actions::Action;
use crate::results::kpi::KpiResult;
use crate::results::month::ContractMonth;
use crate::results::spc::{Assurance, Signal};
use crate::results::status::StatusRow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One contract's part of the pack.
pub(crate) struct ContractPage<'a, 'w> {
    pub status: &'a StatusRow,
    pub report: &'a ContractMonth<'w>,
    pub overdue_actions: Vec<&'a Action>,
}

use crate::render::text::markup as h;

const STYLE: &str = r#"
body { font-family: Arial, Helvetica, sans-serif; color: #231f20; background: #ffffff; margin: 0 auto; max-width: 190mm; padding: 8mm; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 4pt; color: #003087; }
h2 { font-size: 15pt; margin: 14pt 0 4pt; color: #003087; border-bottom: 2px solid #003087; padding-bottom: 2pt; }
h3 { font-size: 12pt; margin: 12pt 0 4pt; }
p.meta { margin: 0 0 8pt; color: #425563; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 9.5pt; table-layout: fixed; }
caption { text-align: left; font-weight: bold; padding: 2pt 0; }
th, td { border: 1px solid #aeb7bd; padding: 3pt 4pt; vertical-align: top; text-align: left; overflow-wrap: break-word; }
thead th { background: #003087; color: #ffffff; }
td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
.money { white-space: nowrap; }
h2, h3 { break-after: avoid; }
table.matrix ul { margin: 0; padding-left: 1.1em; }
p.key { font-size: 9pt; color: #425563; }
td.icons { white-space: nowrap; }
td.icons svg { width: 26px; height: 26px; vertical-align: middle; }
table.matrix td { height: 3em; }
table.matrix th[scope=row] { background: #e8edee; width: 22%; }
.rag-red { font-weight: bold; color: #8a1538; }
.rag-amber { font-weight: bold; color: #7a4b00; }
.rag-green { font-weight: bold; color: #006747; }
figure { margin: 6pt 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #425563; }
section.contract { break-before: page; }
@page { size: A4; margin: 12mm; }
@media print { body { padding: 0; max-width: none; } }
"#;

/// The whole pack, as of `today`, for `organisation`.
pub(crate) fn board_pack(
    organisation: &str,
    today: chrono::NaiveDate,
    pages: &[ContractPage<'_, '_>],
) -> String {
    let mut out = String::new();
    let date = crate::render::text::long_date(today);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>Contract performance board pack: {} ({date})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        h(organisation)
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>Contract performance board pack</h1>\n<p class=\"meta\">{}, as of {date}. Each contract's figures are for the month shown against it; pictures follow NHS England's Making Data Count.</p>\n</header>\n<main>",
        h(organisation)
    );
    portfolio(&mut out, pages);
    for (i, page) in pages.iter().enumerate() {
        contract_page(&mut out, page, i);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn portfolio(out: &mut String, pages: &[ContractPage<'_, '_>]) {
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"portfolio\">\n<h2 id=\"portfolio\">Portfolio summary</h2>"
    );
    if pages.is_empty() {
        out.push_str("<p>No contracts.</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<caption>Every contract, most in need of attention first</caption>\n<thead><tr><th scope=\"col\">Contract</th><th scope=\"col\">Month</th><th scope=\"col\">Red / amber / green</th><th scope=\"col\" class=\"num\">Deducted</th><th scope=\"col\" class=\"num\">Withheld</th><th scope=\"col\">Challenges open</th><th scope=\"col\">Actions overdue</th><th scope=\"col\">GC9 cases open</th><th scope=\"col\">Months to end</th></tr></thead>\n<tbody>\n");
    for page in pages {
        let s = page.status;
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"#c-{}\">{}</a></th><td>{}</td><td>{} / {} / {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}, worth <span class=\"money\">{}</span>; {} past the answer date</td><td>{}</td><td>{} ({} overdue)</td><td>{}{}</td></tr>",
            h(&s.contract),
            h(&s.title),
            h(&s.month.long_name()),
            s.red,
            s.amber,
            s.green,
            s.deductions,
            s.withholdings,
            s.outstanding_challenges,
            s.outstanding_value,
            s.overdue_challenges,
            s.overdue_actions,
            s.open_cases,
            s.overdue_cases,
            s.months_to_end,
            if s.renewal_due { " (renewal due)" } else { "" }
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn rag_class(r: &KpiResult) -> &'static str {
    match r.rag {
        crate::results::kpi::Rag::Red => "rag-red",
        crate::results::kpi::Rag::Amber => "rag-amber",
        crate::results::kpi::Rag::Green => "rag-green",
        _ => "",
    }
}

/// An icon for inline use: its own XML declaration-free SVG, sized by the stylesheet.
fn inline_icon(svg: &str) -> String {
    svg.trim_end().to_string()
}

fn contract_page(out: &mut String, page: &ContractPage<'_, '_>, index: usize) {
    let report = page.report;
    let contract = report.contract;
    let id = h(&contract.id);
    let _ = writeln!(
        out,
        "<section class=\"contract\" id=\"c-{id}\" aria-labelledby=\"h-{id}\">\n<h2 id=\"h-{id}\">{} ({})</h2>\n<p class=\"meta\">{}; {}. {}.</p>",
        h(&contract.title),
        h(&contract.reference),
        h(&contract.provider.name),
        h(&format!(
            "{}{}",
            report.month.long_name(),
            if report.today < report.dates.final_letter {
                " (provisional: before the final data and the provider's answers)"
            } else {
                ""
            }
        )),
        h(&format!(
            "{} of {} requirements met",
            report.kpis.iter().filter(|k| k.rag == crate::results::kpi::Rag::Green).count(),
            report.kpis.len()
        ))
    );
    let p = &report.position;
    let (deducted, withheld) = if report.today < report.dates.final_letter {
        ("to be deducted", "to be withheld")
    } else {
        ("deducted", "withheld")
    };
    let _ = writeln!(
        out,
        "<p>Consequences this month, after caps: <span class=\"money\">{}</span> {deducted}, <span class=\"money\">{}</span> {withheld}, <span class=\"money\">{}</span> released from earlier months, <span class=\"money\">{}</span> of incentives earned; a net adjustment from consequences of <span class=\"money\">{}</span>.</p>",
        p.deductions_after_cap,
        p.withholdings_after_cap,
        p.releases,
        p.incentives,
        p.consequences_net()
    );
    matrix(out, report);
    kpi_table(out, report);
    charts(out, report, index);
    challenges(out, report);
    cases(out, report);
    actions(out, &page.overdue_actions);
    out.push_str("</section>\n");
}

fn matrix(out: &mut String, report: &ContractMonth<'_>) {
    let rows = [
        ("Special cause: concern", Signal::Concern),
        ("Common cause", Signal::CommonCause),
        ("Special cause: improvement", Signal::Improvement),
    ];
    let cols = [
        ("Consistently fails", Assurance::ConsistentFail),
        ("Hit and miss", Assurance::HitAndMiss),
        ("Consistently meets", Assurance::ConsistentPass),
    ];
    out.push_str("<h3>KPIs by variation and assurance</h3>\n<table class=\"matrix\">\n<caption>Where each requirement's latest month sits: rows by variation, columns by assurance against its target</caption>\n<thead><tr><th scope=\"col\">Variation</th>");
    for (name, _) in cols {
        let _ = write!(out, "<th scope=\"col\">{name}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row_name, signal) in rows {
        let _ = write!(out, "<tr><th scope=\"row\">{row_name}</th>");
        for (_, assurance) in cols {
            let names: Vec<String> = report
                .kpis
                .iter()
                .filter(|r| r.spc.signal == signal && r.spc.assurance == assurance)
                .map(|r| h(&r.display_name()))
                .collect();
            if names.is_empty() {
                out.push_str("<td></td>");
            } else {
                let _ = write!(
                    out,
                    "<td><ul><li>{}</li></ul></td>",
                    names.join("</li><li>")
                );
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n<p class=\"key\">Icons, as Making Data Count draws them. Variation: grey, common cause; blue, special-cause improvement; orange, special-cause concern (H or L: the side of the mean). Assurance: P, the process consistently meets the target; F, it consistently fails it; ?, it will hit and miss.</p>\n");
    let elsewhere: Vec<String> = report
        .kpis
        .iter()
        .filter(|r| {
            !matches!(
                r.spc.signal,
                Signal::Concern | Signal::CommonCause | Signal::Improvement
            ) || r.spc.assurance == Assurance::None
        })
        .map(|r| h(&r.display_name()))
        .collect();
    if !elsewhere.is_empty() {
        let _ = writeln!(
            out,
            "<p>Without a reading for the matrix (no target, no figure, too few months or no variation): {}.</p>",
            elsewhere.join("; ")
        );
    }
}

fn kpi_table(out: &mut String, report: &ContractMonth<'_>) {
    out.push_str("<h3>Requirements</h3>\n<table>\n<caption>The month's figure against each requirement</caption>\n<thead><tr><th scope=\"col\" style=\"width:32%\">Requirement</th><th scope=\"col\" style=\"width:10%\">Target</th><th scope=\"col\" style=\"width:9%\">Actual</th><th scope=\"col\" style=\"width:9%\">RAG</th><th scope=\"col\" style=\"width:15%\">Variation and assurance</th><th scope=\"col\" style=\"width:25%\">Consequence</th></tr></thead>\n<tbody>\n");
    for r in &report.kpis {
        let target = r.target_display();
        let icons = if r.spc.signal == Signal::None || r.missing || r.spc.no_variation {
            "—".to_string()
        } else {
            format!(
                "{}{}",
                inline_icon(&chart::variation_icon(
                    r.spc.signal,
                    chart::month_is_high(r)
                )),
                inline_icon(&chart::assurance_icon(r.spc.assurance))
            )
        };
        let consequence = if r.consequence.is_zero() {
            "—".to_string()
        } else {
            format!("{} ({})", r.consequence, r.consequence_status)
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"icons\">{icons}</td><td>{}</td></tr>",
            h(&r.display_name()),
            h(&target),
            h(&r.actual_display()),
            rag_class(r),
            h(r.rag.label()),
            h(&consequence)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn charts(out: &mut String, report: &ContractMonth<'_>, index: usize) {
    out.push_str("<h3>Charts</h3>\n");
    for (n, r) in report
        .kpis
        .iter()
        .filter(|r| !r.missing && r.actual.is_some())
        .enumerate()
    {
        let svg = chart::xmr_with_ids(
            &chart::series(r, &report.earlier, &report.contract.rebases_of(&r.kpi)),
            &format!("c{index}-{n}"),
        );
        let _ = writeln!(
            out,
            "<figure>\n{}\n<figcaption>{}: XmR chart to {}.</figcaption>\n</figure>",
            svg.trim_end(),
            h(&r.display_name()),
            h(&report.month.long_name())
        );
    }
}

fn challenges(out: &mut String, report: &ContractMonth<'_>) {
    out.push_str("<h3>Data challenges</h3>\n");
    let mut by_rule: BTreeMap<&str, (usize, Money, usize, Money)> = BTreeMap::new();
    for c in &report.new_challenges {
        let e = by_rule.entry(&c.rule_name).or_default();
        e.0 += 1;
        e.1 += c.value;
    }
    for c in report.outstanding.iter().filter(|c| !c.closed) {
        let e = by_rule.entry(&c.rule_name).or_default();
        e.2 += 1;
        e.3 += c.value;
    }
    if by_rule.is_empty() {
        out.push_str("<p>No data challenges this month, and none open from earlier months.</p>\n");
        return;
    }
    let all: Vec<_> = report
        .new_challenges
        .iter()
        .chain(report.outstanding.iter())
        .filter(|c| !c.closed)
        .collect();
    let waiting = all.iter().filter(|c| c.awaiting_answer()).count();
    let overdue = all.iter().filter(|c| c.overdue).count();
    let unsent = all.iter().filter(|c| c.respond_by.is_none()).count();
    let with_commissioner = all.len() - waiting - unsent;
    let mut parts = vec![format!(
        "{waiting} awaiting the provider's answer ({overdue} past the date for it)"
    )];
    if with_commissioner > 0 {
        parts.push(format!(
            "{with_commissioner} answered and with the commissioner (rejected or in dispute)"
        ));
    }
    if unsent > 0 {
        parts.push(format!("{unsent} not yet put to the provider"));
    }
    let _ = writeln!(
        out,
        "<table>\n<caption>{} open: raised for {} and still open from earlier months; {}</caption>\n<thead><tr><th scope=\"col\" style=\"width:40%\">Rule</th><th scope=\"col\" class=\"num\">This month</th><th scope=\"col\" class=\"num\">Value</th><th scope=\"col\" class=\"num\">Open from earlier</th><th scope=\"col\" class=\"num\">Value</th></tr></thead>\n<tbody>",
        all.len(),
        h(&report.month.long_name()),
        parts.join("; ")
    );
    for (rule, (n, v, m, w)) in &by_rule {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{n}</td><td class=\"num\">{v}</td><td class=\"num\">{m}</td><td class=\"num\">{w}</td></tr>",
            h(rule)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn cases(out: &mut String, report: &ContractMonth<'_>) {
    let open: Vec<_> = report.cases.iter().filter(|c| c.stage.is_open()).collect();
    if open.is_empty() {
        return;
    }
    out.push_str("<h3>Formal contract management (GC9)</h3>\n<table>\n<caption>Cases open under General Condition 9</caption>\n<thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Stage</th><th scope=\"col\" style=\"width:34%\">Next</th><th scope=\"col\">By</th><th scope=\"col\">Overdue</th><th scope=\"col\" class=\"num\">Withheld</th></tr></thead>\n<tbody>\n");
    for c in open {
        let (next, by) = c.next.as_ref().map_or_else(
            || ("—".to_string(), "—".to_string()),
            |n| (n.what.clone(), crate::render::text::long_date(n.due)),
        );
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            h(&c.case),
            h(&c.stage.as_str().replace('_', " ")),
            h(&next),
            h(&by),
            if c.overdue { "yes" } else { "no" },
            c.withheld - c.released - c.retained
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn actions(out: &mut String, overdue: &[&Action]) {
    out.push_str("<h3>Overdue actions</h3>\n");
    if overdue.is_empty() {
        out.push_str("<p>No action is overdue.</p>\n");
        return;
    }
    out.push_str("<table>\n<caption>Actions past their due date and still open</caption>\n<thead><tr><th scope=\"col\" style=\"width:46%\">Action</th><th scope=\"col\">Owner</th><th scope=\"col\">Due</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
    for a in overdue {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&a.text),
            h(&a.owner),
            h(&crate::render::text::long_date(a.due)),
            h(&a.source)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}
