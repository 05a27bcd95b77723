//! Table-driven cases for every gap definition of SPEC section 4 and its edges.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::*;
use crate::model::{ContactEvent, ContactKind, ContactStatus};
use crate::values::TargetCadence;

const MOTHER: PersonId = PersonId(Uuid::from_u128(1));
const CHILD: PersonId = PersonId(Uuid::from_u128(2));
const GRANDMA: PersonId = PersonId(Uuid::from_u128(3));
const FATHER: PersonId = PersonId(Uuid::from_u128(4));

const SHANGHAI: Tz = Tz::Asia__Shanghai;
const NEW_YORK: Tz = Tz::America__New_York;

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn event(
    kind: ContactKind,
    status: ContactStatus,
    participants: &[PersonId],
    initiator: PersonId,
    at: DateTime<Utc>,
) -> ContactEvent {
    ContactEvent {
        kind,
        status,
        participants: participants.to_vec(),
        initiator,
        started_at: at,
        duration_seconds: None,
        ended_at: None,
        depth_score: None,
        depth_level: None,
    }
}

fn call(from: PersonId, to: PersonId, at: &str, seconds: i64) -> ContactEvent {
    ContactEvent {
        duration_seconds: Some(seconds),
        ..event(
            ContactKind::Call,
            ContactStatus::Completed,
            &[from, to],
            from,
            t(at),
        )
    }
}

fn video(people: &[PersonId], at: &str, seconds: i64) -> ContactEvent {
    ContactEvent {
        duration_seconds: Some(seconds),
        ..event(
            ContactKind::VideoCall,
            ContactStatus::Completed,
            people,
            people[0],
            t(at),
        )
    }
}

fn unanswered(status: ContactStatus, from: PersonId, to: PersonId, at: &str) -> ContactEvent {
    ContactEvent {
        duration_seconds: Some(0),
        ..event(ContactKind::Call, status, &[from, to], from, t(at))
    }
}

fn text(from: PersonId, to: PersonId, at: &str) -> ContactEvent {
    event(
        ContactKind::Text,
        ContactStatus::Completed,
        &[from, to],
        from,
        t(at),
    )
}

fn text_at(from: PersonId, to: PersonId, at: DateTime<Utc>) -> ContactEvent {
    event(
        ContactKind::Text,
        ContactStatus::Completed,
        &[from, to],
        from,
        at,
    )
}

fn visit(people: &[PersonId], start: &str, end: Option<&str>) -> ContactEvent {
    ContactEvent {
        ended_at: end.map(t),
        ..event(
            ContactKind::Visit,
            ContactStatus::Completed,
            people,
            people[0],
            t(start),
        )
    }
}

fn mother_child() -> Pair {
    Pair::parent_child(MOTHER, CHILD).unwrap()
}

/// 29 days, 1 June to 30 June 2025, midnight UTC.
fn june() -> Window {
    Window::new(t("2025-06-01T00:00:00Z"), t("2025-06-30T00:00:00Z")).unwrap()
}

fn gaps(contacts: &[ContactEvent], pair: &Pair, window: &Window) -> PairGaps {
    pair_gaps(contacts, pair, window, SHANGHAI, TargetCadence::DEFAULT).unwrap()
}

struct Case {
    name: &'static str,
    contacts: Vec<ContactEvent>,
    pair: Pair,
    last: Option<&'static str>,
    current_gap_days: Option<f64>,
    longest_gap_days: f64,
    counted: u32,
    status: GapStatus,
}

#[test]
fn gap_definitions() {
    let mother_grandma = Pair::new(MOTHER, GRANDMA, None).unwrap();
    let cases = vec![
        Case {
            name: "no contacts at all",
            contacts: vec![],
            pair: mother_child(),
            last: None,
            current_gap_days: None,
            longest_gap_days: 29.0,
            counted: 0,
            status: GapStatus::Never,
        },
        Case {
            name: "one call: last contact is its end",
            contacts: vec![call(MOTHER, CHILD, "2025-06-20T00:00:00Z", 600)],
            pair: mother_child(),
            last: Some("2025-06-20T00:10:00Z"),
            current_gap_days: Some(10.0), // 9 days 23 h 50 min
            longest_gap_days: 19.0,
            counted: 1,
            status: GapStatus::Due,
        },
        Case {
            name: "the pair given the other way round",
            contacts: vec![call(MOTHER, CHILD, "2025-06-20T00:00:00Z", 600)],
            pair: Pair::new(CHILD, MOTHER, Some(CHILD)).unwrap(),
            last: Some("2025-06-20T00:10:00Z"),
            current_gap_days: Some(10.0),
            longest_gap_days: 19.0,
            counted: 1,
            status: GapStatus::Due,
        },
        Case {
            name: "a visit spanning the window start covers from `from`",
            contacts: vec![visit(
                &[MOTHER, CHILD],
                "2025-05-25T00:00:00Z",
                Some("2025-06-05T00:00:00Z"),
            )],
            pair: mother_child(),
            last: Some("2025-06-05T00:00:00Z"),
            current_gap_days: Some(25.0),
            longest_gap_days: 25.0,
            counted: 1,
            status: GapStatus::Overdue,
        },
        Case {
            name: "a visit still going on at as_of: last contact is as_of",
            contacts: vec![visit(
                &[MOTHER, CHILD],
                "2025-06-25T00:00:00Z",
                Some("2025-07-05T00:00:00Z"),
            )],
            pair: mother_child(),
            last: Some("2025-06-30T00:00:00Z"),
            current_gap_days: Some(0.0),
            longest_gap_days: 24.0,
            counted: 1,
            status: GapStatus::OnTrack,
        },
        Case {
            name: "a call still going on at as_of",
            contacts: vec![call(CHILD, MOTHER, "2025-06-29T23:50:00Z", 1200)],
            pair: mother_child(),
            last: Some("2025-06-30T00:00:00Z"),
            current_gap_days: Some(0.0),
            longest_gap_days: 29.0, // 28 d 23 h 50 min
            counted: 1,
            status: GapStatus::OnTrack,
        },
        Case {
            name: "a contact exactly at as_of counts",
            contacts: vec![text(CHILD, MOTHER, "2025-06-30T00:00:00Z")],
            pair: mother_child(),
            last: Some("2025-06-30T00:00:00Z"),
            current_gap_days: Some(0.0),
            longest_gap_days: 29.0,
            counted: 1,
            status: GapStatus::OnTrack,
        },
        Case {
            name: "a contact exactly at from counts",
            contacts: vec![text(CHILD, MOTHER, "2025-06-01T00:00:00Z")],
            pair: mother_child(),
            last: Some("2025-06-01T00:00:00Z"),
            current_gap_days: Some(29.0),
            longest_gap_days: 29.0,
            counted: 1,
            status: GapStatus::Overdue,
        },
        Case {
            name: "a contact after as_of is ignored",
            contacts: vec![
                text(CHILD, MOTHER, "2025-06-30T00:00:01Z"),
                visit(
                    &[MOTHER, CHILD],
                    "2025-07-01T00:00:00Z",
                    Some("2025-07-09T00:00:00Z"),
                ),
            ],
            pair: mother_child(),
            last: None,
            current_gap_days: None,
            longest_gap_days: 29.0,
            counted: 0,
            status: GapStatus::Never,
        },
        Case {
            name: "only missed and declined calls: never",
            contacts: vec![
                unanswered(ContactStatus::Missed, MOTHER, CHILD, "2025-06-10T12:00:00Z"),
                unanswered(
                    ContactStatus::Declined,
                    MOTHER,
                    CHILD,
                    "2025-06-10T12:05:00Z",
                ),
            ],
            pair: mother_child(),
            last: None,
            current_gap_days: None,
            longest_gap_days: 29.0,
            counted: 0,
            status: GapStatus::Never,
        },
        Case {
            name: "texts count in either direction",
            contacts: vec![
                text(MOTHER, CHILD, "2025-06-10T00:00:00Z"),
                text(CHILD, MOTHER, "2025-06-20T00:00:00Z"),
            ],
            pair: mother_child(),
            last: Some("2025-06-20T00:00:00Z"),
            current_gap_days: Some(10.0),
            longest_gap_days: 10.0,
            counted: 2,
            status: GapStatus::Due,
        },
        Case {
            name: "a contact with only one of the pair does not count",
            contacts: vec![
                call(MOTHER, GRANDMA, "2025-06-28T00:00:00Z", 900),
                text(CHILD, FATHER, "2025-06-29T00:00:00Z"),
            ],
            pair: mother_child(),
            last: None,
            current_gap_days: None,
            longest_gap_days: 29.0,
            counted: 0,
            status: GapStatus::Never,
        },
        Case {
            name: "a three-person call counts for the parent-child pair",
            contacts: vec![video(
                &[MOTHER, GRANDMA, CHILD],
                "2025-06-29T00:00:00Z",
                3600,
            )],
            pair: mother_child(),
            last: Some("2025-06-29T01:00:00Z"),
            current_gap_days: Some(1.0), // 23 h
            longest_gap_days: 28.0,
            counted: 1,
            status: GapStatus::OnTrack,
        },
        Case {
            name: "the same three-person call counts for the parent-caregiver pair",
            contacts: vec![video(
                &[MOTHER, GRANDMA, CHILD],
                "2025-06-29T00:00:00Z",
                3600,
            )],
            pair: mother_grandma,
            last: Some("2025-06-29T01:00:00Z"),
            current_gap_days: Some(1.0),
            longest_gap_days: 28.0,
            counted: 1,
            status: GapStatus::OnTrack,
        },
        Case {
            name: "contact before the window only: last contact found, window empty of contact",
            contacts: vec![call(MOTHER, CHILD, "2025-05-01T00:00:00Z", 600)],
            pair: mother_child(),
            last: Some("2025-05-01T00:10:00Z"),
            current_gap_days: Some(60.0),
            longest_gap_days: 29.0,
            counted: 0,
            status: GapStatus::Serious,
        },
        Case {
            name: "a call straddling the window start covers from `from`",
            contacts: vec![call(MOTHER, CHILD, "2025-05-31T23:55:00Z", 600)],
            pair: mother_child(),
            last: Some("2025-06-01T00:05:00Z"),
            current_gap_days: Some(29.0),
            longest_gap_days: 29.0,
            counted: 1,
            status: GapStatus::Overdue,
        },
        Case {
            name: "a visit without an end is a moment at its start",
            contacts: vec![visit(
                &[FATHER, CHILD, MOTHER],
                "2025-06-10T00:00:00Z",
                None,
            )],
            pair: mother_child(),
            last: Some("2025-06-10T00:00:00Z"),
            current_gap_days: Some(20.0),
            longest_gap_days: 20.0,
            counted: 1,
            status: GapStatus::Overdue,
        },
        Case {
            name: "overlapping contacts: the stretch runs from the end of the longer one",
            contacts: vec![
                visit(
                    &[MOTHER, CHILD],
                    "2025-06-02T00:00:00Z",
                    Some("2025-06-12T00:00:00Z"),
                ),
                call(MOTHER, CHILD, "2025-06-05T00:00:00Z", 600),
                text(MOTHER, CHILD, "2025-06-20T00:00:00Z"),
            ],
            pair: mother_child(),
            last: Some("2025-06-20T00:00:00Z"),
            current_gap_days: Some(10.0),
            longest_gap_days: 10.0,
            counted: 3,
            status: GapStatus::Due,
        },
    ];
    for case in cases {
        let got = gaps(&case.contacts, &case.pair, &june());
        assert_eq!(got.last_contact_at, case.last.map(t), "{}: last", case.name);
        assert_eq!(
            got.current_gap_days, case.current_gap_days,
            "{}: current",
            case.name
        );
        assert_eq!(
            got.longest_gap_days, case.longest_gap_days,
            "{}: longest",
            case.name
        );
        assert_eq!(got.counted_contacts, case.counted, "{}: counted", case.name);
        assert_eq!(got.status, case.status, "{}: status", case.name);
    }
}

#[test]
fn exact_gap_and_the_longest_stretch_location() {
    let contacts = [
        text(MOTHER, CHILD, "2025-06-05T00:00:00Z"),
        text(MOTHER, CHILD, "2025-06-19T06:00:00Z"),
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    assert_eq!(got.current_gap_seconds, Some(10 * 86_400 + 18 * 3_600));
    assert_eq!(got.current_gap_days, Some(10.8));
    assert_eq!(got.longest_gap_seconds, 14 * 86_400 + 6 * 3_600);
    assert_eq!(got.longest_gap_days, 14.3);
    assert_eq!(got.longest_gap_from, t("2025-06-05T00:00:00Z"));
    assert_eq!(got.longest_gap_to, t("2025-06-19T06:00:00Z"));
}

#[test]
fn equally_long_stretches_report_the_most_recent() {
    let window = Window::new(t("2025-06-01T00:00:00Z"), t("2025-06-21T00:00:00Z")).unwrap();
    let contacts = [text(MOTHER, CHILD, "2025-06-11T00:00:00Z")];
    let got = gaps(&contacts, &mother_child(), &window);
    assert_eq!(got.longest_gap_days, 10.0);
    assert_eq!(got.longest_gap_from, t("2025-06-11T00:00:00Z"));
    assert_eq!(got.longest_gap_to, t("2025-06-21T00:00:00Z"));
}

#[test]
fn unanswered_attempts_are_counted_per_initiator() {
    let contacts = [
        unanswered(ContactStatus::Missed, MOTHER, CHILD, "2025-06-10T12:00:00Z"),
        unanswered(ContactStatus::Missed, MOTHER, CHILD, "2025-06-10T12:02:00Z"),
        unanswered(
            ContactStatus::Declined,
            MOTHER,
            CHILD,
            "2025-06-10T12:04:00Z",
        ),
        unanswered(ContactStatus::Missed, CHILD, MOTHER, "2025-06-11T12:00:00Z"),
        // Before the window: not in the window's figures.
        unanswered(ContactStatus::Missed, CHILD, MOTHER, "2025-05-11T12:00:00Z"),
        // After as_of: not yet happened.
        unanswered(ContactStatus::Missed, CHILD, MOTHER, "2025-07-11T12:00:00Z"),
        // Not the pair's.
        unanswered(
            ContactStatus::Missed,
            MOTHER,
            GRANDMA,
            "2025-06-11T12:00:00Z",
        ),
        ContactEvent {
            status: ContactStatus::Declined,
            ..video(&[FATHER, MOTHER, CHILD], "2025-06-12T12:00:00Z", 0)
        },
        call(MOTHER, CHILD, "2025-06-10T12:06:00Z", 120),
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    assert_eq!(
        got.unanswered_attempts,
        vec![
            UnansweredAttempts {
                person: MOTHER,
                count: 3
            },
            UnansweredAttempts {
                person: CHILD,
                count: 1
            },
            UnansweredAttempts {
                person: FATHER,
                count: 1
            },
        ]
    );
    assert_eq!(got.counted_contacts, 1);
    assert_eq!(got.talk_seconds, 120);
}

#[test]
fn status_thresholds() {
    let day = 86_400_i64;
    // (target T, current gap in seconds, status)
    let cases: &[(u32, Option<i64>, GapStatus)] = &[
        (7, None, GapStatus::Never),
        (7, Some(0), GapStatus::OnTrack),
        (7, Some(7 * day), GapStatus::OnTrack),
        (7, Some(7 * day + 1), GapStatus::Due),
        (7, Some(14 * day), GapStatus::Due),
        (7, Some(14 * day + 1), GapStatus::Overdue),
        (7, Some(30 * day), GapStatus::Overdue),
        (7, Some(30 * day + 1), GapStatus::Serious),
        (7, Some(90 * day), GapStatus::Serious),
        (7, Some(90 * day + 1), GapStatus::Critical),
        (7, Some(365 * day), GapStatus::Critical),
        (7, Some(365 * day + 1), GapStatus::Stale),
        (7, Some(3650 * day), GapStatus::Stale),
        // A custom, shorter target.
        (3, Some(3 * day), GapStatus::OnTrack),
        (3, Some(3 * day + 1), GapStatus::Due),
        (3, Some(6 * day), GapStatus::Due),
        (3, Some(6 * day + 1), GapStatus::Overdue),
        // A monthly target: 2T passes 30 days, so `overdue` is skipped.
        (30, Some(30 * day), GapStatus::OnTrack),
        (30, Some(31 * day), GapStatus::Due),
        (30, Some(60 * day), GapStatus::Due),
        (30, Some(60 * day + 1), GapStatus::Serious),
        // A yearly target still turns stale past a year.
        (365, Some(365 * day), GapStatus::OnTrack),
        (365, Some(365 * day + 1), GapStatus::Stale),
        (200, Some(366 * day), GapStatus::Stale),
    ];
    for &(target, gap, expected) in cases {
        assert_eq!(
            GapStatus::from_gap(gap, target),
            expected,
            "T = {target}, gap = {gap:?}"
        );
    }
}

#[test]
fn status_thresholds_end_to_end() {
    let as_of = t("2025-06-30T12:00:00Z");
    let window = Window::days_up_to(as_of, 90, SHANGHAI).unwrap();
    let cases: &[(TimeDelta, u32, GapStatus)] = &[
        (days(7), 7, GapStatus::OnTrack),
        (days(7) + TimeDelta::seconds(1), 7, GapStatus::Due),
        (days(14), 7, GapStatus::Due),
        (days(14) + TimeDelta::seconds(1), 7, GapStatus::Overdue),
        (days(30), 7, GapStatus::Overdue),
        (days(30) + TimeDelta::seconds(1), 7, GapStatus::Serious),
        (days(90), 7, GapStatus::Serious),
        (days(90) + TimeDelta::seconds(1), 7, GapStatus::Critical),
        (days(365), 7, GapStatus::Critical),
        (days(365) + TimeDelta::seconds(1), 7, GapStatus::Stale),
        (days(10), 14, GapStatus::OnTrack),
        (days(10), 4, GapStatus::Overdue),
    ];
    for &(gap, target, expected) in cases {
        let contacts = [text_at(CHILD, MOTHER, as_of - gap)];
        let cadence = TargetCadence::new(i64::from(target)).unwrap();
        let got = pair_gaps(&contacts, &mother_child(), &window, SHANGHAI, cadence).unwrap();
        assert_eq!(got.status, expected, "gap {gap}, T = {target}");
        assert_eq!(got.current_gap_seconds, Some(gap.num_seconds()));
        assert_eq!(got.target_days, target);
    }
}

#[test]
fn median_interval_with_odd_and_even_counts() {
    // (contact start offsets in days from 1 June, in any order; median interval in days)
    let cases: &[(&[i64], Option<f64>)] = &[
        (&[], None),
        (&[3], None),
        (&[1, 3], Some(2.0)),
        (&[4, 0, 1], Some(2.0)),         // intervals 1, 3: even, mean of both
        (&[10, 0, 4, 1], Some(3.0)),     // intervals 1, 3, 6: odd, the middle
        (&[12, 0, 1, 4, 10], Some(2.5)), // intervals 1, 3, 6, 2: even
        (&[0, 0, 0, 7], Some(0.0)),      // same-moment contacts are zero apart
    ];
    let from = t("2025-06-01T00:00:00Z");
    for &(offsets, expected) in cases {
        let contacts: Vec<ContactEvent> = offsets
            .iter()
            .map(|&offset| text_at(MOTHER, CHILD, from + days(offset)))
            .collect();
        let got = gaps(&contacts, &mother_child(), &june());
        assert_eq!(got.median_interval_days, expected, "offsets {offsets:?}");
    }
}

#[test]
fn median_interval_measures_a_visit_from_its_real_start() {
    // A visit began 20 May, 12 days before the window, and went on into it; a text follows on
    // 5 June. The interval is 16 days from the visit's real start, not 4 from the window's
    // edge (SPEC section 4); only the longest gap is cut at the window's edges.
    let contacts = [
        visit(
            &[MOTHER, CHILD],
            "2025-05-20T00:00:00Z",
            Some("2025-06-02T00:00:00Z"),
        ),
        text(MOTHER, CHILD, "2025-06-05T00:00:00Z"),
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    assert_eq!(got.counted_contacts, 2);
    assert_eq!(got.median_interval_days, Some(16.0));
    // The stretch before the window is not a gap: the visit covered the window's start.
    assert_eq!(got.longest_gap_days, 25.0);
}

#[test]
fn child_initiated_share_of_calls_and_texts() {
    let missed_by_child = unanswered(ContactStatus::Missed, CHILD, MOTHER, "2025-06-06T00:00:00Z");
    let child_visit = visit(
        &[CHILD, MOTHER],
        "2025-06-07T00:00:00Z",
        Some("2025-06-08T00:00:00Z"),
    );
    let usual = vec![
        call(MOTHER, CHILD, "2025-06-02T00:00:00Z", 60),
        call(MOTHER, CHILD, "2025-06-03T00:00:00Z", 60),
        video(&[MOTHER, CHILD], "2025-06-04T00:00:00Z", 60),
        text(CHILD, MOTHER, "2025-06-05T00:00:00Z"),
        missed_by_child.clone(),
        child_visit.clone(),
    ];
    let cases: Vec<(&str, Vec<ContactEvent>, Pair, Option<f64>)> = vec![
        (
            "one of four counted calls and texts; missed calls and visits left out",
            usual.clone(),
            mother_child(),
            Some(0.25),
        ),
        (
            "a pair without a child",
            usual,
            Pair::new(MOTHER, CHILD, None).unwrap(),
            None,
        ),
        (
            "only a visit and a missed call: nothing to share out",
            vec![missed_by_child, child_visit],
            mother_child(),
            None,
        ),
        (
            "all started by the child",
            vec![text(CHILD, MOTHER, "2025-06-05T00:00:00Z")],
            mother_child(),
            Some(1.0),
        ),
        (
            "a child-caregiver pair, the child given",
            vec![
                text(CHILD, GRANDMA, "2025-06-05T00:00:00Z"),
                text(GRANDMA, CHILD, "2025-06-06T00:00:00Z"),
            ],
            Pair::new(GRANDMA, CHILD, Some(CHILD)).unwrap(),
            Some(0.5),
        ),
    ];
    for (name, contacts, pair, expected) in cases {
        let got = gaps(&contacts, &pair, &june());
        assert_eq!(got.child_initiated_share, expected, "{name}");
    }
}

#[test]
fn talk_minutes_sum_completed_calls_only() {
    let contacts = [
        call(MOTHER, CHILD, "2025-06-02T00:00:00Z", 600),
        video(&[MOTHER, CHILD], "2025-06-03T00:00:00Z", 330),
        unanswered(ContactStatus::Missed, MOTHER, CHILD, "2025-06-04T00:00:00Z"),
        text(MOTHER, CHILD, "2025-06-05T00:00:00Z"),
        visit(
            &[MOTHER, CHILD],
            "2025-06-06T00:00:00Z",
            Some("2025-06-07T00:00:00Z"),
        ),
        // Before the window: outside the window's figures.
        call(MOTHER, CHILD, "2025-05-02T00:00:00Z", 6000),
        // Completed but with no duration recorded.
        ContactEvent {
            duration_seconds: None,
            ..call(MOTHER, CHILD, "2025-06-08T00:00:00Z", 0)
        },
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    assert_eq!(got.talk_seconds, 930);
    assert_eq!(got.talk_minutes, 15.5);
    assert_eq!(got.counted_contacts, 5);
}

#[test]
fn contacts_per_week_over_the_window() {
    let window = Window::new(t("2025-06-01T00:00:00Z"), t("2025-06-29T00:00:00Z")).unwrap();
    let from = window.from;
    let contacts: Vec<ContactEvent> = (0..6)
        .map(|i| text_at(CHILD, MOTHER, from + days(i * 4)))
        .collect();
    let got = gaps(&contacts, &mother_child(), &window);
    assert_eq!(got.counted_contacts, 6);
    assert_eq!(got.contacts_per_week, 1.5);
}

#[test]
fn an_empty_window() {
    let instant = t("2025-06-30T00:00:00Z");
    let window = Window::new(instant, instant).unwrap();

    let got = gaps(&[], &mother_child(), &window);
    assert_eq!(got.longest_gap_seconds, 0);
    assert_eq!(got.counted_contacts, 0);
    assert_eq!(got.contacts_per_week, 0.0);
    assert_eq!(got.days_with_contact, 0);
    assert_eq!(got.status, GapStatus::Never);

    // A contact at that very instant is in it; an earlier one still gives the last contact.
    let contacts = [
        text(MOTHER, CHILD, "2025-06-30T00:00:00Z"),
        text(MOTHER, CHILD, "2025-06-20T00:00:00Z"),
    ];
    let got = gaps(&contacts, &mother_child(), &window);
    assert_eq!(got.counted_contacts, 1);
    assert_eq!(got.current_gap_seconds, Some(0));
    assert_eq!(got.contacts_per_week, 0.0);
    assert_eq!(got.days_with_contact, 1);
    assert_eq!(got.status, GapStatus::OnTrack);

    let days = contact_days(&contacts, &mother_child(), &window, SHANGHAI).unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].contacts, 1);
}

#[test]
fn invalid_input_is_an_error_not_a_panic() {
    let reversed = Window {
        from: t("2025-06-30T00:00:00Z"),
        as_of: t("2025-06-01T00:00:00Z"),
    };
    let reversed_error = GapError::WindowReversed {
        from: reversed.from,
        as_of: reversed.as_of,
    };
    assert_eq!(
        Window::new(reversed.from, reversed.as_of),
        Err(reversed_error.clone())
    );
    assert_eq!(
        pair_gaps(
            &[],
            &mother_child(),
            &reversed,
            SHANGHAI,
            TargetCadence::DEFAULT
        ),
        Err(reversed_error.clone())
    );
    assert_eq!(
        contact_days(&[], &mother_child(), &reversed, SHANGHAI),
        Err(reversed_error)
    );

    assert_eq!(
        Pair::new(MOTHER, MOTHER, None),
        Err(GapError::SamePerson { person: MOTHER })
    );
    assert_eq!(
        Pair::new(MOTHER, GRANDMA, Some(CHILD)),
        Err(GapError::ChildNotInPair { child: CHILD })
    );
    let unchecked = Pair {
        a: MOTHER,
        b: GRANDMA,
        child: Some(CHILD),
    };
    assert_eq!(
        pair_gaps(&[], &unchecked, &june(), SHANGHAI, TargetCadence::DEFAULT),
        Err(GapError::ChildNotInPair { child: CHILD })
    );

    // A target outside 1 to 365 days cannot be made, so no report can be asked for one.
    assert!(TargetCadence::new(0).is_err());
    assert!(TargetCadence::new(366).is_err());
    let longest = TargetCadence::new(365).unwrap();
    assert!(pair_gaps(&[], &mother_child(), &june(), SHANGHAI, longest).is_ok());

    assert_eq!(
        Window::days_up_to(t("2025-06-30T00:00:00Z"), u32::MAX, SHANGHAI),
        Err(GapError::WindowOutOfRange { days: u32::MAX })
    );
    let message = TargetCadence::new(0)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("1 to 365 days"), "{message}");
}

#[test]
fn window_starts_at_local_midnight() {
    // (as_of, days, zone, expected start)
    let cases: &[(&str, u32, Tz, &str)] = &[
        // 20:00 in Shanghai on 30 June: from 00:00 on 23 June, Shanghai time.
        ("2025-06-30T12:00:00Z", 7, SHANGHAI, "2025-06-22T16:00:00Z"),
        // 08:00 in New York on 30 June (EDT): from 00:00 on 23 June, New York time.
        ("2025-06-30T12:00:00Z", 7, NEW_YORK, "2025-06-23T04:00:00Z"),
        // 01:00 on 1 July in Shanghai is already the next local day.
        ("2025-06-30T17:00:00Z", 0, SHANGHAI, "2025-06-30T16:00:00Z"),
        ("2025-06-30T17:00:00Z", 0, NEW_YORK, "2025-06-30T04:00:00Z"),
        // Across the end of daylight saving in New York: the start is an EDT midnight.
        ("2025-11-03T12:00:00Z", 7, NEW_YORK, "2025-10-27T04:00:00Z"),
        // The default window: 90 days.
        (
            "2025-06-30T12:00:00Z",
            DEFAULT_WINDOW_DAYS,
            SHANGHAI,
            "2025-03-31T16:00:00Z",
        ),
        // São Paulo jumped from 00:00 to 01:00 on 4 November 2018: that day began at the jump.
        (
            "2018-11-04T12:00:00Z",
            0,
            Tz::America__Sao_Paulo,
            "2018-11-04T03:00:00Z",
        ),
    ];
    for &(as_of, days, tz, expected) in cases {
        let window = Window::days_up_to(t(as_of), days, tz).unwrap();
        assert_eq!(window.from, t(expected), "{as_of} − {days} days in {tz}");
        assert_eq!(window.as_of, t(as_of));
    }
    let default = Window::default_up_to(t("2025-06-30T12:00:00Z"), DEFAULT_TIME_ZONE).unwrap();
    assert_eq!(default.from, t("2025-03-31T16:00:00Z"));
}

#[test]
fn days_with_contact_follow_the_family_time_zone() {
    let contacts = [
        // 23:30 on 10 June in Shanghai, 11:30 in New York.
        text(MOTHER, CHILD, "2025-06-10T15:30:00Z"),
        // 01:00 on 11 June in Shanghai, 13:00 on 10 June in New York.
        text(CHILD, MOTHER, "2025-06-10T17:00:00Z"),
    ];
    let cases: &[(Tz, u32)] = &[(SHANGHAI, 2), (NEW_YORK, 1)];
    for &(tz, expected) in cases {
        let got = pair_gaps(
            &contacts,
            &mother_child(),
            &june(),
            tz,
            TargetCadence::DEFAULT,
        )
        .unwrap();
        assert_eq!(got.days_with_contact, expected, "{tz}");
        // Durations do not depend on the zone.
        assert_eq!(got.current_gap_seconds, Some(19 * 86_400 + 7 * 3_600));
    }
}

#[test]
fn days_with_contact_count_each_day_once_and_visits_every_day() {
    let contacts = [
        // 10:00 on 10 June to 20:00 on 12 June, Shanghai: three days.
        visit(
            &[MOTHER, CHILD],
            "2025-06-10T02:00:00Z",
            Some("2025-06-12T12:00:00Z"),
        ),
        // A call on a day the visit covers adds no day.
        call(MOTHER, CHILD, "2025-06-11T02:00:00Z", 60),
        // Ends at exactly Shanghai midnight: touches 20 June only.
        call(MOTHER, CHILD, "2025-06-20T15:50:00Z", 600),
        text(MOTHER, CHILD, "2025-06-25T02:00:00Z"),
        text(MOTHER, CHILD, "2025-06-25T03:00:00Z"),
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    assert_eq!(got.days_with_contact, 5);
}

#[test]
fn contact_days_make_a_timeline() {
    let window = Window::days_up_to(t("2025-06-30T12:00:00Z"), 6, SHANGHAI).unwrap();
    let contacts = [
        // From before the window (Shanghai 22 June) to 25 June 20:00 Shanghai.
        visit(
            &[MOTHER, CHILD],
            "2025-06-22T02:00:00Z",
            Some("2025-06-25T12:00:00Z"),
        ),
        unanswered(ContactStatus::Missed, MOTHER, CHILD, "2025-06-27T11:00:00Z"),
        call(MOTHER, CHILD, "2025-06-27T11:05:00Z", 300),
        // 01:00 on 28 June in Shanghai.
        text(CHILD, MOTHER, "2025-06-27T17:00:00Z"),
    ];
    let days = contact_days(&contacts, &mother_child(), &window, SHANGHAI).unwrap();
    let date = |d: u32| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
    let expected = vec![
        ContactDay {
            date: date(24),
            contacts: 1,
            in_contact: true,
            unanswered_attempts: 0,
        },
        ContactDay {
            date: date(25),
            contacts: 0,
            in_contact: true,
            unanswered_attempts: 0,
        },
        ContactDay {
            date: date(26),
            contacts: 0,
            in_contact: false,
            unanswered_attempts: 0,
        },
        ContactDay {
            date: date(27),
            contacts: 1,
            in_contact: true,
            unanswered_attempts: 1,
        },
        ContactDay {
            date: date(28),
            contacts: 1,
            in_contact: true,
            unanswered_attempts: 0,
        },
        ContactDay {
            date: date(29),
            contacts: 0,
            in_contact: false,
            unanswered_attempts: 0,
        },
        ContactDay {
            date: date(30),
            contacts: 0,
            in_contact: false,
            unanswered_attempts: 0,
        },
    ];
    assert_eq!(days, expected);

    let got = gaps(&contacts, &mother_child(), &window);
    let per_day: u32 = days.iter().map(|day| day.contacts).sum();
    assert_eq!(per_day, got.counted_contacts);
    let in_contact = days.iter().filter(|day| day.in_contact).count();
    assert_eq!(u32::try_from(in_contact).unwrap(), got.days_with_contact);
}

#[test]
fn gap_status_spellings_and_severity() {
    for status in GapStatus::ALL {
        assert_eq!(status.as_str().parse::<GapStatus>(), Ok(*status));
        assert_eq!(
            serde_json::to_string(status).unwrap(),
            format!("\"{}\"", status.as_str())
        );
        assert_eq!(status.to_string(), status.as_str());
    }
    let severities: Vec<u8> = GapStatus::ALL.iter().map(|s| s.severity()).collect();
    assert_eq!(severities, vec![0, 1, 2, 3, 4, 5, 6]);
    assert!(GapStatus::Never > GapStatus::Stale && GapStatus::Due > GapStatus::OnTrack);
    let message = "late".parse::<GapStatus>().unwrap_err().to_string();
    assert!(message.contains("unknown gap status `late`"), "{message}");
    assert!(message.contains("on_track"), "{message}");
}

#[test]
fn caseload_rows_sort_by_severity_then_gap() {
    let as_of = t("2025-06-30T00:00:00Z");
    let window = Window::days_up_to(as_of, 90, SHANGHAI).unwrap();
    let report = |gap_days: Option<i64>| {
        let contacts: Vec<ContactEvent> = gap_days
            .map(|d| text_at(MOTHER, CHILD, as_of - days(d)))
            .into_iter()
            .collect();
        gaps(&contacts, &mother_child(), &window)
    };
    let mut rows = vec![
        ("on track", report(Some(2))),
        ("critical, 100 days", report(Some(100))),
        ("never", report(None)),
        ("due", report(Some(10))),
        ("critical, 200 days", report(Some(200))),
        ("stale", report(Some(400))),
        ("on track, longer", report(Some(5))),
        ("overdue", report(Some(20))),
    ];
    sort_by_urgency(&mut rows, |row| &row.1);
    let order: Vec<&str> = rows.iter().map(|row| row.0).collect();
    assert_eq!(
        order,
        vec![
            "never",
            "stale",
            "critical, 200 days",
            "critical, 100 days",
            "overdue",
            "due",
            "on track, longer",
            "on track",
        ]
    );
}

#[test]
fn pair_gaps_round_trip_through_json() {
    let contacts = [
        call(MOTHER, CHILD, "2025-06-20T00:00:00Z", 600),
        unanswered(ContactStatus::Missed, CHILD, MOTHER, "2025-06-21T00:00:00Z"),
    ];
    let got = gaps(&contacts, &mother_child(), &june());
    let json = serde_json::to_value(&got).unwrap();
    assert_eq!(json["status"], "due");
    assert_eq!(json["current_gap_days"], 10.0);
    assert_eq!(json["unanswered_attempts"][0]["count"], 1);
    let back: PairGaps = serde_json::from_value(json).unwrap();
    assert_eq!(back, got);
}
