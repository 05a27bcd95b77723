//! Input at the edges: times ahead of the server's clock only within the phone's clock-skew
//! allowance (and the refusal says so), a visit that is still going on, and a "completed" call
//! of no seconds, refused as the phone-backup import would never make one.

use chrono::{DateTime, Duration, Utc};
use kinthread_shared::api::Contact;
use kinthread_shared::reports::{CaseloadReport, FamilyReport};
use kinthread_shared::validate::MAX_CLOCK_SKEW;
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

use crate::{call, china};

fn field_message(body: &Value, field: &str) -> String {
    body["error"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["field"] == field)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn times_ahead_only_within_the_allowance(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    // A phone whose clock runs an hour fast is believed.
    let mut fast = call(world.f.mother, world.f.child, 0, None);
    fast["started_at"] = json!(
        (Utc::now() + Duration::hours(1))
            .with_timezone(&china())
            .to_rfc3339()
    );
    let _: Contact = app
        .post_ok(&path, Some(&world.parent_f), &fast, 201)
        .await?;
    // Past the allowance: refused, and the message says how far ahead is allowed.
    let mut tomorrow = call(world.f.mother, world.f.child, 0, None);
    tomorrow["started_at"] = json!(
        (Utc::now() + MAX_CLOCK_SKEW + Duration::hours(1))
            .with_timezone(&china())
            .to_rfc3339()
    );
    let (status, body) = app.post(&path, Some(&world.parent_f), &tomorrow).await?;
    assert_eq!(status, 422, "{body}");
    let message = field_message(&body, "started_at");
    assert!(message.contains("at most 24 hours ahead"), "{body}");
    // The same for a check-in's time.
    let (status, body) = app
        .post(
            &format!("/api/v1/families/{}/checkins", world.f.id),
            Some(&world.caregiver_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "child_id": world.f.child, "mood": 3,
                    "observed_at": tomorrow["started_at"]}),
        )
        .await?;
    assert_eq!(status, 422, "{body}");
    assert!(
        field_message(&body, "observed_at").contains("24 hours"),
        "{body}"
    );
    Ok(())
}

/// Both parents came home three days ago and are still there: the visit is logged without
/// an end and counts, like every open visit, as contact at its start; the amendment that ends
/// it makes the whole stay count. The family report and the caseload agree throughout.
async fn an_ongoing_visit_is_logged_then_ended(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let path = format!("/api/v1/families/{}/contacts", f.id);
    let started: DateTime<Utc> = Utc::now() - Duration::days(3);
    let started = started.with_timezone(&china());
    let visit = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "visit",
        "participants": [f.mother, f.father, f.child],
        "initiator": f.mother,
        "started_at": started.to_rfc3339(),
    });
    let logged: Contact = app
        .post_ok(&path, Some(&world.parent_f), &visit, 201)
        .await?;
    assert_eq!(logged.ended_at, None);
    // Sent again (a phone retrying): the same record.
    let again: Contact = app
        .post_ok(&path, Some(&world.parent_f), &visit, 200)
        .await?;
    assert_eq!(again.id, logged.id);

    let gaps = async |world: &World| -> anyhow::Result<(Option<DateTime<Utc>>, f64, f64)> {
        let report: FamilyReport = app
            .get_ok(
                &format!("/api/v1/families/{}/report", world.f.id),
                &world.parent_f,
            )
            .await?;
        let pair = &report.pairs[0].gaps;
        let caseload: CaseloadReport = app
            .get_ok("/api/v1/reports/caseload", &world.staff_a)
            .await?;
        let row = caseload
            .rows
            .iter()
            .find(|r| r.family_id == world.f.id)
            .expect("the family is in program A's caseload");
        assert_eq!(
            row.last_contact_at, pair.last_contact_at,
            "caseload and report agree"
        );
        Ok((
            pair.last_contact_at,
            pair.current_gap_days.unwrap_or(-1.0),
            row.current_gap_days.unwrap_or(-1.0),
        ))
    };
    let (last, report_gap, caseload_gap) = gaps(&world).await?;
    let start_ms = started.with_timezone(&Utc).timestamp_millis();
    assert_eq!(last.map(|t| t.timestamp_millis()), Some(start_ms));
    assert!((2.9..=3.1).contains(&report_gap), "{report_gap}");
    assert!((2.9..=3.1).contains(&caseload_gap), "{caseload_gap}");

    // They left an hour ago: the amendment ends the visit.
    let ended = (Utc::now() - Duration::hours(1)).with_timezone(&china());
    let mut ending = visit.clone();
    ending["client_id"] = json!(uuid::Uuid::now_v7());
    ending["ended_at"] = json!(ended.to_rfc3339());
    let amended: Contact = app
        .post_ok(
            &format!("{path}/{}/amend", logged.id),
            Some(&world.parent_f),
            &ending,
            201,
        )
        .await?;
    assert_eq!(amended.supersedes, Some(logged.id));
    let (last, report_gap, caseload_gap) = gaps(&world).await?;
    assert_eq!(
        last.map(|t| t.timestamp_millis()),
        Some(ended.with_timezone(&Utc).timestamp_millis())
    );
    assert!(
        report_gap < 0.1 && caseload_gap < 0.1,
        "{report_gap} {caseload_gap}"
    );

    // An end before the start is still refused.
    let mut backwards = visit.clone();
    backwards["client_id"] = json!(uuid::Uuid::now_v7());
    backwards["ended_at"] = json!((started - Duration::hours(1)).to_rfc3339());
    let (status, body) = app.post(&path, Some(&world.parent_f), &backwards).await?;
    assert_eq!(status, 422, "{body}");
    Ok(())
}

/// A call of 0 s is one nobody talked on: the import records it as missed, so the API
/// refuses it as "completed" (and says what to send) and takes it as missed or declined.
async fn a_completed_call_of_no_seconds_is_refused(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/contacts", world.f.id);
    let mut silent = call(world.f.mother, world.f.child, 1, None);
    silent["duration_seconds"] = json!(0);
    let (status, body) = app.post(&path, Some(&world.parent_f), &silent).await?;
    assert_eq!(status, 422, "{body}");
    assert!(
        field_message(&body, "duration_seconds").contains("missed"),
        "{body}"
    );
    // In a batch the item is rejected with the same reason; the others are stored.
    let batch = json!({"contacts": [silent.clone(), call(world.f.mother, world.f.child, 2, None)]});
    let (status, body) = app
        .post(&format!("{path}/batch"), Some(&world.parent_f), &batch)
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(body["results"][0]["error"]["code"], "validation_failed");
    for status in ["missed", "declined"] {
        let mut rang_out = silent.clone();
        rang_out["client_id"] = json!(uuid::Uuid::now_v7());
        rang_out["status"] = json!(status);
        let stored: Contact = app
            .post_ok(&path, Some(&world.parent_f), &rang_out, 201)
            .await?;
        assert_eq!(stored.status.as_str(), status);
    }
    Ok(())
}

engine_tests!(
    times_ahead_only_within_the_allowance,
    an_ongoing_visit_is_logged_then_ended,
    a_completed_call_of_no_seconds_is_refused,
);
