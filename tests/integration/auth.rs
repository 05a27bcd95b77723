//! Sign-in, refresh-token rotation and revocation.

use kinthread_shared::api::{TokenResponse, User};
use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::{PASSWORD, World};
use serde_json::json;

async fn sign_in_and_rotate(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;

    // Wrong password and unknown user fail alike.
    for (username, password) in [("parent-f", "wrong password!"), ("nobody-here", PASSWORD)] {
        let (status, body) = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"username": username, "password": password}),
            )
            .await?;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "bad_credentials");
    }

    // Usernames are case-insensitive.
    let tokens: TokenResponse = app
        .post_ok(
            "/api/v1/auth/login",
            None,
            &json!({"username": "Parent-F", "password": PASSWORD}),
            200,
        )
        .await?;
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0 && tokens.expires_in <= 3600);
    assert_eq!(tokens.user.family_id, Some(world.f.id));

    let me: User = app.get_ok("/api/v1/auth/me", &tokens.access_token).await?;
    assert_eq!(me.username, "parent-f");
    assert_eq!(me.person_id, Some(world.f.mother));

    // A refresh token works once; the new one works; the old one replayed revokes them all.
    let refreshed: TokenResponse = app
        .post_ok(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
            200,
        )
        .await?;
    assert_ne!(refreshed.refresh_token, tokens.refresh_token);
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await?;
    assert_eq!(status, 401, "a used refresh token must not work twice");
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refreshed.refresh_token}),
        )
        .await?;
    assert_eq!(status, 401, "a replay revokes every token of the account");

    // Logout revokes the refresh token given.
    let fresh: TokenResponse = app
        .post_ok(
            "/api/v1/auth/login",
            None,
            &json!({"username": "parent-f", "password": PASSWORD}),
            200,
        )
        .await?;
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            Some(&fresh.access_token),
            &json!({"refresh_token": fresh.refresh_token}),
        )
        .await?;
    assert_eq!(status, 204);
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": fresh.refresh_token}),
        )
        .await?;
    assert_eq!(status, 401);

    // Accounts: weak passwords and taken names are refused; only admins create accounts.
    let (status, body) = app
        .post(
            "/api/v1/users",
            Some(&world.admin),
            &json!({"username": "short-pass", "password": "123", "role": "admin"}),
        )
        .await?;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("password"))
    );
    let (status, body) = app
        .post(
            "/api/v1/users",
            Some(&world.admin),
            &json!({"username": "PARENT-F", "password": PASSWORD, "role": "admin"}),
        )
        .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    let (status, _) = app
        .post(
            "/api/v1/users",
            Some(&world.parent_f),
            &json!({"username": "sneaky", "password": PASSWORD, "role": "admin"}),
        )
        .await?;
    assert_eq!(status, 403);
    // A child account needs the child to be 10 or older; a parent account needs a parent.
    let (status, body) = app
        .post(
            "/api/v1/users",
            Some(&world.admin),
            &json!({"username": "wrong-role", "password": PASSWORD, "role": "parent",
                    "family_id": world.f.id, "person_id": world.f.child}),
        )
        .await?;
    assert_eq!(status, 422, "{body}");
    Ok(())
}

engine_tests!(sign_in_and_rotate);
