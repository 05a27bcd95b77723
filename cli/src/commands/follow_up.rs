//! `kinthread follow-up record|list`: staff outcomes on a family.

use clap::Subcommand;
use kinthread_shared::FollowUpOutcome;
use kinthread_shared::reports::{FollowUp, NewFollowUp};

use crate::client::Api;
use crate::error::CliResult;
use crate::output::{self, Format, Table};
use crate::resolve;

#[derive(Debug, Subcommand)]
pub enum FollowUpCommand {
    /// Record an outcome: reached_parent, remind_later (7 days), parent_agreed_to_call
    /// (re-check in 30 days) or closed (needs --reason).
    Record {
        /// Family id or name.
        #[arg(long)]
        family: String,
        #[arg(long, value_parser = parse_outcome)]
        outcome: FollowUpOutcome,
        #[arg(long)]
        reason: Option<String>,
    },
    /// A family's follow-ups, newest first.
    List {
        /// Family id or name.
        #[arg(long)]
        family: String,
    },
}

fn parse_outcome(text: &str) -> Result<FollowUpOutcome, String> {
    text.parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

fn table(items: &[FollowUp]) -> Table {
    let mut table = Table::new(&["recorded", "outcome", "recheck_at", "reason", "id"]);
    for f in items {
        table.push(vec![
            f.created_at.format("%Y-%m-%d %H:%M").to_string(),
            f.outcome.to_string(),
            f.recheck_at
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            f.reason.clone().unwrap_or_default(),
            f.id.to_string(),
        ]);
    }
    table
}

pub async fn run(api: &mut Api, command: FollowUpCommand, format: Format) -> CliResult<()> {
    match command {
        FollowUpCommand::Record {
            family,
            outcome,
            reason,
        } => {
            let family = resolve::family(api, Some(&family)).await?;
            let recorded: FollowUp = api
                .post(
                    &format!("/families/{}/follow-ups", family.id),
                    &NewFollowUp { outcome, reason },
                )
                .await?;
            output::emit(format, &table(std::slice::from_ref(&recorded)), &recorded)
        }
        FollowUpCommand::List { family } => {
            let family = resolve::family(api, Some(&family)).await?;
            let items: Vec<FollowUp> = api
                .get_all(&format!("/families/{}/follow-ups", family.id))
                .await?;
            output::emit(format, &table(&items), &items)
        }
    }
}
