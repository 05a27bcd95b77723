//! Families over their life: an admin enrols a family in a program, moves it and withdraws
//! it (`program_id`), the program's staff reach it exactly while it is theirs, names are
//! unique within a program unless the request allows a duplicate, program names are unique,
//! and every family change is audited with what changed.

use kinthread_shared::api::{AuditEntry, Family, Page};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use reqwest::Method;
use serde_json::{Value, json};

async fn patch(
    app: &TestApp,
    token: &str,
    family: impl std::fmt::Display,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    app.send(
        Method::PATCH,
        &format!("/api/v1/families/{family}"),
        Some(token),
        Some(&body),
    )
    .await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn family_updates(
    app: &TestApp,
    world: &World,
    family: impl std::fmt::Display,
) -> Vec<String> {
    let audit: Page<AuditEntry> = app
        .get_ok(
            &format!("/api/v1/audit?family_id={family}&limit=200"),
            &world.admin,
        )
        .await
        .unwrap();
    audit
        .items
        .into_iter()
        .filter(|e| e.action == "family.update")
        .filter_map(|e| e.target)
        .collect()
}

async fn a_family_is_moved_withdrawn_and_enrolled(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let family = format!("/api/v1/families/{}", world.f.id);
    let (status, _) = app.get(&family, &world.staff_a).await?;
    assert_eq!(status, 200);

    // Moved from program A to B: B's staff reach it, A's no longer; B's cadence applies.
    let (status, body) = patch(
        &app,
        &world.admin,
        world.f.id,
        json!({"program_id": world.program_b}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let moved: Family = serde_json::from_value(body)?;
    assert_eq!(moved.program_id, Some(world.program_b));
    assert_eq!(moved.target_cadence_days.days(), 14);
    assert_eq!(app.get(&family, &world.staff_a).await?.0, 403);
    assert_eq!(app.get(&family, &world.staff_b).await?.0, 200);

    // Withdrawn: no program's staff reach it; the family itself still does.
    let (status, body) = patch(&app, &world.admin, world.f.id, json!({"program_id": null})).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["program_id"], Value::Null);
    assert_eq!(app.get(&family, &world.staff_b).await?.0, 403);
    assert_eq!(app.get(&family, &world.parent_f).await?.0, 200);

    // Enrolled again in A.
    let (status, body) = patch(
        &app,
        &world.admin,
        world.f.id,
        json!({"program_id": world.program_a}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get(&family, &world.staff_a).await?.0, 200);

    // A change without program_id leaves the enrolment alone.
    let (status, body) = patch(
        &app,
        &world.admin,
        world.f.id,
        json!({"time_zone": "Europe/Madrid"}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["program_id"], json!(world.program_a));

    let updates = family_updates(&app, &world, world.f.id).await;
    let a = world.program_a.to_string();
    let b = world.program_b.to_string();
    for expected in [
        format!("program_id {a} -> {b}"),
        format!("program_id {b} -> none"),
        format!("program_id none -> {a}"),
        "time_zone Asia/Shanghai -> Europe/Madrid".to_owned(),
        "target_cadence_days 7 -> 14".to_owned(),
    ] {
        assert!(
            updates
                .iter()
                .any(|t| t.contains(&expected) && t.starts_with(&world.f.id.to_string())),
            "{expected} in {updates:?}"
        );
    }
    Ok(())
}

/// Enrolment is for admins; a bad program id is refused; the family's guardians still
/// change its consent, and that is audited with what changed.
async fn enrolment_is_for_admins(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    for (who, token) in [
        ("parent", &world.parent_f),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
        ("staff of the program", &world.staff_a),
        ("staff of the other program", &world.staff_b),
        ("parent of another family", &world.parent_g),
    ] {
        for body in [
            json!({"program_id": world.program_b}),
            json!({"program_id": null}),
            json!({"program_id": null, "consent": {"guardian_consent": true}}),
        ] {
            let (status, answer) = patch(&app, token, world.f.id, body.clone()).await?;
            assert_eq!(
                (status, code(&answer)),
                (403, "forbidden"),
                "{who} {body}: {answer}"
            );
        }
    }
    let (status, body) = patch(
        &app,
        &world.admin,
        world.f.id,
        json!({"program_id": uuid::Uuid::now_v7()}),
    )
    .await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "program_id");
    let (status, body) = patch(
        &app,
        &world.admin,
        world.f.id,
        json!({"program_id": "nope"}),
    )
    .await?;
    assert_eq!((status, code(&body)), (400, "invalid_body"));
    let (status, _) = patch(
        &app,
        &world.admin,
        uuid::Uuid::now_v7(),
        json!({"program_id": null}),
    )
    .await?;
    assert_eq!(status, 404);
    let family: Family = app
        .get_ok(&format!("/api/v1/families/{}", world.f.id), &world.admin)
        .await?;
    assert_eq!(family.program_id, Some(world.program_a), "unchanged");

    // A guardian's consent change is audited with what changed.
    let (status, body) = patch(
        &app,
        &world.parent_f,
        world.f.id,
        json!({"consent": {"guardian_consent": true, "share_notes_with_staff": true}}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let updates = family_updates(&app, &world, world.f.id).await;
    assert!(
        updates
            .iter()
            .any(|t| t.contains("consent.share_notes_with_staff false -> true")),
        "{updates:?}"
    );
    Ok(())
}

async fn names_are_unique_within_a_program(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let new = |name: &str, program: Value, allow: bool| json!({"display_name": name, "program_id": program, "allow_duplicate": allow});
    // "Family F" is in program A.
    let (status, body) = app
        .post(
            "/api/v1/families",
            Some(&world.admin),
            &new("Family F", json!(world.program_a), false),
        )
        .await?;
    assert_eq!((status, code(&body)), (409, "duplicate_name"), "{body}");
    let (status, body) = app
        .post(
            "/api/v1/families",
            Some(&world.admin),
            &new(" Family F ", json!(world.program_a), false),
        )
        .await?;
    assert_eq!(
        (status, code(&body)),
        (409, "duplicate_name"),
        "trimmed: {body}"
    );
    // Allowed when asked for, in another program, and without a program.
    let twin: Family = app
        .post_ok(
            "/api/v1/families",
            Some(&world.admin),
            &new("Family F", json!(world.program_a), true),
            201,
        )
        .await?;
    let other: Family = app
        .post_ok(
            "/api/v1/families",
            Some(&world.admin),
            &new("Family F", json!(world.program_b), false),
            201,
        )
        .await?;
    let _: Family = app
        .post_ok(
            "/api/v1/families",
            Some(&world.admin),
            &new("Family F", Value::Null, false),
            201,
        )
        .await?;

    // Moving "Family F" of B into A, or renaming G (in B) to B's "Family F", is refused...
    let (status, body) = patch(
        &app,
        &world.admin,
        other.id,
        json!({"program_id": world.program_a}),
    )
    .await?;
    assert_eq!((status, code(&body)), (409, "duplicate_name"), "{body}");
    let (status, body) = patch(
        &app,
        &world.admin,
        world.g.id,
        json!({"display_name": "Family F"}),
    )
    .await?;
    assert_eq!((status, code(&body)), (409, "duplicate_name"), "{body}");
    // ... unless allowed; keeping one's own name is no duplicate.
    let (status, body) = patch(
        &app,
        &world.admin,
        other.id,
        json!({"program_id": world.program_a, "allow_duplicate": true}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch(
        &app,
        &world.admin,
        twin.id,
        json!({"display_name": "Family F", "time_zone": "Asia/Urumqi"}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");

    // Program names are unique.
    let (status, body) = app
        .post(
            "/api/v1/programs",
            Some(&world.admin),
            &json!({"name": "Program A"}),
        )
        .await?;
    assert_eq!((status, code(&body)), (409, "duplicate_name"), "{body}");
    let (status, _) = app
        .post(
            "/api/v1/programs",
            Some(&world.admin),
            &json!({"name": "Program C"}),
        )
        .await?;
    assert_eq!(status, 201);
    Ok(())
}

engine_tests!(
    a_family_is_moved_withdrawn_and_enrolled,
    enrolment_is_for_admins,
    names_are_unique_within_a_program,
);
