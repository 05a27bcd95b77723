//! `kinthread gaps` (the staff caseload, or one family's pairs) and `kinthread depth report`.
//!
//! The figures are the server's (`/reports/caseload`, `/families/{id}/report`); this module
//! only lays them out. Nothing is computed here, so every client shows the same numbers.

use chrono::{DateTime, Utc};
use kinthread_shared::ProgramId;
use kinthread_shared::reports::{CaseloadReport, CaseloadRow, FamilyReport, PairKind, PairReport};

use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table, days, percent};
use crate::resolve;

/// The report window, shared by every report command.
#[derive(Debug, Clone, clap::Args)]
pub struct WindowArgs {
    /// The moment the report is for: RFC 3339, or a date (its end, Asia/Shanghai time).
    /// Default: now.
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<DateTime<Utc>>,
    /// Window length in days, up to --as-of (server default: 90).
    #[arg(long, value_name = "DAYS")]
    pub window: Option<u32>,
}

impl WindowArgs {
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(as_of) = self.as_of {
            query.push((
                "as_of",
                as_of.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            ));
        }
        if let Some(window) = self.window {
            query.push(("window_days", window.to_string()));
        }
        query
    }
}

pub fn parse_as_of(text: &str) -> Result<DateTime<Utc>, String> {
    let tz = kinthread_shared::gaps::DEFAULT_TIME_ZONE;
    let text = text.trim();
    // A bare date means "as of the end of that day".
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let next = date
            .succ_opt()
            .ok_or_else(|| format!("`{text}` is out of range"))?;
        return Ok(kinthread_shared::gaps::local_day_start(next, tz) - chrono::Duration::seconds(1));
    }
    resolve::parse_moment(text, tz)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| e.message)
}

#[derive(Debug, clap::Args)]
pub struct GapsArgs {
    /// One family's report (id or name) instead of the caseload.
    #[arg(long)]
    pub family: Option<String>,
    /// Only this program's families (caseload): id or name.
    #[arg(long, conflicts_with = "family")]
    pub program: Option<String>,
    /// Also list families a `remind_later` follow-up has snoozed (caseload).
    #[arg(long, conflicts_with = "family")]
    pub include_snoozed: bool,
    /// Report on a bundle file (`kinthread export`) instead of asking a server.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["program", "include_snoozed"])]
    pub bundle: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub window: WindowArgs,
}

#[derive(Debug, clap::Args)]
pub struct DepthReportArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// Report on a bundle file (`kinthread export`) instead of asking a server.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// The server's report on one family.
pub async fn family_report(
    api: &mut Api,
    family: Option<&str>,
    window: &WindowArgs,
) -> CliResult<FamilyReport> {
    let family = resolve::family(api, family).await?;
    api.get(&format!("/families/{}/report", family.id), &window.query())
        .await
}

/// Every page of the caseload, as one report.
pub async fn caseload(
    api: &mut Api,
    program: Option<ProgramId>,
    include_snoozed: bool,
    window: &WindowArgs,
) -> CliResult<CaseloadReport> {
    let mut window = window.clone();
    let mut report: Option<CaseloadReport> = None;
    let mut cursor: Option<String> = None;
    // A page cap keeps a server that repeats its cursor from looping us forever.
    for _ in 0..10_000 {
        let mut query = window.query();
        if let Some(program) = program {
            query.push(("program_id", program.to_string()));
        }
        if include_snoozed {
            query.push(("include_snoozed", "true".to_owned()));
        }
        query.push((
            "limit",
            kinthread_shared::reports::MAX_CASELOAD_LIMIT.to_string(),
        ));
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: CaseloadReport = api.get("/reports/caseload", &query).await?;
        cursor = page.next_cursor.clone();
        // Later pages are asked for the first page's moment, so that the pages agree.
        window.as_of = Some(page.as_of);
        match &mut report {
            None => report = Some(page),
            Some(all) => all.rows.extend(page.rows),
        }
        if cursor.is_none() {
            break;
        }
    }
    let mut report = report.ok_or_else(|| CliError::other("bad_response", "no caseload page"))?;
    report.next_cursor = None;
    Ok(report)
}

fn name(person: Option<&kinthread_shared::reports::PersonSummary>) -> String {
    person.map(|p| p.display_name.clone()).unwrap_or_default()
}

/// A date in the family's time zone (the caseload, which spans families, uses China time).
fn when(at: Option<DateTime<Utc>>, tz: chrono_tz::Tz) -> String {
    at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "never".to_owned())
}

fn caseload_table(rows: &[CaseloadRow]) -> Table {
    let mut table = Table::new(&[
        "attention",
        "status",
        "family",
        "parent",
        "child",
        "reasons",
        "!signals",
        ">gap_days",
        ">target",
        ">longest_gap",
        ">per_week",
        ">child_started",
        ">unanswered",
        ">talk_min",
        ">depth",
        ">routine_only",
        "last_contact",
        "follow_up",
        "!family_id",
    ]);
    for row in rows {
        let reasons: Vec<&str> = row.signals.iter().map(|s| s.code.label_en()).collect();
        let codes: Vec<&str> = row.signals.iter().map(|s| s.code.as_str()).collect();
        table.push(vec![
            row.attention_level.as_str().to_owned(),
            row.status.to_string(),
            row.family_name.clone(),
            name(row.parent.as_ref()),
            name(row.child.as_ref()),
            reasons.join(", "),
            codes.join(";"),
            days(row.current_gap_days),
            row.target_days.to_string(),
            days(Some(row.longest_gap_days)),
            format!("{:.1}", row.contacts_per_week),
            percent(row.child_initiated_share),
            row.unanswered_attempts.to_string(),
            format!("{:.0}", row.talk_minutes),
            days(row.mean_depth),
            percent(row.routine_only_share),
            when(
                row.last_contact_at,
                kinthread_shared::gaps::DEFAULT_TIME_ZONE,
            ),
            row.latest_follow_up
                .as_ref()
                .map(|f| f.outcome.to_string())
                .unwrap_or_default(),
            row.family_id.to_string(),
        ]);
    }
    table
}

fn pair_label(pair: &PairReport) -> String {
    format!("{} – {}", pair.a.display_name, pair.b.display_name)
}

fn pair_kind(pair: &PairReport) -> &'static str {
    match pair.pair_kind {
        PairKind::ParentChild => "parent_child",
        PairKind::ParentCaregiver => "parent_caregiver",
    }
}

/// Unanswered attempts as `3 by Mother, 1 by Child`.
fn unanswered(pair: &PairReport) -> (u32, String) {
    let total = pair.gaps.unanswered_attempts.iter().map(|u| u.count).sum();
    let by = pair
        .gaps
        .unanswered_attempts
        .iter()
        .map(|u| {
            let who = [&pair.a, &pair.b]
                .into_iter()
                .find(|p| p.id == u.person)
                .map_or_else(|| u.person.to_string(), |p| p.display_name.clone());
            format!("{} by {who}", u.count)
        })
        .collect::<Vec<_>>()
        .join(", ");
    (total, by)
}

fn gaps_table(report: &FamilyReport) -> Table {
    let tz = resolve::time_zone(&report.family);
    let mut table = Table::new(&[
        "pair",
        "kind",
        "status",
        ">gap_days",
        ">longest_gap",
        ">contacts",
        ">per_week",
        ">median_interval",
        ">child_started",
        ">talk_min",
        ">unanswered",
        "unanswered_by",
        ">depth",
        ">routine_only",
        "last_contact",
    ]);
    for pair in &report.pairs {
        let g = &pair.gaps;
        let (total, by) = unanswered(pair);
        table.push(vec![
            pair_label(pair),
            pair_kind(pair).to_owned(),
            g.status.to_string(),
            days(g.current_gap_days),
            days(Some(g.longest_gap_days)),
            g.counted_contacts.to_string(),
            format!("{:.1}", g.contacts_per_week),
            days(g.median_interval_days),
            percent(g.child_initiated_share),
            format!("{:.0}", g.talk_minutes),
            total.to_string(),
            by,
            days(pair.depth.mean_depth),
            percent(pair.depth.routine_only_share),
            when(g.last_contact_at, tz),
        ]);
    }
    table
}

fn depth_table(report: &FamilyReport) -> Table {
    let mut table = Table::new(&[
        "pair",
        "kind",
        ">contacts",
        ">scored",
        ">mean_depth",
        ">routine",
        ">mixed",
        ">emotional",
        ">routine_only",
        ">earlier",
        ">later",
        ">trend",
    ]);
    for pair in &report.pairs {
        let d = &pair.depth;
        table.push(vec![
            pair_label(pair),
            pair_kind(pair).to_owned(),
            d.contacts.to_string(),
            d.scored_contacts.to_string(),
            days(d.mean_depth),
            d.routine_contacts.to_string(),
            d.mixed_contacts.to_string(),
            d.emotional_contacts.to_string(),
            percent(d.routine_only_share),
            days(d.earlier_mean),
            days(d.later_mean),
            d.trend
                .map_or_else(|| "-".to_owned(), |t| format!("{t:+.1}")),
        ]);
    }
    table
}

/// Printed under the gap tables, so people can read a status without the spec at hand.
const STATUS_LEGEND: &str = "\nstatus, by the current gap against the target T: on_track (up to T days), due (up to 2T), \
overdue (up to 30), serious (up to 90), critical (up to 365), stale (longer), never (no contact)\n";

/// The heading people see above a family's tables.
pub fn family_heading(report: &FamilyReport) -> String {
    // Local time of the family: the window starts at its midnight.
    let tz = resolve::time_zone(&report.family);
    let mut text = format!(
        "{}: {} days up to {} (from {}, {}), target a contact every {} days\n",
        report.family.display_name,
        report.window_days,
        report.as_of.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        report.window.from.with_timezone(&tz).format("%Y-%m-%d"),
        report.family.time_zone,
        report.target_days,
    );
    let c = &report.checkins;
    if c.count > 0 {
        text.push_str(&format!(
            "caregiver check-ins: {} (mean mood {}, {} low)\n",
            c.count,
            days(c.mean_mood),
            c.low_mood_count
        ));
    }
    if let Some(follow_up) = &report.latest_follow_up {
        text.push_str(&format!(
            "latest follow-up: {} on {}\n",
            follow_up.outcome,
            follow_up.created_at.format("%Y-%m-%d")
        ));
    }
    text
}

/// The family's attention level and, per parent–child pair, the reasons of its signals.
fn attention_lines(report: &FamilyReport) -> String {
    let mut text = format!("\nattention: {}\n", report.attention_level.as_str());
    for pair in report.pairs.iter().filter(|p| !p.signals.is_empty()) {
        let reasons: Vec<&str> = pair.signals.iter().map(|s| s.reason.en.as_str()).collect();
        text.push_str(&format!(
            "  {} – {}: {}\n",
            pair.a.display_name,
            pair.b.display_name,
            reasons.join("; ")
        ));
    }
    text.push_str(&child_voice_line(report));
    text
}

/// The child's own voice as counts, where the reader may see them.
fn child_voice_line(report: &FamilyReport) -> String {
    let Some(voice) = &report.child_voice else {
        return String::new();
    };
    let mood = voice
        .mean_mood
        .map(|m| format!(", mean mood {m:.1}"))
        .unwrap_or_default();
    format!(
        "child's own voice: feedback good {} / okay {} / bad {}; {} check-ins{mood}\n",
        voice.feedback_good, voice.feedback_okay, voice.feedback_bad, voice.checkins
    )
}

/// Prints a family's gap report.
pub fn print_family_gaps(report: &FamilyReport, format: Format) -> CliResult<()> {
    let table = gaps_table(report);
    match format {
        Format::Table => {
            let mut text = family_heading(report);
            text.push('\n');
            if table.is_empty() {
                text.push_str("no parent with a child or caregiver in this family yet\n");
            } else {
                text.push_str(&table.render_text());
                text.push_str(&attention_lines(report));
                text.push_str(ATTENTION_LEGEND);
                text.push_str(STATUS_LEGEND);
            }
            output::print(&text)
        }
        other => output::emit(other, &table, report),
    }
}

/// Prints a family's per-pair depth summary.
pub fn print_family_depth(report: &FamilyReport, format: Format) -> CliResult<()> {
    let table = depth_table(report);
    match format {
        Format::Table => {
            let mut text = family_heading(report);
            text.push_str(
                "depth 0-100: under 50 mainly routine care talk, 50 and over mainly emotional\n\n",
            );
            text.push_str(&table.render_text());
            output::print(&text)
        }
        Format::Json => {
            let pairs: Vec<serde_json::Value> = report
                .pairs
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "pair_kind": p.pair_kind,
                        "a": p.a,
                        "b": p.b,
                        "depth": p.depth,
                    })
                })
                .collect();
            output::print_json(&serde_json::json!({
                "family_id": report.family.id,
                "family_name": report.family.display_name,
                "as_of": report.as_of,
                "window_days": report.window_days,
                "pairs": pairs,
            }))
        }
        Format::Csv => output::print(&table.render_csv()),
    }
}

const ATTENTION_LEGEND: &str = "\nattention: high (3 or more signals on a pair, or a gap overdue or worse), watch (1 or 2 signals), none; families in most need first\n";

/// Prints the caseload.
pub fn print_caseload(report: &CaseloadReport, format: Format) -> CliResult<()> {
    let table = caseload_table(&report.rows);
    match format {
        Format::Table => {
            let mut text = format!(
                "caseload: {} famil{} as of {}, {}-day window, most urgent first",
                report.rows.len(),
                if report.rows.len() == 1 { "y" } else { "ies" },
                report.as_of.format("%Y-%m-%d %H:%M UTC"),
                report.window_days,
            );
            if report.snoozed_hidden > 0 {
                text.push_str(&format!(
                    " ({} snoozed by a follow-up, not shown)",
                    report.snoozed_hidden
                ));
            }
            text.push_str("\n\n");
            if table.is_empty() {
                text.push_str("no families in your programs\n");
            } else {
                text.push_str(&table.render_text());
                text.push_str(ATTENTION_LEGEND);
                text.push_str(STATUS_LEGEND);
            }
            output::print(&text)
        }
        other => output::emit(other, &table, report),
    }
}

pub async fn gaps(api: &mut Api, args: GapsArgs, format: Format) -> CliResult<()> {
    // A parent, caregiver or child has no caseload: their own family is what they mean.
    let family = args
        .family
        .clone()
        .or_else(|| api.user().family_id.map(|f| f.to_string()));
    match &family {
        Some(family) => {
            let report = family_report(api, Some(family), &args.window).await?;
            print_family_gaps(&report, format)
        }
        None => {
            let program = match args.program.as_deref() {
                Some(program) => Some(resolve::program(api, program).await?.id),
                None => None,
            };
            let report = caseload(api, program, args.include_snoozed, &args.window).await?;
            print_caseload(&report, format)
        }
    }
}

pub async fn depth(api: &mut Api, args: DepthReportArgs, format: Format) -> CliResult<()> {
    let report = family_report(api, args.family.as_deref(), &args.window).await?;
    print_family_depth(&report, format)
}
