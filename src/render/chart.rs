//! "Making Data Count" pictures (§5.4), drawn as SVG by hand: an XmR chart per KPI and the
//! variation and assurance icons. Hand-written because the pictures are a few dozen elements
//! whose every colour and dash NHS England's conventions fix, and the bytes must be the same on
//! every machine: a plotting crate would bring fonts, a rasteriser or a browser runtime for
//! what is a page of `format!`. Coordinates are written to one decimal place, so output is
//! deterministic and small.
//!
//! Colours are MDC's: improvement blue `#289de0`, concern orange `#fab428`, common cause grey
//! `#7b7d7d`; the mean solid, the process limits dashed, the target red and dotted. Text is dark
//! grey on white (contrast above 7:1, WCAG AAA); colour is never the only cue: points that
//! signal are also larger, and each picture carries a text alternative.

use crate::model::calendar::Month;
use crate::results::kpi::KpiResult;
use crate::results::spc::{Assurance, Signal};
use rust_decimal::prelude::ToPrimitive as _;
use rust_decimal::Decimal;
use std::fmt::Write as _;

const BLUE: &str = "#289de0";
const ORANGE: &str = "#fab428";
const GREY: &str = "#7b7d7d";
const INK: &str = "#231f20";
const TARGET: &str = "#c8102e";

/// One KPI's points, months in order, as the chart draws them.
pub(crate) struct Series {
    /// The KPI (and group) as the letter names it.
    pub title: String,
    /// What the figures are in ("percentage", "minutes"…), for the axis.
    pub units: String,
    pub points: Vec<(Month, Decimal)>,
    /// Each point as the letter shows it ("95.3%", "541"), for its tooltip.
    pub shown: Vec<String>,
    /// The target in force at each point (a variation can move it), as a threshold.
    pub targets: Vec<Option<Decimal>>,
    /// The SPC segments, the first from the first point, each later one from a `[[rebase]]`:
    /// never empty.
    pub segments: Vec<Segment>,
    pub target: Option<crate::model::target::Target>,
    pub percent: bool,
    pub trial: bool,
    /// How each point reads (blue, orange or grey), within its segment.
    pub readings: Vec<Signal>,
}

/// One SPC segment of a series: its first point, the rebase that starts it (none for the
/// first), and its own mean and limits (none with fewer than two points or no variation).
pub(crate) struct Segment {
    pub start: usize,
    pub rebase: Option<(Month, String)>,
    pub limits: Option<crate::results::spc::Limits>,
}

impl Series {
    /// The latest segment's limits: those the month's reading uses.
    fn limits(&self) -> Option<&crate::results::spc::Limits> {
        self.segments.last().and_then(|s| s.limits.as_ref())
    }

    /// The segments a rebase starts, with the month and reason of each.
    fn rebases(&self) -> impl Iterator<Item = (&Segment, Month, &str)> {
        self.segments
            .iter()
            .filter_map(|s| s.rebase.as_ref().map(|(m, r)| (s, *m, r.as_str())))
    }
}

/// The series of `result` over the months of `earlier` and the month itself, split into the
/// segments `rebases` starts (the month and reason of each `[[rebase]]` of the KPI).
pub(crate) fn series(
    result: &KpiResult,
    earlier: &[(Month, Vec<KpiResult>)],
    rebases: &[(Month, &str)],
) -> Series {
    use crate::results::spc::{self, Better, Limits};
    let same = |r: &&KpiResult| r.kpi == result.kpi && r.by_group == result.by_group;
    let months: Vec<&KpiResult> = earlier
        .iter()
        .filter_map(|(_, rs)| rs.iter().find(same))
        .chain(std::iter::once(result))
        .filter(|r| r.actual.is_some())
        .collect();
    let points: Vec<(Month, Decimal)> = months
        .iter()
        .filter_map(|r| r.actual.map(|a| (r.month, a)))
        .collect();
    let shown: Vec<String> = months.iter().map(|r| r.actual_display()).collect();
    let targets: Vec<Option<Decimal>> = months
        .iter()
        .map(|r| r.target_in_force().map(|t| t.threshold))
        .collect();
    let target = result.target_in_force();
    let percent = target.as_ref().is_some_and(|t| t.percent);
    let better = Better::of(target.as_ref());
    // Segment starts: the first point, then the first point on or after each rebase.
    let mut starts: Vec<(usize, Option<(Month, String)>)> = vec![(0, None)];
    for (from, reason) in rebases.iter().filter(|(m, _)| *m <= result.month) {
        if let Some(i) = points.iter().position(|(m, _)| m >= from) {
            if i > 0 && starts.last().is_some_and(|(s, _)| *s < i) {
                starts.push((i, Some((*from, reason.to_string()))));
            }
        }
    }
    let mut readings = Vec::with_capacity(points.len());
    let mut segment_limits: Vec<Option<Limits>> = Vec::new();
    for (k, (start, _)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(points.len(), |(s, _)| *s);
        let values: Vec<Decimal> = points[*start..end].iter().map(|(_, v)| *v).collect();
        let limits =
            spc::limits(&values, result.spc.screen_outliers).filter(|l| l.upper != l.lower);
        match &limits {
            Some(l) => readings.extend(
                spc::special_causes(&values, l)
                    .into_iter()
                    .map(|c| spc::reading(c, better)),
            ),
            None => readings.extend(std::iter::repeat_n(Signal::CommonCause, values.len())),
        }
        segment_limits.push(limits);
    }
    let title = result.display_name();
    let segments: Vec<Segment> = starts
        .into_iter()
        .zip(segment_limits)
        .map(|((start, rebase), limits)| Segment {
            start,
            rebase,
            limits,
        })
        .collect();
    Series {
        title,
        units: if percent {
            "per cent".into()
        } else {
            String::new()
        },
        points,
        shown,
        targets,
        segments,
        target,
        percent,
        trial: result.spc.trial,
        readings,
    }
}

use crate::render::text::markup as xml;

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A value as the axis labels it.
fn label(value: f64, percent: bool, step: f64) -> String {
    let (value, step) = if percent {
        (value * 100.0, step * 100.0)
    } else {
        (value, step)
    };
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let text = if text == "-0" || text == "-0.0" || text == "-0.00" {
        text[1..].to_string()
    } else {
        text
    };
    if percent {
        format!("{text}%")
    } else {
        text
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) for about `ticks` ticks over `span`.
fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let unit = raw / power;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// The month's reading in words, for text alternatives.
pub(crate) fn signal_words(signal: Signal) -> &'static str {
    match signal {
        Signal::CommonCause => "common cause",
        Signal::Improvement => "special cause, improvement",
        Signal::Concern => "special cause, concern",
        Signal::Neutral => "special cause, neither better nor worse",
        Signal::None => "no reading",
    }
}

/// The assurance in words, for text alternatives.
pub(crate) fn assurance_words(assurance: Assurance) -> &'static str {
    match assurance {
        Assurance::ConsistentPass => "consistently meets the target",
        Assurance::ConsistentFail => "consistently fails the target",
        Assurance::HitAndMiss => "hit and miss",
        Assurance::None => "no reading",
    }
}

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 56.0;

/// The XmR chart of `series` as a standalone SVG document.
pub(crate) fn xmr(series: &Series) -> String {
    xmr_with_ids(series, "chart")
}

/// The XmR chart, its title and description given ids that start with `id` (unique ids when
/// several charts share one HTML page).
pub(crate) fn xmr_with_ids(series: &Series, id: &str) -> String {
    let mut out = String::new();
    let n = series.points.len();
    let first = series.points.first().map(|(m, _)| m.long_name());
    let last = series.points.last().map(|(m, _)| m.long_name());
    let span_text = match (&first, &last) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => "no months yet".into(),
    };
    // A line under the legend for each rebase's reason.
    let total_h = H + 16.0 * series.rebases().count() as f64;
    let desc = {
        let mut d = format!(
            "XmR chart of {} over {n} month{}, {span_text}.",
            series.title,
            if n == 1 { "" } else { "s" }
        );
        if let Some(l) = series.limits() {
            let _ = write!(
                d,
                " Mean {}, process limits {} to {}{}.",
                label(f(l.mean), series.percent, 0.001),
                label(f(l.lower), series.percent, 0.001),
                label(f(l.upper), series.percent, 0.001),
                if series.trial { " (trial limits)" } else { "" }
            );
        }
        for (_, month, reason) in series.rebases() {
            let _ = write!(
                d,
                " Rebased from {}: {reason}; the mean and limits are the latest segment's.",
                month.long_name()
            );
        }
        if let Some(t) = &series.target {
            let _ = write!(d, " Target {}.", t.display());
        }
        if let Some(s) = series.readings.last() {
            let _ = write!(d, " The latest month: {}.", signal_words(*s));
        }
        d
    };
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{total_h}" viewBox="0 0 {W} {total_h}" role="img" aria-labelledby="{id}-t {id}-d" font-family="Arial, Helvetica, sans-serif">"#
    );
    let _ = writeln!(out, r#"<title id="{id}-t">{}</title>"#, xml(&series.title));
    let _ = writeln!(out, r#"<desc id="{id}-d">{}</desc>"#, xml(&desc));
    let _ = writeln!(
        out,
        r##"<rect width="{W}" height="{total_h}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="20" font-size="14" font-weight="bold" fill="{INK}">{}</text>"#,
        xml(&series.title)
    );
    let subtitle = format!(
        "XmR chart, {span_text}{}{}",
        if series.units.is_empty() {
            String::new()
        } else {
            format!("; {}", series.units)
        },
        if series.trial && series.limits().is_some() {
            "; trial limits (fewer than 12 points)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="37" font-size="11" fill="{INK}">{}</text>"#,
        xml(&subtitle)
    );
    if n == 0 {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="12" fill="{INK}" text-anchor="middle">No figures yet</text>"#,
            W / 2.0,
            H / 2.0
        );
        out.push_str("</svg>\n");
        return out;
    }
    // The y range: every point, the limits and the target, with a margin.
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    let mut include = |v: f64| {
        low = low.min(v);
        high = high.max(v);
    };
    for (_, v) in &series.points {
        include(f(*v));
    }
    for l in series.segments.iter().filter_map(|s| s.limits.as_ref()) {
        include(f(l.lower));
        include(f(l.upper));
    }
    for t in series.targets.iter().flatten() {
        include(f(*t));
    }
    if (high - low).abs() < 1e-12 {
        let pad = if high.abs() > 1e-9 {
            high.abs() * 0.1
        } else {
            1.0
        };
        low -= pad;
        high += pad;
    }
    if series.points.iter().all(|(_, v)| !v.is_sign_negative()) {
        // Counts, times and percentages cannot fall below nothing: a lower limit under zero
        // is left undrawn (the text alternative gives it).
        low = low.max(0.0);
    }
    if series.percent {
        // A percentage axis runs from 0% to 100% at most: a limit beyond it is left undrawn
        // (the text alternative gives it).
        low = low.max(0.0);
        high = high.min(1.0);
        if high <= low {
            (low, high) = (0.0, 1.0);
        }
    }
    let step = nice_step(high - low, 5.0);
    let mut low = (low / step).floor() * step;
    let mut high = (high / step).ceil() * step;
    if series.percent {
        low = low.max(0.0);
        high = high.min(1.0);
    }
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (high - v) / (high - low);
    // Half the step between months: where one month's segment ends and the next begins.
    let half = if n > 1 {
        plot_w / (n - 1) as f64 / 2.0
    } else {
        0.0
    };
    // Half the step between months: where one month's segment ends and the next begins.
    // Grid and axis labels.
    let mut tick = low;
    let mut guard = 0;
    while tick <= high + step / 2.0 && guard < 50 {
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#e6e6e6" stroke-width="1"/>"##,
            y(tick),
            W - RIGHT
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{INK}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y(tick) + 3.5,
            xml(&label(tick, series.percent, step))
        );
        tick += step;
        guard += 1;
    }
    let every = n.div_ceil(12).max(1);
    for (i, (m, _)) in series.points.iter().enumerate() {
        if i % every != 0 && i != n - 1 {
            continue;
        }
        let short = format!("{} {:02}", &m.long_name()[..3], m.year() % 100);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{INK}" text-anchor="end" transform="rotate(-45 {:.1} {:.1})">{}</text>"#,
            x(i),
            H - BOTTOM + 14.0,
            x(i),
            H - BOTTOM + 14.0,
            xml(&short)
        );
    }
    // A horizontal line at `v` from x `from` to x `to`, left out beyond the axis.
    let segment_line = |out: &mut String,
                        v: f64,
                        (from, to): (f64, f64),
                        colour: &str,
                        dash: &str,
                        width: f64| {
        if v < low - 1e-12 || v > high + 1e-12 {
            return;
        }
        let _ = writeln!(
            out,
            r#"<line x1="{from:.1}" y1="{0:.1}" x2="{to:.1}" y2="{0:.1}" stroke="{colour}" stroke-width="{width}"{dash}/>"#,
            y(v)
        );
    };
    // Each segment's mean and limits over its own months; a rebase marked where it starts.
    let segments = &series.segments;
    for (k, segment) in segments.iter().enumerate() {
        let (start, limits) = (&segment.start, &segment.limits);
        let end = segments.get(k + 1).map_or(n, |s| s.start);
        let span = if segments.len() == 1 {
            (LEFT, W - RIGHT)
        } else {
            (
                if *start == 0 { LEFT } else { x(*start) - half },
                if end == n {
                    W - RIGHT
                } else {
                    x(end - 1) + half
                },
            )
        };
        if let Some(l) = limits {
            let dash = r#" stroke-dasharray="6 4""#;
            segment_line(&mut out, f(l.upper), span, GREY, dash, 1.2);
            segment_line(&mut out, f(l.lower), span, GREY, dash, 1.2);
            segment_line(&mut out, f(l.mean), span, INK, "", 1.2);
        }
    }
    for (segment, _, _) in series.rebases() {
        let i = &segment.start;
        let at = x(*i) - half;
        let _ = writeln!(
            out,
            r#"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{:.1}" stroke="{INK}" stroke-width="1" stroke-dasharray="1 3"/>"#,
            H - BOTTOM
        );
        // A short mark by the line; the reason in full under the legend.
        let (anchor, tx) = if at + 50.0 <= W - RIGHT {
            ("start", at + 4.0)
        } else {
            ("end", at - 4.0)
        };
        let _ = writeln!(
            out,
            r#"<text x="{tx:.1}" y="{:.1}" font-size="9" fill="{INK}" text-anchor="{anchor}">rebased</text>"#,
            TOP + 10.0
        );
    }
    // The target in force month by month: one line while it holds, a step where a variation
    // moved it.
    let mut i = 0;
    while i < n {
        let Some(t) = series.targets.get(i).copied().flatten() else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < n && series.targets.get(j + 1).copied().flatten() == Some(t) {
            j += 1;
        }
        let from = if i == 0 { LEFT } else { x(i) - half };
        let to = if j == n - 1 { W - RIGHT } else { x(j) + half };
        segment_line(
            &mut out,
            f(t),
            (from, to),
            TARGET,
            r#" stroke-dasharray="2 3""#,
            1.6,
        );
        i = j + 1;
    }
    // The points, joined.
    let path: Vec<String> = series
        .points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(f(*v))))
        .collect();
    let _ = writeln!(
        out,
        r#"<polyline points="{}" fill="none" stroke="{GREY}" stroke-width="1.5"/>"#,
        path.join(" ")
    );
    for (i, (m, v)) in series.points.iter().enumerate() {
        let reading = series
            .readings
            .get(i)
            .copied()
            .unwrap_or(Signal::CommonCause);
        let (colour, r) = match reading {
            Signal::Improvement => (BLUE, 4.5),
            Signal::Concern => (ORANGE, 4.5),
            Signal::Neutral => ("#490092", 4.5),
            Signal::CommonCause | Signal::None => (GREY, 3.2),
        };
        let _ = writeln!(
            out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{r}" fill="{colour}"><title>{}: {}</title></circle>"#,
            x(i),
            y(f(*v)),
            xml(&m.long_name()),
            xml(series
                .shown
                .get(i)
                .map_or(&label(f(*v), series.percent, 0.001), |s| s))
        );
    }
    // The legend.
    let legend_y = H - 10.0;
    let mut lx = LEFT;
    let mut item = |out: &mut String, text: &str, swatch: String| {
        out.push_str(&swatch.replace("{x}", &format!("{lx:.1}")));
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{legend_y}" font-size="10" fill="{INK}">{}</text>"#,
            lx + 22.0,
            xml(text)
        );
        lx += 22.0 + 6.0 * text.len() as f64 + 14.0;
    };
    let seg = |colour: &str, dash: &str| {
        format!(
            r#"<path d="M{{x}} {0}h16" stroke="{colour}" stroke-width="1.6"{dash}/>
"#,
            legend_y - 3.5
        )
    };
    if series.limits().is_some() {
        item(&mut out, "mean", seg(INK, ""));
        item(
            &mut out,
            "process limits",
            seg(GREY, r#" stroke-dasharray="6 4""#),
        );
    }
    if series.target.is_some() {
        item(
            &mut out,
            "target",
            seg(TARGET, r#" stroke-dasharray="2 3""#),
        );
    }
    let dot = |colour: &str| {
        format!(
            r#"<circle cx="{{x}}" cy="{0}" r="4" fill="{colour}" transform="translate(8 0)"/>
"#,
            legend_y - 3.5
        )
    };
    item(&mut out, "improvement", dot(BLUE));
    item(&mut out, "concern", dot(ORANGE));
    item(&mut out, "common cause", dot(GREY));
    for (k, (_, month, reason)) in series.rebases().enumerate() {
        let text = format!("Rebased from {}: {reason}", month.long_name());
        let text: String = if text.chars().count() > 100 {
            text.chars().take(99).chain(std::iter::once('…')).collect()
        } else {
            text
        };
        let _ = writeln!(
            out,
            r#"<text x="{LEFT}" y="{:.1}" font-size="10" fill="{INK}">{}</text>"#,
            H + 4.0 + 16.0 * k as f64,
            xml(&text)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The variation icon of `signal` (MDC): a circle, coloured by meaning, with a small run of
/// points and, for a special cause, H or L for the side it is on.
pub(crate) fn variation_icon(signal: Signal, high: Option<bool>) -> String {
    let (colour, letter) = match (signal, high) {
        (Signal::Improvement, Some(true)) => (BLUE, "H"),
        (Signal::Improvement, _) => (BLUE, "L"),
        (Signal::Concern, Some(true)) => (ORANGE, "H"),
        (Signal::Concern, _) => (ORANGE, "L"),
        (Signal::Neutral, Some(true)) => ("#490092", "H"),
        (Signal::Neutral, _) => ("#490092", "L"),
        (Signal::CommonCause | Signal::None, _) => (GREY, ""),
    };
    let words = signal_words(signal);
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40" role="img" aria-label="Variation: {words}"><title>Variation: {words}</title>
<circle cx="20" cy="20" r="17" fill="#ffffff" stroke="{colour}" stroke-width="3"/>
"##
    );
    let ys: [f64; 5] = match (signal, letter) {
        (Signal::CommonCause | Signal::None, _) => [22.0, 19.0, 23.0, 20.0, 21.0],
        (_, "H") => [26.0, 24.0, 21.0, 17.0, 13.0],
        _ => [14.0, 16.0, 19.0, 23.0, 27.0],
    };
    let points: Vec<String> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| format!("{},{y:.1}", 10 + 5 * i))
        .collect();
    let _ = writeln!(
        out,
        r#"<polyline points="{}" fill="none" stroke="{GREY}" stroke-width="1.2"/>"#,
        points.join(" ")
    );
    for (i, y) in ys.iter().enumerate() {
        let fill = if letter.is_empty() || i < 2 {
            GREY
        } else {
            colour
        };
        let _ = writeln!(
            out,
            r#"<circle cx="{}" cy="{y:.1}" r="2" fill="{fill}"/>"#,
            10 + 5 * i
        );
    }
    if !letter.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="20" y="{}" font-family="Arial, Helvetica, sans-serif" font-size="9" font-weight="bold" fill="{INK}" text-anchor="middle">{letter}</text>"#,
            if letter == "H" { 35 } else { 12 }
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The assurance icon (MDC): a circle with P (consistently pass, blue), F (consistently fail,
/// orange) or ? (hit and miss, grey).
pub(crate) fn assurance_icon(assurance: Assurance) -> String {
    let (colour, letter) = match assurance {
        Assurance::ConsistentPass => (BLUE, "P"),
        Assurance::ConsistentFail => (ORANGE, "F"),
        Assurance::HitAndMiss => (GREY, "?"),
        Assurance::None => ("#bdbdbd", "–"),
    };
    let words = assurance_words(assurance);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40" role="img" aria-label="Assurance: {words}"><title>Assurance: {words}</title>
<circle cx="20" cy="20" r="17" fill="#ffffff" stroke="{colour}" stroke-width="3"/>
<line x1="9" y1="27" x2="31" y2="27" stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="2 2"/>
<text x="20" y="24" font-family="Arial, Helvetica, sans-serif" font-size="15" font-weight="bold" fill="{INK}" text-anchor="middle">{letter}</text>
</svg>
"##
    )
}

/// The file name of a variation icon: `variation-<signal>[-high|-low].svg`.
pub(crate) fn variation_icon_name(signal: Signal, high: Option<bool>) -> String {
    match (signal, high) {
        (Signal::CommonCause | Signal::None, _) | (_, None) => {
            format!("variation-{}.svg", signal.as_str())
        }
        (_, Some(true)) => format!("variation-{}-high.svg", signal.as_str()),
        (_, Some(false)) => format!("variation-{}-low.svg", signal.as_str()),
    }
}

/// The file name of an assurance icon: `assurance-<assurance>.svg`.
pub(crate) fn assurance_icon_name(assurance: Assurance) -> String {
    format!("assurance-{}.svg", assurance.as_str())
}

/// Whether the month's point sits above the mean (for the H or L of a variation icon); `None`
/// without a point or a mean.
pub(crate) fn month_is_high(result: &KpiResult) -> Option<bool> {
    Some(result.actual? > result.spc.mean?)
}

/// The file name of a KPI's chart: its id, and its group's for a KPI measured by group, each
/// reduced to letters, digits and hyphens.
pub(crate) fn chart_name(result: &KpiResult) -> String {
    let slug = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    match &result.by_group {
        Some(g) => format!("{}--{}.svg", slug(&result.kpi), slug(g)),
        None => format!("{}.svg", slug(&result.kpi)),
    }
}

/// Every picture a letter on `report` shows, in `dir`: each KPI's chart (those with a figure
/// this month) and the icons its Trend column uses, ordered by path.
pub(crate) fn files(
    report: &crate::results::month::ContractMonth<'_>,
    dir: &std::path::Path,
) -> Vec<(std::path::PathBuf, String)> {
    let mut out: std::collections::BTreeMap<std::path::PathBuf, String> =
        std::collections::BTreeMap::new();
    for r in &report.kpis {
        if r.missing || r.actual.is_none() {
            continue;
        }
        out.insert(
            dir.join(chart_name(r)),
            xmr(&series(
                r,
                &report.earlier,
                &report.contract.rebases_of(&r.kpi),
            )),
        );
        if r.spc.signal != Signal::None && !r.spc.no_variation {
            let high = month_is_high(r);
            out.insert(
                dir.join(variation_icon_name(r.spc.signal, high)),
                variation_icon(r.spc.signal, high),
            );
            out.insert(
                dir.join(assurance_icon_name(r.spc.assurance)),
                assurance_icon(r.spc.assurance),
            );
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.1, 5.0), 0.02);
        assert_eq!(nice_step(37.0, 5.0), 10.0);
        assert_eq!(nice_step(3.0, 5.0), 1.0);
    }

    #[test]
    fn axis_labels_follow_the_units() {
        assert_eq!(label(0.95, true, 0.01), "95%");
        assert_eq!(label(0.955, true, 0.005), "95.5%");
        assert_eq!(label(600.0, false, 50.0), "600");
        assert_eq!(label(-0.0001, false, 0.5), "0.0");
    }

    #[test]
    fn text_in_a_picture_is_escaped() {
        assert_eq!(xml("A&E <4h> \"x\""), "A&amp;E &lt;4h&gt; &quot;x&quot;");
    }
}
