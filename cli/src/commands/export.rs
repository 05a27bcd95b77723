//! `kinthread export`: a family, or every family of a program the user may see, written as
//! one bundle file (format in docs/bundle.md). What the user may not read is left out by the
//! server and listed in the bundle's `withheld`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::Utc;
use kinthread_shared::bundle::Bundle;

use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::resolve;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").args(["family", "program"])))]
pub struct ExportArgs {
    /// One family (id or name; default your own).
    #[arg(long)]
    pub family: Option<String>,
    /// Every family of this program that you may see (id or name).
    #[arg(long)]
    pub program: Option<String>,
    /// Where to write the bundle (`-` for standard output).
    #[arg(long, short)]
    pub out: PathBuf,
}

pub async fn run(api: &mut Api, args: ExportArgs) -> CliResult<()> {
    let families = match args.program.as_deref() {
        Some(program) => {
            let program = resolve::program(api, program).await?.id;
            resolve::all_families(api)
                .await?
                .into_iter()
                .filter(|f| f.program_id == Some(program))
                .map(|f| f.id)
                .collect::<Vec<_>>()
        }
        None => vec![resolve::family(api, args.family.as_deref()).await?.id],
    };
    if families.is_empty() {
        return Err(CliError::not_found(
            "no family of that program that you can see",
        ));
    }
    let mut bundle = Bundle::new(Utc::now());
    let mut withheld = BTreeSet::new();
    for family in families {
        let one: Bundle = api.get(&format!("/families/{family}/bundle"), &[]).await?;
        withheld.extend(one.withheld);
        for program in one.programs {
            if !bundle.programs.iter().any(|p| p.id == program.id) {
                bundle.programs.push(program);
            }
        }
        bundle.families.extend(one.families);
    }
    bundle.withheld = withheld.into_iter().collect();
    let json = serde_json::to_vec_pretty(&bundle)
        .map_err(|e| CliError::other("internal", e.to_string()))?;
    if args.out.as_os_str() == "-" {
        return crate::output::print(&String::from_utf8_lossy(&json));
    }
    std::fs::write(&args.out, &json)
        .map_err(|e| CliError::io(&format!("writing {}", args.out.display()), e))?;
    let contacts: usize = bundle.families.iter().map(|f| f.contacts.len()).sum();
    eprintln!(
        "wrote {} ({} famil{}, {contacts} contact versions{})",
        args.out.display(),
        bundle.families.len(),
        if bundle.families.len() == 1 {
            "y"
        } else {
            "ies"
        },
        if bundle.withheld.is_empty() {
            String::new()
        } else {
            format!(
                "; left out for your role: {}",
                serde_json::to_string(&bundle.withheld).unwrap_or_default()
            )
        }
    );
    Ok(())
}
