//! Login throttling on the real server: waits after repeated wrong passwords (429 with
//! `Retry-After`), per account and per address, a lockout only an admin lifts, and audit.

use std::time::Duration;

use kinthread_server::config::Settings;
use kinthread_server::throttle::LoginPolicy;
use kinthread_shared::api::{AuditEntry, Page, User};
use kinthread_tests::fixtures::{PASSWORD, World};
use kinthread_tests::{Engine, TestApp};
use reqwest::Method;
use serde_json::json;

fn strict(settings: &mut Settings) {
    settings.login_policy = LoginPolicy {
        free_failures: 3,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(60),
        lockout_after: 6,
        concurrent_checks: 1,
        max_waiting: 64,
    };
}

async fn login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> anyhow::Result<(u16, Option<String>)> {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((response.status().as_u16(), retry_after))
}

async fn wrong_passwords_slow_down_then_lock(engine: Engine) -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_with(engine, strict).await? else {
        return Ok(());
    };
    let world = World::build(&app).await?;
    for _ in 0..3 {
        assert_eq!(login(&app, "parent-f", "wrong password!").await?.0, 401);
    }
    // The fourth failure makes the next attempt wait, the right password included.
    assert_eq!(login(&app, "parent-f", "wrong password!").await?.0, 401);
    let (status, retry_after) = login(&app, "parent-f", PASSWORD).await?;
    assert_eq!(status, 429);
    let seconds: u64 = retry_after.unwrap_or_default().parse()?;
    assert!((1..=30).contains(&seconds), "Retry-After {seconds}");
    // Another account from the same address waits too: the address has failed four times.
    assert_eq!(login(&app, "staff-a", PASSWORD).await?.0, 429);
    drop(world);
    Ok(())
}

async fn a_long_run_of_failures_locks_until_an_admin_unlocks(engine: Engine) -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_with(engine, |settings| {
        strict(settings);
        // No waits, so the run reaches the lockout at once.
        settings.login_policy.free_failures = 100;
    })
    .await?
    else {
        return Ok(());
    };
    let world = World::build(&app).await?;
    for _ in 0..6 {
        assert_eq!(login(&app, "parent-f", "wrong password!").await?.0, 401);
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
        )
        .await?;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("locked"),
        "{body}"
    );
    let users: Page<User> = app.get_ok("/api/v1/users?limit=200", &world.admin).await?;
    let parent = users
        .items
        .iter()
        .find(|u| u.username == "parent-f")
        .unwrap();
    assert!(parent.login_locked);
    let audit: Page<AuditEntry> = app.get_ok("/api/v1/audit", &world.admin).await?;
    assert!(audit.items.iter().any(|e| e.action == "user.login_locked"));

    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{}", parent.id),
            Some(&world.admin),
            Some(&json!({"login_locked": false})),
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(login(&app, "parent-f", PASSWORD).await?.0, 200);
    Ok(())
}

macro_rules! both_engines {
    ($($name:ident),+) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() -> anyhow::Result<()> {
                    super::$name(kinthread_tests::Engine::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() -> anyhow::Result<()> {
                    super::$name(kinthread_tests::Engine::Postgres).await
                }
            }
        )+
    };
}

both_engines!(
    wrong_passwords_slow_down_then_lock,
    a_long_run_of_failures_locks_until_an_admin_unlocks
);
