//! Text from input files made safe for the place it is written to.
//!
//! Record keys, notes and names come from files the provider and others control. Written as
//! they are, a key such as `=HYPERLINK("http://…")` runs as a formula when the companion CSV is
//! opened in a spreadsheet, and an escape sequence rewrites a terminal. Every output goes
//! through [`clean`]; spreadsheet cells also through [`spreadsheet_cell`].

use std::borrow::Cow;

/// `text` without control characters (C0 other than tab and newline, DEL and C1): they have
/// no place in a letter, a table or a spreadsheet, and an ESC can drive a terminal.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    // Printable ASCII, tab and newline (nearly every cell) are seen byte by byte, without
    // decoding characters.
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) || b == b'\n' || b == b'\t')
    {
        return Cow::Borrowed(text);
    }
    let control = |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    if !text.chars().any(control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| !control(*c)).collect())
}

/// A cell as a spreadsheet should read it: [`clean`], and, when it starts with a character
/// that makes a spreadsheet read a formula (`=`, `+`, `-`, `@`, tab or carriage return), led by
/// an apostrophe, as OWASP advises against CSV injection. A number (`-12.50`) stays a number.
pub(crate) fn spreadsheet_cell(text: &str) -> Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(text);
    match (clean(text), formula) {
        (cell, false) => cell,
        (cell, true) => Cow::Owned(format!("'{cell}")),
    }
}

/// `-12.50`, `+3`, `1e5` is not one: an optional sign, digits, an optional fraction.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Escapes text from contract files for Markdown prose and table cells.
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Text made safe inside XML or HTML (an SVG picture, the board pack): [`clean`], the five
/// markup characters as entities, line breaks and tabs as spaces.
pub(crate) fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A YAML double-quoted string (the metadata block pandoc reads), on one line: backslashes and
/// quotes escaped, a line break written as `\n`, other control characters dropped, so that no
/// text (a title holding a newline and `---`) can end the block or add a key to it.
pub(crate) fn yaml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) use crate::model::calendar::long_date;

/// "no challenges", "one challenge", "3 challenges".
pub(crate) fn count_words(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("one {one}"),
        _ => format!("{n} {many}"),
    }
}

/// The text with its first letter in upper case.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        for (cell, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+44 1234", "'+44 1234"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("\tX", "'\tX"),
            ("-12.50", "-12.50"),
            ("+3", "+3"),
            ("R2609-0001", "R2609-0001"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_cell(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(clean("a\u{0}b\u{1b}[31mc\u{7f}\u{85}"), "ab[31mc");
        assert_eq!(clean("line\none\ttab"), "line\none\ttab");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }
}
