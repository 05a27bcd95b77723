//! Passwords over an account's life: changing one's own (the old one required, every other
//! session ended, wrong old passwords throttled like sign-ins) and an admin's reset to a
//! one-time password that must be changed before the account may do anything else.

use std::time::Duration;

use kinthread_server::config::Settings;
use kinthread_server::throttle::LoginPolicy;
use kinthread_shared::api::{AuditEntry, Page, PasswordReset, TokenResponse, User};
use kinthread_tests::fixtures::{PASSWORD, World};
use kinthread_tests::{Engine, TestApp, engine_tests};
use reqwest::Method;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a new and longer passphrase";

async fn sign_in(app: &TestApp, username: &str, password: &str) -> anyhow::Result<TokenResponse> {
    app.post_ok(
        "/api/v1/auth/login",
        None,
        &json!({"username": username, "password": password}),
        200,
    )
    .await
}

async fn change(app: &TestApp, token: &str, old: &str, new: &str) -> anyhow::Result<(u16, Value)> {
    app.post(
        "/api/v1/me/password",
        Some(token),
        &json!({"old_password": old, "new_password": new}),
    )
    .await
}

async fn user_id_of(app: &TestApp, world: &World, username: &str) -> anyhow::Result<String> {
    let users: Page<User> = app.get_ok("/api/v1/users?limit=200", &world.admin).await?;
    let user = users
        .items
        .into_iter()
        .find(|u| u.username == username)
        .ok_or_else(|| anyhow::anyhow!("no account {username}"))?;
    Ok(user.id.to_string())
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn changing_ones_password_ends_every_other_session(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let contacts = format!("/api/v1/families/{}/contacts", world.f.id);
    let phone = sign_in(&app, "parent-f", PASSWORD).await?;
    let laptop = sign_in(&app, "parent-f", PASSWORD).await?;
    let _: Value = app.get_ok(&contacts, &laptop.access_token).await?;

    // Refused, and nothing changes: a wrong old password, a short or unchanged new one.
    let (status, body) = change(&app, &phone.access_token, "not my password", NEW_PASSWORD).await?;
    assert_eq!((status, code(&body)), (403, "wrong_password"), "{body}");
    let (status, body) = change(&app, &phone.access_token, PASSWORD, "short").await?;
    assert_eq!((status, code(&body)), (422, "validation_failed"), "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "new_password");
    let (status, body) = change(&app, &phone.access_token, PASSWORD, PASSWORD).await?;
    assert_eq!((status, code(&body)), (422, "validation_failed"), "{body}");
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            Some(&phone.access_token),
            &json!({"new_password": NEW_PASSWORD}),
        )
        .await?;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_body"),
        "the old one is required"
    );
    let _: Value = app.get_ok(&contacts, &laptop.access_token).await?;

    let (status, body) = change(&app, &phone.access_token, PASSWORD, NEW_PASSWORD).await?;
    assert_eq!(status, 200, "{body}");
    let renewed: TokenResponse = serde_json::from_value(body)?;
    assert!(!renewed.user.must_change_password);

    // Every earlier session has ended, this device's included; the new pair works.
    for token in [&phone.access_token, &laptop.access_token] {
        let (status, body) = app.get(&contacts, token).await?;
        assert_eq!((status, code(&body)), (401, "unauthenticated"), "{body}");
    }
    for refresh in [&phone.refresh_token, &laptop.refresh_token] {
        let (status, _) = app
            .post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": refresh}),
            )
            .await?;
        assert_eq!(status, 401, "refresh tokens are revoked");
    }
    let _: Value = app.get_ok(&contacts, &renewed.access_token).await?;
    let _: TokenResponse = app
        .post_ok(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": renewed.refresh_token}),
            200,
        )
        .await?;

    // Only the new password signs in.
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
        )
        .await?;
    assert_eq!(status, 401);
    sign_in(&app, "parent-f", NEW_PASSWORD).await?;

    // Audited, without the password.
    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit", &world.admin).await?;
    let entry = audit
        .items
        .iter()
        .find(|e| e.action == "user.password_change")
        .expect("audited");
    let target = entry.target.clone().unwrap_or_default();
    assert!(
        !target.contains(NEW_PASSWORD) && !target.contains(PASSWORD),
        "{target}"
    );
    assert_eq!(entry.family_id, Some(world.f.id));

    // Every role changes its own password.
    for (username, token) in [
        ("staff-a", &world.staff_a),
        ("child-f", &world.child_f),
        ("caregiver-f", &world.caregiver_f),
        ("admin", &world.admin),
    ] {
        let (status, body) = change(&app, token, PASSWORD, NEW_PASSWORD).await?;
        assert_eq!(status, 200, "{username}: {body}");
    }
    Ok(())
}

/// The password check of `POST /me/password` is a sign-in attempt: wrong old passwords make
/// the next attempts wait and then lock the account.
async fn wrong_old_passwords_are_throttled(engine: Engine) -> anyhow::Result<()> {
    let strict = |settings: &mut Settings| {
        settings.login_policy = LoginPolicy {
            free_failures: 2,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60),
            lockout_after: 20,
            concurrent_checks: 1,
            max_waiting: 64,
        };
    };
    let Some(app) = TestApp::spawn_with(engine, strict).await? else {
        return Ok(());
    };
    let world = World::build(&app).await?;
    for _ in 0..3 {
        let (status, _) = change(&app, &world.parent_f, "wrong password!", NEW_PASSWORD).await?;
        assert_eq!(status, 403);
    }
    let (status, body) = change(&app, &world.parent_f, PASSWORD, NEW_PASSWORD).await?;
    assert_eq!((status, code(&body)), (429, "too_many_requests"), "{body}");
    // The sign-in of the same account waits as well.
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
        )
        .await?;
    assert_eq!(status, 429);
    Ok(())
}

async fn a_reset_password_must_be_changed_first(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let reset_path = format!("/api/v1/users/{parent}/password-reset");
    let contacts = format!("/api/v1/families/{}/contacts", world.f.id);
    let _: Value = app.get_ok(&contacts, &world.parent_f).await?;

    let (status, body) = app
        .post(&reset_path, Some(&world.admin), &json!({}))
        .await?;
    assert_eq!(status, 200, "{body}");
    let reset: PasswordReset = serde_json::from_value(body)?;
    assert!(reset.user.must_change_password);
    assert!(reset.one_time_password.chars().count() >= 16);
    // A second reset gives another password.
    let again: PasswordReset = app
        .post_ok(&reset_path, Some(&world.admin), &json!({}), 200)
        .await?;
    assert_ne!(again.one_time_password, reset.one_time_password);
    let one_time = again.one_time_password;

    // The sessions of the account ended at the reset; the old password is gone.
    let (status, _) = app.get(&contacts, &world.parent_f).await?;
    assert_eq!(status, 401);
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
        )
        .await?;
    assert_eq!(status, 401);

    // Signed in with the one-time password: nothing but the password change, "me", logout.
    let session = sign_in(&app, "parent-f", &one_time).await?;
    assert!(session.user.must_change_password);
    let token = session.access_token.as_str();
    for (method, path) in [
        (Method::GET, contacts.clone()),
        (Method::GET, format!("/api/v1/families/{}", world.f.id)),
        (Method::GET, "/api/v1/families".to_owned()),
        (
            Method::GET,
            format!("/api/v1/families/{}/report", world.f.id),
        ),
    ] {
        let (status, body) = app.send(method.clone(), &path, Some(token), None).await?;
        assert_eq!(
            (status, code(&body)),
            (403, "password_change_required"),
            "{method} {path}: {body}"
        );
    }
    let (status, body) = app
        .post(
            &contacts,
            Some(token),
            &crate::call(world.f.mother, world.f.child, 1, None),
        )
        .await?;
    assert_eq!((status, code(&body)), (403, "password_change_required"));
    let me: User = app.get_ok("/api/v1/auth/me", token).await?;
    assert!(me.must_change_password);
    // A refreshed token is just as limited.
    let refreshed: TokenResponse = app
        .post_ok(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session.refresh_token}),
            200,
        )
        .await?;
    let (status, _) = app.get(&contacts, &refreshed.access_token).await?;
    assert_eq!(status, 403);

    let (status, body) = change(&app, &refreshed.access_token, &one_time, NEW_PASSWORD).await?;
    assert_eq!(status, 200, "{body}");
    let changed: TokenResponse = serde_json::from_value(body)?;
    assert!(!changed.user.must_change_password);
    let _: Value = app.get_ok(&contacts, &changed.access_token).await?;
    let (status, _) = app.get(&contacts, &refreshed.access_token).await?;
    assert_eq!(status, 401, "the limited session ended with the change");
    sign_in(&app, "parent-f", NEW_PASSWORD).await?;

    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit", &world.admin).await?;
    let resets: Vec<&AuditEntry> = audit
        .items
        .iter()
        .filter(|e| e.action == "user.password_reset")
        .collect();
    assert_eq!(resets.len(), 2);
    for entry in resets {
        let target = entry.target.clone().unwrap_or_default();
        assert!(target.contains(&parent), "{target}");
        assert!(!target.contains(&one_time) && !target.contains(&reset.one_time_password));
    }
    Ok(())
}

/// Only admins reset passwords, never their own; an unknown account is 404.
async fn password_resets_are_for_admins(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let admin = user_id_of(&app, &world, "admin").await?;
    let path = |id: &str| format!("/api/v1/users/{id}/password-reset");
    for (who, token) in [
        ("parent", &world.parent_f),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
        ("staff", &world.staff_a),
        ("parent of another family", &world.parent_g),
    ] {
        let (status, body) = app.post(&path(&parent), Some(token), &json!({})).await?;
        assert_eq!((status, code(&body)), (403, "forbidden"), "{who}: {body}");
    }
    let (status, body) = app
        .post(&path(&admin), Some(&world.admin), &json!({}))
        .await?;
    assert_eq!(status, 422, "{body}");
    let unknown = uuid::Uuid::now_v7().to_string();
    let (status, _) = app
        .post(&path(&unknown), Some(&world.admin), &json!({}))
        .await?;
    assert_eq!(status, 404);
    let (status, _) = app.post(&path(&parent), None, &json!({})).await?;
    assert_eq!(status, 401);
    // The parent's password still works: nothing was reset.
    sign_in(&app, "parent-f", PASSWORD).await?;
    Ok(())
}

/// A reset lifts a lockout after wrong passwords.
async fn a_reset_unlocks_a_locked_account(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let url = kinthread_server::db::DatabaseUrl::parse(&app.db_url)?;
    let id = parent.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        use diesel::RunQueryDsl;
        let db = kinthread_server::db::Db::connect(&url, 2)?;
        let mut conn = db.write_conn()?;
        diesel::sql_query(format!(
            "UPDATE users SET login_locked = TRUE WHERE id = '{id}'"
        ))
        .execute(&mut conn)?;
        Ok(())
    })
    .await??;
    let reset: PasswordReset = app
        .post_ok(
            &format!("/api/v1/users/{parent}/password-reset"),
            Some(&world.admin),
            &json!({}),
            200,
        )
        .await?;
    assert!(!reset.user.login_locked);
    sign_in(&app, "parent-f", &reset.one_time_password).await?;
    Ok(())
}

engine_tests!(
    changing_ones_password_ends_every_other_session,
    a_reset_password_must_be_changed_first,
    password_resets_are_for_admins,
    a_reset_unlocks_a_locked_account,
);

mod wrong_old_passwords_are_throttled {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() -> anyhow::Result<()> {
        super::wrong_old_passwords_are_throttled(kinthread_tests::Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() -> anyhow::Result<()> {
        super::wrong_old_passwords_are_throttled(kinthread_tests::Engine::Postgres).await
    }
}
