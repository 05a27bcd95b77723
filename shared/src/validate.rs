//! Validation of what clients send, as pure functions: the server calls them before it
//! writes, and they are unit-tested without HTTP. Each problem names its field.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::api::{
    FieldError, MAX_CHILD_WORDS_CHARS, NewCheckin, NewChildCheckin, NewContact, NewFeedback,
    PersonUpdate,
};
use crate::ids::PersonId;
use crate::model::{ContactKind, ContactStatus};

/// The longest call we believe: a day.
pub const MAX_CALL_SECONDS: i64 = 24 * 60 * 60;
/// The longest visit: a year at home.
pub const MAX_VISIT_DAYS: i64 = 366;
/// How far ahead of the server's clock a phone's clock may run: a time later than this is a
/// typing mistake or a phone set to the wrong day, and is refused with a message that says
/// the allowance ([`future_message`]). Generous, because a phone set to the wrong time zone
/// by hand reports its wrong local time with its real offset.
pub const MAX_CLOCK_SKEW: Duration = Duration::hours(24);

/// The refusal of a time past [`MAX_CLOCK_SKEW`].
pub fn future_message() -> String {
    format!(
        "must not be in the future: at most {} hours ahead of the server's clock (the \
         allowance for a phone's clock running fast)",
        MAX_CLOCK_SKEW.num_hours()
    )
}
/// Notes and text bodies longer than this are refused (about ten pages).
pub const MAX_CONTENT_CHARS: usize = 20_000;
pub const MAX_PARTICIPANTS: usize = 20;

/// The earliest instant accepted: older records are typing mistakes, not history.
pub fn earliest_plausible() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// The status a contact will be stored with: texts and visits are always completed.
pub fn effective_status(contact: &NewContact) -> ContactStatus {
    contact.status.unwrap_or(ContactStatus::Completed)
}

/// Checks a contact against the family's persons and the server's clock.
pub fn check_new_contact(
    contact: &NewContact,
    family_persons: &HashSet<PersonId>,
    now: DateTime<Utc>,
) -> Result<(), Vec<FieldError>> {
    let mut problems = Problems::default();
    let status = effective_status(contact);

    // Participants and initiator.
    let mut seen = HashSet::new();
    if contact.participants.len() < 2 {
        problems.add("participants", "a contact needs at least two participants");
    }
    if contact.participants.len() > MAX_PARTICIPANTS {
        problems.add(
            "participants",
            format!("at most {MAX_PARTICIPANTS} participants"),
        );
    }
    for (i, person) in contact.participants.iter().enumerate() {
        if !seen.insert(*person) {
            problems.add(
                &format!("participants[{i}]"),
                format!("{person} is listed twice"),
            );
        } else if !family_persons.contains(person) {
            problems.add(
                &format!("participants[{i}]"),
                format!("{person} is not a person of this family"),
            );
        }
    }
    if !contact.participants.contains(&contact.initiator) {
        problems.add("initiator", "the initiator must be one of the participants");
    }

    // Times.
    let started = contact.started_at.with_timezone(&Utc);
    if started < earliest_plausible() {
        problems.add("started_at", "must be in the year 2000 or later");
    }
    if started > now + MAX_CLOCK_SKEW {
        problems.add("started_at", future_message());
    }

    match contact.kind {
        ContactKind::Call | ContactKind::VideoCall => {
            if contact.ended_at.is_some() {
                problems.add("ended_at", "only visits have an end; calls have a duration");
            }
            match (status, contact.duration_seconds) {
                (_, Some(d)) if d < 0 => problems.add("duration_seconds", "must not be negative"),
                (_, Some(d)) if d > MAX_CALL_SECONDS => problems.add(
                    "duration_seconds",
                    "a call of more than a day is implausible",
                ),
                (ContactStatus::Missed | ContactStatus::Declined, Some(d)) if d > 0 => problems
                    .add(
                        "duration_seconds",
                        "a missed or declined call has no duration",
                    ),
                (ContactStatus::Completed, None) => problems.add(
                    "duration_seconds",
                    "a completed call needs its duration in seconds",
                ),
                // As the phone-backup import reads a call log: a call of 0 s rang out, and
                // is missed (or declined), never completed.
                (ContactStatus::Completed, Some(0)) => problems.add(
                    "duration_seconds",
                    "a completed call lasts at least a second; a call nobody talked on is \
                     missed or declined (send that status), as imports record it",
                ),
                _ => {}
            }
        }
        ContactKind::Text => {
            if status != ContactStatus::Completed {
                problems.add("status", "texts are always completed");
            }
            if contact.duration_seconds.is_some() {
                problems.add("duration_seconds", "texts have no duration");
            }
            if contact.ended_at.is_some() {
                problems.add("ended_at", "texts have no end");
            }
            if contact.talked_most.is_some() {
                problems.add("talked_most", "only calls and visits have a talker");
            }
        }
        ContactKind::Visit => {
            if status != ContactStatus::Completed {
                problems.add("status", "visits are always completed");
            }
            if contact.duration_seconds.is_some() {
                problems.add(
                    "duration_seconds",
                    "visits have an end time, not a duration",
                );
            }
            // A visit still going on has no end yet: it is logged now and ended later by an
            // amendment. Until then it counts as contact at its start only
            // ([`crate::model::counted_span`]), so a visit nobody ends cannot hide a gap.
            match contact.ended_at {
                None => {}
                Some(end) => {
                    let end = end.with_timezone(&Utc);
                    if end <= started {
                        problems.add("ended_at", "a visit must end after it starts");
                    } else if end - started > Duration::days(MAX_VISIT_DAYS) {
                        problems.add("ended_at", "a visit of more than a year is implausible");
                    }
                    if end > now + MAX_CLOCK_SKEW {
                        problems.add("ended_at", future_message());
                    }
                }
            }
        }
    }

    if let Some(content) = &contact.content
        && content.chars().count() > MAX_CONTENT_CHARS
    {
        problems.add("content", format!("at most {MAX_CONTENT_CHARS} characters"));
    }
    problems.finish()
}

/// Checks a caregiver check-in.
pub fn check_new_checkin(
    checkin: &NewCheckin,
    family_children: &HashSet<PersonId>,
    now: DateTime<Utc>,
) -> Result<(), Vec<FieldError>> {
    let mut problems = Problems::default();
    if !(1..=5).contains(&checkin.mood) {
        problems.add("mood", "must be from 1 (very low) to 5 (very good)");
    }
    if !family_children.contains(&checkin.child_id) {
        problems.add("child_id", "must be a child of this family");
    }
    let observed = checkin.observed_at.with_timezone(&Utc);
    if observed < earliest_plausible() {
        problems.add("observed_at", "must be in the year 2000 or later");
    }
    if observed > now + MAX_CLOCK_SKEW {
        problems.add("observed_at", future_message());
    }
    for (field, value) in [
        ("health", &checkin.health),
        ("school", &checkin.school),
        ("worries", &checkin.worries),
        ("note", &checkin.note),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_CONTENT_CHARS)
        {
            problems.add(field, format!("at most {MAX_CONTENT_CHARS} characters"));
        }
    }
    problems.finish()
}

/// Checks a child's feedback on a contact that started at `contact_started`. A feedback given
/// at the time or later is fine; one dated before the contact, or in the future beyond the
/// phone's clock skew, is not.
pub fn check_new_feedback(
    feedback: &NewFeedback,
    contact_started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Vec<FieldError>> {
    let mut problems = Problems::default();
    if let Some(given) = feedback.given_at.map(|at| at.with_timezone(&Utc)) {
        if given + MAX_CLOCK_SKEW < contact_started {
            problems.add("given_at", "must not be before the contact it is about");
        }
        if given > now + MAX_CLOCK_SKEW {
            problems.add("given_at", future_message());
        }
    }
    check_child_words(&mut problems, feedback.words.as_deref());
    problems.finish()
}

/// Checks a child's own check-in.
pub fn check_new_child_checkin(
    checkin: &NewChildCheckin,
    now: DateTime<Utc>,
) -> Result<(), Vec<FieldError>> {
    let mut problems = Problems::default();
    if !(1..=5).contains(&checkin.mood) {
        problems.add("mood", "must be from 1 (very low) to 5 (very good)");
    }
    let observed = checkin.observed_at.with_timezone(&Utc);
    if observed < earliest_plausible() {
        problems.add("observed_at", "must be in the year 2000 or later");
    }
    if observed > now + MAX_CLOCK_SKEW {
        problems.add("observed_at", future_message());
    }
    check_child_words(&mut problems, checkin.words.as_deref());
    problems.finish()
}

fn check_child_words(problems: &mut Problems, words: Option<&str>) {
    if words.is_some_and(|w| w.chars().count() > MAX_CHILD_WORDS_CHARS) {
        problems.add(
            "words",
            format!("at most {MAX_CHILD_WORDS_CHARS} characters"),
        );
    }
}

/// The earliest year of birth accepted.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// Checks a person's year and date of birth against `today` (the latest date anywhere on
/// earth, so that nobody's today is refused) and gives the birth year to store: the one
/// given, else the year of `birth_date`. When both are given they must agree.
pub fn check_birth(
    birth_year: Option<i32>,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<i32>, Vec<FieldError>> {
    let mut problems = Problems::default();
    let this_year = today.year();
    if let Some(year) = birth_year
        && !(EARLIEST_BIRTH_YEAR..=this_year).contains(&year)
    {
        problems.add(
            "birth_year",
            format!("must be {EARLIEST_BIRTH_YEAR} to {this_year}"),
        );
    }
    if let Some(date) = birth_date {
        if date.year() < EARLIEST_BIRTH_YEAR || date > today {
            problems.add(
                "birth_date",
                format!("must be from {EARLIEST_BIRTH_YEAR}-01-01 to today"),
            );
        }
        if let Some(year) = birth_year
            && year != date.year()
        {
            problems.add(
                "birth_year",
                format!("must agree with birth_date (born in {})", date.year()),
            );
        }
    }
    problems.finish()?;
    Ok(birth_year.or(birth_date.map(|date| date.year())))
}

/// The most phone numbers one person may have.
pub const MAX_PHONES_PER_PERSON: usize = 10;

/// Normalises a person's numbers, each given with the field it came from (`phone`,
/// `phones[1]`), with the default country code `86` ([`crate::phone::normalize`]): every one
/// must be a personal phone number, none may be given twice (after normalisation), and there
/// may be at most [`MAX_PHONES_PER_PERSON`]. The messages never repeat the number.
pub fn check_phones<'a>(
    numbers: impl IntoIterator<Item = (String, &'a str)>,
) -> Result<Vec<String>, Vec<FieldError>> {
    let mut problems = Problems::default();
    let mut normalised: Vec<String> = Vec::new();
    let mut count = 0;
    for (field, raw) in numbers {
        count += 1;
        match crate::phone::normalize(raw, crate::phone::DEFAULT_COUNTRY_CODE) {
            Err(e) => problems.add(&field, e.to_string()),
            Ok(number) if normalised.iter().any(|n| n == number.as_str()) => {
                problems.add(&field, "the same number is given twice")
            }
            Ok(number) => normalised.push(number.as_str().to_owned()),
        }
    }
    if count > MAX_PHONES_PER_PERSON {
        problems.add(
            "phones",
            format!("at most {MAX_PHONES_PER_PERSON} numbers per person"),
        );
    }
    problems.finish()?;
    Ok(normalised)
}

/// The longest `away_location` accepted.
pub const MAX_LOCATION_CHARS: usize = 200;

/// Checks what a change to a person says on its own (the rest needs the stored person: see
/// [`merge_birth`]), and gives its phone numbers normalised: `None` to leave them, `Some`
/// (maybe empty) to replace them.
pub fn check_person_update(change: &PersonUpdate) -> Result<Option<Vec<String>>, Vec<FieldError>> {
    let mut problems = Problems::default();
    if let Some(name) = &change.display_name
        && let Err(problem) = check_name("display_name", name, 200)
    {
        problems.0.push(problem);
    }
    if let Some(Some(location)) = &change.away_location
        && location.chars().count() > MAX_LOCATION_CHARS
    {
        problems.add(
            "away_location",
            format!("at most {MAX_LOCATION_CHARS} characters"),
        );
    }
    let phones = match &change.phones {
        None => None,
        Some(None) => Some(Vec::new()),
        Some(Some(list)) => {
            let given = list
                .iter()
                .enumerate()
                .map(|(i, raw)| (format!("phones[{i}]"), raw.as_str()));
            match check_phones(given) {
                Ok(phones) => Some(phones),
                Err(bad) => {
                    problems.0.extend(bad);
                    None
                }
            }
        }
    };
    problems.finish()?;
    Ok(phones)
}

/// A person's birth year and date after a change ([`PersonUpdate::birth_year`] and
/// [`PersonUpdate::birth_date`]; `None` leaves a field, `Some(None)` clears it), checked by
/// [`check_birth`]: a date alone sets the year; a year alone keeps the stored date only if
/// they agree. Gives the year and the date to store.
pub fn merge_birth(
    stored: (Option<i32>, Option<NaiveDate>),
    year: Option<Option<i32>>,
    date: Option<Option<NaiveDate>>,
    today: NaiveDate,
) -> Result<(Option<i32>, Option<NaiveDate>), Vec<FieldError>> {
    let (stored_year, stored_date) = stored;
    let new_date = date.unwrap_or(stored_date);
    let year_given = match (year, date) {
        (Some(year), _) => year,
        (None, Some(Some(_))) => None,
        (None, _) => stored_year,
    };
    let new_year = check_birth(year_given, new_date, today)?;
    Ok((new_year, new_date))
}

/// Optional free text as kept: trimmed, blank text is none, and longer than `max_chars` is
/// refused (the error names `field`).
pub fn optional_text(
    field: &str,
    given: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    let given = given
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if given
        .as_deref()
        .is_some_and(|text| text.chars().count() > max_chars)
    {
        return Err(FieldError {
            field: field.to_owned(),
            message: format!("at most {max_chars} characters"),
        });
    }
    Ok(given)
}

/// Checks a display name or similar required text.
pub fn check_name(field: &str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError {
            field: field.to_owned(),
            message: "must not be empty".to_owned(),
        });
    }
    if trimmed.chars().count() > max_chars {
        return Err(FieldError {
            field: field.to_owned(),
            message: format!("at most {max_chars} characters"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn optional_text_is_trimmed_blank_is_none_long_is_refused() {
        assert_eq!(
            optional_text("f", Some("  a b ".into()), 5),
            Ok(Some("a b".into()))
        );
        assert_eq!(optional_text("f", Some("   ".into()), 5), Ok(None));
        assert_eq!(optional_text("f", None, 5), Ok(None));
        assert_eq!(
            optional_text("f", Some("多个汉字".into()), 4),
            Ok(Some("多个汉字".into()))
        );
        let refused = optional_text("reason", Some("123456".into()), 5);
        assert_eq!(refused.map_err(|e| e.field), Err("reason".to_owned()));
    }

    use super::*;
    use uuid::Uuid;

    fn person() -> PersonId {
        PersonId::new()
    }

    fn at(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn call(a: PersonId, b: PersonId) -> NewContact {
        NewContact {
            client_id: Uuid::now_v7(),
            kind: ContactKind::Call,
            status: None,
            participants: vec![a, b],
            initiator: a,
            started_at: at("2026-03-01T20:00:00+08:00"),
            duration_seconds: Some(180),
            ended_at: None,
            content: None,
            talked_most: None,
            child_feedback: None,
            source: None,
        }
    }

    fn fields(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn contact_rules() {
        let (mother, child, stranger) = (person(), person(), person());
        let family: HashSet<_> = [mother, child].into();
        let now = at("2026-03-02T00:00:00Z").with_timezone(&Utc);

        let ok = call(mother, child);
        assert!(check_new_contact(&ok, &family, now).is_ok());

        type Edit = fn(&mut NewContact, PersonId);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "one participant",
                |c, _| c.participants.truncate(1),
                "participants",
            ),
            ("stranger", |c, s| c.participants[1] = s, "participants[1]"),
            (
                "duplicate",
                |c, _| c.participants[1] = c.participants[0],
                "participants[1]",
            ),
            ("initiator outside", |c, s| c.initiator = s, "initiator"),
            (
                "negative duration",
                |c, _| c.duration_seconds = Some(-1),
                "duration_seconds",
            ),
            (
                "two-day call",
                |c, _| c.duration_seconds = Some(2 * 86_400),
                "duration_seconds",
            ),
            (
                "completed call without duration",
                |c, _| c.duration_seconds = None,
                "duration_seconds",
            ),
            (
                "missed call with duration",
                |c, _| c.status = Some(ContactStatus::Missed),
                "duration_seconds",
            ),
            (
                "call with end",
                |c, _| c.ended_at = Some(c.started_at),
                "ended_at",
            ),
            (
                "future",
                |c, _| c.started_at = at("2026-03-05T00:00:00Z"),
                "started_at",
            ),
            (
                "ancient",
                |c, _| c.started_at = at("1999-12-31T00:00:00Z"),
                "started_at",
            ),
            (
                "declined text",
                |c, _| {
                    c.kind = ContactKind::Text;
                    c.duration_seconds = None;
                    c.status = Some(ContactStatus::Declined)
                },
                "status",
            ),
            (
                "text with duration",
                |c, _| c.kind = ContactKind::Text,
                "duration_seconds",
            ),
            (
                "completed call of no seconds",
                |c, _| c.duration_seconds = Some(0),
                "duration_seconds",
            ),
            (
                "visit ending after the clock-skew allowance",
                |c, _| {
                    c.kind = ContactKind::Visit;
                    c.duration_seconds = None;
                    c.ended_at = Some(at("2026-03-03T00:00:01Z"))
                },
                "ended_at",
            ),
            (
                "visit ending before start",
                |c, _| {
                    c.kind = ContactKind::Visit;
                    c.duration_seconds = None;
                    c.ended_at = Some(at("2026-02-01T00:00:00+08:00"))
                },
                "ended_at",
            ),
            (
                "huge note",
                |c, _| c.content = Some("字".repeat(MAX_CONTENT_CHARS + 1)),
                "content",
            ),
        ];
        for (name, edit, field) in cases {
            let mut contact = call(mother, child);
            edit(&mut contact, stranger);
            let got = fields(check_new_contact(&contact, &family, now));
            assert!(
                got.iter().any(|f| f == field),
                "{name}: expected {field}, got {got:?}"
            );
        }
    }

    #[test]
    fn times_ahead_of_the_server_only_within_the_allowance_and_said_so() {
        let (mother, child) = (person(), person());
        let family: HashSet<_> = [mother, child].into();
        let now = at("2026-03-02T00:00:00Z").with_timezone(&Utc);
        let mut contact = call(mother, child);
        contact.started_at = (now + MAX_CLOCK_SKEW).fixed_offset();
        assert_eq!(check_new_contact(&contact, &family, now), Ok(()));
        contact.started_at = (now + MAX_CLOCK_SKEW + Duration::seconds(1)).fixed_offset();
        let problems = check_new_contact(&contact, &family, now).unwrap_err();
        assert!(
            problems[0].message.contains("at most 24 hours ahead"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_ongoing_visit_and_unanswered_calls_of_no_seconds() {
        let (mother, child) = (person(), person());
        let family: HashSet<_> = [mother, child].into();
        let now = at("2026-03-02T00:00:00Z").with_timezone(&Utc);
        // Home three days ago, still there: no end yet.
        let mut visit = call(mother, child);
        visit.kind = ContactKind::Visit;
        visit.duration_seconds = None;
        visit.started_at = at("2026-02-27T09:00:00+08:00");
        assert_eq!(check_new_contact(&visit, &family, now), Ok(()));
        // A call that rang out: missed or declined with 0 s, like an import makes it.
        for status in [ContactStatus::Missed, ContactStatus::Declined] {
            let mut rang_out = call(mother, child);
            rang_out.status = Some(status);
            rang_out.duration_seconds = Some(0);
            assert_eq!(check_new_contact(&rang_out, &family, now), Ok(()));
        }
    }

    #[test]
    fn a_visit_spanning_spring_festival_is_fine() {
        let (mother, child) = (person(), person());
        let family: HashSet<_> = [mother, child].into();
        let mut visit = call(mother, child);
        visit.kind = ContactKind::Visit;
        visit.duration_seconds = None;
        visit.started_at = at("2026-02-10T09:00:00+08:00");
        visit.ended_at = Some(at("2026-03-01T18:00:00+08:00"));
        let now = at("2026-03-02T00:00:00Z").with_timezone(&Utc);
        assert_eq!(check_new_contact(&visit, &family, now), Ok(()));
    }

    #[test]
    fn checkin_rules() {
        let child = person();
        let children: HashSet<_> = [child].into();
        let now = at("2026-03-02T00:00:00Z").with_timezone(&Utc);
        let mut checkin = NewCheckin {
            client_id: Uuid::now_v7(),
            child_id: child,
            observed_at: at("2026-03-01T18:00:00+08:00"),
            mood: 3,
            health: None,
            school: None,
            worries: Some("rides to school in the dark".into()),
            note: None,
        };
        assert!(check_new_checkin(&checkin, &children, now).is_ok());
        checkin.mood = 6;
        checkin.child_id = person();
        assert_eq!(
            fields(check_new_checkin(&checkin, &children, now)),
            vec!["mood", "child_id"]
        );
    }

    #[test]
    fn birth_changes_merge_with_what_is_stored() {
        let today: NaiveDate = "2026-12-07".parse().unwrap();
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        let stored = (Some(2013), Some(date("2013-05-20")));
        /// (year change, date change, stored after, or the fields refused)
        type Case = (
            Option<Option<i32>>,
            Option<Option<NaiveDate>>,
            Result<(Option<i32>, Option<NaiveDate>), Vec<&'static str>>,
        );
        let cases: [Case; 6] = [
            (None, None, Ok(stored)),
            (
                None,
                Some(Some(date("2012-01-02"))),
                Ok((Some(2012), Some(date("2012-01-02")))),
            ),
            (Some(Some(2012)), None, Err(vec!["birth_year"])),
            (Some(Some(2012)), Some(None), Ok((Some(2012), None))),
            (None, Some(None), Ok((Some(2013), None))),
            (Some(None), Some(None), Ok((None, None))),
        ];
        for (year, birth_date, want) in cases {
            let got = merge_birth(stored, year, birth_date, today)
                .map_err(|e| e.into_iter().map(|f| f.field).collect::<Vec<_>>());
            let want =
                want.map_err(|fields| fields.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(got, want, "{year:?} {birth_date:?}");
        }
    }

    #[test]
    fn a_person_update_is_checked_on_its_own() {
        let change =
            |json: serde_json::Value| -> PersonUpdate { serde_json::from_value(json).unwrap() };
        assert_eq!(
            check_person_update(&change(serde_json::json!({}))),
            Ok(None)
        );
        assert_eq!(
            check_person_update(&change(serde_json::json!({"phones": null}))),
            Ok(Some(vec![]))
        );
        assert_eq!(
            check_person_update(&change(serde_json::json!({"phones": ["85291234567"]}))),
            Ok(Some(vec!["+85291234567".to_owned()]))
        );
        let refused = check_person_update(&change(serde_json::json!({
            "display_name": " ", "away_location": "x".repeat(201), "phones": ["CMCC"]
        })))
        .unwrap_err();
        let fields: Vec<&str> = refused.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["display_name", "away_location", "phones[0]"]);
        // Absent, null and a value are three different things.
        let cleared = change(serde_json::json!({"away_location": null}));
        assert_eq!(cleared.away_location, Some(None));
        assert_eq!(change(serde_json::json!({})).away_location, None);
    }

    #[test]
    fn phones_are_normalised_distinct_and_few() {
        let given = |numbers: &[&'static str]| {
            numbers
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("phones[{i}]"), *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check_phones(given(&["138 0013 8000", "447700900123"])),
            Ok(vec![
                "+8613800138000".to_owned(),
                "+447700900123".to_owned()
            ])
        );
        let fields = |numbers: &[&'static str]| {
            check_phones(given(numbers))
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(&["13800138000", "+86 138 0013 8000", "10086"]),
            vec!["phones[1]", "phones[2]"]
        );
        let many: Vec<String> = (0..11).map(|i| format!("1380013800{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let problems = check_phones(
            many.iter()
                .enumerate()
                .map(|(i, n)| (format!("phones[{i}]"), *n)),
        )
        .err()
        .unwrap_or_default();
        assert_eq!(problems.len(), 1 + 1, "{problems:?}");
        assert!(problems.iter().any(|p| p.field == "phones"));
        assert!(check_phones(Vec::new()).is_ok_and(|v| v.is_empty()));
    }

    #[test]
    fn birth_rules() {
        let today: NaiveDate = "2026-12-07".parse().unwrap();
        let date = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        /// The birth year stored, or the fields refused.
        type Outcome = Result<Option<i32>, Vec<&'static str>>;
        #[rustfmt::skip]
        let cases: Vec<(&str, Option<i32>, Option<NaiveDate>, Outcome)> = vec![
            ("neither", None, None, Ok(None)),
            ("a year alone", Some(2012), None, Ok(Some(2012))),
            ("a date alone sets the year", None, date("2012-06-11"), Ok(Some(2012))),
            ("both agreeing", Some(2012), date("2012-06-11"), Ok(Some(2012))),
            ("born today", None, date("2026-12-07"), Ok(Some(2026))),
            ("both disagreeing", Some(2013), date("2012-06-11"), Err(vec!["birth_year"])),
            ("a date tomorrow", None, date("2026-12-08"), Err(vec!["birth_date"])),
            ("a date before 1900", None, date("1899-12-31"), Err(vec!["birth_date"])),
            ("a year in the future", Some(2027), None, Err(vec!["birth_year"])),
            ("a year before 1900", Some(1899), None, Err(vec!["birth_year"])),
        ];
        for (name, year, born, expected) in cases {
            let got = check_birth(year, born, today)
                .map_err(|problems| problems.into_iter().map(|p| p.field).collect::<Vec<_>>());
            let expected = expected
                .map_err(|fields| fields.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(got, expected, "{name}");
        }
    }
}
