//! Charts and icons (§5.4): written beside each letter, under its provenance, never rewritten
//! by a later letter, and the same bytes every time.

use crate::common::*;

#[test]
fn a_letter_writes_its_charts_and_icons_and_verify_covers_them() {
    let dir = fixture("charts");
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    let charts = dir.join("contracts/small/letters/2026-06-charts");
    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ae-12hr.svg",
            "ae-4hr.svg",
            "assurance-hit_and_miss.svg",
            "fft.svg",
            "fu-ratio--100.svg",
            "fu-ratio--110.svg",
            "fu-ratio--300.svg",
            "los-p90.svg",
            "variation-common_cause.svg"
        ]
    );
    let chart = std::fs::read_to_string(charts.join("ae-4hr.svg")).unwrap();
    for wanted in [
        r#"role="img""#,
        "<title id=\"chart-t\">A&amp;E within 4 hours</title>",
        "trial limits (fewer than 12 points)",
        r#"stroke-dasharray="6 4""#,
        r##"stroke="#c8102e""##,
        ">80%</text>",
        ">100%</text>",
    ] {
        assert!(chart.contains(wanted), "{wanted}\n{chart}");
    }
    let text = read(&dir, "contracts/small/letters/2026-06-provisional.md");
    assert!(text.contains("![Variation: common cause](2026-06-charts/variation-common_cause.svg) ![Assurance: hit and miss](2026-06-charts/assurance-hit_and_miss.svg) Common cause"), "{text}");
    assert!(
        text.contains("![XmR chart of A&E within 4 hours to June 2026](2026-06-charts/ae-4hr.svg)")
    );
    assert!(text.contains("companion: contracts/small/letters/2026-06-charts/ae-4hr.svg sha256 "));
    // verify remakes a chart, and catches one changed by hand.
    let path = "contracts/small/letters/2026-06-charts/ae-4hr.svg";
    let out = levers(&dir, &["verify", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    std::fs::write(dir.join(path), chart.replace("95%", "96%")).unwrap();
    let out = levers(&dir, &["verify", path]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    std::fs::write(dir.join(path), &chart).unwrap();
    // The same inputs, the same bytes.
    std::fs::remove_dir_all(&charts).unwrap();
    std::fs::remove_file(dir.join("contracts/small/letters/2026-06-provisional.md")).unwrap();
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    assert_eq!(
        std::fs::read_to_string(charts.join("ae-4hr.svg")).unwrap(),
        chart
    );
    // The final letter draws its own, and leaves the provisional letter's alone.
    ok(&levers(
        &dir,
        &[
            "letter",
            "-c",
            "small",
            "-m",
            "2026-06",
            "--stage",
            "final",
            "--today",
            "2026-08-20",
            "--force",
        ],
    ));
    assert!(dir
        .join("contracts/small/letters/2026-06-final-charts/ae-4hr.svg")
        .is_file());
    assert_eq!(
        std::fs::read_to_string(charts.join("ae-4hr.svg")).unwrap(),
        chart
    );
}

/// The board pack is one self-contained page: no scripts, no requests, headings in order,
/// tables with headers, a text alternative on every picture; the same bytes every time.
#[test]
fn the_board_pack_is_self_contained_accessible_and_deterministic() {
    let dir = fixture("board-pack");
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    let html = ok(&levers(&dir, &["report", "--today", "2026-07-20"]));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"));
    assert!(!html.contains("<script"));
    let without_namespaces = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespaces.contains("http://") && !without_namespaces.contains("https://"));
    assert!(!html.contains("<img") && !html.contains("<link"));
    // Headings never skip a level.
    let mut level = 0;
    for (i, _) in html.match_indices("<h") {
        let Some(n) = html[i + 2..].chars().next().and_then(|c| c.to_digit(10)) else {
            continue;
        };
        assert!(n <= level + 1, "h{n} after h{level}");
        level = n;
    }
    assert_eq!(html.matches("<h1").count(), 1);
    assert_eq!(
        html.matches("<table").count(),
        html.matches("<thead>").count()
    );
    assert_eq!(
        html.matches("<table").count(),
        html.matches("<caption>").count()
    );
    assert!(!html.contains("<th>"), "every header cell has its scope");
    assert_eq!(
        html.matches("<svg").count(),
        html.matches("role=\"img\"").count()
    );
    for (i, _) in html.match_indices("<svg") {
        let rest = &html[i..];
        let after = rest[rest.find('>').unwrap() + 1..].trim_start();
        assert!(after.starts_with("<title"), "a picture without its title");
    }
    for wanted in [
        "<h2 id=\"portfolio\">Portfolio summary</h2>",
        "<h3>KPIs by variation and assurance</h3>",
        "<h3>Charts</h3>",
        "<h3>Data challenges</h3>",
        "<h3>Overdue actions</h3>",
        "section.contract { break-before: page; }",
        "Consequences this month, after caps:",
        "a net adjustment from consequences of",
    ] {
        assert!(html.contains(wanted), "{wanted}");
    }
    let again = ok(&levers(&dir, &["report", "--today", "2026-07-20"]));
    assert_eq!(html, again);
    // --out writes the same page to a file.
    ok(&levers(
        &dir,
        &["report", "--today", "2026-07-20", "--out", "pack.html"],
    ));
    assert_eq!(read(&dir, "pack.html"), html);
}

/// `--to docx` converts the letter beside it through pandoc, its provenance visible at the end;
/// without pandoc, it says how to install it (exit 2) and the Markdown record is still written.
#[test]
fn a_letter_converts_to_docx_through_pandoc_or_says_how_to_get_it() {
    let dir = fixture("convert");
    let out = levers(
        &dir,
        &[
            "letter",
            "-c",
            "small",
            "-m",
            "2026-06",
            "--stage",
            "provisional",
            "--today",
            "2026-07-06",
            "--to",
            "docx",
        ],
    );
    assert!(dir
        .join("contracts/small/letters/2026-06-provisional.md")
        .is_file());
    let pandoc = std::process::Command::new("pandoc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let docx = dir.join("contracts/small/letters/2026-06-provisional.docx");
    if !pandoc {
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("needs pandoc, which is not installed"));
        assert!(!docx.exists());
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut body)
        .unwrap();
    assert!(body.contains("provenance: levers"), "the provenance note");
    assert!(body.contains("A&amp;E within 4 hours"));
    assert!(
        zip.file_names()
            .flatten()
            .any(|n| n.ends_with(".svg") || n.ends_with(".png")),
        "the charts"
    );
}

/// `[[rebase]]` starts a new SPC segment: the reading uses the points from it on (as
/// NHSRplotthedots' rebase: the moving range across the boundary is not counted), the chart
/// shows both segments and the reason, and `check` refuses a bad block.
#[test]
fn a_rebase_starts_a_new_segment_and_check_refuses_bad_ones() {
    let dir = fixture("rebase");
    let contract = dir.join("contracts/small/contract.toml");
    let text = std::fs::read_to_string(&contract).unwrap();
    let spc = |dir: &std::path::Path| -> serde_json::Value {
        let out = ok(&levers(
            dir,
            &[
                "kpi",
                "-m",
                "2026-06",
                "--today",
                "2026-07-20",
                "--format",
                "json",
            ],
        ));
        let all: serde_json::Value = serde_json::from_str(&out).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == "ae-4hr")
            .unwrap()["spc"]
            .clone()
    };
    assert_eq!(spc(&dir)["points"], 3);
    std::fs::write(
        &contract,
        format!("{text}\n[[rebase]]\nkpi = \"ae-4hr\"\nfrom = \"2026-05\"\nreason = \"new triage model\"\n"),
    )
    .unwrap();
    let rebased = spc(&dir);
    assert_eq!(rebased["points"], 2, "May and June only");
    ok(&letter(&dir, "2026-06", "provisional", "2026-07-06"));
    let chart = read(&dir, "contracts/small/letters/2026-06-charts/ae-4hr.svg");
    assert!(
        chart.contains("Rebased from May 2026: new triage model"),
        "{chart}"
    );
    // April alone before the rebase has no limits (a segment needs two points); May and June
    // have theirs, drawn over their own months only, and the rebase is marked.
    assert_eq!(
        chart
            .matches(r##"stroke="#231f20" stroke-width="1.2""##)
            .count(),
        1,
        "one segment with a mean"
    );
    assert!(chart.contains(r#"stroke-dasharray="1 3""#));
    // Bad blocks: every problem, located.
    std::fs::write(
        &contract,
        format!("{text}\n[[rebase]]\nkpi = \"ae-5hr\"\nfrom = \"2026-04\"\nreason = \"\"\n\n[[rebase]]\nkpi = \"ae-4hr\"\nfrom = \"May 2026\"\nreason = \"x\"\n"),
    )
    .unwrap();
    let out = levers(&dir, &["check", "--today", "2026-07-20"]);
    let all = stdout(&out) + &stderr(&out);
    for wanted in [
        "unknown KPI `ae-5hr`",
        "must be a month after the contract's first (2026-04)",
        "[[rebase]] needs a `reason`",
        "May 2026",
    ] {
        assert!(all.contains(wanted), "{wanted}\n{all}");
    }
}

/// `[output] formats = ["html"]`: `run` writes and commits a converted copy beside each letter,
/// and a bad format is refused by `check` with its place.
#[test]
fn run_writes_the_formats_levers_toml_asks_for() {
    let pandoc = std::process::Command::new("pandoc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let dir = committed_fixture("output-formats");
    let settings = dir.join("levers.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("{text}\n[output]\nformats = [\"html\", \"odt\"]\n"),
    )
    .unwrap();
    let out = levers(&dir, &["check", "--today", "2026-07-06"]);
    assert!(
        (stdout(&out) + &stderr(&out))
            .contains("unknown output format `odt`: expected \"docx\", \"pdf\" or \"html\""),
        "{}",
        stdout(&out)
    );
    if !pandoc {
        return;
    }
    std::fs::write(
        &settings,
        format!("{text}\n[output]\nformats = [\"html\"]\n"),
    )
    .unwrap();
    git(&dir, &["commit", "-qam", "html copies"]);
    ok(&levers(&dir, &["run", "--today", "2026-07-06"]));
    let copy = dir.join("contracts/small/letters/2026-05-provisional.html");
    assert!(std::fs::read_to_string(&copy)
        .unwrap()
        .contains("provenance: levers"));
    assert!(
        git(&dir, &["status", "--porcelain"]).trim().is_empty(),
        "committed"
    );
}
