//! Git, by shelling out to the `git` command (as jj does for what gix lacks): the commit that
//! last changed a set of files, whether they differ from what is committed, and commits of
//! exactly the files a command wrote.

use anyhow::{bail, Context, Result};
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

/// The folder is inside a git work tree.
pub fn is_repository(root: &Path) -> bool {
    git(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

/// The short hash of the last commit that changed any of `paths`, "uncommitted" when any of
/// them differs from what is committed (or is not tracked), or "not in git".
pub fn input_commit(root: &Path, paths: &[PathBuf]) -> String {
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

/// Refuses, before anything is written, to commit into levers' own source repository.
pub fn refuse_levers_source(root: &Path) -> Result<()> {
    if is_levers_source(root) {
        bail!("this is levers' own source repository, whose example workspace is not for committing letters into: run the cycle on a copy (bash examples/monthly-cycle.sh), or on your own workspace; nothing was written");
    }
    Ok(())
}

/// Commits exactly `paths` (relative to `root`) with `message`; other staged changes are left
/// alone. Returns the new commit's short hash.
pub fn commit(root: &Path, paths: &[PathBuf], message: &str) -> Result<String> {
    refuse_levers_source(root)?;
    if !is_repository(root) {
        bail!("{} is not a git repository, so --commit cannot record the output: run `git init` there first, or leave out --commit", root.display());
    }
    let add = git(root)
        .arg("add")
        .arg("--")
        .args(paths)
        .output()
        .context("cannot run git")?;
    if !add.status.success() {
        bail!(
            "git add failed: {}",
            String::from_utf8_lossy(&add.stderr).trim()
        );
    }
    let commit = git(root)
        .args([
            "-c",
            "user.name=levers",
            "-c",
            "user.email=levers@localhost",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            message,
            "--",
        ])
        .args(paths)
        .output()
        .context("cannot run git")?;
    if !commit.status.success() {
        bail!(
            "git commit failed: {}",
            String::from_utf8_lossy(&commit.stderr).trim()
        );
    }
    let head = git(root)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .context("cannot run git")?;
    Ok(String::from_utf8_lossy(&head.stdout).trim().to_string())
}

/// The bytes of `path` at `commit`.
pub fn show(root: &Path, commit: &str, path: &Path) -> Result<Vec<u8>> {
    // `./` makes the path relative to the workspace, which may be a folder inside the
    // repository.
    let spec = format!("{commit}:./{}", path.display());
    let out = git(root)
        .args(["show", &spec])
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!("{} is not in commit {commit}", path.display());
    }
    Ok(out.stdout)
}

/// Every file ever added or changed under `dir` (relative to `root`) in the history of HEAD,
/// with the last commit that added or changed it: one call to git, for files that may have
/// left the working tree. Empty outside a repository.
pub fn files_in_history(root: &Path, dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
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
