//! `kinthread family list` and `kinthread family show`.

use chrono::{DateTime, FixedOffset};
use kinthread_shared::ContactStatus;
use kinthread_shared::api::{Contact, Family, Page, Person};
use serde::Serialize;

use crate::client::Api;
use crate::error::CliResult;
use crate::output::{self, Format, Table};
use crate::resolve;

/// How many recent contacts `family show` lists.
const RECENT_CONTACTS: u32 = 20;

pub async fn list(api: &mut Api, format: Format) -> CliResult<()> {
    let families = resolve::all_families(api).await?;
    output::emit(format, &families_table(&families), &families)
}

/// The families table of `family list` and the admin commands.
pub fn families_table(families: &[Family]) -> Table {
    let mut table = Table::new(&["id", "name", ">target_days", "time_zone", "notes_shared"]);
    for family in families {
        table.push(vec![
            family.id.to_string(),
            family.display_name.clone(),
            family.target_cadence_days.to_string(),
            family.time_zone.to_string(),
            yes_no(family.consent.share_notes_with_staff),
        ]);
    }
    table
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// Everything `family show` prints, as one JSON document.
#[derive(Serialize)]
struct FamilyView<'a> {
    family: &'a Family,
    persons: &'a [Person],
    recent_contacts: &'a [Contact],
}

fn name_of(people: &[Person], id: kinthread_shared::PersonId) -> String {
    people
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.to_string(), |p| p.display_name.clone())
}

/// Local time as the phone reported it, to the minute.
pub fn short_time(at: &DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// The contacts table shared by `family show` (and its CSV form).
fn contacts_table(people: &[Person], contacts: &[Contact]) -> Table {
    let mut table = Table::new(&[
        "started", "kind", "status", "from", "with", ">minutes", "depth", "note",
    ])
    .limit("note", 48);
    for contact in contacts {
        let with: Vec<String> = contact
            .participants
            .iter()
            .filter(|p| **p != contact.initiator)
            .map(|p| name_of(people, *p))
            .collect();
        let minutes = match (
            contact.kind.is_call(),
            contact.duration_seconds,
            contact.ended_at,
        ) {
            // Unanswered calls have no talk time: a blank reads better than 0.0.
            (true, Some(seconds), _) if contact.status == ContactStatus::Completed => {
                format!("{:.1}", seconds as f64 / 60.0)
            }
            (_, _, Some(end)) => format!(
                "{:.0}d",
                (end - contact.started_at).num_hours() as f64 / 24.0
            ),
            _ => String::new(),
        };
        let depth = contact
            .depth
            .as_ref()
            .map(|d| format!("{} {:.0}", d.level, d.score))
            .unwrap_or_default();
        let note = match (&contact.content, contact.content_withheld) {
            (Some(text), _) => text.clone(),
            (None, true) => "(withheld)".to_owned(),
            (None, false) => String::new(),
        };
        table.push(vec![
            short_time(&contact.started_at),
            contact.kind.to_string(),
            contact.status.to_string(),
            name_of(people, contact.initiator),
            with.join(", "),
            minutes,
            depth,
            note,
        ]);
    }
    table
}

pub async fn show(api: &mut Api, family: Option<&str>, format: Format) -> CliResult<()> {
    let family = resolve::family(api, family).await?;
    let persons = resolve::persons(api, family.id).await?;
    let page: Page<Contact> = api
        .get(
            &format!("/families/{}/contacts", family.id),
            &[("limit", RECENT_CONTACTS.to_string())],
        )
        .await?;
    let contacts = page.items;
    match format {
        Format::Json => output::print_json(&FamilyView {
            family: &family,
            persons: &persons,
            recent_contacts: &contacts,
        }),
        // CSV holds one kind of row: the recent contacts, the part programs want.
        Format::Csv => output::print(&contacts_table(&persons, &contacts).render_csv()),
        Format::Table => {
            let mut text = format!(
                "{}  ({})\ntime zone {}, target: a contact every {} days, notes shared with staff: {}\n\n",
                family.display_name,
                family.id,
                family.time_zone,
                family.target_cadence_days,
                yes_no(family.consent.share_notes_with_staff),
            );
            let mut people = Table::new(&["name", "role", "lives_away", "where", "born", "id"]);
            for person in &persons {
                people.push(vec![
                    person.display_name.clone(),
                    person.role.to_string(),
                    yes_no(person.lives_away),
                    person.away_location.clone().unwrap_or_default(),
                    // The date where known, else the year.
                    person
                        .birth_date
                        .map(|d| d.to_string())
                        .or(person.birth_year.map(|y| y.to_string()))
                        .unwrap_or_default(),
                    person.id.to_string(),
                ]);
            }
            text.push_str(&people.render_text());
            text.push_str(&format!(
                "\nrecent contacts (newest first, up to {RECENT_CONTACTS}):\n"
            ));
            if contacts.is_empty() {
                text.push_str("  none logged yet\n");
            } else {
                text.push_str(&contacts_table(&persons, &contacts).render_text());
            }
            output::print(&text)
        }
    }
}
