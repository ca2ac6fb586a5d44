//! The streaming CSV reader of monthly files.
//!
//! A dataset's monthly files are read in one streaming pass: each record is parsed with the csv crate's `ByteRecord` (no
//! per-row allocation), only the columns some rule reads are converted to typed [`Value`]s, and
//! every cell that does not parse as its type becomes a [`Problem`] with file, line and column
//! name. Memory is bounded by the row being read, whatever the file's size.

use crate::error::Invalid;
use crate::error::{Problem, Problems};
use crate::model::cell::{parse_cell, parse_date, trim_cell};
use crate::model::schema::{ColumnType, Schema};
use crate::model::value::Value;
use crate::pass::hash::ContentHasher;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::path::Path;

/// ISO dates lately parsed, by their text: a month's file holds a few dozen distinct dates in
/// millions of cells, and a date looked up here costs a fraction of one parsed.
struct DateCache {
    /// Direct-mapped by the day and month digits, so that the dates of one month never evict
    /// each other.
    entries: [Option<([u8; 10], NaiveDate)>; 64],
}

impl Default for DateCache {
    fn default() -> Self {
        DateCache {
            entries: [None; 64],
        }
    }
}

impl DateCache {
    /// As [`parse_date`] with the ISO format.
    fn parse(&mut self, text: &str) -> Result<NaiveDate, Invalid> {
        let Ok(bytes) = <[u8; 10]>::try_from(text.as_bytes()) else {
            return parse_date(text, None);
        };
        let at =
            (usize::from(bytes[9]) + 10 * usize::from(bytes[8]) + 31 * usize::from(bytes[6])) % 64;
        if let Some((seen, date)) = &self.entries[at] {
            if *seen == bytes {
                return Ok(*date);
            }
        }
        let date = parse_date(text, None)?;
        self.entries[at] = Some((bytes, date));
        Ok(date)
    }
}

/// One row as the rules see it: the typed values of the columns in use, by slot.
pub struct Row<'r> {
    /// 1-based line in the file where the record starts.
    pub line: u64,
    /// Byte offset of the record in the file (to read it again later).
    pub byte: u64,
    /// The typed value of each column in use, by slot: NULL for an empty cell or one that did not
    /// parse.
    pub values: &'r [Value<'r>],
}

/// Whether long reads may show progress on stderr: set by the binary only when stderr is a
/// terminal and `-q` was not given, so it never appears in pipes, cron or tests.
static PROGRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Lets long reads show progress on stderr (the binary turns it on only when stderr is a
/// terminal and `-q` was not given).
pub fn enable_progress(on: bool) {
    PROGRESS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Files smaller than this read too quickly to need a progress line.
const PROGRESS_FROM_BYTES: u64 = 64 << 20;

/// A progress bar on stderr for one long read (indicatif draws it, and only on a terminal).
/// Every reader of one file shares the file's bar and adds the bytes it has read, so a file
/// read on two cores shows one bar; the last reader to finish clears it.
struct Progress {
    bar: indicatif::ProgressBar,
    /// How many readers hold the bar.
    readers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The byte this reader had reached when it last reported.
    reached: u64,
}

/// A file's bar and the count of its readers.
type SharedBar = (
    std::path::PathBuf,
    std::sync::Weak<std::sync::atomic::AtomicUsize>,
    indicatif::ProgressBar,
);

/// The bars of the files being read now.
static BARS: std::sync::Mutex<Vec<SharedBar>> = std::sync::Mutex::new(Vec::new());

impl Progress {
    /// A reader's share of `display`'s bar, starting at byte `start` of `total`.
    fn new(display: &Path, start: u64, total: u64) -> Option<Progress> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        if !PROGRESS.load(Ordering::Relaxed) || total < PROGRESS_FROM_BYTES {
            return None;
        }
        let mut bars = BARS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bars.retain(|(_, readers, _)| readers.strong_count() > 0);
        let shared = bars
            .iter()
            .find(|(path, _, _)| path == display)
            .and_then(|(_, readers, bar)| Some((readers.upgrade()?, bar.clone())));
        let (readers, bar) = shared.unwrap_or_else(|| {
            let style = indicatif::ProgressStyle::with_template(
                "reading {msg} {wide_bar} {percent}% ({binary_bytes_per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            let bar = indicatif::ProgressBar::new(total).with_style(style);
            bar.set_message(display.display().to_string());
            let readers = Arc::new(AtomicUsize::new(0));
            bars.push((display.to_path_buf(), Arc::downgrade(&readers), bar.clone()));
            (readers, bar)
        });
        readers.fetch_add(1, Ordering::SeqCst);
        Some(Progress {
            bar,
            readers,
            reached: start,
        })
    }

    /// This reader has reached `byte`.
    fn update(&mut self, byte: u64) {
        self.bar.inc(byte.saturating_sub(self.reached));
        self.reached = self.reached.max(byte);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self
            .readers
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.bar.finish_and_clear();
        }
    }
}

/// The most cell problems one file reports; past it the reader says how many more it found.
const MAX_CELL_PROBLEMS: usize = 100;

/// What reading one file found, besides the rows.
#[derive(Debug, Default)]
pub struct ReadSummary {
    /// The data rows read (the header not counted).
    pub rows: u64,
    /// The problems found in the header and the cells.
    pub problems: Problems,
    /// The [`ContentHasher`] hash of the bytes read: the whole file, or for a chunk, from its
    /// start (the file's start for the first chunk) to its end. `None` if any were not read.
    pub content: Option<[u64; 2]>,
    /// The file's SHA-256, in hex, when one was asked for and the read reached the file's end.
    pub sha256: Option<String>,
}

/// Streams `path` through `visit`, converting the columns `slots` names (schema column
/// indices, in slot order). Header problems stop the read (no row can be trusted); cell
/// problems are collected, the cell read as NULL, and reading goes on so every problem is found.
pub fn read_rows(
    path: &Path,
    display: &Path,
    schema: &Schema,
    slots: &[usize],
    visit: impl FnMut(&Row<'_>),
) -> ReadSummary {
    read_rows_in(path, display, schema, slots, None, None, visit)
}

/// A part of a CSV file that starts at a record boundary: `start..end` in bytes, with the line
/// number of its first record. The first chunk (start 0) holds the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// The byte offset where the part starts, at a record boundary.
    pub start: u64,
    /// The byte offset just past the part's end.
    pub end: u64,
    /// The 1-based line of the part's first record.
    pub first_line: u64,
}

/// Where to cut `path` (of `size` bytes) for two readers: just after the first newline at or
/// after byte `at`. `None` when there is none before the last byte.
pub fn cut_after(path: &Path, at: u64, size: u64) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(at)).ok()?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut offset = at;
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &buffer[..n]) {
            let cut = offset + i as u64 + 1;
            return (cut < size).then_some(cut);
        }
        offset += n as u64;
    }
}

/// Hands everything `reader` gives to `each`, a megabyte at a time; returns the bytes read.
pub fn read_blocks(
    mut reader: impl std::io::Read,
    mut each: impl FnMut(&[u8]),
) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut read = 0;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(read),
            Ok(n) => {
                each(&buffer[..n]);
                read += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The quotes and the newlines in the first `end` bytes of `path`: whether a cut there is
/// outside any quoted field, and the line the next record starts on. With `sha256`, those bytes
/// are also hashed into it (for the reader after the cut to carry on).
pub fn quotes_and_lines(
    path: &Path,
    end: u64,
    mut sha256: Option<&mut sha2::Sha256>,
) -> std::io::Result<(u64, u64)> {
    use std::io::Read;
    let (mut quotes, mut lines) = (0, 0);
    let read = read_blocks(std::fs::File::open(path)?.take(end), |block| {
        quotes += count_byte(block, b'"');
        lines += count_byte(block, b'\n');
        if let Some(sha) = sha256.as_deref_mut() {
            sha2::Digest::update(sha, block);
        }
    })?;
    if read < end {
        return Err(std::io::Error::other("the file is shorter than it was"));
    }
    Ok((quotes, lines))
}

/// Reads single records of a file again by their byte offsets: the rows a duplicate rule must
/// compare exactly, or report after the pass.
pub struct RecordAt {
    /// A reader kept for every record: building one costs more than reading a record.
    reader: csv::Reader<std::fs::File>,
    /// The file again, for records read in place.
    file: std::fs::File,
    schema: Schema,
    /// Field position of each schema column, from the file's header.
    positions: Vec<usize>,
    record: csv::ByteRecord,
    /// A record read in place: its bytes, its fields, and how many fields it has.
    plain: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
    fields: usize,
    in_place: bool,
}

impl RecordAt {
    /// Opens `path` to read its records again, finding the schema's columns from its header; an
    /// error if it cannot be opened or its header no longer matches.
    pub fn open(path: &Path, schema: &Schema) -> Result<RecordAt, Invalid> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let positions = header_positions(&mut csv::Reader::from_reader(&file), path, schema)
            .map_err(|_| "the header changed".to_string())?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            // Records end at a newline, as `read_rows` reads them.
            .terminator(csv::Terminator::Any(b'\n'))
            // Most records are far shorter; a longer one is read in several refills.
            .buffer_capacity(1024)
            .from_reader(std::fs::File::open(path).map_err(|e| e.to_string())?);
        let width = positions.iter().max().map_or(0, |p| p + 1);
        Ok(RecordAt {
            reader,
            file,
            schema: schema.clone(),
            positions,
            record: csv::ByteRecord::new(),
            plain: vec![0; 512],
            ranges: vec![0..0; width],
            fields: 0,
            in_place: false,
        })
    }

    /// Reads the record starting at byte `offset`; [`RecordAt::value`] then gives its cells.
    pub fn read(&mut self, offset: u64) -> Result<(), Invalid> {
        self.in_place = self.read_in_place(offset)?;
        if self.in_place {
            return Ok(());
        }
        let mut at = csv::Position::new();
        at.set_byte(offset);
        self.reader.seek(at).map_err(|e| e.to_string())?;
        if self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| e.to_string())?
        {
            Ok(())
        } else {
            Err(Invalid::from(format!("no record at byte {offset}")))
        }
    }

    /// The common record, unquoted and under 512 bytes, read with one positioned read and
    /// split as the pass splits it. False for any other (the CSV parser reads those).
    #[cfg(unix)]
    fn read_in_place(&mut self, offset: u64) -> Result<bool, Invalid> {
        use std::os::unix::fs::FileExt;
        let n = self
            .file
            .read_at(&mut self.plain, offset)
            .map_err(|e| e.to_string())?;
        let bytes = &self.plain[..n];
        let Some(end) = memchr::memchr(b'\n', bytes) else {
            return Ok(false);
        };
        let record = &bytes[..end];
        // A blank line (which the parser skips) or a quote: the parser's.
        if record.is_empty() || record == b"\r" || memchr::memchr(b'"', record).is_some() {
            return Ok(false);
        }
        self.fields = split_line(record, &mut self.ranges)
            .1
            .min(self.ranges.len());
        Ok(true)
    }

    #[cfg(not(unix))]
    fn read_in_place(&mut self, _offset: u64) -> Result<bool, Invalid> {
        Ok(false)
    }

    /// The cell of schema column `column` in the record last read, typed as [`read_rows`] types
    /// it (NULL when empty).
    pub fn value(&self, column: usize) -> Result<Value<'_>, Invalid> {
        let position = self.positions[column];
        let raw = if self.in_place {
            match self.ranges[..self.fields].get(position) {
                Some(range) => &self.plain[range.clone()],
                None => b"",
            }
        } else {
            self.record.get(position).unwrap_or(b"")
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| "the cell is not valid UTF-8 text".to_string())?
            .trim();
        if text.is_empty() {
            return Ok(Value::Null);
        }
        let column = &self.schema.columns[column];
        parse_cell(text, column.ty, self.schema.date_format.as_deref())
    }
}

/// The line on which each record at `offsets` (sorted) starts, for rows cited by line.
pub fn lines_at(path: &Path, offsets: &[u64]) -> Result<Vec<u64>, Invalid> {
    use std::io::Read;
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| e.to_string())?);
    let mut block = vec![0u8; 1 << 20];
    let (mut at, mut lines) = (0u64, 1u64);
    let mut out = Vec::with_capacity(offsets.len());
    for &offset in offsets {
        while at < offset {
            let want = (offset - at).min(block.len() as u64) as usize;
            let n = file.read(&mut block[..want]).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(Invalid::from(format!("no record at byte {offset}")));
            }
            lines += count_byte(&block[..n], b'\n');
            at += n as u64;
        }
        out.push(lines);
    }
    Ok(out)
}

/// How many times `byte` occurs in `bytes`. Counting in bytes, 255 at a time, lets the compiler
/// compare and add 16 or 32 bytes an instruction.
pub fn count_byte(bytes: &[u8], byte: u8) -> u64 {
    bytes
        .chunks(255)
        .map(|chunk| {
            let n = chunk.iter().fold(0u8, |n, b| n + u8::from(*b == byte));
            u64::from(n)
        })
        .sum()
}

/// [`read_rows`] over one chunk of the file (the whole file when `chunk` is `None`). With
/// `sha256` (the SHA-256 of the bytes before the chunk: a new one for the first), the file's
/// SHA-256 is carried on over the bytes read, and given in the summary when they reach its end.
pub fn read_rows_in(
    path: &Path,
    display: &Path,
    schema: &Schema,
    slots: &[usize],
    chunk: Option<Chunk>,
    sha256: Option<sha2::Sha256>,
    visit: impl FnMut(&Row<'_>),
) -> ReadSummary {
    read_rows_blocks(path, display, schema, slots, chunk, sha256, visit, 1 << 20)
}

/// [`read_rows_in`], reading unquoted records `block` bytes at a time.
#[allow(clippy::too_many_arguments)]
fn read_rows_blocks(
    path: &Path,
    display: &Path,
    schema: &Schema,
    slots: &[usize],
    chunk: Option<Chunk>,
    sha256: Option<sha2::Sha256>,
    visit: impl FnMut(&Row<'_>),
    block: usize,
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let problem = |message: String| Problem::at_line(display, 1, 1, message);
    // Only a regular file: a named pipe would block the read, a device never end it.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            summary.problems.push(problem(format!(
                "cannot read the file: it is {}, not a regular file",
                crate::load::files::file_kind(&meta)
            )));
            return summary;
        }
        _ => {}
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            summary
                .problems
                .push(problem(format!("cannot read the file: {e}")));
            return summary;
        }
    };
    {
        use std::io::Read;
        let mut head = Vec::with_capacity(64);
        if (&file).take(64).read_to_end(&mut head).is_ok() {
            if let Some(encoding) = crate::load::files::utf16(&head) {
                summary.problems.push(problem(format!(
                    "the file is {encoding} text; levers reads UTF-8: save it as \"CSV UTF-8\" and try again"
                )));
                return summary;
            }
        }
        use std::io::Seek;
        if (&file).seek(std::io::SeekFrom::Start(0)).is_err() {
            summary
                .problems
                .push(problem("cannot read the file again from its start".into()));
            return summary;
        }
    }
    // The header, read on its own: where each column is, and where the records start.
    let mut header_reader = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(&file);
    let positions = match header_positions(&mut header_reader, display, schema) {
        Ok(p) => p,
        Err(problems) => {
            summary.problems = problems;
            return summary;
        }
    };
    let width = header_reader.byte_headers().map_or(0, |h| h.len());
    // Where the header ends: its byte, and the line the first record can start on (the
    // parser counts every newline it has read).
    let header_end = header_reader.position().clone();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let (start, end, first_line) = match chunk {
        Some(c) if c.start > 0 => (c.start, c.end.min(size), c.first_line),
        other => {
            let end = other.map_or(size, |c| c.end.min(size));
            (header_end.byte(), end, header_end.line())
        }
    };
    let content_start = chunk.map_or(0, |c| c.start);
    let mut rows = RowReader {
        display,
        schema,
        slot_fields: slots
            .iter()
            .map(|&c| {
                let column = &schema.columns[c];
                (positions[c], column.ty, column.name.as_str())
            })
            .collect(),
        // NHS numbers are personal data: an excerpt of a bad record never shows one.
        masked: schema
            .columns
            .iter()
            .zip(&positions)
            .filter(|(c, _)| c.ty == ColumnType::NhsNumber)
            .map(|(_, &p)| p)
            .collect(),
        progress: Progress::new(display, content_start, size),
        recycled: Vec::with_capacity(slots.len()),
        dates: matches!(schema.date_format.as_deref(), None | Some("%Y-%m-%d"))
            .then(|| Box::new(DateCache::default())),
        cell_problems: 0,
        summary,
        content: match sha256 {
            Some(sha) => ContentHasher::starting_at(content_start).with_sha256(sha),
            None => ContentHasher::starting_at(content_start),
        },
        visit,
    };
    // The bytes before the first record (the header) are hashed too.
    if content_start < start {
        use std::io::{Read, Seek, SeekFrom};
        let mut header = vec![0u8; (start - content_start) as usize];
        let mut reading = &file;
        let read = reading.seek(SeekFrom::Start(content_start)).is_ok()
            && reading.read_exact(&mut header).is_ok();
        if read {
            rows.content.feed(content_start, &header);
        }
    }
    let unquoted = read_unquoted(&file, start, end, first_line, width, block, &mut rows);
    let (at, line) = match unquoted {
        Ok(stopped) => stopped,
        Err(e) => {
            rows.summary
                .problems
                .push(problem(format!("cannot read the file: {e}")));
            return rows.summary;
        }
    };
    if at < end {
        read_quoted(path, &file, at, end, line, width, &mut rows);
    }
    if rows.cell_problems > MAX_CELL_PROBLEMS {
        rows.summary.problems.push(problem(format!(
            "{} more rows or cells have problems (only the first {MAX_CELL_PROBLEMS} are listed)",
            rows.cell_problems - MAX_CELL_PROBLEMS
        )));
    }
    if rows.content.end() == end {
        if end == size {
            rows.summary.sha256 = rows.content.sha256();
        }
        rows.summary.content = rows.content.finish();
    }
    rows.summary
}

/// One record's fields: byte ranges within `bytes`.
struct Fields<'a> {
    bytes: &'a [u8],
    ranges: &'a [std::ops::Range<usize>],
    /// The record's bytes as text, when they are already known to be UTF-8 (checked with the
    /// rest of their block).
    text: Option<&'a str>,
}

impl Fields<'_> {
    fn get(&self, i: usize) -> Option<&[u8]> {
        self.ranges.get(i).map(|r| &self.bytes[r.clone()])
    }
}

/// Turns records into typed rows for `visit`, collecting the problems of bad cells.
struct RowReader<'a, F> {
    display: &'a Path,
    schema: &'a Schema,
    /// Field position, type and name of each slot's column.
    slot_fields: Vec<(usize, ColumnType, &'a str)>,
    masked: Vec<usize>,
    /// This reader's share of the file's progress bar.
    progress: Option<Progress>,
    recycled: Vec<Value<'static>>,
    /// ISO dates seen lately, when the dataset's dates are ISO.
    dates: Option<Box<DateCache>>,
    cell_problems: usize,
    summary: ReadSummary,
    /// Every byte read, hashed for the month cache as it passes (no second read of the file).
    content: ContentHasher,
    visit: F,
}

impl<F: FnMut(&Row<'_>)> RowReader<'_, F> {
    fn record(&mut self, line: u64, byte: u64, fields: &Fields<'_>) {
        self.summary.rows += 1;
        if self.summary.rows.is_multiple_of(1 << 16) {
            if let Some(p) = self.progress.as_mut() {
                p.update(byte);
            }
        }
        // Reuse one allocation for every row's values: an emptied Vec collected into a Vec of
        // the same layout keeps its buffer, so no per-row allocation and no unsafe lifetime cast.
        let recycled = std::mem::take(&mut self.recycled);
        let mut values: Vec<Value<'_>> = recycled.into_iter().map(|_| Value::Null).collect();
        // One UTF-8 check for the whole record (or none, when its block was checked whole); a
        // cell is then a slice of it (a cell whose bytes are not valid alone fails to slice,
        // and is reported as such).
        let whole = fields
            .text
            .map_or_else(|| std::str::from_utf8(fields.bytes), Ok);
        let date_format = self.schema.date_format.as_deref();
        for slot in 0..self.slot_fields.len() {
            let (field, ty, name) = self.slot_fields[slot];
            let text = match (fields.ranges.get(field), &whole) {
                (None, _) => Some(""),
                (Some(range), Ok(whole)) => whole.get(range.clone()),
                (Some(range), Err(_)) => std::str::from_utf8(&fields.bytes[range.clone()]).ok(),
            };
            let Some(text) = text else {
                self.cell_problem(
                    line,
                    fields,
                    field,
                    name,
                    "the cell is not valid UTF-8 text",
                );
                values.push(Value::Null);
                continue;
            };
            let text = trim_cell(text);
            // Each common cell is pushed where it is made: a value built aside and then moved
            // in was read back before its parts were stored, a stall on every cell.
            let parsed = if text.is_empty() {
                Ok(Value::Null)
            } else {
                match (ty, &mut self.dates) {
                    (ColumnType::Text | ColumnType::NhsNumber, _) => {
                        values.push(Value::Text(Cow::Borrowed(text)));
                        continue;
                    }
                    (ColumnType::Date, Some(dates)) => match dates.parse(text) {
                        Ok(date) => {
                            values.push(Value::Date(date));
                            continue;
                        }
                        Err(message) => Err(message),
                    },
                    (ColumnType::Money, _) => match crate::model::money::parse_pence(text) {
                        Some(pence) => {
                            values.push(Value::Dec(Decimal::new(pence, 2)));
                            continue;
                        }
                        None => parse_cell(text, ty, date_format),
                    },
                    _ => parse_cell(text, ty, date_format),
                }
            };
            match parsed {
                Ok(v) => values.push(v),
                Err(message) => {
                    self.cell_problem(line, fields, field, name, &message.0);
                    values.push(Value::Null);
                }
            }
        }
        (self.visit)(&Row {
            line,
            byte,
            values: &values,
        });
        values.clear();
        self.recycled = values.into_iter().map(|_| Value::Null).collect();
    }

    /// Records a cell that does not parse (the first [`MAX_CELL_PROBLEMS`] in full).
    #[cold]
    fn cell_problem(
        &mut self,
        line: u64,
        fields: &Fields<'_>,
        field: usize,
        name: &str,
        message: &str,
    ) {
        self.cell_problems += 1;
        if self.cell_problems > MAX_CELL_PROBLEMS {
            return;
        }
        let excerpt: Vec<&[u8]> = (0..fields.ranges.len())
            .map(|i| {
                let f = fields.get(i).unwrap_or(b"");
                if self.masked.contains(&i) && !f.is_empty() {
                    &b"<NHS number>"[..]
                } else {
                    f
                }
            })
            .collect();
        self.summary.problems.push(
            Problem::at_line(
                self.display,
                line as usize,
                field + 1,
                format!("column `{name}`: {message}"),
            )
            .with_record(&excerpt, field),
        );
    }

    fn width_problem(&mut self, line: u64, expected: usize, found: usize) {
        self.cell_problems += 1;
        if self.cell_problems > MAX_CELL_PROBLEMS {
            return;
        }
        self.summary.problems.push(Problem::at_line(
            self.display,
            line as usize,
            1,
            format!("expected {expected} fields as in the header, found {found}"),
        ));
    }
}

/// Reads records from `start` for as long as they hold no quote: then every field ends at a
/// comma and every record at a newline, found together sixteen bytes at a time
/// ([`split_line`]), and no field is copied. Returns the offset and line of the first record
/// not read (`end` when all were), where the full CSV parser takes over.
///
/// Records end at a newline, after which a carriage return before it is dropped: files with
/// Windows line ends read as Unix ones, with the same line numbers, and a carriage return
/// anywhere else is data (as [`read_quoted`] reads them too).
fn read_unquoted<F: FnMut(&Row<'_>)>(
    file: &std::fs::File,
    start: u64,
    end: u64,
    first_line: u64,
    width: usize,
    block: usize,
    rows: &mut RowReader<'_, F>,
) -> std::io::Result<(u64, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(start))?;
    let mut body = file.take(end - start);
    let mut buffer = vec![0u8; block];
    // Every record's fields, when it has as many as the header.
    let mut ranges = vec![0..0; width];
    // `buffer[..filled]` holds unread bytes; its first byte is at file offset `at`.
    let (mut at, mut line, mut filled) = (start, first_line, 0usize);
    let mut eof = false;
    loop {
        if !eof && filled < buffer.len() {
            let n = body.read(&mut buffer[filled..])?;
            rows.content
                .feed(at + filled as u64, &buffer[filled..filled + n]);
            eof = n == 0;
            filled += n;
            if !eof && filled < buffer.len() {
                continue;
            }
        }
        if filled == 0 {
            return Ok((at, line));
        }
        let block = &buffer[..filled];
        if memchr::memchr(b'"', block).is_some() {
            return Ok((at, line));
        }
        // Complete records end at the block's last newline (or at the end of the file).
        let complete = match memchr::memrchr(b'\n', block) {
            Some(i) => i + 1,
            None if eof => filled,
            // A record longer than the buffer: let the full parser have it.
            None => return Ok((at, line)),
        };
        // The block's text checked as UTF-8 at once (a record is then a slice of it, cut at
        // newlines, which are character boundaries); a block that is not is checked a record
        // at a time, so that each bad cell is found and reported.
        let text = std::str::from_utf8(&block[..complete]).ok();
        // Each line is split as its newline is found (the file's last may have none).
        let mut record_start = 0;
        while record_start < complete {
            let (length, fields) = split_line(&block[record_start..complete], &mut ranges);
            let record_end = record_start + length;
            let record = &block[record_start..record_end];
            let record_text = text.and_then(|t| t.get(record_start..record_end));
            finish_record(
                rows,
                record,
                record_text,
                fields,
                &ranges,
                at + record_start as u64,
                line,
            );
            line += 1;
            record_start = record_end + 1;
        }
        buffer.copy_within(complete..filled, 0);
        filled -= complete;
        at += complete as u64;
        if eof && filled == 0 {
            return Ok((at, line));
        }
    }
}

/// The first line of `bytes`, unquoted, split into fields: the fields end at each comma, and
/// the line at its newline (or at the end of `bytes`), with a carriage return before the
/// newline dropped. Returns the line's length, its newline left out, and how many fields it
/// has; the first `ranges.len()` of them are written to `ranges` (a record of any other width
/// than the header's is reported, not read).
///
/// The commas and the newline are found sixteen bytes at a time, together ([`byte_bits`]): a
/// field is a few bytes long, too short for a `memchr` call to pay (one a line cost as much as
/// splitting the line), and a byte loop costs a branch a byte.
fn split_line(bytes: &[u8], ranges: &mut [std::ops::Range<usize>]) -> (usize, usize) {
    let (mut start, mut count) = (0, 0);
    // The fields ended by the commas of sixteen bytes at `base` (those before the newline, if
    // one is among them), and where the line ends if it ends there.
    let mut scan = |chunk: &[u8; 16], base: usize, valid: u32| -> Option<usize> {
        let newlines = byte_bits(chunk, b'\n') & valid;
        let mut commas = byte_bits(chunk, b',') & valid;
        if newlines != 0 {
            // Only the commas before the first newline.
            commas &= (newlines & newlines.wrapping_neg()) - 1;
        }
        while commas != 0 {
            let i = base + commas.trailing_zeros() as usize;
            if let Some(range) = ranges.get_mut(count) {
                *range = start..i;
            }
            count += 1;
            start = i + 1;
            commas &= commas - 1;
        }
        (newlines != 0).then(|| base + newlines.trailing_zeros() as usize)
    };
    let mut chunks = bytes.chunks_exact(16);
    let mut base = 0;
    let mut end = None;
    for chunk in &mut chunks {
        end = scan(chunk.try_into().expect("sixteen bytes"), base, u32::MAX);
        if end.is_some() {
            break;
        }
        base += 16;
    }
    // The last few bytes, padded with zeros (neither commas nor newlines), their flags kept
    // only for the bytes there are.
    let rest = chunks.remainder().len();
    if end.is_none() && rest > 0 {
        let mut tail = [0u8; 16];
        tail[..rest].copy_from_slice(chunks.remainder());
        end = scan(&tail, base, (1 << rest) - 1);
    }
    let line = end.unwrap_or(bytes.len());
    let last = if line > start && bytes[line - 1] == b'\r' {
        line - 1
    } else {
        line
    };
    if let Some(range) = ranges.get_mut(count) {
        *range = start..last;
    }
    (line, count + 1)
}

/// One bit for each of sixteen bytes that is `byte` (bit `i` for byte `i`): a vector compare
/// (SSE2, which every x86-64 processor has, so no check is needed at run time), or elsewhere
/// [`byte_bits_portable`].
#[inline(always)]
fn byte_bits(bytes: &[u8; 16], byte: u8) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x};
        let (low, high) = bytes.split_at(8);
        let low = u64::from_le_bytes(low.try_into().expect("eight bytes"));
        let high = u64::from_le_bytes(high.try_into().expect("eight bytes"));
        // SAFETY: these intrinsics need SSE2, which this build targets (the `cfg` above: it is
        // part of every x86-64 processor); they take values, never pointers.
        unsafe {
            let vector = _mm_set_epi64x(high as i64, low as i64);
            _mm_movemask_epi8(_mm_cmpeq_epi8(vector, _mm_set1_epi8(byte as i8))) as u32
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    byte_bits_portable(bytes, byte)
}

/// [`byte_bits`] in plain arithmetic: two words tested eight bytes at a time, each byte's flag
/// (its high bit) gathered to one bit a byte by a multiply.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn byte_bits_portable(bytes: &[u8; 16], byte: u8) -> u32 {
    let pattern = u64::from_le_bytes([byte; 8]);
    let gather = |word: &[u8]| -> u32 {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let flags = zero_bytes(word ^ pattern) >> 7;
        (flags.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
    };
    let (low, high) = bytes.split_at(8);
    gather(low) | gather(high) << 8
}

/// The high bit of each byte of `word` that is zero, and no other bit: exact, with no borrow
/// from one byte into the next (adding 0x7f to a byte's low seven bits cannot carry out of it).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((word & LOW7).wrapping_add(LOW7)) | word | LOW7)
}

/// Hands one unquoted record to `rows`. A blank line is no record, as for the CSV parser.
fn finish_record<F: FnMut(&Row<'_>)>(
    rows: &mut RowReader<'_, F>,
    bytes: &[u8],
    text: Option<&str>,
    count: usize,
    ranges: &[std::ops::Range<usize>],
    byte: u64,
    line: u64,
) {
    let width = ranges.len();
    // One field and no room for it (a header of no columns) is as good as blank.
    let blank = count == 1 && ranges.first().is_none_or(|r| r.is_empty());
    if blank {
        return;
    }
    if count == width {
        rows.record(
            line,
            byte,
            &Fields {
                bytes,
                ranges,
                text,
            },
        );
    } else {
        rows.width_problem(line, width, count);
    }
}

/// How many blank lines (`\n` or `\r\n` alone) start at byte `at` of `path`.
fn blank_lines_at(path: &Path, at: u64) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    if file.seek(SeekFrom::Start(at)).is_err() {
        return 0;
    }
    let mut bytes = Vec::new();
    let (mut lines, mut i) = (0, 0);
    loop {
        if bytes.len() < i + 2 {
            let mut more = [0u8; 4096];
            match file.read(&mut more) {
                Ok(n) if n > 0 => bytes.extend_from_slice(&more[..n]),
                _ => {}
            }
        }
        match &bytes[i.min(bytes.len())..] {
            [b'\n', ..] => i += 1,
            [b'\r', b'\n', ..] => i += 2,
            _ => return lines,
        }
        lines += 1;
    }
}

fn read_quoted<F: FnMut(&Row<'_>)>(
    path: &Path,
    file: &std::fs::File,
    at: u64,
    end: u64,
    line: u64,
    width: usize,
    rows: &mut RowReader<'_, F>,
) {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    if file.seek(SeekFrom::Start(at)).is_err() {
        rows.summary
            .problems
            .push(Problem::at_line(rows.display, 1, 1, "cannot read the file"));
        return;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // Records end at a newline, as in `read_unquoted`.
        .terminator(csv::Terminator::Any(b'\n'))
        // Every record is held to the header's width, below.
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            Hashing {
                inner: file.take(end - at),
                at,
                content: std::mem::replace(&mut rows.content, ContentHasher::starting_at(0)),
            },
        ));
    let mut record = csv::ByteRecord::new();
    let mut ranges = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at_line = e.position().map_or(0, |p| p.line()) + line - 1;
                rows.summary.problems.push(Problem::at_line(
                    rows.display,
                    at_line as usize,
                    1,
                    csv_error_message(&e),
                ));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        // The parser dates a record from where it began looking, before any blank lines it
        // skipped; its line is worked out back from the end instead: the lines read so far,
        // less its own newlines (inside quotes, and the one that ends it).
        let after = reader.position();
        let began = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let record_line = if after.byte() < end - at {
            after.line() - count_byte(record.as_slice(), b'\n') - 1 + line - 1
        } else {
            // The last record may end at the end of the file rather than at a newline: look
            // for the blank lines before it instead.
            began.line() + blank_lines_at(path, at + began.byte()) + line - 1
        };
        let byte = began.byte() + at;
        ranges.clear();
        ranges.extend((0..record.len()).filter_map(|i| record.range(i)));
        // The carriage return of a Windows line end is not data.
        if let Some(last) = ranges.last_mut() {
            if last.end > last.start && record.as_slice()[last.end - 1] == b'\r' {
                last.end -= 1;
            }
        }
        if ranges.len() == 1 && ranges[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != width {
            rows.width_problem(record_line, width, record.len());
            continue;
        }
        let fields = Fields {
            bytes: record.as_slice(),
            ranges: &ranges,
            text: None,
        };
        rows.record(record_line, byte, &fields);
    }
    rows.content = reader.into_inner().into_inner().content;
}

/// A reader that hashes what it reads, from file offset `at`.
struct Hashing<R> {
    inner: R,
    at: u64,
    content: ContentHasher,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.content.feed(self.at, &buf[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

fn csv_error_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields as in the header, found {len}")
        }
        _ => format!("cannot read the CSV record: {e}"),
    }
}

/// Where each schema column sits in the file, after `rename`. Every declared column must be
/// present; extra columns are ignored.
pub(crate) fn header_positions<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    display: &Path,
    schema: &Schema,
) -> Result<Vec<usize>, Problems> {
    let mut problems = Problems::new();
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Problem::at_line(display, 1, 1, csv_error_message(&e)));
            return Err(problems);
        }
    };
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            let h = String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string();
            schema.rename.get(&h).cloned().unwrap_or(h)
        })
        .collect();
    let header_line: String = crate::error::short(&names.join(","));
    // A column named twice would be read from its first place, silently: an error instead.
    for column in &schema.columns {
        let places: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.eq_ignore_ascii_case(&column.name))
            .map(|(i, _)| i + 1)
            .collect();
        if places.len() > 1 {
            problems.push(
                Problem::at_line(
                    display,
                    1,
                    places[1],
                    format!(
                        "the column `{}` is named more than once in the header (fields {}): levers cannot tell which to read",
                        column.name,
                        places
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                )
                .with_excerpt(header_line.clone()),
            );
        }
    }
    let mut positions = Vec::with_capacity(schema.columns.len());
    for column in &schema.columns {
        let found = names.iter().position(|n| *n == column.name).or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&column.name))
        });
        match found {
            Some(i) => positions.push(i),
            None => {
                problems.push(
                    Problem::at_line(
                        display,
                        1,
                        1,
                        format!(
                            "missing required column `{}` ({}) of dataset `{}`",
                            column.name, column.ty, schema.name
                        ),
                    )
                    .with_excerpt(header_line.clone()),
                );
                positions.push(usize::MAX);
            }
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::Column;
    use std::collections::BTreeMap;
    use std::io::Write;

    fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("levers-dataset-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.csv");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    #[test]
    fn bad_cells_are_reported_with_line_and_column_and_reading_goes_on() {
        let path = write_temp(
            "bad",
            "record_id,start_date,price,extra\nA,2026-04-01,10.00,x\nB,2026-02-30,1.999,y\nC,2026-04-03,\"£1,000\",z\n",
        );
        let schema = Schema {
            title: None,
            name: "t".into(),
            key: Some("record_id".into()),
            value: Some("price".into()),
            rename: BTreeMap::new(),
            date_format: None,
            columns: vec![
                Column {
                    name: "record_id".into(),
                    ty: ColumnType::Text,
                },
                Column {
                    name: "start_date".into(),
                    ty: ColumnType::Date,
                },
                Column {
                    name: "price".into(),
                    ty: ColumnType::Money,
                },
            ],
        };
        let mut seen = Vec::new();
        let summary = read_rows(&path, Path::new("d.csv"), &schema, &[0, 2], |row| {
            seen.push((row.line, row.values[0].render(), row.values[1].render()));
        });
        assert_eq!(summary.rows, 3);
        assert_eq!(
            seen,
            vec![
                (2, "A".into(), "10".into()),
                (3, "B".into(), "".into()),
                (4, "C".into(), "1000".into())
            ]
        );
        let problems = summary.problems.sorted();
        assert_eq!(
            problems.len(),
            1,
            "only the converted columns are checked: {problems:?}"
        );
        assert_eq!((problems[0].line, problems[0].column), (3, 3));
        assert!(problems[0].message.contains("`price`"));

        let all = read_rows(&path, Path::new("d.csv"), &schema, &[0, 1, 2], |_| {})
            .problems
            .sorted();
        assert_eq!(
            all.iter().map(|p| (p.line, p.column)).collect::<Vec<_>>(),
            vec![(3, 2), (3, 3)]
        );
    }

    #[test]
    fn a_missing_column_is_reported_on_line_one() {
        let path = write_temp("missing", "record_id,price\nA,1\n");
        let mut schema = Schema::default_activity();
        schema.columns.truncate(3);
        let summary = read_rows(&path, Path::new("d.csv"), &schema, &[0], |_| {});
        let problems = summary.problems.sorted();
        assert_eq!(problems.len(), 2);
        assert!(problems.iter().all(|p| p.line == 1));
        assert!(problems[0]
            .message
            .contains("missing required column `commissioner_code`"));
    }

    /// Rows and problems as the csv crate alone gives them: the reference the fast reader of
    /// unquoted records must match.
    /// Rows as (line, byte, cells) and problems as (line, column, message).
    type Read = (Vec<(u64, u64, Vec<String>)>, Vec<(usize, usize, String)>);

    fn reference(text: &[u8], width: usize) -> Read {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text);
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let mut p = record.position().unwrap().clone();
            // Blank lines before the record are not part of it.
            loop {
                let rest = &text[p.byte() as usize..];
                let skip = if rest.starts_with(b"\n") {
                    1
                } else if rest.starts_with(b"\r\n") {
                    2
                } else {
                    break;
                };
                let (byte, line) = (p.byte() + skip, p.line() + 1);
                p.set_byte(byte).set_line(line);
            }
            let mut fields: Vec<Vec<u8>> = record.iter().map(<[u8]>::to_vec).collect();
            if let Some(last) = fields.last_mut() {
                if last.ends_with(b"\r") {
                    last.pop();
                }
            }
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            let mut record = csv::ByteRecord::new();
            for f in &fields {
                record.push_field(f);
            }
            if record.len() != width {
                let message = format!(
                    "expected {width} fields as in the header, found {}",
                    record.len()
                );
                problems.push((p.line() as usize, 1, message));
                continue;
            }
            let mut cells = Vec::new();
            for (i, field) in record.iter().enumerate() {
                match std::str::from_utf8(field) {
                    Ok(t) => cells.push(t.trim().to_string()),
                    Err(_) => {
                        let name = ["a", "b", "c"][i];
                        problems.push((
                            p.line() as usize,
                            i + 1,
                            format!("column `{name}`: the cell is not valid UTF-8 text"),
                        ));
                        cells.push(String::new());
                    }
                }
            }
            rows.push((p.line(), p.byte(), cells));
        }
        (rows, problems)
    }

    fn text_schema() -> Schema {
        Schema {
            title: None,
            name: "t".into(),
            key: None,
            value: None,
            rename: BTreeMap::new(),
            date_format: None,
            columns: ["a", "b", "c"]
                .iter()
                .map(|n| Column {
                    name: n.to_string(),
                    ty: ColumnType::Text,
                })
                .collect(),
        }
    }

    fn check_reader_matches_csv(name: &str, body: &[u8]) {
        let mut text = b"a,b,c\n".to_vec();
        text.extend_from_slice(body);
        let path = write_temp(name, "");
        std::fs::write(&path, &text).unwrap();
        let want = reference(&text, 3);
        let lines_and_values = |rows: &[(u64, u64, Vec<String>)]| -> Vec<(u64, Vec<String>)> {
            rows.iter().map(|(l, _, v)| (*l, v.clone())).collect()
        };
        let mut again = RecordAt::open(&path, &text_schema()).unwrap();
        for block in [7, 16, 64, 1 << 20] {
            let mut rows = Vec::new();
            let summary = read_rows_blocks(
                &path,
                Path::new("d.csv"),
                &text_schema(),
                &[0, 1, 2],
                None,
                Some(sha2::Digest::new()),
                |row| {
                    rows.push((
                        row.line,
                        row.byte,
                        row.values.iter().map(Value::render).collect(),
                    ))
                },
                block,
            );
            // The SHA-256 carried through the read is the file's, however the readers went
            // back over what they had read.
            if summary.problems.is_empty() || want.1.iter().all(|p| p.0 > 1) {
                assert_eq!(
                    summary.sha256.as_deref(),
                    Some(crate::audit::provenance::sha256_bytes(&text).as_str()),
                    "block {block}: {text:?}"
                );
            }
            let problems: Vec<(usize, usize, String)> = summary
                .problems
                .iter()
                .map(|p| (p.line, p.column, p.message.clone()))
                .collect();
            assert_eq!(
                (lines_and_values(&rows), &problems),
                (lines_and_values(&want.0), &want.1),
                "block {block}: {text:?}"
            );
            // Each row can be read again at its offset (after blank lines before a quoted
            // record, the offset may point at them: reading again skips them too).
            for (_, byte, values) in &rows {
                again.read(*byte).unwrap();
                let read: Vec<String> = (0..3)
                    .map(|c| again.value(c).map_or(String::new(), |v| v.render()))
                    .collect();
                assert_eq!(&read, values, "again at {byte}: {text:?}");
            }
            // Unquoted records shorter than a block are read by the fast reader alone, and
            // dated exactly.
            if !text.contains(&b'"') && block > text.len() {
                assert_eq!(rows, want.0, "block {block}: {text:?}");
            }
        }
    }

    #[test]
    fn the_fast_reader_matches_the_csv_parser_on_awkward_files() {
        for body in [
            &b"1,2,3\n4,5,6\n"[..],
            b"1,2,3\r\n4,5,6\r\n",
            b"1,2,3\n\n\n4,5,6",
            b"1,2\n1,2,3,4\n7,8,9\n",
            b"x,\"a,b\",z\n1,2,3\n",
            b"1,2,3\n\"multi\nline\",2,3\n4,5,6\n",
            b"1,2,3\rlone,cr,here\n4,5,6\n",
            b"\"a\"\r\n\"q\",2,3\r\n4,5,6\r\n",
            b"\xc3\xa9,\xff,3\n 1 , 2 ,3 \n",
            b"1,2,3\r\n\r\n",
            b"",
        ] {
            check_reader_matches_csv("awkward", body);
        }
    }

    proptest::proptest! {
        /// Any file made of plain and quoted fields, commas, CR and LF line ends, blank lines
        /// and stray bytes reads as the csv crate reads it, whatever the block size.
        #[test]
        fn the_fast_reader_matches_the_csv_parser(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"x"[..], b"yz", b"12", b" ", b",", b",", b"\n", b"\n", b"\r\n", b"\r",
                    b"\"q,\n\"", b"\"", b"\xc3\xa9", b"\xff",
                ]),
                0..60,
            )
        ) {
            check_reader_matches_csv("generated", &pieces.concat());
        }

        /// A date from the cache is the date parsed, and a bad one is refused alike.
        #[test]
        fn cached_dates_are_parsed_dates(
            texts in proptest::collection::vec(
                (2025..2028i32, 0..14u32, 0..33u32, proptest::bool::ANY),
                0..200,
            )
        ) {
            let mut cache = DateCache::default();
            for (year, month, day, odd) in texts {
                let text = if odd {
                    format!("{year}-{month}-{day}")
                } else {
                    format!("{year}-{month:02}-{day:02}")
                };
                proptest::prop_assert_eq!(cache.parse(&text), parse_date(&text, None));
            }
        }

        /// Commas and newlines found sixteen bytes at a time are those a byte loop finds,
        /// whatever bytes sit around them (zeros, bytes with the high bit, a comma or a newline
        /// with it: 0xac, 0x8a), wherever the line ends.
        #[test]
        fn lines_split_as_a_byte_loop_splits_them(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![
                    b',', b'a', 0u8, 0x80, 0xac, 0x8a, 0xff, b'\r', b'-', b'\n',
                ]),
                0..60,
            )
        ) {
            let line = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
            let record = &bytes[..line];
            let mut fields: Vec<&[u8]> = record.split(|b| *b == b',').collect();
            let last = fields.len() - 1;
            fields[last] = fields[last].strip_suffix(b"\r").unwrap_or(fields[last]);
            // Room for as many fields as there are, and for fewer: the count is still told.
            for room in [fields.len(), fields.len().saturating_sub(2)] {
                let mut ranges = vec![0..0; room];
                proptest::prop_assert_eq!(split_line(&bytes, &mut ranges), (line, fields.len()));
                let found: Vec<&[u8]> = ranges.iter().map(|r| &bytes[r.clone()]).collect();
                proptest::prop_assert_eq!(&found[..], &fields[..room]);
            }
        }

        /// The bits of sixteen bytes equal to one byte are those a byte loop finds, by the
        /// vector compare and by the portable arithmetic alike.
        #[test]
        fn byte_bits_are_the_bytes_equal(
            bytes in proptest::array::uniform16(proptest::sample::select(vec![
                b',', b'\n', 0u8, 0x80, 0xac, 0x8a, 0xff, b'a',
            ])),
            byte in proptest::sample::select(vec![b',', b'\n']),
        ) {
            let expected = (0..16).filter(|&i| bytes[i] == byte).fold(0u32, |m, i| m | 1 << i);
            proptest::prop_assert_eq!(byte_bits(&bytes, byte), expected);
            proptest::prop_assert_eq!(byte_bits_portable(&bytes, byte), expected);
        }
    }
}
