//! A program's retention period (SPEC section 7): set, shown and cleared through
//! `PATCH /programs/{id}` by admins only, checked, and audited with what changed. The erasure
//! itself (`kinthread-server retention`) is tested with the real binary in
//! `server/tests/retention.rs`.

use kinthread_shared::api::{AuditEntry, Page, Program};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::{Value, json};

async fn a_program_sets_and_clears_its_retention_period(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
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

    let before: Program = app.get_ok(&program, &world.admin).await?;
    assert_eq!(before.retention_months, None);

    let (status, body) = patch(json!({"retention_months": 24}), &world.admin).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retention_months"], 24);
    let shown: Program = app.get_ok(&program, &world.staff_a).await?;
    assert_eq!(shown.retention_months, Some(24));

    // Left out, it stays; out of range, it is refused by its field and nothing changes.
    let (status, body) = patch(json!({"target_cadence_days": 10}), &world.admin).await?;
    assert_eq!((status, body["retention_months"].as_u64()), (200, Some(24)));
    for months in [json!(0), json!(601)] {
        let (status, body) = patch(json!({"retention_months": months}), &world.admin).await?;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "retention_months");
    }
    for bad in [json!(-1), json!("24"), json!(1.5)] {
        let (status, _) = patch(json!({"retention_months": bad}), &world.admin).await?;
        assert_eq!(status, 400);
    }
    // Only admins change it.
    for token in [&world.staff_a, &world.parent_f, &world.child_f] {
        let (status, _) = patch(json!({"retention_months": 1}), token).await?;
        assert_eq!(status, 403);
    }
    let shown: Program = app.get_ok(&program, &world.admin).await?;
    assert_eq!(shown.retention_months, Some(24));

    // `null` clears it.
    let (status, body) = patch(json!({"retention_months": null}), &world.admin).await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("retention_months").is_none(), "{body}");
    let shown: Program = app.get_ok(&program, &world.admin).await?;
    assert_eq!(shown.retention_months, None);

    // Both changes are audited with the old and new values.
    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit?limit=200", &world.admin).await?;
    let changes: Vec<&str> = audit
        .items
        .iter()
        .filter(|e| e.action == "program.update")
        .filter_map(|e| e.target.as_deref())
        .filter(|t| t.contains("retention_months"))
        .collect();
    assert!(
        changes
            .iter()
            .any(|t| t.contains("retention_months none -> 24")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|t| t.contains("retention_months 24 -> none")),
        "{changes:?}"
    );
    Ok(())
}

engine_tests!(a_program_sets_and_clears_its_retention_period);
