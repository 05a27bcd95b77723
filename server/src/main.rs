//! `kinthread-server`: serves the kinthread API. With no flags it keeps its data in an
//! embedded SQLite file in the user's data directory and listens on 127.0.0.1:8080.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use kinthread_server::app::{self, AppState};
use kinthread_server::auth::Passwords;
use kinthread_server::config::{DEFAULT_BIND, Settings};
use kinthread_server::db::{DatabaseUrl, Db, default_sqlite_path};
use kinthread_server::service::retention;
use kinthread_server::{store, telemetry};
use kinthread_shared::AccountRole;
use kinthread_shared::api::NewUser;
use secrecy::SecretString;

#[derive(Parser)]
#[command(name = "kinthread-server", version, about = "The kinthread API server")]
struct Cli {
    /// Address and port to listen on.
    #[arg(long, env = "KINTHREAD_BIND", default_value = DEFAULT_BIND, global = true)]
    bind: SocketAddr,
    /// postgres://... for PostgreSQL; sqlite://PATH or a file path for SQLite.
    /// Default: kinthread.db in the user's data directory.
    #[arg(long, env = "KINTHREAD_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// postgres://... of a hot standby of the database, that staff reports (caseload,
    /// program statistics, family reports read by staff) read from; everything else reads
    /// the database. See docs/deploy.md.
    #[arg(long, env = "KINTHREAD_READ_DATABASE_URL", global = true)]
    read_database_url: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "KINTHREAD_WORKERS", global = true)]
    workers: Option<usize>,
    /// Seconds SIGTERM waits for the requests in flight before the server stops anyway
    /// (default 30).
    #[arg(long, env = "KINTHREAD_SHUTDOWN_TIMEOUT", value_name = "SECONDS", global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    shutdown_timeout: Option<u64>,
    /// Seconds a request body has before its minimum rate applies (default 20).
    #[arg(long, env = "KINTHREAD_BODY_TIMEOUT", value_name = "SECONDS", global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: Option<u64>,
    /// Bytes a second a request body must average, beyond its first seconds (default 500).
    #[arg(long, env = "KINTHREAD_BODY_MIN_RATE", value_name = "BYTES", global = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    body_min_rate: Option<u32>,
    /// The largest bundle `POST /api/v1/bundles` accepts, in bytes (default 256 MiB).
    #[arg(
        long,
        env = "KINTHREAD_MAX_BUNDLE_BYTES",
        value_name = "BYTES",
        global = true
    )]
    max_bundle_bytes: Option<usize>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Create an administrator account. The password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Recompute the depth score of every contact with content (after a lexicon change).
    Rescore,
    /// Erase, for each program with a retention period, the contacts (with their participants
    /// and feedback) and check-ins older than it, in batches beside a running server.
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["dry_run", "apply"])))]
    Retention {
        /// Only count what would be erased.
        #[arg(long)]
        dry_run: bool,
        /// Erase, and audit the counts.
        #[arg(long)]
        apply: bool,
        /// Records per transaction.
        #[arg(long, default_value_t = retention::DEFAULT_BATCH)]
        batch_size: usize,
    },
}

fn main() -> ExitCode {
    telemetry::init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kinthread-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let database_url = match &cli.database_url {
        Some(url) => DatabaseUrl::parse(url)?,
        None => DatabaseUrl::sqlite_file(&default_sqlite_path()),
    };
    let mut settings = Settings::new(cli.bind, database_url);
    settings.read_database_url = match &cli.read_database_url {
        Some(url) => Some(DatabaseUrl::parse(url)?),
        None => None,
    };
    if let Some(workers) = cli.workers {
        settings.workers = workers.max(1);
    }
    if let Some(seconds) = cli.shutdown_timeout {
        settings.shutdown_timeout = Duration::from_secs(seconds);
    }
    if let Some(seconds) = cli.body_timeout {
        settings.edge.body.grace = Duration::from_secs(seconds);
    }
    if let Some(rate) = cli.body_min_rate {
        settings.edge.body.min_bytes_per_second = rate;
    }
    if let Some(bytes) = cli.max_bundle_bytes {
        settings.edge.max_bundle_bytes = bytes;
    }
    if let Ok(secret) = std::env::var("KINTHREAD_JWT_SECRET") {
        if secret.len() < 32 {
            bail!("KINTHREAD_JWT_SECRET must be at least 32 characters");
        }
        settings.jwt_secret = Some(SecretString::from(secret));
    }
    Ok(settings)
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = settings(&cli)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let db = Db::connect(&settings.database_url, 2)?;
            let applied = db.migrate()?;
            println!(
                "database {} is up to date ({} migration(s) applied now)",
                settings.database_url.redacted(),
                applied.len()
            );
            Ok(())
        }
        Command::CreateAdmin {
            username,
            display_name,
        } => create_admin(&settings, username, display_name),
        Command::Rescore => rescore(&settings),
        Command::Retention {
            apply, batch_size, ..
        } => run_retention(
            &settings,
            if apply {
                retention::Mode::Apply
            } else {
                retention::Mode::DryRun
            },
            batch_size,
        ),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let state = AppState::open(&settings)?;
    actix_web::rt::System::new().block_on(async move {
        let (server, addr) = app::start(&settings, state)?;
        tracing::info!(
            %addr,
            database = %settings.database_url.redacted(),
            reports = %settings
                .read_database_url
                .as_ref()
                .map_or_else(|| "the database".to_owned(), |url| url.redacted()),
            "kinthread-server listening"
        );
        server.await.context("server stopped with an error")?;
        tracing::info!("kinthread-server stopped");
        Ok(())
    })
}

fn create_admin(
    settings: &Settings,
    username: String,
    display_name: Option<String>,
) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let new = NewUser {
        username,
        password,
        role: AccountRole::Admin,
        display_name,
        family_id: None,
        person_id: None,
        program_ids: Vec::new(),
    };
    // Hashed first: the write lock is not held while argon2 works.
    let hash = Passwords::new(settings.password_cost)?
        .hash(&new.password)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::connect(&settings.database_url, 2)?;
    db.migrate()?;
    let user = db.write_blocking(|conn| {
        if let Err(kinthread_server::error::ApiError::Validation(problems)) =
            kinthread_server::routes::users::check_new_user(conn, &new)
        {
            let text: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect();
            bail!("{}", text.join("; "));
        }
        if store::users::by_username(conn, &new.username)?.is_some() {
            bail!("the username `{}` is taken", new.username);
        }
        let user = store::users::insert(conn, &new, &hash)?;
        store::audit::record(conn, None, "admin.create", None, Some(&user.id.to_string()))?;
        Ok(user)
    })?;
    println!("created administrator `{}` ({})", user.username, user.id);
    Ok(())
}

fn rescore(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 2)?;
    db.migrate()?;
    let mut conn = db.write_conn()?;
    let summary = store::contacts::rescore_all(&mut conn, |text| {
        let depth = kinthread_shared::depth::score(text);
        store::contacts::StoredDepth {
            score: depth.score,
            level: depth.level,
            lexicon: depth.lexicon_version,
        }
    })?;
    println!(
        "rescored {} contact(s) with lexicon {} ({} changed level)",
        summary.scored,
        kinthread_shared::depth::LEXICON_VERSION,
        summary.level_changed
    );
    Ok(())
}

fn run_retention(
    settings: &Settings,
    mode: retention::Mode,
    batch_size: usize,
) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 2)?;
    db.migrate()?;
    let mut conn = db.write_conn()?;
    let runs = retention::run(&mut conn, chrono::Utc::now(), mode, batch_size)?;
    if runs.is_empty() {
        println!("no program has a retention period: nothing to erase");
    }
    let verb = match mode {
        retention::Mode::Apply => "erased",
        retention::Mode::DryRun => "would erase",
    };
    for run in &runs {
        println!(
            "program {} ({}), {} months, before {}: {verb} {}",
            run.name,
            run.program_id,
            run.months,
            run.cut.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            run.counts()
        );
    }
    Ok(())
}
