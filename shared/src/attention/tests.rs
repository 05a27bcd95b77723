//! Table-driven cases for every attention rule of SPEC section 4a at its thresholds, the
//! figures counted from a log, the family level and the staff-list order, and the two
//! children of the field study.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::*;
use crate::gaps::{self, GapStatus, Pair, Window};
use crate::model::{ContactEvent, ContactKind, ContactStatus, DepthLevel, FamilyRole};

const MOTHER: PersonId = PersonId(Uuid::from_u128(1));
const CHILD: PersonId = PersonId(Uuid::from_u128(2));
const GRANDMA: PersonId = PersonId(Uuid::from_u128(3));
const FATHER: PersonId = PersonId(Uuid::from_u128(4));

const SHANGHAI: Tz = Tz::Asia__Shanghai;

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// 2025-06-01 to 2025-07-01: 30 days, midpoint 2025-06-16T00:00Z.
fn june() -> Window {
    Window::new(t("2025-06-01T00:00:00Z"), t("2025-07-01T00:00:00Z")).unwrap()
}

fn at_day(day: i64) -> DateTime<Utc> {
    t("2025-06-01T00:00:00Z") + TimeDelta::days(day) + TimeDelta::hours(12)
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

fn call(from: PersonId, to: PersonId, at: DateTime<Utc>, seconds: i64) -> ContactEvent {
    ContactEvent {
        duration_seconds: Some(seconds),
        ..event(
            ContactKind::Call,
            ContactStatus::Completed,
            &[from, to],
            from,
            at,
        )
    }
}

fn unanswered(
    status: ContactStatus,
    from: PersonId,
    to: PersonId,
    at: DateTime<Utc>,
) -> ContactEvent {
    ContactEvent {
        duration_seconds: Some(0),
        ..event(ContactKind::Call, status, &[from, to], from, at)
    }
}

fn text(from: PersonId, to: PersonId, at: DateTime<Utc>) -> ContactEvent {
    event(
        ContactKind::Text,
        ContactStatus::Completed,
        &[from, to],
        from,
        at,
    )
}

fn scored(mut contact: ContactEvent, score: u8, level: Option<DepthLevel>) -> ContactEvent {
    contact.depth_score = Some(score);
    contact.depth_level = level;
    contact
}

fn checkin(at: DateTime<Utc>, mood: i32, worry_noted: bool) -> CaregiverCheckin {
    CaregiverCheckin {
        observed_at: at,
        mood,
        worry_noted,
    }
}

fn feedback(at: DateTime<Utc>, rating: ChildFeedback) -> ChildFeedbackEntry {
    ChildFeedbackEntry {
        given_at: at,
        rating,
    }
}

fn evidence<'a>(
    contacts: &'a [ContactEvent],
    checkins: &'a [CaregiverCheckin],
    feedbacks: &'a [ChildFeedbackEntry],
) -> PairEvidence<'a> {
    PairEvidence {
        parent: MOTHER,
        parent_role: FamilyRole::Mother,
        child: CHILD,
        contacts,
        checkins,
        feedbacks,
    }
}

fn figures_of(contacts: &[ContactEvent]) -> PairFigures {
    pair_figures(
        &evidence(contacts, &[], &[]),
        &june(),
        &Thresholds::default(),
    )
    .unwrap()
}

// ---- the rules at their thresholds ---------------------------------------------------------

#[test]
fn every_rule_at_its_thresholds() {
    use SignalCode::*;
    let none = PairFigures::default();
    #[rustfmt::skip]
    let cases: Vec<(&str, SignalCode, PairFigures, bool)> = vec![
        // calls_unanswered: ≥ 4 attempts, answered share under 0.5
        ("3 attempts, none answered: too few", CallsUnanswered,
            PairFigures { call_attempts: 3, calls_answered: 0, ..none.clone() }, false),
        ("4 attempts, 1 answered", CallsUnanswered,
            PairFigures { call_attempts: 4, calls_answered: 1, ..none.clone() }, true),
        ("4 attempts, 2 answered: exactly half is not under half", CallsUnanswered,
            PairFigures { call_attempts: 4, calls_answered: 2, ..none.clone() }, false),
        ("5 attempts, 2 answered", CallsUnanswered,
            PairFigures { call_attempts: 5, calls_answered: 2, ..none.clone() }, true),
        ("5 attempts, 3 answered", CallsUnanswered,
            PairFigures { call_attempts: 5, calls_answered: 3, ..none.clone() }, false),
        ("4 attempts, none answered", CallsUnanswered,
            PairFigures { call_attempts: 4, calls_answered: 0, ..none.clone() }, true),
        // child_never_reaches_out: ≥ 6 counted calls and texts, none by the child
        ("5 counted, none by the child: too few", ChildNeverReachesOut,
            PairFigures { counted_calls_and_texts: 5, ..none.clone() }, false),
        ("6 counted, none by the child", ChildNeverReachesOut,
            PairFigures { counted_calls_and_texts: 6, ..none.clone() }, true),
        ("6 counted, 1 by the child", ChildNeverReachesOut,
            PairFigures { counted_calls_and_texts: 6, child_started: 1, ..none.clone() }, false),
        ("7 counted, none by the child", ChildNeverReachesOut,
            PairFigures { counted_calls_and_texts: 7, ..none.clone() }, true),
        // calls_cut_short: ≥ 4 completed calls, median under 180 s
        ("3 calls of 60 s: too few", CallsCutShort,
            PairFigures { completed_calls: 3, median_call_seconds: Some(60.0), ..none.clone() }, false),
        ("4 calls, median 179 s", CallsCutShort,
            PairFigures { completed_calls: 4, median_call_seconds: Some(179.0), ..none.clone() }, true),
        ("4 calls, median 179.5 s", CallsCutShort,
            PairFigures { completed_calls: 4, median_call_seconds: Some(179.5), ..none.clone() }, true),
        ("4 calls, median 180 s: not under", CallsCutShort,
            PairFigures { completed_calls: 4, median_call_seconds: Some(180.0), ..none.clone() }, false),
        ("4 calls, median 181 s", CallsCutShort,
            PairFigures { completed_calls: 4, median_call_seconds: Some(181.0), ..none.clone() }, false),
        // routine_only: ≥ 4 scored, ≥ 80 % routine
        ("3 scored, all routine: too few", RoutineOnly,
            PairFigures { scored: 3, routine_only: 3, ..none.clone() }, false),
        ("4 scored, all routine", RoutineOnly,
            PairFigures { scored: 4, routine_only: 4, ..none.clone() }, true),
        ("5 scored, 4 routine: exactly 80 %", RoutineOnly,
            PairFigures { scored: 5, routine_only: 4, ..none.clone() }, true),
        ("4 scored, 3 routine: 75 %", RoutineOnly,
            PairFigures { scored: 4, routine_only: 3, ..none.clone() }, false),
        ("10 scored, 7 routine", RoutineOnly,
            PairFigures { scored: 10, routine_only: 7, ..none.clone() }, false),
        ("10 scored, 8 routine", RoutineOnly,
            PairFigures { scored: 10, routine_only: 8, ..none.clone() }, true),
        ("10 scored, 9 routine", RoutineOnly,
            PairFigures { scored: 10, routine_only: 9, ..none.clone() }, true),
        // depth_falling: later mean ≥ 10 points under earlier, ≥ 2 scored in each half
        ("60 to 50.1: 9.9 points", DepthFalling, depth(60.0, 50.1, 2, 2), false),
        ("60 to 50: exactly 10 points", DepthFalling, depth(60.0, 50.0, 2, 2), true),
        ("60 to 49.9", DepthFalling, depth(60.0, 49.9, 2, 2), true),
        ("63.3 to 53.3: 10 points despite floating point", DepthFalling, depth(63.3, 53.3, 3, 3), true),
        ("60 to 70: rising", DepthFalling, depth(60.0, 70.0, 2, 2), false),
        ("one scored contact earlier", DepthFalling, depth(80.0, 20.0, 1, 2), false),
        ("one scored contact later", DepthFalling, depth(80.0, 20.0, 2, 1), false),
        ("no scores later", DepthFalling,
            PairFigures { earlier_scored: 2, later_scored: 2, earlier_mean_depth: Some(80.0), ..none.clone() }, false),
        // contact_thinning: later under 0.5 × earlier, earlier ≥ 4
        ("3 earlier, 0 later: too few earlier", ContactThinning,
            PairFigures { earlier_counted: 3, later_counted: 0, ..none.clone() }, false),
        ("4 earlier, 1 later", ContactThinning,
            PairFigures { earlier_counted: 4, later_counted: 1, ..none.clone() }, true),
        ("4 earlier, 2 later: exactly half", ContactThinning,
            PairFigures { earlier_counted: 4, later_counted: 2, ..none.clone() }, false),
        ("5 earlier, 2 later", ContactThinning,
            PairFigures { earlier_counted: 5, later_counted: 2, ..none.clone() }, true),
        ("5 earlier, 3 later", ContactThinning,
            PairFigures { earlier_counted: 5, later_counted: 3, ..none.clone() }, false),
        ("4 earlier, 9 later: growing", ContactThinning,
            PairFigures { earlier_counted: 4, later_counted: 9, ..none.clone() }, false),
        // caregiver_worried: ≥ 2 low-mood check-ins, or ≥ 1 with a worry
        ("1 low mood", CaregiverWorried,
            PairFigures { low_mood_checkins: 1, ..none.clone() }, false),
        ("2 low moods", CaregiverWorried,
            PairFigures { low_mood_checkins: 2, ..none.clone() }, true),
        ("1 worry noted", CaregiverWorried,
            PairFigures { worry_checkins: 1, ..none.clone() }, true),
        ("nothing noted", CaregiverWorried, none.clone(), false),
        // child_unhappy: ≥ 2 bad feedbacks
        ("1 bad of 5", ChildUnhappy,
            PairFigures { feedbacks: 5, bad_feedbacks: 1, ..none.clone() }, false),
        ("2 bad of 5", ChildUnhappy,
            PairFigures { feedbacks: 5, bad_feedbacks: 2, ..none.clone() }, true),
        ("3 bad of 3", ChildUnhappy,
            PairFigures { feedbacks: 3, bad_feedbacks: 3, ..none.clone() }, true),
    ];
    let thresholds = Thresholds::default();
    for (name, code, figures, expected) in cases {
        let raised = raised_codes(&figures, &thresholds);
        assert_eq!(raised.contains(&code), expected, "{name}: {raised:?}");
        // No rule fires on another rule's figures alone.
        assert!(
            raised.iter().all(|other| *other == code),
            "{name}: also raised {raised:?}"
        );
    }
}

fn depth(earlier: f64, later: f64, earlier_scored: u32, later_scored: u32) -> PairFigures {
    PairFigures {
        earlier_scored,
        later_scored,
        earlier_mean_depth: Some(earlier),
        later_mean_depth: Some(later),
        ..PairFigures::default()
    }
}

#[test]
fn an_empty_log_raises_nothing() {
    assert!(raised_codes(&PairFigures::default(), &Thresholds::default()).is_empty());
}

#[test]
fn a_program_may_change_every_threshold() {
    let strict = Thresholds {
        calls_unanswered_min_attempts: 10,
        calls_unanswered_answered_share_below: 0.3,
        cut_short_median_below_seconds: 60,
        routine_only_share_at_least: 0.7,
        worried_min_low_mood_checkins: 1,
        ..Thresholds::default()
    };
    let cases = [
        // 3 of 10 is not under 30 %, whatever floating point makes of 0.3 × 10.
        (
            PairFigures {
                call_attempts: 10,
                calls_answered: 3,
                ..PairFigures::default()
            },
            vec![],
        ),
        (
            PairFigures {
                call_attempts: 10,
                calls_answered: 2,
                ..PairFigures::default()
            },
            vec![SignalCode::CallsUnanswered],
        ),
        (
            PairFigures {
                completed_calls: 4,
                median_call_seconds: Some(90.0),
                ..PairFigures::default()
            },
            vec![],
        ),
        // 7 of 10 is 70 %, at the changed share.
        (
            PairFigures {
                scored: 10,
                routine_only: 7,
                ..PairFigures::default()
            },
            vec![SignalCode::RoutineOnly],
        ),
        (
            PairFigures {
                low_mood_checkins: 1,
                ..PairFigures::default()
            },
            vec![SignalCode::CaregiverWorried],
        ),
    ];
    for (figures, expected) in cases {
        assert_eq!(raised_codes(&figures, &strict), expected, "{figures:?}");
    }
}

// ---- the figures counted from a log --------------------------------------------------------

#[test]
fn call_attempts_are_the_parents_calls_with_the_child() {
    let contacts = [
        call(MOTHER, CHILD, at_day(1), 300),
        unanswered(ContactStatus::Missed, MOTHER, CHILD, at_day(2)),
        unanswered(ContactStatus::Declined, MOTHER, CHILD, at_day(3)),
        ContactEvent {
            duration_seconds: Some(600),
            ..event(
                ContactKind::VideoCall,
                ContactStatus::Completed,
                &[MOTHER, CHILD, GRANDMA],
                MOTHER,
                at_day(4),
            )
        },
        // The child's own calls and missed calls are not the parent's attempts.
        unanswered(ContactStatus::Missed, CHILD, MOTHER, at_day(5)),
        call(CHILD, MOTHER, at_day(6), 100),
        // A call to the grandmother alone is not the pair's.
        unanswered(ContactStatus::Missed, MOTHER, GRANDMA, at_day(7)),
        // Outside the window.
        unanswered(ContactStatus::Missed, MOTHER, CHILD, at_day(-1)),
        unanswered(ContactStatus::Missed, MOTHER, CHILD, at_day(31)),
    ];
    let figures = figures_of(&contacts);
    assert_eq!((figures.call_attempts, figures.calls_answered), (4, 2));
    assert_eq!(figures.completed_calls, 3);
    // 100, 300, 600: the middle one.
    assert_eq!(figures.median_call_seconds, Some(300.0));
}

#[test]
fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
    let contacts = [
        call(MOTHER, CHILD, at_day(1), 60),
        call(MOTHER, CHILD, at_day(2), 100),
        call(MOTHER, CHILD, at_day(3), 200),
        call(MOTHER, CHILD, at_day(4), 1_000),
    ];
    assert_eq!(figures_of(&contacts).median_call_seconds, Some(150.0));
    assert_eq!(figures_of(&[]).median_call_seconds, None);
}

#[test]
fn child_started_counts_calls_and_texts_not_visits_or_missed_calls() {
    let visit = ContactEvent {
        ended_at: Some(at_day(12)),
        ..event(
            ContactKind::Visit,
            ContactStatus::Completed,
            &[MOTHER, CHILD],
            CHILD,
            at_day(10),
        )
    };
    let contacts = [
        text(MOTHER, CHILD, at_day(1)),
        text(CHILD, MOTHER, at_day(2)),
        call(MOTHER, CHILD, at_day(3), 120),
        unanswered(ContactStatus::Missed, CHILD, MOTHER, at_day(4)),
        visit,
    ];
    let figures = figures_of(&contacts);
    assert_eq!(figures.counted_calls_and_texts, 3);
    assert_eq!(figures.child_started, 1);
    // The visit counts for thinning, the missed call does not.
    assert_eq!(figures.earlier_counted, 4);
    assert_eq!(figures.later_counted, 0);
}

#[test]
fn the_window_is_closed_and_split_at_its_midpoint() {
    let window = june();
    let midpoint = t("2025-06-16T00:00:00Z");
    let just_before = midpoint - TimeDelta::seconds(1);
    let contacts = [
        text(MOTHER, CHILD, window.from),
        text(MOTHER, CHILD, just_before),
        text(MOTHER, CHILD, midpoint),
        text(MOTHER, CHILD, window.as_of),
        text(MOTHER, CHILD, window.from - TimeDelta::seconds(1)),
        text(MOTHER, CHILD, window.as_of + TimeDelta::seconds(1)),
    ];
    let figures = figures_of(&contacts);
    assert_eq!((figures.earlier_counted, figures.later_counted), (2, 2));
}

#[test]
fn depth_counts_scored_contacts_and_their_halves() {
    use DepthLevel::*;
    let contacts = [
        scored(call(MOTHER, CHILD, at_day(1), 300), 20, Some(Routine)),
        scored(call(MOTHER, CHILD, at_day(3), 300), 31, Some(Routine)),
        // A score without a stored level: under 50 is routine.
        scored(text(MOTHER, CHILD, at_day(5)), 40, None),
        scored(text(CHILD, MOTHER, at_day(20)), 60, Some(Mixed)),
        // From 50 without a level: emotional.
        scored(text(CHILD, MOTHER, at_day(22)), 80, None),
        call(MOTHER, CHILD, at_day(24), 300),
        // A note on a missed call is not a scored contact: nothing was said.
        scored(
            unanswered(ContactStatus::Missed, MOTHER, CHILD, at_day(25)),
            10,
            Some(Routine),
        ),
    ];
    let figures = figures_of(&contacts);
    assert_eq!((figures.scored, figures.routine_only), (5, 3));
    assert_eq!((figures.earlier_scored, figures.later_scored), (3, 2));
    assert_eq!(figures.earlier_mean_depth, Some(30.3));
    assert_eq!(figures.later_mean_depth, Some(70.0));
}

#[test]
fn checkins_and_feedbacks_in_the_window() {
    let checkins = [
        checkin(at_day(1), 1, false),
        checkin(at_day(2), 2, true),
        checkin(at_day(3), 3, false),
        checkin(at_day(4), 5, true),
        checkin(at_day(-3), 1, true), // before the window
    ];
    let feedbacks = [
        feedback(at_day(1), ChildFeedback::Bad),
        feedback(at_day(2), ChildFeedback::Okay),
        feedback(at_day(3), ChildFeedback::Good),
        feedback(at_day(40), ChildFeedback::Bad), // after as_of
    ];
    let figures = pair_figures(
        &evidence(&[], &checkins, &feedbacks),
        &june(),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!((figures.low_mood_checkins, figures.worry_checkins), (2, 2));
    assert_eq!((figures.feedbacks, figures.bad_feedbacks), (3, 1));

    let lenient = Thresholds {
        worried_low_mood_at_most: 1,
        ..Thresholds::default()
    };
    let figures = pair_figures(&evidence(&[], &checkins, &[]), &june(), &lenient).unwrap();
    assert_eq!(figures.low_mood_checkins, 1);
}

#[test]
fn bad_input_is_an_error() {
    let reversed = Window {
        from: t("2025-07-01T00:00:00Z"),
        as_of: t("2025-06-01T00:00:00Z"),
    };
    let input = evidence(&[], &[], &[]);
    assert!(matches!(
        pair_signals(&input, &reversed, &Thresholds::default()),
        Err(AttentionError::Window(_))
    ));
    let same = PairEvidence {
        child: MOTHER,
        ..input
    };
    assert!(matches!(
        pair_signals(&same, &june(), &Thresholds::default()),
        Err(AttentionError::SamePerson { .. })
    ));
    let nonsense = Thresholds {
        thinning_min_earlier: 0,
        ..Thresholds::default()
    };
    assert!(matches!(
        pair_signals(&input, &june(), &nonsense),
        Err(AttentionError::Thresholds(_))
    ));
}

// ---- reasons -------------------------------------------------------------------------------

#[test]
fn reasons_are_written_from_the_figures() {
    use SignalCode::*;
    let none = PairFigures::default();
    #[rustfmt::skip]
    let cases: Vec<(SignalCode, FamilyRole, PairFigures, &str, &str)> = vec![
        (CallsUnanswered, FamilyRole::Mother,
            PairFigures { call_attempts: 12, calls_answered: 3, ..none.clone() },
            "妈妈打了12次电话，只有3次接通", "mother called 12 times, 3 answered"),
        (CallsUnanswered, FamilyRole::Father,
            PairFigures { call_attempts: 5, calls_answered: 0, ..none.clone() },
            "爸爸打了5次电话，一次也没接通", "father called 5 times, none answered"),
        (ChildNeverReachesOut, FamilyRole::Father,
            PairFigures { counted_calls_and_texts: 7, ..none.clone() },
            "7次电话和消息，孩子一次也没有主动联系爸爸",
            "child started none of 7 calls and texts with father"),
        (CallsCutShort, FamilyRole::Mother,
            PairFigures { completed_calls: 39, median_call_seconds: Some(89.6), ..none.clone() },
            "和妈妈的39次通话，一般只有1分30秒", "39 calls with mother, median 1 min 30 s"),
        (RoutineOnly, FamilyRole::Mother,
            PairFigures { scored: 10, routine_only: 9, ..none.clone() },
            "和妈妈有内容的10次联系中，9次只谈日常",
            "9 of 10 noted contacts with mother were routine only"),
        (DepthFalling, FamilyRole::Mother, depth(62.0, 45.5, 3, 3),
            "和妈妈的交流深度从62分降到45.5分", "depth with mother fell from 62 to 45.5"),
        (ContactThinning, FamilyRole::OtherCaregiver,
            PairFigures { earlier_counted: 10, later_counted: 3, ..none.clone() },
            "和家长的联系从前半段10次减到后半段3次",
            "contacts with parent fell from 10 to 3 (first vs second half)"),
        (CaregiverWorried, FamilyRole::Mother,
            PairFigures { low_mood_checkins: 2, ..none.clone() },
            "照护人2次记下孩子情绪低落", "caregiver noted low mood 2 times"),
        (CaregiverWorried, FamilyRole::Mother,
            PairFigures { low_mood_checkins: 1, worry_checkins: 1, ..none.clone() },
            "照护人1次记下孩子情绪低落，1次记下担心",
            "caregiver noted low mood once, a worry once"),
        (ChildUnhappy, FamilyRole::Father,
            PairFigures { feedbacks: 6, bad_feedbacks: 2, ..none.clone() },
            "孩子2次反馈和爸爸的联系感觉不好", "child said 2 contacts with father felt bad"),
    ];
    for (code, role, figures, zh, en) in cases {
        let reason = reasons::reason(code, &figures, role);
        assert_eq!(reason, Bilingual::new(zh, en), "{code}");
        // Short enough for a table column.
        assert!(reason.zh.chars().count() <= 24, "{}", reason.zh);
        assert!(reason.en.chars().count() <= 64, "{}", reason.en);
    }
}

#[test]
fn every_signal_carries_only_its_own_figures() {
    let figures = PairFigures {
        call_attempts: 8,
        calls_answered: 2,
        low_mood_checkins: 3,
        ..PairFigures::default()
    };
    let unanswered = SignalFigures::for_code(SignalCode::CallsUnanswered, &figures);
    let json = serde_json::to_value(&unanswered).unwrap();
    assert_eq!(json, serde_json::json!({ "attempts": 8, "answered": 2 }));
    let worried = SignalFigures::for_code(SignalCode::CaregiverWorried, &figures);
    let json = serde_json::to_value(&worried).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "low_mood_checkins": 3, "worry_checkins": 0 })
    );
}

// ---- codes and labels ----------------------------------------------------------------------

#[test]
fn codes_are_stable_snake_case() {
    let expected = [
        "calls_unanswered",
        "child_never_reaches_out",
        "calls_cut_short",
        "routine_only",
        "depth_falling",
        "contact_thinning",
        "caregiver_worried",
        "child_unhappy",
    ];
    let spelt: Vec<&str> = SignalCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(spelt, expected);
    for code in SignalCode::ALL {
        assert_eq!(code.as_str().parse::<SignalCode>(), Ok(*code));
        assert_eq!(
            serde_json::to_string(code).unwrap(),
            format!("\"{}\"", code.as_str())
        );
        assert!(!code.label_zh().is_empty() && code.label_zh().chars().count() <= 8);
        assert!(!code.label_en().is_empty() && code.label_en().len() <= 24);
    }
    assert!("calls_missed".parse::<SignalCode>().is_err());
    for level in AttentionLevel::ALL {
        assert_eq!(level.as_str().parse::<AttentionLevel>(), Ok(*level));
        assert_eq!(
            serde_json::to_string(level).unwrap(),
            format!("\"{}\"", level.as_str())
        );
    }
}

// ---- thresholds ----------------------------------------------------------------------------

#[test]
fn default_thresholds_are_the_specs() {
    let defaults = Thresholds::default();
    assert_eq!(defaults.validate(), Ok(()));
    assert_eq!(defaults.calls_unanswered_min_attempts, 4);
    assert_eq!(defaults.calls_unanswered_answered_share_below, 0.5);
    assert_eq!(defaults.never_reaches_out_min_counted, 6);
    assert_eq!(defaults.cut_short_min_completed_calls, 4);
    assert_eq!(defaults.cut_short_median_below_seconds, 180);
    assert_eq!(defaults.routine_only_min_scored, 4);
    assert_eq!(defaults.routine_only_share_at_least, 0.8);
    assert_eq!(defaults.depth_falling_drop_points, 10.0);
    assert_eq!(defaults.thinning_later_share_below, 0.5);
    assert_eq!(defaults.thinning_min_earlier, 4);
    assert_eq!(defaults.worried_low_mood_at_most, 2);
    assert_eq!(defaults.worried_min_low_mood_checkins, 2);
    assert_eq!(defaults.worried_min_noted_worries, 1);
    assert_eq!(defaults.unhappy_min_bad_feedbacks, 2);
}

#[test]
fn nonsense_thresholds_are_refused_field_by_field() {
    let base = Thresholds::default;
    #[rustfmt::skip]
    let cases: Vec<(Thresholds, Vec<&str>)> = vec![
        (Thresholds { calls_unanswered_min_attempts: 0, ..base() }, vec!["calls_unanswered_min_attempts"]),
        (Thresholds { calls_unanswered_answered_share_below: 1.01, ..base() }, vec!["calls_unanswered_answered_share_below"]),
        (Thresholds { calls_unanswered_answered_share_below: -0.1, ..base() }, vec!["calls_unanswered_answered_share_below"]),
        (Thresholds { routine_only_share_at_least: f64::NAN, ..base() }, vec!["routine_only_share_at_least"]),
        (Thresholds { cut_short_median_below_seconds: -5, ..base() }, vec!["cut_short_median_below_seconds"]),
        (Thresholds { cut_short_median_below_seconds: 0, ..base() }, vec!["cut_short_median_below_seconds"]),
        (Thresholds { depth_falling_drop_points: 0.0, ..base() }, vec!["depth_falling_drop_points"]),
        (Thresholds { depth_falling_drop_points: 101.0, ..base() }, vec!["depth_falling_drop_points"]),
        (Thresholds { depth_falling_min_scored_per_half: 0, ..base() }, vec!["depth_falling_min_scored_per_half"]),
        (Thresholds { worried_low_mood_at_most: 0, ..base() }, vec!["worried_low_mood_at_most"]),
        (Thresholds { worried_low_mood_at_most: 6, ..base() }, vec!["worried_low_mood_at_most"]),
        (Thresholds { unhappy_min_bad_feedbacks: 0, thinning_later_share_below: 2.0, never_reaches_out_min_counted: 0, ..base() },
            vec!["never_reaches_out_min_counted", "thinning_later_share_below", "unhappy_min_bad_feedbacks"]),
        // The edges of the ranges are fine.
        (Thresholds { calls_unanswered_answered_share_below: 1.0, routine_only_share_at_least: 0.0,
            depth_falling_drop_points: 100.0, worried_low_mood_at_most: 5, cut_short_median_below_seconds: 1, ..base() }, vec![]),
    ];
    for (thresholds, fields) in cases {
        let got: Vec<&str> = match thresholds.validate() {
            Ok(()) => vec![],
            Err(ThresholdErrors(errors)) => errors.iter().map(ThresholdError::field).collect(),
        };
        assert_eq!(got, fields, "{thresholds:?}");
    }
}

#[test]
fn stored_thresholds_keep_only_what_a_program_changed() {
    let thresholds = Thresholds::from_json(r#"{ "cut_short_median_below_seconds": 120 }"#).unwrap();
    assert_eq!(
        thresholds,
        Thresholds {
            cut_short_median_below_seconds: 120,
            ..Thresholds::default()
        }
    );
    assert_eq!(Thresholds::from_json("{}").unwrap(), Thresholds::default());

    let round_trip: Thresholds =
        serde_json::from_str(&serde_json::to_string(&thresholds).unwrap()).unwrap();
    assert_eq!(round_trip, thresholds);

    assert!(matches!(
        Thresholds::from_json(r#"{ "cut_short_median_below_second": 120 }"#),
        Err(ThresholdsParseError::Json(_))
    ));
    let invalid = Thresholds::from_json(r#"{ "routine_only_share_at_least": 80 }"#);
    let message = invalid.map(|_| String::new()).unwrap_err().to_string();
    assert!(message.contains("routine_only_share_at_least"), "{message}");
}

// ---- level and order -----------------------------------------------------------------------

fn standing(away: bool, status: GapStatus, signals: &[SignalCode]) -> PairStanding {
    PairStanding {
        parent_lives_away: away,
        status,
        current_gap_seconds: (status != GapStatus::Never).then_some(86_400),
        signals: signals.to_vec(),
    }
}

#[test]
fn family_level_rule() {
    use GapStatus::*;
    use SignalCode::*;
    let three = [CallsUnanswered, CallsCutShort, CaregiverWorried];
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<PairStanding>, AttentionLevel, AttentionLevel)> = vec![
        // (case, pairs, level for staff, level for parents without feedback consent)
        ("quiet and on track", vec![standing(true, OnTrack, &[])], AttentionLevel::None, AttentionLevel::None),
        ("due is not yet high", vec![standing(true, Due, &[])], AttentionLevel::None, AttentionLevel::None),
        ("one signal", vec![standing(true, OnTrack, &[RoutineOnly])], AttentionLevel::Watch, AttentionLevel::Watch),
        ("two signals", vec![standing(true, OnTrack, &[RoutineOnly, ChildNeverReachesOut])], AttentionLevel::Watch, AttentionLevel::Watch),
        ("three signals on one pair", vec![standing(true, OnTrack, &three)], AttentionLevel::High, AttentionLevel::High),
        ("two and two on different pairs is not three on one",
            vec![standing(true, OnTrack, &[RoutineOnly, CallsCutShort]), standing(true, OnTrack, &[DepthFalling, ContactThinning])],
            AttentionLevel::Watch, AttentionLevel::Watch),
        ("overdue", vec![standing(true, Overdue, &[])], AttentionLevel::High, AttentionLevel::High),
        ("never is the worst", vec![standing(true, Never, &[])], AttentionLevel::High, AttentionLevel::High),
        ("stale", vec![standing(true, Stale, &[])], AttentionLevel::High, AttentionLevel::High),
        ("a parent at home who is overdue does not count when another lives away",
            vec![standing(true, OnTrack, &[]), standing(false, Serious, &[])], AttentionLevel::None, AttentionLevel::None),
        ("with no parent away every pair counts",
            vec![standing(false, OnTrack, &[]), standing(false, Overdue, &[])], AttentionLevel::High, AttentionLevel::High),
        ("signals of a parent at home still count",
            vec![standing(true, OnTrack, &[]), standing(false, OnTrack, &[RoutineOnly])], AttentionLevel::Watch, AttentionLevel::Watch),
        ("the child's voice makes the third signal, only where it may be seen",
            vec![standing(true, OnTrack, &[CallsUnanswered, CallsCutShort, ChildUnhappy])], AttentionLevel::High, AttentionLevel::Watch),
        ("the child's voice alone",
            vec![standing(true, OnTrack, &[ChildUnhappy])], AttentionLevel::Watch, AttentionLevel::None),
        ("no parent–child pair is never", vec![], AttentionLevel::High, AttentionLevel::High),
    ];
    for (name, pairs, staff, parents) in cases {
        assert_eq!(
            family_level(&pairs, FeedbackVisibility::Included),
            staff,
            "{name}"
        );
        assert_eq!(
            family_level(&pairs, FeedbackVisibility::Withheld),
            parents,
            "{name}"
        );
    }
}

#[test]
fn family_rank_takes_the_worst_pair_that_decides_the_status() {
    let pairs = vec![
        PairStanding {
            parent_lives_away: true,
            status: GapStatus::Due,
            current_gap_seconds: Some(9 * 86_400),
            signals: vec![],
        },
        PairStanding {
            parent_lives_away: true,
            status: GapStatus::Due,
            current_gap_seconds: Some(10 * 86_400),
            signals: vec![SignalCode::RoutineOnly],
        },
        PairStanding {
            parent_lives_away: false,
            status: GapStatus::Never,
            current_gap_seconds: None,
            signals: vec![],
        },
    ];
    assert_eq!(
        family_rank(&pairs, FeedbackVisibility::Included),
        AttentionRank {
            level: AttentionLevel::Watch,
            status: GapStatus::Due,
            current_gap_seconds: Some(10 * 86_400),
        }
    );
}

#[test]
fn staff_lists_sort_by_level_then_status_then_gap() {
    let rank = |level, status, gap_days: Option<i64>| AttentionRank {
        level,
        status,
        current_gap_seconds: gap_days.map(|days| days * 86_400),
    };
    use AttentionLevel::{High, None as Quiet, Watch};
    use GapStatus::*;
    let mut rows = vec![
        ("quiet, on track 1 day", rank(Quiet, OnTrack, Some(1))),
        ("watch, on track 2 days", rank(Watch, OnTrack, Some(2))),
        ("high, on track 2 days", rank(High, OnTrack, Some(2))),
        ("high, never", rank(High, Never, None)),
        ("watch, due 9 days", rank(Watch, Due, Some(9))),
        ("quiet, due 10 days", rank(Quiet, Due, Some(10))),
        ("high, serious 40 days", rank(High, Serious, Some(40))),
        ("high, serious 60 days", rank(High, Serious, Some(60))),
        ("watch, on track 5 days", rank(Watch, OnTrack, Some(5))),
    ];
    sort_by_attention(&mut rows, |row| row.1);
    let order: Vec<&str> = rows.iter().map(|row| row.0).collect();
    assert_eq!(
        order,
        vec![
            "high, never",
            "high, serious 60 days",
            "high, serious 40 days",
            "high, on track 2 days",
            "watch, due 9 days",
            "watch, on track 5 days",
            "watch, on track 2 days",
            "quiet, due 10 days",
            "quiet, on track 1 day",
        ]
    );
}

// ---- the field study -----------------------------------------------------------------------

/// The 90 days up to 2025-12-01 in Shanghai.
fn ninety_days() -> Window {
    Window::days_up_to(t("2025-12-01T12:00:00Z"), 90, SHANGHAI).unwrap()
}

fn gap_status(
    contacts: &[ContactEvent],
    parent: PersonId,
    window: &Window,
) -> (GapStatus, Option<i64>) {
    let pair = Pair::parent_child(parent, CHILD).unwrap();
    let gaps = gaps::pair_gaps(
        contacts,
        &pair,
        window,
        SHANGHAI,
        crate::TargetCadence::DEFAULT,
    )
    .unwrap();
    (gaps.status, gaps.current_gap_seconds)
}

#[test]
fn the_girl_who_is_called_every_two_or_three_days_needs_high_attention() {
    // Her mother calls every two to three days and often has to call two or three times before
    // the girl picks up: 80 attempts, 41 unanswered. The calls last a minute or two. Now and
    // then the girl sends her mother a text. Her grandmother noted low mood twice.
    let window = ninety_days();
    let mut contacts = Vec::new();
    let mut occasion = window.from + TimeDelta::hours(10);
    for index in 0..39 {
        let misses = if index % 19 == 1 { 2 } else { 1 };
        let mut at = occasion;
        for _ in 0..misses {
            contacts.push(unanswered(ContactStatus::Missed, MOTHER, CHILD, at));
            at += TimeDelta::minutes(10);
        }
        contacts.push(call(MOTHER, CHILD, at, 60 + (index % 5) * 15));
        occasion += TimeDelta::hours(if index % 2 == 0 { 48 } else { 60 });
    }
    for day in [20, 50, 80] {
        contacts.push(text(CHILD, MOTHER, window.from + TimeDelta::days(day)));
    }
    let checkins = [
        checkin(window.from + TimeDelta::days(30), 2, false),
        checkin(window.from + TimeDelta::days(70), 3, false),
        checkin(window.from + TimeDelta::days(75), 1, false),
    ];
    let input = PairEvidence {
        checkins: &checkins,
        ..evidence(&contacts, &[], &[])
    };
    let signals = pair_signals(&input, &window, &Thresholds::default()).unwrap();

    let (status, current_gap_seconds) = gap_status(&contacts, MOTHER, &window);
    assert_eq!(status, GapStatus::OnTrack, "by the gap alone she is fine");
    assert_eq!(
        (
            signals.figures.call_attempts,
            signals.figures.calls_answered
        ),
        (80, 39)
    );
    assert_eq!(
        signals.codes(),
        vec![
            SignalCode::CallsUnanswered,
            SignalCode::CallsCutShort,
            SignalCode::CaregiverWorried,
        ]
    );
    let reasons: Vec<(&str, &str)> = signals
        .signals
        .iter()
        .map(|signal| (signal.reason.zh.as_str(), signal.reason.en.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                "妈妈打了80次电话，只有39次接通",
                "mother called 80 times, 39 answered"
            ),
            (
                "和妈妈的39次通话，一般只有1分30秒",
                "39 calls with mother, median 1 min 30 s"
            ),
            (
                "照护人2次记下孩子情绪低落",
                "caregiver noted low mood 2 times"
            ),
        ]
    );
    let pairs = [PairStanding {
        parent_lives_away: true,
        status,
        current_gap_seconds,
        signals: signals.codes(),
    }];
    assert_eq!(
        family_level(&pairs, FeedbackVisibility::Included),
        AttentionLevel::High
    );
}

#[test]
fn the_boy_whose_parents_call_about_food_and_money_needs_watching() {
    // Two construction workers call their son together every two weeks, the father dialling;
    // the talk is about food and money, the boy says little and never calls them himself.
    let window = ninety_days();
    let mut contacts = Vec::new();
    for fortnight in 0..7 {
        let at = window.from + TimeDelta::days(2 + 14 * fortnight) + TimeDelta::hours(12);
        let mut call = ContactEvent {
            duration_seconds: Some(420),
            ..event(
                ContactKind::Call,
                ContactStatus::Completed,
                &[FATHER, MOTHER, CHILD],
                FATHER,
                at,
            )
        };
        call.depth_score = Some(if fortnight == 3 { 45 } else { 22 });
        call.depth_level = Some(DepthLevel::Routine);
        contacts.push(call);
    }
    let thresholds = Thresholds::default();
    let mut pairs = Vec::new();
    for (parent, role) in [(FATHER, FamilyRole::Father), (MOTHER, FamilyRole::Mother)] {
        let input = PairEvidence {
            parent,
            parent_role: role,
            ..evidence(&contacts, &[], &[])
        };
        let signals = pair_signals(&input, &window, &thresholds).unwrap();
        assert_eq!(
            signals.codes(),
            vec![SignalCode::ChildNeverReachesOut, SignalCode::RoutineOnly],
            "{role}"
        );
        let (status, current_gap_seconds) = gap_status(&contacts, parent, &window);
        pairs.push(PairStanding {
            parent_lives_away: true,
            status,
            current_gap_seconds,
            signals: signals.codes(),
        });
        if role == FamilyRole::Father {
            let reasons: Vec<(&str, &str)> = signals
                .signals
                .iter()
                .map(|signal| (signal.reason.zh.as_str(), signal.reason.en.as_str()))
                .collect();
            assert_eq!(
                reasons,
                vec![
                    (
                        "7次电话和消息，孩子一次也没有主动联系爸爸",
                        "child started none of 7 calls and texts with father"
                    ),
                    (
                        "和爸爸有内容的7次联系中，7次只谈日常",
                        "7 of 7 noted contacts with father were routine only"
                    ),
                ]
            );
        }
    }
    assert!(family_level(&pairs, FeedbackVisibility::Included) >= AttentionLevel::Watch);
}
