//! The `levers` binary: parses arguments and hands each subcommand to its `run`.

use clap::{Args, Parser, Subcommand};
use levers::cmd::{self, exit, Format, Globals};
use levers::error::{InvalidInput, Kind};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "levers",
    version,
    about = "Runs a commissioner's monthly contract-management cycle from plain files"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// The workspace folder (default: the nearest folder upwards holding levers.toml)
    #[arg(long, global = true, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// The date to act as of, YYYY-MM-DD (default: the system date)
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    today: Option<chrono::NaiveDate>,
    /// Output format of report commands
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: Format,
    /// Print less
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more (repeat for more still)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new workspace with one example contract and its data
    Init(cmd::init::InitArgs),
    /// Validate everything; report every problem with file:line:col
    Check(cmd::check::CheckArgs),
    /// Performance table for a month
    Kpi(cmd::kpi::KpiArgs),
    /// Challenges raised, and the state of outstanding ones
    Challenges(cmd::challenges::ChallengesArgs),
    /// Write a month's provisional or final letter
    Letter(cmd::letter::LetterArgs),
    /// Write action logs
    Actions(cmd::actions::ActionsArgs),
    /// Everything due today (for cron); idempotent
    Run(cmd::run::RunArgs),
    /// Validate a monthly file, store it and record its receipt
    Import(cmd::import::ImportArgs),
    /// Portfolio: every contract's RAG, money, challenges, actions, escalation and time to end
    Status(cmd::status::StatusArgs),
    /// The board pack: one self-contained HTML page, the portfolio and a page per contract
    Report(cmd::report::ReportArgs),
    /// Recompute a generated file from the inputs it names and report whether it matches
    Verify(cmd::verify::VerifyArgs),
    /// How one figure was computed (a KPI or a challenge id)
    Explain(cmd::explain::ExplainArgs),
    /// Formal contract-management (GC9) cases: stage, next date, overdue
    Cases(cmd::cases::CasesArgs),
    /// Record the commissioner's event on a challenge (withdrawn, rechallenged, disputed, …)
    Log(cmd::log::LogArgs),
    /// Write a GC9 case's Contract Performance Notice
    Notice(cmd::notice::NoticeArgs),
    /// Record the provider's answers to challenges from its returned file
    Respond(cmd::respond::RespondArgs),
    /// The contract's KPIs and challenge rules as SQL for DuckDB, Spark, SQL Server or PostgreSQL
    Sql(cmd::sql::SqlArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell)
    Completions(CompletionsArgs),
    /// Print levers' man page (roff), for `man` to show
    Man,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell to complete for
    shell: clap_complete::Shell,
}

/// Writes what clap knows of the command line as a completion script or a man page.
fn describe(command: &Command) -> std::io::Result<()> {
    use clap::CommandFactory;
    let mut out = std::io::stdout().lock();
    let mut cli = Cli::command();
    match command {
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut cli, "levers", &mut out);
            Ok(())
        }
        _ => clap_mangen::Man::new(cli).render(&mut out),
    }
}

fn main() -> ExitCode {
    // A bug must never show a user a Rust panic message or backtrace.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("levers: internal error{location}; nothing further was written. Please report this with the command you ran.");
    }));
    let cli = Cli::parse();
    if matches!(cli.command, Command::Completions(_) | Command::Man) {
        return match describe(&cli.command) {
            Ok(()) => ExitCode::from(exit::OK),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(exit::OK),
            Err(e) => {
                eprintln!("levers: error: cannot write to standard output: {e}");
                ExitCode::from(exit::BAD_INPUT)
            }
        };
    }
    let globals = Globals {
        workspace: cli.global.workspace,
        today: cli
            .global
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        format: cli.global.format,
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
        colour: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    levers::pass::csv::enable_progress(std::io::stderr().is_terminal() && !globals.quiet);
    levers::pass::month::set_verbose(globals.verbose > 0);
    // Commands whose outputs end with provenance have the pass hash the month for it as it
    // reads, rather than read it again.
    levers::pass::month::hash_for_provenance(matches!(
        cli.command,
        Command::Letter(_)
            | Command::Actions(_)
            | Command::Run(_)
            | Command::Notice(_)
            | Command::Verify(_)
    ));
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Init(args) => cmd::init::run(&globals, args),
        Command::Check(args) => cmd::check::run(&globals, args),
        Command::Kpi(args) => cmd::kpi::run(&globals, args),
        Command::Challenges(args) => cmd::challenges::run(&globals, args),
        Command::Letter(args) => cmd::letter::run(&globals, args),
        Command::Actions(args) => cmd::actions::run(&globals, args),
        Command::Run(args) => cmd::run::run(&globals, args),
        Command::Import(args) => cmd::import::run(&globals, args),
        Command::Status(args) => cmd::status::run(&globals, args),
        Command::Report(args) => cmd::report::run(&globals, args),
        Command::Verify(args) => cmd::verify::run(&globals, args),
        Command::Explain(args) => cmd::explain::run(&globals, args),
        Command::Cases(args) => cmd::cases::run(&globals, args),
        Command::Log(args) => cmd::log::run(&globals, args),
        Command::Respond(args) => cmd::respond::run(&globals, args),
        Command::Notice(args) => cmd::notice::run(&globals, args),
        Command::Sql(args) => cmd::sql::run(&globals, args),
        Command::Completions(_) | Command::Man => unreachable!("answered above"),
    });
    // Cache entries still being written are finished before the process ends.
    levers::pass::entries_written();
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) if cmd::is_broken_pipe(&error) => ExitCode::from(exit::OK),
        Ok(Err(error)) => {
            let kind = Kind::of(&error);
            if let Some(invalid) = error.downcast_ref::<InvalidInput>() {
                eprintln!("{invalid}");
            } else {
                eprintln!("levers: error: {error:#}");
            }
            if let Some(advice) = kind.advice() {
                eprintln!("levers: {advice}");
            }
            ExitCode::from(kind.exit_code())
        }
        Err(_) => ExitCode::from(exit::INTERNAL),
    }
}
