//! Every error has one JSON shape with a stable code; a client's mistake is a 4xx.

use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::World;
use reqwest::Method;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

async fn client_errors(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let family = world.f.id;
    let contacts = format!("/api/v1/families/{family}/contacts");

    // Raw requests, so that malformed bodies and headers can be sent.
    let raw = |method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut request = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&world.parent_f)
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            raw(
                Method::POST,
                &contacts,
                Some("application/json"),
                b"{\"kind\": ".to_vec(),
            ),
            400,
            "invalid_body",
        ),
        (
            "wrong content type",
            raw(Method::POST, &contacts, Some("text/plain"), b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        (
            "no content type",
            raw(Method::POST, &contacts, None, b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            raw(
                Method::POST,
                &contacts,
                Some("application/json"),
                vec![b' '; 9 * 1024 * 1024],
            ),
            413,
            "payload_too_large",
        ),
        (
            "unknown route",
            raw(Method::GET, "/api/v1/nothing-here", None, vec![]),
            404,
            "route_not_found",
        ),
        (
            "wrong method",
            raw(Method::DELETE, "/api/v1/families", None, vec![]),
            404,
            "route_not_found",
        ),
        (
            "bad path id",
            raw(
                Method::GET,
                "/api/v1/families/not-a-uuid/contacts",
                None,
                vec![],
            ),
            400,
            "invalid_path",
        ),
        (
            "bad query value",
            raw(Method::GET, &format!("{contacts}?kind=phone"), None, vec![]),
            400,
            "invalid_query",
        ),
        (
            "unknown query field",
            raw(Method::GET, &format!("{contacts}?colour=red"), None, vec![]),
            400,
            "invalid_query",
        ),
        (
            "page too large",
            raw(
                Method::GET,
                &format!("{contacts}?limit=100000"),
                None,
                vec![],
            ),
            400,
            "invalid_query",
        ),
        (
            "bad cursor",
            raw(Method::GET, &format!("{contacts}?cursor=%%%"), None, vec![]),
            400,
            "invalid_query",
        ),
        (
            "bad time",
            raw(
                Method::GET,
                &format!("{contacts}?from=yesterday"),
                None,
                vec![],
            ),
            400,
            "invalid_query",
        ),
    ];
    for (name, request, status, expected_code) in cases {
        let response = request.send().await?;
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(code(&body), expected_code, "{name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }

    // Semantic validation names each bad field.
    let mut contact = crate::call(world.f.mother, world.f.child, 1, None);
    contact["initiator"] = json!(world.g.child);
    contact["duration_seconds"] = json!(-5);
    contact["participants"] = json!([world.f.mother, world.g.child]);
    let (status, body) = app.post(&contacts, Some(&world.parent_f), &contact).await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "validation_failed");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(fields.contains(&"participants[1]"), "{body}");
    assert!(fields.contains(&"duration_seconds"), "{body}");

    // Unknown fields and unknown enum values are refused, not ignored.
    let mut contact = crate::call(world.f.mother, world.f.child, 1, None);
    contact["colour"] = json!("red");
    let (status, body) = app.post(&contacts, Some(&world.parent_f), &contact).await?;
    assert_eq!((status, code(&body)), (400, "invalid_body"), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("colour"),
        "{body}"
    );
    let mut contact = crate::call(world.f.mother, world.f.child, 1, None);
    contact["kind"] = json!("telegram");
    let (status, body) = app.post(&contacts, Some(&world.parent_f), &contact).await?;
    assert_eq!((status, code(&body)), (400, "invalid_body"), "{body}");

    // No token, a forged token.
    let (status, body) = app
        .send(Method::GET, "/api/v1/families", None, None)
        .await?;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    let (status, body) = app
        .get("/api/v1/families", "eyJhbGciOiJub25lIn0.e30.")
        .await?;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));

    // Nothing half-written: the refused uploads left no contact behind.
    let page: Value = app.get_ok(&contacts, &world.parent_f).await?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
    Ok(())
}

engine_tests!(client_errors);
