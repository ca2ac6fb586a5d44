//! `levers init DIR`: a new workspace with one small example contract and its data.

use super::{exit, Globals};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

/// Writes levers.toml, one example contract and three months of generated data into DIR
/// (which must not already hold a workspace). The result passes `levers check`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder for the new workspace (created if absent; default: the current folder)
    dir: Option<PathBuf>,
}

/// Writes a new workspace with an example contract and its data, and commits its files to a
/// new git repository where it can.
pub fn run(globals: &Globals, args: InitArgs) -> Result<u8> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    if dir.join(crate::load::workspace::SETTINGS_FILE).exists() {
        bail!(
            "{} already holds a workspace (levers.toml exists); nothing was written",
            dir.display()
        );
    }
    let files = crate::sample::starter_workspace();
    for (path, text) in &files {
        if dir.join(path).exists() {
            bail!(
                "{} already exists; nothing was written",
                dir.join(path).display()
            );
        }
        let _ = text;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (path, text) in &files {
        crate::audit::write::write_file(&dir, path, text.as_bytes())
            .with_context(|| format!("cannot write {}", dir.join(path).display()))?;
    }
    if !globals.quiet {
        crate::say!(
            "Created a levers workspace in {} with {} files.",
            dir.display(),
            files.len(),
        );
    }
    // Letters record the commit their inputs are at: the inputs start out committed.
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    match crate::audit::git::init_with(&dir, &paths, "levers init: an example workspace") {
        Ok(Some(hash)) if !globals.quiet => {
            crate::say!("Made it a git repository, its files in a first commit ({hash}).")
        }
        Ok(_) => {}
        Err(e) => eprintln!("levers: warning: {e:#}"),
    }
    if !globals.quiet {
        crate::say!("Try: levers --workspace {} check", dir.display());
    }
    Ok(exit::OK)
}
