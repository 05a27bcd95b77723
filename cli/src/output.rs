//! Output for people and for programs: aligned tables (CJK-width aware), JSON and CSV.
//!
//! A listing builds one [`Table`]; `table` and `csv` render the same rows, `json` prints the
//! server's records themselves, so programs get every field and the exact values.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::error::{CliError, CliResult};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// The server's records as JSON, for programs.
    Json,
    /// One header line and one line per row (RFC 4180), for spreadsheets and programs.
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Rows of text under headers.
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    /// Columns for programs only (ids): in CSV, not in the table people read.
    csv_only: Vec<bool>,
    /// Terminal columns a cell may take in the table (long notes); CSV keeps it whole.
    max_width: Vec<Option<usize>>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns named by `headers`; a header starting with `>` is right-aligned (numbers), one
    /// starting with `!` appears in CSV only.
    pub fn new(headers: &[&str]) -> Self {
        let mut table = Table::default();
        for header in headers {
            let (header, csv_only) = match header.strip_prefix('!') {
                Some(rest) => (rest, true),
                None => (*header, false),
            };
            table.csv_only.push(csv_only);
            table.max_width.push(None);
            match header.strip_prefix('>') {
                Some(name) => {
                    table.headers.push(name.to_owned());
                    table.align.push(Align::Right);
                }
                None => {
                    table.headers.push(header.to_owned());
                    table.align.push(Align::Left);
                }
            }
        }
        table
    }

    /// Cuts cells of `column` to `width` terminal columns in the table.
    pub fn limit(mut self, column: &str, width: usize) -> Self {
        if let Some(i) = self.headers.iter().position(|h| h == column)
            && let Some(slot) = self.max_width.get_mut(i)
        {
            *slot = Some(width.max(2));
        }
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn cell(row: &[String], column: usize) -> &str {
        row.get(column).map(String::as_str).unwrap_or("")
    }

    /// Aligned columns; wide (CJK) characters count as two terminal columns.
    pub fn render_text(&self) -> String {
        let clean_cell = |row: &[String], column: usize| {
            let text = Self::cell(row, column).replace(['\n', '\r', '\t'], " ");
            match self.max_width.get(column).copied().flatten() {
                Some(width) => truncate(&text, width),
                None => text,
            }
        };
        let shown: Vec<usize> = (0..self.headers.len())
            .filter(|c| !self.csv_only.get(*c).copied().unwrap_or(false))
            .collect();
        let mut widths: Vec<usize> = shown.iter().map(|c| self.headers[*c].width()).collect();
        for row in &self.rows {
            for (slot, column) in shown.iter().enumerate() {
                widths[slot] = widths[slot].max(clean_cell(row, *column).width());
            }
        }
        let mut out = String::new();
        let mut line = |cells: Vec<String>| {
            let mut text = String::new();
            for (slot, cell) in cells.iter().enumerate() {
                let pad = widths[slot].saturating_sub(cell.width());
                let right = self.align.get(shown[slot]) == Some(&Align::Right);
                if slot > 0 {
                    text.push_str("  ");
                }
                if right {
                    text.push_str(&" ".repeat(pad));
                }
                text.push_str(cell);
                if !right {
                    text.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(shown.iter().map(|c| self.headers[*c].clone()).collect());
        line(widths.iter().map(|w| "-".repeat(*w)).collect());
        for row in &self.rows {
            line(shown.iter().map(|c| clean_cell(row, *c)).collect());
        }
        out
    }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
    pub fn render_csv(&self) -> String {
        let mut out = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &str>| {
            let fields: Vec<String> = cells.map(csv_field).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        };
        line(&mut self.headers.iter().map(String::as_str));
        for row in &self.rows {
            line(&mut (0..self.headers.len()).map(|c| Self::cell(row, c)));
        }
        out
    }
}

/// `text` cut to `width` terminal columns, with `…` where it was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Writes text to standard output; a closed pipe (`| head`) ends quietly.
pub fn print(text: &str) -> CliResult<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("writing to standard output", e)),
    }
}

pub fn print_json(value: &impl Serialize) -> CliResult<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::other("internal", e.to_string()))?;
    text.push('\n');
    print(&text)
}

/// Prints `table` as text or CSV, or `json_value` as JSON.
pub fn emit(format: Format, table: &Table, json_value: &impl Serialize) -> CliResult<()> {
    match format {
        Format::Table => print(&table.render_text()),
        Format::Csv => print(&table.render_csv()),
        Format::Json => print_json(json_value),
    }
}

/// One decimal, or `-` when absent.
pub fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

/// A 0–1 share as a whole percentage, or `-`.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_text_aligns_by_terminal_width() {
        let mut table = Table::new(&["name", ">days"]);
        table.push(vec!["小红".into(), "3.5".into()]);
        table.push(vec!["Lin".into(), "12.0".into()]);
        let text = table.render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name  days");
        assert_eq!(lines[2], "小红   3.5");
        assert_eq!(lines[3], "Lin   12.0");
        let widths: Vec<usize> = lines.iter().map(|l| l.width()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{text}");
    }

    #[test]
    fn long_cells_are_cut_in_the_table_only() {
        assert_eq!(truncate("问她吃饭了没有", 7), "问她吃…");
        assert_eq!(truncate("short", 10), "short");
        let mut table = Table::new(&["note"]).limit("note", 6);
        table.push(vec!["abcdefghij".into()]);
        assert_eq!(table.render_text(), "note\n------\nabcde…\n");
        assert_eq!(table.render_csv(), "note\r\nabcdefghij\r\n");
    }

    #[test]
    fn csv_only_columns_stay_out_of_the_table() {
        let mut table = Table::new(&["name", "!id"]);
        table.push(vec!["Lin".into(), "0190".into()]);
        assert_eq!(table.render_text(), "name\n----\nLin\n");
        assert_eq!(table.render_csv(), "name,id\r\nLin,0190\r\n");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut table = Table::new(&["a", "b"]);
        table.push(vec!["x,y".into(), "say \"hi\"\nbye".into()]);
        assert_eq!(
            table.render_csv(),
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\nbye\"\r\n"
        );
    }
}
