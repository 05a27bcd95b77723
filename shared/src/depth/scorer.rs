//! The depth scorer: the lexicon compiled into one Aho-Corasick automaton, the walk over
//! the matches that applies negation and intensifiers, then the constructions over the cue
//! spans of each sentence and the long-note rule (rules in the parent module's doc).

use std::cell::RefCell;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::constructions::{
    COVER_SHARE, Construction, Cue, CueHit, CueSet, INSTRUCTION_BLOCKERS, INSTRUCTION_GROUPS,
    INSTRUCTION_SHARE, RULES, WHO, could_hold, match_form, possible,
};
use super::lexicon::{EMBEDDED, EMBEDDED_EMOTICONS, Entry, EntryKind, Lexicon, LexiconError};
use super::normalize::{Folded, Folder, is_cjk};
use super::{
    Category, DepthResult, EMOTIONAL_FROM, Evidence, MIXED_MIN_SHARE, Modifier, Side, round_to,
};

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
    cues: CueSet,
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
    cues: Vec<CueHit>,
    /// Folded-text ranges of the evidence items, parallel to the evidence.
    spans: Vec<(usize, usize)>,
    /// Folded-text ranges of the sentences.
    sentences: Vec<(usize, usize)>,
    /// The parts of the construction being matched.
    parts: Vec<CueHit>,
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
    /// The scorer for the lexicon compiled into kinthread, with its table of chat emoticons.
    pub fn embedded() -> Result<Self, LexiconError> {
        Self::from_tsvs(EMBEDDED, EMBEDDED_EMOTICONS)
    }

    /// A scorer for a lexicon in the TSV format of `shared/lexicon/depth.tsv`.
    pub fn from_tsv(tsv: &str) -> Result<Self, LexiconError> {
        Self::from_tsvs(tsv, "")
    }

    /// A scorer for a lexicon and a table of bracket emoticons in the format of
    /// `shared/lexicon/chat-emoticons.tsv`.
    pub fn from_tsvs(tsv: &str, emoticons: &str) -> Result<Self, LexiconError> {
        let folder = Folder::new();
        let fold = |phrase: &str| folder.fold(phrase).text;
        let mut lexicon = Lexicon::parse(tsv, fold)?;
        lexicon.add_emoticons(emoticons, fold)?;
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
        self.select(&scratch.folded.text, &mut scratch.found, &mut scratch.cues);
        let mut evidence = self.weigh(text, &scratch.folded, &scratch.found, &mut scratch.spans);
        let present = union_of(&scratch.cues);
        let negated_feeling = evidence.iter().any(|item| {
            item.category.is_emotional()
                && (item.modifier == Some(Modifier::Negation) || item.category == Category::Comfort)
        });
        let constructions = possible(present, negated_feeling);
        if constructions || needs_long_note_rule(&evidence) {
            sentences(&scratch.folded.text, &mut scratch.sentences);
            if constructions {
                apply_constructions(text, scratch, &mut evidence);
            }
            long_note_rule(text, scratch, &mut evidence);
            // Construction evidence joins the phrases in text order.
            evidence.sort_by_key(|item| item.start);
        }
        DepthResult::from_evidence(evidence, self.version.clone())
    }

    /// All phrases on valid boundaries, then leftmost first and, among those starting at the
    /// same place, the longest, without overlaps. Cue-only entries are chosen apart, so a cue
    /// never hides a phrase: all of them except those inside a longer cue. Phrases that are
    /// cues too are also listed in `cues`.
    fn select(&self, folded: &str, found: &mut Vec<Found>, cues: &mut Vec<CueHit>) {
        let bytes = folded.as_bytes();
        let is_word = |at: Option<&u8>| at.is_some_and(u8::is_ascii_alphanumeric);
        found.clear();
        cues.clear();
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
            if shape.kind == EntryKind::Cue {
                cues.push(CueHit {
                    start: m.start(),
                    end: m.end(),
                    cues: shape.cues,
                });
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
        let patterns = &self.patterns;
        found.retain(|m| {
            let keep = m.start >= cursor;
            if keep {
                cursor = m.end;
                if let Some(shape) = patterns.get(m.pattern).filter(|p| !p.cues.is_empty()) {
                    cues.push(CueHit {
                        start: m.start,
                        end: m.end,
                        cues: shape.cues,
                    });
                }
            }
            keep
        });
        if cues.is_empty() {
            return;
        }
        cues.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        // Cues may overlap (都在 and 在等 in 都在等); one inside a longer cue is not kept
        // (不管我 in 不管我怎么), unless it names someone (你 in 你连).
        let mut reach = 0;
        cues.retain(|hit| {
            let keep = hit.end > reach || WHO.contains(hit.cues);
            reach = reach.max(hit.end);
            keep
        });
    }

    /// Applies modifiers and turns phrase matches into evidence; `spans` gets the folded
    /// range of each item.
    fn weigh(
        &self,
        original: &str,
        folded: &Folded,
        found: &[Found],
        spans: &mut Vec<(usize, usize)>,
    ) -> Vec<Evidence> {
        spans.clear();
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
                // Cue-only entries never reach here (see `select`).
                EntryKind::Cue => {}
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
                        construction: None,
                        parts: Vec::new(),
                    });
                    spans.push((m.start, m.end));
                    previous = Some((evidence.len() - 1, m.end));
                }
            }
        }
        evidence
    }
}

/// From this many sentences a text is a long note for the long-note rule.
const LONG_NOTE_SENTENCES: usize = 3;

/// Whether the long-note rule may apply: both sides have evidence and the routine side holds
/// the larger share.
fn needs_long_note_rule(evidence: &[Evidence]) -> bool {
    let (routine, emotional) = sides(evidence);
    emotional > 0.0 && routine > emotional
}

/// The routine and emotional weight of `evidence`.
fn sides<'e>(evidence: impl IntoIterator<Item = &'e Evidence>) -> (f64, f64) {
    let (mut routine, mut emotional) = (0.0, 0.0);
    for item in evidence {
        match item.counts_as {
            Side::Routine => routine += item.weight,
            Side::Emotional => emotional += item.weight,
        }
    }
    (routine, emotional)
}

/// Splits the folded text into sentences: at `.`, `!`, `?`, `;`, `。`, `…` and line breaks
/// (full-width marks are already folded to ASCII). Ranges without letters are skipped.
fn sentences(folded: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    for (at, c) in folded.char_indices() {
        if matches!(c, '.' | '!' | '?' | ';' | '\n' | '\r' | '。' | '…') {
            push_sentence(folded, start, at, out);
            start = at + c.len_utf8();
        }
    }
    push_sentence(folded, start, folded.len(), out);
}

fn push_sentence(folded: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let has_content = folded
        .get(start..end)
        .is_some_and(|s| s.chars().any(|c| !c.is_whitespace() && !is_clause_break(c)));
    if has_content {
        out.push((start, end));
    }
}

/// Every cue of `hits`.
fn union_of(hits: &[CueHit]) -> CueSet {
    hits.iter()
        .fold(CueSet::EMPTY, |present, hit| present.union(hit.cues))
}

/// The cue hits that lie within `from..to`.
fn hits_within(cues: &[CueHit], from: usize, to: usize) -> &[CueHit] {
    let first = cues.partition_point(|hit| hit.start < from);
    let last = cues.partition_point(|hit| hit.start < to);
    let hits = cues.get(first..last).unwrap_or_default();
    let inside = hits.iter().take_while(|hit| hit.end <= to).count();
    hits.get(..inside).unwrap_or_default()
}

/// The text as written for the folded range `start..end`, and its original offsets.
fn quote<'t>(
    original: &'t str,
    folded: &Folded,
    start: usize,
    end: usize,
) -> (&'t str, usize, usize) {
    let (start, end) = folded.original_range(start, end);
    (original.get(start..end).unwrap_or_default(), start, end)
}

/// Finds the constructions of each sentence (or of a sentence and the one before it) and
/// adds their evidence; routine phrases in their sentences become their cover, and feeling
/// words inside a routine instruction count as routine (see the module doc).
fn apply_constructions(original: &str, scratch: &mut Scratch, evidence: &mut Vec<Evidence>) {
    let Scratch {
        folded,
        cues,
        spans,
        sentences,
        parts,
        ..
    } = scratch;
    // (sentence index, construction) of what fired, so a pair window does not repeat it.
    let mut fired: Vec<(usize, Construction)> = Vec::new();
    for (index, &(sentence_start, sentence_end)) in sentences.iter().enumerate() {
        let alone = hits_within(cues, sentence_start, sentence_end);
        if alone.is_empty() {
            continue;
        }
        let previous = index
            .checked_sub(1)
            .and_then(|i| sentences.get(i))
            .map(|&(start, _)| start);
        let mut emotional_here = false;
        let here = union_of(alone);
        let pair = previous.map_or(&[][..], |start| hits_within(cues, start, sentence_end));
        // The pair window holds this sentence's cues too.
        let with_previous = if previous.is_some() {
            union_of(pair)
        } else {
            here
        };
        for rule in RULES {
            if !rule.could_hold(with_previous) {
                continue;
            }
            let mut window = None;
            for form in rule.forms.iter().filter(|form| could_hold(form, here)) {
                if match_form(form.groups, form.blockers, form.ordered, alone, parts) {
                    window = Some(sentence_start);
                    break;
                }
            }
            let fired_before = fired
                .iter()
                .any(|&(i, c)| i + 1 == index && c == rule.construction);
            if let (None, Some(previous_start), false) = (window, previous, fired_before) {
                for form in rule.forms {
                    if match_form(form.groups, form.blockers, form.ordered, pair, parts)
                        && parts.iter().any(|hit| hit.start >= sentence_start)
                    {
                        window = Some(previous_start);
                        break;
                    }
                }
            }
            let Some(window_start) = window else {
                continue;
            };
            fired.push((index, rule.construction));
            emotional_here = true;
            parts.sort_by_key(|hit| hit.start);
            parts.dedup_by_key(|hit| hit.start);
            let first = parts.first().map_or(sentence_start, |hit| hit.start);
            let last = parts
                .iter()
                .map(|hit| hit.end)
                .max()
                .unwrap_or(sentence_end);
            let (phrase, start, end) = quote(original, folded, first, last);
            let quoted = parts
                .iter()
                .map(|hit| quote(original, folded, hit.start, hit.end).0.to_owned())
                .collect();
            // The routine words of the construction's sentences are its cover.
            for (item, &(item_start, _)) in evidence.iter_mut().zip(spans.iter()) {
                if (window_start..sentence_end).contains(&item_start)
                    && item.category.is_routine()
                    && item.construction.is_none()
                {
                    item.weight = round_to(item.weight * COVER_SHARE, 3);
                    item.construction = Some(rule.construction);
                }
            }
            evidence.push(Evidence {
                phrase: phrase.to_owned(),
                category: rule.category,
                weight: rule.weight,
                base_weight: rule.weight,
                modifier: None,
                counts_as: Side::Emotional,
                start,
                end,
                construction: Some(rule.construction),
                parts: quoted,
            });
            spans.push((first, last));
        }
        if !emotional_here {
            instruction_rule(
                original,
                folded,
                alone,
                (sentence_start, sentence_end),
                spans,
                evidence,
                parts,
            );
        }
    }
}

/// A routine instruction that names a feeling ("eat properly so grandma won't fret", 好好吃饭
/// 省得奶奶担心): the feeling words after the purpose cue, in its sentence, count as routine.
fn instruction_rule(
    original: &str,
    folded: &Folded,
    hits: &[CueHit],
    (sentence_start, sentence_end): (usize, usize),
    spans: &[(usize, usize)],
    evidence: &mut [Evidence],
    parts: &mut Vec<CueHit>,
) {
    if !match_form(INSTRUCTION_GROUPS, INSTRUCTION_BLOCKERS, false, hits, parts) {
        return;
    }
    let Some(purpose) = parts.first().copied() else {
        return;
    };
    let in_sentence = |start: usize| (sentence_start..sentence_end).contains(&start);
    // A weak purpose cue ("so") only covers a negated feeling ("so grandma won't fret") or
    // comfort ("so I don't worry"), not "so worried".
    let weak = purpose.cues.meets(CueSet::of(&[Cue::So]));
    let quoted: Vec<String> = parts
        .iter()
        .map(|hit| quote(original, folded, hit.start, hit.end).0.to_owned())
        .collect();
    for (item, &(start, _)) in evidence.iter_mut().zip(spans) {
        let after_purpose = start >= purpose.start && in_sentence(start);
        let fits = !weak
            || item.modifier == Some(Modifier::Negation)
            || item.category == Category::Comfort;
        if after_purpose && fits && item.counts_as == Side::Emotional && item.construction.is_none()
        {
            item.weight = round_to(item.base_weight * INSTRUCTION_SHARE, 3);
            item.counts_as = Side::Routine;
            item.construction = Some(Construction::CareInstruction);
            item.parts.clone_from(&quoted);
        }
    }
}

/// The long-note rule: when a text of [`LONG_NOTE_SENTENCES`] or more sentences is mostly
/// routine but one sentence is emotional on its own, that sentence is quoted as one more
/// piece of evidence, weighing just enough to bring the emotional side to
/// [`MIXED_MIN_SHARE`] (0 when it holds that share already): the note shows as mixed.
fn long_note_rule(original: &str, scratch: &mut Scratch, evidence: &mut Vec<Evidence>) {
    if !needs_long_note_rule(evidence) || scratch.sentences.len() < LONG_NOTE_SENTENCES {
        return;
    }
    let Scratch {
        folded,
        spans,
        sentences,
        ..
    } = scratch;
    let in_range = |(from, to): (usize, usize)| {
        evidence
            .iter()
            .zip(spans.iter())
            .filter(move |(_, span)| (from..to).contains(&span.0))
            .map(|(item, _)| item)
    };
    let with_evidence = sentences
        .iter()
        .filter(|&&sentence| in_range(sentence).next().is_some())
        .count();
    if with_evidence < 2 {
        return;
    }
    // The sentence with the most emotional weight among those emotional on their own.
    let mut best: Option<((usize, usize), f64)> = None;
    for &sentence in sentences.iter() {
        let (routine, emotional) = sides(in_range(sentence));
        let score = 100.0 * (emotional + super::PRIOR_WEIGHT * super::NEUTRAL_SCORE / 100.0)
            / (emotional + routine + super::PRIOR_WEIGHT);
        if score >= EMOTIONAL_FROM && best.is_none_or(|(_, weight)| emotional > weight) {
            best = Some((sentence, emotional));
        }
    }
    let Some((sentence, _)) = best else {
        return;
    };
    let strongest = in_range(sentence)
        .filter(|item| item.counts_as == Side::Emotional)
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map_or(Category::Disclosure, |item| item.category);
    let quoted: Vec<String> = in_range(sentence)
        .filter(|item| item.counts_as == Side::Emotional)
        .map(|item| item.phrase.clone())
        .collect();
    let (routine, emotional) = sides(evidence.iter());
    // The least weight, in thousandths, that brings the emotional share to the mixed share;
    // 0 when it is there already (the item then only quotes the sentence).
    let needed = routine * MIXED_MIN_SHARE / (1.0 - MIXED_MIN_SHARE) - emotional;
    let mut weight = ((needed * 1000.0).ceil() / 1000.0).max(0.0);
    while (emotional + weight) / (routine + emotional + weight) < MIXED_MIN_SHARE {
        weight = round_to(weight + 0.001, 3);
    }
    let (from, to) = sentence;
    let trimmed_start = from
        + (folded.text.get(from..to).unwrap_or_default().len()
            - folded
                .text
                .get(from..to)
                .unwrap_or_default()
                .trim_start()
                .len());
    let trimmed_end = from
        + folded
            .text
            .get(from..to)
            .unwrap_or_default()
            .trim_end()
            .len();
    let (phrase, start, end) = quote(original, folded, trimmed_start, trimmed_end);
    evidence.push(Evidence {
        phrase: phrase.to_owned(),
        category: strongest,
        weight,
        base_weight: weight,
        modifier: None,
        counts_as: Side::Emotional,
        start,
        end,
        construction: Some(Construction::EmotionalSentence),
        parts: quoted,
    });
    spans.push((trimmed_start, trimmed_end));
}

impl Pattern {
    fn new(entry: &Entry) -> Self {
        let first = entry.phrase.bytes().next();
        let last = entry.phrase.bytes().last();
        Pattern {
            kind: entry.kind,
            weight: entry.weight,
            cues: entry.cues,
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
