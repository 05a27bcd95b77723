//! Bundle parsing: a sample bundle round-trips, inconsistencies are named, and no input at
//! all (arbitrary bytes, mutated bundles) makes the parser panic.

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::attention::SignalCode;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn local(ms: i64) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(8 * 3600).unwrap();
    at(ms).with_timezone(&offset)
}

pub(super) fn sample() -> Bundle {
    let program = BundleProgram {
        id: ProgramId::new(),
        name: "Program".into(),
        target_cadence_days: 14,
        created_at: at(1_700_000_000_000),
        attention_thresholds: Some(Thresholds {
            unhappy_min_bad_feedbacks: 1,
            ..Thresholds::default()
        }),
    };
    let person = |name: &str, role| BundlePerson {
        id: PersonId::new(),
        display_name: name.into(),
        role,
        lives_away: role == FamilyRole::Mother,
        away_location: None,
        away_since: None,
        birth_year: None,
        birth_date: None,
        phone: None,
        phones: vec![],
        created_at: at(1_700_000_000_000),
    };
    let mother = person("妈妈", FamilyRole::Mother);
    let child = person("小雨", FamilyRole::Child);
    let recorder = UserId::new();
    let first = ContactId::new();
    let second = ContactId::new();
    let contact = |id, supersedes, superseded_by, minutes: i64| BundleContact {
        id,
        client_id: Uuid::new_v4(),
        request_hash: Some("00".into()),
        kind: ContactKind::Call,
        status: ContactStatus::Completed,
        participants: vec![mother.id, child.id],
        initiator: mother.id,
        started_at: local(1_717_225_200_000),
        duration_seconds: Some(minutes * 60),
        ended_at: None,
        content: Some("想你了".into()),
        talked_most: None,
        child_feedback: None,
        depth: Some(BundleDepth {
            score: 71.5,
            level: DepthLevel::Emotional,
            lexicon_version: "test".into(),
        }),
        source: ContactSource::Cli,
        recorded_by: recorder,
        recorded_at: at(1_717_225_300_000),
        supersedes,
        superseded_by,
    };
    let family = FamilyRecord {
        family: BundleFamily {
            id: FamilyId::new(),
            display_name: "李家".into(),
            program_id: Some(program.id),
            time_zone: "Asia/Shanghai".into(),
            target_cadence_days: None,
            consent: Consent::default(),
            created_at: at(1_700_000_000_000),
            updated_at: at(1_700_000_000_000),
        },
        contacts: vec![
            contact(first, None, Some(second), 5),
            contact(second, Some(first), None, 7),
        ],
        checkins: vec![BundleCheckin {
            id: CheckinId::new(),
            client_id: Uuid::new_v4(),
            request_hash: None,
            child_id: child.id,
            observed_at: local(1_717_225_200_000),
            mood: 2,
            health: None,
            school: Some("不爱说话".into()),
            worries: None,
            note: None,
            recorded_by: recorder,
            recorded_at: at(1_717_225_300_000),
        }],
        follow_ups: vec![BundleFollowUp {
            id: FollowUpId::new(),
            staff_id: UserId::new(),
            outcome: FollowUpOutcome::ReachedParent,
            reason: None,
            recheck_at: None,
            created_at: at(1_717_225_300_000),
        }],
        // The child rated the call bad, then changed it to okay, then back to bad.
        feedback: {
            let versions = [FeedbackId::new(), FeedbackId::new(), FeedbackId::new()];
            let version = |i: usize, rating, replaced_by| BundleFeedback {
                id: versions[i],
                client_id: Uuid::new_v4(),
                request_hash: None,
                contact_id: second,
                child_id: child.id,
                rating,
                words: (i == 0).then(|| "只问成绩".to_owned()),
                given_at: local(1_717_226_000_000 + i as i64 * 1_000),
                recorded_by: recorder,
                recorded_at: at(1_717_226_000_000 + i as i64 * 1_000),
                replaced_by,
            };
            vec![
                version(0, ChildFeedback::Bad, Some(versions[1])),
                version(1, ChildFeedback::Okay, Some(versions[2])),
                version(2, ChildFeedback::Bad, None),
            ]
        },
        child_checkins: vec![BundleChildCheckin {
            id: ChildCheckinId::new(),
            client_id: Uuid::new_v4(),
            request_hash: None,
            child_id: child.id,
            observed_at: local(1_717_227_000_000),
            mood: 2,
            words: Some("想妈妈".into()),
            recorded_by: recorder,
            recorded_at: at(1_717_227_000_000),
        }],
        persons: vec![mother, child],
    };
    let mut bundle = Bundle::new(at(1_717_300_000_000));
    bundle.programs.push(program);
    bundle.families.push(family);
    bundle
}

#[test]
fn sample_round_trips() {
    let bundle = sample();
    let json = serde_json::to_vec_pretty(&bundle).unwrap_or_default();
    let back = Bundle::parse(&json).map_err(|e| e.to_string());
    assert_eq!(back, Ok(bundle));
}

#[test]
fn offline_report_uses_the_current_version_and_the_program_target() {
    let bundle = sample();
    let record = &bundle.families[0];
    assert_eq!(record.current_events().len(), 1);
    let report = bundle
        .family_report(record, at(1_717_300_000_000), 30)
        .map_err(|e| e.to_string());
    let report = report.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.target_days, 14);
    assert_eq!(report.pairs.len(), 1);
    assert_eq!(report.pairs[0].gaps.talk_seconds, 7 * 60);
    assert_eq!(report.checkins.low_mood_count, 1);
    assert!(report.latest_follow_up.is_some());
    // The child's voice: the version in force only, and the program's own threshold (one bad
    // feedback is enough there).
    let voice = report.child_voice.clone().unwrap_or_default();
    assert_eq!((voice.feedback_bad, voice.feedback_okay), (1, 0));
    assert_eq!((voice.checkins, voice.mean_mood), (1, Some(2.0)));
    let codes: Vec<SignalCode> = report.pairs[0].signals.iter().map(|s| s.code).collect();
    assert_eq!(codes, vec![SignalCode::ChildUnhappy]);
    // A parent's bundle holds none of it, and its report shows none of it.
    let mut parents = sample();
    parents.withheld.push(Withheld::ChildFeedback);
    parents.families[0].feedback.clear();
    parents.families[0].child_checkins.clear();
    let report = parents
        .family_report(&parents.families[0], at(1_717_300_000_000), 30)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.child_voice, None);
    assert!(report.pairs[0].signals.is_empty());
}

#[test]
fn version_1_bundles_still_read_with_their_feedback_field() {
    let mut old = sample();
    old.version = 1;
    old.programs[0].attention_thresholds = None;
    let record = &mut old.families[0];
    record.feedback.clear();
    record.child_checkins.clear();
    for contact in &mut record.contacts {
        contact.child_feedback = Some(ChildFeedback::Bad);
    }
    let mut json: serde_json::Value = serde_json::to_value(&old).unwrap_or_default();
    // A version-1 file has neither field at all.
    for family in json["families"].as_array_mut().into_iter().flatten() {
        if let Some(record) = family.as_object_mut() {
            record.remove("feedback");
            record.remove("child_checkins");
        }
    }
    let read = Bundle::parse(&serde_json::to_vec(&json).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let facts = read.families[0].feedback_facts();
    // The current version's field only, given by the contact's one child.
    assert_eq!(facts.len(), 1, "{facts:?}");
    assert_eq!(facts[0].entry.rating, ChildFeedback::Bad);
    let child = read.families[0].persons[1].id;
    assert_eq!(facts[0].child, child);
    // Feedback records in a version-1 file are refused: that file cannot have them.
    let mut mixed = sample();
    mixed.version = 1;
    let text = Bundle::parse(&serde_json::to_vec(&mixed).unwrap_or_default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("version 1 bundles carry no feedback"),
        "{text}"
    );
}

#[test]
fn refusals_say_why() {
    let message = |bytes: &[u8]| Bundle::parse(bytes).err().map(|e| e.to_string());
    assert!(
        message(b"<calls/>")
            .unwrap_or_default()
            .starts_with("not JSON")
    );
    assert_eq!(
        message(br#"{"format":"other","version":1}"#).as_deref(),
        Some("not a kinthread bundle (`format` is not \"kinthread-bundle\")")
    );
    assert!(
        message(br#"{"format":"kinthread-bundle","version":3}"#)
            .unwrap_or_default()
            .contains("newer")
    );
    let mut broken = sample();
    broken.families[0].contacts[0].participants.truncate(1);
    broken.families[0].checkins[0].mood = 9;
    broken.families[0].persons[0].phone = Some("138 0013 8000".into());
    broken.families[0].feedback[1].replaced_by = None;
    if let Some(depth) = broken.families[0].contacts[1].depth.as_mut() {
        depth.score = 101.0;
    }
    let json = serde_json::to_vec(&broken).unwrap_or_default();
    let text = message(&json).unwrap_or_default();
    assert!(text.contains("contacts[0].participants"), "{text}");
    assert!(text.contains("checkins[0].mood"), "{text}");
    assert!(text.contains("persons[0].phone"), "{text}");
    assert!(text.contains("contacts[1].depth.score"), "{text}");
    assert!(text.contains("a second version in force"), "{text}");
    let mut voice = sample();
    voice.families[0].child_checkins[0].mood = 0;
    voice.families[0].feedback[0].contact_id = ContactId::new();
    let json = serde_json::to_vec(&voice).unwrap_or_default();
    let text = message(&json).unwrap_or_default();
    assert!(text.contains("child_checkins[0].mood"), "{text}");
    assert!(text.contains("feedback[0].contact_id"), "{text}");
    let mut nul = sample();
    nul.families[0].family.display_name = "a\0b".into();
    let json = serde_json::to_vec(&nul).unwrap_or_default();
    assert!(message(&json).unwrap_or_default().contains("NUL"));
}

/// Small edits of a valid bundle: the kinds of damage a hand edit or a cut copy makes.
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, usize, u8)]) -> Vec<u8> {
    const TOKENS: [&[u8]; 10] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b",",
        b"null",
        b"-1e999",
        b"\"\\ud800\"",
        b"99999999999999999999",
    ];
    for &(op, position, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = position % bytes.len();
        match op % 5 {
            0 => {
                bytes.remove(i);
            }
            1 => bytes.insert(i, byte),
            2 => {
                let token = TOKENS[usize::from(byte) % TOKENS.len()];
                bytes.splice(i..i, token.iter().copied());
            }
            3 => bytes.truncate(i),
            _ => {
                if let Some(b) = bytes.get_mut(i) {
                    *b = byte;
                }
            }
        }
    }
    bytes
}

fn cases() -> u32 {
    std::env::var("KINTHREAD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Bundle::parse(&bytes);
    }

    #[test]
    fn mutated_bundles_never_panic(
        edits in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..12)
    ) {
        let json = serde_json::to_vec(&sample()).unwrap_or_default();
        let mutated = mutate(json, &edits);
        // Either a clean error or a bundle that passes its own checks.
        if let Ok(bundle) = Bundle::parse(&mutated) {
            prop_assert!(bundle.check().is_ok());
            let _ = bundle.families.first().map(|f| bundle.family_report(f, bundle.exported_at, 90));
        }
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in arbitrary_json()) {
        let mut object = serde_json::json!({"format": "kinthread-bundle", "version": 1});
        object["families"] = value;
        let bytes = serde_json::to_vec(&object).unwrap_or_default();
        let _ = Bundle::parse(&bytes);
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z0-9:\\-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
