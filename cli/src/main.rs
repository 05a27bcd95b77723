//! `kinthread`: the command line for parents, caregivers and program staff.
//!
//! Everything but offline scoring talks to a kinthread server through its REST API; the
//! login is remembered in the user's config directory. This file holds the command tree and
//! turns every outcome into an exit code; the work lives in `commands`.

mod client;
mod commands;
mod depth;
mod error;
mod output;
mod resolve;
mod roster;
#[cfg(feature = "demo")]
mod sample;
mod session;
mod timeline_svg;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "demo")]
use crate::commands::demo;
use crate::commands::{
    admin, auth, export, family, follow_up, import, log, offline, privacy, reminders, reports,
    timeline, voice,
};
use crate::error::CliResult;
use crate::output::Format;
use crate::session::SessionStore;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the server failed or could not be reached, or another error
  2  usage: a wrong command line, or a request the server refused as invalid (400, 422)
  3  not signed in, the login expired, or a wrong username or password (401)
  4  not found or not yours to see (403, 404)
  5  conflict with what is stored (409), e.g. a client id used before for another record

Errors are printed as one line on standard error: `kinthread: <code>: <message>`, where
<code> is the server's stable error code (not_found, forbidden, validation_failed ...) or a
local one (usage, not_signed_in, connection ...).

The login is kept in <config dir>/kinthread/session.json (owner-only);
KINTHREAD_CONFIG_DIR chooses another directory.";

#[derive(Debug, Parser)]
#[command(
    name = "kinthread",
    version,
    about = "Keeps the thread between migrant parents and the children they left at home",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Output: `table` for people, `json` or `csv` for programs.
    #[arg(long, short = 'f', value_enum, global = true, default_value_t = Format::Table)]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to a server and remember the login.
    Login(auth::LoginArgs),
    /// Revoke the remembered login on the server and forget it.
    Logout,
    /// Show the signed-in account.
    Whoami,
    /// Change your password (the current one is needed); your other sessions end.
    Passwd(auth::PasswdArgs),
    /// Families you may see.
    #[command(subcommand)]
    Family(FamilyCommand),
    /// Programs you may see; admins create them.
    #[command(subcommand)]
    Program(admin::ProgramCommand),
    /// For the deployer (admins): programs, families, persons, accounts, a CSV roster.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Contact gaps: the staff caseload, or one family's pairs with --family.
    Gaps(reports::GapsArgs),
    /// Conversation depth.
    #[command(subcommand)]
    Depth(DepthCommand),
    /// Log a call, text, visit or check-in.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Parents: your reminders (children to get in touch with, birthdays, a topic to talk about).
    Reminders(reminders::RemindersArgs),
    /// Staff outcomes on a family (reached the parent, remind later, ...).
    #[command(subcommand, name = "follow-up")]
    FollowUp(follow_up::FollowUpCommand),
    /// Draw a family's contact timeline as SVG.
    Timeline(timeline::TimelineArgs),
    /// The child's own feedback on contacts: give it (a child's account), list it, or see its
    /// history (staff, admins).
    #[command(subcommand)]
    Feedback(voice::FeedbackCommand),
    /// A family's check-ins: the caregivers' (staff see the text where the family consented),
    /// or with --child the children's own.
    Checkins(voice::CheckinsArgs),
    /// Who read or changed a family's data, when, and for what purpose.
    #[command(name = "access-log")]
    AccessLog(privacy::AccessLogArgs),
    /// A family's consent records: list them, give a consent, withdraw one.
    #[command(subcommand)]
    Consent(privacy::ConsentCommand),
    /// Import SMS Backup & Restore exports (calls and texts of a phone) or a kinthread bundle.
    Import(import::ImportArgs),
    /// Write a family, or a program's families, to a bundle file (docs/bundle.md).
    Export(export::ExportArgs),
    /// Start a throwaway server, load two sample families and print their reports.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Not in this build: it was built without the `demo` feature.
    #[cfg(not(feature = "demo"))]
    #[command(hide = true)]
    Demo {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum FamilyCommand {
    /// List the families you may see.
    List,
    /// One family: its people and recent contacts.
    Show {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DepthCommand {
    /// Score texts, one per line, from FILE or standard input: routine (under 50) versus
    /// emotional (50 and over) talk, with the phrases that moved the score. Needs no server.
    Score(depth::ScoreArgs),
    /// Per-pair depth of a family's talk: routine and emotional shares, trend.
    Report(reports::DepthReportArgs),
}

/// `depth score` is offline and keeps its own output and exit codes.
fn depth_score(args: depth::ScoreArgs) -> ExitCode {
    let command = depth::DepthCommand {
        action: depth::DepthAction::Score(args),
    };
    match depth::run(command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("kinthread: input: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> CliResult<()> {
    let format = cli.format;
    #[cfg(feature = "demo")]
    if let Command::Demo(args) = cli.command {
        return demo::run(args, format).await;
    }
    #[cfg(not(feature = "demo"))]
    if let Command::Demo { .. } = cli.command {
        return Err(error::CliError::usage(
            "this kinthread was built without the demo (cargo feature `demo`, on by default); \
             run `cargo run --release -p kinthread-cli -- demo`",
        ));
    }
    // Reports on a bundle file need no server and no login.
    let offline_report = match &cli.command {
        Command::Gaps(args) => args
            .bundle
            .as_deref()
            .map(|path| offline::gaps(path, args, format)),
        Command::Depth(DepthCommand::Report(args)) => args
            .bundle
            .as_deref()
            .map(|path| offline::depth(path, args, format)),
        Command::Timeline(args) => args
            .bundle
            .as_deref()
            .map(|path| offline::timeline(path, args.family.as_deref(), &args.out, &args.window)),
        _ => None,
    };
    if let Some(result) = offline_report {
        return result;
    }
    let store = SessionStore::locate()?;
    let api = || client::Api::from_store(store.clone());
    match cli.command {
        Command::Login(args) => auth::login(&store, args).await,
        Command::Logout => auth::logout(&store).await,
        Command::Whoami => auth::whoami(&store, format).await,
        Command::Passwd(args) => auth::passwd(&store, args).await,
        Command::Family(FamilyCommand::List) => family::list(&mut api()?, format).await,
        Command::Family(FamilyCommand::Show { family }) => {
            family::show(&mut api()?, family.as_deref(), format).await
        }
        Command::Program(command) => admin::program(&mut api()?, command, format).await,
        Command::Admin(command) => admin::run(&mut api()?, command, format).await,
        Command::Gaps(args) => reports::gaps(&mut api()?, args, format).await,
        Command::Depth(DepthCommand::Report(args)) => {
            reports::depth(&mut api()?, args, format).await
        }
        Command::Log(command) => log::run(&mut api()?, command, format).await,
        Command::Reminders(args) => reminders::run(&mut api()?, args, format).await,
        Command::FollowUp(command) => follow_up::run(&mut api()?, command, format).await,
        Command::Timeline(args) => timeline::run(&mut api()?, args).await,
        Command::Feedback(command) => voice::feedback(&mut api()?, command, format).await,
        Command::Checkins(args) => voice::checkins(&mut api()?, args, format).await,
        Command::AccessLog(args) => privacy::access_log(&mut api()?, args, format).await,
        Command::Consent(command) => privacy::consent(&mut api()?, command, format).await,
        Command::Import(args) => import::run(&mut api()?, args, format).await,
        Command::Export(args) => export::run(&mut api()?, args).await,
        // Handled before: they need no login.
        #[cfg(feature = "demo")]
        Command::Demo(_) => Ok(()),
        #[cfg(not(feature = "demo"))]
        Command::Demo { .. } => Ok(()),
        Command::Depth(DepthCommand::Score(_)) => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Depth(DepthCommand::Score(args)) = cli.command {
        return depth_score(args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kinthread: io: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kinthread: {err}");
            err.exit_code()
        }
    }
}
