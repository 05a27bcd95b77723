//! A parent's reminders (served as `GET /api/v1/me/reminders`): for each of their children,
//! when the gap is about to reach the family's target, a birthday in the coming week, and after
//! a run of routine-only contacts one conversation prompt from [`crate::prompts`].
//!
//! Computed when asked from the log and the clock reading the caller passes, like gaps: the
//! gap and the prompt reminders go away by themselves once the parent logs a contact that
//! changes what they were computed from. The one thing remembered between two asks is which
//! prompt was shown after which routine contact ([`KeptPrompt`], stored by the server): the
//! same prompt is shown again on every ask until the next contact is logged, and a new pick
//! is never one of the last few shown. Reminders hold the child's display name and counts,
//! never note text.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::attention::{Bilingual, counts, depth_level};
use crate::gaps::{GapError, Pair, Window, local_date, pair_gaps};
use crate::ids::PersonId;
use crate::model::{ContactEvent, DepthLevel};
use crate::prompts::{PromptTopic, age_on, birthday_in, library, pick_prompt};
use crate::values::TargetCadence;

const SECONDS_PER_DAY: i64 = 86_400;
const SECONDS_PER_HOUR: i64 = 3_600;

/// When reminders appear. A program or a parent may change them; unlisted fields keep the
/// defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReminderSettings {
    /// The contact reminder appears this many hours before the gap reaches the target (but
    /// never earlier than halfway to it, so a daily target does not remind all day).
    pub gap_lead_hours: u32,
    /// Birthdays this many days ahead or fewer are announced (today included).
    pub birthday_lead_days: u32,
    /// The last this-many scored contacts all routine make a routine streak.
    pub routine_streak: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            gap_lead_hours: 24,
            birthday_lead_days: 7,
            routine_streak: 3,
        }
    }
}

/// Input that cannot give reminders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReminderError {
    #[error(transparent)]
    Gap(#[from] GapError),
    #[error("routine_streak: a streak needs at least 1 contact")]
    ZeroStreak,
}

/// What a reminder is about. The spelling is stable: apps choose an icon by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// The gap to the child reaches the family's target within a day, or has passed it.
    ContactDue,
    /// The child's birthday is within the coming week.
    Birthday,
    /// The last few contacts with content were routine only: a prompt for the next one.
    ConversationPrompt,
}

impl ReminderKind {
    pub const ALL: &'static [ReminderKind] = &[
        ReminderKind::ContactDue,
        ReminderKind::Birthday,
        ReminderKind::ConversationPrompt,
    ];

    /// The stable spelling used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReminderKind::ContactDue => "contact_due",
            ReminderKind::Birthday => "birthday",
            ReminderKind::ConversationPrompt => "conversation_prompt",
        }
    }
}

/// One reminder for the parent about one child. The fields after `text` belong to one kind
/// each and are left out of the JSON for the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reminder {
    pub kind: ReminderKind,
    pub child_id: PersonId,
    /// The child's display name, as stored (小雨).
    pub child_name: String,
    /// What the app shows, e.g. 你已经6天没有和小雨联系了 / 6 days since you talked with 小雨.
    pub text: Bilingual,
    /// `contact_due`: whole days since the last counted contact; absent when there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_since_contact: Option<u32>,
    /// `contact_due`: the moment the gap reaches the target; absent when there was no contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_reached_at: Option<DateTime<Utc>>,
    /// `birthday`: the day it falls on this time (28 February for a 29 February child in a
    /// common year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<NaiveDate>,
    /// `birthday`: the age the child turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turning: Option<u32>,
    /// `birthday`: days from today (0: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_until: Option<u32>,
    /// `conversation_prompt`: how many scored contacts in a row were routine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routine_streak: Option<u32>,
    /// `conversation_prompt`: when the latest routine contact of the streak began. The prompt
    /// stays the same until a contact after it is logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_routine_contact_at: Option<DateTime<Utc>>,
    /// `conversation_prompt`: the prompt's id in kinthread's library (stable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_topic: Option<PromptTopic>,
    /// `conversation_prompt`: the prompt alone, for the app to show apart from `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Bilingual>,
}

impl Reminder {
    fn new(kind: ReminderKind, child: &ChildToRemind<'_>, text: Bilingual) -> Self {
        Self {
            kind,
            child_id: child.child,
            child_name: child.display_name.to_owned(),
            text,
            days_since_contact: None,
            target_reached_at: None,
            birthday: None,
            turning: None,
            days_until: None,
            routine_streak: None,
            last_routine_contact_at: None,
            prompt_id: None,
            prompt_topic: None,
            prompt: None,
        }
    }
}

/// One of the parent's children, as reminders need them.
#[derive(Clone, Copy, Debug)]
pub struct ChildToRemind<'a> {
    pub child: PersonId,
    /// The name the parent knows the child by, as stored (小雨).
    pub display_name: &'a str,
    pub birth_date: Option<NaiveDate>,
    /// Used for the prompt's age band where the birth date is not known.
    pub birth_year: Option<i32>,
}

/// A prompt shown to the parent about a child's routine streak, kept so that the next ask
/// shows the same one while the streak has not changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptPrompt {
    pub child: PersonId,
    /// The streak it was shown for, by its latest routine contact's start
    /// ([`Reminder::last_routine_contact_at`]).
    pub last_routine_contact_at: DateTime<Utc>,
    pub prompt_id: String,
}

/// What one parent's reminders are computed from.
#[derive(Clone, Copy, Debug)]
pub struct ParentReminderInput<'a> {
    pub parent: PersonId,
    /// Whether the parent lives away from the children. A parent at home is not reminded to
    /// get in touch (their everyday contact is not logged); birthdays and prompts still come.
    pub parent_lives_away: bool,
    pub children: &'a [ChildToRemind<'a>],
    /// The family's contacts, current versions, from any time: the last contact may be old.
    pub contacts: &'a [ContactEvent],
    /// The family's target cadence.
    pub target: TargetCadence,
    /// The family's home time zone: birthdays and days are counted in it.
    pub time_zone: Tz,
    pub now: DateTime<Utc>,
    /// Ids of the prompts this parent was shown, oldest first; the last five are not repeated.
    pub recently_shown_prompts: &'a [String],
    /// The prompts shown for streaks: one that matches a child's current streak is shown
    /// again instead of a new pick.
    pub kept_prompts: &'a [KeptPrompt],
}

/// The parent's reminders, child by child in the order given, and for each child: contact
/// due, birthday, conversation prompt.
pub fn parent_reminders(
    input: &ParentReminderInput<'_>,
    settings: &ReminderSettings,
) -> Result<Vec<Reminder>, ReminderError> {
    if settings.routine_streak == 0 {
        return Err(ReminderError::ZeroStreak);
    }
    let today = local_date(input.now, input.time_zone);
    let mut reminders = Vec::new();
    // New picks join the recently shown, so two children do not get the same prompt at once.
    let mut shown: Vec<String> = input.recently_shown_prompts.to_vec();
    for child in input.children {
        if input.parent_lives_away
            && let Some(reminder) = contact_due(input, child, settings)?
        {
            reminders.push(reminder);
        }
        if let Some(reminder) = birthday(child, today, settings) {
            reminders.push(reminder);
        }
        if let Some(reminder) = conversation_prompt(input, child, today, settings, &shown) {
            if let Some(id) = &reminder.prompt_id {
                shown.push(id.clone());
            }
            reminders.push(reminder);
        }
    }
    Ok(reminders)
}

/// The contact reminder: from `gap_lead_hours` before the gap reaches the target (or halfway
/// to it, whichever is later) until a counted contact is logged. Also shown when the pair has
/// no counted contact at all.
fn contact_due(
    input: &ParentReminderInput<'_>,
    child: &ChildToRemind<'_>,
    settings: &ReminderSettings,
) -> Result<Option<Reminder>, ReminderError> {
    let pair = Pair::parent_child(input.parent, child.child)?;
    // The current gap is the one rule of `gaps`; the window only needs to hold `now`.
    let window = Window::new(input.now, input.now)?;
    let gaps = pair_gaps(
        input.contacts,
        &pair,
        &window,
        input.time_zone,
        input.target,
    )?;
    let name = child.display_name;
    let (Some(gap), Some(last)) = (gaps.current_gap_seconds, gaps.last_contact_at) else {
        return Ok(Some(Reminder::new(
            ReminderKind::ContactDue,
            child,
            Bilingual::new(
                format!("还没有记录过你和{name}的联系"),
                format!("No contact with {name} logged yet"),
            ),
        )));
    };
    let target = i64::from(input.target.days()) * SECONDS_PER_DAY;
    let lead = (i64::from(settings.gap_lead_hours) * SECONDS_PER_HOUR).min(target / 2);
    if gap < target - lead {
        return Ok(None);
    }
    let days = gap / SECONDS_PER_DAY;
    let text = if days >= 1 {
        Bilingual::new(
            format!("你已经{days}天没有和{name}联系了"),
            format!(
                "{days} {} since you talked with {name}",
                if days == 1 { "day" } else { "days" }
            ),
        )
    } else {
        let hours = gap / SECONDS_PER_HOUR;
        Bilingual::new(
            format!("你已经{hours}个小时没有和{name}联系了"),
            format!(
                "{hours} {} since you talked with {name}",
                if hours == 1 { "hour" } else { "hours" }
            ),
        )
    };
    let mut reminder = Reminder::new(ReminderKind::ContactDue, child, text);
    reminder.days_since_contact = Some(u32::try_from(days).unwrap_or(u32::MAX));
    reminder.target_reached_at =
        TimeDelta::try_seconds(target).and_then(|target| last.checked_add_signed(target));
    Ok(Some(reminder))
}

/// The birthday reminder, from `birthday_lead_days` before the birthday through the day
/// itself, in the family's time zone.
fn birthday(
    child: &ChildToRemind<'_>,
    today: NaiveDate,
    settings: &ReminderSettings,
) -> Option<Reminder> {
    let born = child.birth_date?;
    let this_year = birthday_in(born, today.year())?;
    let next = if this_year >= today {
        this_year
    } else {
        birthday_in(born, today.year() + 1)?
    };
    let days_until = u32::try_from((next - today).num_days()).ok()?;
    let turning = u32::try_from(next.year() - born.year()).ok()?;
    if days_until > settings.birthday_lead_days || turning == 0 {
        return None;
    }
    let name = child.display_name;
    let text = match days_until {
        0 => Bilingual::new(
            format!("今天是{name}的{turning}岁生日"),
            format!("{name} turns {turning} today"),
        ),
        1 => Bilingual::new(
            format!("明天是{name}的{turning}岁生日"),
            format!("{name} turns {turning} tomorrow"),
        ),
        days => Bilingual::new(
            format!(
                "{name}{days}天后过{turning}岁生日（{}月{}日）",
                next.month(),
                next.day()
            ),
            format!(
                "{name} turns {turning} in {days} days ({} {})",
                next.day(),
                MONTHS_EN
                    .get(next.month0() as usize)
                    .copied()
                    .unwrap_or_default()
            ),
        ),
    };
    let mut reminder = Reminder::new(ReminderKind::Birthday, child, text);
    reminder.birthday = Some(next);
    reminder.turning = Some(turning);
    reminder.days_until = Some(days_until);
    Some(reminder)
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The prompt reminder after a routine streak: the pair's latest counted contact has a depth
/// result, and it and the scored contacts before it are routine, at least `routine_streak` in a
/// row (counted contacts without content in between neither break nor lengthen the run).
///
/// It goes away once the parent logs a counted contact that is not known to be routine: one
/// with deeper talk, or one without a note (the prompt may well have been used). A further
/// routine contact lengthens the streak, and the prompt changes with it. Until then the prompt
/// kept for the streak (by its latest contact) is shown again; a new one is picked from those
/// not in `shown`.
fn conversation_prompt(
    input: &ParentReminderInput<'_>,
    child: &ChildToRemind<'_>,
    today: NaiveDate,
    settings: &ReminderSettings,
    shown: &[String],
) -> Option<Reminder> {
    let mut theirs: Vec<&ContactEvent> = input
        .contacts
        .iter()
        .filter(|contact| {
            contact.started_at <= input.now
                && counts(contact)
                && contact.participants.contains(&input.parent)
                && contact.participants.contains(&child.child)
        })
        .collect();
    theirs.sort_by_key(|contact| contact.started_at);
    let latest = theirs.last()?;
    depth_level(latest)?;
    let streak = theirs
        .iter()
        .rev()
        .filter_map(|contact| depth_level(contact))
        .take_while(|level| *level == DepthLevel::Routine)
        .count();
    let streak = u32::try_from(streak).unwrap_or(u32::MAX);
    if streak < settings.routine_streak {
        return None;
    }
    let kept = input
        .kept_prompts
        .iter()
        .find(|kept| kept.child == child.child && kept.last_routine_contact_at == latest.started_at)
        .and_then(|kept| library().iter().find(|prompt| prompt.id == kept.prompt_id));
    let prompt = match kept {
        Some(prompt) => prompt,
        None => {
            let age = age_on(child.birth_date, child.birth_year, today);
            let day = u64::try_from(today.num_days_from_ce()).unwrap_or(0);
            // Per child and per streak length, so two children (or the next routine call) get
            // different prompts on one day.
            let seed = day.wrapping_mul(1_000_003).wrapping_add(u64::from(streak))
                ^ (child.child.as_uuid().as_u128() as u64);
            pick_prompt(age, shown, seed)?
        }
    };
    let name = child.display_name;
    let text = Bilingual::new(
        format!(
            "和{name}最近{streak}次都在聊日常。下次也聊聊别的吧：{}",
            prompt.text.zh
        ),
        format!(
            "Your last {streak} talks with {name} were about daily things. Next time, maybe: {}",
            prompt.text.en
        ),
    );
    let mut reminder = Reminder::new(ReminderKind::ConversationPrompt, child, text);
    reminder.routine_streak = Some(streak);
    reminder.last_routine_contact_at = Some(latest.started_at);
    reminder.prompt_id = Some(prompt.id.clone());
    reminder.prompt_topic = Some(prompt.topic);
    reminder.prompt = Some(prompt.text.clone());
    Some(reminder)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use uuid::Uuid;

    use super::*;
    use crate::model::{ContactKind, ContactStatus};
    use crate::prompts::{AgeBand, library};

    const MOTHER: PersonId = PersonId(Uuid::from_u128(1));
    const XIAOYU: PersonId = PersonId(Uuid::from_u128(2));
    const XIAOMING: PersonId = PersonId(Uuid::from_u128(3));
    const GRANDMA: PersonId = PersonId(Uuid::from_u128(4));

    const SHANGHAI: Tz = Tz::Asia__Shanghai;

    /// The text a case expects, Chinese and English, or none.
    type ExpectedText = Option<(&'static str, &'static str)>;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// 20:00 on 10 June 2025 in Shanghai.
    fn now() -> DateTime<Utc> {
        t("2025-06-10T12:00:00Z")
    }

    fn contact(
        kind: ContactKind,
        status: ContactStatus,
        from: PersonId,
        to: PersonId,
        at: DateTime<Utc>,
    ) -> ContactEvent {
        ContactEvent {
            kind,
            status,
            participants: vec![from, to],
            initiator: from,
            started_at: at,
            duration_seconds: kind
                .is_call()
                .then_some(if status == ContactStatus::Completed {
                    600
                } else {
                    0
                }),
            ended_at: None,
            depth_score: None,
            depth_level: None,
        }
    }

    fn call(at: DateTime<Utc>) -> ContactEvent {
        contact(
            ContactKind::Call,
            ContactStatus::Completed,
            MOTHER,
            XIAOYU,
            at,
        )
    }

    fn with_depth(mut contact: ContactEvent, level: DepthLevel) -> ContactEvent {
        contact.depth_score = Some(match level {
            DepthLevel::Routine => 20,
            DepthLevel::Mixed => 55,
            DepthLevel::Emotional => 80,
        });
        contact.depth_level = Some(level);
        contact
    }

    fn xiaoyu(birth_date: Option<NaiveDate>) -> ChildToRemind<'static> {
        ChildToRemind {
            child: XIAOYU,
            display_name: "小雨",
            birth_date,
            birth_year: Some(2014),
        }
    }

    fn remind(
        children: &[ChildToRemind<'_>],
        contacts: &[ContactEvent],
        target_days: u32,
        time_zone: Tz,
        at: DateTime<Utc>,
        shown: &[String],
    ) -> Vec<Reminder> {
        let input = ParentReminderInput {
            parent: MOTHER,
            parent_lives_away: true,
            children,
            contacts,
            target: TargetCadence::new(i64::from(target_days)).unwrap(),
            time_zone,
            now: at,
            recently_shown_prompts: shown,
            kept_prompts: &[],
        };
        parent_reminders(&input, &ReminderSettings::default()).unwrap()
    }

    fn of_kind(reminders: &[Reminder], kind: ReminderKind) -> Vec<&Reminder> {
        reminders.iter().filter(|r| r.kind == kind).collect()
    }

    fn texts(reminders: &[Reminder], kind: ReminderKind) -> Vec<(String, String)> {
        of_kind(reminders, kind)
            .into_iter()
            .map(|r| (r.text.zh.clone(), r.text.en.clone()))
            .collect()
    }

    /// A completed ten-minute call that ended `hours` hours before now.
    fn call_ending_hours_ago(hours: i64) -> ContactEvent {
        call(now() - TimeDelta::hours(hours) - TimeDelta::minutes(10))
    }

    #[test]
    fn contact_due_within_a_day_of_the_target() {
        let day = 24;
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<ContactEvent>, u32, ExpectedText)> = vec![
            ("5 days 23 hours: not yet", vec![call_ending_hours_ago(5 * day + 23)], 7, None),
            ("exactly 6 days: a day to go", vec![call_ending_hours_ago(6 * day)], 7,
                Some(("你已经6天没有和小雨联系了", "6 days since you talked with 小雨"))),
            ("6 and a half days", vec![call_ending_hours_ago(6 * day + 12)], 7,
                Some(("你已经6天没有和小雨联系了", "6 days since you talked with 小雨"))),
            ("past the target it stays", vec![call_ending_hours_ago(20 * day)], 7,
                Some(("你已经20天没有和小雨联系了", "20 days since you talked with 小雨"))),
            ("a fortnightly family at 13 days", vec![call_ending_hours_ago(13 * day)], 14,
                Some(("你已经13天没有和小雨联系了", "13 days since you talked with 小雨"))),
            ("a fortnightly family at 12 days", vec![call_ending_hours_ago(12 * day)], 14, None),
            ("a daily family is reminded halfway: 11 hours", vec![call_ending_hours_ago(11)], 1, None),
            ("a daily family is reminded halfway: 12 hours", vec![call_ending_hours_ago(12)], 1,
                Some(("你已经12个小时没有和小雨联系了", "12 hours since you talked with 小雨"))),
            ("a daily family at one day", vec![call_ending_hours_ago(25)], 1,
                Some(("你已经1天没有和小雨联系了", "1 day since you talked with 小雨"))),
            ("no contact ever", vec![], 7,
                Some(("还没有记录过你和小雨的联系", "No contact with 小雨 logged yet"))),
            ("missed calls are not contact",
                vec![contact(ContactKind::Call, ContactStatus::Missed, MOTHER, XIAOYU, now() - TimeDelta::hours(1))], 7,
                Some(("还没有记录过你和小雨的联系", "No contact with 小雨 logged yet"))),
            ("a call with grandma is not a call with the child",
                vec![contact(ContactKind::Call, ContactStatus::Completed, MOTHER, GRANDMA, now() - TimeDelta::hours(1))], 7,
                Some(("还没有记录过你和小雨的联系", "No contact with 小雨 logged yet"))),
            ("a visit that ended yesterday", vec![ContactEvent {
                ended_at: Some(now() - TimeDelta::days(1)),
                ..contact(ContactKind::Visit, ContactStatus::Completed, MOTHER, XIAOYU, now() - TimeDelta::days(20))
            }], 7, None),
        ];
        for (name, contacts, target, expected) in cases {
            let reminders = remind(&[xiaoyu(None)], &contacts, target, SHANGHAI, now(), &[]);
            let got = texts(&reminders, ReminderKind::ContactDue);
            let expected: Vec<(String, String)> = expected
                .map(|(zh, en)| (zh.to_owned(), en.to_owned()))
                .into_iter()
                .collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn contact_due_says_when_the_target_is_reached() {
        let last_call = call_ending_hours_ago(6 * 24 + 5);
        let ended = last_call.started_at + TimeDelta::minutes(10);
        let reminders = remind(&[xiaoyu(None)], &[last_call], 7, SHANGHAI, now(), &[]);
        let due = of_kind(&reminders, ReminderKind::ContactDue);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].days_since_contact, Some(6));
        assert_eq!(due[0].target_reached_at, Some(ended + TimeDelta::days(7)));
    }

    #[test]
    fn the_contact_reminder_goes_once_a_counted_contact_is_logged() {
        let mut log = vec![call_ending_hours_ago(6 * 24 + 3)];
        let due = |log: &[ContactEvent]| {
            of_kind(
                &remind(&[xiaoyu(None)], log, 7, SHANGHAI, now(), &[]),
                ReminderKind::ContactDue,
            )
            .len()
        };
        assert_eq!(due(&log), 1);
        // She tries and nobody picks up: still due.
        log.push(contact(
            ContactKind::Call,
            ContactStatus::Missed,
            MOTHER,
            XIAOYU,
            now() - TimeDelta::minutes(30),
        ));
        assert_eq!(due(&log), 1);
        // A text from the child counts, whoever starts it.
        let mut with_text = log.clone();
        with_text.push(contact(
            ContactKind::Text,
            ContactStatus::Completed,
            XIAOYU,
            MOTHER,
            now() - TimeDelta::minutes(5),
        ));
        assert_eq!(due(&with_text), 0);
        // So does the call that went through.
        log.push(call(now() - TimeDelta::minutes(20)));
        assert_eq!(due(&log), 0);
    }

    #[test]
    fn birthdays_in_the_coming_week() {
        // Now is 10 June 2025, 20:00 in Shanghai.
        #[rustfmt::skip]
        let cases: Vec<(&str, &str, DateTime<Utc>, Tz, ExpectedText)> = vec![
            ("today", "2014-06-10", now(), SHANGHAI, Some(("今天是小雨的11岁生日", "小雨 turns 11 today"))),
            ("tomorrow", "2014-06-11", now(), SHANGHAI, Some(("明天是小雨的11岁生日", "小雨 turns 11 tomorrow"))),
            ("in 2 days", "2014-06-12", now(), SHANGHAI,
                Some(("小雨2天后过11岁生日（6月12日）", "小雨 turns 11 in 2 days (12 June)"))),
            ("in 7 days", "2014-06-17", now(), SHANGHAI,
                Some(("小雨7天后过11岁生日（6月17日）", "小雨 turns 11 in 7 days (17 June)"))),
            ("in 8 days: not yet", "2014-06-18", now(), SHANGHAI, None),
            ("yesterday: next year's is far off", "2014-06-09", now(), SHANGHAI, None),
            ("over the new year", "2014-01-03", t("2025-12-30T04:00:00Z"), SHANGHAI,
                Some(("小雨4天后过12岁生日（1月3日）", "小雨 turns 12 in 4 days (3 January)"))),
            ("29 February in a common year: the 28th", "2012-02-29", t("2025-02-27T04:00:00Z"), SHANGHAI,
                Some(("明天是小雨的13岁生日", "小雨 turns 13 tomorrow"))),
            ("29 February in a leap year: the 29th", "2012-02-29", t("2028-02-28T04:00:00Z"), SHANGHAI,
                Some(("明天是小雨的16岁生日", "小雨 turns 16 tomorrow"))),
            // 01:00 on the 11th in Shanghai is still the 10th in New York.
            ("the family's day decides: Shanghai", "2014-06-11", t("2025-06-10T17:00:00Z"), SHANGHAI,
                Some(("今天是小雨的11岁生日", "小雨 turns 11 today"))),
            ("the family's day decides: New York", "2014-06-11", t("2025-06-10T17:00:00Z"), Tz::America__New_York,
                Some(("明天是小雨的11岁生日", "小雨 turns 11 tomorrow"))),
            ("born today: no birthday yet", "2025-06-10", now(), SHANGHAI, None),
        ];
        for (name, born, at, tz, expected) in cases {
            let reminders = remind(&[xiaoyu(Some(date(born)))], &[call(at)], 7, tz, at, &[]);
            let got = texts(&reminders, ReminderKind::Birthday);
            let expected: Vec<(String, String)> = expected
                .map(|(zh, en)| (zh.to_owned(), en.to_owned()))
                .into_iter()
                .collect();
            assert_eq!(got, expected, "{name}");
        }
        let without_date = remind(&[xiaoyu(None)], &[call(now())], 7, SHANGHAI, now(), &[]);
        assert!(of_kind(&without_date, ReminderKind::Birthday).is_empty());
    }

    #[test]
    fn birthday_figures() {
        let reminders = remind(
            &[xiaoyu(Some(date("2012-02-29")))],
            &[],
            7,
            SHANGHAI,
            t("2025-02-25T04:00:00Z"),
            &[],
        );
        let birthday = of_kind(&reminders, ReminderKind::Birthday);
        assert_eq!(birthday.len(), 1);
        assert_eq!(birthday[0].birthday, Some(date("2025-02-28")));
        assert_eq!(birthday[0].turning, Some(13));
        assert_eq!(birthday[0].days_until, Some(3));
    }

    fn routine_calls(days_ago: &[i64]) -> Vec<ContactEvent> {
        days_ago
            .iter()
            .map(|days| with_depth(call(now() - TimeDelta::days(*days)), DepthLevel::Routine))
            .collect()
    }

    fn prompts_of(log: &[ContactEvent], shown: &[String]) -> Vec<Reminder> {
        let child = xiaoyu(Some(date("2011-03-01")));
        of_kind(
            &remind(&[child], log, 7, SHANGHAI, now(), shown),
            ReminderKind::ConversationPrompt,
        )
        .into_iter()
        .cloned()
        .collect()
    }

    #[test]
    fn a_routine_streak_brings_a_prompt() {
        use DepthLevel::*;
        let unscored = |days: i64| call(now() - TimeDelta::days(days));
        let scored = |days: i64, level| with_depth(call(now() - TimeDelta::days(days)), level);
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<ContactEvent>, Option<u32>)> = vec![
            ("two routine: not yet a streak", routine_calls(&[6, 4]), None),
            ("three routine", routine_calls(&[6, 4, 2]), Some(3)),
            ("five routine", routine_calls(&[10, 8, 6, 4, 2]), Some(5)),
            ("an emotional call ends an older run",
                vec![scored(12, Routine), scored(10, Routine), scored(8, Routine), scored(6, Emotional), scored(4, Routine)], None),
            ("a mixed call breaks the run", vec![scored(8, Routine), scored(6, Mixed), scored(4, Routine), scored(2, Routine)], None),
            ("a call without a note between them does not break it",
                vec![scored(8, Routine), unscored(6), scored(4, Routine), scored(2, Routine)], Some(3)),
            ("a call without a note after them ends it", vec![scored(8, Routine), scored(6, Routine), scored(4, Routine), unscored(1)], None),
            ("a note on a missed call is not a contact", {
                let mut log = routine_calls(&[8, 6, 4]);
                log.push(with_depth(contact(ContactKind::Call, ContactStatus::Missed, MOTHER, XIAOYU, now() - TimeDelta::days(1)), Emotional));
                log
            }, Some(3)),
            ("routine texts with grandma are not the pair's", (2..5).map(|days| with_depth(
                contact(ContactKind::Text, ContactStatus::Completed, MOTHER, GRANDMA, now() - TimeDelta::days(days)), Routine)).collect(), None),
        ];
        for (name, log, streak) in cases {
            let prompts = prompts_of(&log, &[]);
            assert_eq!(
                prompts.first().and_then(|r| r.routine_streak),
                streak,
                "{name}"
            );
            assert!(prompts.len() <= 1, "{name}");
        }
    }

    #[test]
    fn the_prompt_fits_the_child_and_reads_in_both_languages() {
        let prompts = prompts_of(&routine_calls(&[6, 4, 2]), &[]);
        assert_eq!(prompts.len(), 1);
        let reminder = &prompts[0];
        let id = reminder.prompt_id.clone().unwrap_or_default();
        let prompt = library().iter().find(|p| p.id == id).unwrap();
        // Born March 2011: 14 in June 2025.
        assert!(prompt.ages.contains(&AgeBand::FourteenToSeventeen), "{id}");
        assert_eq!(reminder.prompt.as_ref(), Some(&prompt.text));
        assert_eq!(reminder.prompt_topic, Some(prompt.topic));
        assert_eq!(
            reminder.text.zh,
            format!(
                "和小雨最近3次都在聊日常。下次也聊聊别的吧：{}",
                prompt.text.zh
            )
        );
        assert_eq!(
            reminder.text.en,
            format!(
                "Your last 3 talks with 小雨 were about daily things. Next time, maybe: {}",
                prompt.text.en
            )
        );
        // The one shown last time is not shown again.
        let again = prompts_of(&routine_calls(&[6, 4, 2]), std::slice::from_ref(&id));
        assert_ne!(again[0].prompt_id.as_deref(), Some(id.as_str()));
    }

    #[test]
    fn the_prompt_goes_once_a_deeper_or_unnoted_contact_is_logged() {
        let mut log = routine_calls(&[6, 4, 2]);
        assert_eq!(prompts_of(&log, &[]).len(), 1);
        let mut deeper = log.clone();
        deeper.push(with_depth(
            contact(
                ContactKind::Text,
                ContactStatus::Completed,
                XIAOYU,
                MOTHER,
                now() - TimeDelta::hours(1),
            ),
            DepthLevel::Emotional,
        ));
        assert!(prompts_of(&deeper, &[]).is_empty());
        let mut unnoted = log.clone();
        unnoted.push(call(now() - TimeDelta::hours(1)));
        assert!(prompts_of(&unnoted, &[]).is_empty());
        // Another routine call: the streak grows and the prompt is shown afresh.
        log.push(with_depth(
            call(now() - TimeDelta::hours(1)),
            DepthLevel::Routine,
        ));
        assert_eq!(prompts_of(&log, &[])[0].routine_streak, Some(4));
    }

    #[test]
    fn a_kept_prompt_is_shown_again_while_its_streak_lasts() {
        let log = routine_calls(&[6, 4, 2]);
        let first = prompts_of(&log, &[]);
        let first_id = first[0].prompt_id.clone().unwrap();
        let latest = now() - TimeDelta::days(2);
        assert_eq!(first[0].last_routine_contact_at, Some(latest));
        // Another day, with the kept prompt among those shown: the same prompt again.
        let child = xiaoyu(Some(date("2011-03-01")));
        let later = now() + TimeDelta::days(1);
        let ask = |kept: &[KeptPrompt], log: &[ContactEvent]| {
            let children = [child];
            let input = ParentReminderInput {
                parent: MOTHER,
                parent_lives_away: true,
                children: &children,
                contacts: log,
                target: TargetCadence::DEFAULT,
                time_zone: SHANGHAI,
                now: later,
                recently_shown_prompts: std::slice::from_ref(&first_id),
                kept_prompts: kept,
            };
            parent_reminders(&input, &ReminderSettings::default())
                .unwrap()
                .into_iter()
                .find(|r| r.kind == ReminderKind::ConversationPrompt)
                .and_then(|r| r.prompt_id)
        };
        let kept = [KeptPrompt {
            child: XIAOYU,
            last_routine_contact_at: latest,
            prompt_id: first_id.clone(),
        }];
        assert_eq!(ask(&kept, &log), Some(first_id.clone()));
        // Without it, a new pick is never the one shown last.
        assert_ne!(ask(&[], &log), Some(first_id.clone()));
        // Kept for an older streak, or for another child: not reused.
        let mut longer = log.clone();
        longer.push(with_depth(
            call(now() - TimeDelta::hours(1)),
            DepthLevel::Routine,
        ));
        assert_ne!(ask(&kept, &longer), Some(first_id.clone()));
        let other_child = [KeptPrompt {
            child: XIAOMING,
            ..kept[0].clone()
        }];
        assert_ne!(ask(&other_child, &log), Some(first_id));
    }

    #[test]
    fn two_children_get_different_prompts() {
        let xiaoming = ChildToRemind {
            child: XIAOMING,
            display_name: "小明",
            birth_date: Some(date("2011-05-01")),
            birth_year: Some(2011),
        };
        let mut log = routine_calls(&[6, 4, 2]);
        for days in [6, 4, 2] {
            let mut call = with_depth(
                contact(
                    ContactKind::Call,
                    ContactStatus::Completed,
                    MOTHER,
                    XIAOMING,
                    now() - TimeDelta::days(days) + TimeDelta::hours(1),
                ),
                DepthLevel::Routine,
            );
            call.duration_seconds = Some(300);
            log.push(call);
        }
        // Every seed: the two picks differ (same age band, so the same candidates).
        for day in 0..30 {
            let at = now() + TimeDelta::days(day) - TimeDelta::days(30);
            let shifted: Vec<ContactEvent> = log
                .iter()
                .cloned()
                .map(|mut c| {
                    c.started_at -= TimeDelta::days(30);
                    c
                })
                .collect();
            let reminders = remind(
                &[xiaoyu(Some(date("2011-03-01"))), xiaoming],
                &shifted,
                7,
                SHANGHAI,
                at,
                &[],
            );
            let ids: Vec<String> = of_kind(&reminders, ReminderKind::ConversationPrompt)
                .into_iter()
                .filter_map(|r| r.prompt_id.clone())
                .collect();
            assert_eq!(ids.len(), 2, "day {day}");
            assert_ne!(ids[0], ids[1], "day {day}");
        }
    }

    #[test]
    fn a_parent_at_home_is_not_reminded_to_get_in_touch() {
        let children = [xiaoyu(Some(date("2014-06-12")))];
        let input = ParentReminderInput {
            parent: MOTHER,
            parent_lives_away: false,
            children: &children,
            contacts: &[],
            target: TargetCadence::DEFAULT,
            time_zone: SHANGHAI,
            now: now(),
            recently_shown_prompts: &[],
            kept_prompts: &[],
        };
        let kinds: Vec<ReminderKind> = parent_reminders(&input, &ReminderSettings::default())
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, vec![ReminderKind::Birthday]);
    }

    #[test]
    fn reminders_come_child_by_child() {
        let children = [
            xiaoyu(Some(date("2014-06-12"))),
            ChildToRemind {
                child: XIAOMING,
                display_name: "小明",
                birth_date: None,
                birth_year: None,
            },
        ];
        let mut log = routine_calls(&[10, 8, 7]);
        log.push(contact(
            ContactKind::Call,
            ContactStatus::Completed,
            MOTHER,
            XIAOMING,
            now() - TimeDelta::hours(2),
        ));
        let reminders = remind(&children, &log, 7, SHANGHAI, now(), &[]);
        let kinds: Vec<(PersonId, ReminderKind)> =
            reminders.iter().map(|r| (r.child_id, r.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (XIAOYU, ReminderKind::ContactDue),
                (XIAOYU, ReminderKind::Birthday),
                (XIAOYU, ReminderKind::ConversationPrompt),
            ]
        );
    }

    #[test]
    fn wire_shape() {
        let reminders = remind(
            &[xiaoyu(None)],
            &[call_ending_hours_ago(6 * 24)],
            7,
            SHANGHAI,
            now(),
            &[],
        );
        let json = serde_json::to_value(&reminders[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "contact_due",
                "child_id": XIAOYU.to_string(),
                "child_name": "小雨",
                "text": { "zh": "你已经6天没有和小雨联系了", "en": "6 days since you talked with 小雨" },
                "days_since_contact": 6,
                "target_reached_at": "2025-06-11T12:00:00Z",
            })
        );
        for kind in ReminderKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
    }

    #[test]
    fn settings() {
        let stored: ReminderSettings = serde_json::from_str(r#"{ "routine_streak": 4 }"#).unwrap();
        assert_eq!(
            stored,
            ReminderSettings {
                routine_streak: 4,
                ..ReminderSettings::default()
            }
        );
        assert!(serde_json::from_str::<ReminderSettings>(r#"{ "streak": 4 }"#).is_err());
        let input = ParentReminderInput {
            parent: MOTHER,
            parent_lives_away: true,
            children: &[],
            contacts: &[],
            target: TargetCadence::DEFAULT,
            time_zone: SHANGHAI,
            now: now(),
            recently_shown_prompts: &[],
            kept_prompts: &[],
        };
        let zero = ReminderSettings {
            routine_streak: 0,
            ..ReminderSettings::default()
        };
        assert_eq!(
            parent_reminders(&input, &zero),
            Err(ReminderError::ZeroStreak)
        );
    }
}
