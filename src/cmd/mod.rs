//! One module per subcommand: its arguments, its help text, and a `run` that calls into the
//! domain modules and renders their results. Nothing here computes a figure.

pub mod actions;
pub mod cases;
pub mod challenges;
pub mod check;
pub mod explain;
pub mod import;
pub mod init;
pub mod kpi;
pub mod letter;
pub mod log;
pub mod notice;
pub mod report;
pub mod respond;
pub mod run;
pub mod sql;
pub mod status;
pub mod verify;

use crate::load::workspace::{find_root, Workspace};
pub use crate::render::report::Format;
use crate::render::report::{Report, Style};
use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use std::path::PathBuf;

/// Writes one line to standard output, returning the error instead of panicking as
/// `println!` does when the reader has gone (`levers kpi … | head`).
pub fn print_line(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// `println!` for commands: `say!("…", x)` inside a function returning `anyhow::Result`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cmd::print_line(format_args!($($arg)*))?
    };
}

/// True when `error` is standard output closing under us: not a failure of the command.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

/// Options every command takes.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The workspace folder given with `--workspace`; `None` to look upwards from the current
    /// folder.
    pub workspace: Option<PathBuf>,
    /// The date to act as of: `--today`, or the system date.
    pub today: NaiveDate,
    /// How report commands print (`--format`).
    pub format: Format,
    /// Print less (`-q`): no confirmations, summary lines or progress.
    pub quiet: bool,
    /// How many times `-v` was given: from one, each data file read is reported on stderr, and
    /// `actions` names the logs already up to date.
    pub verbose: u8,
    /// Colour only on a terminal and never with NO_COLOR.
    pub colour: bool,
}

impl Globals {
    /// The workspace root: `--workspace`, or the nearest ancestor holding levers.toml.
    pub fn root(&self) -> Result<PathBuf> {
        match &self.workspace {
            Some(dir) => {
                if !dir.join(crate::load::workspace::SETTINGS_FILE).is_file() {
                    bail!("{} is not a levers workspace: it has no levers.toml (run `levers init {}` to make one)", dir.display(), dir.display());
                }
                Ok(dir.clone())
            }
            None => {
                let here = std::env::current_dir().context("cannot read the current directory")?;
                find_root(&here).with_context(|| {
                    format!("no levers.toml in {} or any folder above it: run levers inside a workspace, or pass --workspace DIR", here.display())
                })
            }
        }
    }

    /// The workspace at [`Globals::root`], loaded with every problem found in it.
    pub fn load(&self) -> Result<Workspace> {
        Ok(Workspace::load(&self.root()?))
    }

    /// Writes `report` to standard output in the format asked for.
    pub fn print(&self, report: &dyn Report) -> Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let style = Style {
            colour: self.colour,
            quiet: self.quiet,
        };
        crate::render::report::emit(report, self.format, style, &mut out)
    }
}

/// Runs `each` for the contract named, or for every contract of the workspace. With none
/// named, a contract whose files have problems, or whose month cannot be worked out, is
/// reported on standard error and left out, the others go on, and the exit code is 1: one
/// broken contract never silently drops out of a portfolio report, nor takes it down.
pub fn for_each_contract<'w, T>(
    workspace: &'w Workspace,
    id: Option<&str>,
    mut each: impl FnMut(&'w crate::model::contract::Contract) -> Result<T>,
) -> Result<(Vec<T>, u8)> {
    if id.is_some() {
        let mut out = Vec::new();
        for contract in crate::results::month::selected(workspace, id)? {
            out.push(each(contract)?);
        }
        return Ok((out, exit::OK));
    }
    let mut code = exit::OK;
    for broken in &workspace.broken {
        eprintln!(
            "levers: contract `{}` is left out: its files have problems (run `levers check`):",
            broken.id
        );
        for problem in workspace.problems_for(&broken.id) {
            eprintln!("{problem}");
        }
        code = exit::NEEDS_ATTENTION;
    }
    let mut out = Vec::new();
    for contract in crate::results::month::selected(workspace, None)? {
        match each(contract) {
            Ok(t) => out.push(t),
            Err(error) if is_broken_pipe(&error) => return Err(error),
            Err(error) => {
                eprintln!("levers: contract `{}` is left out:", contract.id);
                match error.downcast_ref::<crate::error::InvalidInput>() {
                    Some(invalid) => eprintln!("{invalid}"),
                    None => eprintln!("{error:#}"),
                }
                code = exit::NEEDS_ATTENTION;
            }
        }
    }
    Ok((out, code))
}

/// Exit codes (§6, and the README's "Exit codes"): 0 success; 1 the command ran and found
/// something that needs a person; 2 bad usage or unreadable or invalid input; 3 git or the
/// machine refused (see [`crate::error::Kind`]); 4 a bug in levers.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The command ran and found something that needs a person.
    pub const NEEDS_ATTENTION: u8 = 1;
    /// Bad usage, or unreadable or invalid input.
    pub const BAD_INPUT: u8 = 2;
    /// A bug in levers.
    pub const INTERNAL: u8 = 4;
}
