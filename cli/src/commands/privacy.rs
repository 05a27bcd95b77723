//! `kinthread access-log` and `kinthread consent list|give|withdraw`: who read a family's
//! data and why (`GET /families/{id}/access-log`), and the family's consent as a history of
//! records (`/families/{id}/consents`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use kinthread_shared::api::{
    AuditEntry, ConsentHistory, ConsentRecord, ConsentWithdrawal, NewConsent, Person,
};
use kinthread_shared::{ConsentId, ConsentKind};

use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table};
use crate::resolve;

#[derive(Debug, Args)]
pub struct AccessLogArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    family: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// The family's consent records, newest first, and what is in force.
    List {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
    },
    /// Record a consent: your own (a guardian's or the child's account), or a signed paper
    /// form (staff, admins: --person and --reference).
    Give {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
        /// data_kept, share_notes_with_staff, child_account, feedback_counts_to_parents,
        /// child_agrees_feedback_counts or anonymous_statistics.
        #[arg(long, value_parser = parse_kind)]
        kind: ConsentKind,
        /// Who agreed (id, name or role), for a paper form.
        #[arg(long)]
        person: Option<String>,
        /// The paper form's reference (its number, where it is filed).
        #[arg(long)]
        reference: Option<String>,
    },
    /// Withdraw a consent record: by its id, or the one in force of a kind (--person where
    /// several people gave it).
    Withdraw {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
        /// The record's id (see `kinthread consent list -f csv`).
        #[arg(long, conflicts_with = "kind", required_unless_present = "kind")]
        id: Option<ConsentId>,
        #[arg(long, value_parser = parse_kind)]
        kind: Option<ConsentKind>,
        /// With --kind: whose consent (id, name or role).
        #[arg(long, requires = "kind")]
        person: Option<String>,
        /// The paper form's reference, for a withdrawal recorded by staff.
        #[arg(long)]
        reference: Option<String>,
    },
}

fn parse_kind(text: &str) -> Result<ConsentKind, String> {
    text.parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Who read or changed what, newest first.
fn access_table(entries: &[AuditEntry], tz: Tz) -> Table {
    let mut table = Table::new(&["when", "who", "role", "what", "purpose", "!target", "!id"])
        .limit("purpose", 40);
    for e in entries {
        table.push(vec![
            when(e.at, tz),
            e.actor_name
                .clone()
                .or_else(|| e.actor_id.map(|a| a.to_string()))
                .unwrap_or_default(),
            e.actor_role.map(|r| r.to_string()).unwrap_or_default(),
            e.action.clone(),
            e.purpose.clone().unwrap_or_default(),
            e.target.clone().unwrap_or_default(),
            e.id.to_string(),
        ]);
    }
    table
}

fn person_name(people: &[Person], record: &ConsentRecord) -> String {
    match record.person_id {
        Some(id) => people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| p.display_name.clone()),
        None => String::new(),
    }
}

fn consent_table(records: &[ConsentRecord], people: &[Person], tz: Tz) -> Table {
    let mut table = Table::new(&[
        "kind",
        "in force",
        "person",
        "given",
        "via",
        "reference",
        "withdrawn",
        "!withdrawn_via",
        "!withdrawn_reference",
        "!id",
    ]);
    for r in records {
        table.push(vec![
            r.kind.to_string(),
            if r.withdrawn_at.is_none() {
                "yes"
            } else {
                "no"
            }
            .to_owned(),
            person_name(people, r),
            when(r.given_at, tz),
            r.given_via.to_string(),
            r.reference.clone().unwrap_or_default(),
            r.withdrawn_at.map(|at| when(at, tz)).unwrap_or_default(),
            r.withdrawn_via.map(|v| v.to_string()).unwrap_or_default(),
            r.withdrawn_reference.clone().unwrap_or_default(),
            r.id.to_string(),
        ]);
    }
    table
}

pub async fn access_log(api: &mut Api, args: AccessLogArgs, format: Format) -> CliResult<()> {
    let family = resolve::family(api, args.family.as_deref()).await?;
    let entries: Vec<AuditEntry> = api
        .get_all(&format!("/families/{}/access-log", family.id))
        .await?;
    let tz = resolve::time_zone(&family);
    match format {
        Format::Table if entries.is_empty() => output::print("Nothing read or changed yet.\n"),
        _ => output::emit(format, &access_table(&entries, tz), &entries),
    }
}

pub async fn consent(api: &mut Api, command: ConsentCommand, format: Format) -> CliResult<()> {
    match command {
        ConsentCommand::List { family } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let history: ConsentHistory = api
                .get(&format!("/families/{}/consents", family.id), &[])
                .await?;
            let tz = resolve::time_zone(&family);
            if format == Format::Table {
                let c = history.in_force;
                let in_force: Vec<&str> = [
                    ("data kept", c.guardian_consent),
                    ("notes shared with staff", c.share_notes_with_staff),
                    (
                        "feedback counts to parents",
                        c.child_feedback_visible_to_parents,
                    ),
                    ("child account", c.child_account),
                    ("anonymous statistics", c.anonymous_statistics),
                ]
                .into_iter()
                .filter_map(|(what, given)| given.then_some(what))
                .collect();
                let in_force = if in_force.is_empty() {
                    "none".to_owned()
                } else {
                    in_force.join(", ")
                };
                output::print(&format!("In force: {in_force}\n\n"))?;
            }
            output::emit(
                format,
                &consent_table(&history.records, &people, tz),
                &history,
            )
        }
        ConsentCommand::Give {
            family,
            kind,
            person,
            reference,
        } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let person_id = match person.as_deref() {
                Some(given) => Some(resolve::person(&people, given)?.id),
                None => None,
            };
            let record: ConsentRecord = api
                .post(
                    &format!("/families/{}/consents", family.id),
                    &NewConsent {
                        kind,
                        person_id,
                        reference,
                    },
                )
                .await?;
            let tz = resolve::time_zone(&family);
            output::emit(
                format,
                &consent_table(std::slice::from_ref(&record), &people, tz),
                &record,
            )
        }
        ConsentCommand::Withdraw {
            family,
            id,
            kind,
            person,
            reference,
        } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let id = match (id, kind) {
                (Some(id), _) => id,
                (None, Some(kind)) => {
                    let person_id = match person.as_deref() {
                        Some(given) => Some(resolve::person(&people, given)?.id),
                        None => None,
                    };
                    let history: ConsentHistory = api
                        .get(&format!("/families/{}/consents", family.id), &[])
                        .await?;
                    in_force_of(&history.records, kind, person_id)?
                }
                (None, None) => return Err(CliError::usage("give --id or --kind")),
            };
            let record: ConsentRecord = api
                .post(
                    &format!("/families/{}/consents/{id}/withdraw", family.id),
                    &ConsentWithdrawal { reference },
                )
                .await?;
            let tz = resolve::time_zone(&family);
            output::emit(
                format,
                &consent_table(std::slice::from_ref(&record), &people, tz),
                &record,
            )
        }
    }
}

/// The one record of `kind` in force (of `person`, when given).
fn in_force_of(
    records: &[ConsentRecord],
    kind: ConsentKind,
    person: Option<kinthread_shared::PersonId>,
) -> CliResult<ConsentId> {
    let matching: Vec<&ConsentRecord> = records
        .iter()
        .filter(|r| r.kind == kind && r.withdrawn_at.is_none())
        .filter(|r| person.is_none() || r.person_id == person)
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CliError::not_found(format!("no {kind} consent in force"))),
        _ => Err(CliError::usage(format!(
            "several {kind} consents are in force; choose one with --person or --id"
        ))),
    }
}
