//! The caseload by attention (SPEC 4a): a family whose mother calls often but is seldom
//! answered, in calls cut short, with a worried grandmother, comes before a family with a
//! longer gap and no signals; `sort=gap` keeps the old order; a remind-later follow-up cannot
//! hide a family whose attention level is high.

use chrono::{Duration, Utc};
use kinthread_shared::api::BatchResponse;
use kinthread_shared::attention::{AttentionLevel, SignalCode};
use kinthread_shared::reports::{CaseloadReport, FamilyReport};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

use crate::china;

fn call(
    from: kinthread_shared::PersonId,
    to: kinthread_shared::PersonId,
    hours_ago: i64,
    status: &str,
    seconds: i64,
) -> Value {
    let started = Utc::now() - Duration::hours(hours_ago);
    json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "call",
        "status": status,
        "participants": [from, to],
        "initiator": from,
        "started_at": started.with_timezone(&china()).to_rfc3339(),
        "duration_seconds": seconds,
    })
}

async fn families_in_most_need_come_first(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    // Family F: the mother calls every day for twelve days; eight calls go unanswered and the
    // four answered ones last a minute.
    let mut calls = Vec::new();
    for day in 1..=12 {
        let answered = day % 3 == 0;
        calls.push(call(
            world.f.mother,
            world.f.child,
            day * 24,
            if answered { "completed" } else { "missed" },
            if answered { 60 } else { 0 },
        ));
    }
    // The father calls too, a long talk yesterday: his pair raises nothing of its own.
    calls.push(call(world.f.father, world.f.child, 24, "completed", 1200));
    let path = format!("/api/v1/families/{}/contacts/batch", world.f.id);
    let stored: BatchResponse = app
        .post_ok(
            &path,
            Some(&world.parent_f),
            &json!({"contacts": calls}),
            200,
        )
        .await?;
    assert_eq!(stored.created, 13, "{stored:?}");
    // The grandmother notes low mood twice.
    for days_ago in [2, 5] {
        let checkin = json!({
            "client_id": uuid::Uuid::now_v7(),
            "child_id": world.f.child,
            "observed_at": (Utc::now() - Duration::days(days_ago)).with_timezone(&china()).to_rfc3339(),
            "mood": 2,
        });
        let (status, body) = app
            .post(
                &format!("/api/v1/families/{}/checkins", world.f.id),
                Some(&world.caregiver_f),
                &checkin,
            )
            .await?;
        assert_eq!(status, 201, "{body}");
    }
    // Family G: a long call with each parent 10 days ago, nothing else: a longer gap (within
    // its program's 14-day target), no signal.
    for parent in [world.g.mother, world.g.father] {
        let (status, body) = app
            .post(
                &format!("/api/v1/families/{}/contacts", world.g.id),
                Some(&world.parent_g),
                &call(parent, world.g.child, 10 * 24, "completed", 1800),
            )
            .await?;
        assert_eq!(status, 201, "{body}");
    }

    let by_attention: CaseloadReport = app.get_ok("/api/v1/reports/caseload", &world.admin).await?;
    let first = &by_attention.rows[0];
    assert_eq!(first.family_id, world.f.id, "{by_attention:#?}");
    assert_eq!(first.attention_level, AttentionLevel::High);
    let codes: Vec<SignalCode> = first.signals.iter().map(|s| s.code).collect();
    for code in [
        SignalCode::CallsUnanswered,
        SignalCode::CallsCutShort,
        SignalCode::CaregiverWorried,
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert!(
        first
            .signals
            .iter()
            .all(|s| !s.reason.zh.is_empty() && !s.reason.en.is_empty())
    );

    // The family report shows the same signals on the mother's pair, and the level.
    let report: FamilyReport = app
        .get_ok(
            &format!("/api/v1/families/{}/report", world.f.id),
            &world.staff_a,
        )
        .await?;
    assert_eq!(report.attention_level, AttentionLevel::High);
    let mother_pair = report
        .pairs
        .iter()
        .find(|p| p.a.id == world.f.mother && p.b.id == world.f.child)
        .expect("the mother's pair is reported");
    let reported: Vec<SignalCode> = mother_pair.signals.iter().map(|s| s.code).collect();
    assert!(
        reported.contains(&SignalCode::CallsUnanswered),
        "{reported:?}"
    );
    assert!(
        reported.contains(&SignalCode::CallsCutShort),
        "{reported:?}"
    );
    assert!(
        report
            .pairs
            .iter()
            .filter(|p| p.b.id == world.f.grandmother)
            .all(|p| p.signals.is_empty()),
        "parent–caregiver pairs raise no signal"
    );

    // The old order puts the longer gap first.
    let by_gap: CaseloadReport = app
        .get_ok("/api/v1/reports/caseload?sort=gap", &world.admin)
        .await?;
    assert_eq!(by_gap.rows[0].family_id, world.g.id);
    let (status, _) = app
        .get("/api/v1/reports/caseload?sort=name", &world.admin)
        .await?;
    assert_eq!(status, 400);

    // Remind later hides G (due, no signals) but not F (attention high).
    for family in [world.f.id, world.g.id] {
        let staff = if family == world.f.id {
            &world.staff_a
        } else {
            &world.staff_b
        };
        let (status, body) = app
            .post(
                &format!("/api/v1/families/{family}/follow-ups"),
                Some(staff),
                &json!({"outcome": "remind_later"}),
            )
            .await?;
        assert_eq!(status, 201, "{body}");
    }
    let after: CaseloadReport = app.get_ok("/api/v1/reports/caseload", &world.admin).await?;
    let listed: Vec<_> = after.rows.iter().map(|r| r.family_id).collect();
    assert!(
        listed.contains(&world.f.id),
        "a high family is never snoozed"
    );
    assert!(!listed.contains(&world.g.id), "{listed:?}");
    assert_eq!(after.snoozed_hidden, 1);
    Ok(())
}

engine_tests!(families_in_most_need_come_first);
