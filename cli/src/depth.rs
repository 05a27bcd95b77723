//! `kinthread depth ...`: offline scoring of notes and texts (SPEC section 5); no server.
//!
//! `kinthread depth score [FILE]` reads UTF-8 text, one item per line, from FILE or standard
//! input and prints one result per line, in input order: a JSON object with `--json`, else a
//! table row. Empty lines are items too (they score neutral).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use kinthread_shared::DepthLevel;
use kinthread_shared::depth::{self, DepthResult, Evidence, Modifier, Side};

/// `kinthread depth`: the conversation-depth score, offline.
#[derive(Debug, clap::Args)]
pub struct DepthCommand {
    #[command(subcommand)]
    pub action: DepthAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum DepthAction {
    /// Score texts, one per line, from FILE or standard input: routine (under 50) versus
    /// emotional (50 and over) talk, with the phrases that moved the score.
    Score(ScoreArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// UTF-8 text file, one item per line; standard input when absent or `-`.
    pub file: Option<PathBuf>,
    /// Print exactly one JSON object per input line, in input order.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `kinthread depth` command.
pub fn run(command: DepthCommand) -> anyhow::Result<ExitCode> {
    match command.action {
        DepthAction::Score(args) => score(&args),
    }
}

fn score(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let format = if args.json {
        Format::Json
    } else {
        Format::Table
    };
    let stdout = io::stdout();
    let out = BufWriter::new(stdout.lock());
    let outcome = match args.file.as_deref() {
        Some(path) if path.as_os_str() != "-" => {
            let file =
                File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            score_lines(BufReader::new(file), out, format)
        }
        _ => score_lines(io::stdin().lock(), out, format),
    };
    match outcome {
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A reader that stops early (`| head`) is not an error of ours.
        Err(error) if is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Json,
    Table,
}

/// Counts of the levels seen, for the table's closing line.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    routine: usize,
    mixed: usize,
    emotional: usize,
}

/// Scores every line of `input` and writes the results to `out`.
fn score_lines(
    mut input: impl BufRead,
    mut out: impl Write,
    format: Format,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut buffer = Vec::new();
    let mut json = Vec::new();
    let mut line_number = 0_usize;
    if format == Format::Table {
        writeln!(
            out,
            "{:>5}  {:>5}  {:<9}  {:>7}  {:>9}  {:<TEXT_COLUMNS$}  evidence (+ emotional, - routine)",
            "line", "score", "level", "routine", "emotional", "text"
        )?;
    }
    loop {
        buffer.clear();
        let read = input
            .read_until(b'\n', &mut buffer)
            .with_context(|| format!("cannot read line {}", line_number + 1))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        let mut line = buffer.as_slice();
        line = line.strip_suffix(b"\n").unwrap_or(line);
        line = line.strip_suffix(b"\r").unwrap_or(line);
        if line_number == 1 {
            line = line.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(line);
        }
        let text = match std::str::from_utf8(line) {
            Ok(text) => text,
            Err(error) => {
                out.flush()?;
                bail!(
                    "line {line_number} is not valid UTF-8 (invalid byte at position {})",
                    error.valid_up_to() + 1
                );
            }
        };
        let result = depth::score(text);
        match result.level {
            DepthLevel::Routine => tally.routine += 1,
            DepthLevel::Mixed => tally.mixed += 1,
            DepthLevel::Emotional => tally.emotional += 1,
        }
        match format {
            Format::Json => {
                // Serialised apart from the output, so that a write error stays an io::Error
                // (serde_json would hide a broken pipe inside its own error).
                json.clear();
                serde_json::to_writer(&mut json, &result)?;
                json.push(b'\n');
                out.write_all(&json)?;
            }
            Format::Table => write_row(&mut out, line_number, text, &result)?,
        }
    }
    if format == Format::Table {
        writeln!(
            out,
            "{line_number} text(s): {} routine, {} mixed, {} emotional (lexicon {})",
            tally.routine,
            tally.mixed,
            tally.emotional,
            depth::LEXICON_VERSION
        )?;
    }
    out.flush()?;
    Ok(tally)
}

/// Display columns for the text excerpt in the table.
const TEXT_COLUMNS: usize = 30;

fn write_row(
    out: &mut impl Write,
    line: usize,
    text: &str,
    result: &DepthResult,
) -> io::Result<()> {
    let evidence = if result.evidence.is_empty() {
        "-".to_owned()
    } else {
        result
            .evidence
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "{line:>5}  {:>5.1}  {:<9}  {:>7.2}  {:>9.2}  {}  {evidence}",
        result.score,
        result.level.as_str(),
        result.routine_share,
        result.emotional_share,
        excerpt(text, TEXT_COLUMNS),
    )
}

/// `想你 longing +3 (intensified)`: the phrase, its category and what it counted.
fn describe(item: &Evidence) -> String {
    let sign = match item.counts_as {
        Side::Emotional => '+',
        Side::Routine => '-',
    };
    let note = match item.modifier {
        Some(Modifier::Negation) => " (negated)",
        Some(Modifier::Intensifier) => " (intensified)",
        None => "",
    };
    format!(
        "{} {} {sign}{}{note}",
        item.phrase, item.category, item.weight
    )
}

/// The start of `text`, cut and padded to `columns` terminal columns (Chinese characters
/// and emoji take two).
fn excerpt(text: &str, columns: usize) -> String {
    let mut shown = String::new();
    let mut width = 0;
    let flat = text.replace('\t', " ");
    let mut chars = flat.chars().peekable();
    while let Some(c) = chars.next() {
        let w = display_width(c);
        let room_for_ellipsis = if chars.peek().is_some() { 1 } else { 0 };
        if width + w + room_for_ellipsis > columns {
            shown.push('…');
            width += 1;
            break;
        }
        shown.push(c);
        width += w;
    }
    shown.extend(std::iter::repeat_n(' ', columns.saturating_sub(width)));
    shown
}

fn display_width(c: char) -> usize {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io_error| io_error.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(input: &[u8], format: Format) -> (anyhow::Result<Tally>, String) {
        let mut out = Vec::new();
        let outcome = score_lines(input, &mut out, format);
        (outcome, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn json_prints_one_object_per_line_in_order_empty_lines_included() -> anyhow::Result<()> {
        let input = "I miss you so much\n\r\n吃饭了吗？钱够不够？\n\ncalled this evening";
        let (outcome, out) = run_lines(input.as_bytes(), Format::Json);
        let tally = outcome?;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        let objects = lines
            .iter()
            .map(|line| serde_json::from_str::<serde_json::Value>(line))
            .collect::<Result<Vec<_>, _>>()?;
        for object in &objects {
            for field in [
                "score",
                "level",
                "routine_share",
                "emotional_share",
                "evidence",
            ] {
                assert!(object.get(field).is_some(), "{field} missing in {object}");
            }
            assert_eq!(object["lexicon_version"], depth::LEXICON_VERSION);
        }
        assert_eq!(objects[0]["level"], "emotional");
        assert_eq!(objects[1]["score"], depth::NEUTRAL_SCORE);
        assert_eq!(objects[2]["level"], "routine");
        assert_eq!(objects[3]["evidence"], serde_json::json!([]));
        assert_eq!(objects[4]["score"], depth::NEUTRAL_SCORE);
        assert_eq!(
            tally,
            Tally {
                routine: 4,
                mixed: 0,
                emotional: 1
            }
        );
        Ok(())
    }

    #[test]
    fn empty_input_prints_nothing_in_json() -> anyhow::Result<()> {
        let (outcome, out) = run_lines(b"", Format::Json);
        outcome?;
        assert_eq!(out, "");
        Ok(())
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let (outcome, out) = run_lines(b"fine\nbad \xff byte\nnever read\n", Format::Json);
        let message = outcome.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "line 2 is not valid UTF-8 (invalid byte at position 5)"
        );
        // The line before the bad one was already answered.
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_text() -> anyhow::Result<()> {
        let (outcome, out) = run_lines("\u{FEFF}想你".as_bytes(), Format::Json);
        outcome?;
        let object: serde_json::Value = serde_json::from_str(out.trim())?;
        assert_eq!(object["evidence"][0]["phrase"], "想你");
        assert_eq!(object["evidence"][0]["start"], 0);
        Ok(())
    }

    #[test]
    fn table_shows_each_line_and_its_evidence() -> anyhow::Result<()> {
        let input =
            "别难过，妈妈很快就回家了\nOnly talked about money, he did not say how he feels\n\n";
        let (outcome, out) = run_lines(input.as_bytes(), Format::Table);
        outcome?;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(
            lines[0].contains("score") && lines[0].contains("evidence"),
            "{out}"
        );
        assert!(
            lines[1].contains("emotional") && lines[1].contains("别难过 comfort +2"),
            "{out}"
        );
        assert!(
            lines[2].contains("how he feels feelings_talk -0.75 (negated)"),
            "{out}"
        );
        assert!(
            lines[3].contains("37.5") && lines[3].ends_with(" -"),
            "{out}"
        );
        assert!(
            lines[4].starts_with("3 text(s): 2 routine, 0 mixed, 1 emotional"),
            "{out}"
        );
        Ok(())
    }

    #[test]
    fn excerpts_fit_their_columns() {
        let cases = [
            ("short", "short     "),
            ("a much longer english text", "a much lo…"),
            ("别难过妈妈很快就回家了", "别难过妈… "),
            ("exactly10!", "exactly10!"),
        ];
        for (text, expected) in cases {
            let shown = excerpt(text, 10);
            assert_eq!(shown, expected, "{text}");
            let width: usize = shown.chars().map(display_width).sum();
            assert_eq!(width, 10, "{text}");
        }
    }

    #[test]
    fn missing_file_is_a_one_line_error() {
        let args = ScoreArgs {
            file: Some(PathBuf::from("/nonexistent/kinthread-notes.txt")),
            json: true,
        };
        let message = score(&args)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            message.starts_with("cannot read /nonexistent/kinthread-notes.txt: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }
}
