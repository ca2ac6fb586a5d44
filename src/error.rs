//! Problems found in a workspace's files, and how they are shown.
//!
//! Loading never stops at the first problem: each stage collects every [`Problem`] it finds into
//! a [`Problems`] list, and the command decides what to do with the list. A problem always names
//! the file (relative to the workspace), the 1-based line and column, and what was expected; when
//! the source text is known it keeps the offending line so that it can be shown with a caret.

use crate::model::named::named;
use serde::Serialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

named! {
    /// How bad a problem is: an error stops the commands that read the file; a warning is
    /// reported and the work goes on.
    pub enum Severity {
        /// Stops the commands that read the file.
        Error = "error",
        /// Reported; the work goes on.
        Warning = "warning",
    }
}

/// One problem in one file: where it is, how bad it is, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, relative to the workspace.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column: a character in a TOML line, a field number in a CSV record.
    pub column: usize,
    /// Whether it stops the commands that read the file.
    pub severity: Severity,
    /// What is wrong and what was expected, its control characters removed and its length bounded.
    pub message: String,
    /// The source line the problem points into, shown under the message.
    #[serde(skip)]
    pub excerpt: Option<String>,
    /// Where in the excerpt the caret goes (1-based characters), when it differs from `column`
    /// (a CSV column is a field number, not a character position).
    #[serde(skip)]
    pub caret: Option<usize>,
}

impl Problem {
    /// A problem at a byte range of a source text (a TOML file, an expression inside one).
    pub fn at_span(
        file: &Path,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column, excerpt) = locate(source, span.start);
        Problem {
            file: file.to_path_buf(),
            line,
            column,
            severity: Severity::Error,
            message: message_text(message.into()),
            excerpt: Some(short(&excerpt)),
            caret: None,
        }
    }

    /// A problem at a known line and column (CSV cells, whole files).
    pub fn at_line(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_path_buf(),
            line,
            column,
            severity: Severity::Error,
            message: message_text(message.into()),
            excerpt: None,
            caret: None,
        }
    }

    /// Shows `excerpt` (shortened, its control characters removed) as the source line under the
    /// message.
    pub fn with_excerpt(mut self, excerpt: impl Into<String>) -> Self {
        self.excerpt = Some(short(&excerpt.into()));
        self
    }

    /// Shows a CSV record under the message, the caret under field `field` (0-based): the
    /// fields around it, each shortened, so that a ten-megabyte line shows as a line.
    pub fn with_record(mut self, fields: &[&[u8]], field: usize) -> Self {
        const AROUND: usize = 6;
        const FIELD_CHARS: usize = 40;
        let first = field.saturating_sub(AROUND);
        let last = (field + AROUND + 1).min(fields.len());
        let mut texts: Vec<String> = Vec::new();
        if first > 0 {
            texts.push("…".into());
        }
        let caret_field = texts.len() + field - first;
        texts.extend(fields[first..last].iter().map(|f| {
            let text = String::from_utf8_lossy(&f[..f.len().min(4 * FIELD_CHARS)]);
            shorten(&text, FIELD_CHARS)
        }));
        if last < fields.len() {
            texts.push("…".into());
        }
        let caret = texts
            .iter()
            .take(caret_field)
            .map(|t| t.chars().count() + 1)
            .sum::<usize>()
            + 1;
        self.excerpt = Some(texts.join(","));
        self.caret = Some(caret);
        self
    }
}

/// The longest excerpt or quoted value a problem shows, in characters.
pub const MAX_EXCERPT: usize = 200;

/// `text` cut to [`MAX_EXCERPT`] characters (with "…"), its control characters removed: a
/// problem quotes input, and input can be enormous or hostile.
pub fn short(text: &str) -> String {
    shorten(&crate::render::text::clean(text), MAX_EXCERPT)
}

/// A message as a problem keeps it: control characters removed and its length bounded (a
/// message may quote a cell, and a cell may be ten megabytes).
fn message_text(message: String) -> String {
    const MAX_MESSAGE: usize = 2_000;
    if message.len() <= MAX_MESSAGE && !message.chars().any(char::is_control) {
        return message;
    }
    shorten(&crate::render::text::clean(&message), MAX_MESSAGE)
}

fn shorten(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Line (1-based), column (1-based, in characters) and the text of the line holding `offset`.
pub fn locate(source: &str, offset: usize) -> (usize, usize, String) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let text = source[line_start..line_end]
        .trim_end_matches('\r')
        .to_string();
    (line, column, text)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = self.severity;
        write!(
            f,
            "{}:{}:{}: {}: {}",
            crate::render::text::clean(&self.file.display().to_string()),
            self.line,
            self.column,
            severity,
            crate::render::text::clean(&self.message)
        )?;
        if let Some(excerpt) = &self.excerpt {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = excerpt
                .chars()
                .take(self.caret.unwrap_or(self.column).saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{gutter} | {excerpt}\n{pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

/// The most problems shown for one file: past it, a count of the rest.
pub const MAX_PER_FILE: usize = 200;

/// An ordered collection of problems.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one problem.
    pub fn push(&mut self, problem: Problem) {
        self.list.push(problem);
    }

    /// Adds every problem of `other`.
    pub fn extend(&mut self, other: Problems) {
        self.list.extend(other.list);
    }

    /// Whether any problem is an error rather than a warning.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many problems were found (before [`Problems::sorted`] caps them per file).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The problems in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter()
    }

    /// Sorted by file, then position, so that output is stable whatever order the checks ran
    /// in; at most [`MAX_PER_FILE`] a file, the rest counted in one last problem.
    pub fn sorted(mut self) -> Vec<Problem> {
        self.list.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
        });
        self.list.dedup();
        let mut shown: Vec<Problem> = Vec::with_capacity(self.list.len());
        let mut i = 0;
        while i < self.list.len() {
            let file = self.list[i].file.clone();
            let end = self.list[i..]
                .iter()
                .position(|p| p.file != file)
                .map_or(self.list.len(), |n| i + n);
            let count = end - i;
            shown.extend(self.list[i..end].iter().take(MAX_PER_FILE).cloned());
            if count > MAX_PER_FILE {
                let last = &self.list[end - 1];
                shown.push(Problem::at_line(
                    &file,
                    last.line,
                    1,
                    format!(
                        "{} more problems in this file are not shown (only the first {MAX_PER_FILE} are)",
                        count - MAX_PER_FILE
                    ),
                ));
            }
            i = end;
        }
        shown
    }
}

/// The error a command returns when its inputs are invalid: every problem found, for the
/// binary to print before exiting with status 2.
#[derive(Debug)]
pub struct InvalidInput(pub Vec<Problem>);

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        let errors = self
            .0
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        write!(f, "\n{errors} error(s); nothing was written")
    }
}

impl std::error::Error for InvalidInput {}

/// Why a piece of text or a record is not what was expected: a message for a [`Problem`],
/// which the caller places at its file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl From<String> for Invalid {
    fn from(message: String) -> Self {
        Invalid(message)
    }
}

impl From<&str> for Invalid {
    fn from(message: &str) -> Self {
        Invalid(message.to_string())
    }
}

impl From<Invalid> for String {
    fn from(invalid: Invalid) -> Self {
        invalid.0
    }
}

/// The command line asks for something that cannot be done (exit 2), such as a format the
/// command has no form for.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Git was missing, refused or failed (exit 3): the inputs may be fine, the repository is not.
#[derive(Debug)]
pub struct GitFailure(pub String);

impl fmt::Display for GitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitFailure {}

/// Another levers command holds the workspace (exit 3): nothing was done.
#[derive(Debug)]
pub struct Busy(pub String);

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Busy {}

/// What kind of failure stopped a command; the exit code follows from it (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line asks for something that cannot be done (exit 2).
    Usage,
    /// An input is missing, unreadable as text, or invalid (exit 2).
    Input,
    /// Git was missing, refused or failed (exit 3).
    Git,
    /// The machine refused: a full disk, a permission denied, a read-only folder, or another
    /// levers command holding the workspace (exit 3).
    System,
}

impl Kind {
    /// The kind of `error`, from the first cause in its chain that says.
    pub fn of(error: &anyhow::Error) -> Kind {
        for cause in error.chain() {
            if cause.is::<Usage>() {
                return Kind::Usage;
            }
            if cause.is::<InvalidInput>() {
                return Kind::Input;
            }
            if cause.is::<GitFailure>() {
                return Kind::Git;
            }
            if cause.is::<Busy>() {
                return Kind::System;
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind as E;
                if matches!(
                    io.kind(),
                    E::StorageFull
                        | E::QuotaExceeded
                        | E::PermissionDenied
                        | E::ReadOnlyFilesystem
                        | E::FileTooLarge
                ) {
                    return Kind::System;
                }
            }
        }
        Kind::Input
    }

    /// The process exit code for this kind (§6: 2 for bad usage or input; 3 for the machine).
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage | Kind::Input => 2,
            Kind::Git | Kind::System => 3,
        }
    }

    /// What to do about it, when the message alone may not say.
    pub fn advice(self) -> Option<&'static str> {
        match self {
            Kind::System => Some("the machine refused (disk space, permissions, or another levers command at work); the inputs were not the problem, and every file is either as it was or whole"),
            Kind::Usage | Kind::Input | Kind::Git => None,
        }
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo: the
/// "did you mean" of unknown keys, columns and KPI ids.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&name, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance; used on short names only.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let src = "a = 1\nb = \"£x\"\n";
        assert_eq!(locate(src, 0), (1, 1, "a = 1".to_string()));
        let x = src.find('x').unwrap();
        assert_eq!(locate(src, x), (2, 7, "b = \"£x\"".to_string()));
    }

    #[test]
    fn display_shows_caret_under_column() {
        let p = Problem::at_span(Path::new("c.toml"), "where = \"pod = 1\"\n", 9..12, "bad");
        let text = p.to_string();
        assert_eq!(
            text,
            "c.toml:1:10: error: bad\n  |\n1 | where = \"pod = 1\"\n  |          ^"
        );
    }

    #[test]
    fn the_exit_code_follows_the_first_cause_that_says_what_went_wrong() {
        let io = |kind| anyhow::Error::new(std::io::Error::from(kind)).context("cannot write x");
        assert_eq!(Kind::of(&io(std::io::ErrorKind::StorageFull)), Kind::System);
        assert_eq!(
            Kind::of(&io(std::io::ErrorKind::PermissionDenied)),
            Kind::System
        );
        assert_eq!(Kind::of(&io(std::io::ErrorKind::NotFound)), Kind::Input);
        let git = anyhow::Error::new(GitFailure("git commit failed".into())).context("run");
        assert_eq!(Kind::of(&git), Kind::Git);
        assert_eq!(
            Kind::of(&anyhow::Error::new(Busy("busy".into()))),
            Kind::System
        );
        assert_eq!(
            Kind::of(&anyhow::Error::new(Usage("no".into()))),
            Kind::Usage
        );
        assert_eq!(
            Kind::of(&anyhow::Error::new(InvalidInput(Vec::new()))),
            Kind::Input
        );
        assert_eq!(Kind::of(&anyhow::anyhow!("anything else")), Kind::Input);
        assert_eq!(
            [Kind::Usage, Kind::Input, Kind::Git, Kind::System].map(Kind::exit_code),
            [2, 2, 3, 3]
        );
    }
}
