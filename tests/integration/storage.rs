//! What the storage layer promises, tried on both engines: the database decides idempotency
//! (concurrent copies of one upload store one row), text with a NUL is refused at the edge,
//! and the caseload's SQL for "last contact" is the shared contact rule.

use chrono::{DateTime, TimeZone, Utc};
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_server::store;
use kinthread_server::store::contacts::{ContactRow, ParticipantRow, participant_list};
use kinthread_shared::api::{BatchResponse, Contact, Page};
use kinthread_shared::gaps::{Pair, Window, pair_gaps};
use kinthread_shared::{
    ClientId, ContactEvent, ContactId, ContactKind, ContactSource, ContactStatus, TargetCadence,
    UserId,
};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

use crate::call;

/// Sixteen clients send the same upload at once: one row, and every answer is the same
/// record (201 for the one that stored it, 200 for the others).
async fn concurrent_identical_uploads_store_one_row(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let body = call(world.f.mother, world.f.child, 1, Some("问了吃饭和作业"));
    let answers = send_at_once(&app, &path, &world.parent_f, &body, 16).await?;
    let mut ids = Vec::new();
    let mut created = 0;
    for (status, contact) in answers {
        assert!(status == 200 || status == 201, "{status} {contact}");
        if status == 201 {
            created += 1;
        }
        ids.push(contact["id"].clone());
    }
    assert_eq!(created, 1, "exactly one upload stored the contact");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let page: Page<Contact> = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(page.items.len(), 1);
    Ok(())
}

/// A batch that holds a contact another client stores at the same moment still stores its
/// other items, and the shared one once.
async fn a_batch_with_a_concurrent_duplicate_stores_the_rest(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let shared = call(world.f.mother, world.f.child, 3, None);
    let batch = json!({"contacts": [
        call(world.f.mother, world.f.child, 5, None),
        shared.clone(),
        call(world.f.child, world.f.mother, 4, None),
    ]});
    let batch_path = format!("{path}/batch");
    let single = app.post(&path, Some(&world.parent_f), &shared);
    let many = app.post(&batch_path, Some(&world.parent_f), &batch);
    let (single, many) = tokio::join!(single, many);
    let (status, _) = single?;
    assert!(status == 200 || status == 201, "{status}");
    let (status, body) = many?;
    assert_eq!(status, 200, "{body}");
    let response: BatchResponse = serde_json::from_value(body)?;
    assert_eq!(response.rejected, 0, "{response:?}");
    assert_eq!(response.created + response.existing, 3);
    let page: Page<Contact> = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(
        page.items.len(),
        3,
        "the shared contact once, the others stored"
    );
    Ok(())
}

/// A NUL in any text is a 422 at the edge on both engines, and nothing is stored.
async fn text_with_a_nul_is_refused(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let mut body = call(world.f.mother, world.f.child, 1, Some("晚上\u{0}打了电话"));
    let (status, error) = app.post(&path, Some(&world.parent_f), &body).await?;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("validation_failed")),
        "{error}"
    );
    body["content"] = json!("fine");
    let mut bad = call(world.f.mother, world.f.child, 2, None);
    bad["content"] = json!("a\u{0}b");
    let batch = json!({"contacts": [body, bad]});
    let (status, _) = app
        .post(&format!("{path}/batch"), Some(&world.parent_f), &batch)
        .await?;
    assert_eq!(status, 422);
    let page: Page<Contact> = app.get_ok(&path, &world.parent_f).await?;
    assert!(page.items.is_empty(), "nothing half-written");
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "admin\u{0}", "password": "x"}),
        )
        .await?;
    assert_eq!(status, 422);
    // The letters `\u0000` typed as text are text.
    let mut typed = call(world.f.mother, world.f.child, 3, None);
    typed["content"] = json!("a backslash: \\u0000");
    let (status, stored) = app.post(&path, Some(&world.parent_f), &typed).await?;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["content"], json!("a backslash: \\u0000"));
    Ok(())
}

/// A small deterministic random source (xorshift), so a failing log can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// On random logs, the caseload's last-contact query (`store::reports::last_contacts_before`)
/// gives every pair the last contact that `kinthread_shared::gaps` finds from the same
/// contacts: the SQL is built from the one contact rule, and this shows they agree, odd
/// records included (missed texts, visits that end before they begin, negative durations).
async fn last_contact_query_agrees_with_gaps(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let family = world.f.id;
    let people = [
        world.f.mother,
        world.f.father,
        world.f.child,
        world.f.grandmother,
    ];
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let cut = base + chrono::TimeDelta::days(60);
    let mut rows = Vec::new();
    let mut participants = Vec::new();
    let mut events = Vec::new();
    for _ in 0..400 {
        let kind = random.pick(ContactKind::ALL);
        let status = random.pick(ContactStatus::ALL);
        let started = base + chrono::TimeDelta::minutes(random.below(90 * 24 * 60) as i64);
        let mut who = vec![random.pick(&people)];
        while who.len() < 2 || random.below(4) == 0 {
            let next = random.pick(&people);
            if !who.contains(&next) {
                who.push(next);
            }
            if who.len() == people.len() {
                break;
            }
        }
        who.sort();
        let duration = match random.below(4) {
            0 => None,
            1 => Some(-30),
            _ => Some(random.below(3600) as i64),
        };
        let ended = match random.below(4) {
            0 => None,
            1 => Some(started - chrono::TimeDelta::hours(3)),
            _ => Some(started + chrono::TimeDelta::hours(random.below(24 * 40) as i64)),
        };
        let id = ContactId::new();
        rows.push(ContactRow {
            family_id: family,
            id,
            client_id: ClientId::new(),
            request_hash: "v1:test".into(),
            kind,
            status,
            initiator_id: who[0],
            started_at: started.timestamp_millis(),
            utc_offset_seconds: 8 * 3600,
            duration_seconds: duration,
            ended_at: ended.map(|e| e.timestamp_millis()),
            ended_offset_seconds: ended.map(|_| 8 * 3600),
            content: None,
            talked_most: None,
            child_feedback: None,
            depth_score: None,
            depth_level: None,
            depth_lexicon: None,
            source: ContactSource::Cli,
            recorded_by: UserId::new(),
            recorded_at: started.timestamp_millis(),
            supersedes: None,
            superseded_by: None,
            participant_ids: Some(participant_list(&who)),
        });
        participants.extend(who.iter().map(|&person_id| ParticipantRow {
            family_id: family,
            contact_id: id,
            person_id,
        }));
        events.push(ContactEvent {
            kind,
            status,
            participants: who,
            initiator: people[0],
            started_at: started,
            duration_seconds: duration,
            ended_at: ended,
            depth_score: None,
            depth_level: None,
        });
    }
    let url = DatabaseUrl::parse(&app.db_url)?;
    let before = cut.timestamp_millis();
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let db = Db::connect(&url, 2)?;
        let mut conn = db.write_conn()?;
        store::contacts::insert_rows(&mut conn, &rows, &participants)?;
        Ok(store::reports::last_contacts_before(
            &mut conn,
            &[family],
            before,
        )?)
    })
    .await??;

    // What the query covers: contacts started before the cut, visits still going on at the
    // cut left out (the caseload loads those in full).
    let covered: Vec<ContactEvent> = events
        .into_iter()
        .filter(|e| e.started_at < cut)
        .filter(|e| !(e.kind == ContactKind::Visit && e.ended_at.is_some_and(|end| end >= cut)))
        .collect();
    let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let window = Window::new(base, far)?;
    let mut checked = 0;
    for (i, &a) in people.iter().enumerate() {
        for &b in &people[i + 1..] {
            let pair = Pair::new(a, b, None)?;
            let from_sql: Option<DateTime<Utc>> = found
                .iter()
                .filter(|(f, who, _)| *f == family && who.contains(&a) && who.contains(&b))
                .map(|(_, _, last)| Utc.timestamp_millis_opt(*last).unwrap())
                .max();
            let from_gaps = pair_gaps(
                &covered,
                &pair,
                &window,
                chrono_tz::Asia::Shanghai,
                TargetCadence::DEFAULT,
            )?
            .last_contact_at;
            assert_eq!(from_sql, from_gaps, "pair {a} {b}");
            checked += usize::from(from_gaps.is_some());
        }
    }
    assert!(
        checked >= 4,
        "the random log gave most pairs a contact: {checked}"
    );
    Ok(())
}

/// Sends `body` to `path` from `clients` tasks at once; their answers.
async fn send_at_once(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &Value,
    clients: usize,
) -> anyhow::Result<Vec<(u16, Value)>> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url) = (app.client.clone(), app.url(path));
        let (token, body, start) = (token.to_owned(), body.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            let status = response.status().as_u16();
            Ok::<_, anyhow::Error>((status, response.json::<Value>().await?))
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await??);
    }
    Ok(answers)
}

engine_tests!(
    concurrent_identical_uploads_store_one_row,
    a_batch_with_a_concurrent_duplicate_stores_the_rest,
    text_with_a_nul_is_refused,
    last_contact_query_agrees_with_gaps,
);
