//! JSON renderers. Most output is serde_json's; a month's challenges, hundreds of thousands of
//! them, are written by hand, byte for byte as serde_json would write them (a test holds the
//! two together), a good deal faster.

use crate::results::challenges::ChallengeView;
use std::sync::Arc;

/// Writes views as `serde_json::to_writer_pretty` would, byte for byte, a good deal faster: the
/// field names and indentation are written as they are, and only the values are escaped. A
/// large month prints hundreds of thousands of challenges.
pub(crate) fn write_views_json<'v, W: std::io::Write>(
    views: impl IntoIterator<Item = &'v ChallengeView>,
    mut out: W,
) -> std::io::Result<()> {
    // A large month's JSON runs to hundreds of megabytes: batches are rendered on two threads,
    // alternately, while this one writes them out in order.
    const BATCH: usize = 8192;
    const RENDERERS: usize = 2;
    let views: Vec<&ChallengeView> = views.into_iter().collect();
    if views.is_empty() {
        return out.write_all(b"[]");
    }
    let batches: Vec<&[&ChallengeView]> = views.chunks(BATCH).collect();
    std::thread::scope(|scope| {
        let receivers: Vec<std::sync::mpsc::Receiver<String>> = (0..RENDERERS)
            .map(|k| {
                let (send, receive) = std::sync::mpsc::sync_channel(2);
                let batches = &batches;
                scope.spawn(move || {
                    for i in (k..batches.len()).step_by(RENDERERS) {
                        // The writer has stopped (a write failed): so does rendering.
                        if send.send(render_views(batches[i], i > 0)).is_err() {
                            return;
                        }
                    }
                });
                receive
            })
            .collect();
        for (i, batch) in batches.iter().enumerate() {
            let text = receivers[i % RENDERERS]
                .recv()
                .unwrap_or_else(|_| render_views(batch, i > 0));
            out.write_all(text.as_bytes())?;
        }
        Ok::<(), std::io::Error>(())
    })?;
    out.write_all(b"\n]")
}

/// The JSON of `views` as elements of the array [`write_views_json`] writes; `after` when an
/// element comes before them.
fn render_views(views: &[&ChallengeView], after: bool) -> String {
    let mut text = String::with_capacity(views.len() * 560);
    let mut any = after;
    for v in views {
        text.push_str(if any { ",\n  {\n" } else { "[\n  {\n" });
        any = true;
        let t = &mut text;
        let text_field = |t: &mut String, name: &str, value: &str| {
            json_key(t, name);
            push_json_str(t, value);
        };
        let date_field = |t: &mut String, name: &str, value: Option<chrono::NaiveDate>| {
            json_key(t, name);
            push_json_date(t, value);
        };
        let plain_field = |t: &mut String, name: &str, value: &str| {
            json_key(t, name);
            t.push_str(value);
        };
        let flag = |b: bool| if b { "true" } else { "false" };
        text_field(t, "id", &v.id);
        text_field(t, "contract", &v.contract);
        let mut month = String::with_capacity(7);
        v.month.push_to(&mut month);
        text_field(t, "month", &month);
        text_field(t, "rule", &v.rule);
        text_field(t, "rule_name", &v.rule_name);
        text_field(t, "key_column", &v.key_column);
        text_field(t, "record", &v.record);
        let mut value = String::with_capacity(16);
        v.value.push_plain(&mut value);
        text_field(t, "value", &value);
        plain_field(t, "rows", &v.rows.to_string());
        text_field(t, "detail", &v.detail);
        json_key(t, "also");
        push_json_list(t, &v.also);
        text_field(t, "state", v.state.as_str());
        date_field(t, "respond_by", v.respond_by);
        plain_field(t, "overdue", flag(v.overdue));
        plain_field(t, "closed", flag(v.closed));
        plain_field(t, "agreed", flag(v.agreed));
        date_field(t, "agreed_on", v.agreed_on);
        plain_field(t, "age_months", &v.age_months.to_string());
        date_field(t, "last_event", v.last_event);
        text.push_str("\n  }");
    }
    text
}

/// Ends the previous field (if any) and starts the field `name`, indented as serde_json's
/// pretty printer indents the fields of an object in an array.
fn json_key(out: &mut String, name: &str) {
    if !out.ends_with("{\n") {
        out.push_str(",\n");
    }
    out.push_str("    \"");
    out.push_str(name);
    out.push_str("\": ");
}

/// A list of strings as serde_json's pretty printer writes it inside an object in an array.
fn push_json_list(out: &mut String, items: &[Arc<str>]) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n      " } else { ",\n      " });
        push_json_str(out, item);
    }
    out.push_str("\n    ]");
}

/// A date as serde writes a `NaiveDate`: `"YYYY-MM-DD"`, or null.
fn push_json_date(out: &mut String, date: Option<chrono::NaiveDate>) {
    match date {
        Some(d) => {
            // A date's text never needs escaping.
            out.push('"');
            crate::model::calendar::push_iso_date(out, d);
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

/// A JSON string as serde_json writes it: quotes, backslashes and control characters escaped,
/// everything else as it is.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Money;
    use rust_decimal::Decimal;

    /// The hand-written JSON is serde_json's, byte for byte, with awkward text and no views.
    #[test]
    fn views_as_json_are_what_serde_json_writes() {
        let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let view =
            |record: &str, detail: &str, agreed_on: Option<chrono::NaiveDate>| ChallengeView {
                id: format!("2026-04/dup/{record}"),
                contract: "c\"1\\".into(),
                month: "2026-04".parse().unwrap(),
                rule: "dup".into(),
                rule_name: "Duplicate — same key".into(),
                key_column: "record_id".into(),
                record: record.into(),
                value: Money::from_decimal(Decimal::new(-123456, 3)),
                rows: 3,
                detail: detail.into(),
                also: if agreed_on.is_some() {
                    vec!["a\"b".into(), "c".into()]
                } else {
                    Vec::new()
                },
                state: crate::load::challenge_log::State::Rechallenged,
                respond_by: agreed_on,
                overdue: true,
                closed: false,
                agreed: false,
                agreed_on,
                age_months: -2,
                last_event: agreed_on,
            };
        let views = [
            view("R1", "plain", None),
            view(
                "tab\there\u{1}\u{7f}",
                "line\nbreak\r\u{8}\u{c}é",
                Some(date("2026-05-01")),
            ),
        ];
        // And lists that fill one batch, two, and some of a third.
        let long: Vec<ChallengeView> = views.iter().cycle().take(2 * 8192 + 3).cloned().collect();
        for list in [
            &views[..0],
            &views[..1],
            &views[..],
            &long[..8192],
            &long[..],
        ] {
            let mut ours = Vec::new();
            write_views_json(list, &mut ours).unwrap();
            let theirs = serde_json::to_string_pretty(list).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), theirs);
        }
    }
}
