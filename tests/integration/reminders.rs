//! A parent's reminders (`GET /me/reminders`) and what they are computed from: a child's date
//! of birth on the person.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use kinthread_shared::api::{Contact, Page, Person};
use kinthread_shared::reminders::{Reminder, ReminderKind};
use kinthread_shared::{DepthLevel, PersonId};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

use crate::china;

const REMINDERS: &str = "/api/v1/me/reminders";
const ROUTINE_NOTE: &str = "吃饭了吗？钱够不够？好好学习";

/// A contact of `kind` and `status` from `from` to `to` that started `minutes_ago`.
fn contact(
    kind: &str,
    status: &str,
    from: PersonId,
    to: PersonId,
    minutes_ago: i64,
    note: Option<&str>,
) -> Value {
    let started = Utc::now() - Duration::minutes(minutes_ago);
    let mut body = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": kind,
        "status": status,
        "participants": [from, to],
        "initiator": from,
        "started_at": started.with_timezone(&china()).to_rfc3339(),
        "content": note,
    });
    if kind == "call" {
        body["duration_seconds"] = json!(if status == "completed" { 240 } else { 0 });
    }
    body
}

async fn log(app: &TestApp, world: &World, token: &str, body: Value) -> anyhow::Result<Contact> {
    app.post_ok(
        &format!("/api/v1/families/{}/contacts", world.f.id),
        Some(token),
        &body,
        201,
    )
    .await
}

async fn reminders(app: &TestApp, token: &str) -> anyhow::Result<Vec<Reminder>> {
    let page: Page<Reminder> = app.get_ok(REMINDERS, token).await?;
    assert_eq!(page.next_cursor, None);
    Ok(page.items)
}

fn of_kind(reminders: &[Reminder], kind: ReminderKind, child: PersonId) -> Vec<&Reminder> {
    reminders
        .iter()
        .filter(|r| r.kind == kind && r.child_id == child)
        .collect()
}

/// Adds a child to family F (admins add persons).
async fn add_child(
    app: &TestApp,
    world: &World,
    name: &str,
    birth_date: Option<NaiveDate>,
) -> anyhow::Result<PersonId> {
    let person: Person = app
        .post_ok(
            &format!("/api/v1/families/{}/persons", world.f.id),
            Some(&world.admin),
            &json!({"display_name": name, "role": "child", "birth_date": birth_date}),
            201,
        )
        .await?;
    Ok(person.id)
}

/// The contact reminder: there with no contact logged, not yet two days before the target
/// (7 days in family F), there within a day of it, still there after a missed call, gone once
/// a counted contact is logged.
async fn contact_due_comes_and_goes(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let mother = world.f.mother;
    let xiaoyu = add_child(&app, &world, "小雨", None).await?;
    let due = |all: &[Reminder], child: PersonId| -> Option<Reminder> {
        let found = of_kind(all, ReminderKind::ContactDue, child);
        assert!(found.len() <= 1, "{found:?}");
        found.first().map(|r| (*r).clone())
    };

    let all = reminders(&app, &world.parent_f).await?;
    let never = due(&all, world.f.child).ok_or_else(|| anyhow::anyhow!("{all:?}"))?;
    assert_eq!(never.child_name, "Child");
    assert_eq!(never.text.en, "No contact with Child logged yet");
    assert_eq!(never.days_since_contact, None);

    // The first child: five days ago, two days before the target: no reminder.
    log(
        &app,
        &world,
        &world.parent_f,
        contact(
            "call",
            "completed",
            mother,
            world.f.child,
            5 * 24 * 60,
            None,
        ),
    )
    .await?;
    // 小雨: six and a half days ago, within a day of the target.
    log(
        &app,
        &world,
        &world.parent_f,
        contact(
            "call",
            "completed",
            mother,
            xiaoyu,
            6 * 24 * 60 + 12 * 60,
            None,
        ),
    )
    .await?;
    let all = reminders(&app, &world.parent_f).await?;
    assert_eq!(due(&all, world.f.child), None);
    let reminder = due(&all, xiaoyu).ok_or_else(|| anyhow::anyhow!("{all:?}"))?;
    assert_eq!(reminder.days_since_contact, Some(6));
    assert_eq!(reminder.text.zh, "你已经6天没有和小雨联系了");
    assert_eq!(reminder.text.en, "6 days since you talked with 小雨");
    let reached = reminder
        .target_reached_at
        .ok_or_else(|| anyhow::anyhow!("no target_reached_at"))?;
    // The four-minute call ended 6 days 11 h 56 min ago: the target is reached in 12 h 4 min.
    let in_minutes = (reached - Utc::now()).num_minutes();
    assert!((12 * 60..12 * 60 + 5).contains(&in_minutes), "{in_minutes}");

    // A missed call and a declined one do not count: the reminder stays.
    log(
        &app,
        &world,
        &world.parent_f,
        contact("call", "missed", mother, xiaoyu, 30, None),
    )
    .await?;
    log(
        &app,
        &world,
        &world.parent_f,
        contact("call", "declined", mother, xiaoyu, 20, None),
    )
    .await?;
    assert!(due(&reminders(&app, &world.parent_f).await?, xiaoyu).is_some());
    // A text from the child counts: gone at once.
    log(
        &app,
        &world,
        &world.parent_f,
        contact("text", "completed", xiaoyu, mother, 10, Some("妈妈")),
    )
    .await?;
    let all = reminders(&app, &world.parent_f).await?;
    assert_eq!(due(&all, xiaoyu), None, "{all:?}");

    // The other parent, with no account, changes nothing for this one; another family's
    // parent is reminded of their own child only.
    let theirs = reminders(&app, &world.parent_g).await?;
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|r| r.child_id == world.g.child),
        "{theirs:?}"
    );
    Ok(())
}

/// Birthdays in the coming 7 days, counted in the family's time zone (China).
async fn birthdays_within_a_week(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    // Born in a leap year, so that any day of the year is a birth date.
    let born = |days_ahead: i64| -> anyhow::Result<NaiveDate> {
        let day = today + Duration::days(days_ahead);
        NaiveDate::from_ymd_opt(2016, day.month(), day.day())
            .ok_or_else(|| anyhow::anyhow!("no such day"))
    };
    let soon = add_child(&app, &world, "小雨", Some(born(3)?)).await?;
    let a_week = add_child(&app, &world, "小明", Some(born(7)?)).await?;
    let later = add_child(&app, &world, "小红", Some(born(8)?)).await?;
    let all = reminders(&app, &world.parent_f).await?;
    let birthday = |child| of_kind(&all, ReminderKind::Birthday, child);

    let in_three = birthday(soon);
    assert_eq!(in_three.len(), 1, "{all:?}");
    assert_eq!(in_three[0].days_until, Some(3));
    assert_eq!(in_three[0].birthday, Some(today + Duration::days(3)));
    let turning = (today + Duration::days(3)).year() - 2016;
    assert_eq!(in_three[0].turning, u32::try_from(turning).ok());
    assert!(
        in_three[0].text.zh.starts_with("小雨3天后过"),
        "{}",
        in_three[0].text.zh
    );
    assert_eq!(birthday(a_week).len(), 1);
    assert_eq!(birthday(later).len(), 0);
    // Without a birth date, no birthday.
    assert_eq!(birthday(world.f.child).len(), 0);
    // Only the parents of the family hear of it.
    let theirs = reminders(&app, &world.parent_g).await?;
    assert!(
        theirs.iter().all(|r| r.kind != ReminderKind::Birthday),
        "{theirs:?}"
    );
    Ok(())
}

/// After three routine-only calls a prompt appears; it is the same on every request until the
/// next contact; each further routine call brings a new one, never one of the last five shown;
/// a call without a note (or deeper talk) ends it.
async fn a_prompt_after_a_routine_streak(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let (mother, child) = (world.f.mother, world.f.child);
    let prompt = |all: &[Reminder]| -> Option<Reminder> {
        let found = of_kind(all, ReminderKind::ConversationPrompt, child);
        assert!(found.len() <= 1, "{found:?}");
        found.first().map(|r| (*r).clone())
    };
    let mut minutes_ago = 3 * 24 * 60;
    let mut routine_call = async || -> anyhow::Result<()> {
        minutes_ago -= 60;
        let stored = log(
            &app,
            &world,
            &world.parent_f,
            contact(
                "call",
                "completed",
                mother,
                child,
                minutes_ago,
                Some(ROUTINE_NOTE),
            ),
        )
        .await?;
        let level = stored.depth.as_ref().map(|d| d.level);
        assert_eq!(level, Some(DepthLevel::Routine));
        Ok(())
    };
    routine_call().await?;
    routine_call().await?;
    assert_eq!(prompt(&reminders(&app, &world.parent_f).await?), None);
    routine_call().await?;

    let mut shown: Vec<String> = Vec::new();
    for round in 0..8 {
        let first = prompt(&reminders(&app, &world.parent_f).await?)
            .ok_or_else(|| anyhow::anyhow!("round {round}: no prompt"))?;
        assert_eq!(first.routine_streak, Some(3 + round));
        let id = first.prompt_id.clone().unwrap_or_default();
        let text = first
            .prompt
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no prompt text"))?;
        assert!(first.text.zh.ends_with(&text.zh), "{}", first.text.zh);
        assert!(first.text.en.ends_with(&text.en), "{}", first.text.en);
        let recent: Vec<&String> = shown.iter().rev().take(5).collect();
        assert!(
            !recent.contains(&&id),
            "round {round}: {id} repeats {recent:?}"
        );
        // Asked again (the app reopened): the same prompt.
        for _ in 0..2 {
            let again = prompt(&reminders(&app, &world.parent_f).await?);
            assert_eq!(
                again.and_then(|r| r.prompt_id),
                Some(id.clone()),
                "round {round}"
            );
        }
        shown.push(id);
        routine_call().await?;
    }
    // A call without a note may well have used the prompt: gone.
    log(
        &app,
        &world,
        &world.parent_f,
        contact("call", "completed", mother, child, 5, None),
    )
    .await?;
    assert_eq!(prompt(&reminders(&app, &world.parent_f).await?), None);

    // Each prompt shown is recorded once, for the parent: the audit has one entry a streak.
    let audit: Page<Value> = app
        .get_ok(
            &format!("/api/v1/audit?family_id={}&limit=200", world.f.id),
            &world.admin,
        )
        .await?;
    let recorded = audit
        .items
        .iter()
        .filter(|entry| entry["action"] == json!("reminders.prompt_shown"))
        .count();
    assert_eq!(recorded, shown.len());
    Ok(())
}

/// Only parents: a clear refusal for everyone else.
async fn reminders_are_for_parents(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    for (who, token) in [
        ("admin", &world.admin),
        ("staff of the family's program", &world.staff_a),
        ("staff of another program", &world.staff_b),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
    ] {
        let (status, body) = app.get(REMINDERS, token).await?;
        assert_eq!(status, 403, "{who}: {body}");
        assert_eq!(body["error"]["code"], json!("forbidden"), "{who}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("they are for parents"), "{who}: {message}");
    }
    let (status, _) = app
        .send(reqwest::Method::GET, REMINDERS, None, None)
        .await?;
    assert_eq!(status, 401);
    Ok(())
}

/// POST persons takes a date of birth: alone it sets the birth year, with a year they must
/// agree; it is read back as given.
async fn a_person_has_a_birth_date(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/persons", world.f.id);
    let alone: Person = app
        .post_ok(
            &path,
            Some(&world.admin),
            &json!({"display_name": "小雨", "role": "child", "birth_date": "2012-06-11"}),
            201,
        )
        .await?;
    assert_eq!(alone.birth_date, "2012-06-11".parse().ok());
    assert_eq!(alone.birth_year, Some(2012));
    let both: Person = app
        .post_ok(
            &path,
            Some(&world.admin),
            &json!({"display_name": "小明", "role": "child", "birth_year": 2015,
                    "birth_date": "2015-01-31"}),
            201,
        )
        .await?;
    assert_eq!(both.birth_year, Some(2015));

    for (body, field) in [
        (
            json!({"display_name": "x", "role": "child", "birth_year": 2013, "birth_date": "2012-06-11"}),
            "birth_year",
        ),
        (
            json!({"display_name": "x", "role": "child", "birth_date": "2999-01-01"}),
            "birth_date",
        ),
        (
            json!({"display_name": "x", "role": "child", "birth_date": "1899-12-31"}),
            "birth_date",
        ),
    ] {
        let (status, answer) = app.post(&path, Some(&world.admin), &body).await?;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], json!("validation_failed"));
        assert_eq!(
            answer["error"]["fields"][0]["field"],
            json!(field),
            "{answer}"
        );
    }
    let (status, answer) = app
        .post(
            &path,
            Some(&world.admin),
            &json!({"display_name": "x", "role": "child", "birth_date": "11 June 2012"}),
        )
        .await?;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_body"))
    );

    let persons: Page<Person> = app.get_ok(&path, &world.parent_f).await?;
    let xiaoyu = persons
        .items
        .iter()
        .find(|p| p.id == alone.id)
        .ok_or_else(|| anyhow::anyhow!("小雨 is listed"))?;
    assert_eq!(xiaoyu.birth_date, alone.birth_date);
    let older = persons
        .items
        .iter()
        .find(|p| p.id == world.f.child)
        .ok_or_else(|| anyhow::anyhow!("the child is listed"))?;
    assert_eq!(older.birth_date, None);
    Ok(())
}

engine_tests!(
    a_person_has_a_birth_date,
    contact_due_comes_and_goes,
    birthdays_within_a_week,
    a_prompt_after_a_routine_streak,
    reminders_are_for_parents,
);
