//! Reading the depth lexicon (`shared/lexicon/depth.tsv`): entries, their kind and weight.
//!
//! The file format is described at the top of the file itself. Parsing is strict: a lexicon
//! with a bad line is refused as a whole, with the line number, rather than scoring with
//! part of it.
//!
//! The table of chat-app bracket emoticons (`shared/lexicon/chat-emoticons.tsv`) is read
//! here too: each code, in Chinese and in English, becomes one more entry.

use std::str::FromStr;

use super::Category;
use super::constructions::{Cue, CueSet};

/// The lexicon that ships with kinthread.
pub(crate) const EMBEDDED: &str = include_str!("../../lexicon/depth.tsv");

/// The bracket emoticons of Chinese chat apps that ship with kinthread.
pub(crate) const EMBEDDED_EMOTICONS: &str = include_str!("../../lexicon/chat-emoticons.tsv");

/// A lexicon file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LexiconError {
    #[error("lexicon line {line}: {message}")]
    BadLine { line: usize, message: String },
    #[error("lexicon line {line}: `{phrase}` is already listed on line {first_line}")]
    Duplicate {
        line: usize,
        first_line: usize,
        phrase: String,
    },
    #[error("the lexicon has no `# version:` line")]
    MissingVersion,
    #[error("the lexicon has no entries")]
    Empty,
    #[error("cannot build the lexicon matcher: {0}")]
    Matcher(String),
}

/// What a lexicon entry does when it matches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum EntryKind {
    /// Topical evidence for one category.
    Phrase(Category),
    /// Turns following emotional phrases of the same clause into routine evidence.
    Negation,
    /// Multiplies the weight of the phrase right after it.
    Intensifier,
    /// Multiplies the weight of the phrase right before it.
    IntensifierAfter,
    /// Matches only to stop its shorter parts from matching.
    Block,
    /// Only a cue of the constructions (its [`Entry::cues`]); no weight of its own.
    Cue,
}

impl EntryKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "negation" => Some(EntryKind::Negation),
            "intensifier" => Some(EntryKind::Intensifier),
            "intensifier_after" => Some(EntryKind::IntensifierAfter),
            "block" => Some(EntryKind::Block),
            other => Category::from_str(other).ok().map(EntryKind::Phrase),
        }
    }

    /// `kind`, `kind+@cue+@cue` or `@cue+@cue` (a cue only).
    fn parse_with_cues(s: &str) -> Result<(Self, CueSet), String> {
        let mut parts = s.split('+');
        let first = parts.next().unwrap_or_default();
        let mut cues = CueSet::EMPTY;
        let kind = if first.starts_with('@') {
            cues = cues.with(parse_cue(first)?);
            EntryKind::Cue
        } else {
            Self::parse(first).ok_or_else(|| format!("unknown category `{first}`"))?
        };
        for part in parts {
            cues = cues.with(parse_cue(part)?);
        }
        Ok((kind, cues))
    }
}

fn parse_cue(s: &str) -> Result<Cue, String> {
    s.strip_prefix('@')
        .and_then(|name| Cue::from_str(name).ok())
        .ok_or_else(|| format!("unknown cue `{s}`; cues are written @name"))
}

/// One line of the lexicon, its phrase already folded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) phrase: String,
    pub(crate) kind: EntryKind,
    pub(crate) weight: f64,
    /// Whether the phrase is Chinese, which sets how far a negation reaches.
    pub(crate) chinese: bool,
    /// The construction cues the phrase gives (empty for most phrases).
    pub(crate) cues: CueSet,
    pub(crate) line: usize,
}

/// A parsed lexicon: its version and its entries in file order.
#[derive(Clone, Debug)]
pub(crate) struct Lexicon {
    pub(crate) version: String,
    pub(crate) entries: Vec<Entry>,
}

const LANGS: [&str; 3] = ["en", "zh", "emoji"];

impl Lexicon {
    /// Parses the TSV text; `fold` is applied to every phrase, as it is to scored texts.
    pub(crate) fn parse(text: &str, fold: impl Fn(&str) -> String) -> Result<Self, LexiconError> {
        let mut version = None;
        let mut entries: Vec<Entry> = Vec::new();
        let mut first_seen: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let bad = |message: String| LexiconError::BadLine { line, message };
            if let Some(comment) = raw.strip_prefix('#') {
                if let Some(v) = comment.trim().strip_prefix("version:") {
                    version = Some(v.trim().to_owned());
                }
                continue;
            }
            if raw.trim().is_empty() || raw.starts_with("phrase\t") {
                continue;
            }
            let columns: Vec<&str> = raw.split('\t').collect();
            let [phrase, lang, category, weight, ..] = columns[..] else {
                return Err(bad(format!(
                    "expected phrase, lang, category, weight and example separated by tabs, \
                     found {} column(s)",
                    columns.len()
                )));
            };
            if !LANGS.contains(&lang) {
                return Err(bad(format!(
                    "unknown lang `{lang}`; expected en, zh or emoji"
                )));
            }
            let (kind, cues) = EntryKind::parse_with_cues(category).map_err(bad)?;
            let weight: f64 = weight
                .parse()
                .map_err(|_| bad(format!("weight `{weight}` is not a number")))?;
            check_weight(kind, weight).map_err(bad)?;
            let folded = fold(phrase.trim());
            if folded.is_empty() {
                return Err(bad("empty phrase".to_owned()));
            }
            if let Some(&first_line) = first_seen.get(&folded) {
                return Err(LexiconError::Duplicate {
                    line,
                    first_line,
                    phrase: phrase.to_owned(),
                });
            }
            first_seen.insert(folded.clone(), line);
            entries.push(Entry {
                chinese: lang == "zh",
                phrase: folded,
                kind,
                weight,
                cues,
                line,
            });
        }
        let version = version.ok_or(LexiconError::MissingVersion)?;
        if entries.is_empty() {
            return Err(LexiconError::Empty);
        }
        Ok(Lexicon { version, entries })
    }

    /// Adds the bracket emoticons of `table` (`chat-emoticons.tsv`: Chinese code, English
    /// code or `-`, emotional yes/no, category, weight, note): both codes of a line become
    /// entries of its category. A code already listed is refused like any duplicate.
    pub(crate) fn add_emoticons(
        &mut self,
        table: &str,
        fold: impl Fn(&str) -> String,
    ) -> Result<(), LexiconError> {
        let mut seen: std::collections::HashMap<String, usize> = self
            .entries
            .iter()
            .map(|entry| (entry.phrase.clone(), entry.line))
            .collect();
        for (index, raw) in table.lines().enumerate() {
            // Lines of the emoticon table are numbered after the lexicon's, as if appended.
            let line = index + 1;
            let bad = |message: String| LexiconError::BadLine {
                line,
                message: format!("chat-emoticons.tsv: {message}"),
            };
            if raw.starts_with('#') || raw.trim().is_empty() || raw.starts_with("zh\t") {
                continue;
            }
            let columns: Vec<&str> = raw.split('\t').collect();
            let [zh, en, emotional, category, weight, ..] = columns[..] else {
                return Err(bad(format!(
                    "expected zh, en, emotional, category, weight and note, found {} column(s)",
                    columns.len()
                )));
            };
            let kind = EntryKind::parse(category)
                .ok_or_else(|| bad(format!("unknown category `{category}`")))?;
            let weight: f64 = weight
                .parse()
                .map_err(|_| bad(format!("weight `{weight}` is not a number")))?;
            check_weight(kind, weight).map_err(bad)?;
            let is_emotional = matches!(kind, EntryKind::Phrase(c) if c.is_emotional());
            match emotional {
                "yes" if is_emotional => {}
                "no" if !is_emotional => {}
                "yes" | "no" => {
                    return Err(bad(format!(
                        "`{zh}` is marked emotional={emotional} but its category is {category}"
                    )));
                }
                other => return Err(bad(format!("emotional must be yes or no, not `{other}`"))),
            }
            for code in [zh, en] {
                let code = code.trim();
                if code == "-" {
                    continue;
                }
                if !(code.starts_with('[') && code.ends_with(']') && code.len() > 2) {
                    return Err(bad(format!("`{code}` is not a bracket code like [大哭]")));
                }
                let folded = fold(code);
                if let Some(&first_line) = seen.get(&folded) {
                    return Err(LexiconError::Duplicate {
                        line,
                        first_line,
                        phrase: code.to_owned(),
                    });
                }
                seen.insert(folded.clone(), line);
                self.entries.push(Entry {
                    phrase: folded,
                    kind,
                    weight,
                    chinese: false,
                    cues: CueSet::EMPTY,
                    line,
                });
            }
        }
        Ok(())
    }
}

fn check_weight(kind: EntryKind, weight: f64) -> Result<(), String> {
    let ok = match kind {
        EntryKind::Phrase(_) => weight > 0.0 && weight <= 5.0,
        EntryKind::Negation => (0.0..=1.0).contains(&weight),
        EntryKind::Intensifier | EntryKind::IntensifierAfter => (1.0..=3.0).contains(&weight),
        EntryKind::Block | EntryKind::Cue => weight == 0.0,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "weight {weight} is out of range for {kind:?} (phrases: (0, 5]; negation: [0, 1]; \
             intensifiers: [1, 3]; block and cues: 0)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Lexicon, LexiconError> {
        Lexicon::parse(text, str::to_lowercase)
    }

    #[test]
    fn reads_version_entries_and_modifiers() -> Result<(), LexiconError> {
        let lexicon = parse(
            "# version: test-1\nphrase\tlang\tcategory\tweight\texample\n\
             Miss You\ten\tlonging\t2\tI miss you\nnot\ten\tnegation\t0.5\t\n",
        )?;
        assert_eq!(lexicon.version, "test-1");
        assert_eq!(lexicon.entries.len(), 2);
        assert_eq!(lexicon.entries[0].phrase, "miss you");
        assert_eq!(
            lexicon.entries[0].kind,
            EntryKind::Phrase(Category::Longing)
        );
        assert_eq!(lexicon.entries[1].kind, EntryKind::Negation);
        Ok(())
    }

    #[test]
    fn reads_cues_alone_and_after_a_category() -> Result<(), LexiconError> {
        let lexicon = parse(
            "# version: v\nfever\ten\thealth_logistics+@trouble\t1\t\n\
             don't tell\ten\t@secret\t0\t\n",
        )?;
        let [fever, tell] = &lexicon.entries[..] else {
            panic!("two entries: {:?}", lexicon.entries);
        };
        assert_eq!(fever.kind, EntryKind::Phrase(Category::HealthLogistics));
        assert_eq!(fever.cues, CueSet::of(&[Cue::Trouble]));
        assert_eq!(tell.kind, EntryKind::Cue);
        assert_eq!(tell.cues, CueSet::of(&[Cue::Secret]));
        Ok(())
    }

    #[test]
    fn emoticon_table_is_checked_line_by_line() -> Result<(), LexiconError> {
        let mut lexicon = parse("# version: v\nsad\ten\tsadness_loneliness\t1\t\n")?;
        lexicon.add_emoticons(
            "zh\ten\temotional\tcategory\tweight\tnote\n\
             [大哭]\t[Sob]\tyes\tsadness_loneliness\t2\tcrying\n\
             [强]\t[ThumbsUp]\tno\tblock\t0\tthumbs-up\n\
             [OK]\t-\tno\tblock\t0\tOK\n",
            str::to_lowercase,
        )?;
        let phrases: Vec<&str> = lexicon.entries.iter().map(|e| e.phrase.as_str()).collect();
        assert_eq!(
            phrases,
            ["sad", "[大哭]", "[sob]", "[强]", "[thumbsup]", "[ok]"]
        );
        let cases = [
            (
                "[强]\t[ThumbsUp]\tyes\tblock\t0\t\n",
                "marked emotional=yes",
            ),
            (
                "[大哭]\t[Sob]\tno\tsadness_loneliness\t2\t\n",
                "marked emotional=no",
            ),
            (
                "[大哭]\t[Sob]\tmaybe\tsadness_loneliness\t2\t\n",
                "yes or no",
            ),
            (
                "大哭\t[Sob]\tyes\tsadness_loneliness\t2\t\n",
                "not a bracket code",
            ),
            ("[大哭]\t[Sob]\n", "found 2 column"),
        ];
        for (table, expected) in cases {
            let mut lexicon = parse("# version: v\nsad\ten\tsadness_loneliness\t1\t\n")?;
            let message = lexicon
                .add_emoticons(table, str::to_lowercase)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.contains(expected), "{table:?}: {message}");
        }
        Ok(())
    }

    #[test]
    fn refuses_bad_files_with_the_line() {
        let cases = [
            (
                "# version: v\nsad\ten\tsadness\t1\t\n",
                "line 2: unknown category",
            ),
            (
                "# version: v\nsad\tfr\tsadness_loneliness\t1\t\n",
                "unknown lang",
            ),
            (
                "# version: v\nsad\ten\tsadness_loneliness\tx\t\n",
                "not a number",
            ),
            (
                "# version: v\nsad\ten\tsadness_loneliness\t0\t\n",
                "out of range",
            ),
            (
                "# version: v\nvery\ten\tintensifier\t0.5\t\n",
                "out of range",
            ),
            ("# version: v\nsad sad\n", "found 1 column"),
            (
                "# version: v\nSad\ten\tsadness_loneliness\t1\t\nsad\ten\tsadness_loneliness\t1\t\n",
                "already listed on line 2",
            ),
            ("sad\ten\tsadness_loneliness\t1\t\n", "no `# version:` line"),
            ("# version: v\n", "no entries"),
            (
                "# version: v\nhid\ten\t@nosuch\t0\t\n",
                "unknown cue `@nosuch`",
            ),
            (
                "# version: v\nhid\ten\tsecret\t0\t\n",
                "unknown category `secret`",
            ),
            ("# version: v\nhid\ten\t@secret\t1\t\n", "out of range"),
            (
                "# version: v\nhid\ten\tfood+secret\t1\t\n",
                "cues are written @name",
            ),
        ];
        for (text, expected) in cases {
            let message = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }
}
