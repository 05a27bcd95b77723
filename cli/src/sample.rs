//! The two sample families of `kinthread demo`, after the field study in SPEC section 1:
//! ten months of contact generated from a fixed seed, so every run tells the same story.
//!
//! (a) A girl of 14 in the grandparents' care; her mother works in Shanghai and calls every
//!     two or three days, often unanswered or declined, and the calls that happen are cut
//!     short. The mother is home for a month at Spring Festival. The girl grows more distant.
//! (b) A boy of 14 in his grandmother's care; both parents are construction workers in
//!     Shanghai and call every two weeks with routine talk, his birthday call included. The
//!     boy hardly ever reaches out.
//!
//! Pure: persons are named by a key and times are computed from the `end` passed in; the
//! demo turns them into API requests.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Offset, Utc};
use kinthread_shared::{ChildFeedback, ContactKind, ContactStatus, FamilyRole, TalkedMost};

/// Length of the generated history (ten months), a little more where that brings in the last
/// Spring Festival.
pub const STUDY_DAYS: i64 = 300;

/// China Standard Time, the offset the family phones report.
fn cst() -> FixedOffset {
    // 8 hours is always a valid offset; the fallback only satisfies the type.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// A tiny deterministic generator (SplitMix64): the demo must not change with a crate's
/// algorithm.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A whole number in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.next_u64() % span) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = self.range(0, items.len() as i64 - 1);
        items.get(i as usize).copied().unwrap_or("")
    }
}

#[derive(Clone, Debug)]
pub struct SamplePerson {
    pub key: &'static str,
    pub display_name: &'static str,
    pub role: FamilyRole,
    pub lives_away: bool,
    pub away_location: Option<&'static str>,
    pub away_since: Option<NaiveDate>,
    pub birth_year: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct SampleContact {
    pub kind: ContactKind,
    pub status: ContactStatus,
    pub initiator: &'static str,
    pub others: Vec<&'static str>,
    pub started_at: DateTime<FixedOffset>,
    pub duration_seconds: Option<i64>,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub content: Option<String>,
    pub talked_most: Option<TalkedMost>,
    /// The child's own feedback on it, given from the child's account after the call.
    pub feedback: Option<(ChildFeedback, Option<&'static str>)>,
}

/// A child's own weekly check-in (the family's one child's).
#[derive(Clone, Debug)]
pub struct SampleChildCheckin {
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    pub words: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct SampleCheckin {
    pub child: &'static str,
    pub observed_at: DateTime<FixedOffset>,
    pub mood: i32,
    pub school: Option<&'static str>,
    pub note: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct SampleFamily {
    pub display_name: &'static str,
    pub share_notes_with_staff: bool,
    pub persons: Vec<SamplePerson>,
    pub contacts: Vec<SampleContact>,
    pub checkins: Vec<SampleCheckin>,
    /// The child's own check-ins (the child has an account: 14 years old).
    pub child_checkins: Vec<SampleChildCheckin>,
}

/// Spring Festival (Chinese New Year's Day) of the years the demo may run in.
const SPRING_FESTIVALS: [(i32, u32, u32); 8] = [
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
];

/// The latest Spring Festival that lies at least three weeks before `end`.
fn spring_festival(end: DateTime<Utc>) -> Option<DateTime<Utc>> {
    SPRING_FESTIVALS
        .iter()
        .rev()
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
        .filter_map(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc() - Duration::hours(8))
        .find(|at| *at + Duration::days(21) < end)
}

/// Where the history starts: `STUDY_DAYS` before `end`, or a little earlier so that it holds
/// the last Spring Festival, the one visit home of the year.
pub fn study_start(end: DateTime<Utc>) -> DateTime<Utc> {
    let start = end - Duration::days(STUDY_DAYS);
    match spring_festival(end).map(|festival| festival - Duration::days(20)) {
        // At most five weeks more: the study covered ten months, not a year and more.
        Some(earlier) if earlier < start && end - earlier <= Duration::days(STUDY_DAYS + 35) => {
            earlier
        }
        _ => start,
    }
}

/// The Spring Festival the sample families come home for: the real one when it is in the
/// history, else its 100th day, so that the story holds in any year.
fn festival_in(start: DateTime<Utc>, end: DateTime<Utc>) -> DateTime<Utc> {
    spring_festival(end)
        .filter(|at| *at - Duration::days(16) > start)
        .unwrap_or(start + Duration::days(100))
}

/// An evening moment `day` days into the study, `minute` minutes after 18:00 local time.
fn evening(start: DateTime<Utc>, day: i64, minute: i64) -> DateTime<FixedOffset> {
    let local_midnight = (start + Duration::hours(8)).date_naive();
    let date = local_midnight + Duration::days(day);
    let naive = date.and_hms_opt(18, 0, 0).unwrap_or_default() + Duration::minutes(minute);
    let utc = naive.and_utc() - Duration::hours(8);
    utc.with_timezone(&cst())
}

fn call(
    from: &'static str,
    to: &[&'static str],
    at: DateTime<FixedOffset>,
    seconds: i64,
    note: Option<String>,
    talked_most: Option<TalkedMost>,
) -> SampleContact {
    SampleContact {
        kind: ContactKind::Call,
        status: ContactStatus::Completed,
        initiator: from,
        others: to.to_vec(),
        started_at: at,
        duration_seconds: Some(seconds),
        ended_at: None,
        content: note,
        talked_most,
        feedback: None,
    }
}

fn unanswered(
    from: &'static str,
    to: &'static str,
    at: DateTime<FixedOffset>,
    status: ContactStatus,
) -> SampleContact {
    SampleContact {
        kind: ContactKind::Call,
        status,
        initiator: from,
        others: vec![to],
        started_at: at,
        duration_seconds: Some(0),
        ended_at: None,
        content: None,
        talked_most: None,
        feedback: None,
    }
}

fn text(
    from: &'static str,
    to: &'static str,
    at: DateTime<FixedOffset>,
    body: &str,
) -> SampleContact {
    SampleContact {
        kind: ContactKind::Text,
        status: ContactStatus::Completed,
        initiator: from,
        others: vec![to],
        started_at: at,
        duration_seconds: None,
        ended_at: None,
        content: Some(body.to_owned()),
        talked_most: None,
        feedback: None,
    }
}

fn visit(
    from: &'static str,
    to: &[&'static str],
    start: DateTime<Utc>,
    days: i64,
    note: &str,
) -> SampleContact {
    SampleContact {
        kind: ContactKind::Visit,
        status: ContactStatus::Completed,
        initiator: from,
        others: to.to_vec(),
        started_at: start.with_timezone(&cst()),
        duration_seconds: None,
        ended_at: Some((start + Duration::days(days)).with_timezone(&cst())),
        content: Some(note.to_owned()),
        talked_most: None,
        feedback: None,
    }
}

fn person(key: &'static str, display_name: &'static str, role: FamilyRole) -> SamplePerson {
    SamplePerson {
        key,
        display_name,
        role,
        lives_away: false,
        away_location: None,
        away_since: None,
        birth_year: None,
    }
}

fn away(mut p: SamplePerson, since: (i32, u32, u32)) -> SamplePerson {
    p.lives_away = true;
    p.away_location = Some("Shanghai");
    p.away_since = NaiveDate::from_ymd_opt(since.0, since.1, since.2);
    p
}

fn child(mut p: SamplePerson, end: DateTime<Utc>) -> SamplePerson {
    p.birth_year = Some(end.year() - 14);
    p
}

const A_ROUTINE: &[&str] = &[
    "问她吃饭了没有，她说吃了，就挂了",
    "Asked if she finished her homework. She said yes and hung up.",
    "问考试成绩，她说还行，不想多说",
    "She said she was busy and ended the call after a minute.",
    "叮嘱她天冷多穿衣服，早点睡觉",
    "Told her to listen to grandma and study hard.",
    "问她钱够不够用，她说够",
    "她只说了“嗯”和“知道了”",
    "Asked about her grades; she only said 'ok'.",
];

const A_WARM: &[&str] = &[
    "我说妈妈很想你，她没说话",
    "She sounded sad; I told her I miss her.",
    "问她在学校开不开心，她说没什么",
];

const A_CAREGIVER: &[&str] = &[
    "和奶奶说了孩子的学习和生活费",
    "Grandma says she eats well but stays in her room after school.",
    "奶奶说她最近不爱说话，回家就进房间",
    "问爷爷奶奶身体怎么样，生活费打过去了",
];

/// Family (a): the mother calls every two or three days; the girl answers less and less.
fn family_a(rng: &mut Rng, start: DateTime<Utc>, end: DateTime<Utc>) -> SampleFamily {
    let days = (end - start).num_days();
    let persons = vec![
        away(person("mother", "李梅", FamilyRole::Mother), (2018, 3, 1)),
        child(person("girl", "小雨", FamilyRole::Child), end),
        person("grandmother", "奶奶", FamilyRole::Grandmother),
        person("grandfather", "爷爷", FamilyRole::Grandfather),
    ];
    let festival = festival_in(start, end);
    let home_from = festival - Duration::days(15);
    let home_to = home_from + Duration::days(30);
    // Counted back from the end, so the story reads the same whatever day the demo runs.
    let birthday_day = days - rng.range(200, 250);
    let mut contacts = vec![visit(
        "mother",
        &["girl", "grandmother", "grandfather"],
        home_from,
        30,
        "回家过年一个月，她大部分时间在房间里玩手机",
    )];
    let mut day = rng.range(0, 2);
    while day < days {
        let at = evening(start, day, rng.range(60, 200));
        let at_utc = at.with_timezone(&Utc);
        if at_utc >= end {
            break;
        }
        let at_home = (home_from..home_to).contains(&at_utc);
        if !at_home {
            // Distance grows over the months: fewer answers, shorter calls.
            let progress = day as f64 / days as f64;
            let mut attempt = at;
            let mut answered = false;
            for _ in 0..3 {
                if rng.chance(0.45 - 0.2 * progress) {
                    answered = true;
                    break;
                }
                let status = if rng.chance(0.6) {
                    ContactStatus::Missed
                } else {
                    ContactStatus::Declined
                };
                contacts.push(unanswered("mother", "girl", attempt, status));
                attempt += Duration::minutes(rng.range(3, 12));
            }
            if answered {
                let seconds = rng.range(40, (260.0 - 150.0 * progress) as i64);
                let note = if day == birthday_day {
                    Some("她生日，问她蛋糕吃了没有，钱够不够".to_owned())
                } else if rng.chance(0.12) {
                    Some(rng.pick(A_WARM).to_owned())
                } else if rng.chance(0.75) {
                    Some(rng.pick(A_ROUTINE).to_owned())
                } else {
                    None
                };
                contacts.push(call(
                    "mother",
                    &["girl"],
                    attempt,
                    seconds,
                    note,
                    Some(TalkedMost::Parent),
                ));
            }
            if day == birthday_day {
                contacts.push(text(
                    "mother",
                    "girl",
                    at - Duration::hours(10),
                    "生日快乐宝贝，妈妈爱你，很想你 ❤️",
                ));
            }
        }
        day += rng.range(2, 3);
    }
    // The mother and the grandparents speak about once a week.
    let mut day = rng.range(0, 6);
    while day < days {
        let at = evening(start, day, rng.range(150, 210));
        let at_utc = at.with_timezone(&Utc);
        if at_utc >= end {
            break;
        }
        if !(home_from..home_to).contains(&at_utc) {
            let note = rng.pick(A_CAREGIVER).to_owned();
            // The grandfather is on the speakerphone now and then.
            let with: &[&'static str] = if rng.chance(0.4) {
                &["grandmother", "grandfather"]
            } else {
                &["grandmother"]
            };
            contacts.push(call(
                "mother",
                with,
                at,
                rng.range(240, 720),
                Some(note),
                Some(TalkedMost::Even),
            ));
        }
        day += rng.range(6, 9);
    }
    // The girl writes about once a month, to ask for something.
    let mut day = rng.range(10, 30);
    while day < days {
        let at = evening(start, day, rng.range(0, 60));
        if at.with_timezone(&Utc) >= end {
            break;
        }
        let body = rng.pick(&[
            "妈，学校要交资料费50元",
            "Mom, I need money for a new school uniform.",
            "手机话费没了",
        ]);
        contacts.push(text("girl", "mother", at, body));
        day += rng.range(25, 40);
    }
    let mut checkins = Vec::new();
    let mut day = 7;
    while day < days {
        let at = evening(start, day, 180);
        if at.with_timezone(&Utc) >= end {
            break;
        }
        let progress = day as f64 / days as f64;
        checkins.push(SampleCheckin {
            child: "girl",
            observed_at: at,
            mood: if rng.chance(0.3 + 0.4 * progress) {
                2
            } else {
                3
            },
            school: Some("成绩中等，老师说上课不太说话"),
            note: Some("放学回家就进房间，不爱说话"),
        });
        day += 30;
    }
    SampleFamily {
        display_name: "李家 (a) · 小雨",
        share_notes_with_staff: true,
        persons,
        contacts,
        checkins,
        child_checkins: Vec::new(),
    }
}

const B_ROUTINE: &[&str] = &[
    "asked if he ate, told him to study hard",
    "问他吃饭没有，叫他好好学习",
    "问他期中考试成绩，让他少玩手机",
    "Asked if he ate and if he has money; most of the time it was me doing the talk.",
    "叫他听奶奶的话，衣服要自己洗",
    "Asked about his grades and told him not to waste money.",
    "问他天冷有没有多穿衣服，早点睡觉",
];

/// Family (b): both parents call every two weeks with routine talk; the boy hardly calls.
fn family_b(rng: &mut Rng, start: DateTime<Utc>, end: DateTime<Utc>) -> SampleFamily {
    let days = (end - start).num_days();
    let persons = vec![
        away(
            person("mother", "张秀英", FamilyRole::Mother),
            (2016, 2, 20),
        ),
        away(
            person("father", "张建国", FamilyRole::Father),
            (2014, 3, 10),
        ),
        child(person("boy", "小刚", FamilyRole::Child), end),
        person("grandmother", "外婆", FamilyRole::Grandmother),
    ];
    let festival = festival_in(start, end);
    let home_from = festival - Duration::days(7);
    let home_to = home_from + Duration::days(18);
    let mut contacts = vec![visit(
        "father",
        &["mother", "boy", "grandmother"],
        home_from,
        18,
        "过年回家，给他买了新衣服，问了期末成绩",
    )];
    // Three to five months back: in the history, outside the default 90-day report.
    let mut birthday_day = days - rng.range(100, 150);
    // A birthday while the parents are home is no phone call: the story wants the call.
    let at_home = |day: i64| {
        let at = evening(start, day, 150).with_timezone(&Utc);
        (home_from - Duration::days(2)..home_to + Duration::days(2)).contains(&at)
    };
    while at_home(birthday_day) {
        birthday_day += 7;
    }
    // Fortnightly, counted back from ten days before the end: the family is always a few
    // days past a weekly target when the demo looks, as in the study.
    let mut call_days = Vec::new();
    let mut day = days - 10;
    while day >= 0 {
        call_days.push(day);
        day -= rng.range(12, 16);
    }
    call_days.reverse();
    // The birthday call takes the place of the fortnightly call nearest to it.
    if let Some(nearest) = call_days
        .iter_mut()
        .min_by_key(|d| (**d - birthday_day).abs())
    {
        *nearest = birthday_day;
    }
    for call_day in call_days {
        let is_birthday = call_day == birthday_day;
        let at = evening(start, call_day, rng.range(120, 180));
        let at_utc = at.with_timezone(&Utc);
        if at_utc >= end {
            break;
        }
        if !(home_from..home_to).contains(&at_utc) {
            let caller = if rng.chance(0.7) { "mother" } else { "father" };
            let other_parent = if caller == "mother" {
                "father"
            } else {
                "mother"
            };
            let mut attempt = at;
            if rng.chance(0.15) {
                contacts.push(unanswered(caller, "boy", attempt, ContactStatus::Missed));
                attempt += Duration::minutes(rng.range(10, 30));
            }
            let note = if is_birthday {
                Some(
                    rng.pick(&[
                        "他生日，问他钱够不够，有没有吃好吃的",
                        "Birthday call: asked if he had enough money and if he had eaten anything delicious.",
                    ])
                    .to_owned(),
                )
            } else {
                Some(rng.pick(B_ROUTINE).to_owned())
            };
            // They share one phone after work: usually both are on the call.
            let with: Vec<&'static str> = if rng.chance(0.75) {
                vec!["boy", other_parent]
            } else {
                vec!["boy"]
            };
            contacts.push(call(
                caller,
                &with,
                attempt,
                rng.range(150, 420),
                note,
                Some(TalkedMost::Parent),
            ));
            // The grandmother takes the phone after the boy.
            contacts.push(call(
                caller,
                &["grandmother"],
                attempt + Duration::minutes(8),
                rng.range(120, 360),
                Some(
                    rng.pick(&[
                        "问外婆身体好不好，说生活费下周打过去",
                        "Grandma says he eats three meals a day and she washes his clothes.",
                    ])
                    .to_owned(),
                ),
                Some(TalkedMost::Even),
            ));
        }
    }
    // The boy reaches out once in ten months, about money.
    let at = evening(start, 95, 30);
    if at.with_timezone(&Utc) < end {
        contacts.push(text(
            "boy",
            "father",
            at,
            "爸，我没钱了 (Dad, I have no money left)",
        ));
    }
    let mut checkins = Vec::new();
    let mut day = 10;
    while day < days {
        let at = evening(start, day, 120);
        if at.with_timezone(&Utc) >= end {
            break;
        }
        checkins.push(SampleCheckin {
            child: "boy",
            observed_at: at,
            mood: 3,
            school: Some("成绩一般"),
            note: Some("三顿饭都吃了，衣服也洗了"),
        });
        day += 30;
    }
    SampleFamily {
        display_name: "张家 (b) · 小刚",
        share_notes_with_staff: true,
        persons,
        contacts,
        checkins,
        child_checkins: Vec::new(),
    }
}

/// The weeks back from `end` that the children's own check-ins cover.
const CHILD_CHECKIN_WEEKS: i64 = 12;

/// The girl rates some of her mother's recent calls, mostly as bad, and checks in weekly with
/// low moods and few words.
fn girls_voice(family: &mut SampleFamily, rng: &mut Rng, end: DateTime<Utc>) {
    let recent = end - Duration::days(120);
    // Every third answered call, two of three of them bad: counted, not drawn, so that every
    // seed and every day tells the same story.
    for (index, contact) in family
        .contacts
        .iter_mut()
        .filter(|c| {
            c.kind == ContactKind::Call
                && c.status == ContactStatus::Completed
                && c.others.contains(&"girl")
                && c.started_at.with_timezone(&Utc) > recent
        })
        .enumerate()
    {
        if index % 3 == 0 {
            contact.feedback = Some(if (index / 3) % 3 != 2 {
                (
                    ChildFeedback::Bad,
                    Some(rng.pick(&["又是问成绩", "She only asks about my grades.", "不想说话"])),
                )
            } else {
                (ChildFeedback::Okay, None)
            });
        }
    }
    for week in 1..=CHILD_CHECKIN_WEEKS {
        let at = (end - Duration::days(7 * week) + Duration::hours(2)).with_timezone(&cst());
        family.child_checkins.push(SampleChildCheckin {
            observed_at: at,
            mood: if rng.chance(0.6) { 2 } else { 3 },
            words: rng
                .chance(0.4)
                .then(|| rng.pick(&["没什么", "想妈妈，但不想告诉她", "一个人走夜路回家有点怕"])),
        });
    }
}

/// The boy's mother sends the month's allowance as a red packet with a line of routine advice,
/// which he never answers; he rates a few calls as okay and checks in now and then.
fn boys_voice(family: &mut SampleFamily, rng: &mut Rng, start: DateTime<Utc>, end: DateTime<Utc>) {
    let days = (end - start).num_days();
    let mut day = days - 150;
    while day < days {
        let at = evening(start, day, rng.range(0, 60));
        if at.with_timezone(&Utc) < end {
            let body = rng.pick(&[
                "[红包] 生活费，别乱花钱",
                "[红包] 这个月的生活费，好好学习，听外婆的话",
                "[红包] 天冷了多穿衣服，按时吃饭",
                "[红包] allowance for the month, study hard and don't waste money",
            ]);
            family.contacts.push(text("mother", "boy", at, body));
        }
        day += rng.range(28, 32);
    }
    let recent = end - Duration::days(90);
    for contact in family.contacts.iter_mut().filter(|c| {
        c.kind == ContactKind::Call
            && c.others.contains(&"boy")
            && c.started_at.with_timezone(&Utc) > recent
    }) {
        if rng.chance(0.4) {
            contact.feedback = Some((ChildFeedback::Okay, None));
        }
    }
    for week in (1..=CHILD_CHECKIN_WEEKS).step_by(2) {
        let at = (end - Duration::days(7 * week) + Duration::hours(3)).with_timezone(&cst());
        family.child_checkins.push(SampleChildCheckin {
            observed_at: at,
            mood: 3,
            words: rng
                .chance(0.3)
                .then(|| rng.pick(&["还行", "外婆做的饭好吃"])),
        });
    }
}

/// Both families, with contacts from [`study_start`] to `end`.
pub fn families(seed: u64, end: DateTime<Utc>) -> Vec<SampleFamily> {
    let start = study_start(end);
    // One generator per family, so that one family's story does not shift the other's.
    let mut a = family_a(&mut Rng::new(seed), start, end);
    let mut b = family_b(&mut Rng::new(seed ^ 0x5EED_B0B0), start, end);
    // The children's own voice draws on generators of its own, so that adding it left the
    // calls of the story as they were.
    girls_voice(&mut a, &mut Rng::new(seed ^ 0x0A11_CE00), end);
    boys_voice(&mut b, &mut Rng::new(seed ^ 0x0B0B_0B0B), start, end);
    for family in [&mut a, &mut b] {
        family.contacts.retain(|c| {
            let last = c.ended_at.unwrap_or(c.started_at).with_timezone(&Utc);
            last < end
        });
        family.contacts.sort_by_key(|c| c.started_at);
    }
    vec![a, b]
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::TimeZone;

    fn end() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_same_seed_gives_the_same_story() {
        let first = families(7, end());
        let second = families(7, end());
        let starts = |f: &[SampleFamily]| -> Vec<DateTime<FixedOffset>> {
            f.iter()
                .flat_map(|x| x.contacts.iter().map(|c| c.started_at))
                .collect()
        };
        assert_eq!(starts(&first), starts(&second));
    }

    #[test]
    fn the_children_speak_for_themselves() {
        for offset in (0..730).step_by(29) {
            let end = end() - Duration::days(offset);
            let all = families(2021, end);
            let recent =
                |c: &&SampleContact| c.started_at.with_timezone(&Utc) > end - Duration::days(85);
            let ratings = |f: &SampleFamily, rating| {
                f.contacts
                    .iter()
                    .filter(recent)
                    .filter(|c| c.feedback.is_some_and(|(r, _)| r == rating))
                    .count()
            };
            assert!(ratings(&all[0], ChildFeedback::Bad) >= 2, "{offset}");
            assert!(all[0].child_checkins.len() >= 10, "{offset}");
            assert_eq!(ratings(&all[1], ChildFeedback::Bad), 0, "{offset}");
            assert!(!all[1].child_checkins.is_empty(), "{offset}");
        }
    }

    #[test]
    fn the_families_differ_as_in_the_study() {
        // The history ends on the day the demo runs: the story must hold on any day.
        for offset in (0..730).step_by(11) {
            let end = end() - Duration::days(offset);
            let all = families(7, end);
            let (a, b) = (&all[0], &all[1]);
            fn calls<'a>(f: &'a SampleFamily, child: &str) -> Vec<&'a SampleContact> {
                f.contacts
                    .iter()
                    .filter(|c| c.kind == ContactKind::Call && c.others.contains(&child))
                    .collect()
            }
            let a_calls = calls(a, "girl");
            let b_calls = calls(b, "boy");
            // Every two or three days against every two weeks, over ten months.
            assert!(a_calls.len() > 100, "{offset}: {}", a_calls.len());
            assert!(
                (15..=30).contains(&b_calls.len()),
                "{offset}: {}",
                b_calls.len()
            );
            let unanswered = |cs: &[&SampleContact]| {
                cs.iter()
                    .filter(|c| c.status != ContactStatus::Completed)
                    .count()
            };
            assert!(unanswered(&a_calls) > 3 * unanswered(&b_calls), "{offset}");
            // One visit home in each family, of about a month in (a).
            let visits = |f: &SampleFamily| {
                f.contacts
                    .iter()
                    .filter(|c| c.kind == ContactKind::Visit)
                    .filter_map(|v| v.ended_at.map(|e| (e - v.started_at).num_days()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(visits(a), vec![30], "{offset}");
            assert_eq!(visits(b), vec![18], "{offset}");
            // The birthday call about money and food is there.
            let birthday = b.contacts.iter().any(|c| {
                c.content
                    .as_deref()
                    .is_some_and(|n| n.contains("生日") || n.contains("Birthday"))
            });
            assert!(birthday, "{offset}");
            // The boy reaches out once; the girl about monthly.
            let started_by = |f: &SampleFamily, who: &str| {
                f.contacts.iter().filter(|c| c.initiator == who).count()
            };
            assert_eq!(started_by(b, "boy"), 1, "{offset}");
            assert!((7..=12).contains(&started_by(a, "girl")), "{offset}");
            // Everything lies in the history, in the past of `end`.
            for c in a.contacts.iter().chain(&b.contacts) {
                let last = c.ended_at.unwrap_or(c.started_at).with_timezone(&Utc);
                assert!(last < end, "{offset}");
                assert!(
                    c.started_at.with_timezone(&Utc) >= study_start(end),
                    "{offset}"
                );
            }
        }
    }
}
