//! `kinthread log call|text|visit|checkin|child-checkin`: quick entries, each with a fresh client id (UUID
//! v7) and source `cli`.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use kinthread_shared::api::{
    Checkin, ChildCheckin, Contact, NewCheckin, NewChildCheckin, NewContact, Person,
};
use kinthread_shared::{ContactKind, ContactSource, ContactStatus, FamilyRole, TalkedMost};
use uuid::Uuid;

use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table};
use crate::resolve;

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// A phone or video call (completed, or --missed / --declined).
    Call(CallArgs),
    /// A text message (its body goes in --note).
    Text(TextArgs),
    /// A visit home (or to the city), which may span weeks.
    Visit(VisitArgs),
    /// A caregiver's check-in about the child.
    Checkin(CheckinArgs),
    /// From a child's own account: the weekly "how are you" (your parents never see it).
    #[command(name = "child-checkin")]
    ChildCheckin(ChildCheckinArgs),
}

#[derive(Debug, Args)]
pub struct ChildCheckinArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// 1 (very low) to 5 (very good).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=5))]
    pub mood: i32,
    /// Optional words of your own.
    #[arg(long)]
    pub words: Option<String>,
}

/// Who, and when.
#[derive(Debug, Args)]
pub struct Common {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// Who started it: a person id, display name or role (mother, father, child, 奶奶 ...).
    #[arg(long)]
    pub from: String,
    /// The other person (repeat for more).
    #[arg(long, required = true)]
    pub to: Vec<String>,
    /// When it started: RFC 3339, or local `2026-03-01 20:15` in the family's time zone.
    #[arg(long, conflicts_with = "ago")]
    pub at: Option<String>,
    /// When it started, counted back from now: 30m, 2h, 3d.
    #[arg(long, value_parser = resolve::parse_duration)]
    pub ago: Option<chrono::Duration>,
    /// A note written after the contact, or the text's body.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub common: Common,
    /// Minutes talked (decimals allowed).
    #[arg(long, conflicts_with_all = ["missed", "declined"])]
    pub minutes: Option<f64>,
    /// Nobody answered.
    #[arg(long, conflicts_with = "declined")]
    pub missed: bool,
    /// The other side declined the call.
    #[arg(long)]
    pub declined: bool,
    /// A video call.
    #[arg(long)]
    pub video: bool,
    /// Who did most of the talking.
    #[arg(long, value_parser = parse_talked_most)]
    pub talked_most: Option<TalkedMost>,
}

#[derive(Debug, Args)]
pub struct TextArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct VisitArgs {
    #[command(flatten)]
    pub common: Common,
    /// When the visit ended (same forms as --at).
    #[arg(long, conflicts_with = "days")]
    pub until: Option<String>,
    /// How many days it lasted.
    #[arg(long, conflicts_with = "ongoing")]
    pub days: Option<u32>,
    /// The visit goes on (a parent home now): logged without an end, to be ended later by
    /// an amendment of the one who logged it.
    #[arg(long, conflicts_with = "until")]
    pub ongoing: bool,
}

#[derive(Debug, Args)]
pub struct CheckinArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// The child it is about (default: the family's only child).
    #[arg(long)]
    pub child: Option<String>,
    /// 1 (very low) to 5 (very good).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=5))]
    pub mood: i32,
    #[arg(long)]
    pub health: Option<String>,
    #[arg(long)]
    pub school: Option<String>,
    #[arg(long)]
    pub worries: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// When observed: RFC 3339 or local time (default now).
    #[arg(long, conflicts_with = "ago")]
    pub at: Option<String>,
    /// When observed, counted back from now.
    #[arg(long, value_parser = resolve::parse_duration)]
    pub ago: Option<chrono::Duration>,
}

fn parse_talked_most(text: &str) -> Result<TalkedMost, String> {
    text.parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

fn moment(
    at: Option<&str>,
    ago: Option<chrono::Duration>,
    tz: Tz,
) -> CliResult<DateTime<FixedOffset>> {
    // Whole seconds: a phone's log has no finer grain, and the log reads better without.
    let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
    match (at, ago) {
        (Some(text), _) => resolve::parse_moment(text, tz),
        (None, Some(ago)) => now
            .checked_sub_signed(ago)
            .map(|at| resolve::in_zone(at, tz))
            .ok_or_else(|| CliError::usage("--ago reaches too far back")),
        (None, None) => Ok(resolve::in_zone(now, tz)),
    }
}

struct Prepared {
    family: kinthread_shared::FamilyId,
    tz: Tz,
    people: Vec<Person>,
    participants: Vec<kinthread_shared::PersonId>,
    initiator: kinthread_shared::PersonId,
    started_at: DateTime<FixedOffset>,
}

async fn prepare(api: &mut Api, common: &Common) -> CliResult<Prepared> {
    let family = resolve::family(api, common.family.as_deref()).await?;
    let tz = resolve::time_zone(&family);
    let people = resolve::persons(api, family.id).await?;
    let initiator = resolve::person(&people, &common.from)?.id;
    let mut participants = vec![initiator];
    for other in &common.to {
        let id = resolve::person(&people, other)?.id;
        if participants.contains(&id) {
            return Err(CliError::usage(format!(
                "`{other}` is named twice; a contact is between different people"
            )));
        }
        participants.push(id);
    }
    let started_at = moment(common.at.as_deref(), common.ago, tz)?;
    Ok(Prepared {
        family: family.id,
        tz,
        people,
        participants,
        initiator,
        started_at,
    })
}

fn new_contact(p: &Prepared, kind: ContactKind, note: Option<&str>) -> NewContact {
    NewContact {
        client_id: Uuid::now_v7(),
        kind,
        status: None,
        participants: p.participants.clone(),
        initiator: p.initiator,
        started_at: p.started_at,
        duration_seconds: None,
        ended_at: None,
        content: note.map(str::to_owned).filter(|n| !n.trim().is_empty()),
        talked_most: None,
        child_feedback: None,
        source: Some(ContactSource::Cli),
    }
}

async fn upload(api: &mut Api, p: &Prepared, new: NewContact, format: Format) -> CliResult<()> {
    let contact: Contact = api
        .post(&format!("/families/{}/contacts", p.family), &new)
        .await?;
    match format {
        Format::Json => return output::print_json(&contact),
        Format::Csv => {
            let mut table = Table::new(&[
                "id",
                "client_id",
                "kind",
                "status",
                "started_at",
                "depth_score",
                "depth_level",
            ]);
            table.push(vec![
                contact.id.to_string(),
                contact.client_id.to_string(),
                contact.kind.to_string(),
                contact.status.to_string(),
                contact.started_at.to_rfc3339(),
                contact
                    .depth
                    .as_ref()
                    .map(|d| d.score.to_string())
                    .unwrap_or_default(),
                contact
                    .depth
                    .as_ref()
                    .map(|d| d.level.to_string())
                    .unwrap_or_default(),
            ]);
            return output::print(&table.render_csv());
        }
        Format::Table => {}
    }
    let name = |id| {
        p.people
            .iter()
            .find(|person| person.id == id)
            .map_or_else(|| "?".to_owned(), |person| person.display_name.clone())
    };
    let with: Vec<String> = contact
        .participants
        .iter()
        .filter(|id| **id != contact.initiator)
        .map(|id| name(*id))
        .collect();
    let depth = contact
        .depth
        .as_ref()
        .map(|d| format!(", depth {} ({:.0})", d.level, d.score))
        .unwrap_or_default();
    output::print(&format!(
        "logged {} {} from {} to {} at {}{depth}  [{}]\n",
        contact.status,
        contact.kind,
        name(contact.initiator),
        with.join(", "),
        contact.started_at.to_rfc3339(),
        contact.id,
    ))
}

pub async fn run(api: &mut Api, command: LogCommand, format: Format) -> CliResult<()> {
    match command {
        LogCommand::Call(args) => {
            let p = prepare(api, &args.common).await?;
            let kind = if args.video {
                ContactKind::VideoCall
            } else {
                ContactKind::Call
            };
            let mut new = new_contact(&p, kind, args.common.note.as_deref());
            new.talked_most = args.talked_most;
            if args.missed || args.declined {
                new.status = Some(if args.missed {
                    ContactStatus::Missed
                } else {
                    ContactStatus::Declined
                });
                new.duration_seconds = Some(0);
            } else {
                let minutes = args.minutes.ok_or_else(|| {
                    CliError::usage(
                        "a completed call needs --minutes (or say --missed / --declined)",
                    )
                })?;
                if !(0.0..=24.0 * 60.0).contains(&minutes) {
                    return Err(CliError::usage("--minutes must be 0 to 1440"));
                }
                new.duration_seconds = Some((minutes * 60.0).round() as i64);
            }
            upload(api, &p, new, format).await
        }
        LogCommand::Text(args) => {
            let p = prepare(api, &args.common).await?;
            let new = new_contact(&p, ContactKind::Text, args.common.note.as_deref());
            upload(api, &p, new, format).await
        }
        LogCommand::Visit(args) => {
            let p = prepare(api, &args.common).await?;
            let ended_at = match (&args.until, args.days, args.ongoing) {
                (Some(text), _, _) => Some(resolve::parse_moment(text, p.tz)?),
                (None, Some(days), _) => Some(
                    p.started_at
                        .checked_add_signed(chrono::Duration::days(i64::from(days)))
                        .ok_or_else(|| CliError::usage("--days is too long"))?,
                ),
                (None, None, true) => None,
                (None, None, false) => {
                    return Err(CliError::usage(
                        "a visit needs --until TIME, --days N or --ongoing",
                    ));
                }
            };
            let mut new = new_contact(&p, ContactKind::Visit, args.common.note.as_deref());
            new.ended_at = ended_at;
            upload(api, &p, new, format).await
        }
        LogCommand::Checkin(args) => checkin(api, args, format).await,
        LogCommand::ChildCheckin(args) => child_checkin(api, args, format).await,
    }
}

async fn child_checkin(api: &mut Api, args: ChildCheckinArgs, format: Format) -> CliResult<()> {
    let family = resolve::family(api, args.family.as_deref()).await?;
    let tz = resolve::time_zone(&family);
    let new = NewChildCheckin {
        client_id: Uuid::now_v7(),
        observed_at: moment(None, None, tz)?,
        mood: args.mood,
        words: args.words,
    };
    let checkin: ChildCheckin = api
        .post(&format!("/families/{}/child-checkins", family.id), &new)
        .await?;
    if format != Format::Table {
        let mut table = Table::new(&["id", "observed_at", "mood"]);
        table.push(vec![
            checkin.id.to_string(),
            checkin.observed_at.to_rfc3339(),
            checkin.mood.to_string(),
        ]);
        return output::emit(format, &table, &checkin);
    }
    output::print(&format!(
        "checked in: mood {} at {}  [{}]\n",
        checkin.mood,
        checkin.observed_at.to_rfc3339(),
        checkin.id
    ))
}

async fn checkin(api: &mut Api, args: CheckinArgs, format: Format) -> CliResult<()> {
    let family = resolve::family(api, args.family.as_deref()).await?;
    let tz = resolve::time_zone(&family);
    let people = resolve::persons(api, family.id).await?;
    let child = match &args.child {
        Some(given) => resolve::person(&people, given)?,
        None => resolve::person(&people, FamilyRole::Child.as_str())?,
    };
    let new = NewCheckin {
        client_id: Uuid::now_v7(),
        child_id: child.id,
        observed_at: moment(args.at.as_deref(), args.ago, tz)?,
        mood: args.mood,
        health: args.health,
        school: args.school,
        worries: args.worries,
        note: args.note,
    };
    let checkin: Checkin = api
        .post(&format!("/families/{}/checkins", family.id), &new)
        .await?;
    match format {
        Format::Json => return output::print_json(&checkin),
        Format::Csv => {
            let mut table = Table::new(&["id", "client_id", "child_id", "observed_at", "mood"]);
            table.push(vec![
                checkin.id.to_string(),
                checkin.client_id.to_string(),
                checkin.child_id.to_string(),
                checkin.observed_at.to_rfc3339(),
                checkin.mood.to_string(),
            ]);
            return output::print(&table.render_csv());
        }
        Format::Table => {}
    }
    output::print(&format!(
        "logged check-in about {} (mood {}) at {}  [{}]\n",
        child.display_name,
        checkin.mood,
        checkin.observed_at.to_rfc3339(),
        checkin.id
    ))
}
