//! kinthread's own library of conversation prompts for parents whose recent contact has been
//! routine only (SPEC section 5: "did you eat? do you have money? study hard"), and the pure
//! choice of one prompt for a child.
//!
//! The library is the team's data file `shared/prompts/prompts.tsv`, compiled in and parsed
//! once; every prompt is in Chinese and English and tagged with the child's age bands and a
//! topic. Nothing here reads a clock: the caller passes today's date and a seed.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::attention::Bilingual;
use crate::model::UnknownVariant;

/// The prompt file compiled into kinthread.
const EMBEDDED: &str = include_str!("../prompts/prompts.tsv");

/// How many of the most recently shown prompts are never shown again straight away.
pub const NO_REPEAT_COUNT: usize = 5;

static LIBRARY: LazyLock<Vec<Prompt>> = LazyLock::new(|| match parse_library(EMBEDDED) {
    Ok(prompts) => prompts,
    // The embedded file is part of the build and `embedded_library_parses` tests it, so this
    // cannot happen in a tested build; reminders silently without prompts would be worse.
    Err(error) => panic!("the embedded prompt library is invalid: {error}"),
});

/// The embedded prompt library, in file order.
pub fn library() -> &'static [Prompt] {
    &LIBRARY
}

/// A child's age band, as prompts are tagged. Declared youngest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgeBand {
    /// 6 to 9 (and younger children, through their caregiver).
    #[serde(rename = "6-9")]
    SixToNine,
    #[serde(rename = "10-13")]
    TenToThirteen,
    /// 14 to 17 (and older).
    #[serde(rename = "14-17")]
    FourteenToSeventeen,
}

impl AgeBand {
    pub const ALL: &'static [AgeBand] = &[
        AgeBand::SixToNine,
        AgeBand::TenToThirteen,
        AgeBand::FourteenToSeventeen,
    ];

    /// The spelling in the prompt file and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AgeBand::SixToNine => "6-9",
            AgeBand::TenToThirteen => "10-13",
            AgeBand::FourteenToSeventeen => "14-17",
        }
    }

    /// The band of a child of `age` years; the youngest band takes younger children, the
    /// oldest band older ones.
    pub const fn for_age(age: u32) -> AgeBand {
        match age {
            0..=9 => AgeBand::SixToNine,
            10..=13 => AgeBand::TenToThirteen,
            _ => AgeBand::FourteenToSeventeen,
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgeBand {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgeBand::ALL
            .iter()
            .copied()
            .find(|band| band.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "age band",
                value: s.to_owned(),
                expected: "6-9 10-13 14-17",
            })
    }
}

/// What a prompt opens a conversation about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PromptTopic {
    /// What made them happy this week.
    HappyWeek,
    Friends,
    /// Fears and worries, such as the dark road to school.
    Fears,
    Feelings,
    /// School beyond grades: teachers, classmates, events, pressure.
    SchoolLife,
    /// Their own interests.
    Interests,
    /// The grandparents or other caregiver.
    Caregiver,
    Memories,
    /// Festivals, the Spring Festival visit, birthdays.
    Festival,
    /// Wishes and plans.
    Future,
    /// The parent sharing their own life away.
    ParentLife,
    /// The village, the animals, the fields.
    Home,
}

impl PromptTopic {
    pub const ALL: &'static [PromptTopic] = &[
        PromptTopic::HappyWeek,
        PromptTopic::Friends,
        PromptTopic::Fears,
        PromptTopic::Feelings,
        PromptTopic::SchoolLife,
        PromptTopic::Interests,
        PromptTopic::Caregiver,
        PromptTopic::Memories,
        PromptTopic::Festival,
        PromptTopic::Future,
        PromptTopic::ParentLife,
        PromptTopic::Home,
    ];

    /// The stable spelling in the prompt file and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            PromptTopic::HappyWeek => "happy_week",
            PromptTopic::Friends => "friends",
            PromptTopic::Fears => "fears",
            PromptTopic::Feelings => "feelings",
            PromptTopic::SchoolLife => "school_life",
            PromptTopic::Interests => "interests",
            PromptTopic::Caregiver => "caregiver",
            PromptTopic::Memories => "memories",
            PromptTopic::Festival => "festival",
            PromptTopic::Future => "future",
            PromptTopic::ParentLife => "parent_life",
            PromptTopic::Home => "home",
        }
    }
}

impl fmt::Display for PromptTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PromptTopic {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PromptTopic::ALL
            .iter()
            .copied()
            .find(|topic| topic.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "prompt topic",
                value: s.to_owned(),
                expected: "happy_week friends fears feelings school_life interests caregiver \
                           memories festival future parent_life home",
            })
    }
}

/// One conversation prompt: something a parent could say on the next call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prompt {
    /// Stable: shown prompts are remembered by it.
    pub id: String,
    /// The age bands it fits, youngest first, never empty.
    pub ages: Vec<AgeBand>,
    pub topic: PromptTopic,
    pub text: Bilingual,
}

impl Prompt {
    /// Whether it fits every age band, so suits a child of unknown age.
    pub fn fits_every_age(&self) -> bool {
        AgeBand::ALL.iter().all(|band| self.ages.contains(band))
    }
}

/// A line of a prompt file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromptFileError {
    #[error(
        "line {line}: expected 5 tab-separated columns (id, ages, topic, zh, en), got {columns}"
    )]
    Columns { line: usize, columns: usize },
    #[error("line {line}: the id `{id}` must be lower-case letters, digits and underscores")]
    BadId { line: usize, id: String },
    #[error("line {line}: the id `{id}` is used twice")]
    DuplicateId { line: usize, id: String },
    #[error("line {line}: {source}")]
    Unknown {
        line: usize,
        #[source]
        source: UnknownVariant,
    },
    #[error("line {line}: the {language} text is missing")]
    MissingText { line: usize, language: &'static str },
    #[error("line {line}: the zh text has no Chinese in it")]
    NotChinese { line: usize },
}

/// Reads a prompt file: one prompt a line, `#` comments and blank lines skipped.
pub fn parse_library(tsv: &str) -> Result<Vec<Prompt>, PromptFileError> {
    let mut prompts: Vec<Prompt> = Vec::new();
    for (index, raw) in tsv.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let columns: Vec<&str> = raw.split('\t').map(str::trim).collect();
        let [id, ages, topic, zh, en] = columns[..] else {
            return Err(PromptFileError::Columns {
                line,
                columns: columns.len(),
            });
        };
        let id_is_clean = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !id_is_clean {
            return Err(PromptFileError::BadId {
                line,
                id: id.to_owned(),
            });
        }
        if prompts.iter().any(|prompt| prompt.id == id) {
            return Err(PromptFileError::DuplicateId {
                line,
                id: id.to_owned(),
            });
        }
        let unknown = |source| PromptFileError::Unknown { line, source };
        let mut bands = if ages == "all" {
            AgeBand::ALL.to_vec()
        } else {
            ages.split(',')
                .map(|band| band.trim().parse::<AgeBand>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(unknown)?
        };
        bands.sort_unstable();
        bands.dedup();
        let topic = topic.parse::<PromptTopic>().map_err(unknown)?;
        for (language, text) in [("zh", zh), ("en", en)] {
            if text.is_empty() {
                return Err(PromptFileError::MissingText { line, language });
            }
        }
        if !zh.chars().any(is_han) {
            return Err(PromptFileError::NotChinese { line });
        }
        prompts.push(Prompt {
            id: id.to_owned(),
            ages: bands,
            topic,
            text: Bilingual::new(zh, en),
        });
    }
    Ok(prompts)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// The day a child born on `birth_date` has their birthday in `year`: the same month and day,
/// and for a child born on 29 February, 28 February in a year without one (so the birthday
/// stays in its month).
pub fn birthday_in(birth_date: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birth_date.month(), birth_date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
}

/// A child's age in whole years on `today`, from the birth date where known (a year older on
/// each [`birthday_in`]), else from the birth year alone (the age they turn this year, so at
/// most a year over). `None` when neither is known or the birth lies after today.
pub fn age_on(
    birth_date: Option<NaiveDate>,
    birth_year: Option<i32>,
    today: NaiveDate,
) -> Option<u32> {
    let age = match birth_date {
        Some(born) => {
            let years = today.year() - born.year();
            let had_birthday = birthday_in(born, today.year()).is_some_and(|day| day <= today);
            if had_birthday { years } else { years - 1 }
        }
        None => today.year() - birth_year?,
    };
    u32::try_from(age).ok()
}

/// Picks a prompt from the embedded library; see [`pick_from`].
pub fn pick_prompt<S: AsRef<str>>(
    age: Option<u32>,
    recently_shown: &[S],
    seed: u64,
) -> Option<&'static Prompt> {
    pick_from(library(), age, recently_shown, seed)
}

/// Picks one prompt for a child of `age` (`None`: unknown), deterministically from `seed`
/// (the caller passes, say, the day number, so a parent sees one prompt a day).
///
/// - Candidates fit the child's age band; for an unknown age, only prompts that fit every
///   band.
/// - The last [`NO_REPEAT_COUNT`] ids of `recently_shown` (oldest first, as a log reads) are
///   left out, and so is the topic of the very last one, for variety.
/// - If that leaves nothing (a tiny library), the topic rule goes first, then all but the very
///   last prompt are allowed, then any candidate.
///
/// `None` only when no prompt fits the age at all.
pub fn pick_from<'a, S: AsRef<str>>(
    prompts: &'a [Prompt],
    age: Option<u32>,
    recently_shown: &[S],
    seed: u64,
) -> Option<&'a Prompt> {
    let fits: Vec<&Prompt> = prompts
        .iter()
        .filter(|prompt| match age {
            Some(age) => prompt.ages.contains(&AgeBand::for_age(age)),
            None => prompt.fits_every_age(),
        })
        .collect();
    let recent: Vec<&str> = recently_shown
        .iter()
        .rev()
        .take(NO_REPEAT_COUNT)
        .map(AsRef::as_ref)
        .collect();
    let last = recent.first().copied();
    let last_topic = last
        .and_then(|id| prompts.iter().find(|prompt| prompt.id == id))
        .map(|prompt| prompt.topic);

    let fresh = |prompt: &&&Prompt| !recent.contains(&prompt.id.as_str());
    let new_topic = |prompt: &&&Prompt| Some(prompt.topic) != last_topic;
    let not_last = |prompt: &&&Prompt| Some(prompt.id.as_str()) != last;
    let tiers: [Vec<&Prompt>; 4] = [
        fits.iter()
            .filter(fresh)
            .filter(new_topic)
            .copied()
            .collect(),
        fits.iter().filter(fresh).copied().collect(),
        fits.iter().filter(not_last).copied().collect(),
        fits.clone(),
    ];
    let candidates = tiers.into_iter().find(|tier| !tier.is_empty())?;
    let index = usize::try_from(mix(seed) % candidates.len() as u64).unwrap_or(0);
    candidates.get(index).copied()
}

/// SplitMix64's finaliser: consecutive seeds (day numbers) land far apart, so one day's prompt
/// says nothing about the next day's.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn embedded_library_parses() {
        let prompts = parse_library(EMBEDDED).unwrap();
        assert!(prompts.len() >= 60, "{} prompts", prompts.len());
        assert_eq!(library().len(), prompts.len());
        let ids: BTreeSet<&str> = prompts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), prompts.len(), "ids are unique");
        for prompt in &prompts {
            assert!(!prompt.ages.is_empty(), "{}", prompt.id);
            assert!(prompt.text.zh.chars().any(is_han), "{}", prompt.id);
            assert!(prompt.text.en.is_ascii(), "{}: plain English", prompt.id);
            // Short enough to read at a glance on a phone.
            assert!(prompt.text.zh.chars().count() <= 40, "{}", prompt.id);
        }
    }

    #[test]
    fn every_age_band_has_many_topics() {
        for band in AgeBand::ALL {
            let of_band: Vec<&Prompt> =
                library().iter().filter(|p| p.ages.contains(band)).collect();
            let topics: BTreeSet<PromptTopic> = of_band.iter().map(|p| p.topic).collect();
            assert!(of_band.len() >= 25, "{band}: {} prompts", of_band.len());
            assert!(topics.len() >= 10, "{band}: {topics:?}");
        }
        let every_age = library().iter().filter(|p| p.fits_every_age()).count();
        assert!(
            every_age >= 12,
            "{every_age} prompts for a child of unknown age"
        );
        let topics: BTreeSet<PromptTopic> = library().iter().map(|p| p.topic).collect();
        assert_eq!(topics.len(), PromptTopic::ALL.len(), "every topic is used");
    }

    #[test]
    fn no_prompt_is_about_meals_or_money() {
        use crate::depth::Category;
        // The one prompt that names meals, to leave them behind ("sorry my calls are always
        // about meals and homework").
        const NAMES_THE_ROUTINE: &str = "parent_06";
        let mut routine = Vec::new();
        for prompt in library().iter().filter(|p| p.id != NAMES_THE_ROUTINE) {
            for text in [&prompt.text.zh, &prompt.text.en] {
                let evidence = crate::depth::score(text).evidence;
                let phrases: Vec<&str> = evidence
                    .iter()
                    .filter(|e| matches!(e.category, Category::Food | Category::Money))
                    .map(|e| e.phrase.as_str())
                    .collect();
                if !phrases.is_empty() {
                    routine.push(format!("{}: {text} {phrases:?}", prompt.id));
                }
            }
        }
        assert!(routine.is_empty(), "{}", routine.join("\n"));
    }

    #[test]
    fn broken_lines_are_refused_with_their_line_number() {
        let cases = [
            ("a\tall\tfriends\t你好", "line 1: expected 5"),
            ("A-1\tall\tfriends\t你好\thi", "line 1: the id `A-1`"),
            (
                "a\tall\tfriends\t你好\thi\na\tall\tfriends\t你好\thi",
                "line 2: the id `a` is used twice",
            ),
            (
                "# comment\n\na\t5-8\tfriends\t你好\thi",
                "line 3: unknown age band `5-8`",
            ),
            (
                "a\tall\tmoney\t你好\thi",
                "line 1: unknown prompt topic `money`",
            ),
            ("a\tall\tfriends\t\thi", "line 1: the zh text is missing"),
            ("a\tall\tfriends\t你好\t", "line 1: the en text is missing"),
            (
                "a\tall\tfriends\thello\thi",
                "line 1: the zh text has no Chinese",
            ),
        ];
        for (tsv, expected) in cases {
            let message = parse_library(tsv)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.starts_with(expected), "{tsv:?}: {message}");
        }
        let parsed = parse_library("a\t14-17, 6-9\tfriends\t你好\thi").unwrap();
        assert_eq!(
            parsed[0].ages,
            vec![AgeBand::SixToNine, AgeBand::FourteenToSeventeen]
        );
    }

    #[test]
    fn ages_and_bands() {
        let cases = [
            // (birth date, birth year, today, age)
            (Some("2014-06-05"), None, "2025-06-04", Some(10)),
            (Some("2014-06-05"), None, "2025-06-05", Some(11)),
            (Some("2014-06-05"), Some(2013), "2025-06-05", Some(11)), // the date wins
            (None, Some(2014), "2025-01-01", Some(11)),
            (Some("2012-02-29"), None, "2025-02-27", Some(12)),
            (Some("2012-02-29"), None, "2025-02-28", Some(13)), // no 29th: the 28th
            (Some("2012-02-29"), None, "2028-02-28", Some(15)), // a leap year: wait for the 29th
            (Some("2012-02-29"), None, "2028-02-29", Some(16)),
            (Some("2026-01-01"), None, "2025-06-01", None), // not born yet
            (None, None, "2025-06-01", None),
        ];
        for (born, year, today, expected) in cases {
            let got = age_on(born.map(date), year, date(today));
            assert_eq!(got, expected, "{born:?} {year:?} {today}");
        }
        let bands = [
            (3, AgeBand::SixToNine),
            (9, AgeBand::SixToNine),
            (10, AgeBand::TenToThirteen),
            (13, AgeBand::TenToThirteen),
            (14, AgeBand::FourteenToSeventeen),
            (19, AgeBand::FourteenToSeventeen),
        ];
        for (age, band) in bands {
            assert_eq!(AgeBand::for_age(age), band, "{age}");
        }
    }

    #[test]
    fn picking_fits_the_age_and_is_deterministic() {
        let none: [&str; 0] = [];
        for seed in 0..200 {
            let prompt = pick_prompt(Some(15), &none, seed).unwrap();
            assert!(
                prompt.ages.contains(&AgeBand::FourteenToSeventeen),
                "{}",
                prompt.id
            );
            assert_eq!(pick_prompt(Some(15), &none, seed), Some(prompt));
            let unknown = pick_prompt(None, &none, seed).unwrap();
            assert!(unknown.fits_every_age(), "{}", unknown.id);
        }
        // Different days give different prompts, not one prompt for a month.
        let month: BTreeSet<&str> = (20_000..20_030)
            .filter_map(|day| pick_prompt(Some(8), &none, day))
            .map(|prompt| prompt.id.as_str())
            .collect();
        assert!(month.len() >= 15, "{month:?}");
    }

    #[test]
    fn the_last_five_shown_are_never_repeated() {
        let mut shown: Vec<String> = Vec::new();
        for day in 0..300 {
            let prompt = pick_prompt(Some(11), &shown, day).unwrap();
            let last_five: Vec<&String> = shown.iter().rev().take(NO_REPEAT_COUNT).collect();
            assert!(
                !last_five.contains(&&prompt.id),
                "day {day}: {} again",
                prompt.id
            );
            if let Some(last) = shown.last() {
                let last_topic = library().iter().find(|p| &p.id == last).map(|p| p.topic);
                assert_ne!(
                    Some(prompt.topic),
                    last_topic,
                    "day {day}: same topic twice"
                );
            }
            shown.push(prompt.id.clone());
        }
        // A sixth-to-last prompt may come back.
        let distinct: BTreeSet<&String> = shown.iter().collect();
        assert!(distinct.len() > NO_REPEAT_COUNT);
    }

    #[test]
    fn a_tiny_library_relaxes_the_rules_in_order() {
        let prompts = parse_library(
            "a\tall\tfriends\t你好\thi\nb\tall\tfriends\t你好\thi\nc\t6-9\tfears\t你好\thi",
        )
        .unwrap();
        let pick = |age, recent: &[&str], seed| {
            pick_from(&prompts, age, recent, seed).map(|p| p.id.as_str())
        };
        for seed in 0..20 {
            // Age 15: a and b fit. After a, b is fresh (same topic is allowed when nothing else is).
            assert_eq!(pick(Some(15), &["a"], seed), Some("b"));
            // Both shown recently: all but the very last.
            assert_eq!(pick(Some(15), &["b", "a"], seed), Some("b"));
            // Age 7 after a friends prompt: the fears prompt.
            assert_eq!(pick(Some(7), &["a"], seed), Some("c"));
        }
        let one = parse_library("a\t6-9\tfriends\t你好\thi").unwrap();
        assert_eq!(
            pick_from(&one, Some(7), &["a"], 3).map(|p| p.id.as_str()),
            Some("a")
        );
        assert_eq!(pick_from(&one, Some(15), &["a"], 3), None);
        assert_eq!(pick_from(&one, None, &["a"], 3), None);
    }
}
