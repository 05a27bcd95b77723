//! Implicit emotion (SPEC section 5): constructions found as combinations of cues within a
//! sentence (or a sentence and the one before it), never by matching whole lines.
//!
//! A cue is a lexicon entry marked `@name` (`didn't come` is `@failure`, `别告诉` is
//! `@secret`, `grandma` is `@elder`); the one Aho-Corasick pass over the text finds cues with
//! every other phrase, and the rules here look only at the cue spans of each sentence. A
//! construction fires when every part of one of its forms is present (a desire cue, a
//! relational failure and a person; a secret and a trouble) and none of its blockers is (a
//! logistic reason such as "the train was cancelled"). What lives here: the cue classes, the
//! rules and their weights. What does not: matching (in `scorer`), the score formula (in the
//! parent module).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Category;

macro_rules! cues {
    ($($variant:ident => $text:literal,)+) => {
        /// A class of construction cue; lexicon entries give cues as `@name`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub(crate) enum Cue {
            $($variant),+
        }

        #[cfg(test)]
        impl Cue {
            pub(crate) const ALL: &'static [Cue] = &[$(Cue::$variant),+];

            pub(crate) const fn as_str(self) -> &'static str {
                match self {
                    $(Cue::$variant => $text),+
                }
            }
        }

        impl FromStr for Cue {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Cue::$variant),)+
                    _ => Err(()),
                }
            }
        }
    };
}

cues! {
    // -- who: the relation to family members
    Parent => "parent",
    Elder => "elder",
    Child => "child",
    You => "you",
    Person => "person",
    Me => "me",
    // -- unmet wish
    Desire => "desire",
    Failure => "failure",
    Logistics => "logistics",
    // -- reproach about absence
    Absence => "absence",
    Reproach => "reproach",
    Whereabouts => "whereabouts",
    // -- hidden fear or trouble
    Secret => "secret",
    Hush => "hush",
    Tell => "tell",
    Trouble => "trouble",
    Spare => "spare",
    // -- envy of children whose parents are at home
    Others => "others",
    Presence => "presence",
    // -- resentment of who does the caring
    CaringSelf => "caring_self",
    Should => "should",
    MoneyOnly => "money_only",
    CareAct => "care_act",
    // -- pressure the child cannot carry
    Effort => "effort",
    Setback => "setback",
    Expectation => "expectation",
    // -- estrangement
    Distance => "distance",
    Reluctance => "reluctance",
    Contact => "contact",
    // -- a routine instruction that names a feeling
    Purpose => "purpose",
    So => "so",
}

/// A set of cues, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct CueSet(u32);

impl CueSet {
    pub(crate) const EMPTY: CueSet = CueSet(0);

    pub(crate) const fn of(cues: &[Cue]) -> CueSet {
        let mut bits = 0;
        let mut i = 0;
        while i < cues.len() {
            bits |= 1 << cues[i] as u32;
            i += 1;
        }
        CueSet(bits)
    }

    pub(crate) const fn with(self, cue: Cue) -> CueSet {
        CueSet(self.0 | 1 << cue as u32)
    }

    /// Whether every cue of `other` is in `self` (and `other` has one).
    pub(crate) const fn contains(self, other: CueSet) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    pub(crate) const fn meets(self, other: CueSet) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) const fn union(self, other: CueSet) -> CueSet {
        CueSet(self.0 | other.0)
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Someone the text is about: a family member or a pronoun.
pub(crate) const WHO: CueSet = CueSet::of(&[
    Cue::Parent,
    Cue::Elder,
    Cue::Child,
    Cue::You,
    Cue::Person,
    Cue::Me,
]);

macro_rules! constructions {
    ($($variant:ident => $text:literal,)+) => {
        /// A pattern of implicit emotion (or of routine care talk that names a feeling) found
        /// as a combination of cues; evidence names it and quotes its parts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Construction {
            $($variant),+
        }

        impl Construction {
            /// Every construction.
            pub const ALL: &'static [Construction] = &[$(Construction::$variant),+];

            /// The stable spelling used on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Construction::$variant => $text),+
                }
            }
        }
    };
}

constructions! {
    UnmetWish => "unmet_wish",
    AbsenceReproach => "absence_reproach",
    HiddenTrouble => "hidden_trouble",
    Envy => "envy",
    CareResentment => "care_resentment",
    Pressure => "pressure",
    Estrangement => "estrangement",
    CareInstruction => "care_instruction",
    EmotionalSentence => "emotional_sentence",
}

impl fmt::Display for Construction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One form of a construction: every group must be met by a cue of the window (each group
/// by any of its cues), and no blocker may be present.
pub(crate) struct Form {
    pub(crate) groups: &'static [CueSet],
    pub(crate) blockers: CueSet,
    /// The first group's part must stand before the second's ("wanted ... didn't come").
    pub(crate) ordered: bool,
}

/// A construction of implicit emotion: its forms, the emotional category its evidence
/// counts for and its weight.
pub(crate) struct Rule {
    pub(crate) construction: Construction,
    pub(crate) category: Category,
    pub(crate) weight: f64,
    pub(crate) forms: &'static [Form],
}

const fn set(cues: &[Cue]) -> CueSet {
    CueSet::of(cues)
}

/// The weight of an implicit-emotion construction: worth a direct statement and a little
/// more, so that the routine words it hides under (school, food, chores) do not outweigh it.
pub(crate) const CONSTRUCTION_WEIGHT: f64 = 2.5;

/// The share of its weight a routine phrase keeps inside a sentence that carries an
/// implicit emotion: it is the cover the feeling is said under, not the topic.
pub(crate) const COVER_SHARE: f64 = 0.5;

/// The share of its weight a feeling word keeps, on the routine side, inside a routine
/// instruction ("eat properly so grandma won't fret").
pub(crate) const INSTRUCTION_SHARE: f64 = 0.5;

/// The rules of implicit emotion, in the order they are tried.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        construction: Construction::UnmetWish,
        category: Category::Longing,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            // A wish about being together, and its failure: "I saved the kite for when dad
            // comes, he didn't come". The failure of being together (didn't come, hung up) is
            // its own presence or contact cue; "said no" needs one besides.
            Form {
                groups: &[
                    set(&[Cue::Desire]),
                    set(&[Cue::Failure]),
                    WHO,
                    set(&[Cue::Presence, Cue::Contact]),
                ],
                blockers: set(&[Cue::Logistics]),
                ordered: true,
            },
            // A wish for a parent to come, said as a wish: "I want my parents to come back",
            // 我宁愿他们在家.
            Form {
                groups: &[
                    set(&[Cue::Desire]),
                    set(&[Cue::Parent, Cue::Person]),
                    set(&[Cue::Presence]),
                ],
                blockers: set(&[Cue::Logistics]),
                ordered: true,
            },
        ],
    },
    Rule {
        construction: Construction::AbsenceReproach,
        category: Category::SadnessLoneliness,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            Form {
                groups: &[set(&[Cue::Reproach]), WHO],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            Form {
                groups: &[set(&[Cue::Absence]), set(&[Cue::Reproach])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            Form {
                groups: &[set(&[Cue::Whereabouts]), set(&[Cue::Trouble])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
        ],
    },
    Rule {
        construction: Construction::HiddenTrouble,
        category: Category::Disclosure,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            Form {
                groups: &[set(&[Cue::Secret]), set(&[Cue::Trouble])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            // "I didn't want them to worry", 不想麻烦他们: sparing the parents.
            Form {
                groups: &[set(&[Cue::Spare])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            // 没敢跟妈妈说, 别跟爸爸讲: the secret is split around the person.
            Form {
                groups: &[set(&[Cue::Hush]), set(&[Cue::Tell]), set(&[Cue::Trouble])],
                blockers: CueSet::EMPTY,
                ordered: true,
            },
        ],
    },
    Rule {
        construction: Construction::Envy,
        category: Category::SadnessLoneliness,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[Form {
            // "Other girls' mothers braid their hair": being there, or a care act.
            groups: &[
                set(&[Cue::Others]),
                set(&[Cue::Parent]),
                set(&[Cue::Presence, Cue::CareAct]),
            ],
            blockers: CueSet::EMPTY,
            ordered: true,
        }],
    },
    Rule {
        construction: Construction::CareResentment,
        category: Category::SadnessLoneliness,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            Form {
                groups: &[
                    set(&[Cue::MoneyOnly]),
                    set(&[Cue::Parent, Cue::Person, Cue::You]),
                ],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            // The caring and who should do it name the relation themselves.
            Form {
                groups: &[set(&[Cue::CaringSelf])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            Form {
                groups: &[set(&[Cue::Should]), set(&[Cue::CareAct])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
        ],
    },
    Rule {
        construction: Construction::Pressure,
        category: Category::WorryFear,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            Form {
                groups: &[set(&[Cue::Effort]), set(&[Cue::Setback])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
            Form {
                groups: &[set(&[Cue::Expectation]), set(&[Cue::Setback])],
                blockers: CueSet::EMPTY,
                ordered: false,
            },
        ],
    },
    Rule {
        construction: Construction::Estrangement,
        category: Category::SadnessLoneliness,
        weight: CONSTRUCTION_WEIGHT,
        forms: &[
            // Distance names the relation itself ("like a guest", "nothing to say to").
            Form {
                groups: &[set(&[Cue::Distance])],
                blockers: set(&[Cue::Logistics]),
                ordered: false,
            },
            Form {
                groups: &[set(&[Cue::Reluctance]), set(&[Cue::Contact]), WHO],
                blockers: set(&[Cue::Logistics]),
                ordered: false,
            },
        ],
    },
];

/// A routine instruction that names a feeling: a purpose cue (省得, 别让, "don't let"; or the
/// weak "so", which needs a negated feeling after it), with no secret, trouble or sparing of
/// the parents in its sentence ("I didn't tell them so they wouldn't worry" is hidden trouble).
pub(crate) const INSTRUCTION_GROUPS: &[CueSet] = &[set(&[Cue::Purpose, Cue::So])];
pub(crate) const INSTRUCTION_BLOCKERS: CueSet = set(&[Cue::Secret, Cue::Trouble, Cue::Spare]);

/// A cue found in the text, in folded-text bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CueHit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) cues: CueSet,
}

/// Whether any construction could hold in a text whose cues are `present`: every group of
/// one form is met. Most texts name someone and nothing else, and skip the rules. The weak
/// purpose cue "so" counts only when a feeling is negated or comforted (`negated_feeling`),
/// as "so" is mostly an intensifier.
pub(crate) fn possible(present: CueSet, negated_feeling: bool) -> bool {
    let instruction =
        present.meets(set(&[Cue::Purpose])) || (negated_feeling && present.meets(set(&[Cue::So])));
    instruction || RULES.iter().any(|rule| rule.could_hold(present))
}

/// Whether `form` could hold where the cues `present` are found.
pub(crate) fn could_hold(form: &Form, present: CueSet) -> bool {
    form.groups.iter().all(|group| group.meets(present))
}

impl Rule {
    /// Whether one of the rule's forms could hold where the cues `present` are found.
    pub(crate) fn could_hold(&self, present: CueSet) -> bool {
        self.forms.iter().any(|form| could_hold(form, present))
    }
}

/// Whether `form` holds in `hits` (a window's cues, in text order); `parts` gets the hit
/// that meets each group, one per group.
pub(crate) fn match_form(
    groups: &[CueSet],
    blockers: CueSet,
    ordered: bool,
    hits: &[CueHit],
    parts: &mut Vec<CueHit>,
) -> bool {
    parts.clear();
    if !blockers.is_empty() && hits.iter().any(|hit| hit.cues.meets(blockers)) {
        return false;
    }
    for (index, group) in groups.iter().enumerate() {
        // In an ordered form the second part does not start before the first; it may be the
        // same cue ("classmates' parents" is others and parent at once) or overlap it.
        let first = parts.first().filter(|_| ordered && index == 1).copied();
        let in_order = |hit: &CueHit| first.is_none_or(|first| hit.start >= first.start);
        let Some(hit) = hits
            .iter()
            .find(|hit| hit.cues.meets(*group) && in_order(hit))
        else {
            return false;
        };
        parts.push(*hit);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_spellings_round_trip_and_fit_the_set() {
        assert!(Cue::ALL.len() <= 32);
        for cue in Cue::ALL {
            assert_eq!(cue.as_str().parse::<Cue>(), Ok(*cue));
        }
    }

    #[test]
    fn forms_need_every_group_and_no_blocker() {
        let hit = |start, cues: &[Cue]| CueHit {
            start,
            end: start + 1,
            cues: CueSet::of(cues),
        };
        let groups = [set(&[Cue::Desire]), set(&[Cue::Failure])];
        let mut parts = Vec::new();
        let wish = [hit(0, &[Cue::Desire]), hit(5, &[Cue::Failure])];
        assert!(match_form(&groups, CueSet::EMPTY, true, &wish, &mut parts));
        assert_eq!(parts.len(), 2);
        let reversed = [hit(0, &[Cue::Failure]), hit(5, &[Cue::Desire])];
        assert!(!match_form(
            &groups,
            CueSet::EMPTY,
            true,
            &reversed,
            &mut parts
        ));
        assert!(match_form(
            &groups,
            CueSet::EMPTY,
            false,
            &reversed,
            &mut parts
        ));
        let blocked = [wish[0], wish[1], hit(9, &[Cue::Logistics])];
        assert!(!match_form(
            &groups,
            set(&[Cue::Logistics]),
            true,
            &blocked,
            &mut parts
        ));
        assert!(!match_form(
            &groups,
            CueSet::EMPTY,
            true,
            &wish[..1],
            &mut parts
        ));
    }

    #[test]
    fn every_construction_has_a_spelling() {
        for construction in Construction::ALL {
            assert!(!construction.as_str().is_empty());
            assert_eq!(construction.to_string(), construction.as_str());
        }
        for rule in RULES {
            assert!(rule.category.is_emotional(), "{}", rule.construction);
            assert!(!rule.forms.is_empty());
        }
    }
}
