//! The month cache: `.levers/cache/<contract>/<YYYY-MM>.json` (git-ignored) keeps each month's
//! [`MonthData`], so history costs no re-reading of earlier months.
//!
//! An entry is valid only for the same levers version, the same contract.toml and levers.toml
//! bytes, and the same input files with the same content hash. Hashing a large file on every
//! run would cost more than the cache saves, so, like git's index, an entry also records each
//! file's size, modification and change times and inode: a file whose metadata is unchanged is
//! taken to have its recorded hash, and any other file is hashed again. As git treats a
//! "racily clean" index entry, a file whose times are not safely older than the cache entry
//! itself (written within [`RACY_MARGIN_NS`] of it, so that a second write in the same
//! timestamp tick could leave them equal) is always hashed again: an edit that keeps a file's
//! size and time never reads from a stale entry. The change time catches a modification time
//! set back by hand. A cache that cannot be read or written is simply bypassed.
//!
//! The content hash is 128 bits of a fast non-cryptographic hash
//! ([`file_content_hash`]), not SHA-256: it only has to notice a file that changed by accident.
//! The pass works it out from the bytes it reads, so a month measured for the first time is
//! read once, not twice; SHA-256 of a 750 MB month, on a third thread competing for two cores,
//! took a tenth of the time of reading it. Provenance (`crate::audit::provenance`) still records SHA-256.

use crate::audit::provenance::sha256_bytes;
use crate::audit::write::write_file;
use crate::error::Problems;
use crate::model::calendar::Month;
use crate::model::contract::Contract;
use crate::pass::month::{file_content_hash, measure_month, MonthData};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped whenever the cached data's meaning changes.
const FORMAT: u32 = 10;

/// A file whose modification or change time is within this of the cache entry's own time is
/// hashed again however its metadata compares: file systems keep times to a second or two.
pub(crate) const RACY_MARGIN_NS: u128 = 2_000_000_000;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: String,
    inputs: Vec<InputStamp>,
    /// When the inputs' stamps were taken. An entry may be written some time after (behind a
    /// letter's commit): the racily-clean rule measures from the earlier of this and the
    /// entry's own time.
    stamped_ns: u128,
    data: MonthData,
}

/// What a file's metadata says of it, as git's index records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileState {
    pub size: u64,
    pub modified_ns: u128,
    /// The inode change time: set by the system on every write, and not by a user setting the
    /// modification time back.
    pub changed_ns: u128,
    pub inode: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputStamp {
    pub path: PathBuf,
    pub state: FileState,
    /// The file's content hash ([`file_content_hash`]), in hex.
    pub content: String,
    /// Whether the pass that hashed it was cut for hashing (so to hash it again alike).
    #[serde(default)]
    pub hashing: bool,
}

/// Whether a file now in `state` can be taken to hold what it held when it was stamped
/// `known`, in a cache entry written at `entry_written_ns`: the same metadata, and times safely
/// older than the entry (not "racily clean").
pub(crate) fn trusted(state: &FileState, known: &FileState, entry_written_ns: u128) -> bool {
    state == known
        && known.modified_ns.saturating_add(RACY_MARGIN_NS) < entry_written_ns
        && known.changed_ns.saturating_add(RACY_MARGIN_NS) < entry_written_ns
}

/// The entry of a contract's month, relative to the workspace.
fn entry_path(contract: &Contract, month: Month) -> PathBuf {
    Path::new(".levers")
        .join("cache")
        .join(&contract.id)
        .join(format!("{month}.json"))
}

/// What the month's results depend on besides its data files.
fn definition_key(root: &Path, contract: &Contract) -> String {
    let settings =
        std::fs::read(root.join(crate::load::workspace::SETTINGS_FILE)).unwrap_or_default();
    let mut bytes = format!("levers {} format {FORMAT}\n", env!("CARGO_PKG_VERSION")).into_bytes();
    bytes.extend_from_slice(&sha256_bytes(contract.source.as_bytes()).into_bytes());
    bytes.extend_from_slice(&sha256_bytes(&settings).into_bytes());
    sha256_bytes(&bytes)
}

fn nanos(time: std::io::Result<std::time::SystemTime>) -> Option<u128> {
    Some(
        time.ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos(),
    )
}

/// A file's [`FileState`], `None` when it cannot be read.
pub(crate) fn file_state(path: &Path) -> Option<FileState> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (changed_ns, inode) = {
        use std::os::unix::fs::MetadataExt;
        (
            (meta.ctime().max(0) as u128) * 1_000_000_000 + meta.ctime_nsec().max(0) as u128,
            meta.ino(),
        )
    };
    #[cfg(not(unix))]
    let (changed_ns, inode) = (nanos(meta.modified())?, 0);
    Some(FileState {
        size: meta.len(),
        modified_ns: nanos(meta.modified())?,
        changed_ns,
        inode,
    })
}

/// The stamp of `file` now: the known one when it can be trusted, else the file hashed again.
fn stamp(root: &Path, file: &Path, known: &InputStamp, written_ns: u128) -> Option<InputStamp> {
    let state = file_state(&root.join(file))?;
    if trusted(&state, &known.state, written_ns) {
        return Some(known.clone());
    }
    let content = file_content_hash(&root.join(file), known.hashing).ok()?;
    Some(InputStamp {
        path: file.to_path_buf(),
        state,
        content,
        hashing: known.hashing,
    })
}

/// The months this process has read, of one contract at a time (a run works through its
/// contracts in turn): a run's letter and then its action log ask for the same history, and a
/// large month took a third of a second to read back from the cache each time. A month is
/// taken from here only while its inputs' metadata is as it was and safely older than the
/// data (the cache's own rule); a new contract's first month lets the last one's go.
struct Held {
    root: PathBuf,
    contract: PathBuf,
    key: String,
    months: Vec<HeldMonth>,
}

impl Held {
    /// Whether these are the months of `contract` in `root`, as defined by `key`.
    fn is_for(&self, root: &Path, contract: &Contract, key: &str) -> bool {
        self.root == root && self.contract == contract.dir && self.key == key
    }
}

struct HeldMonth {
    month: Month,
    inputs: Vec<InputStamp>,
    /// When the data was made (the cache entry written, or the pass begun).
    made_ns: u128,
    data: Arc<MonthData>,
}

static HELD: std::sync::Mutex<Option<Held>> = std::sync::Mutex::new(None);

/// Whether months are held at all: only for a command that asks for the same history twice
/// (`run`); any other would only keep the memory longer (`respond` peaked 80 MiB higher).
static HOLDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks this process to hold the months it reads (see [`Held`]).
pub(crate) fn hold_months() {
    HOLDING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The month held from an earlier read in this process, if its inputs are as they were.
fn held(
    root: &Path,
    contract: &Contract,
    key: &str,
    month: Month,
    files: &[PathBuf],
) -> Option<Arc<MonthData>> {
    let held = HELD.lock().ok()?;
    let held = held.as_ref().filter(|h| h.is_for(root, contract, key))?;
    let m = held.months.iter().find(|m| m.month == month)?;
    let same = m.inputs.len() == files.len()
        && m.inputs.iter().zip(files).all(|(stamp, f)| {
            stamp.path == *f
                && file_state(&root.join(f))
                    .is_some_and(|state| trusted(&state, &stamp.state, m.made_ns))
        });
    same.then(|| Arc::clone(&m.data))
}

/// Holds `data` for the rest of the process (see [`Held`]).
fn hold(
    root: &Path,
    contract: &Contract,
    key: &str,
    month: Month,
    inputs: Vec<InputStamp>,
    made_ns: u128,
    data: &Arc<MonthData>,
) {
    if !HOLDING.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let Ok(mut held) = HELD.lock() else {
        return;
    };
    if !held.as_ref().is_some_and(|h| h.is_for(root, contract, key)) {
        *held = Some(Held {
            root: root.to_path_buf(),
            contract: contract.dir.clone(),
            key: key.to_string(),
            months: Vec::new(),
        });
    }
    if let Some(h) = held.as_mut() {
        h.months.retain(|m| m.month != month);
        h.months.push(HeldMonth {
            month,
            inputs,
            made_ns,
            data: Arc::clone(data),
        });
    }
}

/// The month's data: held from earlier in this process, from the cache when valid, else
/// measured and cached.
pub(crate) fn month(
    root: &Path,
    contract: &Contract,
    month: Month,
) -> Result<Arc<MonthData>, Problems> {
    let path = root.join(entry_path(contract, month));
    let key = definition_key(root, contract);
    let files = crate::pass::month::month_files(root, contract, month);
    if let Some(data) = held(root, contract, &key, month, &files) {
        return Ok(data);
    }
    // The entry's own time, from the same clock as its inputs' times: the file system's.
    let written_ns = std::fs::metadata(&path)
        .ok()
        .and_then(|m| nanos(m.modified()));
    let cached: Option<Entry> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let stamped_ns = now_ns();
    if let (Some(entry), Some(written_ns)) = (cached, written_ns) {
        // Its stamps are as old as the moment they were taken, however late it was written.
        let written_ns = written_ns.min(entry.stamped_ns);
        if entry.key == key && entry.inputs.len() == files.len() {
            let current: Option<Vec<InputStamp>> = files
                .iter()
                .zip(&entry.inputs)
                .map(|(f, known)| {
                    if known.path == *f {
                        stamp(root, f, known, written_ns)
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(current) = current {
                if current
                    .iter()
                    .zip(&entry.inputs)
                    .all(|(a, b)| a.content == b.content)
                {
                    let data = Arc::new(entry.data);
                    if current != entry.inputs
                        || current
                            .iter()
                            .any(|c| !trusted(&c.state, &c.state, written_ns))
                    {
                        // Same content, new metadata (a checkout), or stamps too close to the
                        // entry to trust: store them again, so a later run can trust them.
                        store(
                            root,
                            &entry_path(contract, month),
                            &key,
                            (current.clone(), stamped_ns),
                            &data,
                        );
                    }
                    hold(root, contract, &key, month, current, written_ns, &data);
                    return Ok(data);
                }
            }
        }
    }
    // The pass hashes the inputs as it reads them. Their sizes and times are taken before and
    // after: an input that changed meanwhile is not cached.
    let times = |files: &[PathBuf]| -> Vec<Option<FileState>> {
        files.iter().map(|f| file_state(&root.join(f))).collect()
    };
    let before = times(&files);
    let began_ns = now_ns();
    let (data, hashes) = measure_month(root, contract, month)?;
    if data.inputs == files && times(&files) == before {
        // The SHA-256s the pass worked out for provenance, remembered so the files are not
        // read again to be hashed.
        let sha256s: Vec<(PathBuf, FileState, String)> = files
            .iter()
            .zip(&before)
            .zip(&hashes)
            .filter_map(|((f, state), h)| Some((f.clone(), (*state)?, h.sha256.clone()?)))
            .collect();
        if !sha256s.is_empty() && !read_only() {
            crate::audit::provenance::remember_sha256(root, sha256s, began_ns);
        }
        let stamps: Option<Vec<InputStamp>> = files
            .iter()
            .zip(before)
            .zip(hashes)
            .map(|((f, state), h)| {
                Some(InputStamp {
                    path: f.clone(),
                    state: state?,
                    content: h.content?,
                    hashing: h.hashing,
                })
            })
            .collect();
        let data = Arc::new(data);
        if let Some(stamps) = stamps {
            store(
                root,
                &entry_path(contract, month),
                &key,
                (stamps.clone(), began_ns),
                &data,
            );
            hold(root, contract, &key, month, stamps, began_ns, &data);
        }
        return Ok(data);
    }
    Ok(Arc::new(data))
}

/// An [`Entry`] as written: borrowed, so that a month of a million challenges is not copied to
/// be saved.
#[derive(Serialize)]
struct EntryRef<'a> {
    key: &'a str,
    inputs: &'a [InputStamp],
    stamped_ns: u128,
    data: &'a MonthData,
}

/// Set for a run that must write nothing at all (`run --dry-run`): the cache is read, never
/// written.
static READ_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Stops (or allows again) every write to the cache in this process.
pub(crate) fn set_read_only(read_only: bool) {
    READ_ONLY.store(read_only, std::sync::atomic::Ordering::Relaxed);
}

/// Whether this process may write nothing to `.levers` (the cache, remembered hashes).
pub(crate) fn read_only() -> bool {
    READ_ONLY.load(std::sync::atomic::Ordering::Relaxed)
}

/// Now, in nanoseconds since the epoch: when a hash was begun, to compare with file times.
pub(crate) fn now_ns() -> u128 {
    nanos(Ok(std::time::SystemTime::now())).unwrap_or(0)
}

/// Writes a month's cache entry (`inputs`: the inputs' stamps and when they were taken), at
/// once, or, in a command that asked for it ([`defer_entries`]), when the command can spare a
/// core ([`write_entries_behind`]: once a letter's files are written, while git commits them)
/// or before it ends ([`entries_written`]). A large month's entry (half a million challenges)
/// takes a tenth of a second. Written on a thread just after the pass, while the month's views
/// were built, it took a run's peak memory from 382 MiB to 413 MiB: what the writer's thread
/// took and freed stayed with that thread in the allocator, out of reach of the letter's
/// companions.
fn store(
    root: &Path,
    relative: &Path,
    key: &str,
    (inputs, stamped_ns): (Vec<InputStamp>, u128),
    data: &Arc<MonthData>,
) {
    if read_only() {
        return;
    }
    let entry = PendingEntry {
        root: root.to_path_buf(),
        relative: relative.to_path_buf(),
        key: key.to_string(),
        inputs,
        stamped_ns,
        data: Arc::clone(data),
    };
    if !DEFERRING.load(std::sync::atomic::Ordering::Relaxed) {
        return entry.write(&mut Vec::new());
    }
    match QUEUED.lock() {
        Ok(mut queued) => queued.push(entry),
        Err(_) => entry.write(&mut Vec::new()),
    }
}

/// Whether this process writes cache entries when it can spare a core rather than at once:
/// only `run` and `letter`, which write a letter after measuring (any other command would only
/// hold the months longer, and lose them if stopped).
static DEFERRING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks this process to write its cache entries when it can spare a core (see [`store`]).
pub(crate) fn defer_entries() {
    DEFERRING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The cache entries waiting to be written, in the order they were made (a month stored twice
/// is written twice, the later last).
static QUEUED: std::sync::Mutex<Vec<PendingEntry>> = std::sync::Mutex::new(Vec::new());

/// The thread writing queued entries, if one was started ([`write_entries_behind`]): one at a
/// time, so that an entry of the same month written again is never overtaken.
static WRITING: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> = std::sync::Mutex::new(None);

fn take_queued() -> Vec<PendingEntry> {
    QUEUED
        .lock()
        .map(|mut queued| std::mem::take(&mut *queued))
        .unwrap_or_default()
}

/// Writes the queued cache entries on a thread of their own while the command goes on (call it
/// when the command's largest buffers are freed). The entries' text goes into memory taken
/// here, which goes back where this thread can use it again once written.
pub(crate) fn write_entries_behind() {
    let entries = take_queued();
    if entries.is_empty() {
        return;
    }
    let Ok(mut writing) = WRITING.lock() else {
        entries.iter().for_each(|e| e.write(&mut Vec::new()));
        return;
    };
    if let Some(earlier) = writing.take() {
        let _ = earlier.join();
    }
    let entries = Arc::new(entries);
    let largest = entries.iter().map(PendingEntry::text_size).max();
    let mut buffer = Vec::with_capacity(largest.unwrap_or(0));
    let queued = Arc::clone(&entries);
    let write = move || {
        for entry in queued.iter() {
            entry.write(&mut buffer);
        }
    };
    match std::thread::Builder::new()
        .name("levers-cache".into())
        .spawn(write)
    {
        Ok(handle) => *writing = Some(handle),
        Err(_) => entries.iter().for_each(|e| e.write(&mut Vec::new())),
    }
}

/// Writes every cache entry not yet written, waiting for any being written (or failing to be:
/// the cache is an optimisation, and failing to write it changes no result). Called by a
/// command that deferred its entries before it lets go of the workspace, and before the
/// process ends.
pub fn entries_written() {
    let running = WRITING.lock().ok().and_then(|mut writing| writing.take());
    if let Some(running) = running {
        let _ = running.join();
    }
    for entry in take_queued() {
        entry.write(&mut Vec::new());
    }
}

/// A cache entry to write: the month's data, shared with the command that goes on with it.
struct PendingEntry {
    root: PathBuf,
    relative: PathBuf,
    key: String,
    inputs: Vec<InputStamp>,
    stamped_ns: u128,
    data: Arc<MonthData>,
}

impl PendingEntry {
    /// About the size of the entry's text: sized for the challenges' records, amounts and
    /// details (about 30 bytes each on the benchmark's month), so it is not copied as it
    /// doubles.
    fn text_size(&self) -> usize {
        4096 + self.data.challenges.len() * 40
    }

    /// Writes the entry, its text made in `bytes` (emptied first, and left for the next).
    fn write(&self, bytes: &mut Vec<u8>) {
        let entry = EntryRef {
            key: &self.key,
            inputs: &self.inputs,
            stamped_ns: self.stamped_ns,
            data: &self.data,
        };
        bytes.clear();
        bytes.reserve(self.text_size());
        if serde_json::to_writer(&mut *bytes, &entry).is_ok() {
            let _ = write_file(&self.root, &self.relative, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stamp is trusted only when the file's metadata is unchanged and its times are safely
    /// older than the entry: never for a file written in the entry's last two seconds (two
    /// writes in one timestamp tick can leave size and time as they were), nor for one whose
    /// change time moved (a modification time set back by hand).
    #[test]
    fn racily_clean_files_are_hashed_again() {
        let second = 1_000_000_000u128;
        let known = FileState {
            size: 100,
            modified_ns: 1_000 * second,
            changed_ns: 1_000 * second,
            inode: 7,
        };
        let written = 1_010 * second;
        assert!(trusted(&known, &known, written));
        // Written within the margin of the entry: hashed again, even though nothing differs.
        assert!(!trusted(&known, &known, 1_001 * second));
        assert!(!trusted(&known, &known, 1_002 * second));
        let changed = |f: fn(&mut FileState)| {
            let mut state = known;
            f(&mut state);
            trusted(&state, &known, written)
        };
        assert!(!changed(|s| s.size = 101));
        assert!(!changed(|s| s.modified_ns += 1));
        // Same size and modification time, but the file was written again.
        assert!(!changed(|s| s.changed_ns += 1_000_000_000));
        // Replaced by a rename (an editor's save): a new inode.
        assert!(!changed(|s| s.inode = 8));
    }

    #[test]
    fn content_hashes_tell_apart_files_that_differ_anywhere() {
        let dir = std::env::temp_dir().join(format!("levers-content-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.csv");
        let hash = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            file_content_hash(&path, false).unwrap()
        };
        // Long enough to span several reads, with a part word at the end.
        let base: Vec<u8> = (0..(1u32 << 21) + 13).map(|i| (i % 251) as u8).collect();
        let original = hash(&base);
        assert_eq!(original, hash(&base), "the same bytes give the same hash");
        assert_eq!(original.len(), 32);
        let mut seen = std::collections::BTreeSet::from([original]);
        for at in [0, 7, 8, 1 << 20, (1 << 21) + 12] {
            let mut changed = base.clone();
            changed[at] ^= 1;
            assert!(seen.insert(hash(&changed)), "a change at byte {at} shows");
        }
        // A trailing zero byte, and a file cut short, are changes too.
        let mut longer = base.clone();
        longer.push(0);
        assert!(seen.insert(hash(&longer)));
        assert!(seen.insert(hash(&base[..base.len() - 1])));
        assert!(seen.insert(hash(b"")));
        std::fs::remove_dir_all(&dir).ok();
    }
}
