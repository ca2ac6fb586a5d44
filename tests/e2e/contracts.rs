//! Valid and invalid contracts driven as data: see tests/contracts/README.md.
//!
//! Each file is its own test case, so a failing file never hides the others; a guard test
//! fails when a file in the folders has no case here, or a case no file.

use crate::common::{levers, stdout, temp_dir};
use std::path::{Path, PathBuf};

fn folder(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/contracts")
        .join(kind)
}

fn workspace_with(name: &str, contract: &Path) -> PathBuf {
    let dir = temp_dir(&format!("contracts-{name}"));
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contracts");
    std::fs::copy(here.join("levers.toml"), dir.join("levers.toml")).unwrap();
    std::fs::create_dir_all(dir.join("contracts/c")).unwrap();
    std::fs::copy(contract, dir.join("contracts/c/contract.toml")).unwrap();
    dir
}

/// `valid/<name>.toml` loads with no problem at all.
fn valid(name: &str) {
    let file = folder("valid").join(format!("{name}.toml"));
    let dir = workspace_with(&format!("valid-{name}"), &file);
    let out = levers(&dir, &["check", "--today", "2026-11-23"]);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
}

/// `invalid/<name>.toml` gives exactly the problems `invalid/<name>.expected` lists, in order,
/// each as `line:column: message` (the message must contain the text given).
fn invalid(name: &str) {
    let file = folder("invalid").join(format!("{name}.toml"));
    let expected = std::fs::read_to_string(file.with_extension("expected")).unwrap();
    let dir = workspace_with(&format!("invalid-{name}"), &file);
    let out = levers(
        &dir,
        &["check", "--format", "json", "--today", "2026-11-23"],
    );
    assert_eq!(out.status.code(), Some(1), "{name} must fail check");
    let problems: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let got: Vec<String> = problems
        .iter()
        .map(|p| {
            assert_eq!(p["file"], "contracts/c/contract.toml", "{name}: {p}");
            assert_eq!(p["severity"], "error");
            format!(
                "{}:{}: {}",
                p["line"],
                p["column"],
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    let wanted: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        got.len(),
        wanted.len(),
        "{name}: expected {wanted:#?}\ngot {got:#?}"
    );
    for (g, w) in got.iter().zip(&wanted) {
        let (position, fragment) = w.split_once(": ").unwrap();
        assert!(
            g.starts_with(&format!("{position}: ")) && g.contains(fragment),
            "{name}: expected `{w}`, got `{g}`"
        );
    }
}

/// One test per file: `cases!(valid: a, b; invalid: c, d)`.
macro_rules! cases {
    (valid: $($v:ident),* ; invalid: $($i:ident),* $(;)?) => {
        mod valid {
            $( #[test] fn $v() { super::valid(&stringify!($v).replace('_', "-")); } )*
        }
        mod invalid {
            $( #[test] fn $i() { super::invalid(&stringify!($i).replace('_', "-")); } )*
        }
        const VALID: &[&str] = &[$(stringify!($v)),*];
        const INVALID: &[&str] = &[$(stringify!($i)),*];
    };
}

cases!(
    valid: every_form;
    invalid: calendar, challenges, consequences, expressions, kpis, references, typos;
);

fn stems(kind: &str) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(folder(kind))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().replace('-', "_"))
        .collect();
    stems.sort();
    stems
}

#[test]
fn every_contract_file_has_its_own_case() {
    let listed = |names: &[&str]| {
        let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(
        stems("valid"),
        listed(VALID),
        "add the file to cases! above"
    );
    assert_eq!(
        stems("invalid"),
        listed(INVALID),
        "add the file to cases! above"
    );
    for stem in stems("invalid") {
        let expected = folder("invalid").join(format!("{}.expected", stem.replace('_', "-")));
        assert!(expected.is_file(), "{} is missing", expected.display());
    }
}
