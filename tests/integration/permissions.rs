//! Who may do what: every endpoint is tried by each role that must be refused.

use kinthread_shared::api::{Contact, Family, Page};
use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::World;
use reqwest::Method;
use serde_json::{Value, json};

use crate::call;

struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn endpoint(method: Method, path: String, body: Option<Value>) -> Endpoint {
    Endpoint { method, path, body }
}

/// Every endpoint that reads or writes family F's data.
fn family_endpoints(world: &World, contact: &Contact) -> Vec<Endpoint> {
    let f = world.f.id;
    let new_contact = call(world.f.mother, world.f.child, 1, Some("test"));
    let checkin = json!({"client_id": uuid::Uuid::now_v7(), "child_id": world.f.child,
        "observed_at": "2026-01-01T08:00:00+08:00", "mood": 3});
    vec![
        endpoint(Method::GET, format!("/api/v1/families/{f}"), None),
        endpoint(
            Method::PATCH,
            format!("/api/v1/families/{f}"),
            Some(json!({"consent": {"share_notes_with_staff": true}})),
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/persons"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/persons"),
            Some(json!({"display_name": "X", "role": "sibling"})),
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/families/{f}/persons/{}", world.f.child),
            Some(json!({"display_name": "X"})),
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/families/{f}"),
            Some(json!({"program_id": null})),
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/contacts"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/contacts"),
            Some(new_contact.clone()),
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/contacts/batch"),
            Some(json!({"contacts": [new_contact.clone()]})),
        ),
        endpoint(
            Method::GET,
            format!("/api/v1/families/{f}/contacts/{}", contact.id),
            None,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/contacts/{}/amend", contact.id),
            Some(new_contact),
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/checkins"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/checkins"),
            Some(checkin),
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/report"), None),
        endpoint(Method::GET, format!("/api/v1/families/{f}/bundle"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/contacts/{}/feedback", contact.id),
            Some(feedback()),
        ),
        endpoint(
            Method::GET,
            format!("/api/v1/families/{f}/contacts/{}/feedback", contact.id),
            None,
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/feedback"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/child-checkins"),
            Some(child_checkin()),
        ),
        endpoint(
            Method::GET,
            format!("/api/v1/families/{f}/child-checkins"),
            None,
        ),
        endpoint(Method::GET, format!("/api/v1/families/{f}/consents"), None),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/consents"),
            Some(
                json!({"kind": "share_notes_with_staff", "person_id": world.f.mother,
                        "reference": "form 1"}),
            ),
        ),
        endpoint(
            Method::POST,
            format!(
                "/api/v1/families/{f}/consents/{}/withdraw",
                uuid::Uuid::now_v7()
            ),
            Some(json!({})),
        ),
        endpoint(
            Method::GET,
            format!("/api/v1/families/{f}/access-log"),
            None,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/deletion-request"),
            Some(json!({"reason": "x"})),
        ),
        endpoint(
            Method::DELETE,
            format!("/api/v1/families/{f}"),
            Some(json!({"reason": "x"})),
        ),
        endpoint(
            Method::GET,
            format!("/api/v1/families/{f}/follow-ups"),
            None,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{f}/follow-ups"),
            Some(json!({"outcome": "reached_parent"})),
        ),
    ]
}

fn feedback() -> Value {
    json!({"client_id": uuid::Uuid::now_v7(), "rating": "bad", "words": "x"})
}

fn child_checkin() -> Value {
    json!({"client_id": uuid::Uuid::now_v7(), "observed_at": "2026-01-01T08:00:00+08:00",
           "mood": 2, "words": "x"})
}

/// Endpoints for admins only.
fn admin_endpoints(world: &World) -> Vec<Endpoint> {
    vec![
        endpoint(
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"username": "x-user", "password": "long enough password", "role": "admin"}),
            ),
        ),
        endpoint(Method::GET, "/api/v1/users".into(), None),
        endpoint(
            Method::POST,
            "/api/v1/programs".into(),
            Some(json!({"name": "P"})),
        ),
        endpoint(
            Method::POST,
            "/api/v1/families".into(),
            Some(json!({"display_name": "X"})),
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/families/{}/persons", world.f.id),
            Some(json!({"display_name": "X", "role": "sibling"})),
        ),
        endpoint(Method::GET, "/api/v1/audit".into(), None),
        endpoint(
            Method::PATCH,
            format!("/api/v1/programs/{}", world.program_a),
            Some(
                json!({"name": "Renamed", "attention_thresholds": {"unhappy_min_bad_feedbacks": 1}}),
            ),
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/families/{}/persons/{}", world.f.id, world.f.mother),
            Some(json!({"lives_away": false})),
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/families/{}", world.f.id),
            Some(json!({"program_id": world.program_b})),
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/users/{}/password-reset", uuid::Uuid::now_v7()),
            Some(json!({})),
        ),
        endpoint(
            Method::POST,
            "/api/v1/bundles".into(),
            Some(json!({"format": "kinthread-bundle", "version": 1,
                        "exported_at": "2026-01-01T00:00:00Z", "families": []})),
        ),
    ]
}

/// Endpoints for parents only, about their own family.
fn parent_endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, "/api/v1/me/reminders".into(), None)]
}

async fn expect_status(
    app: &TestApp,
    token: Option<&str>,
    e: &Endpoint,
    who: &str,
    want: u16,
) -> anyhow::Result<()> {
    let (status, body) = app
        .send(e.method.clone(), &e.path, token, e.body.as_ref())
        .await?;
    assert_eq!(status, want, "{who} {} {}: {body}", e.method, e.path);
    let code = if want == 401 {
        "unauthenticated"
    } else {
        "forbidden"
    };
    assert_eq!(body["error"]["code"], code, "{who} {} {}", e.method, e.path);
    Ok(())
}

async fn every_endpoint_refuses_outsiders(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let contacts_path = format!("/api/v1/families/{}/contacts", world.f.id);
    let contact: Contact = app
        .post_ok(
            &contacts_path,
            Some(&world.parent_f),
            &call(world.f.mother, world.f.child, 1, None),
            201,
        )
        .await?;

    // Another family's parent and another program's staff reach nothing of family F.
    for (who, token) in [
        ("parent of G", &world.parent_g),
        ("staff of B", &world.staff_b),
    ] {
        for e in family_endpoints(&world, &contact) {
            expect_status(&app, Some(token), &e, who, 403).await?;
        }
    }
    // Without a token, nothing at all.
    for e in family_endpoints(&world, &contact)
        .iter()
        .chain(admin_endpoints(&world).iter())
        .chain(parent_endpoints().iter())
    {
        expect_status(&app, None, e, "anonymous", 401).await?;
    }
    // Admin-only endpoints refuse every other role.
    for (who, token) in [
        ("parent", &world.parent_f),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
        ("staff", &world.staff_a),
    ] {
        for e in admin_endpoints(&world) {
            expect_status(&app, Some(token), &e, who, 403).await?;
        }
    }
    // Parent-only endpoints refuse every other role, staff of either program included.
    for (who, token) in [
        ("admin", &world.admin),
        ("caregiver", &world.caregiver_f),
        ("child", &world.child_f),
        ("staff", &world.staff_a),
        ("staff of B", &world.staff_b),
    ] {
        for e in parent_endpoints() {
            expect_status(&app, Some(token), &e, who, 403).await?;
        }
    }

    // Within the family, each role's limits.
    let f = world.f.id;
    let refused = [
        (
            "staff logs a contact",
            &world.staff_a,
            endpoint(
                Method::POST,
                contacts_path.clone(),
                Some(call(world.f.mother, world.f.child, 1, None)),
            ),
        ),
        (
            "staff amends a contact",
            &world.staff_a,
            endpoint(
                Method::POST,
                format!("{contacts_path}/{}/amend", contact.id),
                Some(call(world.f.mother, world.f.child, 1, None)),
            ),
        ),
        (
            "staff changes consent",
            &world.staff_a,
            endpoint(
                Method::PATCH,
                format!("/api/v1/families/{f}"),
                Some(json!({"consent": {"share_notes_with_staff": true}})),
            ),
        ),
        (
            "parent renames the family",
            &world.parent_f,
            endpoint(
                Method::PATCH,
                format!("/api/v1/families/{f}"),
                Some(json!({"display_name": "Mine"})),
            ),
        ),
        (
            "child reads check-ins",
            &world.child_f,
            endpoint(Method::GET, format!("/api/v1/families/{f}/checkins"), None),
        ),
        (
            "parent writes a check-in",
            &world.parent_f,
            endpoint(
                Method::POST,
                format!("/api/v1/families/{f}/checkins"),
                Some(
                    json!({"client_id": uuid::Uuid::now_v7(), "child_id": world.f.child, "observed_at": "2026-01-01T08:00:00+08:00", "mood": 3}),
                ),
            ),
        ),
        (
            "parent lists programs",
            &world.parent_f,
            endpoint(Method::GET, "/api/v1/programs".into(), None),
        ),
        (
            "staff reads another program",
            &world.staff_a,
            endpoint(
                Method::GET,
                format!("/api/v1/programs/{}", world.program_b),
                None,
            ),
        ),
        (
            "child exports the family's bundle",
            &world.child_f,
            endpoint(Method::GET, format!("/api/v1/families/{f}/bundle"), None),
        ),
        (
            "child reads the family report",
            &world.child_f,
            endpoint(Method::GET, format!("/api/v1/families/{f}/report"), None),
        ),
        (
            "parent records a follow-up",
            &world.parent_f,
            endpoint(
                Method::POST,
                format!("/api/v1/families/{f}/follow-ups"),
                Some(json!({"outcome": "reached_parent"})),
            ),
        ),
        (
            "caregiver lists follow-ups",
            &world.caregiver_f,
            endpoint(
                Method::GET,
                format!("/api/v1/families/{f}/follow-ups"),
                None,
            ),
        ),
        (
            "parent reads the child's feedback on a contact",
            &world.parent_f,
            endpoint(
                Method::GET,
                format!("{contacts_path}/{}/feedback", contact.id),
                None,
            ),
        ),
        (
            "caregiver lists the child's feedback",
            &world.caregiver_f,
            endpoint(Method::GET, format!("/api/v1/families/{f}/feedback"), None),
        ),
        (
            "parent lists the child's check-ins",
            &world.parent_f,
            endpoint(
                Method::GET,
                format!("/api/v1/families/{f}/child-checkins"),
                None,
            ),
        ),
        (
            "parent gives feedback for the child",
            &world.parent_f,
            endpoint(
                Method::POST,
                format!("{contacts_path}/{}/feedback", contact.id),
                Some(feedback()),
            ),
        ),
        (
            "staff give feedback for the child",
            &world.staff_a,
            endpoint(
                Method::POST,
                format!("{contacts_path}/{}/feedback", contact.id),
                Some(feedback()),
            ),
        ),
        (
            "caregiver records the child's check-in",
            &world.caregiver_f,
            endpoint(
                Method::POST,
                format!("/api/v1/families/{f}/child-checkins"),
                Some(child_checkin()),
            ),
        ),
        (
            "admin records the child's check-in",
            &world.admin,
            endpoint(
                Method::POST,
                format!("/api/v1/families/{f}/child-checkins"),
                Some(child_checkin()),
            ),
        ),
        (
            "caregiver amends the parent's contact",
            &world.caregiver_f,
            endpoint(
                Method::POST,
                format!("{contacts_path}/{}/amend", contact.id),
                Some(call(world.f.mother, world.f.child, 1, None)),
            ),
        ),
        (
            "child amends the parent's contact",
            &world.child_f,
            endpoint(
                Method::POST,
                format!("{contacts_path}/{}/amend", contact.id),
                Some(call(world.f.mother, world.f.child, 1, None)),
            ),
        ),
        (
            "staff of another program read its statistics",
            &world.staff_b,
            endpoint(
                Method::GET,
                format!("/api/v1/programs/{}/statistics", world.program_a),
                None,
            ),
        ),
        (
            "parent reads a program's statistics",
            &world.parent_f,
            endpoint(
                Method::GET,
                format!("/api/v1/programs/{}/statistics", world.program_a),
                None,
            ),
        ),
        (
            "staff delete the family",
            &world.staff_a,
            endpoint(
                Method::DELETE,
                format!("/api/v1/families/{f}"),
                Some(json!({"reason": "x"})),
            ),
        ),
        (
            "parent deletes the family",
            &world.parent_f,
            endpoint(
                Method::DELETE,
                format!("/api/v1/families/{f}"),
                Some(json!({"reason": "x"})),
            ),
        ),
        (
            "staff ask for the family's deletion",
            &world.staff_a,
            endpoint(
                Method::POST,
                format!("/api/v1/families/{f}/deletion-request"),
                Some(json!({"reason": "x"})),
            ),
        ),
        (
            "child reads the access record",
            &world.child_f,
            endpoint(
                Method::GET,
                format!("/api/v1/families/{f}/access-log"),
                None,
            ),
        ),
        (
            "parent reads the caseload",
            &world.parent_f,
            endpoint(Method::GET, "/api/v1/reports/caseload".into(), None),
        ),
        (
            "staff reads another program's caseload",
            &world.staff_a,
            endpoint(
                Method::GET,
                format!("/api/v1/reports/caseload?program_id={}", world.program_b),
                None,
            ),
        ),
    ];
    for (who, token, e) in refused {
        expect_status(&app, Some(token), &e, who, 403).await?;
    }

    // Lists show only what the reader may reach.
    let listed: Page<Family> = app.get_ok("/api/v1/families", &world.parent_g).await?;
    assert_eq!(
        listed.items.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![world.g.id]
    );
    let listed: Page<Family> = app.get_ok("/api/v1/families", &world.staff_b).await?;
    assert_eq!(
        listed.items.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![world.g.id]
    );
    let listed: Page<Family> = app.get_ok("/api/v1/families", &world.admin).await?;
    assert_eq!(listed.items.len(), 2);

    // The refused writes changed nothing.
    let page: Page<Contact> = app.get_ok(&contacts_path, &world.admin).await?;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].superseded_by, None);
    let voice: Value = app
        .get_ok(&format!("/api/v1/families/{f}/feedback"), &world.admin)
        .await?;
    assert_eq!(voice["items"], json!([]));
    let voice: Value = app
        .get_ok(
            &format!("/api/v1/families/{f}/child-checkins"),
            &world.admin,
        )
        .await?;
    assert_eq!(voice["items"], json!([]));
    let program: Value = app
        .get_ok(
            &format!("/api/v1/programs/{}", world.program_a),
            &world.admin,
        )
        .await?;
    assert_eq!(program["name"], "Program A");
    let family: Family = app
        .get_ok(&format!("/api/v1/families/{f}"), &world.admin)
        .await?;
    assert!(!family.consent.share_notes_with_staff);
    assert_eq!(family.display_name, "Family F");

    // What the family's guardians may do: change consent.
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/families/{f}"),
            Some(&world.parent_f),
            Some(&json!({"consent": {"guardian_consent": true, "share_notes_with_staff": true}})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let seen: Page<Contact> = app.get_ok(&contacts_path, &world.staff_a).await?;
    assert!(!seen.items.is_empty());
    Ok(())
}

engine_tests!(every_endpoint_refuses_outsiders);
