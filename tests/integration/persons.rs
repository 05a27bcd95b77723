//! Persons over their life: an admin corrects a name, records that a mother came home,
//! replaces and adds phone numbers (several per person, any country written with or without
//! `+`), and every change is audited with what changed; nobody else may.

use kinthread_shared::api::{AuditEntry, Page, Person};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use reqwest::Method;
use serde_json::{Value, json};

fn path(family: impl std::fmt::Display, person: impl std::fmt::Display) -> String {
    format!("/api/v1/families/{family}/persons/{person}")
}

async fn patch(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    app.send(Method::PATCH, path, Some(token), Some(&body))
        .await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn persons_of(app: &TestApp, token: &str, family: impl std::fmt::Display) -> Vec<Person> {
    let page: Page<Person> = app
        .get_ok(&format!("/api/v1/families/{family}/persons"), token)
        .await
        .unwrap();
    page.items
}

async fn an_admin_changes_a_person_field_by_field(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let mother = path(world.f.id, world.f.mother);

    // The mother came home: only the named fields change.
    let (status, body) = patch(
        &app,
        &world.admin,
        &mother,
        json!({"lives_away": false, "away_location": null, "display_name": "  Li Mei  "}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let person: Person = serde_json::from_value(body)?;
    assert!(!person.lives_away);
    assert_eq!(person.away_location, None);
    assert_eq!(person.display_name, "Li Mei");
    assert_eq!(person.role.as_str(), "mother");
    assert_eq!(
        person.phones,
        vec!["+8613800138000".to_owned()],
        "untouched"
    );

    // Several numbers, written as people write them; the first is `phone`.
    let (status, body) = patch(
        &app,
        &world.admin,
        &mother,
        json!({"phones": ["447700900123", "+86 139 1234 5678", "14155550123", "85291234567"]}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let person: Person = serde_json::from_value(body)?;
    assert_eq!(
        person.phones,
        vec![
            "+447700900123",
            "+8613912345678",
            "+14155550123",
            "+85291234567"
        ]
    );
    assert_eq!(person.phone.as_deref(), Some("+447700900123"));

    // The family's adults see every number; staff and the child none.
    let seen = persons_of(&app, &world.parent_f, world.f.id).await;
    let mother_seen = seen.iter().find(|p| p.id == world.f.mother).unwrap();
    assert_eq!(mother_seen.phones.len(), 4);
    for token in [&world.staff_a, &world.child_f] {
        for p in persons_of(&app, token, world.f.id).await {
            assert!(p.phones.is_empty() && p.phone.is_none(), "{p:?}");
        }
    }

    // A child's birth date sets the year; `null` clears; a year alone keeps an agreeing date.
    let child = path(world.f.id, world.f.child);
    let (status, body) = patch(
        &app,
        &world.admin,
        &child,
        json!({"birth_date": "2013-05-20"}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["birth_year"], json!(2013));
    assert_eq!(body["birth_date"], json!("2013-05-20"));
    let (status, body) = patch(&app, &world.admin, &child, json!({"birth_year": 2012})).await?;
    assert_eq!((status, code(&body)), (422, "validation_failed"), "{body}");
    let (status, body) = patch(
        &app,
        &world.admin,
        &child,
        json!({"birth_year": 2012, "birth_date": null}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["birth_year"], json!(2012));
    assert_eq!(body["birth_date"], Value::Null);

    // `null` or `[]` clears the numbers.
    let (status, body) = patch(&app, &world.admin, &mother, json!({"phones": null})).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phones"], json!([]));
    assert_eq!(body["phone"], Value::Null);

    // Audited with what changed, never a number.
    let audit: Page<AuditEntry> = app
        .get_ok(
            &format!("/api/v1/audit?family_id={}&limit=200", world.f.id),
            &world.admin,
        )
        .await?;
    let updates: Vec<String> = audit
        .items
        .iter()
        .filter(|e| e.action == "person.update")
        .filter_map(|e| e.target.clone())
        .collect();
    assert_eq!(updates.len(), 5, "{updates:?}");
    assert!(
        updates
            .iter()
            .any(|t| t.contains("lives_away true -> false") && t.contains("away_location")),
        "{updates:?}"
    );
    assert!(
        updates
            .iter()
            .any(|t| t.contains("phones (1 -> 4 numbers)")),
        "{updates:?}"
    );
    for target in &updates {
        assert!(
            !target.contains("7700") && !target.contains("1380"),
            "{target}"
        );
    }
    Ok(())
}

async fn bad_person_changes_are_refused_with_reasons(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let mother = path(world.f.id, world.f.mother);
    let cases = [
        (json!({"display_name": "  "}), 422, "display_name"),
        (json!({"phones": ["10086"]}), 422, "phones[0]"),
        (
            json!({"phones": ["13800138000", "+86 138 0013 8000"]}),
            422,
            "phones[1]",
        ),
        (json!({"phones": ["CMCC"]}), 422, "phones[0]"),
        (json!({"birth_year": 1800}), 422, "birth_year"),
        (json!({"birth_date": "2999-01-01"}), 422, "birth_date"),
        // The mother speaks through a parent account: she cannot become the child.
        (json!({"role": "child"}), 422, "role"),
    ];
    for (body, status, field) in cases {
        let (got, answer) = patch(&app, &world.admin, &mother, body.clone()).await?;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(
            answer["error"]["fields"][0]["field"], field,
            "{body}: {answer}"
        );
    }
    let too_many: Vec<String> = (0..11).map(|i| format!("+4477009001{i:02}")).collect();
    let (status, body) = patch(&app, &world.admin, &mother, json!({"phones": too_many})).await?;
    assert_eq!(status, 422, "{body}");
    for body in [json!({"role": "aunt"}), json!({"phone": "13800138000"})] {
        let (status, answer) = patch(&app, &world.admin, &mother, body.clone()).await?;
        assert_eq!((status, code(&answer)), (400, "invalid_body"), "{body}");
    }
    // The father has no account: his role may change.
    let (status, body) = patch(
        &app,
        &world.admin,
        &path(world.f.id, world.f.father),
        json!({"role": "grandfather", "lives_away": false}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    // Nothing of the refused changes was stored.
    let mother_now = persons_of(&app, &world.admin, world.f.id)
        .await
        .into_iter()
        .find(|p| p.id == world.f.mother)
        .unwrap();
    assert_eq!(mother_now.display_name, "Mother");
    assert_eq!(mother_now.phones, vec!["+8613800138000".to_owned()]);
    Ok(())
}

/// Only admins change persons: the family itself, its caregivers and child, staff of its
/// program and of another are refused (403); another family's person through this family's
/// path, and a person that does not exist, are 404; an unknown family is 404.
async fn only_admins_change_persons(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let mother = path(world.f.id, world.f.mother);
    for (who, token) in [
        ("parent", &world.parent_f),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
        ("staff of the program", &world.staff_a),
        ("staff of another program", &world.staff_b),
        ("parent of another family", &world.parent_g),
    ] {
        let (status, body) = patch(&app, token, &mother, json!({"display_name": "X"})).await?;
        assert_eq!((status, code(&body)), (403, "forbidden"), "{who}: {body}");
    }
    let cases = [
        (path(world.f.id, world.g.mother), 404),
        (path(world.f.id, uuid::Uuid::now_v7()), 404),
        (path(uuid::Uuid::now_v7(), world.f.mother), 404),
        (path(world.f.id, "not-an-id"), 400),
    ];
    for (path, status) in cases {
        let (got, body) = patch(&app, &world.admin, &path, json!({"display_name": "X"})).await?;
        assert_eq!(got, status, "{path}: {body}");
    }
    let (status, _) = app
        .send(
            Method::PATCH,
            &mother,
            None,
            Some(&json!({"display_name": "X"})),
        )
        .await?;
    assert_eq!(status, 401);
    // Nothing changed in the other family either.
    let g = persons_of(&app, &world.admin, world.g.id).await;
    assert!(g.iter().all(|p| p.display_name != "X"));
    Ok(())
}

/// A new person may have several numbers from the start; `phone` stays the first.
async fn persons_are_created_with_several_numbers(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let created: Person = app
        .post_ok(
            &format!("/api/v1/families/{}/persons", world.f.id),
            Some(&world.admin),
            &json!({"display_name": "Aunt", "role": "other_caregiver",
                    "phone": "139 1234 5678", "phones": ["8613800138001", "+1 415 555 0123"]}),
            201,
        )
        .await?;
    assert_eq!(
        created.phones,
        vec!["+8613912345678", "+8613800138001", "+14155550123"]
    );
    assert_eq!(created.phone.as_deref(), Some("+8613912345678"));
    let (status, body) = app
        .post(
            &format!("/api/v1/families/{}/persons", world.f.id),
            Some(&world.admin),
            &json!({"display_name": "Uncle", "role": "other_caregiver",
                    "phone": "13912345679", "phones": ["+86 139 1234 5679"]}),
        )
        .await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "phones[0]");
    Ok(())
}

engine_tests!(
    an_admin_changes_a_person_field_by_field,
    bad_person_changes_are_refused_with_reasons,
    only_admins_change_persons,
    persons_are_created_with_several_numbers,
);
