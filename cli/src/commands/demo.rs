//! `kinthread demo`: a throwaway server in this process on a temporary SQLite file, the two
//! sample families of the field study loaded through the real HTTP API (as this CLI would
//! send them), and the staff caseload and depth reports the server computes.
//!
//! The server runs in-process so that `cargo run -p kinthread-cli -- demo` needs no other
//! binary. Nothing here computes a figure: the reports are printed as the server returns them.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use kinthread_server::app::{self, AppState};
use kinthread_server::config::Settings;
use kinthread_server::db::DatabaseUrl;
use kinthread_server::store;
use kinthread_shared::api::{
    BatchResponse, Checkin, ChildCheckin, ContactBatch, Family, Feedback, NewCheckin,
    NewChildCheckin, NewContact, NewFamily, NewFeedback, NewPerson, NewProgram, NewUser, Person,
    Program, User,
};
use kinthread_shared::reports::FamilyReport;
use kinthread_shared::{AccountRole, ContactSource, PersonId, TargetCadence, TimeZoneName};
use serde::Serialize;
use uuid::Uuid;

use super::reports::{self, WindowArgs};
use crate::client::{self, Api};
use crate::error::{CliError, CliResult};
use crate::output::{self, Format};
use crate::sample::{self, SampleFamily};
use crate::session::SessionStore;
use crate::timeline_svg;

const ADMIN: &str = "demo-admin";
const STAFF: &str = "demo-staff";

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Seed of the generated contact history (the same seed tells the same story).
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Report window in days (default 90; the history covers 300).
    #[arg(long, value_name = "DAYS")]
    pub window: Option<u32>,
    /// End the history and run the reports at this moment instead of now (RFC 3339 or a
    /// date), for output that is the same on every run.
    #[arg(long, value_parser = reports::parse_as_of)]
    pub as_of: Option<chrono::DateTime<Utc>>,
    /// Also write each family's contact timeline as SVG into this directory.
    #[arg(long, value_name = "DIR")]
    pub timelines: Option<PathBuf>,
    /// Keep the server running after the reports, so other commands can be tried on it.
    #[arg(long)]
    pub serve: bool,
}

/// The in-process server, stopped when dropped.
struct DemoServer {
    base_url: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        drop(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the server on 127.0.0.1:0 with an admin account whose password is returned.
async fn start_server(db_path: PathBuf, admin_password: String) -> CliResult<DemoServer> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        CliError::other("demo", format!("cannot start the demo server: {what}: {e}"))
    };
    let bind = "127.0.0.1:0"
        .parse()
        .map_err(|e: std::net::AddrParseError| failed("address", &e))?;
    let mut settings = Settings::new(bind, DatabaseUrl::sqlite_file(&db_path));
    settings.workers = 2;
    settings.pool_size = 4;
    // A throwaway database: the slow password hash would only slow the demo down.
    settings.password_cost = app::cheap_password_cost();
    let (tx, rx) = mpsc::channel();
    // actix runs its own single-threaded runtimes; it gets a thread of its own.
    let thread = std::thread::spawn(move || {
        let started = AppState::open(&settings)
            .map_err(|e| e.to_string())
            .and_then(|state| {
                let mut conn = state.db.write_conn().map_err(|e| e.to_string())?;
                let hash = state
                    .passwords
                    .hash(&admin_password)
                    .map_err(|e| e.to_string())?;
                let admin = NewUser {
                    username: ADMIN.into(),
                    password: admin_password.clone(),
                    role: AccountRole::Admin,
                    display_name: Some("Demo administrator".into()),
                    family_id: None,
                    person_id: None,
                    program_ids: vec![],
                };
                store::users::insert(&mut conn, &admin, &hash).map_err(|e| e.to_string())?;
                drop(conn);
                app::start(&settings, state).map_err(|e| e.to_string())
            });
        match started {
            Ok((server, addr)) => {
                let _ = tx.send(Ok((server.handle(), addr)));
                let _ = actix_web::rt::System::new().block_on(server);
            }
            Err(e) => {
                let _ = tx.send(Err(e));
            }
        }
    });
    let (handle, addr) =
        tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .map_err(|e| failed("thread", &e))?
            .map_err(|e| failed("timeout", &e))?
            .map_err(|e| failed("start", &e))?;
    Ok(DemoServer {
        base_url: format!("http://{addr}"),
        handle,
        thread: Some(thread),
    })
}

/// Signs in with a session kept in `dir`, away from the user's own login.
async fn sign_in(server: &str, dir: PathBuf, username: &str, password: &str) -> CliResult<Api> {
    let store = SessionStore::at(dir);
    let session = client::login(server, username, password).await?;
    store.save(&session)?;
    Api::from_store(store)
}

fn new_person(p: &sample::SamplePerson) -> NewPerson {
    NewPerson {
        display_name: p.display_name.to_owned(),
        role: p.role,
        lives_away: p.lives_away,
        away_location: p.away_location.map(str::to_owned),
        away_since: p.away_since,
        birth_year: p.birth_year,
        birth_date: None,
        phone: None,
        phones: vec![],
    }
}

/// Creates one sample family through the API and uploads its history in batches; the child
/// then gives their own feedback and check-ins from an account of their own, kept in `dir`.
async fn load_family(
    admin: &mut Api,
    program: &Program,
    sample: &SampleFamily,
    dir: &std::path::Path,
) -> CliResult<(Family, usize)> {
    let family: Family = admin
        .post(
            "/families",
            &NewFamily {
                display_name: sample.display_name.to_owned(),
                program_id: Some(program.id),
                time_zone: Some(TimeZoneName::DEFAULT),
                target_cadence_days: None,
                consent: kinthread_shared::api::Consent {
                    guardian_consent: true,
                    share_notes_with_staff: sample.share_notes_with_staff,
                    child_feedback_visible_to_parents: false,
                },
                allow_duplicate: false,
            },
        )
        .await?;
    let mut ids: Vec<(&str, PersonId)> = Vec::new();
    for p in &sample.persons {
        let person: Person = admin
            .post(&format!("/families/{}/persons", family.id), &new_person(p))
            .await?;
        ids.push((p.key, person.id));
    }
    let id_of = |key: &str| -> CliResult<PersonId> {
        ids.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, id)| *id)
            .ok_or_else(|| CliError::other("demo", format!("sample person `{key}` is missing")))
    };
    let mut uploads = Vec::new();
    for c in &sample.contacts {
        let mut participants = vec![id_of(c.initiator)?];
        for other in &c.others {
            participants.push(id_of(other)?);
        }
        uploads.push(NewContact {
            client_id: Uuid::now_v7(),
            kind: c.kind,
            status: Some(c.status),
            participants,
            initiator: id_of(c.initiator)?,
            started_at: c.started_at,
            duration_seconds: c.duration_seconds,
            ended_at: c.ended_at,
            content: c.content.clone(),
            talked_most: c.talked_most,
            child_feedback: None,
            source: Some(ContactSource::Cli),
        });
    }
    let mut stored = 0;
    let mut contact_ids = Vec::with_capacity(uploads.len());
    for chunk in uploads.chunks(500) {
        let answer: BatchResponse = admin
            .post(
                &format!("/families/{}/contacts/batch", family.id),
                &ContactBatch {
                    contacts: chunk.to_vec(),
                },
            )
            .await?;
        if let Some(refused) = answer.results.iter().find_map(|r| r.error.as_ref()) {
            return Err(CliError::other(
                "demo",
                format!(
                    "the server refused a sample contact: {}: {}",
                    refused.code, refused.message
                ),
            ));
        }
        stored += answer.created + answer.existing;
        contact_ids.extend(answer.results.iter().map(|r| r.contact_id));
    }
    for c in &sample.checkins {
        let _: Checkin = admin
            .post(
                &format!("/families/{}/checkins", family.id),
                &NewCheckin {
                    client_id: Uuid::now_v7(),
                    child_id: id_of(c.child)?,
                    observed_at: c.observed_at,
                    mood: c.mood,
                    health: None,
                    school: c.school.map(str::to_owned),
                    worries: None,
                    note: c.note.map(str::to_owned),
                },
            )
            .await?;
    }
    childs_voice(admin, &family, sample, &id_of, &contact_ids, dir).await?;
    Ok((family, stored))
}

/// The child's own account gives the sample's feedback (just after each call) and check-ins.
async fn childs_voice(
    admin: &mut Api,
    family: &Family,
    sample: &SampleFamily,
    id_of: &dyn Fn(&str) -> CliResult<PersonId>,
    contact_ids: &[Option<kinthread_shared::ContactId>],
    dir: &std::path::Path,
) -> CliResult<()> {
    let Some(child) = sample
        .persons
        .iter()
        .find(|p| p.role == kinthread_shared::FamilyRole::Child)
    else {
        return Ok(());
    };
    let username = format!("demo-child-{}", family.id.as_uuid().simple());
    let password = Uuid::new_v4().simple().to_string();
    let _: User = admin
        .post(
            "/users",
            &NewUser {
                username: username.clone(),
                password: password.clone(),
                role: AccountRole::Child,
                display_name: Some(child.display_name.to_owned()),
                family_id: Some(family.id),
                person_id: Some(id_of(child.key)?),
                program_ids: Vec::new(),
            },
        )
        .await?;
    let server = admin.session().server.clone();
    let mut account = sign_in(&server, dir.join(&username), &username, &password).await?;
    for (contact, id) in sample.contacts.iter().zip(contact_ids) {
        let (Some((rating, words)), Some(id)) = (contact.feedback, id) else {
            continue;
        };
        let after_call = contact.started_at
            + chrono::Duration::seconds(contact.duration_seconds.unwrap_or(0) + 300);
        let _: Feedback = account
            .post(
                &format!("/families/{}/contacts/{id}/feedback", family.id),
                &NewFeedback {
                    client_id: Uuid::now_v7(),
                    rating,
                    words: words.map(str::to_owned),
                    given_at: Some(after_call),
                },
            )
            .await?;
    }
    for c in &sample.child_checkins {
        let _: ChildCheckin = account
            .post(
                &format!("/families/{}/child-checkins", family.id),
                &NewChildCheckin {
                    client_id: Uuid::now_v7(),
                    observed_at: c.observed_at,
                    mood: c.mood,
                    words: c.words.map(str::to_owned),
                },
            )
            .await?;
    }
    Ok(())
}

#[derive(Serialize)]
struct DemoOutput<'a> {
    server: &'a str,
    caseload: &'a kinthread_shared::reports::CaseloadReport,
    families: &'a [FamilyReport],
}

pub async fn run(args: DemoArgs, format: Format) -> CliResult<()> {
    let as_of = match args.as_of {
        Some(at) if at > Utc::now() => {
            return Err(CliError::usage("--as-of must not be in the future"));
        }
        Some(at) => at,
        None => Utc::now(),
    };
    let dir = tempfile::Builder::new()
        .prefix("kinthread-demo-")
        .tempdir()
        .map_err(|e| CliError::io("creating a temporary directory", e))?;
    let admin_password = Uuid::new_v4().simple().to_string();
    let staff_password = Uuid::new_v4().simple().to_string();
    let server = start_server(dir.path().join("demo.db"), admin_password.clone()).await?;
    let say = |text: String| {
        // Progress goes to stderr, so `demo --format json` prints only JSON on stdout.
        eprintln!("{text}");
    };
    say(format!(
        "demo server on {} (temporary SQLite database)",
        server.base_url
    ));

    let mut admin = sign_in(
        &server.base_url,
        dir.path().join("admin"),
        ADMIN,
        &admin_password,
    )
    .await?;
    let program: Program = admin
        .post(
            "/programs",
            &NewProgram {
                name: "河南留守儿童项目 · Henan left-behind children pilot".into(),
                target_cadence_days: Some(TargetCadence::DEFAULT),
            },
        )
        .await?;
    let _: User = admin
        .post(
            "/users",
            &NewUser {
                username: STAFF.into(),
                password: staff_password.clone(),
                role: AccountRole::Staff,
                display_name: Some("Demo social worker".into()),
                family_id: None,
                person_id: None,
                program_ids: vec![program.id],
            },
        )
        .await?;
    // Ends an hour before: the server refuses contacts from the future.
    let end = as_of - chrono::Duration::hours(1);
    let history_days = (end - sample::study_start(end)).num_days();
    for sample in sample::families(args.seed, end) {
        let (family, stored) = load_family(&mut admin, &program, &sample, dir.path()).await?;
        let feedback = sample
            .contacts
            .iter()
            .filter(|c| c.feedback.is_some())
            .count();
        say(format!(
            "loaded {} through the API: {} persons, {stored} contacts over {history_days} days, {} check-ins; the child's own feedback on {feedback} calls and {} check-ins",
            family.display_name,
            sample.persons.len(),
            sample.checkins.len(),
            sample.child_checkins.len()
        ));
    }

    let mut staff = sign_in(
        &server.base_url,
        dir.path().join("staff"),
        STAFF,
        &staff_password,
    )
    .await?;
    let window = WindowArgs {
        as_of: Some(as_of),
        window: args.window,
    };
    let caseload = reports::caseload(&mut staff, None, false, &window).await?;
    let mut family_reports = Vec::new();
    for row in &caseload.rows {
        let report: FamilyReport = staff
            .get(
                &format!("/families/{}/report", row.family_id),
                &window.query(),
            )
            .await?;
        family_reports.push(report);
    }

    match format {
        Format::Json => output::print_json(&DemoOutput {
            server: &server.base_url,
            caseload: &caseload,
            families: &family_reports,
        })?,
        // One CSV document: the caseload, the table staff work from.
        Format::Csv => reports::print_caseload(&caseload, Format::Csv)?,
        Format::Table => {
            output::print("== Staff caseload (signed in as the program's social worker) ==\n")?;
            reports::print_caseload(&caseload, Format::Table)?;
            for report in &family_reports {
                output::print(&format!(
                    "\n== Contact gaps: {} ==\n",
                    report.family.display_name
                ))?;
                reports::print_family_gaps(report, Format::Table)?;
                output::print(&format!(
                    "\n== Conversation depth: {} ==\n",
                    report.family.display_name
                ))?;
                reports::print_family_depth(report, Format::Table)?;
            }
        }
    }

    if let Some(out) = &args.timelines {
        std::fs::create_dir_all(out)
            .map_err(|e| CliError::io(&format!("creating {}", out.display()), e))?;
        // The pictures show the whole history, Spring Festival included.
        let whole = WindowArgs {
            as_of: Some(as_of),
            window: Some(u32::try_from(history_days).unwrap_or(u32::MAX)),
        };
        for (index, row) in caseload.rows.iter().enumerate() {
            let report: FamilyReport = staff
                .get(
                    &format!("/families/{}/report", row.family_id),
                    &whole.query(),
                )
                .await?;
            let from = report.window.from - chrono::Duration::days(366);
            let to = report.window.as_of + chrono::Duration::seconds(1);
            let contacts =
                super::timeline::contacts_between(&mut staff, report.family.id, from, to).await?;
            let path = out.join(format!("timeline-{}.svg", index + 1));
            std::fs::write(&path, timeline_svg::render(&report, &contacts))
                .map_err(|e| CliError::io(&format!("writing {}", path.display()), e))?;
            say(format!("wrote {}", path.display()));
        }
    }

    if args.serve {
        say(format!(
            "\nThe demo server keeps running until Ctrl-C. In another terminal:\n  \
             export KINTHREAD_CONFIG_DIR=$(mktemp -d)\n  \
             echo {staff_password} | kinthread login --server {} --username {STAFF} --password-stdin\n  \
             kinthread gaps\n(admin: {ADMIN} / {admin_password})",
            server.base_url
        ));
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::io("waiting for Ctrl-C", e))?;
    }
    if args.timelines.is_none() && !args.serve {
        say("\n(--timelines DIR also draws each family's contact timeline as SVG; --serve keeps the server running to try other commands on it)".to_owned());
    }
    drop(server);
    Ok(())
}
