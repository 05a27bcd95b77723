//! Conversation depth: routine versus emotional talk in a note or text (SPEC section 5).
//!
//! Pure and deterministic: no I/O; the lexicon is compiled into the binary
//! (`shared/lexicon/depth.tsv`, the team's own file).
//!
//! # How a text is scored
//!
//! 1. The text is folded: lower case, Traditional Chinese to Simplified, full-width ASCII to
//!    ASCII, emoji variation selectors and skin tones dropped.
//! 2. Every lexicon phrase is looked for with Aho-Corasick. English phrases must stand on word
//!    boundaries ("eat" is not found in "great"); Chinese phrases and emoji need none. Where
//!    found phrases overlap, the leftmost wins, then the longest (想吃 is food, 想你 is
//!    longing; 别难过 is one comfort phrase, not a negation and a sad word).
//! 3. Modifiers act on the phrases next to them:
//!    - an **intensifier** (很, 好, 非常, very, so) multiplies the weight of the phrase right
//!      after it, and an after-intensifier (so much, a lot, 死了) the phrase right before it;
//!    - a **negation** (not, never, no, 没有, 不, 别) reaches forward in its clause, up to three
//!      words or Chinese characters past the negator (or past the last phrase it reached),
//!      and stops at the first routine phrase, which it leaves as it is ("didn't eat" is
//!      still food talk). An emotional phrase in its reach is marked `negation`:
//!      - when the negation is about *talking*, the feelings were left unsaid and the phrase
//!        counts on the routine side at the negation's share of its weight (0.5): a talk word
//!        between negator and phrase ("he did not say how he feels", 没有说心里话), "said
//!        nothing about ...", or a phrase that is itself talk about feelings ("no feelings
//!        discussed", 没聊感受);
//!      - otherwise a negated feeling is still talk about feelings ("not happy at school",
//!        一个人在家不害怕) and keeps its side and weight.
//!
//!      Comfort that is negative in form (别难过, don't cry) is listed as its own phrase and
//!      wins by length, so it is never negated.
//! 4. Each found phrase is one [`Evidence`] with its effective `weight` (base weight times its
//!    modifier, rounded to three decimals) and the side it `counts_as`.
//! 5. **Constructions** of implicit emotion (SPEC section 5: feelings said without feeling
//!    words) are found per sentence, or a sentence and the one before it, over the cue spans
//!    the same pass found (lexicon entries marked `@cue`; rules in `constructions`): an unmet
//!    wish, reproach about the parent's absence, a hidden trouble, envy of children whose
//!    parents are home, resentment of who does the caring, pressure, estrangement. Each adds
//!    one emotional item naming its [`Construction`] and quoting its `parts`; the routine
//!    phrases of its sentences are its cover and count at half weight. A routine instruction
//!    that names a feeling ("eat properly so grandma won't fret", 省得奶奶担心) turns the
//!    feeling words after its purpose cue into routine evidence at half weight
//!    (`care_instruction`).
//! 6. **Long notes**: in a text of three or more sentences that is mostly routine, the
//!    sentence that is emotional on its own is quoted as an `emotional_sentence` item,
//!    weighing just enough (0 when already there) to give the emotional side
//!    [`MIXED_MIN_SHARE`]: the note is mixed.
//!
//! With `E` the sum of emotional evidence weights and `R` the sum of routine ones:
//!
//! ```text
//! score           = round1( 100 × (E + 0.375) / (E + R + 1) )
//! emotional_share = E / (E + R)      routine_share = R / (E + R)      (both 0 without evidence)
//! ```
//!
//! The `+ 0.375` and `+ 1` are a neutral prior worth one unit of weight: a text without
//! evidence scores [`NEUTRAL_SCORE`] (37.5), under 50 since nothing emotional was said, yet
//! above any text with routine evidence only. A score of 50 or more means mainly emotional.
//!
//! The level is `mixed` when both sides have evidence and the smaller side holds at least
//! [`MIXED_MIN_SHARE`] of the weight; otherwise `emotional` from a score of 50, else `routine`.

mod constructions;
mod lexicon;
mod normalize;
mod scorer;
pub mod summary;

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::model::DepthLevel;

pub use constructions::Construction;
pub use lexicon::LexiconError;
pub use scorer::Scorer;
pub use summary::{DepthSummary, summarize};

/// The version of the embedded lexicon; results carry it so stored scores can be traced.
pub const LEXICON_VERSION: &str = "kinthread-depth-2";

/// The score of a text without evidence.
pub const NEUTRAL_SCORE: f64 = 37.5;

/// From this score on a text is mainly emotional.
pub const EMOTIONAL_FROM: f64 = 50.0;

/// The smallest share of the weight the minority side needs for the level `mixed`.
pub const MIXED_MIN_SHARE: f64 = 0.25;

/// The weight of the neutral prior in the score formula (see the module doc).
pub(crate) const PRIOR_WEIGHT: f64 = 1.0;

static SCORER: LazyLock<Scorer> = LazyLock::new(|| match Scorer::embedded() {
    Ok(scorer) => scorer,
    // The embedded file is part of the build and `embedded_lexicon_loads` tests it, so this
    // cannot happen in a tested build; scoring with a silently empty lexicon would be worse.
    Err(error) => panic!("the embedded depth lexicon is invalid: {error}"),
});

/// Scores one text with the embedded lexicon.
pub fn score(text: &str) -> DepthResult {
    SCORER.score(text)
}

/// The embedded lexicon's version, the same as [`LEXICON_VERSION`].
pub fn lexicon_version() -> &'static str {
    LEXICON_VERSION
}

/// The depth of one text (SPEC section 5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepthResult {
    /// 0–100, one decimal; 50 or more means mainly emotional.
    pub score: f64,
    pub level: DepthLevel,
    /// Share of the evidence weight that is routine talk (0 to 1, three decimals).
    pub routine_share: f64,
    /// Share of the evidence weight that is emotional talk (0 to 1, three decimals).
    pub emotional_share: f64,
    /// Every phrase that moved the score, in text order.
    pub evidence: Vec<Evidence>,
    pub lexicon_version: String,
}

/// One phrase, or one construction of phrases, that moved the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// The phrase as written in the text.
    pub phrase: String,
    pub category: Category,
    /// The weight counted, after any modifier.
    pub weight: f64,
    /// The lexicon weight before any modifier.
    pub base_weight: f64,
    pub modifier: Option<Modifier>,
    /// The side the weight counts for: an emotional phrase under a negation about talking
    /// ("did not say how he feels") counts as routine.
    pub counts_as: Side,
    /// Byte offsets of the phrase in the text.
    pub start: usize,
    pub end: usize,
    /// The construction this item belongs to: on a construction's own item (its `phrase`
    /// runs from its first part to its last, `parts` quotes them), on a routine phrase that
    /// is its cover, or on a feeling word inside a routine instruction. Absent on the wire
    /// for plain phrases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub construction: Option<Construction>,
    /// The parts of the construction as written ("wanted", "didn't come", "dad"); for an
    /// `emotional_sentence` the feeling phrases of the quoted sentence. Absent on the wire
    /// when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
}

/// Routine or emotional talk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Routine,
    Emotional,
}

/// What changed a phrase's weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    Negation,
    Intensifier,
}

macro_rules! categories {
    ($($variant:ident => $text:literal, $side:ident;)+) => {
        /// The topic of a phrase; each category belongs to one [`Side`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Category {
            $($variant),+
        }

        impl Category {
            /// Every category, routine ones first.
            pub const ALL: &'static [Category] = &[$(Category::$variant),+];

            /// The stable spelling used in the lexicon and on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Category::$variant => $text),+
                }
            }

            /// Whether the category is routine or emotional talk.
            pub const fn side(self) -> Side {
                match self {
                    $(Category::$variant => Side::$side),+
                }
            }
        }

        impl FromStr for Category {
            type Err = crate::model::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Category::$variant),)+
                    _ => Err(crate::model::UnknownVariant {
                        kind: "depth category",
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

categories! {
    Food => "food", Routine;
    Money => "money", Routine;
    ClothesWeather => "clothes_weather", Routine;
    Sleep => "sleep", Routine;
    HealthLogistics => "health_logistics", Routine;
    StudyGrades => "study_grades", Routine;
    ChoresErrands => "chores_errands", Routine;
    Longing => "longing", Emotional;
    Love => "love", Emotional;
    SadnessLoneliness => "sadness_loneliness", Emotional;
    WorryFear => "worry_fear", Emotional;
    JoyPride => "joy_pride", Emotional;
    Celebration => "celebration", Emotional;
    Apology => "apology", Emotional;
    Gratitude => "gratitude", Emotional;
    Comfort => "comfort", Emotional;
    Disclosure => "disclosure", Emotional;
    FeelingsTalk => "feelings_talk", Emotional;
}

impl Category {
    pub const fn is_emotional(self) -> bool {
        matches!(self.side(), Side::Emotional)
    }

    pub const fn is_routine(self) -> bool {
        matches!(self.side(), Side::Routine)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Side {
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Routine => "routine",
            Side::Emotional => "emotional",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Modifier {
    pub const fn as_str(self) -> &'static str {
        match self {
            Modifier::Negation => "negation",
            Modifier::Intensifier => "intensifier",
        }
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DepthResult {
    /// Rebuilds score, shares and level from evidence alone, as the module doc defines them;
    /// the scorer uses it, and anyone can use it to check a stored result.
    pub fn from_evidence(evidence: Vec<Evidence>, lexicon_version: String) -> Self {
        let (mut routine, mut emotional) = (0.0_f64, 0.0_f64);
        for item in &evidence {
            match item.counts_as {
                Side::Routine => routine += item.weight,
                Side::Emotional => emotional += item.weight,
            }
        }
        let total = routine + emotional;
        let neutral_share = NEUTRAL_SCORE / 100.0;
        let score = round_to(
            100.0 * (emotional + PRIOR_WEIGHT * neutral_share) / (total + PRIOR_WEIGHT),
            1,
        );
        let (routine_share, emotional_share) = if total > 0.0 {
            (round_to(routine / total, 3), round_to(emotional / total, 3))
        } else {
            (0.0, 0.0)
        };
        let level = if routine > 0.0
            && emotional > 0.0
            && routine.min(emotional) / total >= MIXED_MIN_SHARE
        {
            DepthLevel::Mixed
        } else if score >= EMOTIONAL_FROM {
            DepthLevel::Emotional
        } else {
            DepthLevel::Routine
        };
        DepthResult {
            score,
            level,
            routine_share,
            emotional_share,
            evidence,
            lexicon_version,
        }
    }
}

pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10_f64.powi(decimals);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests;
