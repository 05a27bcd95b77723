//! The OpenAPI document matches the routes the server really serves.

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
    let served: BTreeSet<(String, String)> = [
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/auth/me"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/users"),
        ("PATCH", "/api/v1/users/{user_id}"),
        ("POST", "/api/v1/programs"),
        ("GET", "/api/v1/programs"),
        ("GET", "/api/v1/programs/{program_id}"),
        ("POST", "/api/v1/families"),
        ("GET", "/api/v1/families"),
        ("GET", "/api/v1/families/{family_id}"),
        ("PATCH", "/api/v1/families/{family_id}"),
        ("POST", "/api/v1/families/{family_id}/persons"),
        ("GET", "/api/v1/families/{family_id}/persons"),
        ("POST", "/api/v1/families/{family_id}/contacts"),
        ("POST", "/api/v1/families/{family_id}/contacts/batch"),
        ("GET", "/api/v1/families/{family_id}/contacts"),
        ("GET", "/api/v1/families/{family_id}/contacts/{contact_id}"),
        (
            "POST",
            "/api/v1/families/{family_id}/contacts/{contact_id}/amend",
        ),
        ("POST", "/api/v1/families/{family_id}/checkins"),
        ("GET", "/api/v1/families/{family_id}/checkins"),
        ("GET", "/api/v1/families/{family_id}/report"),
        ("POST", "/api/v1/families/{family_id}/follow-ups"),
        ("GET", "/api/v1/families/{family_id}/follow-ups"),
        ("GET", "/api/v1/reports/caseload"),
        ("GET", "/api/v1/families/{family_id}/bundle"),
        ("POST", "/api/v1/bundles"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(
        documented, served,
        "the document lists exactly the served routes"
    );

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

engine_tests!(document_matches_routes);
