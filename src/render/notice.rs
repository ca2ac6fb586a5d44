//! The Contract Performance Notice of a GC9 case (§4.9): `notices/<case-id>.md`, addressed to
//! the provider lead, naming the failing obligations with their figures and months, what the
//! provider must do, and the meeting deadline. Markdown with the letters' YAML block; the
//! provenance ends it.

use crate::model::calendar::Month;
use crate::render::text::{long_date, md, yaml};
use crate::results::cases::Case;
use crate::results::kpi::KpiResult;
use crate::results::month::ContractMonth;
use std::fmt::Write as _;

/// The months of `kpi`'s run of failing months that ends at `month`, with each month's figure.
fn failing_run<'r>(report: &'r ContractMonth<'_>, kpi: &str, month: Month) -> Vec<&'r KpiResult> {
    let all: Vec<&KpiResult> = report
        .earlier
        .iter()
        .flat_map(|(_, k)| k.iter())
        .chain(&report.kpis)
        .filter(|r| r.kpi == kpi && r.month <= month)
        .collect();
    let Some(last) = all
        .iter()
        .rev()
        .find(|r| r.month == month && r.escalation_run > 0)
    else {
        return Vec::new();
    };
    let run = last.escalation_run as usize;
    let group = last.by_group.clone();
    let mut months: Vec<&KpiResult> = all
        .into_iter()
        .filter(|r| r.by_group == group && r.rag.failing())
        .collect();
    months.sort_by_key(|r| r.month);
    let keep = months.len().saturating_sub(run);
    months.split_off(keep)
}

/// Lines kept apart within one paragraph: each but the last ends with a hard break.
fn lines(lines: &[String]) -> String {
    lines.join("\\\n")
}

/// The head of a GC9 document, as of a letter: the YAML block, the letterhead, the addressee
/// (`to`, at the provider), the date, our reference, the greeting and the title.
fn head(
    out: &mut String,
    contract: &crate::model::contract::Contract,
    organisation: &crate::model::settings::Organisation,
    to: Option<&crate::model::contract::Contact>,
    title: &str,
    date: chrono::NaiveDate,
    reference: &str,
) {
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "title: {}", yaml(title));
    let _ = writeln!(out, "date: {}", yaml(&long_date(date)));
    let _ = writeln!(out, "from: {}", yaml(&organisation.name));
    let _ = writeln!(out, "to: {}", yaml(&contract.provider.name));
    let _ = writeln!(out, "reference: {}", yaml(reference));
    let _ = writeln!(out, "---\n");
    let letterhead: Vec<String> = std::iter::once(&organisation.name)
        .chain(&organisation.address)
        .chain(&organisation.letterhead)
        .map(|l| md(l))
        .collect();
    let _ = writeln!(out, "{}\n", lines(&letterhead));
    let addressee: Vec<String> = to
        .map(|c| md(&c.name_and_title()))
        .into_iter()
        .chain(std::iter::once(md(&contract.provider.name)))
        .chain(contract.provider.address.iter().map(|l| md(l)))
        .collect();
    let _ = writeln!(out, "{}\n", lines(&addressee));
    let _ = writeln!(out, "{}\n", long_date(date));
    let _ = writeln!(out, "Our ref: {}\n", md(reference));
    let greeting = crate::model::contract::Contact::greeting(to);
    let _ = writeln!(out, "{},\n", md(&greeting));
}

/// The close of a GC9 document: signed by the commissioner lead for the organisation, then
/// `provenance`.
fn close(
    out: &mut String,
    contract: &crate::model::contract::Contract,
    organisation: &crate::model::settings::Organisation,
    provenance: &str,
) {
    let _ = writeln!(out, "Yours sincerely,\n");
    let signature: Vec<String> = contract
        .contact("commissioner_lead")
        .into_iter()
        .flat_map(|s| [md(&s.name), md(&s.title)])
        .filter(|l| !l.is_empty())
        .chain(std::iter::once(md(&organisation.name)))
        .collect();
    let _ = writeln!(out, "{}\n", lines(&signature));
    out.push_str(provenance);
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// The notice's Markdown, ending with `provenance` (an HTML comment).
pub(crate) fn notice(
    report: &ContractMonth<'_>,
    case: &Case,
    organisation: &crate::model::settings::Organisation,
    reissue: Option<&str>,
    provenance: &str,
) -> String {
    let contract = report.contract;
    let gc9 = &contract.gc9;
    let lead = contract.contact("provider_lead");
    let mut out = String::new();
    let title = format!("Contract Performance Notice {}", case.case);
    head(
        &mut out,
        contract,
        organisation,
        lead,
        &title,
        case.issued,
        &format!("{}/{}", contract.reference, case.case),
    );
    let _ = writeln!(out, "# {}\n", md(&title));
    if let Some(reason) = reissue {
        let _ = writeln!(
            out,
            "This corrected notice replaces the one issued on {}: {}.\n",
            long_date(case.issued),
            md(reason.trim_end_matches('.'))
        );
    }
    let _ = writeln!(
        out,
        "Under General Condition 9 of the contract {} ({}), we give notice that {} is not meeting the following obligations.\n",
        md(&contract.title),
        md(&contract.reference),
        md(&contract.provider.name)
    );
    // The month whose run reached the notice: in a ladder case's id, else the one before it.
    let month = case
        .case
        .strip_prefix("CPN-")
        .and_then(|rest| rest.get(..7))
        .and_then(|m| m.parse::<Month>().ok())
        .unwrap_or_else(|| Month::of(case.issued).previous());
    let mut rows = Vec::new();
    for kpi in &case.kpis {
        for r in failing_run(report, kpi, month) {
            rows.push(format!(
                "| {} | {} | {} | {} |",
                md(&r.display_name()),
                md(&r.target_display()),
                r.month.long_name(),
                r.actual_display()
            ));
        }
    }
    if rows.is_empty() {
        let _ = writeln!(out, "{}\n", md(&case.subject));
    } else {
        let _ = writeln!(out, "| Requirement | Target | Month | Actual |");
        let _ = writeln!(out, "|---|---|---|---|");
        for row in rows {
            let _ = writeln!(out, "{row}");
        }
        let _ = writeln!(out);
    }
    let meeting = case.clocks.iter().find(|c| c.id == "meeting");
    if let Some(m) = meeting {
        let contact = contract
            .contact("commissioner_lead")
            .map(|c| {
                if c.email.is_empty() {
                    format!(" Please contact {} to agree its date.", md(&c.name))
                } else {
                    format!(
                        " Please contact {} ({}) to agree its date.",
                        md(&c.name),
                        md(&c.email)
                    )
                }
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "A Contract Management Meeting must be held by **{}**, {} operational days from this notice.{contact} At the meeting we will agree with you whether this notice is withdrawn, a Joint Investigation is held (its report due within {} operational days of the meeting), or a Remedial Action Plan is agreed (within {} operational days of the meeting, or of the investigation's report), with milestones, each with an owner and a date.\n",
            long_date(m.due),
            gc9.meeting_within,
            gc9.investigation_within,
            gc9.rap_within
        );
    }
    let value = report.position.monthly_value;
    let share = |rate| {
        format!(
            "{} of that month's value ({} at the current monthly value of {})",
            crate::model::money::percent_1dp(rate),
            value.times(rate).round_to_penny(),
            value
        )
    };
    let _ = writeln!(
        out,
        "For each month that ends with the Remedial Action Plan overdue (not agreed by its date), {} will be withheld; and the same share, {}, for each month that ends with a milestone missed. Sums withheld are released in the month at whose end every milestone has been met, or the notice is withdrawn or the case closed by agreement. Sums still withheld when {} months have ended since the first exception report (the month of the report counting as the first) are retained.\n",
        share(gc9.withhold_no_rap),
        crate::model::money::percent_1dp(gc9.withhold_missed_milestone),
        gc9.retain_after
    );
    close(&mut out, contract, organisation, provenance);
    out
}

/// The exception report for milestone `milestone` of `case` (§4.9): dated `date`, the working
/// day after the milestone was due, addressed to the provider's chief executive (the provider
/// lead when the contract names none), saying what was missed and what follows.
pub(crate) fn exception_report(
    report: &ContractMonth<'_>,
    case: &Case,
    milestone: &crate::results::cases::Clock,
    (date, first): (chrono::NaiveDate, chrono::NaiveDate),
    organisation: &crate::model::settings::Organisation,
    reissue: Option<&str>,
    provenance: &str,
) -> String {
    let contract = report.contract;
    let gc9 = &contract.gc9;
    let to = contract
        .contact("provider_ceo")
        .or_else(|| contract.contact("provider_lead"));
    let mut out = String::new();
    let title = format!("Exception report: {} milestone {}", case.case, milestone.id);
    head(
        &mut out,
        contract,
        organisation,
        to,
        &title,
        date,
        &format!("{}/{}/{}", contract.reference, case.case, milestone.id),
    );
    let _ = writeln!(out, "# {}\n", md(&title));
    if let Some(reason) = reissue {
        let _ = writeln!(
            out,
            "This corrected report replaces the one of {}: {}.\n",
            long_date(date),
            md(reason.trim_end_matches('.'))
        );
    }
    let agreed = case
        .clocks
        .iter()
        .find(|c| c.id == "rap")
        .and_then(|c| c.done)
        .map_or_else(String::new, |d| format!(" agreed on {}", long_date(d)));
    let _ = writeln!(
        out,
        "Under General Condition 9 of the contract {} ({}), we report to your board that a milestone of the Remedial Action Plan{agreed} under Contract Performance Notice {} (issued {}) was not met by its date.\n",
        md(&contract.title),
        md(&contract.reference),
        md(&case.case),
        long_date(case.issued)
    );
    let owner = milestone
        .owner_role
        .as_deref()
        .and_then(|r| contract.contact(r))
        .map_or_else(String::new, |c| c.name_and_title());
    let _ = writeln!(out, "| Milestone | Owner | Due | Met |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n",
        md(&milestone.what),
        md(&owner),
        long_date(milestone.due),
        milestone
            .done
            .filter(|d| *d <= date)
            .map_or_else(|| "not met".to_string(), long_date)
    );
    // The first month that can end with the milestone missed: the month it was due in, unless
    // it was due on that month's last day.
    let due_month = Month::of(milestone.due);
    let first_month = if milestone.due < due_month.last_day() {
        due_month
    } else {
        due_month.next()
    };
    let rate = gc9.withhold_missed_milestone;
    let value = report.position.monthly_value;
    let mut retained_at = Month::of(first);
    for _ in 1..gc9.retain_after {
        retained_at = retained_at.next();
    }
    let _ = writeln!(
        out,
        "If it is still not met at the end of {}, {} of that month's value ({} at the current monthly value of {}) will be withheld, and the same for each later month that ends with it missed. Please present this report to your board, and send us a revised date for the milestone and the actions that will recover it.\n",
        first_month.long_name(),
        crate::model::money::percent_1dp(rate),
        value.times(rate).round_to_penny(),
        value
    );
    let _ = writeln!(
        out,
        "Sums withheld under the notice are released in the month at whose end every milestone of the plan has been met, or the case is closed by agreement. Sums still withheld on {} will be retained ({} months from the first exception report, of {}).\n",
        long_date(retained_at.last_day()),
        gc9.retain_after,
        long_date(first)
    );
    close(&mut out, contract, organisation, provenance);
    out
}
