//! Accounts over their life: an admin disables one and its tokens stop working at once, a
//! deleted account's token stores nothing, and every change is audited with what changed.

use diesel::RunQueryDsl;
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_shared::api::{AuditEntry, Contact, Page, User};
use kinthread_tests::fixtures::{PASSWORD, World};
use kinthread_tests::{TestApp, engine_tests};
use reqwest::Method;
use serde_json::json;

use crate::call;

async fn user_id_of(app: &TestApp, world: &World, username: &str) -> anyhow::Result<String> {
    let users: Page<User> = app.get_ok("/api/v1/users?limit=200", &world.admin).await?;
    let user = users
        .items
        .into_iter()
        .find(|u| u.username == username)
        .ok_or_else(|| anyhow::anyhow!("no account {username}"))?;
    Ok(user.id.to_string())
}

async fn patch(
    app: &TestApp,
    token: &str,
    id: &str,
    body: serde_json::Value,
) -> anyhow::Result<(u16, serde_json::Value)> {
    app.send(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn a_disabled_account_is_refused_at_once(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let contacts = format!("/api/v1/families/{}/contacts", world.f.id);
    // The token works, and its standing is now remembered by the server.
    let _: Page<Contact> = app.get_ok(&contacts, &world.parent_f).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;

    let (status, body) = patch(&app, &world.admin, &parent, json!({"disabled": true})).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disabled"], json!(true));

    // Refused on the very next request, though the token has not expired.
    let (status, body) = app.get(&contacts, &world.parent_f).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (status, _) = app
        .post(
            &contacts,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, None),
        )
        .await?;
    assert_eq!(status, 401);
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
        )
        .await?;
    assert_eq!(status, 401, "a disabled account cannot sign in");

    // The audit says what changed.
    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit", &world.admin).await?;
    let entry = audit
        .items
        .iter()
        .find(|e| e.action == "user.update")
        .expect("the change is audited");
    assert!(
        entry
            .target
            .as_deref()
            .is_some_and(|t| t.contains(&parent) && t.contains("disabled false -> true")),
        "{entry:?}"
    );

    // Enabled again, the account signs in; the old token stays ended.
    let (status, _) = patch(&app, &world.admin, &parent, json!({"disabled": false})).await?;
    assert_eq!(status, 200);
    let (status, _) = app.get(&contacts, &world.parent_f).await?;
    assert_eq!(status, 401, "sessions ended by the disabling stay ended");
    let fresh = kinthread_tests::fixtures::login(&app, "parent-f").await?;
    let _: Page<Contact> = app.get_ok(&contacts, &fresh).await?;
    Ok(())
}

async fn account_changes_are_checked(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let staff = user_id_of(&app, &world, "staff-a").await?;
    let admin = user_id_of(&app, &world, "admin").await?;
    let cases = [
        (
            &world.parent_f,
            parent.clone(),
            json!({"disabled": true}),
            403,
        ),
        (
            &world.staff_a,
            staff.clone(),
            json!({"display_name": "A"}),
            403,
        ),
        (&world.admin, admin.clone(), json!({"disabled": true}), 422),
        (
            &world.admin,
            parent.clone(),
            json!({"program_ids": [world.program_a]}),
            422,
        ),
        (&world.admin, staff.clone(), json!({"program_ids": []}), 422),
        (
            &world.admin,
            staff.clone(),
            json!({"program_ids": [uuid::Uuid::now_v7()]}),
            422,
        ),
        (
            &world.admin,
            uuid::Uuid::now_v7().to_string(),
            json!({"disabled": true}),
            404,
        ),
        (&world.admin, staff.clone(), json!({"role": "admin"}), 400),
    ];
    for (token, id, body, expected) in cases {
        let (status, answer) = patch(&app, token, &id, body.clone()).await?;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    // A staff member moved to program B sees B's families, not A's.
    let (status, body) = patch(
        &app,
        &world.admin,
        &staff,
        json!({"program_ids": [world.program_b], "display_name": "Worker A"}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let moved = kinthread_tests::fixtures::login(&app, "staff-a").await?;
    let (status, _) = app
        .get(&format!("/api/v1/families/{}", world.f.id), &moved)
        .await?;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(&format!("/api/v1/families/{}", world.g.id), &moved)
        .await?;
    assert_eq!(status, 200);
    Ok(())
}

/// An account removed from the database: the token it still holds stores nothing.
async fn a_deleted_accounts_token_stores_nothing(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let url = DatabaseUrl::parse(&app.db_url)?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let db = Db::connect(&url, 2)?;
        let mut conn = db.write_conn()?;
        diesel::sql_query(format!(
            "DELETE FROM refresh_tokens WHERE user_id = '{parent}'"
        ))
        .execute(&mut conn)?;
        diesel::sql_query(format!("DELETE FROM users WHERE id = '{parent}'")).execute(&mut conn)?;
        Ok(())
    })
    .await??;
    let contacts = format!("/api/v1/families/{}/contacts", world.f.id);
    // Within the standing's time to live at most; here it was never read, so at once.
    let (status, _) = app
        .post(
            &contacts,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, None),
        )
        .await?;
    assert_eq!(status, 401);
    let page: Page<Contact> = app.get_ok(&contacts, &world.admin).await?;
    assert!(page.items.is_empty(), "nothing was stored");
    Ok(())
}

/// Two server copies on one database: what one copy changes of an account (disabling it,
/// a password change ending its sessions) the other refuses within the standing's time to
/// live, though it had read and cached the account's good standing just before.
async fn another_server_copy_refuses_within_the_standing_ttl(app: TestApp) -> anyhow::Result<()> {
    use kinthread_server::auth::STANDING_TTL;
    use std::time::{Duration, Instant};

    let world = World::build(&app).await?;
    let other = app.another_copy().await?;
    let parent = user_id_of(&app, &world, "parent-f").await?;
    let contacts_f = format!("/api/v1/families/{}/contacts", world.f.id);
    let contacts_g = format!("/api/v1/families/{}/contacts", world.g.id);
    // The other copy accepts both tokens (the shared signing secret) and caches their standing.
    let _: Page<Contact> = other.get_ok(&contacts_f, &world.parent_f).await?;
    let _: Page<Contact> = other.get_ok(&contacts_g, &world.parent_g).await?;

    let (status, _) = patch(&app, &world.admin, &parent, json!({"disabled": true})).await?;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            "/api/v1/me/password",
            Some(&world.parent_g),
            &json!({"old_password": PASSWORD, "new_password": "another long passphrase"}),
        )
        .await?;
    assert_eq!(status, 200);
    let changed = Instant::now();
    assert_eq!(
        app.get(&contacts_f, &world.parent_f).await?.0,
        401,
        "this copy at once"
    );
    assert_eq!(
        app.get(&contacts_g, &world.parent_g).await?.0,
        401,
        "this copy at once"
    );

    let mut refused = [false, false];
    while refused != [true, true] {
        assert!(
            changed.elapsed() <= STANDING_TTL + Duration::from_secs(1),
            "the other copy still accepts after {:?}: {refused:?}",
            changed.elapsed()
        );
        let checks = [
            (&contacts_f, &world.parent_f, &world.f),
            (&contacts_g, &world.parent_g, &world.g),
        ];
        for (i, (path, token, family)) in checks.into_iter().enumerate() {
            if refused[i] {
                continue;
            }
            let (status, _) = other
                .post(
                    path,
                    Some(token),
                    &call(family.mother, family.child, 1, None),
                )
                .await?;
            assert!(status == 201 || status == 401, "{status}");
            refused[i] = status == 401;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(other);
    Ok(())
}

engine_tests!(
    a_disabled_account_is_refused_at_once,
    another_server_copy_refuses_within_the_standing_ttl,
    account_changes_are_checked,
    a_deleted_accounts_token_stores_nothing,
);
