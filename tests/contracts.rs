//! Valid and invalid contracts driven as data: see tests/contracts/README.md.

mod common;

use common::{levers, stdout, temp_dir};
use std::path::Path;

fn workspace_with(name: &str, contract: &Path) -> std::path::PathBuf {
    let dir = temp_dir(&format!("contracts-{name}"));
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contracts");
    std::fs::copy(here.join("levers.toml"), dir.join("levers.toml")).unwrap();
    std::fs::create_dir_all(dir.join("contracts/c")).unwrap();
    std::fs::copy(contract, dir.join("contracts/c/contract.toml")).unwrap();
    dir
}

fn files(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/contracts")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn valid_contracts_load_without_problems() {
    for file in files("valid") {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let dir = workspace_with(&name, &file);
        let out = levers(&dir, &["check", "--today", "2026-11-23"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
    }
}

#[test]
fn invalid_contracts_give_exactly_their_diagnostics() {
    for file in files("invalid") {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let expected = std::fs::read_to_string(file.with_extension("expected")).unwrap();
        let dir = workspace_with(&name, &file);
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
}
