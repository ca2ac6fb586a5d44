//! Letters and notices as the provider receives them (§5.4): the Markdown record converted by
//! pandoc to DOCX or HTML (with `templates/reference.docx` as the letterhead when the workspace
//! has one), or to PDF through HTML and headless Chromium. The Markdown stays the record; the
//! converted file is derived from it, beside it, and carries its provenance: visibly at its
//! end, as the record's HTML comment would be dropped.

use crate::error::Usage;
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The formats a letter can be converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Word, through pandoc (`templates/reference.docx` as the letterhead when present)
    Docx,
    /// PDF, through pandoc's HTML and headless Chromium
    Pdf,
    /// A standalone HTML page, through pandoc
    Html,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Html => "html",
        }
    }
}

/// A letter's page: A4, the tables the full width of the text and never scrolled.
const PRINT_CSS: &str = "@page { size: A4; margin: 16mm 14mm; }
header#title-block-header { display: none; }
body { max-width: 178mm; margin: 0 auto; padding: 0; font-size: 10.5pt; hyphens: none; }
table { display: table; width: 100%; overflow: visible; font-size: 8.5pt; border-collapse: collapse; }
th, td { padding: 2pt 3pt; vertical-align: top; }
img { max-width: 100%; height: auto; }
td img { width: 22px; height: 22px; }
h1, h2 { break-after: avoid; }
tr, img { break-inside: avoid; }
";

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Markdown of `record` with its provenance comment made a visible closing note, for a
/// converter that drops comments.
fn with_visible_provenance(record: &str) -> String {
    let Some(start) = crate::audit::provenance::comment_start(record) else {
        return record.to_string();
    };
    let end = record[start..]
        .find("-->")
        .map_or(record.len(), |e| start + e + 3);
    let note = &record[start + 4..end.saturating_sub(3)];
    let mut lines = note.lines().map(str::trim).filter(|l| !l.is_empty());
    let head = lines.next().unwrap_or_default();
    let command = lines
        .find(|l| l.starts_with("command:"))
        .unwrap_or_default();
    format!(
        "{}\n\n---\n\n<small>{}; `{}`. The Markdown file of the same name is the record; this copy was converted from it.</small>\n{}",
        record[..start].trim_end(),
        crate::render::text::md(head),
        command.replace('`', "'"),
        &record[end..]
    )
}

/// Converts the Markdown file `record` (relative to `root`) to `format`, beside it; returns
/// the path written. Refuses, with how to install it, when pandoc (or Chromium, for PDF) is
/// not installed.
pub fn convert(root: &Path, record: &Path, format: Format) -> Result<PathBuf> {
    if !found("pandoc") {
        return Err(Usage(
            "converting a letter needs pandoc, which is not installed: install it (Debian or Ubuntu: `sudo apt-get install pandoc`; elsewhere https://pandoc.org/installing.html) and run again; the Markdown letter is written and is the record".into(),
        )
        .into());
    }
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|p| found(p));
    if format == Format::Pdf && chromium.is_none() {
        return Err(Usage(
            "a PDF is printed by headless Chromium, which is not installed: install it (Debian or Ubuntu: `sudo apt-get install chromium`), or convert to docx or html".into(),
        )
        .into());
    }
    let source = std::fs::read_to_string(root.join(record))
        .with_context(|| format!("cannot read {}", record.display()))?;
    let folder = root.join(record.parent().unwrap_or(Path::new("")));
    let target = record.with_extension(format.extension());
    let scratch = crate::audit::write::scratch_dir(root)?;
    let input = scratch.join("letter.md");
    std::fs::write(&input, with_visible_provenance(&source))?;
    let html = scratch.join("letter.html");
    let output = match format {
        Format::Pdf => html.clone(),
        _ => scratch.join(format!("letter.{}", format.extension())),
    };
    let mut pandoc = Command::new("pandoc");
    pandoc
        .arg(&input)
        .arg("--from=markdown")
        .arg("--resource-path")
        .arg(&folder)
        .arg("-o")
        .arg(&output);
    match format {
        Format::Docx => {
            let reference = root.join("templates/reference.docx");
            if reference.is_file() {
                pandoc.arg("--reference-doc").arg(reference);
            }
        }
        Format::Html | Format::Pdf => {
            let css = scratch.join("letter.css");
            std::fs::write(&css, PRINT_CSS)?;
            pandoc
                .arg("--css")
                .arg(&css)
                .arg("--standalone")
                .arg("--self-contained");
        }
    }
    let run = pandoc.output().context("cannot run pandoc")?;
    if !run.status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        bail!(
            "pandoc could not convert {}: {}",
            record.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        );
    }
    if format == Format::Pdf {
        let pdf = scratch.join("letter.pdf");
        let run = Command::new(chromium.unwrap_or("chromium"))
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!(
                "--user-data-dir={}",
                scratch.join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", html.display()))
            .output()
            .context("cannot run Chromium")?;
        if !run.status.success() || !pdf.is_file() {
            let _ = std::fs::remove_dir_all(&scratch);
            bail!(
                "Chromium could not print {}: {}",
                record.display(),
                String::from_utf8_lossy(&run.stderr).trim()
            );
        }
        let bytes = std::fs::read(&pdf)?;
        crate::audit::write::write_file(root, &target, &bytes)?;
    } else {
        let bytes = std::fs::read(&output)?;
        crate::audit::write::write_file(root, &target, &bytes)?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(target)
}
