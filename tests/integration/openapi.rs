//! The OpenAPI document matches the routes the server really serves, declares the statuses
//! they answer and the limits they check, and is pinned as a snapshot.

use std::collections::BTreeSet;

use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::World;
use reqwest::Method;
use serde_json::Value;

async fn document_matches_routes(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let (status, doc) = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| (method.to_uppercase(), path.clone()))
        })
        .collect();
    // The route list is written once (`routes!` in the server), so the document cannot list
    // a route the server does not know; here the other direction: every documented path and
    // method reaches a handler.
    assert!(documented.len() >= 32, "{documented:?}");

    // Every documented route is really served: with ids filled in, none answers
    // `route_not_found`.
    let contact = uuid::Uuid::now_v7();
    for (method, path) in &documented {
        let concrete = path
            .replace("{family_id}", &world.f.id.to_string())
            .replace("{program_id}", &world.program_a.to_string())
            .replace("{contact_id}", &contact.to_string())
            .replace("{user_id}", &contact.to_string());
        let method: Method = method.parse()?;
        let body = (method != Method::GET).then(|| Value::Object(Default::default()));
        let (_, body) = app
            .send(method.clone(), &concrete, Some(&world.admin), body.as_ref())
            .await?;
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{method} {concrete}"
        );
    }

    // The schemas of the main wire types are in the document.
    for schema in [
        "NewContact",
        "Contact",
        "ErrorBody",
        "BatchResponse",
        "TokenResponse",
        "FamilyReport",
        "CaseloadReport",
        "NewFollowUp",
        "FollowUp",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    Ok(())
}

/// The document as reviewed: a change to a route, a status or a schema shows in the diff.
async fn document_is_pinned(app: TestApp) -> anyhow::Result<()> {
    let (status, doc) = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    assert_eq!(status, 200);
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_sort_maps(true);
    settings.bind(|| insta::assert_json_snapshot!("openapi_document", doc));
    Ok(())
}

/// Every operation declares the statuses the shared machinery can answer: 414, 431 (the
/// edge's limits) and 503 everywhere, 401 with a bearer token (and 403
/// `password_change_required` where a one-time password does not reach), 400 and 404 with
/// path ids, 400 with a query, 400, 408 (a body too slow), 413, 415 and 422 with a body.
async fn every_status_is_declared(app: TestApp) -> anyhow::Result<()> {
    let (_, doc) = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in ops.as_object().into_iter().flatten() {
            let params = |place: &str| {
                op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["in"] == place)
            };
            let mut expected = vec!["414", "431", "503"];
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                expected.push("401");
                // An account that must change its password reaches only these.
                let reachable = [
                    "/api/v1/me/password",
                    "/api/v1/auth/me",
                    "/api/v1/auth/logout",
                ];
                if !reachable.contains(&path.as_str()) {
                    expected.push("403");
                }
            }
            if params("path") {
                expected.extend(["400", "404"]);
            }
            if params("query") {
                expected.push("400");
            }
            if op["requestBody"].is_object() {
                expected.extend(["400", "408", "413", "415", "422"]);
            }
            for status in expected {
                assert!(
                    op["responses"][status].is_object(),
                    "{method} {path} does not declare {status}"
                );
            }
        }
    }
    // A route that reads a bearer token says so.
    assert!(doc["paths"]["/api/v1/auth/logout"]["post"]["security"].is_array());
    Ok(())
}

/// The limits the server checks are in the schema, equal to the constants that check them.
async fn limits_are_declared(app: TestApp) -> anyhow::Result<()> {
    use kinthread_server::routes::MAX_PAGE_SIZE;
    use kinthread_shared::TargetCadence;
    use kinthread_shared::reports::{MAX_CASELOAD_LIMIT, MAX_WINDOW_DAYS};

    let (_, doc) = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    let param = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .map(|p| p["schema"].clone())
            .unwrap_or(Value::Null)
    };
    let range = |schema: &Value| (schema["minimum"].as_u64(), schema["maximum"].as_u64());
    let page = Some(u64::from(MAX_PAGE_SIZE));
    for path in [
        "/api/v1/users",
        "/api/v1/programs",
        "/api/v1/families",
        "/api/v1/audit",
        "/api/v1/families/{family_id}/contacts",
        "/api/v1/families/{family_id}/checkins",
        "/api/v1/families/{family_id}/follow-ups",
    ] {
        assert_eq!(range(&param(path, "limit")), (Some(1), page), "{path}");
    }
    assert_eq!(
        range(&param("/api/v1/reports/caseload", "limit")),
        (Some(1), Some(u64::from(MAX_CASELOAD_LIMIT)))
    );
    for path in [
        "/api/v1/reports/caseload",
        "/api/v1/families/{family_id}/report",
    ] {
        assert_eq!(
            range(&param(path, "window_days")),
            (Some(1), Some(u64::from(MAX_WINDOW_DAYS))),
            "{path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        range(&schemas["NewCheckin"]["properties"]["mood"]),
        (Some(1), Some(5))
    );
    assert_eq!(
        range(&schemas["TargetCadence"]),
        (
            Some(u64::from(TargetCadence::MIN_DAYS)),
            Some(u64::from(TargetCadence::MAX_DAYS))
        )
    );
    let max_length =
        |schema: &str, field: &str| schemas[schema]["properties"][field]["maxLength"].as_u64();
    for (schema, field) in [
        ("NewProgram", "name"),
        ("NewFamily", "display_name"),
        ("FamilyUpdate", "display_name"),
        ("NewPerson", "display_name"),
    ] {
        assert_eq!(max_length(schema, field), Some(200), "{schema}.{field}");
    }
    assert_eq!(max_length("NewFollowUp", "reason"), Some(2000));
    assert_eq!(
        schemas["ContactBatch"]["properties"]["contacts"]["maxItems"].as_u64(),
        Some(kinthread_server::routes::contacts::MAX_BATCH as u64)
    );
    Ok(())
}

engine_tests!(
    document_matches_routes,
    document_is_pinned,
    every_status_is_declared,
    limits_are_declared
);
