//! `kinthread admin roster import FILE --program P [--dry-run]`: a program's families,
//! persons and accounts from one CSV file (format in `crate::roster`), with a one-time
//! password for each account, printed once for handing out.
//!
//! Everything is checked before anything is created: the file itself, then against the
//! server (the program, family names already in it, usernames already taken, child accounts'
//! ages). `--dry-run` stops there and prints what would be created. Each account is made with
//! a random password nobody sees and then reset, so the one-time password printed is the
//! server's, which must be changed at the first sign-in. The import is not one
//! transaction: should the server fail half-way, what was created is printed (with its
//! passwords) before the error, and a second run of the same file refuses the families it
//! finds in the program already (or creates them again with `--allow-duplicate`).

use std::path::PathBuf;

use chrono::{Datelike, Utc};
use clap::{Args, Subcommand};
use kinthread_shared::api::{Consent, Family, NewFamily, NewUser, Person, Program, User};
use kinthread_shared::{AccountRole, FamilyId, PersonId, UserId};
use serde::Serialize;

use crate::client::Api;
use crate::commands::admin::{one_time_password, reset_password, same_name};
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table};
use crate::resolve;
use crate::roster::{self, RosterFamily};

/// The youngest a child with an account may be (SPEC section 2).
const CHILD_ACCOUNT_MIN_AGE: i32 = 10;

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Create the families, persons and accounts of a CSV roster in a program; try it with
    /// --dry-run first.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The roster: UTF-8 CSV with a header line (see docs/deploy-a-program.md).
    pub file: PathBuf,
    /// The program the families join (id or name).
    #[arg(long)]
    pub program: String,
    /// Check everything and print what would be created; create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Create a family even where the program has one of that name already.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// A guardian of every family consented to its data being kept (on paper, at enrolment).
    #[arg(long)]
    pub guardian_consent: bool,
    /// Every family agreed to share note text with the program's staff.
    #[arg(long)]
    pub share_notes: bool,
    /// A guardian of every family agreed (on paper) that the child may have an account of
    /// their own: needed for the roster's child accounts.
    #[arg(long)]
    pub child_accounts: bool,
}

/// A person as imported.
#[derive(Debug, Serialize)]
struct ImportedPerson {
    id: PersonId,
    name: String,
    role: kinthread_shared::FamilyRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_role: Option<AccountRole>,
    /// Shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    one_time_password: Option<String>,
}

#[derive(Debug, Serialize)]
struct ImportedFamily {
    id: FamilyId,
    name: String,
    persons: Vec<ImportedPerson>,
}

/// What an import created (or, with `dry_run`, would create).
#[derive(Debug, Serialize)]
struct ImportReport {
    program: Program,
    dry_run: bool,
    families: Vec<ImportedFamily>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    plan: Vec<RosterLine>,
}

/// One line of a dry run's plan.
#[derive(Debug, Serialize)]
struct RosterLine {
    line: usize,
    family: String,
    name: String,
    role: kinthread_shared::FamilyRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_role: Option<AccountRole>,
}

pub async fn run(api: &mut Api, command: RosterCommand, format: Format) -> CliResult<()> {
    let RosterCommand::Import(args) = command;
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError::io(&format!("reading {}", args.file.display()), e))?;
    // The latest date anywhere: a child born today somewhere is not in the future.
    let today = (Utc::now() + chrono::Duration::hours(14)).date_naive();
    let families = match roster::parse(&text, today) {
        Ok(families) => families,
        Err(problems) => return refuse(&problems),
    };
    let program = resolve::program(api, &args.program).await?;
    let problems = check_with_server(api, &families, &program, &args, today.year()).await?;
    if !problems.is_empty() {
        return refuse(&problems);
    }
    if args.dry_run {
        return print_plan(&program, &families, format);
    }
    let mut report = ImportReport {
        program: program.clone(),
        dry_run: false,
        families: Vec::new(),
        plan: Vec::new(),
    };
    let outcome = create(api, &families, &args, &mut report).await;
    // What was created is printed even when the server failed half-way: its passwords exist
    // nowhere else.
    print_report(&report, format)?;
    outcome?;
    if format == Format::Table {
        eprintln!(
            "kinthread: the passwords above are shown this once: hand each to its person now; \
             each must be changed at the first sign-in (kinthread passwd)"
        );
    }
    Ok(())
}

/// Lists the problems on standard output and refuses with one line on standard error.
fn refuse(problems: &[String]) -> CliResult<()> {
    let mut text = String::from("problems in the roster:\n");
    for problem in problems {
        text.push_str("  ");
        text.push_str(problem);
        text.push('\n');
    }
    output::print(&text)?;
    Err(CliError::usage(format!(
        "the roster has {} problem{} (listed above); nothing was created",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )))
}

/// The checks only the server's records can answer.
async fn check_with_server(
    api: &mut Api,
    families: &[RosterFamily],
    program: &Program,
    args: &ImportArgs,
    this_year: i32,
) -> CliResult<Vec<String>> {
    let mut problems = Vec::new();
    if !args.allow_duplicate {
        let existing = resolve::all_families(api).await?;
        for family in families {
            if let Some(found) = same_name(&existing, Some(program.id), &family.name) {
                let line = family.persons.first().map_or(0, |p| p.line);
                problems.push(format!(
                    "line {line}: the program has a family called `{}` already ({}); \
                     --allow-duplicate creates another",
                    found.display_name, found.id
                ));
            }
        }
    }
    let wanted: Vec<(usize, &str)> = families
        .iter()
        .flat_map(|f| &f.persons)
        .filter_map(|p| p.username.as_deref().map(|u| (p.line, u)))
        .collect();
    if !wanted.is_empty() {
        let users: Vec<User> = resolve::all_pages(api, "/users").await?;
        for (line, username) in wanted {
            if users.iter().any(|u| u.username == username) {
                problems.push(format!("line {line}: the username `{username}` is taken"));
            }
        }
    }
    for person in families.iter().flat_map(|f| &f.persons) {
        if person.username.is_some()
            && person.account_role() == AccountRole::Child
            && !args.child_accounts
        {
            problems.push(format!(
                "line {}: a child's account needs a guardian's consent: say --child-accounts if \
                 every family gave it",
                person.line
            ));
        }
        if person.username.is_some() && person.account_role() == AccountRole::Child {
            match person.person.birth_year {
                Some(year) if this_year - year >= CHILD_ACCOUNT_MIN_AGE => {}
                Some(_) => problems.push(format!(
                    "line {}: child accounts are for age {CHILD_ACCOUNT_MIN_AGE} and up",
                    person.line
                )),
                None => problems.push(format!(
                    "line {}: a child's account needs the birth year or date",
                    person.line
                )),
            }
        }
    }
    Ok(problems)
}

fn print_plan(program: &Program, families: &[RosterFamily], format: Format) -> CliResult<()> {
    let plan: Vec<RosterLine> = families
        .iter()
        .flat_map(|family| {
            family.persons.iter().map(|p| RosterLine {
                line: p.line,
                family: family.name.clone(),
                name: p.person.display_name.clone(),
                role: p.person.role,
                username: p.username.clone(),
                account_role: p.username.as_ref().map(|_| p.account_role()),
            })
        })
        .collect();
    let accounts = plan.iter().filter(|l| l.username.is_some()).count();
    let mut table = Table::new(&[">line", "family", "name", "role", "username", "account"]);
    for l in &plan {
        table.push(vec![
            l.line.to_string(),
            l.family.clone(),
            l.name.clone(),
            l.role.to_string(),
            l.username.clone().unwrap_or_default(),
            l.account_role.map(|r| r.to_string()).unwrap_or_default(),
        ]);
    }
    let summary = format!(
        "dry run: {} famil{}, {} persons and {accounts} account{} would be created in `{}`; \
         nothing was created\n",
        families.len(),
        if families.len() == 1 { "y" } else { "ies" },
        plan.len(),
        if accounts == 1 { "" } else { "s" },
        program.name
    );
    match format {
        Format::Table => output::print(&format!("{}\n{summary}", table.render_text())),
        Format::Csv => output::print(&table.render_csv()),
        Format::Json => output::print_json(&ImportReport {
            program: program.clone(),
            dry_run: true,
            families: Vec::new(),
            plan,
        }),
    }
}

/// Creates the families, persons and accounts, recording each in `report` as it is made.
async fn create(
    api: &mut Api,
    families: &[RosterFamily],
    args: &ImportArgs,
    report: &mut ImportReport,
) -> CliResult<()> {
    for family in families {
        let created: Family = api
            .post(
                "/families",
                &NewFamily {
                    display_name: family.name.clone(),
                    program_id: Some(report.program.id),
                    time_zone: family.time_zone,
                    target_cadence_days: None,
                    consent: Consent {
                        guardian_consent: args.guardian_consent,
                        share_notes_with_staff: args.share_notes,
                        child_feedback_visible_to_parents: false,
                        child_account: args.child_accounts,
                        anonymous_statistics: false,
                    },
                    allow_duplicate: args.allow_duplicate,
                },
            )
            .await?;
        report.families.push(ImportedFamily {
            id: created.id,
            name: created.display_name.clone(),
            persons: Vec::new(),
        });
        for entry in &family.persons {
            let person: Person = api
                .post(&format!("/families/{}/persons", created.id), &entry.person)
                .await?;
            let imported = ImportedPerson {
                id: person.id,
                name: person.display_name.clone(),
                role: person.role,
                username: None,
                user_id: None,
                account_role: None,
                one_time_password: None,
            };
            push_person(report, imported);
            let Some(username) = &entry.username else {
                continue;
            };
            // Made with a random password nobody sees, then reset: the server's one-time
            // password must be changed at the first sign-in.
            let user: User = api
                .post(
                    "/users",
                    &NewUser {
                        username: username.clone(),
                        password: one_time_password(),
                        role: entry.account_role(),
                        display_name: Some(person.display_name.clone()),
                        family_id: Some(created.id),
                        person_id: Some(person.id),
                        program_ids: Vec::new(),
                    },
                )
                .await?;
            let reset = reset_password(api, &user).await?;
            if let Some(last) = report
                .families
                .last_mut()
                .and_then(|f| f.persons.last_mut())
            {
                last.username = Some(reset.user.username);
                last.user_id = Some(reset.user.id);
                last.account_role = Some(reset.user.role);
                last.one_time_password = Some(reset.one_time_password);
            }
        }
    }
    Ok(())
}

fn push_person(report: &mut ImportReport, person: ImportedPerson) {
    if let Some(family) = report.families.last_mut() {
        family.persons.push(person);
    }
}

fn print_report(report: &ImportReport, format: Format) -> CliResult<()> {
    let mut table = Table::new(&[
        "family",
        "name",
        "role",
        "username",
        "password",
        "!family_id",
        "!person_id",
        "!user_id",
    ]);
    for family in &report.families {
        for p in &family.persons {
            table.push(vec![
                family.name.clone(),
                p.name.clone(),
                p.role.to_string(),
                p.username.clone().unwrap_or_default(),
                p.one_time_password.clone().unwrap_or_default(),
                family.id.to_string(),
                p.id.to_string(),
                p.user_id.map(|u| u.to_string()).unwrap_or_default(),
            ]);
        }
    }
    match format {
        Format::Table => {
            let persons: usize = report.families.iter().map(|f| f.persons.len()).sum();
            let accounts = report
                .families
                .iter()
                .flat_map(|f| &f.persons)
                .filter(|p| p.user_id.is_some())
                .count();
            output::print(&format!(
                "{}\ncreated in `{}`: {} families, {persons} persons, {accounts} accounts\n",
                table.render_text(),
                report.program.name,
                report.families.len(),
            ))
        }
        Format::Csv => output::print(&table.render_csv()),
        Format::Json => output::print_json(report),
    }
}
