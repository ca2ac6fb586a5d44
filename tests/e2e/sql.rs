//! `levers sql` (§6.1): the script for each dialect, refusals, and — where Python's duckdb is
//! installed (`.ci/run` installs it, and pyspark, and runs tests/sql/verify.py on both) — the
//! figures the SQL computes equal to levers' own, and fed back as a provider return.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const TODAY: &str = "--today=2026-11-30";

fn sql_fixture(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql"),
        &dir,
    );
    dir
}

/// The script with the workspace's folder (a temporary one) written as `<workspace>`.
fn script(dir: &Path, args: &[&str]) -> String {
    let mut all = vec![TODAY, "sql"];
    all.extend_from_slice(args);
    let out = ok(&levers(dir, &all));
    let root = dir.canonicalize().unwrap();
    out.replace(&root.display().to_string(), "<workspace>")
}

#[test]
fn each_dialect_writes_the_same_views() {
    let dir = sql_fixture("sql-dialects");
    for dialect in ["duckdb", "spark", "tsql", "postgres"] {
        let sql = script(
            &dir,
            &["-c", "edge", "--dialect", dialect, "--month", "2026-10"],
        );
        assert_golden(&format!("sql/edge-{dialect}.sql"), &sql);
    }
    // Without a month the script expects the dataset views and says what they hold.
    let views = script(&dir, &["-c", "edge"]);
    assert!(views
        .contains("--   visits(_row BIGINT, _month VARCHAR, fee DECIMAL(18,2), on_time BOOLEAN"));
    assert!(!views.contains("read_csv"));
    assert_golden("sql/edge-duckdb-views.sql", &views);
    // Deterministic: the same inputs give the same bytes.
    assert_eq!(
        script(
            &dir,
            &["-c", "edge", "--dialect", "spark", "--month", "2026-10"]
        ),
        script(
            &dir,
            &["-c", "edge", "--dialect", "spark", "--month", "2026-10"]
        )
    );
}

#[test]
fn an_expression_a_dialect_cannot_write_exactly_is_refused_by_name() {
    let dir = string_workspace(
        "sql-refused",
        "[[kpi]]\nid = \"halves\"\nname = \"Half minutes\"\nfrom = \"events\"\nsum = \"minutes / 2\"\ntarget = \"<= 10\"\n\n\
         [[kpi]]\nid = \"fine\"\nname = \"Fine\"\nfrom = \"events\"\ncount = \"kind = 'A'\"\ntarget = \"= 0\"\n\n\
         [[kpi]]\nid = \"by-price\"\nname = \"By price\"\nfrom = \"events\"\nwhere = \"kind = 'A'\"\nnumerator = \"minutes < 5\"\nby = \"price\"\ntarget = \">= 50%\"\n\n\
         [[challenge]]\nid = \"ratio\"\nname = \"Ratio\"\nfrom = \"events\"\nwhere = \"days / minutes > 2\"\n",
        &[],
    );
    for dialect in ["duckdb", "spark", "tsql", "postgres"] {
        let out = levers(&dir, &[TODAY, "sql", "-c", "c", "--dialect", dialect]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "no SQL is printed when any is refused"
        );
        let err = stderr(&out);
        // Every refusal at once, each naming what and the dialect.
        for what in ["KPI `halves`", "KPI `by-price`", "challenge rule `ratio`"] {
            assert!(err.contains(what), "{what} in {err}");
        }
        assert!(!err.contains("`fine`"), "{err}");
        assert!(err.contains("`/` divides exactly in levers"), "{err}");
        assert!(err.contains("a decimal number"), "{err}");
        let title = match dialect {
            "duckdb" => "DuckDB",
            "spark" => "Spark SQL",
            "tsql" => "T-SQL (SQL Server)",
            _ => "PostgreSQL",
        };
        assert!(err.contains(title), "{err}");
    }
}

#[test]
fn a_date_form_an_engine_cannot_read_exactly_is_refused() {
    let dir = sql_fixture("sql-date-form");
    let contract = dir.join("contracts/edge/contract.toml");
    let text = read(&dir, "contracts/edge/contract.toml").replace("%d/%m/%Y", "%d.%m.%y");
    std::fs::write(&contract, text).unwrap();
    let out = levers(
        &dir,
        &[
            TODAY,
            "sql",
            "-c",
            "edge",
            "--dialect",
            "spark",
            "--month",
            "2026-10",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("dataset `visits`: date_format `%d.%m.%y`: Spark SQL cannot read dates in that form exactly"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_month_without_its_files_is_an_error_not_an_empty_view() {
    let dir = sql_fixture("sql-no-month");
    let out = levers(&dir, &[TODAY, "sql", "-c", "edge", "--month", "2026-09"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("contracts/edge/data/activity/2026-09.csv: no file for 2026-09")
            && err.contains("contracts/edge/data/visits/2026-09.csv: no file for 2026-09"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

/// Whether `python3` can import `module`.
fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn verify(workspace: &Path) {
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql/verify.py"))
        .args(["--levers", env!("CARGO_BIN_EXE_levers")])
        .arg("--workspace")
        .arg(workspace)
        .args(["--today", "2026-11-30", "--engines", "duckdb"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("every figure equal"));
}

#[test]
fn duckdb_computes_levers_figures_exactly() {
    if !python_has("duckdb") {
        eprintln!("skipped: Python's duckdb is not installed (pip install duckdb; .ci/run does)");
        return;
    }
    verify(&sql_fixture("sql-verify-fixture"));
    // The example workspace, copied so that levers' cache is written outside the checkout.
    let example = temp_dir("sql-verify-example");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("levers.toml"), example.join("levers.toml")).unwrap();
    copy_tree(&repo.join("contracts"), &example.join("contracts"));
    verify(&example);
}

#[test]
fn a_figure_computed_in_sql_comes_back_as_a_provider_return() {
    if !python_has("duckdb") {
        eprintln!("skipped: Python's duckdb is not installed (pip install duckdb; .ci/run does)");
        return;
    }
    let dir = sql_fixture("sql-round-trip");
    let sql = ok(&levers(
        &dir,
        &[TODAY, "sql", "-c", "edge", "--month", "2026-10"],
    ));
    std::fs::write(dir.join("edge.sql"), sql).unwrap();
    let out = Command::new("python3")
        .current_dir(&dir)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sql-returns.py"))
        .args(["edge.sql", "ae-4hr", "urgent-long", "minutes-median"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let returns = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        returns,
        "kpi,numerator,denominator,value,note\n\
         ae-4hr,4,8,,computed by levers sql on DuckDB from ae-4hr\n\
         urgent-long,,,4,computed by levers sql on DuckDB from urgent-long\n\
         minutes-median,,,300,computed by levers sql on DuckDB from minutes-median\n"
    );
    let path = dir.join("contracts/edge-returns/data/returns/2026-10.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, returns).unwrap();
    let kpis = |contract: &str| -> Vec<serde_json::Value> {
        let out = ok(&levers(
            &dir,
            &[
                TODAY, "kpi", "-c", contract, "-m", "2026-10", "--format", "json",
            ],
        ));
        serde_json::from_str(&out).unwrap()
    };
    let measured = kpis("edge");
    let returned = kpis("edge-returns");
    for id in ["ae-4hr", "urgent-long", "minutes-median"] {
        let find = |all: &[serde_json::Value]| {
            all.iter()
                .find(|k| k["kpi"] == id)
                .unwrap_or_else(|| panic!("{id}"))
                .clone()
        };
        let (m, r) = (find(&measured), find(&returned));
        for field in ["actual", "rag", "variance", "excess", "target"] {
            assert_eq!(m[field], r[field], "{id} {field}");
        }
        assert_eq!(r["measure"], "returned");
    }
}
