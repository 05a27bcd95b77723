//! Privacy of minors (SPEC section 7): a family's guardians see who read their child's data,
//! when, in what role and why, and every refused attempt; deleting a family leaves nothing of
//! it anywhere in the database (SQLite: not even in the file's bytes), only a tombstone.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use kinthread_shared::AccountRole;
use kinthread_shared::api::{AuditEntry, Contact, Page, Person};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

use crate::{call, china};

async fn guardians_see_who_read_their_childs_data(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = world.f.id;
    let contacts = format!("/api/v1/families/{f}/contacts");
    let _: Contact = app
        .post_ok(
            &contacts,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, Some("note")),
            201,
        )
        .await?;
    // The program's staff read with and without a purpose; an admin reads the report; staff
    // of another program and another family's parent are refused.
    let _: Page<Contact> = app
        .get_ok(&format!("{contacts}?purpose=home%20visit"), &world.staff_a)
        .await?;
    let _: Value = app
        .get_ok(&format!("/api/v1/families/{f}/checkins"), &world.staff_a)
        .await?;
    let _: Value = app
        .get_ok(&format!("/api/v1/families/{f}/report"), &world.admin)
        .await?;
    for token in [&world.staff_b, &world.parent_g] {
        let (status, _) = app.get(&contacts, token).await?;
        assert_eq!(status, 403);
    }
    let _: Value = app
        .get_ok("/api/v1/reports/caseload", &world.staff_a)
        .await?;
    // The family's own reads are not in it.
    let _: Page<Contact> = app.get_ok(&contacts, &world.parent_f).await?;

    let log: Page<AuditEntry> = app
        .get_ok(&format!("/api/v1/families/{f}/access-log"), &world.parent_f)
        .await?;
    let seen: Vec<(Option<AccountRole>, &str, Option<&str>)> = log
        .items
        .iter()
        .map(|e| (e.actor_role, e.action.as_str(), e.purpose.as_deref()))
        .collect();
    let has = |role, action: &str, purpose: Option<&str>| {
        seen.iter()
            .any(|(r, a, p)| *r == Some(role) && a.starts_with(action) && *p == purpose)
    };
    assert!(
        has(AccountRole::Staff, "contacts.list", Some("home visit")),
        "{seen:?}"
    );
    assert!(has(AccountRole::Staff, "checkins.list", None), "{seen:?}");
    assert!(has(AccountRole::Admin, "family.report", None), "{seen:?}");
    assert!(has(AccountRole::Staff, "caseload.row", None), "{seen:?}");
    // Named, so a grandmother can tell who it was.
    assert!(
        log.items
            .iter()
            .filter(|e| e.actor_role == Some(AccountRole::Staff) && e.action == "contacts.list")
            .all(|e| e.actor_name.as_deref() == Some("staff-a")),
        "{:?}",
        log.items
    );
    assert!(
        has(
            AccountRole::Staff,
            "refused GET /api/v1/families/{family_id}/contacts",
            None
        ),
        "{seen:?}"
    );
    assert!(has(AccountRole::Parent, "refused GET", None), "{seen:?}");
    assert!(
        log.items
            .iter()
            .all(|e| e.actor_role != Some(AccountRole::Parent) || e.action.starts_with("refused")),
        "the family's own reads are not recorded"
    );
    // The caregiver and the program's staff read it too; the child, outsiders do not.
    for token in [&world.caregiver_f, &world.staff_a, &world.admin] {
        let (status, _) = app
            .get(&format!("/api/v1/families/{f}/access-log"), token)
            .await?;
        assert_eq!(status, 200);
    }
    for token in [&world.child_f, &world.staff_b, &world.parent_g] {
        let (status, _) = app
            .get(&format!("/api/v1/families/{f}/access-log"), token)
            .await?;
        assert_eq!(status, 403);
    }
    // A purpose is kept short.
    let (status, body) = app
        .get(
            &format!("{contacts}?purpose={}", "x".repeat(201)),
            &world.staff_a,
        )
        .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_query"))
    );
    Ok(())
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    found: i64,
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    table_name: String,
}

/// Where `needle` is still found: the tables (PostgreSQL) or the file's bytes after a
/// checkpoint and VACUUM (SQLite).
fn traces(db_url: &str, needles: &[String]) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    if db_url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(db_url)?;
        let tables: Vec<TableName> = diesel::sql_query(
            "SELECT table_name::text AS table_name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .load(&mut conn)?;
        for table in tables {
            for needle in needles {
                let hits: Found = diesel::sql_query(format!(
                    "SELECT count(*) AS found FROM {} t WHERE t::text LIKE '%' || $1 || '%'",
                    table.table_name
                ))
                .bind::<Text, _>(needle)
                .get_result(&mut conn)?;
                if hits.found > 0 {
                    found.push(format!("{needle} in {}", table.table_name));
                }
            }
        }
    } else {
        let mut conn = diesel::SqliteConnection::establish(db_url)?;
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA wal_checkpoint(TRUNCATE); VACUUM;",
        )?;
        let mut bytes = std::fs::read(db_url)?;
        if let Ok(wal) = std::fs::read(format!("{db_url}-wal")) {
            bytes.extend(wal);
        }
        for needle in needles {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                found.push(format!("{needle} in the file"));
            }
        }
    }
    Ok(found)
}

async fn deleting_a_family_leaves_no_trace(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = world.f.id;
    // Words and names found nowhere else.
    let name = "林晓雨独特";
    let phone = "+8613912345678";
    let note = "她说放学后一个人害怕 note-7731";
    let words = "只问成绩 words-5521";
    let worry = "夜里哭 worry-7710";
    let reason = "mother works nights reason-4410";
    let purpose = "case review purpose-3321";
    let sister: Person = app
        .post_ok(
            &format!("/api/v1/families/{f}/persons"),
            Some(&world.admin),
            &json!({"display_name": name, "role": "child", "birth_year": 2013, "phone": phone}),
            201,
        )
        .await?;
    let contact: Contact = app
        .post_ok(
            &format!("/api/v1/families/{f}/contacts"),
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, Some(note)),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/contacts/{}/feedback", contact.id),
            Some(&world.child_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "rating": "bad", "words": words}),
            201,
        )
        .await?;
    let now = chrono::Utc::now().with_timezone(&china()).to_rfc3339();
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/child-checkins"),
            Some(&world.child_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "observed_at": now, "mood": 1, "words": words}),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/checkins"),
            Some(&world.caregiver_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "child_id": sister.id,
                    "observed_at": now, "mood": 2, "worries": worry}),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/follow-ups"),
            Some(&world.staff_a),
            &json!({"outcome": "remind_later", "reason": reason}),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/consents"),
            Some(&world.parent_f),
            &json!({"kind": "anonymous_statistics"}),
            201,
        )
        .await?;
    let _: Value = app
        .get_ok(
            &format!(
                "/api/v1/families/{f}/contacts?purpose={}",
                purpose.replace(' ', "%20")
            ),
            &world.staff_a,
        )
        .await?;

    // A guardian asks; only an admin carries it out, with a reason.
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{f}/deletion-request"),
            Some(&world.parent_f),
            &json!({"reason": "we leave the program"}),
            202,
        )
        .await?;
    let path = format!("/api/v1/families/{f}");
    for token in [&world.parent_f, &world.staff_a, &world.child_f] {
        let (status, _) = app
            .send(
                reqwest::Method::DELETE,
                &path,
                Some(token),
                Some(&json!({"reason": "x"})),
            )
            .await?;
        assert_eq!(status, 403);
    }
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &path,
            Some(&world.admin),
            Some(&json!({})),
        )
        .await?;
    assert_eq!(status, 422, "a deletion says why");
    let (status, report) = app
        .send(
            reqwest::Method::DELETE,
            &path,
            Some(&world.admin),
            Some(&json!({"reason": "a guardian's request"})),
        )
        .await?;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["persons"], 5);
    assert_eq!(report["accounts"], 3);
    assert_eq!(report["contacts"], 1);
    assert_eq!(
        (
            report["feedback"].as_u64(),
            report["child_checkins"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // Gone: a second delete, the family, its bundle, its members' sessions.
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &path,
            Some(&world.admin),
            Some(&json!({"reason": "again"})),
        )
        .await?;
    assert_eq!(status, 404);
    for p in [
        path.clone(),
        format!("{path}/bundle"),
        format!("{path}/report"),
    ] {
        let (status, _) = app.get(&p, &world.admin).await?;
        assert_eq!(status, 404, "{p}");
    }
    let (status, _) = app
        .get(&format!("{path}/contacts"), &world.parent_f)
        .await?;
    assert_eq!(status, 401, "a deleted account's token is refused at once");
    // The other family is untouched.
    let (status, _) = app
        .get(&format!("/api/v1/families/{}", world.g.id), &world.parent_g)
        .await?;
    assert_eq!(status, 200);

    // The tombstone: that it happened, by whom, why, and counts; nothing of the family.
    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit?limit=200", &world.admin).await?;
    let tombstone = audit
        .items
        .iter()
        .find(|e| e.action == "family.delete")
        .unwrap();
    assert_eq!(tombstone.family_id, None);
    let target = tombstone.target.clone().unwrap_or_default();
    assert!(
        target.contains("a guardian's request") && target.contains("1 contacts"),
        "{target}"
    );

    let needles: Vec<String> = [
        f.to_string(),
        "Family F".to_owned(),
        name.to_owned(),
        phone.trim_start_matches('+').to_owned(),
        note.to_owned(),
        words.to_owned(),
        worry.to_owned(),
        reason.to_owned(),
        purpose.to_owned(),
        "parent-f".to_owned(),
        "child-f".to_owned(),
    ]
    .into();
    let found = traces(&app.db_url, &needles)?;
    assert!(found.is_empty(), "found after deletion: {found:?}");
    // The search finds what is there: family G's name.
    let control = traces(&app.db_url, &["Family G".to_owned()])?;
    assert!(!control.is_empty());
    Ok(())
}

engine_tests!(
    guardians_see_who_read_their_childs_data,
    deleting_a_family_leaves_no_trace
);
