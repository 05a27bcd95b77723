//! The contact log: idempotent uploads, batches, lists with filters and paging, amendments,
//! check-ins, and what each reader may see of them.

use std::collections::HashSet;

use kinthread_shared::api::{BatchResponse, Checkin, Contact, Page};
use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::World;
use serde_json::json;

use crate::{call, china};

async fn upload_is_idempotent(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let body = call(
        world.f.mother,
        world.f.child,
        2,
        Some("想你了，生日快乐，我们很爱你"),
    );

    let first: Contact = app
        .post_ok(&path, Some(&world.parent_f), &body, 201)
        .await?;
    assert_eq!(first.participants.len(), 2);
    let depth = first.depth.clone().expect("a note gets a depth score");
    assert!(depth.score >= 50.0, "an emotional note: {depth:?}");
    assert!(!depth.lexicon_version.is_empty());
    assert!(
        depth.evidence.iter().any(|e| e.phrase.contains("想你")),
        "the evidence explains the score: {depth:?}"
    );

    // The same upload again returns the first record and stores nothing new.
    let again: Contact = app
        .post_ok(&path, Some(&world.parent_f), &body, 200)
        .await?;
    assert_eq!(again.id, first.id);
    assert_eq!(again, first);

    // Same client id, different content: refused, and the first record stays as it was.
    let mut changed = body.clone();
    changed["duration_seconds"] = json!(999);
    let (status, err) = app.post(&path, Some(&world.parent_f), &changed).await?;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    let stored: Contact = app
        .get_ok(&format!("{path}/{}", first.id), &world.parent_f)
        .await?;
    assert_eq!(stored.duration_seconds, Some(240));
    let page: Page<Contact> = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(page.items.len(), 1);

    // The same client id in another family is another contact.
    let other = call(world.g.mother, world.g.child, 2, None);
    let mut other_same_id = other.clone();
    other_same_id["client_id"] = body["client_id"].clone();
    let g_path = format!("/api/v1/families/{}/contacts", world.g.id);
    let _: Contact = app
        .post_ok(&g_path, Some(&world.parent_g), &other_same_id, 201)
        .await?;
    Ok(())
}

async fn batch_upload(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let mut items: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            call(
                world.f.mother,
                world.f.child,
                1 + i % 80,
                Some("吃饭了吗？钱够不够？"),
            )
        })
        .collect();
    // A repeat of item 0, a bad item, and a text from the child.
    items.push(items[0].clone());
    let mut bad = call(world.f.mother, world.g.child, 3, None);
    bad["client_id"] = json!(uuid::Uuid::now_v7());
    items.push(bad);
    items.push(json!({
        "client_id": uuid::Uuid::now_v7(), "kind": "text",
        "participants": [world.f.child, world.f.mother], "initiator": world.f.child,
        "started_at": chrono::Utc::now().with_timezone(&china()).to_rfc3339(),
        "content": "妈妈我想你",
    }));
    let result: BatchResponse = app
        .post_ok(
            &format!("{path}/batch"),
            Some(&world.parent_f),
            &json!({"contacts": items}),
            200,
        )
        .await?;
    assert_eq!(
        (result.created, result.existing, result.rejected),
        (301, 1, 1),
        "{result:?}"
    );
    assert_eq!(result.results.len(), 303);
    assert_eq!(result.results[300].contact_id, result.results[0].contact_id);
    let rejected = &result.results[301];
    assert_eq!(
        rejected.error.as_ref().map(|e| e.code.as_str()),
        Some("validation_failed")
    );

    // The whole batch again: everything exists already, nothing new.
    let again: BatchResponse = app
        .post_ok(
            &format!("{path}/batch"),
            Some(&world.parent_f),
            &json!({"contacts": items}),
            200,
        )
        .await?;
    assert_eq!((again.created, again.existing, again.rejected), (0, 302, 1));

    // Page through everything: each contact exactly once, newest first.
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut last_start = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=70&cursor={c}"),
            None => format!("{path}?limit=70"),
        };
        let page: Page<Contact> = app.get_ok(&url, &world.parent_f).await?;
        for contact in &page.items {
            assert!(seen.insert(contact.id), "contact listed twice");
            if let Some(previous) = last_start {
                assert!(contact.started_at <= previous, "newest first");
            }
            last_start = Some(contact.started_at);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 301);

    // Filters: kind, person, time range.
    let texts: Page<Contact> = app
        .get_ok(&format!("{path}?kind=text"), &world.parent_f)
        .await?;
    assert_eq!(texts.items.len(), 1);
    let father: Page<Contact> = app
        .get_ok(
            &format!("{path}?person_id={}", world.f.father),
            &world.parent_f,
        )
        .await?;
    assert!(father.items.is_empty());
    let from = (chrono::Utc::now() - chrono::Duration::days(10)).to_rfc3339();
    let recent: Page<Contact> = app
        .get_ok(
            &format!("{path}?limit=200&from={}", urlencode(&from)),
            &world.parent_f,
        )
        .await?;
    assert!(!recent.items.is_empty() && recent.items.len() < 301);
    let ten_days_ago = chrono::Utc::now() - chrono::Duration::days(10);
    assert!(recent.items.iter().all(|c| c.started_at >= ten_days_ago));

    // Batch limits.
    let (status, _) = app
        .post(
            &format!("{path}/batch"),
            Some(&world.parent_f),
            &json!({"contacts": []}),
        )
        .await?;
    assert_eq!(status, 422);
    Ok(())
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn amendments_keep_history(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let original: Contact = app
        .post_ok(
            &path,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, Some("asked about money")),
            201,
        )
        .await?;
    let mut correction = call(
        world.f.mother,
        world.f.child,
        1,
        Some("asked about money, then she cried and said she misses me"),
    );
    correction["duration_seconds"] = json!(600);
    let amended: Contact = app
        .post_ok(
            &format!("{path}/{}/amend", original.id),
            Some(&world.parent_f),
            &correction,
            201,
        )
        .await?;
    assert_eq!(amended.supersedes, Some(original.id));
    assert_eq!(amended.duration_seconds, Some(600));

    let old: Contact = app
        .get_ok(&format!("{path}/{}", original.id), &world.parent_f)
        .await?;
    assert_eq!(old.superseded_by, Some(amended.id));
    assert_eq!(
        old.duration_seconds,
        Some(240),
        "the earlier record is unchanged"
    );

    let current: Page<Contact> = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(
        current.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![amended.id]
    );
    let history: Page<Contact> = app
        .get_ok(&format!("{path}?include_superseded=true"), &world.parent_f)
        .await?;
    assert_eq!(history.items.len(), 2);

    // Retrying the amendment returns it; amending the old version again is refused.
    let retry: Contact = app
        .post_ok(
            &format!("{path}/{}/amend", original.id),
            Some(&world.parent_f),
            &correction,
            200,
        )
        .await?;
    assert_eq!(retry.id, amended.id);
    let second = call(world.f.mother, world.f.child, 1, None);
    let (status, body) = app
        .post(
            &format!("{path}/{}/amend", original.id),
            Some(&world.parent_f),
            &second,
        )
        .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let (status, _) = app
        .post(
            &format!("{path}/{}/amend", uuid::Uuid::now_v7()),
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, None),
        )
        .await?;
    assert_eq!(status, 404);
    Ok(())
}

async fn readers_see_what_they_may(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f_path = format!("/api/v1/families/{}/contacts", world.f.id);
    let g_path = format!("/api/v1/families/{}/contacts", world.g.id);
    let note = "他哭了，说很孤单";
    let with_child: Contact = app
        .post_ok(
            &f_path,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, Some(note)),
            201,
        )
        .await?;
    let parents_only: Contact = app
        .post_ok(
            &f_path,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.grandmother, 1, Some(note)),
            201,
        )
        .await?;
    let _: Contact = app
        .post_ok(
            &g_path,
            Some(&world.parent_g),
            &call(world.g.mother, world.g.child, 1, Some(note)),
            201,
        )
        .await?;

    // Staff of family F's program: scores, never the note (no consent).
    let seen: Page<Contact> = app.get_ok(&f_path, &world.staff_a).await?;
    assert_eq!(seen.items.len(), 2);
    for contact in &seen.items {
        assert_eq!(contact.content, None);
        assert!(contact.content_withheld);
        let depth = contact.depth.as_ref().expect("staff see the score");
        assert!(
            depth.evidence.is_empty(),
            "evidence quotes the note, which staff may not see"
        );
    }
    // Staff of family G's program: G consented, so the note is there.
    let seen: Page<Contact> = app.get_ok(&g_path, &world.staff_b).await?;
    assert_eq!(seen.items[0].content.as_deref(), Some(note));

    // The child sees only contacts they took part in.
    let child_view: Page<Contact> = app.get_ok(&f_path, &world.child_f).await?;
    assert_eq!(
        child_view.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![with_child.id]
    );
    let (status, _) = app
        .get(&format!("{f_path}/{}", parents_only.id), &world.child_f)
        .await?;
    assert_eq!(status, 403);

    // Child feedback: only the child may give it; parents do not see it by default.
    let mut from_child = call(world.f.child, world.f.mother, 0, None);
    from_child["child_feedback"] = json!("bad");
    let stored: Contact = app
        .post_ok(&f_path, Some(&world.child_f), &from_child, 201)
        .await?;
    assert_eq!(
        stored.child_feedback,
        Some(kinthread_shared::ChildFeedback::Bad)
    );
    let parent_view: Contact = app
        .get_ok(&format!("{f_path}/{}", stored.id), &world.parent_f)
        .await?;
    assert_eq!(parent_view.child_feedback, None);
    let mut from_parent = call(world.f.mother, world.f.child, 0, None);
    from_parent["child_feedback"] = json!("good");
    let (status, _) = app
        .post(&f_path, Some(&world.parent_f), &from_parent)
        .await?;
    assert_eq!(status, 422);
    // A child may not log a contact between others.
    let (status, _) = app
        .post(
            &f_path,
            Some(&world.child_f),
            &call(world.f.mother, world.f.father, 0, None),
        )
        .await?;
    assert_eq!(status, 403);

    // Staff reads are audited.
    let audit: serde_json::Value = app
        .get_ok(
            &format!("/api/v1/audit?family_id={}", world.f.id),
            &world.admin,
        )
        .await?;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"contacts.list"), "{audit}");
    Ok(())
}

async fn caregiver_checkins(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/checkins", world.f.id);
    let body = json!({
        "client_id": uuid::Uuid::now_v7(),
        "child_id": world.f.child,
        "observed_at": chrono::Utc::now().with_timezone(&china()).to_rfc3339(),
        "mood": 2,
        "school": "fell behind in maths",
        "worries": "rides to school in the dark",
    });
    let first: Checkin = app
        .post_ok(&path, Some(&world.caregiver_f), &body, 201)
        .await?;
    let again: Checkin = app
        .post_ok(&path, Some(&world.caregiver_f), &body, 200)
        .await?;
    assert_eq!(first.id, again.id);
    let mut bad = body.clone();
    bad["client_id"] = json!(uuid::Uuid::now_v7());
    bad["mood"] = json!(9);
    let (status, _) = app.post(&path, Some(&world.caregiver_f), &bad).await?;
    assert_eq!(status, 422);
    // Parents may read; only caregivers write; children neither.
    let (status, _) = app.post(&path, Some(&world.parent_f), &body).await?;
    assert_eq!(status, 403);
    let parent_view: Page<Checkin> = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(
        parent_view.items[0].worries.as_deref(),
        Some("rides to school in the dark")
    );
    let (status, _) = app.get(&path, &world.child_f).await?;
    assert_eq!(status, 403);
    // Staff: mood yes, text only with consent (family F did not consent).
    let staff_view: Page<Checkin> = app.get_ok(&path, &world.staff_a).await?;
    assert_eq!(staff_view.items[0].mood, 2);
    assert_eq!(staff_view.items[0].worries, None);
    assert!(staff_view.items[0].content_withheld);
    Ok(())
}

engine_tests!(
    upload_is_idempotent,
    batch_upload,
    amendments_keep_history,
    readers_see_what_they_may,
    caregiver_checkins,
);
