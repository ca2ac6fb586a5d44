//! Helpers shared by the end-to-end tests: temporary workspaces and running the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty folder outside any git repository (so provenance reads "not in git"
/// whatever checkout the tests run in), removed and recreated for each use.
pub fn temp_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Every test module shares one process: a counter keeps two tests' folders apart even
    // when they choose the same name.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir()
        .join(format!("levers-tests-{}", std::process::id()))
        .join(format!("{name}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs levers in `dir` with `args` (tests always pass --today).
pub fn levers(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_levers"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the levers binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Compares `actual` with the golden file at `tests/golden/<name>`; with LEVERS_BLESS=1 it
/// writes the golden file instead (then review the diff before committing).
pub fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("LEVERS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (run with LEVERS_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  golden: {:?}\n  actual: {:?}\n(run with LEVERS_BLESS=1 to accept the new output)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// A copy of `tests/fixtures/small` in a fresh folder.
pub fn fixture(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small"),
        &dir,
    );
    dir
}

/// Runs git in `dir` (tests only), failing the test if git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file under `dir` (except .git and the cache) with its bytes, for before/after comparisons.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    fn walk(base: &Path, dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == ".git" || name == ".levers" {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, files);
            } else {
                files.push((
                    path.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// A workspace written from strings: levers.toml, `contracts/c/contract.toml` (a fixed header
/// with an `events` dataset, then `contract_extra`) and the given files under `contracts/c`.
pub fn string_workspace(name: &str, contract_extra: &str, files: &[(&str, String)]) -> PathBuf {
    let root = temp_dir(name);
    std::fs::create_dir_all(root.join("contracts/c")).unwrap();
    std::fs::write(
        root.join("levers.toml"),
        "[organisation]\nname = \"ICB\"\ncode = \"15N\"\n",
    )
    .unwrap();
    let contract = format!(
        "title = \"T\"\nreference = \"R\"\nprovider = {{ name = \"P\" }}\nstart = 2026-04-01\nend = 2027-03-31\nannual_value = \"12000000.00\"\n\
         [datasets.events]\nkey = \"id\"\nvalue = \"price\"\n[datasets.events.columns]\nid = \"text\"\nkind = \"text\"\nminutes = \"integer\"\ndays = \"integer\"\nwho = \"text\"\nprice = \"money\"\n\n{contract_extra}"
    );
    std::fs::write(root.join("contracts/c/contract.toml"), contract).unwrap();
    for (path, text) in files {
        let p = root.join("contracts/c").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    root
}

/// The small fixture in a git repository of its own, its files committed.
pub fn committed_fixture(name: &str) -> PathBuf {
    let dir = fixture(name);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "fixture"]);
    dir
}

/// The command's standard output, after asserting it succeeded (showing both streams if not).
pub fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// `levers letter` for the fixture's contract.
pub fn letter(dir: &Path, month: &str, stage: &str, today: &str) -> Output {
    levers(
        dir,
        &[
            "letter", "-c", "small", "-m", month, "--stage", stage, "--today", today,
        ],
    )
}

/// A file of the workspace, as text.
pub fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap()
}
