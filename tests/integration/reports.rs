//! Reports and follow-ups through the real API: gap figures and status per pair from
//! contacts with known dates, pair order, the staff caseload's order and paging, snoozing by
//! `remind_later`, the latest outcome in the caseload, no note text for anyone, and refusals.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_server::service::caseload::{CaseloadRequest, caseload};
use kinthread_server::service::reports::ReportTime;
use kinthread_server::store::reports::FamilyFilter;
use kinthread_shared::api::{Contact, Family, Page, Person};
use kinthread_shared::gaps::GapStatus;
use kinthread_shared::reports::{CaseloadReport, CaseloadRow, FamilyReport, FollowUp, PairKind};
use kinthread_shared::{FamilyId, FollowUpOutcome, PersonId, ProgramId};
use kinthread_tests::TestApp;
use kinthread_tests::engine_tests;
use kinthread_tests::fixtures::World;
use reqwest::Method;
use serde_json::{Value, json};

use crate::china;

const EMOTIONAL_NOTE: &str = "想你了，生日快乐，我们很爱你";
const ROUTINE_NOTE: &str = "吃饭了吗？钱够不够？好好学习";

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn enc(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339().replace('+', "%2B").replace(':', "%3A")
}

/// A contact between `from` (the initiator) and `to` at a known moment.
fn contact(
    kind: &str,
    from: PersonId,
    to: PersonId,
    started: DateTime<FixedOffset>,
    duration_seconds: Option<i64>,
    note: Option<&str>,
) -> Value {
    json!({
        "client_id": uuid::Uuid::now_v7(),
        "kind": kind,
        "participants": [from, to],
        "initiator": from,
        "started_at": started.to_rfc3339(),
        "duration_seconds": duration_seconds,
        "content": note,
    })
}

fn missed_call(from: PersonId, to: PersonId, started: DateTime<FixedOffset>) -> Value {
    let mut body = contact("call", from, to, started, None, None);
    body["status"] = json!("missed");
    body
}

async fn log(app: &TestApp, token: &str, family: FamilyId, body: Value) -> anyhow::Result<Contact> {
    app.post_ok(
        &format!("/api/v1/families/{family}/contacts"),
        Some(token),
        &body,
        201,
    )
    .await
}

async fn family_report_figures(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = world.f.clone();
    let (mother, father, child, grandmother) = (f.mother, f.father, f.child, f.grandmother);
    // Window: 90 days before 2026-06-30 (Asia/Shanghai), i.e. from 2026-04-01T00:00+08:00.
    let as_of = at("2026-06-30T20:00:00+08:00");
    let p = &world.parent_f;
    log(
        &app,
        p,
        f.id,
        contact(
            "call",
            mother,
            child,
            at("2026-06-01T20:00:00+08:00"),
            Some(600),
            Some(EMOTIONAL_NOTE),
        ),
    )
    .await?;
    log(
        &app,
        p,
        f.id,
        contact(
            "call",
            child,
            mother,
            at("2026-06-15T20:00:00+08:00"),
            Some(300),
            Some(ROUTINE_NOTE),
        ),
    )
    .await?;
    log(
        &app,
        p,
        f.id,
        missed_call(mother, child, at("2026-06-20T21:00:00+08:00")),
    )
    .await?;
    log(
        &app,
        p,
        f.id,
        contact(
            "text",
            child,
            mother,
            at("2026-06-27T12:00:00+08:00"),
            None,
            None,
        ),
    )
    .await?;
    // After as_of: not part of this report.
    log(
        &app,
        p,
        f.id,
        contact(
            "call",
            mother,
            child,
            at("2026-07-02T20:00:00+08:00"),
            Some(60),
            None,
        ),
    )
    .await?;
    // Father and child: once, before the window.
    log(
        &app,
        p,
        f.id,
        contact(
            "call",
            father,
            child,
            at("2026-03-01T20:00:00+08:00"),
            Some(240),
            None,
        ),
    )
    .await?;
    log(
        &app,
        p,
        f.id,
        contact(
            "call",
            mother,
            grandmother,
            at("2026-06-29T19:00:00+08:00"),
            Some(120),
            None,
        ),
    )
    .await?;

    let path = format!("/api/v1/families/{}/report?as_of={}", f.id, enc(as_of));
    let report: FamilyReport = app.get_ok(&path, &world.parent_f).await?;
    assert_eq!(report.as_of, as_of.with_timezone(&Utc));
    assert_eq!(report.window_days, 90);
    assert_eq!(
        report.window.from,
        at("2026-04-01T00:00:00+08:00").with_timezone(&Utc)
    );
    assert_eq!(report.target_days, 7);

    // Parent–child pairs first (mother, then father: both live away), then caregivers.
    let order: Vec<(PairKind, PersonId, PersonId)> = report
        .pairs
        .iter()
        .map(|pr| (pr.pair_kind, pr.a.id, pr.b.id))
        .collect();
    assert_eq!(
        order,
        vec![
            (PairKind::ParentChild, mother, child),
            (PairKind::ParentChild, father, child),
            (PairKind::ParentCaregiver, mother, grandmother),
            (PairKind::ParentCaregiver, father, grandmother),
        ]
    );

    let mother_child = &report.pairs[0].gaps;
    assert_eq!(mother_child.status, GapStatus::OnTrack);
    assert_eq!(
        mother_child.last_contact_at,
        Some(at("2026-06-27T12:00:00+08:00").with_timezone(&Utc))
    );
    assert_eq!(mother_child.current_gap_days, Some(3.3));
    assert_eq!(mother_child.counted_contacts, 3);
    // From the window's start to the first call.
    assert_eq!(mother_child.longest_gap_days, 61.8);
    assert_eq!(mother_child.talk_minutes, 15.0);
    assert_eq!(mother_child.child_initiated_share, Some(2.0 / 3.0));
    assert_eq!(mother_child.unanswered_attempts.len(), 1);
    assert_eq!(
        (
            mother_child.unanswered_attempts[0].person,
            mother_child.unanswered_attempts[0].count
        ),
        (mother, 1)
    );
    let depth = &report.pairs[0].depth;
    assert_eq!(depth.scored_contacts, 2);
    assert!(depth.mean_depth.is_some());
    assert_eq!(
        depth.routine_contacts + depth.mixed_contacts + depth.emotional_contacts,
        2
    );

    let father_child = &report.pairs[1].gaps;
    assert_eq!(father_child.status, GapStatus::Critical);
    assert_eq!(father_child.counted_contacts, 0);
    assert_eq!(father_child.current_gap_days, Some(121.0));
    assert_eq!(father_child.longest_gap_days, 90.8);
    assert_eq!(report.pairs[2].gaps.status, GapStatus::OnTrack);
    assert_eq!(report.pairs[3].gaps.status, GapStatus::Never);
    assert_eq!(report.pairs[3].gaps.last_contact_at, None);

    // A shorter window changes the window figures, not the last contact.
    let week: FamilyReport = app
        .get_ok(&format!("{path}&window_days=7"), &world.parent_f)
        .await?;
    assert_eq!(week.pairs[0].gaps.counted_contacts, 1);
    assert_eq!(week.pairs[0].gaps.current_gap_days, Some(3.3));

    // Staff of the program read it too, with no note text (the family did not share notes),
    // and the read is audited. Nor does the family's own report carry notes.
    let (status, staff_view) = app.get(&path, &world.staff_a).await?;
    assert_eq!(status, 200, "{staff_view}");
    let parent_view = serde_json::to_string(&report)?;
    for text in [staff_view.to_string(), parent_view] {
        assert!(
            !text.contains("想你") && !text.contains("钱"),
            "no note text in a report"
        );
    }
    let audit: Value = app
        .get_ok(&format!("/api/v1/audit?family_id={}", f.id), &world.admin)
        .await?;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "family.report"),
        "{audit}"
    );

    // Refused: the child's own account, another family's parent, another program's staff.
    for (who, token) in [
        ("child", &world.child_f),
        ("parent of G", &world.parent_g),
        ("staff of B", &world.staff_b),
    ] {
        let (status, body) = app.get(&path, token).await?;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{who}"
        );
    }
    // Bad queries are the client's mistake.
    for (query, want) in [
        ("window_days=0", 422),
        ("window_days=99999", 422),
        ("as_of=yesterday", 400),
        ("colour=red", 400),
    ] {
        let (status, body) = app
            .get(
                &format!("/api/v1/families/{}/report?{query}", f.id),
                &world.parent_f,
            )
            .await?;
        assert_eq!(status, want, "{query}: {body}");
        assert!(body["error"]["code"].is_string());
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/families/{}/report", FamilyId::new()),
            &world.admin,
        )
        .await?;
    assert_eq!(status, 404);
    Ok(())
}

async fn amended_contacts_count_once(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = world.f.clone();
    let as_of = at("2026-06-30T20:00:00+08:00");
    let wrong = log(
        &app,
        &world.parent_f,
        f.id,
        contact(
            "call",
            f.mother,
            f.child,
            at("2026-06-29T20:00:00+08:00"),
            Some(60),
            None,
        ),
    )
    .await?;
    // The call really was three weeks earlier.
    let fixed = contact(
        "call",
        f.mother,
        f.child,
        at("2026-06-08T20:00:00+08:00"),
        Some(60),
        None,
    );
    let _: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts/{}/amend", f.id, wrong.id),
            Some(&world.parent_f),
            &fixed,
            201,
        )
        .await?;
    let report: FamilyReport = app
        .get_ok(
            &format!("/api/v1/families/{}/report?as_of={}", f.id, enc(as_of)),
            &world.parent_f,
        )
        .await?;
    let gaps = &report.pairs[0].gaps;
    assert_eq!(gaps.counted_contacts, 1);
    assert_eq!(gaps.status, GapStatus::Overdue);
    assert_eq!(gaps.current_gap_days, Some(22.0));
    Ok(())
}

/// A family in `program` with a mother working away and a child.
async fn small_family(
    app: &TestApp,
    admin: &str,
    name: &str,
    program: ProgramId,
) -> anyhow::Result<(FamilyId, PersonId, PersonId)> {
    let family: Family = app
        .post_ok(
            "/api/v1/families",
            Some(admin),
            &json!({"display_name": name, "program_id": program}),
            201,
        )
        .await?;
    let path = format!("/api/v1/families/{}/persons", family.id);
    let mother: Person = app
        .post_ok(
            &path,
            Some(admin),
            &json!({"display_name": "Mother", "role": "mother", "lives_away": true}),
            201,
        )
        .await?;
    let child: Person = app
        .post_ok(
            &path,
            Some(admin),
            &json!({"display_name": "Child", "role": "child"}),
            201,
        )
        .await?;
    Ok((family.id, mother.id, child.id))
}

async fn caseload_order_and_follow_ups(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let admin = &world.admin;
    // A moment in the near future, so that follow-ups recorded during the test are before it.
    // Whole seconds, so the instant survives the trip through a query string unchanged.
    let soon = Utc::now() + Duration::hours(1);
    let as_of = Utc
        .timestamp_opt(soon.timestamp(), 0)
        .unwrap()
        .with_timezone(&china());
    let days_before = |days: f64| as_of - Duration::seconds((days * 86_400.0) as i64);

    // Family F: mother 2 days ago (on track), father 10 days ago (due): F's worst pair is the
    // father's. Four more families in program A; one in program B (family G).
    let f = world.f.clone();
    log(
        &app,
        admin,
        f.id,
        contact(
            "call",
            f.mother,
            f.child,
            days_before(2.0),
            Some(300),
            Some(EMOTIONAL_NOTE),
        ),
    )
    .await?;
    log(
        &app,
        admin,
        f.id,
        contact(
            "call",
            f.father,
            f.child,
            days_before(10.0),
            Some(300),
            Some(ROUTINE_NOTE),
        ),
    )
    .await?;
    let (serious, m, c) = small_family(&app, admin, "Serious", world.program_a).await?;
    log(
        &app,
        admin,
        serious,
        contact("call", m, c, days_before(40.0), Some(60), None),
    )
    .await?;
    log(&app, admin, serious, missed_call(m, c, days_before(5.0))).await?;
    let (never, _, _) = small_family(&app, admin, "Never", world.program_a).await?;
    let (overdue, m, c) = small_family(&app, admin, "Overdue", world.program_a).await?;
    log(
        &app,
        admin,
        overdue,
        contact("text", c, m, days_before(20.0), None, None),
    )
    .await?;
    let (on_track, m, c) = small_family(&app, admin, "On track", world.program_a).await?;
    log(
        &app,
        admin,
        on_track,
        contact("video_call", m, c, days_before(3.0), Some(900), None),
    )
    .await?;
    log(
        &app,
        admin,
        world.g.id,
        contact(
            "call",
            world.g.mother,
            world.g.child,
            days_before(1.0),
            Some(60),
            None,
        ),
    )
    .await?;

    // The order by gap (SPEC 4): `sort=gap`; the default order by attention has its own test.
    let base = format!("/api/v1/reports/caseload?sort=gap&as_of={}", enc(as_of));
    let page: CaseloadReport = app.get_ok(&base, &world.staff_a).await?;
    let order: Vec<(FamilyId, GapStatus)> =
        page.rows.iter().map(|r| (r.family_id, r.status)).collect();
    assert_eq!(
        order,
        vec![
            (never, GapStatus::Never),
            (serious, GapStatus::Serious),
            (overdue, GapStatus::Overdue),
            (f.id, GapStatus::Due),
            (on_track, GapStatus::OnTrack),
        ],
        "most severe first; program B's family is not in staff A's caseload"
    );
    assert_eq!(
        (
            page.total_rows,
            page.snoozed_hidden,
            page.next_cursor.as_deref()
        ),
        (5, 0, None)
    );
    let f_row = &page.rows[3];
    assert_eq!(
        f_row.parent.as_ref().map(|p| p.id),
        Some(f.father),
        "the worst pair of F"
    );
    assert_eq!(f_row.current_gap_days, Some(10.0));
    assert_eq!(f_row.pair_count, 2);
    assert!(f_row.mean_depth.is_some());
    assert_eq!(page.rows[1].unanswered_attempts, 1);
    assert_eq!(page.rows[1].current_gap_days, Some(40.0));
    assert_eq!(page.rows[2].child_initiated_share, Some(1.0));
    assert!(page.rows[0].parent.is_some() && page.rows[0].last_contact_at.is_none());
    let text = serde_json::to_string(&page)?;
    assert!(
        !text.contains("想你") && !text.contains("钱"),
        "no note text in the caseload"
    );

    // Paging gives the same rows in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}&limit=2&cursor={c}"),
            None => format!("{base}&limit=2"),
        };
        let page: CaseloadReport = app.get_ok(&url, &world.staff_a).await?;
        assert!(page.rows.len() <= 2);
        paged.extend(page.rows.iter().map(|r| r.family_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, order.iter().map(|(id, _)| *id).collect::<Vec<_>>());

    // Admins see every family, or one program's.
    let all: CaseloadReport = app.get_ok(&base, admin).await?;
    assert_eq!(all.rows.len(), 6);
    let b_only: CaseloadReport = app
        .get_ok(&format!("{base}&program_id={}", world.program_b), admin)
        .await?;
    assert_eq!(
        b_only.rows.iter().map(|r| r.family_id).collect::<Vec<_>>(),
        vec![world.g.id]
    );

    // Follow-ups: remind_later snoozes "On track" for 7 days; it cannot hide "Serious",
    // whose gap makes its attention level high (SPEC 4a).
    let follow = |family: FamilyId| format!("/api/v1/families/{family}/follow-ups");
    let refused_snooze: FollowUp = app
        .post_ok(
            &follow(serious),
            Some(&world.staff_a),
            &json!({"outcome": "remind_later"}),
            201,
        )
        .await?;
    assert_eq!(refused_snooze.outcome, FollowUpOutcome::RemindLater);
    let snooze: FollowUp = app
        .post_ok(
            &follow(on_track),
            Some(&world.staff_a),
            &json!({"outcome": "remind_later"}),
            201,
        )
        .await?;
    assert_eq!(snooze.outcome, FollowUpOutcome::RemindLater);
    assert_eq!(
        snooze.recheck_at,
        Some(snooze.created_at + Duration::days(7))
    );
    let agreed: FollowUp = app
        .post_ok(
            &follow(overdue),
            Some(&world.staff_a),
            &json!({"outcome": "parent_agreed_to_call", "reason": "mother will call on Sunday"}),
            201,
        )
        .await?;
    assert_eq!(
        agreed.recheck_at,
        Some(agreed.created_at + Duration::days(30))
    );

    let page: CaseloadReport = app.get_ok(&base, &world.staff_a).await?;
    let ids: Vec<FamilyId> = page.rows.iter().map(|r| r.family_id).collect();
    assert_eq!(
        ids,
        vec![never, serious, overdue, f.id],
        "the snoozed family is hidden, the serious one is not"
    );
    assert_eq!(page.snoozed_hidden, 1);
    let overdue_row = &page.rows[2];
    assert_eq!(
        overdue_row.latest_follow_up.as_ref().map(|u| u.outcome),
        Some(FollowUpOutcome::ParentAgreedToCall)
    );
    assert_eq!(overdue_row.recheck_at, agreed.recheck_at);
    assert_eq!(overdue_row.snoozed_until, None);

    let shown: CaseloadReport = app
        .get_ok(&format!("{base}&include_snoozed=true"), &world.staff_a)
        .await?;
    assert_eq!(shown.rows.len(), 5);
    let snoozed_row = shown.rows.iter().find(|r| r.family_id == on_track).unwrap();
    assert_eq!(snoozed_row.snoozed_until, snooze.recheck_at);
    // A newer outcome replaces the snooze.
    let reached: FollowUp = app
        .post_ok(
            &follow(on_track),
            Some(&world.staff_a),
            &json!({"outcome": "reached_parent"}),
            201,
        )
        .await?;
    assert_eq!(reached.recheck_at, None);
    let page: CaseloadReport = app.get_ok(&base, &world.staff_a).await?;
    assert_eq!(page.rows.len(), 5);
    assert_eq!(
        page.rows[4].latest_follow_up.as_ref().map(|u| u.id),
        Some(reached.id)
    );

    // Closing needs a reason; unknown fields and outcomes are refused.
    for (body, want) in [
        (json!({"outcome": "closed"}), 422),
        (json!({"outcome": "closed", "reason": "   "}), 422),
        (
            json!({"outcome": "closed", "reason": "x".repeat(2001)}),
            422,
        ),
        (json!({"outcome": "forgotten"}), 400),
        (
            json!({"outcome": "closed", "reason": "moved", "note": "x"}),
            400,
        ),
    ] {
        let (status, err) = app
            .post(&follow(never), Some(&world.staff_a), &body)
            .await?;
        assert_eq!(status, want, "{body}: {err}");
    }
    let closed: FollowUp = app
        .post_ok(
            &follow(never),
            Some(admin),
            &json!({"outcome": "closed", "reason": " family moved to the city "}),
            201,
        )
        .await?;
    assert_eq!(closed.reason.as_deref(), Some("family moved to the city"));

    // The list, newest first, paged; the audit log has the writes.
    let listed: Page<FollowUp> = app
        .get_ok(&format!("{}?limit=1", follow(on_track)), &world.staff_a)
        .await?;
    assert_eq!(
        listed.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![reached.id]
    );
    let next = listed.next_cursor.unwrap();
    let rest: Page<FollowUp> = app
        .get_ok(
            &format!("{}?limit=1&cursor={next}", follow(on_track)),
            &world.staff_a,
        )
        .await?;
    assert_eq!(
        rest.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![snooze.id]
    );
    let audit: Value = app
        .get_ok(&format!("/api/v1/audit?family_id={on_track}"), admin)
        .await?;
    let writes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "follow_up.create")
        .count();
    assert_eq!(writes, 2);

    // The family's own report leaves staff follow-ups out; staff see the latest.
    let report_path = format!("/api/v1/families/{}/report", f.id);
    let _: FollowUp = app
        .post_ok(
            &follow(f.id),
            Some(&world.staff_a),
            &json!({"outcome": "reached_parent"}),
            201,
        )
        .await?;
    let own: FamilyReport = app.get_ok(&report_path, &world.parent_f).await?;
    assert!(own.latest_follow_up.is_none());
    let staffs: FamilyReport = app.get_ok(&report_path, &world.staff_a).await?;
    assert_eq!(
        staffs.latest_follow_up.map(|u| u.outcome),
        Some(FollowUpOutcome::ReachedParent)
    );

    // Refused: family accounts and other programs' staff.
    let refused: Vec<(&str, &String, Method, String, Option<Value>)> = vec![
        (
            "parent reads the caseload",
            &world.parent_f,
            Method::GET,
            base.clone(),
            None,
        ),
        (
            "caregiver reads the caseload",
            &world.caregiver_f,
            Method::GET,
            base.clone(),
            None,
        ),
        (
            "staff reads another program's caseload",
            &world.staff_a,
            Method::GET,
            format!("{base}&program_id={}", world.program_b),
            None,
        ),
        (
            "parent records a follow-up",
            &world.parent_f,
            Method::POST,
            follow(f.id),
            Some(json!({"outcome": "reached_parent"})),
        ),
        (
            "caregiver lists follow-ups",
            &world.caregiver_f,
            Method::GET,
            follow(f.id),
            None,
        ),
        (
            "staff of B records on F",
            &world.staff_b,
            Method::POST,
            follow(f.id),
            Some(json!({"outcome": "reached_parent"})),
        ),
        (
            "staff of B lists F's follow-ups",
            &world.staff_b,
            Method::GET,
            follow(f.id),
            None,
        ),
    ];
    for (who, token, method, path, body) in refused {
        let (status, err) = app.send(method, &path, Some(token), body.as_ref()).await?;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{who}: {err}"
        );
    }
    for (query, want) in [
        ("limit=0", 400),
        ("limit=501", 400),
        ("cursor=abc", 400),
        ("window_days=0", 422),
    ] {
        let (status, _) = app
            .get(&format!("/api/v1/reports/caseload?{query}"), &world.staff_a)
            .await?;
        assert_eq!(status, want, "{query}");
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/reports/caseload?program_id={}", ProgramId::new()),
            admin,
        )
        .await?;
    assert_eq!(status, 404);
    Ok(())
}

/// Pairs whose last contact lies before the window: the caseload aggregates that history in
/// the database and must agree with the family report, which reads the whole log.
async fn caseload_reaches_before_the_window(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let admin = &world.admin;
    let soon = Utc::now() + Duration::hours(1);
    let as_of = Utc
        .timestamp_opt(soon.timestamp(), 0)
        .unwrap()
        .with_timezone(&china());
    let days_before = |days: f64| as_of - Duration::seconds((days * 86_400.0) as i64);
    let (stale, m, c) = small_family(&app, admin, "Stale", world.program_a).await?;
    log(
        &app,
        admin,
        stale,
        contact("text", m, c, days_before(400.0), None, None),
    )
    .await?;
    let (critical, m, c) = small_family(&app, admin, "Critical", world.program_a).await?;
    log(
        &app,
        admin,
        critical,
        contact("call", m, c, days_before(300.0), Some(60), None),
    )
    .await?;
    log(
        &app,
        admin,
        critical,
        contact("call", c, m, days_before(200.0), Some(60), None),
    )
    .await?;
    log(&app, admin, critical, missed_call(m, c, days_before(100.0))).await?;
    // A visit home from 120 to 85 days ago: it began before the window and reaches into it.
    let (visit, m, c) = small_family(&app, admin, "Visit", world.program_a).await?;
    let mut home = contact("visit", m, c, days_before(120.0), None, None);
    home["ended_at"] = json!(days_before(85.0).to_rfc3339());
    log(&app, admin, visit, home).await?;
    let (recent, m, c) = small_family(&app, admin, "Recent", world.program_a).await?;
    log(
        &app,
        admin,
        recent,
        contact("text", m, c, days_before(1.0), None, None),
    )
    .await?;
    log(
        &app,
        admin,
        recent,
        contact("text", c, m, days_before(500.0), None, None),
    )
    .await?;

    // The order by gap (SPEC 4): `sort=gap`; the default order by attention has its own test.
    let base = format!("/api/v1/reports/caseload?sort=gap&as_of={}", enc(as_of));
    let page: CaseloadReport = app.get_ok(&base, &world.staff_a).await?;
    let order: Vec<(FamilyId, GapStatus, Option<f64>)> = page
        .rows
        .iter()
        .map(|r| (r.family_id, r.status, r.current_gap_days))
        .collect();
    assert_eq!(
        order,
        vec![
            (world.f.id, GapStatus::Never, None),
            (stale, GapStatus::Stale, Some(400.0)),
            (critical, GapStatus::Critical, Some(200.0)),
            (visit, GapStatus::Serious, Some(85.0)),
            (recent, GapStatus::OnTrack, Some(1.0)),
        ]
    );
    let visit_row = &page.rows[3];
    assert_eq!(
        visit_row.contacts_per_week, 0.08,
        "one visit in 90-odd days"
    );
    assert_eq!(visit_row.longest_gap_days, 85.0);
    // The missed call 100 days ago lies before the window.
    assert_eq!(page.rows[2].unanswered_attempts, 0);

    // The family report, from the whole log, agrees.
    for (family, row) in [
        (stale, &page.rows[1]),
        (critical, &page.rows[2]),
        (visit, &page.rows[3]),
    ] {
        let report: FamilyReport = app
            .get_ok(
                &format!("/api/v1/families/{family}/report?as_of={}", enc(as_of)),
                &world.staff_a,
            )
            .await?;
        let gaps = &report.pairs[0].gaps;
        assert_eq!(
            (
                gaps.status,
                gaps.current_gap_days,
                gaps.longest_gap_days,
                gaps.last_contact_at
            ),
            (
                row.status,
                row.current_gap_days,
                row.longest_gap_days,
                row.last_contact_at
            ),
            "{}",
            row.family_name
        );
    }

    // Snoozing hides neither a critical family nor a stale one (SPEC 4a).
    for family in [stale, critical] {
        let _: FollowUp = app
            .post_ok(
                &format!("/api/v1/families/{family}/follow-ups"),
                Some(&world.staff_a),
                &json!({"outcome": "remind_later"}),
                201,
            )
            .await?;
    }
    let page: CaseloadReport = app.get_ok(&base, &world.staff_a).await?;
    let ids: Vec<FamilyId> = page.rows.iter().map(|r| r.family_id).collect();
    assert_eq!(ids, vec![world.f.id, stale, critical, visit, recent]);
    assert_eq!(page.snoozed_hidden, 0);
    assert!(page.rows[1].snoozed_until.is_some());

    // Split over several connections (as for large caseloads), the caseload is the same as
    // computed in one pass, page by page.
    let url = DatabaseUrl::parse(&app.db_url)?;
    let as_of_utc = as_of.with_timezone(&Utc);
    let pages = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Vec<CaseloadRow>>> {
        let db = Db::connect(&url, 4)?;
        let mut conn = db.read_conn()?;
        let mut pages = Vec::new();
        for (chunk_families, offset) in [(usize::MAX, 0), (1, 0), (usize::MAX, 2), (1, 2)] {
            let request = CaseloadRequest {
                filter: FamilyFilter::All,
                order: Default::default(),
                time: ReportTime::parse(Some(as_of_utc.fixed_offset()), None, as_of_utc)?,
                include_snoozed: true,
                offset,
                limit: 3,
                chunk_families,
            };
            pages.push(caseload(&db, &mut conn, &request)?.rows);
        }
        Ok(pages)
    })
    .await??;
    assert_eq!(pages[0].len(), 3);
    assert_eq!(pages[0], pages[1], "first page, one pass and sharded");
    assert_eq!(pages[2], pages[3], "second page, one pass and sharded");
    assert_ne!(pages[0], pages[2]);
    Ok(())
}

/// Pages after the first follow the first page's ranking (a snapshot): a contact logged
/// between pages does not move a family into a page already read or out of one still to come,
/// and a cursor serves no one but the user it was made for.
async fn caseload_pages_follow_one_ranking(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let admin = &world.admin;
    let now = Utc::now();
    let mut families = vec![world.f.id];
    for (name, days) in [("Ten", 10), ("Twenty", 20), ("Thirty", 30), ("Forty", 40)] {
        let (family, mother, child) = small_family(&app, admin, name, world.program_a).await?;
        let at = (now - Duration::days(days)).with_timezone(&china());
        log(
            &app,
            admin,
            family,
            contact("call", mother, child, at, Some(300), None),
        )
        .await?;
        families.push(family);
    }
    let base = "/api/v1/reports/caseload?sort=gap&limit=2";
    let first: CaseloadReport = app.get_ok(base, &world.staff_a).await?;
    assert_eq!(first.total_rows, 5);
    let first_ids: Vec<FamilyId> = first.rows.iter().map(|r| r.family_id).collect();
    let cursor = first.next_cursor.clone().expect("a second page");

    // A family of the first page (one pair) is called now: ranked again it would move to the
    // last page and be read twice, while another family would be skipped.
    let moved_row = first
        .rows
        .iter()
        .find(|r| r.family_id != world.f.id)
        .expect("a small family on the first page");
    let moved = moved_row.family_id;
    let (parent, child) = (
        moved_row.parent.as_ref().map(|p| p.id).expect("a parent"),
        moved_row.child.as_ref().map(|c| c.id).expect("a child"),
    );
    log(
        &app,
        admin,
        moved,
        contact(
            "call",
            parent,
            child,
            (Utc::now() - Duration::minutes(5)).with_timezone(&china()),
            Some(300),
            None,
        ),
    )
    .await?;
    let mut paged = first_ids.clone();
    let mut next = Some(cursor.clone());
    while let Some(cursor) = next {
        let page: CaseloadReport = app
            .get_ok(&format!("{base}&cursor={cursor}"), &world.staff_a)
            .await?;
        assert_eq!(page.as_of, first.as_of, "the first page's as_of");
        paged.extend(page.rows.iter().map(|r| r.family_id));
        next = page.next_cursor;
    }
    let mut sorted = paged.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), paged.len(), "no family twice: {paged:?}");
    let mut expected = families.clone();
    expected.sort();
    assert_eq!(sorted, expected, "every family once");

    // Another program's staff member with that cursor gets their own caseload, never a
    // family of program A.
    let theirs: CaseloadReport = app
        .get_ok(&format!("{base}&cursor={cursor}"), &world.staff_b)
        .await?;
    assert!(
        theirs.rows.iter().all(|r| !families.contains(&r.family_id)),
        "staff B sees no family of program A"
    );

    // A first page asked again is ranked again: the family called now comes last.
    let again: CaseloadReport = app
        .get_ok("/api/v1/reports/caseload?sort=gap", &world.staff_a)
        .await?;
    assert_eq!(again.rows.last().map(|r| r.family_id), Some(moved));

    for bad in [
        "abc".to_owned(),
        format!("{}.99999999999999999.0", uuid::Uuid::new_v4()),
        format!("{}.0", uuid::Uuid::new_v4()),
        format!("{}.1700000000000.x", uuid::Uuid::new_v4()),
    ] {
        let (status, body) = app
            .get(&format!("{base}&cursor={bad}"), &world.staff_a)
            .await?;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_query")),
            "{bad}"
        );
    }
    Ok(())
}

engine_tests!(
    family_report_figures,
    caseload_pages_follow_one_ranking,
    caseload_reaches_before_the_window,
    amended_contacts_count_once,
    caseload_order_and_follow_ups
);
