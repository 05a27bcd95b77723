//! `kinthread feedback give|list|history` (the child's own feedback on a contact) and
//! `kinthread checkins` (what the caregivers, or the children themselves, checked in). What
//! each reader sees is the server's decision: staff get the words only where the family
//! consented, parents never get the child's feedback or check-ins.

use clap::{Args, Subcommand};
use kinthread_shared::api::{
    Checkin, ChildCheckin, Feedback, FeedbackHistory, NewFeedback, Person,
};
use kinthread_shared::{ChildFeedback, ContactId, PersonId};
use uuid::Uuid;

use crate::client::Api;
use crate::error::CliResult;
use crate::output::{self, Format, Table};
use crate::resolve;

/// What a table shows for words the reader may not read.
const WITHHELD: &str = "(withheld)";

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// From a child's own account: how a contact you took part in felt (good, okay or bad),
    /// at the time or later. Giving it again changes it; the earlier answer stays in the
    /// history.
    Give {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
        /// The contact's id (any version of it: the feedback goes to the newest).
        #[arg(long)]
        contact: ContactId,
        /// good, okay or bad.
        #[arg(value_parser = parse_rating)]
        rating: ChildFeedback,
        /// Optional words of your own; your parents never see them.
        #[arg(long)]
        words: Option<String>,
    },
    /// The feedback in force on a family's contacts, newest first (staff, admins; a child
    /// their own).
    List {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
    },
    /// Every version of the feedback on one contact, newest first.
    History {
        /// Family id or name (default: your own family).
        #[arg(long)]
        family: Option<String>,
        #[arg(long)]
        contact: ContactId,
    },
}

#[derive(Debug, Args)]
pub struct CheckinsArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// The children's own check-ins instead of the caregivers'.
    #[arg(long)]
    pub child: bool,
}

fn parse_rating(text: &str) -> Result<ChildFeedback, String> {
    text.parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

fn name_of(people: &[Person], id: PersonId) -> String {
    people
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.to_string(), |p| p.display_name.clone())
}

fn words(text: Option<&str>, withheld: bool) -> String {
    match (text, withheld) {
        (Some(text), _) => text.to_owned(),
        (None, true) => WITHHELD.to_owned(),
        (None, false) => String::new(),
    }
}

fn feedback_table(items: &[Feedback], people: &[Person]) -> Table {
    let mut table = Table::new(&[
        "given",
        "child",
        "rating",
        "words",
        "in force",
        "!contact_id",
        "!id",
    ])
    .limit("words", 40);
    for f in items {
        table.push(vec![
            f.given_at.format("%Y-%m-%d %H:%M").to_string(),
            name_of(people, f.child_id),
            f.rating.to_string(),
            words(f.words.as_deref(), f.words_withheld),
            if f.replaced_by.is_none() { "yes" } else { "no" }.to_owned(),
            f.contact_id.to_string(),
            f.id.to_string(),
        ]);
    }
    table
}

pub async fn feedback(api: &mut Api, command: FeedbackCommand, format: Format) -> CliResult<()> {
    match command {
        FeedbackCommand::Give {
            family,
            contact,
            rating,
            words,
        } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let given: Feedback = api
                .post(
                    &format!("/families/{}/contacts/{contact}/feedback", family.id),
                    &NewFeedback {
                        client_id: Uuid::now_v7(),
                        rating,
                        words,
                        given_at: None,
                    },
                )
                .await?;
            output::emit(
                format,
                &feedback_table(std::slice::from_ref(&given), &people),
                &given,
            )
        }
        FeedbackCommand::List { family } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let items: Vec<Feedback> = api
                .get_all(&format!("/families/{}/feedback", family.id))
                .await?;
            output::emit(format, &feedback_table(&items, &people), &items)
        }
        FeedbackCommand::History { family, contact } => {
            let family = resolve::family(api, family.as_deref()).await?;
            let people = resolve::persons(api, family.id).await?;
            let history: FeedbackHistory = api
                .get(
                    &format!("/families/{}/contacts/{contact}/feedback", family.id),
                    &[],
                )
                .await?;
            output::emit(format, &feedback_table(&history.items, &people), &history)
        }
    }
}

pub async fn checkins(api: &mut Api, args: CheckinsArgs, format: Format) -> CliResult<()> {
    let family = resolve::family(api, args.family.as_deref()).await?;
    let people = resolve::persons(api, family.id).await?;
    let tz = resolve::time_zone(&family);
    let when = |at: chrono::DateTime<chrono::FixedOffset>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    if args.child {
        let items: Vec<ChildCheckin> = api
            .get_all(&format!("/families/{}/child-checkins", family.id))
            .await?;
        let mut table =
            Table::new(&["observed", "child", ">mood", "words", "!id"]).limit("words", 50);
        for c in &items {
            table.push(vec![
                when(c.observed_at),
                name_of(&people, c.child_id),
                c.mood.to_string(),
                words(c.words.as_deref(), c.words_withheld),
                c.id.to_string(),
            ]);
        }
        return output::emit(format, &table, &items);
    }
    let items: Vec<Checkin> = api
        .get_all(&format!("/families/{}/checkins", family.id))
        .await?;
    let mut table = Table::new(&[
        "observed", "child", ">mood", "worries", "health", "school", "note", "!id",
    ])
    .limit("worries", 30)
    .limit("health", 20)
    .limit("school", 20)
    .limit("note", 40);
    for c in &items {
        let text = |value: &Option<String>| words(value.as_deref(), c.content_withheld);
        table.push(vec![
            when(c.observed_at),
            name_of(&people, c.child_id),
            c.mood.to_string(),
            text(&c.worries),
            text(&c.health),
            text(&c.school),
            text(&c.note),
            c.id.to_string(),
        ]);
    }
    output::emit(format, &table, &items)
}
