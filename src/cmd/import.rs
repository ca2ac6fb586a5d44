//! `levers import`: validate a monthly file, store it, and record its receipt.

use super::{exit, Globals};
use crate::audit::write::write_file;
use crate::error::InvalidInput;
use crate::model::calendar::Month;
use crate::model::schema::RETURNS;
use crate::pass::csv::read_rows;
use crate::results::month::contract;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Validates FILE against the dataset's schema and stores it as
/// contracts/<id>/data/<dataset>/<YYYY-MM>.csv, recording the receipt in submissions.csv. A file
/// with any problem is refused whole, every problem listed, and nothing in the workspace changes.
///
/// The receipt is appended first and the file stored second, each atomically, so a kill at
/// any point leaves a state levers reads correctly: nothing; a receipt with no file (no file
/// means no data, whatever the record says); or both. Importing the same file again completes
/// what was left, and an identical file already stored is not an error.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The contract
    #[arg(short = 'c', long = "contract", value_name = "ID")]
    contract: String,
    /// The activity month the file is for
    #[arg(short = 'm', long = "month", value_name = "YYYY-MM")]
    month: Month,
    /// The dataset (activity, returns, …)
    dataset: String,
    /// The file to import
    file: PathBuf,
    /// Replace a month already imported (git keeps the earlier version)
    #[arg(long)]
    replace: bool,
    /// Commit the stored file and the receipt
    #[arg(long)]
    commit: bool,
}

/// The largest data file levers imports.
const MAX_IMPORT_BYTES: u64 = 1 << 40;

/// Validates a monthly file and stores it with its receipt in submissions.csv, or refuses it
/// whole and lists every problem (exit 1).
pub fn run(globals: &Globals, args: ImportArgs) -> Result<u8> {
    let workspace = globals.load()?;
    let contract = contract(&workspace, &args.contract)?;
    let root = &workspace.root;
    let Some(schema) = contract.schema(&args.dataset) else {
        let known: Vec<&str> = contract.datasets.keys().map(String::as_str).collect();
        bail!(
            "contract `{}` has no dataset `{}`: expected one of {}",
            contract.id,
            args.dataset,
            known.join(", ")
        );
    };
    let source = open_source(&args.file)?;
    if args.commit {
        crate::audit::git::ready_to_commit(root)?;
    }
    let _lock = crate::audit::lock::WorkspaceLock::acquire(root)?;
    let target = contract.data_file(&args.dataset, args.month);
    // The bytes are copied into the workspace's private folder first and validated there:
    // what is checked is exactly what is stored, however FILE changes meanwhile.
    let (staged, sha) = stage_copy(root, &target, source)?;
    let stored = crate::audit::provenance::sha256_file(&root.join(&target)).ok();
    let identical = stored.as_deref() == Some(sha.as_str());
    if stored.is_some() && !identical && !args.replace {
        bail!(
            "{} already exists and differs from {}: pass --replace to replace it (git keeps the earlier version)",
            target.display(),
            args.file.display()
        );
    }
    let (rows, problems) = validate(contract, &args, schema, staged.path())?;
    if problems.has_errors() {
        eprintln!("{}", InvalidInput(problems.sorted()));
        eprintln!("{} was not imported.", args.file.display());
        return Ok(exit::NEEDS_ATTENTION);
    }
    let submissions = contract.dir.join("submissions.csv");
    let receipt = format!("{},{},{}", args.month, args.dataset, globals.today);
    let receipts = with_receipt(root, &submissions, &receipt)?;
    // The receipt first: a kill before the file is stored leaves a receipt and no file, which
    // reads as no data (a breach once due), and importing again completes it.
    if let Some(receipts) = &receipts {
        write_file(root, &submissions, receipts)
            .with_context(|| format!("cannot write {}", submissions.display()))?;
    }
    crate::audit::fault::point("import:after-receipt");
    if !identical {
        staged
            .put_in_place()
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    crate::audit::fault::point("import:after-store");
    if identical && receipts.is_none() {
        crate::say!(
            "{} is already stored as {}, with its receipt: nothing to do",
            args.file.display(),
            target.display()
        );
    } else {
        crate::say!(
            "imported {} as {} ({rows} rows, sha256 {sha}); receipt recorded for {}",
            args.file.display(),
            target.display(),
            globals.today
        );
    }
    if args.commit {
        let message = format!(
            "levers: import {} for {}, {} ({rows} rows, sha256 {sha})",
            args.dataset, contract.id, args.month
        );
        let paths = [target, submissions];
        if crate::audit::git::uncommitted(root, &paths) {
            let hash = crate::audit::git::commit(root, &paths, &message)?;
            crate::say!("committed {hash}: {message}");
        }
    }
    Ok(exit::OK)
}

/// FILE, opened for reading if it is a regular file (a pipe would block, a device never end).
fn open_source(path: &Path) -> Result<std::fs::File> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "cannot import {}: it is {}, not a regular file",
            path.display(),
            crate::load::files::file_kind(&meta)
        );
    }
    std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Copies `source` into a staged file for `root/target`, with the SHA-256 of what was copied.
fn stage_copy(
    root: &Path,
    target: &Path,
    source: std::fs::File,
) -> Result<(crate::audit::write::Staged, String)> {
    use sha2::Digest;
    use std::io::{Read, Write};
    let (staged, mut file) = crate::audit::write::Staged::new(root, target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut reader = source.take(MAX_IMPORT_BYTES + 1);
    let mut buffer = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        copied += n as u64;
        if copied > MAX_IMPORT_BYTES {
            bail!("the file is over {MAX_IMPORT_BYTES} bytes, more than levers imports");
        }
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])?;
    }
    file.sync_all()?;
    let sha = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((staged, sha))
}

/// Reads the staged copy's rows as the dataset's, every problem named against FILE.
fn validate(
    contract: &crate::model::contract::Contract,
    args: &ImportArgs,
    schema: &crate::model::schema::Schema,
    staged: &Path,
) -> Result<(u64, crate::error::Problems)> {
    let display = args.file.clone();
    if args.dataset == RETURNS {
        let (returns, problems) = crate::load::returns::read_at(staged, &display, contract);
        return Ok((returns.map_or(0, |r| r.len() as u64), problems));
    }
    let every_column: Vec<usize> = (0..schema.columns.len()).collect();
    let summary = read_rows(staged, &display, schema, &every_column, |_| {});
    Ok((summary.rows, summary.problems))
}

/// submissions.csv with `receipt` appended, or `None` when that very receipt is already
/// there. The existing bytes are kept exactly as they are: the file is never rewritten from
/// what could be parsed of it, and a file levers cannot read whole is refused, with the line.
fn with_receipt(root: &Path, submissions: &Path, receipt: &str) -> Result<Option<Vec<u8>>> {
    let path = root.join(submissions);
    let mut bytes =
        match crate::load::files::read_regular(&path, crate::load::files::MAX_TEXT_BYTES) {
            Ok(bytes) => bytes,
            Err(_) if !path.exists() => Vec::new(),
            Err(e) => bail!("{}: {e}; nothing was imported", submissions.display()),
        };
    let (records, problems) =
        crate::load::records::read_fixed_csv(&path, submissions, &crate::load::submissions::HEADER);
    if problems.has_errors() {
        bail!(
            "the receipt cannot be recorded, because {} cannot be read whole; nothing was imported. Mend it first:\n{}",
            submissions.display(),
            InvalidInput(problems.sorted())
        );
    }
    if records
        .iter()
        .any(|(_, _, r)| r.iter().map(str::trim).collect::<Vec<_>>().join(",") == receipt)
    {
        return Ok(None);
    }
    if bytes.is_empty() {
        bytes.extend_from_slice(crate::load::submissions::HEADER.join(",").as_bytes());
        bytes.push(b'\n');
    } else if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(receipt.as_bytes());
    bytes.push(b'\n');
    Ok(Some(bytes))
}
