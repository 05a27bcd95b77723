//! Family bundles through the real server: who may export what, a lossless round trip into
//! a second fresh installation, idempotent re-import, conflicts refused, the JSON Schema
//! against a real export, and the offline report equal to the server's.

use kinthread_server::app::MAX_JSON_BODY_BYTES;
use kinthread_shared::api::{Contact, Page};
use kinthread_shared::bundle::{Bundle, BundleImportReport, FamilyImportStatus, Withheld};
use kinthread_shared::reports::FamilyReport;
use kinthread_tests::fixtures::{World, admin_token, grow_first_family};
use kinthread_tests::{Engine, TestApp, engine_tests};
use serde_json::{Value, json};

use crate::call;

/// Family F with some history: notes, an amendment, a check-in, a staff follow-up, and a
/// mother with two numbers.
async fn history(app: &TestApp, world: &World) -> anyhow::Result<()> {
    let f = &world.f;
    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/families/{}/persons/{}", f.id, f.mother),
            Some(&world.admin),
            Some(&json!({"phones": ["+86 138 0013 8000", "447700900123"]})),
        )
        .await?;
    anyhow::ensure!(status == 200, "{body}");
    let contacts = format!("/api/v1/families/{}/contacts", f.id);
    let notes = [
        Some("想你了，别难过"),
        None,
        Some("asked if he ate, study hard"),
    ];
    let mut first: Option<Contact> = None;
    for (days, note) in [3, 9, 20].into_iter().zip(notes) {
        let contact: Contact = app
            .post_ok(
                &contacts,
                Some(&world.parent_f),
                &call(f.mother, f.child, days, note),
                201,
            )
            .await?;
        first.get_or_insert(contact);
    }
    let first = first.ok_or_else(|| anyhow::anyhow!("no contact"))?;
    // The child rates the call, then changes the rating; both versions travel.
    for rating in ["bad", "okay"] {
        let _: Value = app
            .post_ok(
                &format!("{contacts}/{}/feedback", first.id),
                Some(&world.child_f),
                &json!({"client_id": uuid::Uuid::now_v7(), "rating": rating, "words": "只问成绩"}),
                201,
            )
            .await?;
    }
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{}/child-checkins", f.id),
            Some(&world.child_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "mood": 2, "words": "想妈妈",
                    "observed_at": chrono::Utc::now().with_timezone(&crate::china()).to_rfc3339()}),
            201,
        )
        .await?;
    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/programs/{}", world.program_a),
            Some(&world.admin),
            Some(&json!({"attention_thresholds": {"unhappy_min_bad_feedbacks": 1}})),
        )
        .await?;
    anyhow::ensure!(status == 200, "{body}");
    let _: Contact = app
        .post_ok(
            &format!("{contacts}/{}/amend", first.id),
            Some(&world.parent_f),
            &call(f.mother, f.child, 3, Some("想你了，生日快乐")),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{}/checkins", f.id),
            Some(&world.caregiver_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "child_id": f.child,
                    "observed_at": chrono::Utc::now().with_timezone(&crate::china()).to_rfc3339(),
                    "mood": 2, "school": "不爱说话"}),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            &format!("/api/v1/families/{}/follow-ups", f.id),
            Some(&world.staff_a),
            &json!({"outcome": "remind_later", "reason": "mother works nights"}),
            201,
        )
        .await?;
    Ok(())
}

fn without_export_time(mut bundle: Bundle) -> Bundle {
    bundle.exported_at = chrono::DateTime::UNIX_EPOCH;
    bundle
}

async fn bundle_round_trip(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    history(&app, &world).await?;
    let path = format!("/api/v1/families/{}/bundle", world.f.id);
    let exported: Bundle = app.get_ok(&path, &world.admin).await?;
    assert!(exported.is_complete());
    let record = &exported.families[0];
    assert_eq!(record.persons.len(), 4);
    assert_eq!(record.contacts.len(), 4, "the amended version is kept");
    assert_eq!(
        record
            .contacts
            .iter()
            .filter(|c| c.superseded_by.is_some())
            .count(),
        1
    );
    assert!(record.contacts.iter().any(|c| c.depth.is_some()));
    assert_eq!(record.checkins.len(), 1);
    assert_eq!(record.follow_ups.len(), 1);
    assert_eq!(exported.programs.len(), 1);
    assert_eq!(
        record.feedback.len(),
        2,
        "both versions of the child's feedback"
    );
    assert_eq!(
        record
            .feedback
            .iter()
            .filter(|f| f.replaced_by.is_none())
            .count(),
        1
    );
    assert_eq!(record.child_checkins.len(), 1);
    assert_eq!(
        exported.programs[0]
            .attention_thresholds
            .as_ref()
            .map(|t| t.unhappy_min_bad_feedbacks),
        Some(1)
    );
    let mother = record
        .persons
        .iter()
        .find(|p| p.id == world.f.mother)
        .unwrap();
    assert_eq!(mother.phones, vec!["+8613800138000", "+447700900123"]);
    assert_eq!(mother.phone.as_deref(), Some("+8613800138000"));

    // The schema in the repository describes what the server writes.
    let schema: Value = serde_json::from_str(include_str!("../../docs/bundle.schema.json"))?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| anyhow::anyhow!("{e}"))?;
    let instance = serde_json::to_value(&exported)?;
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = instance.clone();
    broken["families"][0]["contacts"][0]["kind"] = json!("telegram");
    assert!(!validator.is_valid(&broken));

    // A second, fresh installation on the same engine.
    let engine = if app.db_url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let Some(other) = TestApp::spawn(engine).await? else {
        return Ok(());
    };
    let other_admin = admin_token(&other).await?;
    let imported: BundleImportReport = other
        .post_ok("/api/v1/bundles", Some(&other_admin), &exported, 200)
        .await?;
    assert_eq!(imported.families[0].status, FamilyImportStatus::Created);
    assert_eq!(imported.families[0].created.contacts, 4);
    assert_eq!(imported.families[0].created.follow_ups, 1);
    assert_eq!(imported.families[0].created.feedback, 2);
    assert_eq!(imported.families[0].created.child_checkins, 1);
    let again: Bundle = other.get_ok(&path, &other_admin).await?;
    assert_eq!(
        without_export_time(again.clone()),
        without_export_time(exported.clone()),
        "export → import → export loses nothing"
    );

    // Importing the same bundle twice changes nothing.
    let twice: BundleImportReport = other
        .post_ok("/api/v1/bundles", Some(&other_admin), &exported, 200)
        .await?;
    assert_eq!(twice.families[0].status, FamilyImportStatus::Existing);
    assert_eq!(twice.families[0].existing.contacts, 4);
    assert_eq!(twice.families[0].created, Default::default());

    // The reports agree: the server on both installations, and the bundle offline.
    let as_of = chrono::Utc::now();
    let report_path = format!(
        "/api/v1/families/{}/report?as_of={}",
        world.f.id,
        as_of.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let here: FamilyReport = app.get_ok(&report_path, &world.admin).await?;
    let there: FamilyReport = other.get_ok(&report_path, &other_admin).await?;
    assert_eq!(here, there);
    let offline = exported.family_report(&exported.families[0], here.as_of, here.window_days)?;
    assert_eq!(offline, here, "the offline report is the server's");
    assert!(here.child_voice.is_some());

    // A version-1 file (the child's feedback as a field of the contact) still imports: the
    // field becomes the first version of a feedback record.
    let Some(third) = TestApp::spawn(engine).await? else {
        return Ok(());
    };
    let third_admin = admin_token(&third).await?;
    let mut old = serde_json::to_value(&exported)?;
    old["version"] = json!(1);
    old["programs"][0]
        .as_object_mut()
        .map(|p| p.remove("attention_thresholds"));
    let family = old["families"][0].as_object_mut().unwrap();
    family.remove("feedback");
    family.remove("child_checkins");
    for contact in family["contacts"].as_array_mut().unwrap() {
        if contact["superseded_by"].is_null() && contact["content"] == json!("想你了，生日快乐")
        {
            contact["child_feedback"] = json!("bad");
        }
    }
    let imported: BundleImportReport = third
        .post_ok("/api/v1/bundles", Some(&third_admin), &old, 200)
        .await?;
    assert_eq!(imported.families[0].created.feedback, 1, "{imported:?}");
    let listed: Value = third
        .get_ok(
            &format!("/api/v1/families/{}/feedback", world.f.id),
            &third_admin,
        )
        .await?;
    assert_eq!(listed["items"][0]["rating"], "bad");
    assert_eq!(listed["items"][0]["child_id"], json!(world.f.child));

    // A person whose numbers differ is a conflict.
    let mut renumbered = exported.clone();
    for person in &mut renumbered.families[0].persons {
        if person.id == world.f.mother {
            person.phones.reverse();
            person.phone = person.phones.first().cloned();
        }
    }
    let (status, body) = other
        .post("/api/v1/bundles", Some(&other_admin), &renumbered)
        .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );

    // A record that differs is a conflict, and nothing of the family is written.
    let mut changed = exported.clone();
    changed.families[0].contacts[0].content = Some("changed".into());
    let extra = kinthread_shared::bundle::BundleCheckin {
        id: kinthread_shared::CheckinId::new(),
        client_id: uuid::Uuid::now_v7(),
        ..changed.families[0].checkins[0].clone()
    };
    changed.families[0].checkins.push(extra);
    let (status, body) = other
        .post("/api/v1/bundles", Some(&other_admin), &changed)
        .await?;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let after: Bundle = other.get_ok(&path, &other_admin).await?;
    assert_eq!(after.families[0].checkins.len(), 1, "rolled back");

    // A bundle with data withheld cannot be imported without loss.
    let staff_copy: Bundle = app.get_ok(&path, &world.staff_a).await?;
    let (status, body) = other
        .post("/api/v1/bundles", Some(&other_admin), &staff_copy)
        .await?;
    assert_eq!(status, 422, "{body}");
    // An inconsistent bundle is a 422 naming the place, never a 500.
    let mut dangling = exported.clone();
    dangling.families[0].contacts[0].initiator = kinthread_shared::PersonId::new();
    let (status, body) = other
        .post("/api/v1/bundles", Some(&other_admin), &dangling)
        .await?;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("contacts[0].initiator"), "{body}");
    Ok(())
}

async fn bundle_export_follows_the_reader(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    history(&app, &world).await?;
    let path = format!("/api/v1/families/{}/bundle", world.f.id);

    // Staff of the program, without consent to share notes: no content, no phone numbers.
    let staff: Bundle = app.get_ok(&path, &world.staff_a).await?;
    assert_eq!(staff.withheld, vec![Withheld::Content, Withheld::Phones]);
    let record = &staff.families[0];
    assert!(
        record
            .contacts
            .iter()
            .all(|c| c.content.is_none() && c.request_hash.is_none())
    );
    assert!(
        record.contacts.iter().any(|c| c.depth.is_some()),
        "scores stay"
    );
    assert!(record.checkins.iter().all(|c| c.school.is_none()));
    assert!(record.persons.iter().all(|p| p.phone.is_none()));
    // The child's ratings and moods, not the child's words.
    assert_eq!(record.feedback.len(), 2);
    assert!(record.feedback.iter().all(|f| f.words.is_none()));
    assert!(
        record
            .child_checkins
            .iter()
            .all(|c| c.words.is_none() && c.mood == 2)
    );

    // Parents: their phones and notes, not the staff's follow-ups.
    let parent: Bundle = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(
        parent.withheld,
        vec![Withheld::ChildFeedback, Withheld::FollowUps]
    );
    let record = &parent.families[0];
    assert!(record.follow_ups.is_empty());
    assert!(record.feedback.is_empty() && record.child_checkins.is_empty());
    assert!(record.persons.iter().any(|p| p.phone.is_some()));
    assert!(record.contacts.iter().any(|c| c.content.is_some()));

    // With consent, staff see the notes (still no phones).
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/families/{}", world.f.id),
            Some(&world.parent_f),
            Some(&json!({"consent": {"guardian_consent": true, "share_notes_with_staff": true}})),
        )
        .await?;
    assert_eq!(status, 200);
    let staff: Bundle = app.get_ok(&path, &world.staff_a).await?;
    assert_eq!(
        staff.withheld,
        vec![Withheld::Content, Withheld::Phones],
        "notes only with a stated purpose"
    );
    let staff: Bundle = app
        .get_ok(&format!("{path}?purpose=case%20review"), &world.staff_a)
        .await?;
    assert_eq!(staff.withheld, vec![Withheld::Phones]);
    assert!(
        staff.families[0]
            .contacts
            .iter()
            .any(|c| c.content.is_some())
    );

    // Refused: the child, another program's staff, another family's parent.
    for token in [&world.child_f, &world.staff_b, &world.parent_g] {
        let (status, body) = app.get(&path, token).await?;
        assert_eq!(status, 403, "{body}");
    }
    // Only admins import.
    let (status, _) = app
        .post("/api/v1/bundles", Some(&world.parent_f), &parent)
        .await?;
    assert_eq!(status, 403);

    // Every export is audited.
    let audit: Page<Value> = app.get_ok("/api/v1/audit?limit=200", &world.admin).await?;
    let exports = audit
        .items
        .iter()
        .filter(|e| e["action"] == "bundle.export")
        .count();
    assert!(exports >= 3, "{audit:?}");
    Ok(())
}

/// An admin's export of a family larger than the JSON body limit moves to a second
/// installation whole; bad input inside as large a bundle is a clear error with nothing of
/// the family written; a bundle over the server's bundle limit is refused with 413.
async fn a_bundle_over_the_json_limit_imports(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let _: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts", f.id),
            Some(&world.parent_f),
            &call(f.mother, f.child, 1, Some("想你了")),
            201,
        )
        .await?;
    let path = format!("/api/v1/families/{}/bundle", f.id);
    let mut large: Bundle = app.get_ok(&path, &world.admin).await?;
    grow_first_family(&mut large, 12_000)?;
    let body = serde_json::to_vec(&large)?;
    assert!(
        body.len() > MAX_JSON_BODY_BYTES,
        "{} bytes: not over the limit",
        body.len()
    );

    let engine = if app.db_url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let Some(other) = TestApp::spawn(engine).await? else {
        return Ok(());
    };
    let admin = admin_token(&other).await?;
    let import = |body: Vec<u8>| {
        other
            .client
            .post(other.url("/api/v1/bundles"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let nothing_written = async || -> anyhow::Result<()> {
        let (status, body) = other
            .get(&format!("/api/v1/families/{}", f.id), &admin)
            .await?;
        anyhow::ensure!(status == 404, "the family was written: {status} {body}");
        Ok(())
    };

    // Bad input at the far end of the large bundle: the place is named, nothing written.
    let mut dangling = large.clone();
    let last = dangling.families[0].contacts.len() - 1;
    dangling.families[0].contacts[last].initiator = kinthread_shared::PersonId::new();
    let answer = import(serde_json::to_vec(&dangling)?).await?;
    let status = answer.status().as_u16();
    let refusal: Value = answer.json().await?;
    assert_eq!(
        (status, refusal["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert!(
        refusal
            .to_string()
            .contains(&format!("contacts[{last}].initiator")),
        "{refusal}"
    );
    nothing_written().await?;
    // Cut off two thirds of the way: not JSON, nothing written.
    let answer = import(body[..body.len() * 2 / 3].to_vec()).await?;
    let status = answer.status().as_u16();
    let refusal: Value = answer.json().await?;
    assert_eq!(
        (status, refusal["error"]["code"].as_str()),
        (400, Some("invalid_body")),
        "{refusal}"
    );
    nothing_written().await?;

    // The whole bundle imports, in one transaction, and exports back the same.
    let answer = import(body.clone()).await?;
    assert_eq!(answer.status().as_u16(), 200);
    let imported: BundleImportReport = answer.json().await?;
    assert_eq!(imported.families[0].status, FamilyImportStatus::Created);
    assert_eq!(imported.families[0].created.contacts, 12_000);
    let back: Bundle = other.get_ok(&path, &admin).await?;
    assert_eq!(
        without_export_time(back),
        without_export_time(large.clone()),
        "export → import → export loses nothing"
    );
    // A conflict at the far end: refused, and the family as it was.
    let mut conflicting = large.clone();
    conflicting.families[0].contacts[last].content = Some("changed".into());
    let extra = kinthread_shared::bundle::BundleContact {
        id: kinthread_shared::ContactId::new(),
        client_id: uuid::Uuid::now_v7(),
        ..conflicting.families[0].contacts[0].clone()
    };
    conflicting.families[0].contacts.insert(0, extra);
    let answer = import(serde_json::to_vec(&conflicting)?).await?;
    assert_eq!(answer.status().as_u16(), 409);
    let after: Bundle = other.get_ok(&path, &admin).await?;
    assert_eq!(after.families[0].contacts.len(), 12_000, "rolled back");

    // Over the server's bundle limit: 413 before anything is read, in the envelope.
    let Some(small) = TestApp::spawn_with(engine, |settings| {
        settings.edge.max_bundle_bytes = 1024 * 1024;
    })
    .await?
    else {
        return Ok(());
    };
    let small_admin = admin_token(&small).await?;
    let answer = small
        .client
        .post(small.url("/api/v1/bundles"))
        .bearer_auth(&small_admin)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = answer.status().as_u16();
    let refusal: Value = answer.json().await?;
    assert_eq!(
        (status, refusal["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{refusal}"
    );
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("1048576"),
        "{refusal}"
    );
    Ok(())
}

engine_tests!(
    bundle_round_trip,
    bundle_export_follows_the_reader,
    a_bundle_over_the_json_limit_imports
);
