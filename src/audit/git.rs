//! Git, by shelling out to the `git` command (as jj does for what gix lacks): the commit that
//! last changed a set of files, whether they differ from what is committed, and commits of
//! exactly the files a command wrote.

use crate::error::GitFailure;
use anyhow::Result;

/// Stops with a [`GitFailure`] (exit 3).
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err(GitFailure(format!($($arg)*)).into())
    };
}
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(root: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(root)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

/// Whether the `git` command can be run at all.
pub(crate) fn available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why a command that commits cannot: git missing, or the folder not a repository.
pub(crate) fn cannot_commit(root: &Path) -> Option<String> {
    if !available() {
        return Some("git was not found: install git (for example `apt install git`) and make sure it is on the PATH".into());
    }
    if !is_repository(root) {
        return Some(format!(
            "{} is not a git repository: run `git init` there first",
            root.display()
        ));
    }
    None
}

/// The identity a commit is made under: the user's own configured name and email, so that the
/// audit trail shows a person; levers' only where none is configured (as under cron).
fn identity(root: &Path) -> Vec<String> {
    let configured = |key: &str| {
        git(root)
            .args(["config", "--get", key])
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
    };
    let mut args = Vec::new();
    if !configured("user.name") {
        args.extend(["-c".to_string(), "user.name=levers".to_string()]);
    }
    if !configured("user.email") {
        args.extend(["-c".to_string(), "user.email=levers@localhost".to_string()]);
    }
    args
}

/// Makes `root` a git repository holding `paths` in a first commit, unless it is already
/// inside one (then nothing is done). Returns the commit's short hash, if one was made.
pub(crate) fn init_with(root: &Path, paths: &[PathBuf], message: &str) -> Result<Option<String>> {
    if is_repository(root) {
        return Ok(None);
    }
    if !available() {
        fail!("git was not found, so the workspace is not yet a git repository: install git, then run `git init` and commit its files");
    }
    let init = git(root)
        .args(["init", "--quiet"])
        .output()
        .map_err(|e| GitFailure(format!("cannot run git: {e}")))?;
    if !init.status.success() {
        fail!(
            "git init failed: {}",
            String::from_utf8_lossy(&init.stderr).trim()
        );
    }
    commit(root, paths, message).map(Some)
}

/// The folder is inside a git work tree.
pub(crate) fn is_repository(root: &Path) -> bool {
    git(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

/// The short hash of the last commit that changed any of `paths`, "uncommitted" when any of
/// them differs from what is committed (or is not tracked), or "not in git".
pub(crate) fn input_commit(root: &Path, paths: &[PathBuf]) -> String {
    if !is_repository(root) {
        return "not in git".into();
    }
    let status = git(root)
        .args(["status", "--porcelain", "--untracked-files=all", "--"])
        .args(paths)
        .output();
    match status {
        Ok(o) if o.status.success() && o.stdout.is_empty() => {}
        _ => return "uncommitted".into(),
    }
    let log = git(root)
        .args(["log", "-1", "--format=%h", "--"])
        .args(paths)
        .output();
    match log {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        }
        _ => "uncommitted".into(),
    }
}

/// The example workspace ships inside levers' own source repository; committing letters there
/// would put generated files into levers' history. True when `root` is the top of that repository.
fn is_levers_source(root: &Path) -> bool {
    let top = git(root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(top) = top.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())) else {
        return false;
    };
    let same = std::fs::canonicalize(&top).ok() == std::fs::canonicalize(root).ok();
    same && top.join("src/main.rs").is_file()
        && std::fs::read_to_string(top.join("Cargo.toml"))
            .is_ok_and(|t| t.contains("name = \"levers\""))
}

/// Refuses, before anything is written, what would make a commit go wrong: levers' own
/// source repository, git missing, a folder that is no repository, or one in the middle of a
/// merge, rebase, cherry-pick or revert (whose next commit would carry levers' outputs).
pub(crate) fn ready_to_commit(root: &Path) -> Result<()> {
    refuse_levers_source(root)?;
    if let Some(why) = cannot_commit(root) {
        fail!("{why}; nothing was written");
    }
    if let Some(operation) = operation_in_progress(root) {
        fail!("the repository is in the middle of a {operation}: finish it (or abort it) before levers commits anything; nothing was written");
    }
    Ok(())
}

/// A merge, rebase, cherry-pick or revert under way in the repository holding `root`.
pub(crate) fn operation_in_progress(root: &Path) -> Option<&'static str> {
    let out = git(root)
        .args(["rev-parse", "--git-dir"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let dir = root.join(String::from_utf8_lossy(&out.stdout).trim());
    [
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ]
    .into_iter()
    .find(|(file, _)| dir.join(file).exists())
    .map(|(_, operation)| operation)
}

/// Refuses, before anything is written, to commit into levers' own source repository.
pub(crate) fn refuse_levers_source(root: &Path) -> Result<()> {
    if is_levers_source(root) {
        return Err(crate::error::Usage("this is levers' own source repository, whose example workspace is not for committing letters into: run the cycle on a copy (bash examples/monthly-cycle.sh), or on your own workspace; nothing was written".into()).into());
    }
    Ok(())
}

/// Commits exactly `paths` (relative to `root`) with `message`; other staged changes are left
/// alone. Returns the new commit's short hash.
pub(crate) fn commit(root: &Path, paths: &[PathBuf], message: &str) -> Result<String> {
    refuse_levers_source(root)?;
    if let Some(why) = cannot_commit(root) {
        fail!("{why}; the output was written but not committed");
    }
    // Nothing is left staged when either step fails: the user's next commit must not carry
    // levers' outputs.
    let failed = |what: &str, stderr: &[u8]| {
        let _ = git(root)
            .args(["reset", "--quiet", "--"])
            .args(paths)
            .output();
        anyhow::Error::new(GitFailure(format!(
            "git {what} failed, so the files written are not yet committed (the next `levers run` commits them): {}",
            String::from_utf8_lossy(stderr).trim()
        )))
    };
    // A zip container (a workbook) is stored as it is: its parts are deflated already, so git
    // deflating it again costs a second for a large one and saves nothing. (A later `git gc`
    // packs it as it packs everything.)
    let (zipped, plain): (Vec<&PathBuf>, Vec<&PathBuf>) =
        paths.iter().partition(|p| is_zip(&root.join(p)));
    for (files, compression) in [(zipped, "0"), (plain, "")] {
        if files.is_empty() {
            continue;
        }
        let mut add = git(root);
        if !compression.is_empty() {
            add.args(["-c", &format!("core.looseCompression={compression}")]);
        }
        let add = add
            .arg("add")
            .arg("--")
            .args(files)
            .output()
            .map_err(|e| GitFailure(format!("cannot run git: {e}")))?;
        if !add.status.success() {
            return Err(failed("add", &add.stderr));
        }
    }
    // When nothing but `paths` is staged, the index is exactly what to commit, and a plain
    // commit records it as it stands; naming the paths makes git read every file into a fresh
    // index again (a quarter of a second for a large month's companions). The check sees the
    // whole repository whatever the user's settings (`diff.relative`, submodules ignored), and
    // the commit is checked afterwards too: something staged in between (the user, in another
    // terminal) has the commit undone and made again naming the paths.
    let only_ours = git(root)
        .args([
            "diff",
            "--cached",
            "--quiet",
            "--no-relative",
            "--ignore-submodules=none",
            "--",
            ":/",
        ])
        .args(
            paths
                .iter()
                .map(|p| format!(":(exclude,literal){}", p.display())),
        )
        .status()
        .is_ok_and(|s| s.success());
    let before = head_commit(root);
    let commit_named = |named: bool| -> Result<()> {
        let mut commit = git(root);
        commit
            .args(identity(root))
            .args(["commit", "--quiet", "--no-verify", "-m", message]);
        if named {
            commit.arg("--").args(paths);
        }
        let commit = commit
            .output()
            .map_err(|e| GitFailure(format!("cannot run git: {e}")))?;
        if !commit.status.success() {
            return Err(failed("commit", &commit.stderr));
        }
        Ok(())
    };
    commit_named(!only_ours)?;
    if only_ours && !committed_only(root, before.as_deref(), paths) {
        let undone = match &before {
            Some(before) => git(root)
                .args(["reset", "--soft", "--quiet", before])
                .status(),
            None => git(root).args(["update-ref", "-d", "HEAD"]).status(),
        };
        if !undone.is_ok_and(|s| s.success()) {
            fail!("git committed more than levers' files (something was staged meanwhile) and the commit could not be undone: see `git show HEAD`");
        }
        commit_named(true)?;
    }
    let head = git(root)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map_err(|e| GitFailure(format!("cannot run git: {e}")))?;
    Ok(String::from_utf8_lossy(&head.stdout).trim().to_string())
}

/// The commit HEAD names, if there is one yet.
fn head_commit(root: &Path) -> Option<String> {
    let out = git(root)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output()
        .ok()?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !hash.is_empty()).then_some(hash)
}

/// Whether the commit HEAD names changed nothing but `paths` (relative to `root`) since
/// `before` (or, with none, holds nothing else).
fn committed_only(root: &Path, before: Option<&str>, paths: &[PathBuf]) -> bool {
    let Some(prefix) = git(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    else {
        return false;
    };
    let mut diff = git(root);
    diff.args([
        "diff-tree",
        "-r",
        "-z",
        "--name-only",
        "--no-renames",
        "--no-commit-id",
        "--ignore-submodules=none",
    ]);
    match before {
        Some(before) => diff.args([before, "HEAD"]),
        None => diff.args(["--root", "HEAD"]),
    };
    let Ok(out) = diff.output() else {
        return false;
    };
    let ours: std::collections::BTreeSet<String> = paths
        .iter()
        .map(|p| format!("{prefix}{}", p.to_string_lossy().replace('\\', "/")))
        .collect();
    out.status.success()
        && String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|p| !p.is_empty())
            .all(|p| ours.contains(p))
}

/// Whether `path` is a zip container (it starts with a local file header), as a workbook is.
fn is_zip(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).is_ok_and(|mut f| f.read_exact(&mut magic).is_ok())
        && magic == *ZIP_MAGIC
}

const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Blobs smaller than this are left to `git add`.
const STORE_AHEAD_FROM_BYTES: usize = 1 << 20;

/// Stores `bytes`, the contents of the file at `path` about to be committed, in the
/// repository's objects by a `git hash-object -w --stdin` (`--path` applies the file's
/// attributes, so the blob is the one `git add` would make; a zip container is stored
/// undeflated, as [`commit`] stores it). `git add` then finds the blob stored and only hashes
/// the file. Nothing depends on it: a blob not stored (git missing, an error) is simply made by
/// `git add`, and one stored for a commit that does not follow is pruned by git's own garbage
/// collection.
fn store_blob(root: &Path, path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    let mut command = git(root);
    if bytes.starts_with(ZIP_MAGIC) {
        command.args(["-c", "core.looseCompression=0"]);
    }
    let Ok(mut child) = command
        .arg("hash-object")
        .arg("-w")
        .arg("--stdin")
        .arg(format!("--path={}", path.display()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(bytes);
    }
    let _ = child.wait();
}

/// A blob being stored in the background ([`store_blob`]) from the moment its contents exist:
/// a letter's CSV while its workbook is still being made. Dropping it waits for git to finish,
/// so no `git hash-object` outlives the command that started it.
pub(crate) struct StoringBlob(Option<std::thread::JoinHandle<()>>);

impl StoringBlob {
    /// Starts storing `bytes`, what the file `path` will hold, when there are enough of them to
    /// be worth it.
    pub(crate) fn start<B: AsRef<[u8]> + Send + Sync + 'static>(
        root: &Path,
        path: &Path,
        bytes: std::sync::Arc<B>,
    ) -> StoringBlob {
        if (*bytes).as_ref().len() < STORE_AHEAD_FROM_BYTES {
            return StoringBlob(None);
        }
        let (root, path) = (root.to_path_buf(), path.to_path_buf());
        StoringBlob(Some(std::thread::spawn(move || {
            store_blob(&root, &path, (*bytes).as_ref())
        })))
    }
}

impl Drop for StoringBlob {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

/// Whether any of `paths` differs from what HEAD holds (modified, new or staged).
pub(crate) fn uncommitted(root: &Path, paths: &[PathBuf]) -> bool {
    git(root)
        .args(["status", "--porcelain", "--untracked-files=all", "--"])
        .args(paths)
        .output()
        .map_or(true, |o| !o.status.success() || !o.stdout.is_empty())
}

/// The files under `dir` (relative to `root`) that differ from HEAD: modified, new or staged.
pub(crate) fn uncommitted_files(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let Ok(out) = git(root)
        .args([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
        ])
        .arg(dir)
        .output()
    else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    // Entries are "XY path\0"; a rename adds its old path as a second entry.
    let mut files = Vec::new();
    let mut entries = out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        if entry.len() < 4 {
            continue;
        }
        let status = &entry[..2];
        let path = String::from_utf8_lossy(&entry[3..]).to_string();
        if status[0] == b'R' || status[0] == b'C' {
            entries.next();
        }
        // Paths are relative to the repository's top; make them relative to the workspace.
        files.push(PathBuf::from(path));
    }
    let top = git(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    files
        .into_iter()
        .filter_map(|f| f.strip_prefix(&top).ok().map(Path::to_path_buf))
        .collect()
}

/// The bytes of `path` at `commit`.
pub(crate) fn show(root: &Path, commit: &str, path: &Path) -> Result<Vec<u8>> {
    // `./` makes the path relative to the workspace, which may be a folder inside the
    // repository.
    let spec = format!("{commit}:./{}", path.display());
    let out = git(root)
        .args(["show", &spec])
        .output()
        .map_err(|e| GitFailure(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        fail!("{} is not in commit {commit}", path.display());
    }
    Ok(out.stdout)
}

/// Every file ever added or changed under `dir` (relative to `root`) in the history of HEAD,
/// with the last commit that added or changed it: one call to git, for files that may have
/// left the working tree. Empty outside a repository.
pub(crate) fn files_in_history(
    root: &Path,
    dir: &Path,
) -> std::collections::BTreeMap<PathBuf, String> {
    let mut files = std::collections::BTreeMap::new();
    let Ok(out) = git(root)
        .args([
            "log",
            "--diff-filter=AM",
            "--name-only",
            "--relative",
            "--format=commit %H",
            "--",
        ])
        .arg(dir)
        .output()
    else {
        return files;
    };
    if !out.status.success() {
        return files;
    }
    let mut commit = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(hash) = line.strip_prefix("commit ") {
            commit = hash.to_string();
        } else if !line.is_empty() {
            files
                .entry(PathBuf::from(line))
                .or_insert_with(|| commit.clone());
        }
    }
    files
}
