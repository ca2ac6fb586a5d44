//! The monthly pass: each of a contract's monthly files is read once, and every KPI and
//! challenge rule reading that dataset is evaluated on each row as it streams past.
//!
//! All expressions of one dataset are compiled against one [`SlotMap`], so each column some rule
//! reads is parsed once per row, and columns no rule reads are never converted. A month's
//! results ([`MonthData`]) are plain data: the KPI figures, the challenges raised, and the
//! dataset totals; the history of earlier months comes from the cache when its inputs are
//! unchanged (see [`crate::pass::cache`]).

use crate::error::{Problem, Problems};
use crate::expr::{CompileEnv, Memo, SlotMap};
use crate::load::returns::Returned;
use crate::model::calendar::Month;
use crate::model::contract::{Contract, Measure};
use crate::model::money::{ExactSum, Money};
use crate::model::schema::RETURNS;
use crate::pass::measures::{CompiledMeasure, Dispatch, Figure, MonthFigures};
use crate::pass::rules::{Raised, RuleSet};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What one month's files give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthData {
    /// The activity month.
    pub month: Month,
    /// KPI id → its figures. A KPI whose data file is absent has no entry.
    pub kpis: BTreeMap<String, MonthFigures>,
    /// The challenges the month's rows raised, sorted by id.
    #[serde(with = "compact_challenges")]
    pub challenges: Vec<Raised>,
    /// Dataset → rows read.
    pub rows: BTreeMap<String, u64>,
    /// Dataset → the sum of its value column (the month's actual value for `monthly_value =
    /// "actual"`).
    pub value_totals: BTreeMap<String, Money>,
    /// The input files read, relative to the workspace.
    pub inputs: Vec<PathBuf>,
}

impl MonthData {
    /// The month's figure of `kpi`: its only figure without `group`, or the figure of `group` for
    /// a KPI with `by`.
    pub fn figure(&self, kpi: &str, group: Option<&str>) -> Option<&Figure> {
        match (self.kpis.get(kpi)?, group) {
            (MonthFigures::Single(f), None) => Some(f),
            (MonthFigures::Grouped(g), Some(key)) => g.get(key),
            _ => None,
        }
    }
}

/// Reads every file of `month` for `contract` and evaluates all its KPIs and challenge rules.
/// Any cell that does not parse, or any bad return, fails the month with every problem found.
///
/// Also gives what was worked out of each input's bytes as they were read, in the order of
/// [`MonthData::inputs`].
pub fn measure_month(
    root: &Path,
    contract: &Contract,
    month: Month,
) -> Result<(MonthData, Vec<InputHashes>), Problems> {
    let mut contents = Vec::new();
    let mut data = MonthData {
        month,
        kpis: BTreeMap::new(),
        challenges: Vec::new(),
        rows: BTreeMap::new(),
        value_totals: BTreeMap::new(),
        inputs: Vec::new(),
    };
    let mut problems = Problems::new();
    for dataset in contract.datasets_read() {
        let file = contract.data_file(dataset, month);
        if !root.join(&file).is_file() {
            continue;
        }
        match run_pass(root, &file, contract, dataset, month) {
            Ok(pass) => {
                data.kpis.extend(pass.kpis);
                data.challenges
                    .reserve(pass.challenges.iter().map(Vec::len).sum());
                // A large month's list is written once, whole: in huge pages.
                crate::pass::advise_huge_pages(data.challenges.spare_capacity_mut());
                for challenges in pass.challenges {
                    data.challenges.extend(challenges);
                }
                data.rows.insert(dataset.to_string(), pass.rows);
                if let Some(total) = pass.value_total {
                    data.value_totals.insert(dataset.to_string(), total);
                }
                data.inputs.push(file);
                contents.push(InputHashes {
                    content: pass.content,
                    sha256: pass.sha256,
                    hashing: pass.hashing,
                });
            }
            Err(p) => {
                // A failed pass always says why; were it ever not to, the month must still fail
                // rather than go on without the dataset.
                if !p.has_errors() {
                    problems.push(Problem::at_line(
                        &file,
                        1,
                        1,
                        "internal error: the file could not be measured; please report it",
                    ));
                }
                problems.extend(p);
            }
        }
    }
    if contract
        .kpis
        .iter()
        .any(|k| matches!(k.measure, Measure::Returned))
    {
        let file = contract.data_file(RETURNS, month);
        let (returns, p) = crate::load::returns::read(root, &file, contract);
        problems.extend(p);
        if let Some(returns) = returns {
            contents.push(InputHashes {
                content: file_content_hash(&root.join(&file), false).ok(),
                sha256: None,
                hashing: false,
            });
            data.inputs.push(file);
            for kpi in contract
                .kpis
                .iter()
                .filter(|k| matches!(k.measure, Measure::Returned))
            {
                let Some(r) = returns.get(&kpi.id) else {
                    continue;
                };
                let mut figure = match r.figure {
                    Returned::Ratio {
                        numerator,
                        denominator,
                    } => Figure::ratio(numerator, denominator),
                    // A returned value is in the target's units: 93.5 against ">= 90%" is 93.5%.
                    Returned::Value(v) => {
                        let percent = kpi.target.as_ref().is_some_and(|t| t.percent);
                        let value = if percent { v / Decimal::ONE_HUNDRED } else { v };
                        Figure {
                            value: Some(value),
                            ..Figure::default()
                        }
                    }
                };
                figure.note = Some(r.note.clone()).filter(|n| !n.trim().is_empty());
                data.kpis
                    .insert(kpi.id.clone(), MonthFigures::Single(figure));
            }
        }
    }
    crate::pass::rules::sort_by_id(&mut data.challenges);
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok((data, contents))
    }
}

/// What the pass worked out of one input's bytes as it read them (`None` where it could not).
#[derive(Debug, Default)]
pub struct InputHashes {
    /// The content hash ([`file_content_hash`]) the month cache keys the file by.
    pub content: Option<String>,
    /// The file's SHA-256, when asked for ([`hash_for_provenance`]).
    pub sha256: Option<String>,
    /// Whether the pass was cut for hashing ([`file_content_hash`] must cut it alike).
    pub hashing: bool,
}

struct PassResult {
    kpis: BTreeMap<String, MonthFigures>,
    /// Each rule's challenges (kept apart: a large month's are not copied into one list twice).
    challenges: Vec<Vec<Raised>>,
    rows: u64,
    value_total: Option<Money>,
    /// The file's content hash ([`file_content_hash`]), from the bytes the pass read.
    content: Option<String>,
    /// The file's SHA-256, from the same bytes, when asked for ([`hash_for_provenance`]).
    sha256: Option<String>,
    /// Whether the file was cut for hashing ([`file_cut`]).
    hashing: bool,
}

/// Files smaller than this are read by one thread; larger ones in two parts, one per core.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

/// Whether the pass also works out each file's SHA-256, for the provenance of what the command
/// writes (§5.3).
static SHA256: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks every pass of this process to work out the SHA-256 of the files it reads, as it reads
/// them, and to remember it for the provenance of the letters, logs and notices made from them
/// (so the month is not read again to be hashed). Commands that write no provenance leave it
/// off: the figures alone need only the content hash.
pub fn hash_for_provenance(on: bool) {
    SHA256.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether to report each file read on stderr (`-v`).
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether to report each data file read on stderr, with its rows and speed (`-v`).
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether files read are reported on stderr (`-v`).
pub(crate) fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Where a file of `size` bytes is cut for its two readers, when it is large enough: just after
/// the first newline past 50.5% of it. The second reader first counts the quotes and lines before
/// the cut ([`second_chunk`]), so it is given a little less to read. When the pass also takes
/// the file's SHA-256 (`hashing`), the second reader hashes every byte, the first part's as it
/// counts them and then its own: the cut is at 57.5%, which evens the two out (measured on the
/// 10M-row month, with `-v`: 1.7 s and 2.1 s at 50.5%, 1.8 s and 1.95 s at 56%, 1.8 s and 1.9–2.0 s at 57.5%).
fn file_cut(path: &Path, size: u64, hashing: bool) -> Option<u64> {
    if size < PARALLEL_FROM_BYTES {
        return None;
    }
    let share = if hashing { 115 } else { 101 };
    crate::pass::csv::cut_after(path, size / 200 * share, size)
}

/// The second reader's part of a file cut at `cut`: from the cut to the end, its first line
/// counted, and with `sha256`, the SHA-256 of the bytes before the cut (hashed while they are
/// counted, for the second reader to carry on). `None` when the cut is inside a quoted field (an
/// odd number of quotes before it) or the file cannot be read: then one reader reads the whole
/// file.
fn second_chunk(
    path: &Path,
    cut: u64,
    size: u64,
    sha256: bool,
) -> Option<(crate::pass::csv::Chunk, Option<sha2::Sha256>)> {
    let mut sha = sha256.then(<sha2::Sha256 as sha2::Digest>::new);
    let (quotes, lines) = crate::pass::csv::quotes_and_lines(path, cut, sha.as_mut()).ok()?;
    let chunk = crate::pass::csv::Chunk {
        start: cut,
        end: size,
        first_line: lines + 1,
    };
    (quotes % 2 == 0).then_some((chunk, sha))
}

/// A data file's content hash, as a pass over it works it out from the bytes it reads: the
/// [`ContentHasher`](crate::pass::hash::ContentHasher) hashes of the runs its readers read (the
/// whole file, or its two parts, cut where a pass that was `hashing` cuts it), combined. The
/// month cache keys entries by it, and works it out here for a file whose size or time
/// changed, both parts at once.
pub fn file_content_hash(path: &Path, hashing: bool) -> std::io::Result<String> {
    let size = std::fs::metadata(path)?.len();
    let runs: Vec<(u64, u64)> = match file_cut(path, size, hashing) {
        Some(cut) => vec![(0, cut), (cut, size)],
        None => vec![(0, size)],
    };
    // Each run's hash, and the quotes in it (a cut after an odd number is not made).
    let hash_run = |&(start, end): &(u64, u64)| -> std::io::Result<([u64; 2], u64)> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut hasher = crate::pass::hash::ContentHasher::starting_at(start);
        let mut quotes = 0;
        crate::pass::csv::read_blocks(file.take(end - start), |block| {
            hasher.feed(hasher.end(), block);
            quotes += crate::pass::csv::count_byte(block, b'"');
        })?;
        let changed = || std::io::Error::other("the file changed while it was read");
        if hasher.end() != end {
            return Err(changed());
        }
        Ok((hasher.finish().ok_or_else(changed)?, quotes))
    };
    let hashes: Vec<std::io::Result<([u64; 2], u64)>> = std::thread::scope(|scope| {
        let later: Vec<_> = runs[1..]
            .iter()
            .map(|r| scope.spawn(move || hash_run(r)))
            .collect();
        let mut hashes = vec![hash_run(&runs[0])];
        for h in later {
            hashes.push(
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("hashing failed"))),
            );
        }
        hashes
    });
    let hashed = hashes
        .into_iter()
        .collect::<std::io::Result<Vec<([u64; 2], u64)>>>()?;
    if runs.len() > 1 && hashed[0].1 % 2 == 1 {
        // The cut would fall inside a quoted field: the pass reads the file whole.
        let (whole, _) = hash_run(&(0, size))?;
        return Ok(crate::pass::hash::combine_runs(&[whole]));
    }
    let runs: Vec<[u64; 2]> = hashed.into_iter().map(|(hash, _)| hash).collect();
    Ok(crate::pass::hash::combine_runs(&runs))
}

/// Evaluates every KPI and rule of `dataset` over `file` in one pass. A large file is cut in two
/// at a record boundary (outside any quoted field) and each part is read on its own core with
/// its own copy of every measure and rule; the parts' states are then merged (counts and sums
/// add, challenge lists concatenate, duplicate logs are searched together).
fn run_pass(
    root: &Path,
    file: &Path,
    contract: &Contract,
    dataset: &str,
    month: Month,
) -> Result<PassResult, Problems> {
    let started = std::time::Instant::now();
    let result = run_pass_timed(root, file, contract, dataset, month);
    if verbose() {
        if let Ok(r) = &result {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "levers: read {} ({} rows) in {seconds:.2} s, {:.0} rows/s",
                file.display(),
                r.rows,
                r.rows as f64 / seconds.max(1e-9)
            );
        }
    }
    result
}

fn run_pass_timed(
    root: &Path,
    file: &Path,
    contract: &Contract,
    dataset: &str,
    month: Month,
) -> Result<PassResult, Problems> {
    let path = root.join(file);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    if size > crate::pass::duplicates::MAX_OFFSET {
        return Err(one_problem(
            file,
            "files over a terabyte are not supported".into(),
        ));
    }
    // Duplicate rules' logs are sized from an estimate of the rows (they grow if it is short).
    let rows = estimate_rows(&path);
    let sha256 = SHA256.load(std::sync::atomic::Ordering::Relaxed);
    let whole = || {
        let sha = sha256.then(<sha2::Sha256 as sha2::Digest>::new);
        run_chunk(root, file, contract, dataset, None, sha, rows)
    };
    let mut state = match file_cut(&path, size, sha256) {
        None => whole()?,
        Some(cut) => {
            let half = rows / 2 + 1;
            let first = crate::pass::csv::Chunk {
                start: 0,
                end: cut,
                first_line: 1,
            };
            let started = std::time::Instant::now();
            let (a, b) = std::thread::scope(|scope| {
                let later = scope.spawn(|| {
                    let (second, sha) = second_chunk(&path, cut, size, sha256)?;
                    let read = run_chunk(root, file, contract, dataset, Some(second), sha, half);
                    Some((read, started.elapsed()))
                });
                let earlier = run_chunk(root, file, contract, dataset, Some(first), None, half);
                let earlier_took = started.elapsed();
                // A reader that stopped on an internal error fails the month with a problem
                // saying so (never an empty list of problems, which would drop the dataset).
                let later = later.join().unwrap_or_else(|_| {
                    let stopped = one_problem(
                        file,
                        "internal error: the reader of the file's second part stopped, so the month was not measured; please report it".into(),
                    );
                    Some((Err(stopped), earlier_took))
                });
                if verbose() {
                    if let Some((_, later_took)) = &later {
                        eprintln!(
                            "levers: read {} in two parts at once, up to byte {cut} in {:.2} s and the rest (after counting the lines before it{}) in {:.2} s",
                            file.display(),
                            earlier_took.as_secs_f64(),
                            if sha256 { " and hashing them" } else { "" },
                            later_took.as_secs_f64()
                        );
                    }
                }
                (earlier, later.map(|(read, _)| read))
            });
            match (a, b) {
                // The cut fell inside a quoted field: the file is read whole.
                (_, None) => whole()?,
                (Ok(mut a), Some(Ok(b))) => {
                    a.merge(b);
                    a
                }
                (Err(mut p), Some(Err(q))) => {
                    p.extend(q);
                    return Err(p);
                }
                (Err(p), _) | (_, Some(Err(p))) => return Err(p),
            }
        }
    };
    state
        .rules
        .settle()
        .map_err(|message| one_problem(file, format!("cannot read the file again: {message}")))?;
    Ok(state.finish(month, sha256))
}

fn one_problem(file: &Path, message: String) -> Problems {
    let mut p = Problems::new();
    p.push(Problem::at_line(file, 1, 1, message));
    p
}

/// A pass (or one chunk of it) before its results are finished.
struct PassState {
    measures: Vec<(String, CompiledMeasure)>,
    rules: RuleSet,
    value_total: ExactSum,
    has_value: bool,
    rows: u64,
    /// The content hash of each chunk's bytes, in file order.
    content: Vec<Option<[u64; 2]>>,
    /// The file's SHA-256, from the chunk that read to its end, when asked for.
    sha256: Option<String>,
}

impl PassState {
    fn merge(&mut self, later: PassState) {
        for ((_, a), (_, b)) in self.measures.iter_mut().zip(later.measures) {
            a.merge(b);
        }
        self.rules.merge(later.rules);
        self.value_total += later.value_total;
        self.rows += later.rows;
        self.content.extend(later.content);
        // The later part carried the SHA-256 on from the file's first byte.
        self.sha256 = later.sha256;
    }

    /// The pass's results; `hashing` says whether the file was cut for hashing ([`file_cut`]).
    fn finish(self, month: Month, hashing: bool) -> PassResult {
        PassResult {
            kpis: self
                .measures
                .into_iter()
                .map(|(id, m)| (id, m.finish()))
                .collect(),
            challenges: self.rules.finish(month),
            rows: self.rows,
            content: self
                .content
                .iter()
                .copied()
                .collect::<Option<Vec<[u64; 2]>>>()
                .map(|runs| crate::pass::hash::combine_runs(&runs)),
            value_total: self
                .has_value
                .then(|| Money::from_decimal(self.value_total.total())),
            sha256: self.sha256,
            hashing,
        }
    }
}

/// A pass's measures and rules, compiled against its slots.
struct PassRules {
    key_slot: Option<usize>,
    value_slot: Option<usize>,
    measures: Vec<(String, CompiledMeasure)>,
    rules: RuleSet,
}

fn compile_pass(
    contract: &Contract,
    dataset: &str,
    path: &Path,
    slots: &mut SlotMap,
    rows: usize,
) -> Result<PassRules, Problems> {
    let mut problems = Problems::new();
    let schema = contract
        .schema(dataset)
        .expect("validated: every dataset read has a schema");
    let column_slot = |name: &Option<String>, slots: &mut SlotMap| {
        name.as_deref()
            .and_then(|n| schema.column_index(n))
            .map(|i| slots.slot_for(i))
    };
    let key_slot = column_slot(&schema.key, slots);
    let value_slot = column_slot(&schema.value, slots);
    let mut env = CompileEnv {
        schema,
        lists: &contract.lists,
        slots,
    };
    let mut measures: Vec<(String, CompiledMeasure)> = Vec::new();
    let compile_problem = |what: &str, failure: crate::pass::measures::CompileFailure| {
        Problem::at_span(
            &contract.file,
            &contract.source,
            failure.span,
            format!("{what}: `{}`: {}", failure.text, failure.error.message),
        )
    };
    for kpi in contract.kpis.iter().filter(|k| k.dataset == dataset) {
        match CompiledMeasure::new(&kpi.measure, &mut env) {
            Ok(Some(m)) => measures.push((kpi.id.clone(), m)),
            Ok(None) => {}
            Err(e) => problems.push(compile_problem(&format!("KPI `{}`", kpi.id), e)),
        }
    }
    let of_dataset: Vec<&crate::model::contract::ChallengeRule> = contract
        .challenges
        .iter()
        .filter(|r| r.dataset == dataset)
        .collect();
    let rules = match RuleSet::new(&of_dataset, &mut env, path, rows) {
        Ok(rules) => Some(rules),
        Err(failures) => {
            for (rule, e) in failures {
                problems.push(compile_problem(&format!("challenge rule `{rule}`"), e));
            }
            None
        }
    };
    let Some(rules) = rules.filter(|_| !problems.has_errors()) else {
        return Err(problems);
    };
    Ok(PassRules {
        key_slot,
        value_slot,
        measures,
        rules,
    })
}

fn run_chunk(
    root: &Path,
    file: &Path,
    contract: &Contract,
    dataset: &str,
    chunk: Option<crate::pass::csv::Chunk>,
    sha256: Option<sha2::Sha256>,
    rows: usize,
) -> Result<PassState, Problems> {
    let schema = contract
        .schema(dataset)
        .expect("validated: every dataset read has a schema");
    let path = root.join(file);
    // Compiled twice: once to count the conditions asked more than once, then to share them.
    let mut counting = SlotMap::default();
    compile_pass(contract, dataset, &path, &mut counting, 0)?;
    let mut slots = counting.sharing_repeated();
    let PassRules {
        key_slot,
        value_slot,
        mut measures,
        mut rules,
    } = compile_pass(contract, dataset, &path, &mut slots, rows)?;
    rules.set_slots(&slots);
    let memo = Memo::new(&slots);
    let dispatch = Dispatch::new(&measures);
    let mut value_total = ExactSum::default();
    let summary = crate::pass::csv::read_rows_in(
        &path,
        file,
        schema,
        slots.columns(),
        chunk,
        sha256,
        |row| {
            let values = row.values;
            let line = row.line;
            let key = || match key_slot.map(|s| &values[s]) {
                Some(v) if !v.is_null() => v.render(),
                _ => format!("line-{line}"),
            };
            let value = value_slot
                .and_then(|s| values[s].as_decimal())
                .unwrap_or_default();
            value_total.add(value);
            memo.clear();
            dispatch.add(&mut measures, values, &memo, &key);
            rules.add(values, &memo, &key, value, row.byte);
        },
    );
    if summary.problems.has_errors() {
        return Err(summary.problems);
    }
    Ok(PassState {
        measures,
        rules,
        value_total,
        has_value: value_slot.is_some(),
        rows: summary.rows,
        content: vec![summary.content],
        sha256: summary.sha256,
    })
}

/// An estimate of a CSV file's rows (a little over): its size over the mean length of the lines
/// in four samples of 256 KiB, at its start and a quarter, half and three quarters in. The
/// duplicate rules' logs are sized from it, and a log in huge pages is resident whole, so a file
/// whose first lines are much shorter than the rest must not make it many times too large.
fn estimate_rows(path: &Path) -> usize {
    use std::io::{Read, Seek, SeekFrom};
    const SAMPLE: u64 = 1 << 18;
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    let Ok(size) = file.metadata().map(|m| m.len()) else {
        return 0;
    };
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut sample = Vec::with_capacity(SAMPLE as usize);
    for quarter in 0..4 {
        let at = size / 4 * quarter;
        sample.clear();
        let read = file.seek(SeekFrom::Start(at)).is_ok()
            && (&mut file).take(SAMPLE).read_to_end(&mut sample).is_ok();
        if read {
            bytes += sample.len() as u64;
            lines += crate::pass::csv::count_byte(&sample, b'\n');
        }
        if size <= SAMPLE * 4 {
            break; // a small file: its start is all of it, or near enough
        }
    }
    if bytes == 0 {
        return 0;
    }
    let estimate = size as f64 / (bytes as f64 / lines.max(1) as f64);
    (estimate * 1.02) as usize
}

/// The data files a month reads, in the order [`measure_month`] reads them: the datasets the
/// contract's KPIs and rules read, then provider returns when a KPI comes from them.
pub fn month_files(root: &Path, contract: &Contract, month: Month) -> Vec<PathBuf> {
    let returns = contract
        .kpis
        .iter()
        .any(|k| matches!(k.measure, Measure::Returned))
        .then_some(RETURNS);
    contract
        .datasets_read()
        .into_iter()
        .chain(returns)
        .map(|d| contract.data_file(d, month))
        .filter(|f| root.join(f).is_file())
        .collect()
}

/// Every month from the contract's start (or `first`) up to `last` that has any data file,
/// measured (or answered from the cache).
pub fn history(
    root: &Path,
    contract: &Contract,
    last: Month,
) -> Result<Vec<std::sync::Arc<MonthData>>, Problems> {
    let (start, _) = contract.months();
    let mut months = Vec::new();
    let mut problems = Problems::new();
    for month in start.through(last) {
        if month_files(root, contract, month).is_empty() {
            continue;
        }
        match crate::pass::cache::month(root, contract, month) {
            Ok(data) => months.push(data),
            Err(p) => problems.extend(p),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(months)
    }
}

/// The month cache holds hundreds of thousands of challenges for a large month, so they are
/// stored per rule as parallel lists of records, values (in whole pence) and details (their ids
/// follow from month, rule and record); a challenge covering several rows (a ratio cap), that
/// other rules also select, or whose value is not held to the penny is stored whole.
mod compact_challenges {
    use crate::model::calendar::Month;
    use crate::model::money::Money;
    use crate::pass::rules::Raised;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    #[derive(Serialize, Deserialize)]
    struct Group {
        month: Month,
        rule: Arc<str>,
        records: Vec<String>,
        /// Each value in pence: read back without parsing a decimal apiece.
        pence: Vec<i64>,
        /// Each challenge's detail, as an index into `texts`: a rule's challenges mostly say
        /// one of a few things.
        details: Vec<u32>,
        texts: Vec<Arc<str>>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        whole: Vec<Raised>,
    }

    /// A [`Group`] as written, straight from the group's challenges (one rule of one month,
    /// next to each other in id order): its lists are written as they are walked, so saving
    /// half a million challenges builds no list of them. (Lists built on the thread that writes
    /// the cache stayed in that thread's share of the allocator when freed: a large month's run
    /// peaked 33 MiB higher.)
    struct GroupRef<'a> {
        challenges: &'a [Raised],
        /// The group's distinct details, in the order first met, and each one's index.
        texts: Vec<&'a str>,
        index: std::collections::HashMap<&'a str, u32, crate::pass::hash::FastHash>,
    }

    impl<'a> GroupRef<'a> {
        fn new(challenges: &'a [Raised]) -> GroupRef<'a> {
            let mut group = GroupRef {
                challenges,
                texts: Vec::new(),
                index: Default::default(),
            };
            for c in group.compact() {
                let texts = &mut group.texts;
                group.index.entry(&c.detail).or_insert_with(|| {
                    texts.push(&c.detail);
                    (texts.len() - 1) as u32
                });
            }
            group
        }

        /// Whether `c` goes in the compact lists: one row, no other rule, held to the penny.
        fn is_compact(c: &Raised) -> bool {
            c.rows == 1 && c.keys.is_empty() && c.also.is_empty() && c.value.exact_pence().is_some()
        }

        fn compact(&self) -> impl Iterator<Item = &'a Raised> + 'a {
            self.challenges.iter().filter(|c| Self::is_compact(c))
        }
    }

    /// A list written as its items are made.
    struct Seq<F>(F);

    impl<I, F> Serialize for Seq<F>
    where
        F: Fn() -> I,
        I: Iterator,
        I::Item: Serialize,
    {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq((self.0)())
        }
    }

    impl Serialize for GroupRef<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct as _;
            let first = &self.challenges[0];
            let whole = || self.challenges.iter().filter(|c| !Self::is_compact(c));
            let any_whole = whole().next().is_some();
            let mut group = serializer.serialize_struct("Group", 6 + usize::from(any_whole))?;
            group.serialize_field("month", &first.month)?;
            group.serialize_field("rule", &*first.rule)?;
            group.serialize_field("records", &Seq(|| self.compact().map(|c| &c.record)))?;
            group.serialize_field(
                "pence",
                &Seq(|| self.compact().filter_map(|c| c.value.exact_pence())),
            )?;
            group.serialize_field(
                "details",
                &Seq(|| self.compact().map(|c| self.index[&*c.detail])),
            )?;
            group.serialize_field("texts", &self.texts)?;
            if any_whole {
                group.serialize_field("whole", &Seq(whole))?;
            }
            group.end()
        }
    }

    pub(super) fn serialize<S: Serializer>(
        challenges: &[Raised],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        // Each group is a run of one rule and month (the challenges are in id order).
        let groups = challenges
            .chunk_by(|a, b| a.rule == b.rule && a.month == b.month)
            .map(GroupRef::new);
        serializer.collect_seq(groups)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Raised>, D::Error> {
        let groups = Vec::<Group>::deserialize(deserializer)?;
        // Sized once: half a million challenges moved as the list doubled, into fresh memory
        // each time, took a sixth of the time of reading a large month back.
        let mut challenges =
            Vec::with_capacity(groups.iter().map(|g| g.records.len() + g.whole.len()).sum());
        for g in groups {
            if g.records.len() != g.pence.len() || g.records.len() != g.details.len() {
                return Err(serde::de::Error::custom("lists of unequal length"));
            }
            for ((record, pence), index) in g.records.into_iter().zip(g.pence).zip(g.details) {
                let detail = g
                    .texts
                    .get(index as usize)
                    .cloned()
                    .ok_or_else(|| serde::de::Error::custom("a detail out of range"))?;
                challenges.push(Raised {
                    month: g.month,
                    rule: g.rule.clone(),
                    record,
                    value: Money::from_pence(pence),
                    rows: 1,
                    detail,
                    keys: Vec::new(),
                    also: Vec::new(),
                });
            }
            challenges.extend(g.whole);
        }
        crate::pass::rules::sort_by_id(&mut challenges);
        Ok(challenges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::{ColumnType, Schema};
    use proptest::prelude::*;

    proptest! {
        /// A month's challenges come back from the cache as they went in: the same order, and
        /// each amount (to the penny, as every amount read from a money column is, and their
        /// sums) the same to the penny, held to two places, whether stored in the compact lists
        /// or whole.
        #[test]
        fn cached_challenges_come_back_as_they_went_in(
            items in prop::collection::vec(
                (
                    prop::sample::select(vec!["dup", "dup-x", "where"]),
                    "[A-Z0-9]{1,4}",
                    -100_000i64..100_000,
                    0u32..=2,
                    1u64..3,
                    prop::sample::select(vec!["", "seen before", "repeats R1"]),
                    any::<bool>(),
                ),
                0..40,
            )
        ) {
            let mut challenges: Vec<Raised> = items
                .into_iter()
                .map(|(rule, record, units, scale, rows, detail, also)| Raised {
                    month: "2026-04".parse().unwrap(),
                    rule: rule.into(),
                    record,
                    value: Money::from_decimal(rust_decimal::Decimal::new(units, scale)),
                    rows,
                    detail: detail.into(),
                    keys: Vec::new(),
                    also: if also { vec!["other".into()] } else { Vec::new() },
                })
                .collect();
            crate::pass::rules::sort_by_id(&mut challenges);
            challenges.dedup_by(|a, b| a.id() == b.id());
            let data = MonthData {
                month: "2026-04".parse().unwrap(),
                kpis: BTreeMap::new(),
                challenges,
                rows: BTreeMap::new(),
                value_totals: BTreeMap::new(),
                inputs: Vec::new(),
            };
            let back: MonthData =
                serde_json::from_slice(&serde_json::to_vec(&data).unwrap()).unwrap();
            prop_assert_eq!(&back, &data);
            let places = |d: &MonthData| -> Vec<String> {
                d.challenges.iter().map(|c| c.value.amount().to_string()).collect()
            };
            let two_places: Vec<String> = data
                .challenges
                .iter()
                .map(|c| format!("{:.2}", c.value.amount()))
                .collect();
            prop_assert_eq!(places(&back), two_places);
        }
    }

    /// The content hash and the SHA-256 the readers of a pass work out from the bytes they
    /// read, as `run_pass` reads the file (whole, or in two parts), taking the SHA-256 or not.
    fn hash_as_read(path: &Path, hashing: bool) -> Option<(String, Option<String>)> {
        use sha2::Digest as _;
        let schema = Schema::of(&[("id", ColumnType::Text), ("note", ColumnType::Text)]);
        let size = std::fs::metadata(path).ok()?.len();
        let parts = file_cut(path, size, hashing)
            .and_then(|cut| Some((cut, second_chunk(path, cut, size, hashing)?)));
        let chunks = match parts {
            Some((cut, (second, sha))) => vec![
                (
                    Some(crate::pass::csv::Chunk {
                        start: 0,
                        end: cut,
                        first_line: 1,
                    }),
                    None,
                ),
                (Some(second), sha),
            ],
            None => vec![(None, hashing.then(sha2::Sha256::new))],
        };
        let mut sha256 = None;
        let runs: Option<Vec<[u64; 2]>> = chunks
            .into_iter()
            .map(|(chunk, sha)| {
                let read = crate::pass::csv::read_rows_in(
                    path,
                    path,
                    &schema,
                    &[0, 1],
                    chunk,
                    sha,
                    |_| {},
                );
                sha256 = read.sha256;
                read.content
            })
            .collect();
        Some((crate::pass::hash::combine_runs(&runs?), sha256))
    }

    /// A month read for the first time is hashed by its own pass; a later run hashes the file
    /// on its own when its time changed. Both must agree, or the cache would never be used
    /// again: for a small file, a large one read in two parts, one whose second part has quoted
    /// fields (read by the full CSV parser, after part of it was read fast), CRLF ends, and one
    /// whose cut would fall inside a quoted field (read whole).
    #[test]
    fn the_pass_hashes_a_file_as_the_cache_does() {
        let dir = std::env::temp_dir().join(format!("levers-pass-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let large = |end: &str, quoted_from: usize| {
            let mut text = format!("id,note{end}");
            for i in 0..600_000 {
                if i >= quoted_from {
                    text.push_str(&format!("R{i},\"a, {i}\"{end}"));
                } else {
                    text.push_str(&format!("R{i},plain {i}{end}"));
                }
            }
            text
        };
        let cases = [
            ("small.csv", "id,note\nR1,x\nR2,y\n".to_string()),
            ("header-only.csv", "id,note\n".to_string()),
            ("halves.csv", large("\n", usize::MAX)),
            ("quoted.csv", large("\n", 450_000)),
            ("crlf.csv", large("\r\n", usize::MAX)),
            // Quoted fields holding a newline after 200 bytes: the cut falls inside one.
            ("quoted-cut.csv", {
                let inner = "x".repeat(200);
                let mut text = "id,note\n".to_string();
                for i in 0..60_000 {
                    text.push_str(&format!("R{i},\"{inner}\ny\"\n"));
                }
                text
            }),
        ];
        for (name, text) in cases {
            let path = dir.join(name);
            std::fs::write(&path, &text).unwrap();
            // Cut for hashing or not, alike; and the SHA-256 carried through the readers is the
            // file's, for provenance.
            let sha = crate::audit::provenance::sha256_bytes(text.as_bytes());
            for hashing in [false, true] {
                let expected = file_content_hash(&path, hashing).unwrap();
                assert_eq!(
                    hash_as_read(&path, hashing),
                    Some((expected, hashing.then(|| sha.clone()))),
                    "{name}"
                );
            }
        }
        for name in ["halves.csv", "quoted.csv", "crlf.csv"] {
            let path = dir.join(name);
            let size = std::fs::metadata(&path).unwrap().len();
            let cut = file_cut(&path, size, false).expect("large enough to cut");
            assert!(
                second_chunk(&path, cut, size, false).is_some(),
                "{name} is read in two parts"
            );
        }
        let path = dir.join("quoted-cut.csv");
        let size = std::fs::metadata(&path).unwrap().len();
        let cut = file_cut(&path, size, false).expect("large enough to cut");
        assert!(
            second_chunk(&path, cut, size, false).is_none(),
            "a cut inside a quoted field is not made"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
