//! Consent as a history (SPEC section 3): every gate reads the consent in force at the moment
//! of the read — given, the read is allowed; withdrawn, refused at once; given again, allowed —
//! and who may give or withdraw which consent, through which channel.

use kinthread_shared::api::{Consent, ConsentHistory, ConsentRecord, Contact, Family, Page};
use kinthread_shared::reports::FamilyReport;
use kinthread_shared::{ConsentId, ConsentKind, ConsentVia};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use reqwest::Method;
use serde_json::{Value, json};

use crate::call;

fn consents(world: &World) -> String {
    format!("/api/v1/families/{}/consents", world.f.id)
}

async fn give(app: &TestApp, world: &World, token: &str, body: Value) -> ConsentRecord {
    app.post_ok(&consents(world), Some(token), &body, 201)
        .await
        .unwrap()
}

async fn withdraw(app: &TestApp, world: &World, token: &str, id: ConsentId) -> ConsentRecord {
    app.post_ok(
        &format!("{}/{id}/withdraw", consents(world)),
        Some(token),
        &json!({}),
        200,
    )
    .await
    .unwrap()
}

/// The record of `kind` in force, from the family's history.
async fn in_force(app: &TestApp, world: &World, kind: ConsentKind) -> ConsentId {
    let history: ConsentHistory = app.get_ok(&consents(world), &world.admin).await.unwrap();
    history
        .records
        .iter()
        .find(|r| r.kind == kind && r.withdrawn_at.is_none())
        .map(|r| r.id)
        .unwrap()
}

async fn every_gate_reads_the_consent_in_force(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let contacts = format!("/api/v1/families/{}/contacts", f.id);
    let contact: Contact = app
        .post_ok(
            &contacts,
            Some(&world.parent_f),
            &call(f.mother, f.child, 1, Some("她说想妈妈")),
            201,
        )
        .await?;

    // Gate 1: note text to staff (with a stated purpose).
    let staff_reads_note = async || -> anyhow::Result<bool> {
        let page: Page<Contact> = app
            .get_ok(&format!("{contacts}?purpose=review"), &world.staff_a)
            .await?;
        Ok(page.items[0].content.is_some())
    };
    assert!(!staff_reads_note().await?, "family F has not consented");
    let given = give(
        &app,
        &world,
        &world.parent_f,
        json!({"kind": "share_notes_with_staff"}),
    )
    .await;
    assert_eq!(
        (given.person_id, given.given_via),
        (Some(f.mother), ConsentVia::OwnAccount)
    );
    assert!(staff_reads_note().await?, "given");
    let withdrawn = withdraw(&app, &world, &world.caregiver_f, given.id).await;
    assert!(withdrawn.withdrawn_at.is_some());
    assert!(!staff_reads_note().await?, "withdrawn: refused at once");
    // Given again, on a paper form the grandmother signed, recorded by the program's staff.
    let paper = give(
        &app,
        &world,
        &world.staff_a,
        json!({"kind": "share_notes_with_staff", "person_id": f.grandmother,
               "reference": "form 2026-117"}),
    )
    .await;
    assert_eq!(paper.given_via, ConsentVia::PaperForm);
    assert_eq!(paper.reference.as_deref(), Some("form 2026-117"));
    assert!(staff_reads_note().await?, "given again");

    // Gate 2: the child's own account.
    let child_reads =
        async || -> anyhow::Result<u16> { Ok(app.get(&contacts, &world.child_f).await?.0) };
    assert_eq!(child_reads().await?, 200);
    let account = in_force(&app, &world, ConsentKind::ChildAccount).await;
    withdraw(&app, &world, &world.parent_f, account).await;
    assert_eq!(child_reads().await?, 403, "withdrawn: refused at once");
    give(
        &app,
        &world,
        &world.parent_f,
        json!({"kind": "child_account"}),
    )
    .await;
    assert_eq!(child_reads().await?, 200, "given again");

    // Gate 3: counts of the child's feedback to parents: a guardian's consent and, as the
    // child has an account, the child's own agreement.
    let _: Value = app
        .post_ok(
            &format!("{contacts}/{}/feedback", contact.id),
            Some(&world.child_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "rating": "bad"}),
            201,
        )
        .await?;
    let report = format!("/api/v1/families/{}/report", f.id);
    let parent_sees_counts = async || -> anyhow::Result<bool> {
        let report: FamilyReport = app.get_ok(&report, &world.parent_f).await?;
        Ok(report.child_voice.is_some())
    };
    assert!(!parent_sees_counts().await?);
    give(
        &app,
        &world,
        &world.parent_f,
        json!({"kind": "feedback_counts_to_parents"}),
    )
    .await;
    assert!(!parent_sees_counts().await?, "the child has not agreed");
    let agreed = give(
        &app,
        &world,
        &world.child_f,
        json!({"kind": "child_agrees_feedback_counts"}),
    )
    .await;
    assert_eq!(agreed.person_id, Some(f.child));
    assert!(parent_sees_counts().await?, "given");
    withdraw(&app, &world, &world.child_f, agreed.id).await;
    assert!(!parent_sees_counts().await?, "the child withdrew: at once");
    give(
        &app,
        &world,
        &world.child_f,
        json!({"kind": "child_agrees_feedback_counts"}),
    )
    .await;
    assert!(parent_sees_counts().await?, "given again");

    // Gate 4: anonymous program statistics.
    let counted = async || -> anyhow::Result<u64> {
        let stats: Value = app
            .get_ok(
                &format!("/api/v1/programs/{}/statistics", world.program_a),
                &world.admin,
            )
            .await?;
        assert_eq!(stats["families"], 1);
        Ok(stats["counted"].as_u64().unwrap_or(99))
    };
    assert_eq!(counted().await?, 0);
    let stats = give(
        &app,
        &world,
        &world.parent_f,
        json!({"kind": "anonymous_statistics"}),
    )
    .await;
    assert_eq!(counted().await?, 1, "given");
    withdraw(&app, &world, &world.parent_f, stats.id).await;
    assert_eq!(counted().await?, 0, "withdrawn");
    // Through the family's settings, which change only what they name.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/families/{}", f.id),
            Some(&world.parent_f),
            Some(&json!({"consent": {"anonymous_statistics": true}})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counted().await?, 1, "given again");
    let family: Family = serde_json::from_value(body)?;
    assert_eq!(
        family.consent,
        Consent {
            guardian_consent: true,
            share_notes_with_staff: true,
            child_feedback_visible_to_parents: true,
            child_account: true,
            anonymous_statistics: true,
        },
        "a partial update changed only what it named"
    );

    // The history keeps everything, withdrawals included.
    let history: ConsentHistory = app.get_ok(&consents(&world), &world.parent_f).await?;
    assert_eq!(history.in_force, family.consent);
    let withdrawn: Vec<&ConsentRecord> = history
        .records
        .iter()
        .filter(|r| r.withdrawn_at.is_some())
        .collect();
    assert_eq!(withdrawn.len(), 4, "{history:?}");
    assert!(withdrawn.iter().all(|r| r.withdrawn_by.is_some()));
    Ok(())
}

async fn who_may_give_and_withdraw_what(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let path = consents(&world);
    let refused = [
        // From one's own account, only one's own consent.
        (
            &world.parent_f,
            json!({"kind": "share_notes_with_staff", "person_id": f.grandmother}),
            403,
        ),
        // The child's agreement is the child's; a guardian's consent is a guardian's.
        (
            &world.parent_f,
            json!({"kind": "child_agrees_feedback_counts"}),
            403,
        ),
        (
            &world.child_f,
            json!({"kind": "share_notes_with_staff"}),
            403,
        ),
        // A paper form names who signed it, with its reference, and that is a guardian.
        (
            &world.staff_a,
            json!({"kind": "share_notes_with_staff", "person_id": f.mother}),
            422,
        ),
        (
            &world.staff_a,
            json!({"kind": "share_notes_with_staff", "reference": "form 1"}),
            422,
        ),
        (
            &world.staff_a,
            json!({"kind": "share_notes_with_staff", "person_id": f.child, "reference": "form 1"}),
            422,
        ),
        // Another program's staff and another family's parent reach nothing.
        (
            &world.staff_b,
            json!({"kind": "share_notes_with_staff", "person_id": f.mother, "reference": "x"}),
            403,
        ),
        (
            &world.parent_g,
            json!({"kind": "share_notes_with_staff"}),
            403,
        ),
    ];
    for (token, body, status) in refused {
        let (got, answer) = app.post(&path, Some(token), &body).await?;
        assert_eq!(got, status, "{body}: {answer}");
    }
    // None of those recorded anything.
    let history: ConsentHistory = app.get_ok(&path, &world.admin).await?;
    assert!(
        history
            .records
            .iter()
            .all(|r| r.kind != ConsentKind::ShareNotesWithStaff)
    );
    // The child does not read the family's consent records; staff of another program neither.
    for token in [&world.child_f, &world.staff_b, &world.parent_g] {
        let (status, _) = app.get(&path, token).await?;
        assert_eq!(status, 403);
    }
    // A guardian withdraws a guardian's consent, not the child's agreement; twice is a conflict.
    let account = in_force(&app, &world, ConsentKind::ChildAccount).await;
    let twice = withdraw(&app, &world, &world.caregiver_f, account).await;
    assert_eq!(twice.withdrawn_via, Some(ConsentVia::OwnAccount));
    let (status, body) = app
        .post(
            &format!("{path}/{account}/withdraw"),
            Some(&world.parent_f),
            &json!({}),
        )
        .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    // With the child's account no longer consented to, no new child account is made either.
    let (status, body) = app
        .post(
            "/api/v1/users",
            Some(&world.admin),
            &json!({"username": "child-f-2", "password": kinthread_tests::fixtures::PASSWORD,
                    "role": "child", "family_id": f.id, "person_id": f.child}),
        )
        .await?;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("consent"), "{body}");
    Ok(())
}

engine_tests!(
    every_gate_reads_the_consent_in_force,
    who_may_give_and_withdraw_what
);
