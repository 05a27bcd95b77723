//! `kinthread timeline`: a family's contact timeline written to an SVG file.

use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use kinthread_shared::FamilyId;
use kinthread_shared::api::{Contact, Page};

use super::reports::{self, WindowArgs};
use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::timeline_svg;

#[derive(Debug, clap::Args)]
pub struct TimelineArgs {
    /// Family id or name (default: your own family).
    #[arg(long)]
    pub family: Option<String>,
    /// Where to write the SVG (`-` for standard output).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Draw from a bundle file (`kinthread export`) instead of asking a server.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// A family's contacts that started in `[from, to]`, every page, oldest first.
pub async fn contacts_between(
    api: &mut Api,
    family: FamilyId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CliResult<Vec<Contact>> {
    let mut contacts = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![
            ("from", from.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ("to", to.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ("limit", "200".to_owned()),
        ];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: Page<Contact> = api
            .get(&format!("/families/{family}/contacts"), &query)
            .await?;
        contacts.extend(page.items);
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => break,
        }
    }
    contacts.reverse();
    Ok(contacts)
}

pub async fn run(api: &mut Api, args: TimelineArgs) -> CliResult<()> {
    let report = reports::family_report(api, args.family.as_deref(), &args.window).await?;
    // A visit may begin up to a year before the window and still reach into it.
    let from = report.window.from - chrono::Duration::days(366);
    // `to` is exclusive on the server: one second past `as_of` keeps a contact at `as_of`.
    let to = report.window.as_of + chrono::Duration::seconds(1);
    let contacts = contacts_between(api, report.family.id, from, to).await?;
    let svg = timeline_svg::render(&report, &contacts);
    if args.out.as_os_str() == "-" {
        return crate::output::print(&svg);
    }
    std::fs::write(&args.out, svg)
        .map_err(|e| CliError::io(&format!("writing {}", args.out.display()), e))?;
    eprintln!(
        "wrote {} ({} pairs, {} contacts)",
        args.out.display(),
        report.pairs.len(),
        contacts.len()
    );
    Ok(())
}
