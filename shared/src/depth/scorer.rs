//! The depth scorer: the lexicon compiled into one Aho-Corasick automaton, and the walk over
//! the matches that applies negation and intensifiers (rules in the parent module's doc).

use std::cell::RefCell;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::lexicon::{EMBEDDED, Entry, EntryKind, Lexicon, LexiconError};
use super::normalize::{Folded, Folder, is_cjk};
use super::{Category, DepthResult, Evidence, Modifier, Side, round_to};

/// How many words or Chinese characters a negation reaches past the negator (or past the
/// last phrase it negated).
const NEGATION_REACH: usize = 3;

/// English words that end a negation's clause.
const CLAUSE_WORDS: [&str; 8] = [
    "but", "and", "then", "because", "though", "although", "however", "while",
];

/// Chinese words that end a negation's clause.
const CLAUSE_WORDS_ZH: [&str; 8] = ["但", "可是", "因为", "所以", "然后", "后来", "而且", "只是"];

/// Words of talking: a negation that governs one of them ("did not say how he feels",
/// 没有说心里话) is about feelings left unsaid, which is routine talk.
const TALK_WORDS: [&str; 32] = [
    "say",
    "says",
    "said",
    "saying",
    "talk",
    "talks",
    "talked",
    "talking",
    "tell",
    "tells",
    "told",
    "telling",
    "mention",
    "mentions",
    "mentioned",
    "discuss",
    "discusses",
    "discussed",
    "ask",
    "asks",
    "asked",
    "asking",
    "share",
    "shares",
    "shared",
    "express",
    "expressed",
    "expresses",
    "speak",
    "speaks",
    "spoke",
    "brought",
];

const TALK_WORDS_ZH: [&str; 10] = [
    "说", "讲", "聊", "谈", "提", "问", "告诉", "表达", "透露", "吭声",
];

/// An open negation while walking the matches.
#[derive(Clone, Copy, Debug)]
struct Negation {
    /// Where its reach starts: the negator's end, or the end of the last phrase it negated.
    from: usize,
    /// The share of a silenced phrase's weight that counts as routine.
    share: f64,
    /// Whether it is known to be about talking ("said nothing about ...").
    about_talk: bool,
}

/// Scores texts against one lexicon. Build it once (it compiles an automaton) and share it;
/// [`super::score`] uses the embedded lexicon through a global instance.
#[derive(Clone, Debug)]
pub struct Scorer {
    matcher: AhoCorasick,
    /// Indexed by the automaton's pattern id.
    patterns: Vec<Pattern>,
    folder: Folder,
    version: String,
}

#[derive(Clone, Debug)]
struct Pattern {
    kind: EntryKind,
    weight: f64,
    /// The phrase starts (ends) with an ASCII letter or digit, so the text must not
    /// continue the word there.
    word_start: bool,
    word_end: bool,
}

/// Buffers reused from one text to the next on a thread, so scoring allocates little more
/// than the result itself.
#[derive(Debug, Default)]
struct Scratch {
    folded: Folded,
    found: Vec<Found>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A match kept after boundary checks and overlap resolution, in folded-text bytes.
#[derive(Clone, Copy, Debug)]
struct Found {
    start: usize,
    end: usize,
    pattern: usize,
}

impl Scorer {
    /// The scorer for the lexicon compiled into kinthread.
    pub fn embedded() -> Result<Self, LexiconError> {
        Self::from_tsv(EMBEDDED)
    }

    /// A scorer for a lexicon in the TSV format of `shared/lexicon/depth.tsv`.
    pub fn from_tsv(tsv: &str) -> Result<Self, LexiconError> {
        let folder = Folder::new();
        let lexicon = Lexicon::parse(tsv, |phrase| folder.fold(phrase).text)?;
        let matcher = AhoCorasick::builder()
            // Overlapping search needs the standard semantics; the leftmost-longest choice is
            // made in `select` after word boundaries are checked, so that a longer phrase
            // failing a boundary ("love you" in "love your") cannot hide a shorter one.
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(lexicon.entries.iter().map(|entry| entry.phrase.as_str()))
            .map_err(|error| LexiconError::Matcher(error.to_string()))?;
        let patterns = lexicon.entries.iter().map(Pattern::new).collect();
        Ok(Scorer {
            matcher,
            patterns,
            folder,
            version: lexicon.version,
        })
    }

    /// The lexicon version results of this scorer carry.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Scores one text.
    pub fn score(&self, text: &str) -> DepthResult {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.score_with(text, &mut scratch),
            // Only reachable if scoring ever re-entered itself on this thread.
            Err(_) => self.score_with(text, &mut Scratch::default()),
        })
    }

    fn score_with(&self, text: &str, scratch: &mut Scratch) -> DepthResult {
        self.folder.fold_into(text, &mut scratch.folded);
        self.select(&scratch.folded.text, &mut scratch.found);
        let evidence = self.weigh(text, &scratch.folded, &scratch.found);
        DepthResult::from_evidence(evidence, self.version.clone())
    }

    /// All phrases on valid boundaries, then leftmost first and, among those starting at the
    /// same place, the longest, without overlaps.
    fn select(&self, folded: &str, found: &mut Vec<Found>) {
        let bytes = folded.as_bytes();
        let is_word = |at: Option<&u8>| at.is_some_and(u8::is_ascii_alphanumeric);
        found.clear();
        found.extend(self.matcher.find_overlapping_iter(folded).filter_map(|m| {
            let pattern = m.pattern().as_usize();
            let shape = self.patterns.get(pattern)?;
            let before = m.start().checked_sub(1).and_then(|i| bytes.get(i));
            if shape.word_start && is_word(before) {
                return None;
            }
            if shape.word_end && is_word(bytes.get(m.end())) {
                return None;
            }
            Some(Found {
                start: m.start(),
                end: m.end(),
                pattern,
            })
        }));
        found.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut cursor = 0;
        found.retain(|m| {
            let keep = m.start >= cursor;
            if keep {
                cursor = m.end;
            }
            keep
        });
    }

    /// Applies modifiers and turns phrase matches into evidence.
    fn weigh(&self, original: &str, folded: &Folded, found: &[Found]) -> Vec<Evidence> {
        let text = folded.text.as_str();
        let gap = |from: usize, to: usize| text.get(from..to).unwrap_or("");
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut negation: Option<Negation> = None;
        let mut intensifier: Option<(usize, f64)> = None;
        // (index into evidence, end) of the phrase just before, for after-intensifiers
        let mut previous: Option<(usize, usize)> = None;

        for m in found {
            let Some(pattern) = self.patterns.get(m.pattern) else {
                continue;
            };
            match pattern.kind {
                EntryKind::Block => {
                    negation = None;
                    intensifier = None;
                    previous = None;
                }
                EntryKind::Negation => {
                    // "said nothing about ...": the talk verb stands before the negator.
                    let about_talk = gap(m.start, m.end) == "nothing"
                        && last_word(gap(0, m.start)).is_some_and(|w| TALK_WORDS.contains(&w));
                    negation = Some(Negation {
                        from: m.end,
                        share: pattern.weight,
                        about_talk,
                    });
                    intensifier = None;
                    previous = None;
                }
                EntryKind::Intensifier => {
                    intensifier = Some((m.end, pattern.weight));
                    previous = None;
                }
                EntryKind::IntensifierAfter => {
                    if let Some((index, end)) = previous.take()
                        && is_adjacent(gap(end, m.start))
                        && let Some(item) = evidence.get_mut(index)
                        && item.modifier.is_none()
                    {
                        item.weight = round_to(item.base_weight * pattern.weight, 3);
                        item.modifier = Some(Modifier::Intensifier);
                    }
                    intensifier = None;
                }
                EntryKind::Phrase(category) => {
                    let negated = negation
                        .filter(|n| category.is_emotional() && within_reach(gap(n.from, m.start)));
                    // A negated feeling is still talk about feelings ("not happy at school",
                    // 不害怕); only feelings left unsaid are routine.
                    let silenced = negated.map(|n| {
                        n.about_talk
                            || mentions_talk(gap(n.from, m.start))
                            || matches!(category, Category::FeelingsTalk | Category::Disclosure)
                    });
                    negation = match negated {
                        // "nothing about feeling lonely": the reach goes on from here.
                        Some(n) => Some(Negation {
                            from: m.end,
                            about_talk: silenced.unwrap_or(n.about_talk),
                            ..n
                        }),
                        // A routine phrase takes the negation: "didn't eat" is food talk.
                        None if category.is_routine() => None,
                        None => negation,
                    };
                    let boost = intensifier
                        .filter(|&(end, _)| is_adjacent(gap(end, m.start)))
                        .map(|(_, factor)| factor);
                    intensifier = None;

                    let base_weight = pattern.weight;
                    let (weight, modifier, counts_as) = match (negated, silenced, boost) {
                        (Some(n), Some(true), _) => (
                            round_to(base_weight * n.share, 3),
                            Some(Modifier::Negation),
                            Side::Routine,
                        ),
                        (Some(_), _, _) => (base_weight, Some(Modifier::Negation), category.side()),
                        (None, _, Some(factor)) => (
                            round_to(base_weight * factor, 3),
                            Some(Modifier::Intensifier),
                            category.side(),
                        ),
                        (None, _, None) => (base_weight, None, category.side()),
                    };
                    let (start, end) = folded.original_range(m.start, m.end);
                    evidence.push(Evidence {
                        phrase: original.get(start..end).unwrap_or_default().to_owned(),
                        category,
                        weight,
                        base_weight,
                        modifier,
                        counts_as,
                        start,
                        end,
                    });
                    previous = Some((evidence.len() - 1, m.end));
                }
            }
        }
        evidence
    }
}

impl Pattern {
    fn new(entry: &Entry) -> Self {
        let first = entry.phrase.bytes().next();
        let last = entry.phrase.bytes().last();
        Pattern {
            kind: entry.kind,
            weight: entry.weight,
            word_start: first.is_some_and(|b| b.is_ascii_alphanumeric()),
            word_end: last.is_some_and(|b| b.is_ascii_alphanumeric()),
        }
    }
}

/// Nothing but spaces between a modifier and its phrase.
fn is_adjacent(gap: &str) -> bool {
    gap.chars().all(char::is_whitespace)
}

/// Whether `gap` holds a word of talking.
fn mentions_talk(gap: &str) -> bool {
    TALK_WORDS_ZH.iter().any(|word| gap.contains(word))
        || latin_words(gap).any(|word| TALK_WORDS.contains(&word))
}

/// The last English word of `text`, if it ends with one (spaces aside).
fn last_word(text: &str) -> Option<&str> {
    latin_words(text.trim_end()).next_back().filter(|_| {
        text.trim_end()
            .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '\'')
    })
}

fn latin_words(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
}

/// Whether a negation reaches across `gap`: same clause, at most [`NEGATION_REACH`] words or
/// Chinese characters.
fn within_reach(gap: &str) -> bool {
    if CLAUSE_WORDS_ZH.iter().any(|word| gap.contains(word)) {
        return false;
    }
    let mut units = 0;
    for word in latin_words(gap) {
        if CLAUSE_WORDS.contains(&word) {
            return false;
        }
        units += 1;
    }
    for c in gap.chars() {
        if is_clause_break(c) {
            return false;
        }
        if is_cjk(c) || (!c.is_ascii() && !c.is_whitespace()) {
            units += 1;
        }
    }
    units <= NEGATION_REACH
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '('
            | ')'
            | '"'
            | '\n'
            | '\r'
            | '~'
            | '。'
            | '、'
            | '，'
            | '；'
            | '：'
            | '！'
            | '？'
            | '…'
            | '“'
            | '”'
            | '「'
            | '」'
            | '《'
            | '》'
            | '—'
            | '～'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_reach_stops_at_clause_ends() {
        let cases = [
            (" ", true),
            (" say ", true),
            (" talk about anything ", true),
            (" talk about anything else ", false),
            (", i ", false),
            (" eat and ", false),
            ("说", true),
            ("跟我说", true),
            ("跟我们说", false),
            ("，", false),
            ("但", false),
        ];
        for (gap, expected) in cases {
            assert_eq!(within_reach(gap), expected, "{gap:?}");
        }
    }
}
