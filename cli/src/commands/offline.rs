//! Reports on a bundle file with no server: `gaps --bundle`, `depth report --bundle` and
//! `timeline --bundle`. The figures come from `Bundle::family_report`, which calls the same
//! shared function the server's report does, so both show the same numbers for the same data.

use std::path::Path;

use chrono::Utc;
use kinthread_shared::api::{Contact, ContactDepth};
use kinthread_shared::bundle::{Bundle, BundleContact, FamilyRecord};
use kinthread_shared::gaps::DEFAULT_WINDOW_DAYS;
use kinthread_shared::reports::FamilyReport;

use super::reports::{self, WindowArgs};
use crate::error::{CliError, CliResult, Kind};
use crate::output::{self, Format};
use crate::timeline_svg;

pub fn load(path: &Path) -> CliResult<Bundle> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::io(&format!("reading {}", path.display()), e))?;
    Bundle::parse(&bytes).map_err(|e| {
        CliError::new(
            Kind::Usage,
            "bad_bundle",
            format!("{}: {e}", path.display()),
        )
    })
}

/// The families a command means: the one named, else every family of the bundle.
fn families<'a>(bundle: &'a Bundle, given: Option<&str>) -> CliResult<Vec<&'a FamilyRecord>> {
    match given {
        Some(name) => bundle.find_family(name).map(|f| vec![f]).ok_or_else(|| {
            CliError::not_found(format!(
                "no family `{name}` in the bundle (or several of that name: give the id)"
            ))
        }),
        None if bundle.families.is_empty() => {
            Err(CliError::not_found("the bundle holds no family"))
        }
        None => Ok(bundle.families.iter().collect()),
    }
}

fn report(bundle: &Bundle, record: &FamilyRecord, window: &WindowArgs) -> CliResult<FamilyReport> {
    bundle
        .family_report(
            record,
            window.as_of.unwrap_or_else(Utc::now),
            window.window.unwrap_or(DEFAULT_WINDOW_DAYS),
        )
        .map_err(|e| CliError::usage(e.to_string()))
}

fn reports_of(
    path: &Path,
    family: Option<&str>,
    window: &WindowArgs,
    format: Format,
) -> CliResult<Vec<FamilyReport>> {
    let bundle = load(path)?;
    let records = families(&bundle, family)?;
    if records.len() > 1 && format == Format::Csv {
        return Err(CliError::usage(
            "the bundle holds several families: choose one with --family for CSV",
        ));
    }
    records
        .into_iter()
        .map(|record| report(&bundle, record, window))
        .collect()
}

fn print_all(
    reports: &[FamilyReport],
    format: Format,
    one: fn(&FamilyReport, Format) -> CliResult<()>,
) -> CliResult<()> {
    match (format, reports) {
        (_, [single]) => one(single, format),
        (Format::Json, many) => output::print_json(&many),
        (_, many) => {
            for report in many {
                one(report, format)?;
                println!();
            }
            Ok(())
        }
    }
}

pub fn gaps(path: &Path, args: &reports::GapsArgs, format: Format) -> CliResult<()> {
    let reports = reports_of(path, args.family.as_deref(), &args.window, format)?;
    print_all(&reports, format, reports::print_family_gaps)
}

pub fn depth(path: &Path, args: &reports::DepthReportArgs, format: Format) -> CliResult<()> {
    let reports = reports_of(path, args.family.as_deref(), &args.window, format)?;
    print_all(&reports, format, reports::print_family_depth)
}

/// A bundle contact as the API shows it to an admin (evidence is not stored, so none).
fn as_contact(record: &FamilyRecord, c: &BundleContact) -> Contact {
    Contact {
        id: c.id,
        family_id: record.family.id,
        client_id: c.client_id,
        kind: c.kind,
        status: c.status,
        participants: c.participants.clone(),
        initiator: c.initiator,
        started_at: c.started_at,
        duration_seconds: c.duration_seconds,
        ended_at: c.ended_at,
        content: c.content.clone(),
        content_withheld: false,
        talked_most: c.talked_most,
        child_feedback: c.child_feedback,
        depth: c.depth.as_ref().map(|d| ContactDepth {
            score: d.score,
            level: d.level,
            lexicon_version: d.lexicon_version.clone(),
            evidence: Vec::new(),
        }),
        source: c.source,
        recorded_by: c.recorded_by,
        recorded_at: c.recorded_at,
        supersedes: c.supersedes,
        superseded_by: c.superseded_by,
    }
}

pub fn timeline(
    path: &Path,
    family: Option<&str>,
    out: &Path,
    window: &WindowArgs,
) -> CliResult<()> {
    let bundle = load(path)?;
    let records = families(&bundle, family)?;
    let [record] = records.as_slice() else {
        return Err(CliError::usage(
            "the bundle holds several families: choose one with --family",
        ));
    };
    let report = report(&bundle, record, window)?;
    // As the server lists them for the online timeline: current versions that started from a
    // year before the window (a visit may reach into it) up to `as_of`.
    let from = report.window.from - chrono::Duration::days(366);
    let mut contacts: Vec<Contact> = record
        .contacts
        .iter()
        .filter(|c| c.superseded_by.is_none())
        .filter(|c| {
            let at = c.started_at.with_timezone(&Utc);
            from <= at && at <= report.window.as_of
        })
        .map(|c| as_contact(record, c))
        .collect();
    contacts.sort_by_key(|c| (c.started_at, c.id));
    let svg = timeline_svg::render(&report, &contacts);
    if out.as_os_str() == "-" {
        return output::print(&svg);
    }
    std::fs::write(out, svg).map_err(|e| CliError::io(&format!("writing {}", out.display()), e))?;
    eprintln!(
        "wrote {} ({} pairs, {} contacts)",
        out.display(),
        report.pairs.len(),
        contacts.len()
    );
    Ok(())
}
