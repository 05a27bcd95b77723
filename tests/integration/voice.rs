//! The child's own voice (SPEC section 2): feedback on a contact as a record of its own, with
//! its history, that a parent's correction of the contact keeps; the child's own check-ins;
//! who may give and read them (parents never the words, counts only with consent); who may
//! amend a contact; and a program's own attention thresholds.

use chrono::{Duration, Utc};
use kinthread_shared::api::{ChildCheckin, Contact, Feedback, FeedbackHistory, Page, Program};
use kinthread_shared::attention::SignalCode;
use kinthread_shared::reports::{CaseloadReport, FamilyReport};
use kinthread_shared::{ChildFeedback, ContactId, PersonId};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{call, china};

async fn log(app: &TestApp, token: &str, family: impl std::fmt::Display, body: &Value) -> Contact {
    app.post_ok(
        &format!("/api/v1/families/{family}/contacts"),
        Some(token),
        body,
        201,
    )
    .await
    .unwrap()
}

fn feedback(rating: &str, words: Option<&str>) -> Value {
    json!({"client_id": Uuid::now_v7(), "rating": rating, "words": words})
}

fn feedback_path(world: &World, contact: ContactId) -> String {
    format!(
        "/api/v1/families/{}/contacts/{contact}/feedback",
        world.f.id
    )
}

fn codes(report: &FamilyReport, parent: PersonId) -> Vec<SignalCode> {
    report
        .pairs
        .iter()
        .filter(|pair| pair.a.id == parent)
        .flat_map(|pair| pair.signals.iter().map(|s| s.code))
        .collect()
}

async fn a_childs_feedback_is_a_record_of_its_own(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let contact = log(
        &app,
        &world.parent_f,
        f.id,
        &call(f.mother, f.child, 1, Some("did you eat? study hard")),
    )
    .await;
    let path = feedback_path(&world, contact.id);

    // The child says how it felt; a retry answers the first record; another content under
    // the same client id is refused.
    let first = feedback("bad", Some("she only asked about money"));
    let given: Feedback = app
        .post_ok(&path, Some(&world.child_f), &first, 201)
        .await?;
    assert_eq!(given.rating, ChildFeedback::Bad);
    assert_eq!(given.words.as_deref(), Some("she only asked about money"));
    assert_eq!((given.child_id, given.replaced_by), (f.child, None));
    let again: Feedback = app
        .post_ok(&path, Some(&world.child_f), &first, 200)
        .await?;
    assert_eq!(again.id, given.id);
    let mut other = first.clone();
    other["rating"] = json!("good");
    let (status, body) = app.post(&path, Some(&world.child_f), &other).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );

    // The child changes their mind later: a new version; the first stays in the history.
    let changed: Feedback = app
        .post_ok(&path, Some(&world.child_f), &feedback("okay", None), 201)
        .await?;
    let history: FeedbackHistory = app.get_ok(&path, &world.child_f).await?;
    let ids: Vec<_> = history
        .items
        .iter()
        .map(|f| (f.id, f.replaced_by))
        .collect();
    assert_eq!(ids, vec![(changed.id, None), (given.id, Some(changed.id))]);

    // The parent corrects the duration: the feedback follows the correction, nothing is lost.
    let mut corrected = call(f.mother, f.child, 1, Some("did you eat? study hard"));
    corrected["started_at"] = json!(contact.started_at.to_rfc3339());
    corrected["duration_seconds"] = json!(90);
    let amended: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts/{}/amend", f.id, contact.id),
            Some(&world.parent_f),
            &corrected,
            201,
        )
        .await?;
    let moved: FeedbackHistory = app
        .get_ok(&feedback_path(&world, amended.id), &world.admin)
        .await?;
    assert_eq!(moved.items.len(), 2, "{moved:?}");
    assert!(moved.items.iter().all(|f| f.contact_id == amended.id));
    let seen_by_staff: Contact = app
        .get_ok(
            &format!("/api/v1/families/{}/contacts/{}", f.id, amended.id),
            &world.staff_a,
        )
        .await?;
    assert_eq!(seen_by_staff.child_feedback, Some(ChildFeedback::Okay));
    // Feedback given on the old version goes to the current one.
    let late: Feedback = app
        .post_ok(&path, Some(&world.child_f), &feedback("good", None), 201)
        .await?;
    assert_eq!(late.contact_id, amended.id);

    // Staff of the program read the ratings, the words only with the family's consent (F has
    // not consented); admins read everything.
    let staff_view: FeedbackHistory = app
        .get_ok(&feedback_path(&world, amended.id), &world.staff_a)
        .await?;
    let oldest = staff_view.items.last().unwrap();
    assert_eq!(
        (oldest.words.as_deref(), oldest.words_withheld),
        (None, true)
    );
    let admin_view: FeedbackHistory = app
        .get_ok(&feedback_path(&world, amended.id), &world.admin)
        .await?;
    assert_eq!(
        admin_view.items.last().unwrap().words.as_deref(),
        Some("she only asked about money")
    );
    let list: Page<Feedback> = app
        .get_ok(
            &format!("/api/v1/families/{}/feedback", f.id),
            &world.staff_a,
        )
        .await?;
    assert_eq!(list.items.len(), 1, "only the version in force is listed");

    // Parents and caregivers never read it record by record, not even the rating.
    for token in [&world.parent_f, &world.caregiver_f] {
        let (status, _) = app.get(&feedback_path(&world, amended.id), token).await?;
        assert_eq!(status, 403);
        let (status, _) = app
            .get(&format!("/api/v1/families/{}/feedback", f.id), token)
            .await?;
        assert_eq!(status, 403);
    }
    let seen_by_parent: Contact = app
        .get_ok(
            &format!("/api/v1/families/{}/contacts/{}", f.id, amended.id),
            &world.parent_f,
        )
        .await?;
    assert_eq!(seen_by_parent.child_feedback, None);
    // Staff of another program, and another family's parent, do not reach it at all.
    for token in [&world.staff_b, &world.parent_g] {
        let (status, _) = app.get(&feedback_path(&world, amended.id), token).await?;
        assert_eq!(status, 403);
    }

    // Nobody gives feedback for the child.
    let newest = amended.id;
    for token in [
        &world.parent_f,
        &world.caregiver_f,
        &world.staff_a,
        &world.admin,
    ] {
        let (status, body) = app
            .post(
                &feedback_path(&world, newest),
                Some(token),
                &feedback("good", None),
            )
            .await?;
        assert_eq!(status, 403, "{body}");
    }
    // Nor on a contact the child did not take part in.
    let without_child = log(
        &app,
        &world.parent_f,
        f.id,
        &call(f.mother, f.grandmother, 2, None),
    )
    .await;
    let (status, body) = app
        .post(
            &feedback_path(&world, without_child.id),
            Some(&world.child_f),
            &feedback("bad", None),
        )
        .await?;
    assert_eq!(status, 403, "{body}");
    // A feedback dated before its contact is refused.
    let mut too_early = feedback("bad", None);
    too_early["given_at"] = json!(
        (Utc::now() - Duration::days(30))
            .with_timezone(&china())
            .to_rfc3339()
    );
    let (status, body) = app.post(&path, Some(&world.child_f), &too_early).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    Ok(())
}

async fn only_the_recorder_or_an_admin_amends_a_contact(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let contact = log(
        &app,
        &world.parent_f,
        f.id,
        &call(f.mother, f.child, 3, Some("ate?")),
    )
    .await;
    let amend = format!("/api/v1/families/{}/contacts/{}/amend", f.id, contact.id);
    let mut correction = call(f.mother, f.child, 3, Some("we talked about her friends"));
    correction["started_at"] = json!(contact.started_at.to_rfc3339());
    // The child took part but did not record it; the grandmother neither.
    for token in [&world.child_f, &world.caregiver_f] {
        let (status, body) = app.post(&amend, Some(token), &correction).await?;
        assert_eq!(status, 403, "{body}");
    }
    let stored: Contact = app
        .get_ok(
            &format!("/api/v1/families/{}/contacts/{}", f.id, contact.id),
            &world.parent_f,
        )
        .await?;
    assert_eq!(
        stored.superseded_by, None,
        "a refused amendment changed nothing"
    );
    assert_eq!(stored.content.as_deref(), Some("ate?"));
    // The recorder may; so may an admin (on the newest version).
    let by_parent: Contact = app
        .post_ok(&amend, Some(&world.parent_f), &correction, 201)
        .await?;
    let mut by_admin = correction.clone();
    by_admin["client_id"] = json!(Uuid::now_v7());
    by_admin["duration_seconds"] = json!(300);
    let _: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts/{}/amend", f.id, by_parent.id),
            Some(&world.admin),
            &by_admin,
            201,
        )
        .await?;
    // A child amends what they recorded themself.
    let mut own = call(f.child, f.mother, 2, None);
    own["child_feedback"] = json!("good");
    let childs = log(&app, &world.child_f, f.id, &own).await;
    assert_eq!(childs.child_feedback, Some(ChildFeedback::Good));
    let mut own_fix = call(f.child, f.mother, 2, None);
    own_fix["started_at"] = json!(childs.started_at.to_rfc3339());
    own_fix["duration_seconds"] = json!(30);
    let fixed: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts/{}/amend", f.id, childs.id),
            Some(&world.child_f),
            &own_fix,
            201,
        )
        .await?;
    // The rating given when logging is a feedback record, kept through the correction.
    assert_eq!(fixed.child_feedback, Some(ChildFeedback::Good));
    Ok(())
}

async fn the_childs_own_checkins(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/child-checkins", world.f.id);
    let body = json!({
        "client_id": Uuid::now_v7(),
        "observed_at": Utc::now().with_timezone(&china()).to_rfc3339(),
        "mood": 2,
        "words": "  I miss mum  ",
    });
    let stored: ChildCheckin = app.post_ok(&path, Some(&world.child_f), &body, 201).await?;
    assert_eq!((stored.mood, stored.child_id), (2, world.f.child));
    assert_eq!(stored.words.as_deref(), Some("I miss mum"));
    let again: ChildCheckin = app.post_ok(&path, Some(&world.child_f), &body, 200).await?;
    assert_eq!(again.id, stored.id);
    for (bad, field) in [(json!(0), "mood"), (json!(6), "mood")] {
        let mut wrong = body.clone();
        wrong["client_id"] = json!(Uuid::now_v7());
        wrong[field] = bad;
        let (status, answer) = app.post(&path, Some(&world.child_f), &wrong).await?;
        assert_eq!(status, 422, "{answer}");
    }
    // Only the child records it.
    for token in [
        &world.parent_f,
        &world.caregiver_f,
        &world.staff_a,
        &world.admin,
    ] {
        let mut other = body.clone();
        other["client_id"] = json!(Uuid::now_v7());
        let (status, _) = app.post(&path, Some(token), &other).await?;
        assert_eq!(status, 403);
    }
    // The child and admins read the words; staff without the family's consent the mood only.
    let own: Page<ChildCheckin> = app.get_ok(&path, &world.child_f).await?;
    assert_eq!(own.items[0].words.as_deref(), Some("I miss mum"));
    let admin: Page<ChildCheckin> = app.get_ok(&path, &world.admin).await?;
    assert_eq!(admin.items[0].words.as_deref(), Some("I miss mum"));
    let staff: Page<ChildCheckin> = app.get_ok(&path, &world.staff_a).await?;
    assert_eq!(
        (staff.items[0].mood, staff.items[0].words.as_deref()),
        (2, None)
    );
    assert!(staff.items[0].words_withheld);
    for token in [
        &world.parent_f,
        &world.caregiver_f,
        &world.staff_b,
        &world.parent_g,
    ] {
        let (status, _) = app.get(&path, token).await?;
        assert_eq!(status, 403);
    }
    Ok(())
}

async fn child_unhappy_reaches_parents_only_as_counts_with_consent(
    app: TestApp,
) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    for days_ago in [3, 6] {
        let contact = log(
            &app,
            &world.parent_f,
            f.id,
            &call(f.mother, f.child, days_ago, Some("do you have money?")),
        )
        .await;
        let _: Feedback = app
            .post_ok(
                &feedback_path(&world, contact.id),
                Some(&world.child_f),
                &feedback("bad", Some("she never asks how I am")),
                201,
            )
            .await?;
    }
    let _: ChildCheckin = app
        .post_ok(
            &format!("/api/v1/families/{}/child-checkins", f.id),
            Some(&world.child_f),
            &json!({"client_id": Uuid::now_v7(),
                    "observed_at": Utc::now().with_timezone(&china()).to_rfc3339(), "mood": 1}),
            201,
        )
        .await?;
    let report_path = format!("/api/v1/families/{}/report", f.id);

    // Staff see the signal and the counts (and the mood), never the words.
    let staff: FamilyReport = app.get_ok(&report_path, &world.staff_a).await?;
    assert!(
        codes(&staff, f.mother).contains(&SignalCode::ChildUnhappy),
        "{staff:?}"
    );
    let voice = staff.child_voice.clone().unwrap();
    assert_eq!(
        (voice.feedback_bad, voice.checkins, voice.mean_mood),
        (2, 1, Some(1.0))
    );
    let raw = serde_json::to_string(&staff)?;
    assert!(
        !raw.contains("never asks"),
        "the words never reach a report"
    );
    let caseload: CaseloadReport = app
        .get_ok("/api/v1/reports/caseload", &world.staff_a)
        .await?;
    let row = caseload.rows.iter().find(|r| r.family_id == f.id).unwrap();
    assert!(
        row.signals
            .iter()
            .any(|s| s.code == SignalCode::ChildUnhappy)
    );

    // The parent, without the guardian's consent: no counts, no signal.
    let parent: FamilyReport = app.get_ok(&report_path, &world.parent_f).await?;
    assert_eq!(parent.child_voice, None);
    assert!(!codes(&parent, f.mother).contains(&SignalCode::ChildUnhappy));

    // With it: counts only, no moods, and the signal.
    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/families/{}", f.id),
            Some(&world.admin),
            Some(&json!({"consent": {"guardian_consent": true,
                "child_feedback_visible_to_parents": true}})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let parent: FamilyReport = app.get_ok(&report_path, &world.parent_f).await?;
    let voice = parent.child_voice.clone().unwrap();
    assert_eq!(
        (voice.feedback_bad, voice.checkins, voice.mean_mood),
        (2, 1, None)
    );
    assert!(codes(&parent, f.mother).contains(&SignalCode::ChildUnhappy));
    assert!(!serde_json::to_string(&parent)?.contains("never asks"));
    Ok(())
}

async fn a_program_sets_its_own_thresholds(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let contact = log(
        &app,
        &world.parent_f,
        f.id,
        &call(f.mother, f.child, 2, None),
    )
    .await;
    let _: Feedback = app
        .post_ok(
            &feedback_path(&world, contact.id),
            Some(&world.child_f),
            &feedback("bad", None),
            201,
        )
        .await?;
    let report_path = format!("/api/v1/families/{}/report", f.id);
    let before: FamilyReport = app.get_ok(&report_path, &world.staff_a).await?;
    assert!(!codes(&before, f.mother).contains(&SignalCode::ChildUnhappy));

    let program = format!("/api/v1/programs/{}", world.program_a);
    let patch = |body: Value, token: &str| {
        let token = token.to_owned();
        let program = program.clone();
        let app = &app;
        async move {
            app.send(reqwest::Method::PATCH, &program, Some(&token), Some(&body))
                .await
        }
    };
    // One bad feedback is enough in this program.
    let (status, body) = patch(
        json!({"attention_thresholds": {"unhappy_min_bad_feedbacks": 1}}),
        &world.admin,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let changed: Program = serde_json::from_value(body)?;
    assert_eq!(changed.attention_thresholds.unhappy_min_bad_feedbacks, 1);
    assert_eq!(
        changed.attention_thresholds.calls_unanswered_min_attempts,
        4
    );
    let after: FamilyReport = app.get_ok(&report_path, &world.staff_a).await?;
    assert!(
        codes(&after, f.mother).contains(&SignalCode::ChildUnhappy),
        "{after:?}"
    );
    let caseload: CaseloadReport = app
        .get_ok("/api/v1/reports/caseload", &world.staff_a)
        .await?;
    let row = caseload.rows.iter().find(|r| r.family_id == f.id).unwrap();
    assert!(
        row.signals
            .iter()
            .any(|s| s.code == SignalCode::ChildUnhappy)
    );

    // Thresholds that make no sense are refused, each by its field; nothing changes.
    let (status, body) = patch(
        json!({"attention_thresholds": {"calls_unanswered_min_attempts": 0,
                                        "routine_only_share_at_least": 1.5}}),
        &world.admin,
    )
    .await?;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "attention_thresholds.calls_unanswered_min_attempts",
            "attention_thresholds.routine_only_share_at_least"
        ]
    );
    let (status, _) = patch(
        json!({"attention_thresholds": {"no_such": 1}}),
        &world.admin,
    )
    .await?;
    assert_eq!(status, 400);
    // Only admins change a program, and names stay unique.
    for token in [&world.staff_a, &world.parent_f] {
        let (status, _) = patch(json!({"name": "Mine"}), token).await?;
        assert_eq!(status, 403);
    }
    let (status, body) = patch(json!({"name": "Program B"}), &world.admin).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("duplicate_name"))
    );
    let (status, body) = patch(
        json!({"name": "河南留守儿童关爱项目", "target_cadence_days": 10}),
        &world.admin,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "河南留守儿童关爱项目");
    assert_eq!(body["target_cadence_days"], 10);
    // Audited with what changed; `{}` restores the defaults.
    let audit: Value = app.get_ok("/api/v1/audit?limit=5", &world.admin).await?;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "program.update")
        .unwrap();
    let target = entry["target"].as_str().unwrap();
    assert!(
        target.contains("name \"Program A\" -> \"河南留守儿童关爱项目\""),
        "{target}"
    );
    assert!(target.contains("target_cadence_days 7 -> 10"), "{target}");
    let (status, body) = patch(json!({"attention_thresholds": {}}), &world.admin).await?;
    assert_eq!(status, 200);
    assert_eq!(body["attention_thresholds"]["unhappy_min_bad_feedbacks"], 2);
    Ok(())
}

/// With two children in a family, each child gives and reads only their own.
async fn a_child_sees_only_their_own_voice(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let sister: kinthread_shared::api::Person = app
        .post_ok(
            &format!("/api/v1/families/{}/persons", f.id),
            Some(&world.admin),
            &json!({"display_name": "Sister", "role": "child", "birth_year": 2011}),
            201,
        )
        .await?;
    let _: Value = app
        .post_ok(
            "/api/v1/users",
            Some(&world.admin),
            &json!({"username": "sister-f", "password": kinthread_tests::fixtures::PASSWORD,
                    "role": "child", "family_id": f.id, "person_id": sister.id}),
            201,
        )
        .await?;
    let sister_token = kinthread_tests::fixtures::login(&app, "sister-f").await?;
    let with_brother = log(
        &app,
        &world.parent_f,
        f.id,
        &call(f.mother, f.child, 1, None),
    )
    .await;
    let path = feedback_path(&world, with_brother.id);
    let _: Feedback = app
        .post_ok(
            &path,
            Some(&world.child_f),
            &feedback("bad", Some("mine")),
            201,
        )
        .await?;
    let checkins = format!("/api/v1/families/{}/child-checkins", f.id);
    let _: ChildCheckin = app
        .post_ok(
            &checkins,
            Some(&world.child_f),
            &json!({"client_id": Uuid::now_v7(),
                    "observed_at": Utc::now().with_timezone(&china()).to_rfc3339(),
                    "mood": 2, "words": "mine"}),
            201,
        )
        .await?;
    // The sister did not take part in the call: she cannot rate it, nor read her brother's.
    let (status, _) = app
        .post(&path, Some(&sister_token), &feedback("good", None))
        .await?;
    assert_eq!(status, 403);
    let history: FeedbackHistory = app.get_ok(&path, &sister_token).await?;
    assert!(history.items.is_empty(), "{history:?}");
    let list: Page<Feedback> = app
        .get_ok(
            &format!("/api/v1/families/{}/feedback", f.id),
            &sister_token,
        )
        .await?;
    assert!(list.items.is_empty());
    let theirs: Page<ChildCheckin> = app.get_ok(&checkins, &sister_token).await?;
    assert!(theirs.items.is_empty());
    // Her own check-in is hers alone.
    let own: ChildCheckin = app
        .post_ok(
            &checkins,
            Some(&sister_token),
            &json!({"client_id": Uuid::now_v7(),
                    "observed_at": Utc::now().with_timezone(&china()).to_rfc3339(), "mood": 4}),
            201,
        )
        .await?;
    assert_eq!(own.child_id, sister.id);
    let mine: Page<ChildCheckin> = app.get_ok(&checkins, &world.child_f).await?;
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].child_id, f.child);
    Ok(())
}

engine_tests!(
    a_childs_feedback_is_a_record_of_its_own,
    only_the_recorder_or_an_admin_amends_a_contact,
    the_childs_own_checkins,
    child_unhappy_reaches_parents_only_as_counts_with_consent,
    a_program_sets_its_own_thresholds,
    a_child_sees_only_their_own_voice,
);
