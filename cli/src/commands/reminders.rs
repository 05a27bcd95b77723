//! `kinthread reminders`: the signed-in parent's reminders (`GET /me/reminders`): children
//! to get in touch with, birthdays in the coming week, and a conversation prompt after a run
//! of routine-only talks.

use clap::{Args, ValueEnum};
use kinthread_shared::api::Page;
use kinthread_shared::reminders::{Reminder, ReminderKind};

use crate::client::Api;
use crate::error::CliResult;
use crate::output::{self, Format, Table};

/// The language of the reminders' text in the table (CSV and JSON carry both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Chinese, with the English on the line below.
    #[default]
    Both,
    Zh,
    En,
}

#[derive(Debug, Args)]
pub struct RemindersArgs {
    /// The language of the table's text: both, zh or en.
    #[arg(long, value_enum, default_value_t = Lang::Both)]
    lang: Lang,
}

/// What a parent reads in the table's `kind` column.
fn label(kind: ReminderKind) -> &'static str {
    match kind {
        ReminderKind::ContactDue => "get in touch",
        ReminderKind::Birthday => "birthday",
        ReminderKind::ConversationPrompt => "talk about",
    }
}

/// The table people read: the child, what it is about, the text.
fn people_table(reminders: &[Reminder], lang: Lang) -> Table {
    let mut table = Table::new(&["child", "kind", "reminder"]);
    for reminder in reminders {
        let (first, second) = match lang {
            Lang::Both => (&reminder.text.zh, Some(&reminder.text.en)),
            Lang::Zh => (&reminder.text.zh, None),
            Lang::En => (&reminder.text.en, None),
        };
        table.push(vec![
            reminder.child_name.clone(),
            label(reminder.kind).to_owned(),
            first.clone(),
        ]);
        if let Some(second) = second {
            table.push(vec![String::new(), String::new(), second.clone()]);
        }
    }
    table
}

fn number(value: Option<u32>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The table programs read: one row a reminder, every figure, both languages.
fn csv_table(reminders: &[Reminder]) -> Table {
    let mut table = Table::new(&[
        "child_id",
        "child",
        "kind",
        "text_zh",
        "text_en",
        "days_since_contact",
        "target_reached_at",
        "birthday",
        "turning",
        "days_until",
        "routine_streak",
        "prompt_id",
        "prompt_topic",
    ]);
    for r in reminders {
        table.push(vec![
            r.child_id.to_string(),
            r.child_name.clone(),
            r.kind.as_str().to_owned(),
            r.text.zh.clone(),
            r.text.en.clone(),
            number(r.days_since_contact),
            r.target_reached_at
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
            r.birthday.map(|d| d.to_string()).unwrap_or_default(),
            number(r.turning),
            number(r.days_until),
            number(r.routine_streak),
            r.prompt_id.clone().unwrap_or_default(),
            r.prompt_topic.map(|t| t.to_string()).unwrap_or_default(),
        ]);
    }
    table
}

pub async fn run(api: &mut Api, args: RemindersArgs, format: Format) -> CliResult<()> {
    let page: Page<Reminder> = api.get("/me/reminders", &[]).await?;
    let reminders = page.items;
    match format {
        Format::Table if reminders.is_empty() => {
            output::print("No reminders now. / 现在没有提醒。\n")
        }
        Format::Table => output::print(&people_table(&reminders, args.lang).render_text()),
        Format::Csv => output::print(&csv_table(&reminders).render_csv()),
        Format::Json => output::print_json(&reminders),
    }
}

#[cfg(test)]
mod tests {
    use kinthread_shared::PersonId;

    use super::*;

    fn reminder() -> Reminder {
        serde_json::from_value(serde_json::json!({
            "kind": "contact_due",
            "child_id": PersonId::new(),
            "child_name": "小雨",
            "text": {"zh": "你已经6天没有和小雨联系了", "en": "6 days since you talked with 小雨"},
            "days_since_contact": 6,
        }))
        .unwrap()
    }

    #[test]
    fn both_languages_one_under_the_other() {
        let text = people_table(&[reminder()], Lang::Both).render_text();
        let lines: Vec<&str> = text.lines().collect();
        // Headers, their rule, the Chinese line, the English line under it.
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[2].starts_with("小雨") && lines[2].contains("get in touch"));
        assert!(lines[2].ends_with("你已经6天没有和小雨联系了"), "{text}");
        assert!(lines[3].trim_start().starts_with("6 days since"), "{text}");
        let english = people_table(&[reminder()], Lang::En).render_text();
        assert_eq!(english.lines().count(), 3, "{english}");
    }

    #[test]
    fn csv_has_every_figure() {
        let csv = csv_table(&[reminder()]).render_csv();
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .is_some_and(|h| h.starts_with("child_id,child,kind,text_zh,text_en,"))
        );
        let row = lines.next().unwrap();
        assert!(row.contains(",contact_due,"), "{row}");
        assert!(row.contains(",6,"), "{row}");
    }
}
