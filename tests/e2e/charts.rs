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
        "<title id=\"t\">A&amp;E within 4 hours</title>",
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
