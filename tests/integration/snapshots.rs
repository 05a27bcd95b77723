//! Wire formats pinned: one real response of every response type, as a reviewed snapshot
//! file under `snapshots/`. Ids, tokens, cursors and instants the server's clock sets are
//! redacted; instants the client gave (a contact's start with its phone's offset, a report's
//! `as_of`) are fixed in the past and stay, since their shape is part of the format. Both
//! engines compare against the same file, so SQLite and PostgreSQL must answer alike.
//!
//! A changed snapshot fails the test; review the `.snap.new` file and move it over the old
//! one (or run with `INSTA_UPDATE=always`) when the change is meant. Under CI (`CI` set)
//! nothing is written.

use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::{PASSWORD, World};
use reqwest::Method;
use serde_json::{Value, json};

/// Fields that hold an id, anywhere in a response.
const ID_FIELDS: &[&str] = &[
    "id",
    "family_id",
    "person_id",
    "program_id",
    "client_id",
    "contact_id",
    "child_id",
    "initiator",
    "person",
    "recorded_by",
    "actor_id",
    "staff_id",
    "supersedes",
    "superseded_by",
];

/// Fields that hold a list of ids.
const ID_LIST_FIELDS: &[&str] = &["program_ids", "participants"];

/// Instants the server's clock sets.
const SERVER_INSTANT_FIELDS: &[&str] = &[
    "created_at",
    "recorded_at",
    "at",
    "recheck_at",
    "snoozed_until",
    "exported_at",
    "updated_at",
];

/// Secrets and opaque values that change with every run.
const OPAQUE_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "next_cursor",
    "request_hash",
    "one_time_password",
];

/// A report's `as_of` and the contacts' times: far enough in the past for any server clock.
const AS_OF: &str = "2026-03-15T12:00:00+08:00";

/// Replaces a value by `placeholder`, but keeps `null` (absent stays visibly absent).
fn redact_unless_null(
    placeholder: &'static str,
) -> impl Fn(insta::internals::Content, insta::internals::ContentPath<'_>) -> insta::internals::Content
+ Send
+ Sync
+ 'static {
    move |value, _path| {
        if value.is_nil() {
            value
        } else {
            placeholder.into()
        }
    }
}

/// The redactions of every snapshot of this module.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_sort_maps(true);
    for field in ID_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), redact_unless_null("[id]"));
    }
    for field in ID_LIST_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}[]"), redact_unless_null("[id]"));
    }
    for field in SERVER_INSTANT_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), redact_unless_null("[instant]"));
    }
    for field in OPAQUE_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), redact_unless_null("[opaque]"));
    }
    // The audit log's target names a record by id, or says something in words.
    settings.add_dynamic_redaction(".**.target", |value, _path| {
        match value.as_str().map(uuid::Uuid::parse_str) {
            Some(Ok(_)) => "[id]".into(),
            _ => value,
        }
    });
    // The one field that names the engine.
    settings.add_redaction(".database", "[engine]");
    settings
}

/// Snapshots `value` under `name`, after checking that no id escaped the redactions.
fn snapshot(name: &str, value: &Value) {
    let mut stray = Vec::new();
    find_stray_ids(value, "", &mut stray);
    assert!(
        stray.is_empty(),
        "{name}: ids outside the redacted fields (add the field to ID_FIELDS): {stray:?}"
    );
    settings().bind(|| insta::assert_json_snapshot!(name, value));
}

fn find_stray_ids(value: &Value, at: &str, stray: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let redacted = [ID_FIELDS, ID_LIST_FIELDS, OPAQUE_FIELDS, &["target"]]
                    .iter()
                    .any(|fields| fields.contains(&key.as_str()));
                if !redacted {
                    find_stray_ids(inner, &format!("{at}.{key}"), stray);
                }
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                find_stray_ids(inner, &format!("{at}[{index}]"), stray);
            }
        }
        Value::String(text) if uuid::Uuid::parse_str(text).is_ok() => stray.push(at.to_owned()),
        _ => {}
    }
}

/// Sends a request that must answer `expected`, and returns its body.
async fn expect(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    expected: u16,
) -> anyhow::Result<Value> {
    let (status, body) = app.send(method.clone(), path, token, body).await?;
    anyhow::ensure!(status == expected, "{method} {path}: {status} {body}");
    Ok(body)
}

async fn every_response_type(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = world.f.clone();
    let family = format!("/api/v1/families/{}", f.id);
    let contacts = format!("{family}/contacts");
    let get = Method::GET;
    let post = Method::POST;

    // Accounts and sign-in.
    let tokens = expect(
        &app,
        post.clone(),
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": "parent-f", "password": PASSWORD})),
        200,
    )
    .await?;
    snapshot("token_response", &tokens);
    let me = expect(
        &app,
        get.clone(),
        "/api/v1/auth/me",
        Some(&world.parent_f),
        None,
        200,
    )
    .await?;
    snapshot("user", &me);
    let health = expect(&app, get.clone(), "/api/v1/health", None, None, 200).await?;
    snapshot("health", &health);

    // Programs, families, persons.
    let program = expect(
        &app,
        get.clone(),
        &format!("/api/v1/programs/{}", world.program_b),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("program", &program);
    let family_g = expect(
        &app,
        get.clone(),
        &format!("/api/v1/families/{}", world.g.id),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("family", &family_g);
    let persons = expect(
        &app,
        get.clone(),
        &format!("{family}/persons"),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("person_page", &persons);
    // Family G has no contact yet: its parent's reminder says so, with no clock figures.
    let reminders = expect(
        &app,
        get.clone(),
        "/api/v1/me/reminders",
        Some(&world.parent_g),
        None,
        200,
    )
    .await?;
    snapshot("reminder_page", &reminders);

    // Contacts: one with a note (a depth score with its evidence), as the family and as
    // staff without the family's consent to share notes.
    let noted = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "call",
        "participants": [f.mother, f.child],
        "initiator": f.mother,
        "started_at": "2026-03-05T20:15:00+08:00",
        "duration_seconds": 240,
        "content": "想你了，生日快乐，我们很爱你",
        "talked_most": "child",
    });
    let contact = expect(
        &app,
        post.clone(),
        &contacts,
        Some(&world.parent_f),
        Some(&noted),
        201,
    )
    .await?;
    snapshot("contact", &contact);
    let contact_id = contact["id"].as_str().unwrap_or_default().to_owned();
    let for_staff = expect(
        &app,
        get.clone(),
        &format!("{contacts}/{contact_id}"),
        Some(&world.staff_a),
        None,
        200,
    )
    .await?;
    snapshot("contact_as_staff", &for_staff);
    let missed = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "video_call",
        "status": "missed",
        "participants": [f.father, f.child],
        "initiator": f.father,
        "started_at": "2026-03-09T19:30:00+08:00",
    });
    let text = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "text",
        "participants": [f.mother, f.grandmother],
        "initiator": f.grandmother,
        "started_at": "2026-03-10T08:05:00+08:00",
        "content": "孩子今天去学校了，放心",
    });
    let lonely = json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": "call",
        "participants": [f.mother],
        "initiator": f.mother,
        "started_at": "2026-03-11T20:00:00+08:00",
        "duration_seconds": 60,
    });
    let batch = expect(
        &app,
        post.clone(),
        &format!("{contacts}/batch"),
        Some(&world.parent_f),
        Some(&json!({"contacts": [noted.clone(), missed, text, lonely]})),
        200,
    )
    .await?;
    snapshot("batch_response", &batch);

    // A check-in and a follow-up.
    let checkin = expect(
        &app,
        post.clone(),
        &format!("{family}/checkins"),
        Some(&world.caregiver_f),
        Some(&json!({
            "client_id": uuid::Uuid::now_v7(),
            "child_id": f.child,
            "observed_at": "2026-03-09T18:00:00+08:00",
            "mood": 4,
            "school": "期中考试考得不错",
        })),
        201,
    )
    .await?;
    snapshot("checkin", &checkin);
    let follow_up = expect(
        &app,
        post.clone(),
        &format!("{family}/follow-ups"),
        Some(&world.staff_a),
        Some(&json!({"outcome": "remind_later", "reason": "父亲下周回电话"})),
        201,
    )
    .await?;
    snapshot("follow_up", &follow_up);

    // Reports, at a fixed moment.
    let as_of = AS_OF.replace('+', "%2B");
    let report = expect(
        &app,
        get.clone(),
        &format!("{family}/report?as_of={as_of}&window_days=30"),
        Some(&world.staff_a),
        None,
        200,
    )
    .await?;
    snapshot("family_report", &report);
    let caseload = expect(
        &app,
        get.clone(),
        &format!("/api/v1/reports/caseload?as_of={as_of}&window_days=30&include_snoozed=true"),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("caseload_report", &caseload);

    // Bundles: the family's export, and its import back (nothing new).
    let bundle = expect(
        &app,
        get.clone(),
        &format!("{family}/bundle"),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("bundle", &bundle);
    let imported = expect(
        &app,
        post.clone(),
        "/api/v1/bundles",
        Some(&world.admin),
        Some(&bundle),
        200,
    )
    .await?;
    snapshot("bundle_import_report", &imported);

    // The audit log, newest first: what the steps above left in it.
    let audit = expect(
        &app,
        get.clone(),
        "/api/v1/audit?limit=12",
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("audit_page", &audit);

    // The error envelope, one of each kind a client meets.
    // (snapshot, method, path, token, body, status)
    type Case<'a> = (&'a str, Method, String, Option<&'a str>, Option<Value>, u16);
    let errors: Vec<Case> = vec![
        (
            "error_unauthenticated",
            get.clone(),
            "/api/v1/auth/me".into(),
            None,
            None,
            401,
        ),
        (
            "error_bad_credentials",
            post.clone(),
            "/api/v1/auth/login".into(),
            None,
            Some(json!({"username": "parent-f", "password": "not the password"})),
            401,
        ),
        (
            "error_forbidden",
            get.clone(),
            format!("{family}/report"),
            Some(&world.child_f),
            None,
            403,
        ),
        (
            "error_not_found",
            get.clone(),
            format!("/api/v1/families/{}", uuid::Uuid::now_v7()),
            Some(&world.admin),
            None,
            404,
        ),
        (
            "error_route_not_found",
            get.clone(),
            "/api/v1/nowhere".into(),
            Some(&world.admin),
            None,
            404,
        ),
        (
            "error_invalid_path",
            get.clone(),
            "/api/v1/families/not-a-uuid".into(),
            Some(&world.admin),
            None,
            400,
        ),
        (
            "error_invalid_query",
            get.clone(),
            "/api/v1/users?limit=0".into(),
            Some(&world.admin),
            None,
            400,
        ),
        (
            "error_invalid_body",
            post.clone(),
            "/api/v1/programs".into(),
            Some(&world.admin),
            Some(json!({"name": "Program C", "colour": "red"})),
            400,
        ),
        (
            "error_validation_failed",
            post.clone(),
            format!("{family}/checkins"),
            Some(&world.caregiver_f),
            Some(json!({
                "client_id": uuid::Uuid::now_v7(),
                "child_id": f.child,
                "observed_at": "2026-03-09T18:00:00+08:00",
                "mood": 9,
            })),
            422,
        ),
        (
            "error_conflict",
            post.clone(),
            "/api/v1/users".into(),
            Some(&world.admin),
            Some(
                json!({"username": "staff-a", "password": PASSWORD, "role": "staff",
                        "program_ids": [world.program_a]}),
            ),
            409,
        ),
    ];
    for (name, method, path, token, body, status) in errors {
        let error = expect(&app, method, &path, token, body.as_ref(), status).await?;
        snapshot(name, &error);
    }
    // The noted contact's client id again, with different content.
    let mut changed = noted;
    changed["duration_seconds"] = json!(999);
    let conflict = expect(
        &app,
        post.clone(),
        &contacts,
        Some(&world.parent_f),
        Some(&changed),
        409,
    )
    .await?;
    snapshot("error_idempotency_conflict", &conflict);
    let response = app
        .client
        .post(app.url("/api/v1/programs"))
        .bearer_auth(&world.admin)
        .header("content-type", "text/plain")
        .body("Program C")
        .send()
        .await?;
    assert_eq!(response.status(), 415);
    snapshot("error_unsupported_media_type", &response.json().await?);

    // A person changed, and the errors of names and passwords.
    let person = expect(
        &app,
        Method::PATCH,
        &format!("{family}/persons/{}", f.mother),
        Some(&world.admin),
        Some(&json!({"lives_away": false, "away_location": null,
                     "phones": ["+86 138 0013 8000", "447700900123"]})),
        200,
    )
    .await?;
    snapshot("person", &person);
    let duplicate = expect(
        &app,
        post.clone(),
        "/api/v1/programs",
        Some(&world.admin),
        Some(&json!({"name": "Program A"})),
        409,
    )
    .await?;
    snapshot("error_duplicate_name", &duplicate);
    let wrong = expect(
        &app,
        post.clone(),
        "/api/v1/me/password",
        Some(&world.parent_f),
        Some(&json!({"old_password": "not the password", "new_password": "a new long passphrase"})),
        403,
    )
    .await?;
    snapshot("error_wrong_password", &wrong);
    let me_child = expect(
        &app,
        get.clone(),
        "/api/v1/auth/me",
        Some(&world.child_f),
        None,
        200,
    )
    .await?;
    let reset = expect(
        &app,
        post.clone(),
        &format!(
            "/api/v1/users/{}/password-reset",
            me_child["id"].as_str().unwrap_or_default()
        ),
        Some(&world.admin),
        None,
        200,
    )
    .await?;
    snapshot("password_reset", &reset);
    let limited = expect(
        &app,
        post.clone(),
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": "child-f", "password": reset["one_time_password"]})),
        200,
    )
    .await?;
    let required = expect(
        &app,
        get.clone(),
        &contacts,
        limited["access_token"].as_str(),
        None,
        403,
    )
    .await?;
    snapshot("error_password_change_required", &required);
    Ok(())
}

engine_tests!(every_response_type);
