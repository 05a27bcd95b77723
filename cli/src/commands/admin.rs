//! `kinthread program` and `kinthread admin`: what a deployer does to set up and run a
//! program: programs, families, persons, accounts (create, list, disable, enable, unlock,
//! programs of a staff member). The server decides who may (admins; staff list their own
//! programs); these commands only turn names into ids and print what was done.
//!
//! Names are accepted wherever ids are: programs and families by name, persons by name or
//! role within their family, accounts by username.

use clap::{Args, Subcommand};
use kinthread_shared::api::{
    Consent, Family, FamilyUpdate, NewFamily, NewPerson, NewProgram, NewUser, PasswordReset,
    Person, PersonUpdate, Program, ProgramUpdate, User, UserUpdate,
};
use kinthread_shared::{AccountRole, FamilyRole, ProgramId, TargetCadence, TimeZoneName};
use serde::Serialize;

use crate::client::Api;
use crate::error::{CliError, CliResult};
use crate::output::{self, Format, Table};
use crate::resolve;

#[derive(Debug, Subcommand)]
pub enum ProgramCommand {
    /// The programs you may see (admins: all; staff: their own).
    List,
    /// Create a program (admins).
    Create {
        /// The program's name, unique among programs.
        #[arg(long)]
        name: String,
        /// Target days between contacts for its families (default 7).
        #[arg(long, value_parser = parse_cadence)]
        cadence: Option<TargetCadence>,
    },
    /// Set how long a program keeps contacts and check-ins (admins); `kinthread-server
    /// retention --apply` erases what is older (docs/privacy.md).
    Retention {
        /// Program id or name.
        #[arg(long)]
        program: String,
        /// Months to keep (1 to 600).
        #[arg(long, required_unless_present = "keep_everything",
              value_parser = clap::value_parser!(u16).range(1..=600))]
        months: Option<u16>,
        /// Keep everything (clears the period).
        #[arg(long, conflicts_with = "months")]
        keep_everything: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Programs: list, create.
    #[command(subcommand)]
    Program(ProgramCommand),
    /// Families: create, list.
    #[command(subcommand)]
    Family(FamilyAdmin),
    /// Persons of a family: add.
    #[command(subcommand)]
    Person(PersonAdmin),
    /// Accounts: create, list, disable, enable, unlock, programs.
    #[command(subcommand)]
    User(UserAdmin),
    /// Create a program's families, persons and accounts from a CSV roster.
    #[command(subcommand)]
    Roster(crate::commands::roster::RosterCommand),
}

#[derive(Debug, Subcommand)]
pub enum FamilyAdmin {
    /// Create a family. A name used by another family of the same program is refused unless
    /// --allow-duplicate.
    Create(NewFamilyArgs),
    /// The families you may see, or one program's.
    List {
        /// Only this program's families (id or name).
        #[arg(long)]
        program: Option<String>,
    },
    /// Enrol a family in a program, or move it to another: that program's staff reach it,
    /// the old program's no longer.
    Enrol {
        /// The family (id or name).
        family: String,
        /// The program (id or name).
        #[arg(long)]
        program: String,
        /// Even if a family of that program has the same name.
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// Withdraw a family from its program.
    Withdraw {
        /// The family (id or name).
        family: String,
    },
    /// Rename a family, or change its time zone or target.
    Update {
        /// The family (id or name).
        family: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = parse_time_zone)]
        time_zone: Option<TimeZoneName>,
        #[arg(long, value_parser = parse_cadence)]
        cadence: Option<TargetCadence>,
        /// Even if a family of its program has the new name.
        #[arg(long)]
        allow_duplicate: bool,
    },
}

#[derive(Debug, Args)]
pub struct NewFamilyArgs {
    /// The family's display name (李家).
    #[arg(long)]
    pub name: String,
    /// The program it is enrolled in (id or name).
    #[arg(long)]
    pub program: Option<String>,
    /// IANA time zone (default Asia/Shanghai).
    #[arg(long, value_parser = parse_time_zone)]
    pub time_zone: Option<TimeZoneName>,
    /// The family's own target days between contacts (default: the program's).
    #[arg(long, value_parser = parse_cadence)]
    pub cadence: Option<TargetCadence>,
    /// A guardian consented to the family's data being kept.
    #[arg(long)]
    pub guardian_consent: bool,
    /// The family agreed to share note text with the program's staff.
    #[arg(long)]
    pub share_notes: bool,
    /// A guardian agreed that the child may have an account of their own.
    #[arg(long)]
    pub child_accounts: bool,
    /// Create it even if a family of the program has that name already.
    #[arg(long)]
    pub allow_duplicate: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonAdmin {
    /// Add a person to a family.
    Add(NewPersonArgs),
    /// Change a person: only what is given changes (a mother came home: --lives-away no).
    Update(PersonUpdateArgs),
}

#[derive(Debug, Args)]
pub struct PersonUpdateArgs {
    /// The family (id or name).
    #[arg(long)]
    pub family: String,
    /// The person: id, name, or a role only one person has.
    pub person: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, value_parser = parse_family_role)]
    pub role: Option<FamilyRole>,
    /// yes or no.
    #[arg(long, value_parser = parse_yes_no)]
    pub lives_away: Option<bool>,
    /// Where they live when away; an empty value clears it.
    #[arg(long = "where")]
    pub away_location: Option<String>,
    /// Away since (YYYY-MM-DD); an empty value clears it.
    #[arg(long, value_parser = parse_optional_date)]
    pub since: Option<Option<chrono::NaiveDate>>,
    /// Year of birth; an empty value clears it.
    #[arg(long, value_parser = parse_optional_year)]
    pub birth_year: Option<Option<i32>>,
    /// Date of birth (YYYY-MM-DD); an empty value clears it.
    #[arg(long, value_parser = parse_optional_date)]
    pub birth_date: Option<Option<chrono::NaiveDate>>,
    /// The person's phone numbers, replacing the stored ones; repeat for several.
    #[arg(long = "phone", conflicts_with = "no_phones")]
    pub phones: Vec<String>,
    /// Remove every phone number of the person.
    #[arg(long)]
    pub no_phones: bool,
}

#[derive(Debug, Args)]
pub struct NewPersonArgs {
    /// The family (id or name).
    #[arg(long)]
    pub family: String,
    /// The person's display name (小雨).
    #[arg(long)]
    pub name: String,
    /// mother, father, child, grandmother, grandfather, other_caregiver or sibling.
    #[arg(long, value_parser = parse_family_role)]
    pub role: FamilyRole,
    /// Lives away from the child (a parent working in a city).
    #[arg(long)]
    pub lives_away: bool,
    /// Where they live and work when away (上海).
    #[arg(long = "where")]
    pub away_location: Option<String>,
    /// Away since (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// Children: year of birth.
    #[arg(long)]
    pub birth_year: Option<i32>,
    /// Children: date of birth (YYYY-MM-DD), for birthday reminders.
    #[arg(long)]
    pub birth_date: Option<chrono::NaiveDate>,
    /// Phone number, any common spelling (stored as E.164; +86 assumed without a country);
    /// repeat for several.
    #[arg(long = "phone")]
    pub phones: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserAdmin {
    /// Create an account. Without --password-stdin a one-time password is made and printed
    /// once, for handing out.
    Create(NewUserArgs),
    /// Every account.
    List,
    /// Disable an account: it is refused at once and its sessions end.
    Disable { user: String },
    /// Enable a disabled account again.
    Enable { user: String },
    /// Unlock an account locked after too many wrong passwords.
    Unlock { user: String },
    /// Reset an account's password: a one-time password, printed once, that must be changed
    /// at the next sign-in (`kinthread passwd`); the account's sessions end.
    ResetPassword { user: String },
    /// Set the programs of a staff account (replaces the list).
    Programs {
        user: String,
        /// A program (id or name); repeat for several.
        #[arg(long = "program", required = true)]
        programs: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct NewUserArgs {
    /// 3 to 64 characters without spaces (kept in lower case).
    #[arg(long)]
    pub username: String,
    /// admin, staff, parent, caregiver or child.
    #[arg(long, value_parser = parse_account_role)]
    pub role: AccountRole,
    #[arg(long)]
    pub display_name: Option<String>,
    /// Family accounts: the family (id or name).
    #[arg(long)]
    pub family: Option<String>,
    /// Family accounts: the person it speaks for (id, name or role in the family).
    #[arg(long)]
    pub person: Option<String>,
    /// Staff accounts: a program (id or name); repeat for several.
    #[arg(long = "program")]
    pub programs: Vec<String>,
    /// Read the password from the first line of standard input instead of making one.
    #[arg(long)]
    pub password_stdin: bool,
}

fn parse_cadence(text: &str) -> Result<TargetCadence, String> {
    let days: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of days"))?;
    TargetCadence::new(days).map_err(|e| e.to_string())
}

fn parse_time_zone(text: &str) -> Result<TimeZoneName, String> {
    text.parse()
        .map_err(|e: kinthread_shared::values::UnknownTimeZone| e.to_string())
}

pub fn parse_family_role(text: &str) -> Result<FamilyRole, String> {
    text.trim()
        .parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" => Ok(true),
        "no" | "n" | "false" | "0" | "否" => Ok(false),
        _ => Err(format!("`{text}` is not yes or no")),
    }
}

fn parse_optional_date(text: &str) -> Result<Option<chrono::NaiveDate>, String> {
    match text.trim() {
        "" => Ok(None),
        date => date
            .parse()
            .map(Some)
            .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)")),
    }
}

fn parse_optional_year(text: &str) -> Result<Option<i32>, String> {
    match text.trim() {
        "" => Ok(None),
        year => year
            .parse()
            .map(Some)
            .map_err(|_| format!("`{text}` is not a year")),
    }
}

fn parse_account_role(text: &str) -> Result<AccountRole, String> {
    text.trim()
        .parse()
        .map_err(|e: kinthread_shared::UnknownVariant| e.to_string())
}

/// A password for handing out on paper: 16 letters and digits that cannot be mistaken for
/// one another (no 0/o, 1/l/i), in groups of four, from the system's random source; about 79
/// bits.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut chars = Vec::with_capacity(16);
    while chars.len() < 16 {
        // A v4 UUID is 122 random bits; its version and variant bits are left out.
        let uuid = uuid::Uuid::new_v4();
        let bytes = uuid.as_bytes();
        for byte in bytes[..6].iter().chain(&bytes[9..]) {
            // 31 symbols: the top value of 0..32 is thrown away so none is more likely.
            let index = usize::from(byte & 31);
            if let Some(&symbol) = ALPHABET.get(index)
                && chars.len() < 16
            {
                chars.push(char::from(symbol));
            }
        }
    }
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The family of `program` whose name is `name`, if any (names compared trimmed and
/// case-folded, as the server compares them).
pub fn same_name<'a>(
    families: &'a [Family],
    program: Option<ProgramId>,
    name: &str,
) -> Option<&'a Family> {
    let wanted = name.trim().to_lowercase();
    program?;
    families
        .iter()
        .find(|f| f.program_id == program && f.display_name.trim().to_lowercase() == wanted)
}

fn programs_table(programs: &[Program]) -> Table {
    let mut table = Table::new(&["name", ">target_days", ">retention_months", "created", "id"]);
    for p in programs {
        table.push(vec![
            p.name.clone(),
            p.target_cadence_days.to_string(),
            p.retention_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            p.created_at.format("%Y-%m-%d").to_string(),
            p.id.to_string(),
        ]);
    }
    table
}

pub async fn program(api: &mut Api, command: ProgramCommand, format: Format) -> CliResult<()> {
    match command {
        ProgramCommand::List => {
            let programs = resolve::all_programs(api).await?;
            output::emit(format, &programs_table(&programs), &programs)
        }
        // The server refuses a name another program has (409 `duplicate_name`).
        ProgramCommand::Create { name, cadence } => {
            let created: Program = api
                .post(
                    "/programs",
                    &NewProgram {
                        name,
                        target_cadence_days: cadence,
                    },
                )
                .await?;
            output::emit(
                format,
                &programs_table(std::slice::from_ref(&created)),
                &created,
            )
        }
        ProgramCommand::Retention {
            program, months, ..
        } => {
            let id = resolve::program(api, &program).await?.id;
            let changed: Program = api
                .patch(
                    &format!("/programs/{id}"),
                    &ProgramUpdate {
                        retention_months: Some(months),
                        ..ProgramUpdate::default()
                    },
                )
                .await?;
            output::emit(
                format,
                &programs_table(std::slice::from_ref(&changed)),
                &changed,
            )
        }
    }
}

pub async fn run(api: &mut Api, command: AdminCommand, format: Format) -> CliResult<()> {
    match command {
        AdminCommand::Program(command) => program(api, command, format).await,
        AdminCommand::Family(FamilyAdmin::Create(args)) => {
            let created = create_family(api, args).await?;
            let programs = resolve::all_programs(api).await?;
            output::emit(
                format,
                &families_table(std::slice::from_ref(&created), &programs),
                &created,
            )
        }
        AdminCommand::Family(FamilyAdmin::List { program }) => {
            let mut families = resolve::all_families(api).await?;
            if let Some(program) = program {
                let program = resolve::program(api, &program).await?.id;
                families.retain(|f| f.program_id == Some(program));
            }
            let programs = resolve::all_programs(api).await?;
            output::emit(format, &families_table(&families, &programs), &families)
        }
        AdminCommand::Family(FamilyAdmin::Enrol {
            family,
            program,
            allow_duplicate,
        }) => {
            let program = resolve::program(api, &program).await?.id;
            let change = FamilyUpdate {
                program_id: Some(Some(program)),
                allow_duplicate,
                ..FamilyUpdate::default()
            };
            update_family(api, &family, &change, format).await
        }
        AdminCommand::Family(FamilyAdmin::Withdraw { family }) => {
            let change = FamilyUpdate {
                program_id: Some(None),
                ..FamilyUpdate::default()
            };
            update_family(api, &family, &change, format).await
        }
        AdminCommand::Family(FamilyAdmin::Update {
            family,
            name,
            time_zone,
            cadence,
            allow_duplicate,
        }) => {
            let change = FamilyUpdate {
                display_name: name,
                time_zone,
                target_cadence_days: cadence,
                allow_duplicate,
                ..FamilyUpdate::default()
            };
            update_family(api, &family, &change, format).await
        }
        AdminCommand::Person(PersonAdmin::Update(args)) => {
            let family = resolve::family(api, Some(&args.family)).await?;
            let people = resolve::persons(api, family.id).await?;
            let person = resolve::person(&people, &args.person)?.id;
            let change = PersonUpdate {
                display_name: args.name,
                role: args.role,
                lives_away: args.lives_away,
                away_location: args
                    .away_location
                    .map(|w| Some(w.trim().to_owned()).filter(|w| !w.is_empty())),
                away_since: args.since,
                birth_year: args.birth_year,
                birth_date: args.birth_date,
                phones: if args.no_phones {
                    Some(None)
                } else if args.phones.is_empty() {
                    None
                } else {
                    Some(Some(args.phones))
                },
            };
            if change == PersonUpdate::default() {
                return Err(CliError::usage(
                    "nothing to change: give --name, --role, --lives-away, --where, --since, \
                     --birth-year, --birth-date, --phone or --no-phones",
                ));
            }
            let changed: Person = api
                .patch(
                    &format!("/families/{}/persons/{person}", family.id),
                    &change,
                )
                .await?;
            output::emit(format, &person_table(&family, &changed), &changed)
        }
        AdminCommand::Person(PersonAdmin::Add(args)) => {
            let family = resolve::family(api, Some(&args.family)).await?;
            let person: kinthread_shared::api::Person = api
                .post(
                    &format!("/families/{}/persons", family.id),
                    &NewPerson {
                        display_name: args.name,
                        role: args.role,
                        lives_away: args.lives_away,
                        away_location: args.away_location,
                        away_since: args.since,
                        birth_year: args.birth_year,
                        birth_date: args.birth_date,
                        phone: None,
                        phones: args.phones,
                    },
                )
                .await?;
            output::emit(format, &person_table(&family, &person), &person)
        }
        AdminCommand::User(command) => user(api, command, format).await,
        AdminCommand::Roster(command) => crate::commands::roster::run(api, command, format).await,
    }
}

fn person_table(family: &Family, person: &Person) -> Table {
    let mut table = Table::new(&[
        "family",
        "name",
        "role",
        "lives_away",
        "where",
        "born",
        "phones",
        "id",
    ]);
    table.push(vec![
        family.display_name.clone(),
        person.display_name.clone(),
        person.role.to_string(),
        yes_no(person.lives_away),
        person.away_location.clone().unwrap_or_default(),
        person
            .birth_date
            .map(|d| d.to_string())
            .or(person.birth_year.map(|y| y.to_string()))
            .unwrap_or_default(),
        person.phones.join(" "),
        person.id.to_string(),
    ]);
    table
}

async fn update_family(
    api: &mut Api,
    family: &str,
    change: &FamilyUpdate,
    format: Format,
) -> CliResult<()> {
    let family = resolve::family(api, Some(family)).await?;
    let changed: Family = api
        .patch(&format!("/families/{}", family.id), change)
        .await?;
    let programs = resolve::all_programs(api).await?;
    output::emit(
        format,
        &families_table(std::slice::from_ref(&changed), &programs),
        &changed,
    )
}

/// Families as a deployer reads them: with the program each is enrolled in.
fn families_table(families: &[Family], programs: &[Program]) -> Table {
    let mut table = Table::new(&[
        "name",
        "program",
        ">target_days",
        "time_zone",
        "consent",
        "notes_shared",
        "id",
        "!program_id",
    ]);
    for family in families {
        table.push(vec![
            family.display_name.clone(),
            family
                .program_id
                .map(|id| {
                    programs
                        .iter()
                        .find(|p| p.id == id)
                        .map_or_else(|| id.to_string(), |p| p.name.clone())
                })
                .unwrap_or_else(|| "-".to_owned()),
            family.target_cadence_days.to_string(),
            family.time_zone.to_string(),
            yes_no(family.consent.guardian_consent),
            yes_no(family.consent.share_notes_with_staff),
            family.id.to_string(),
            family
                .program_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ]);
    }
    table
}

/// Creates a family; the server refuses a name another family of its program has (409
/// `duplicate_name`) unless `allow_duplicate`.
pub async fn create_family(api: &mut Api, args: NewFamilyArgs) -> CliResult<Family> {
    let program = match args.program.as_deref() {
        Some(program) => Some(resolve::program(api, program).await?.id),
        None => None,
    };
    api.post(
        "/families",
        &NewFamily {
            display_name: args.name,
            program_id: program,
            time_zone: args.time_zone,
            target_cadence_days: args.cadence,
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
    .await
}

/// An account as created, with the password when this command made it.
#[derive(Debug, Serialize)]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub user: User,
    /// Made here and shown once; absent when the password came from standard input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

fn users_table(users: &[User], programs: &[Program]) -> Table {
    let mut table = Table::new(&[
        "username",
        "role",
        "name",
        "disabled",
        "locked",
        "must_change",
        "programs",
        "!family_id",
        "!person_id",
        "!id",
    ]);
    let program_name = |id: &ProgramId| {
        programs
            .iter()
            .find(|p| p.id == *id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    for u in users {
        table.push(vec![
            u.username.clone(),
            u.role.to_string(),
            u.display_name.clone().unwrap_or_default(),
            yes_no(u.disabled),
            yes_no(u.login_locked),
            yes_no(u.must_change_password),
            u.program_ids
                .iter()
                .map(program_name)
                .collect::<Vec<_>>()
                .join(", "),
            u.family_id.map(|f| f.to_string()).unwrap_or_default(),
            u.person_id.map(|p| p.to_string()).unwrap_or_default(),
            u.id.to_string(),
        ]);
    }
    table
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

fn print_created(created: &CreatedAccount, format: Format) -> CliResult<()> {
    let mut table = Table::new(&["username", "role", "password", "!id"]);
    table.push(vec![
        created.user.username.clone(),
        created.user.role.to_string(),
        created
            .one_time_password
            .clone()
            .unwrap_or_else(|| "(as given)".to_owned()),
        created.user.id.to_string(),
    ]);
    if created.one_time_password.is_some() && format == Format::Table {
        eprintln!(
            "kinthread: the one-time password is shown this once: hand it over now; it must \
             be changed at the first sign-in (kinthread passwd)"
        );
    }
    output::emit(format, &table, created)
}

/// The server's password reset: a one-time password the account must change at its next
/// sign-in.
pub async fn reset_password(api: &mut Api, account: &User) -> CliResult<PasswordReset> {
    api.request(
        reqwest::Method::POST,
        &format!("/users/{}/password-reset", account.id),
        &[],
        None,
    )
    .await
}

async fn program_ids(api: &mut Api, given: &[String]) -> CliResult<Vec<ProgramId>> {
    let mut ids = Vec::new();
    for program in given {
        ids.push(resolve::program(api, program).await?.id);
    }
    Ok(ids)
}

async fn user(api: &mut Api, command: UserAdmin, format: Format) -> CliResult<()> {
    let update = |user: String, change: UserUpdate| (user, change);
    let (who, change) = match command {
        UserAdmin::Create(args) => {
            let created = create_user(api, args).await?;
            return print_created(&created, format);
        }
        UserAdmin::List => {
            let users: Vec<User> = resolve::all_pages(api, "/users").await?;
            let programs = resolve::all_programs(api).await?;
            return output::emit(format, &users_table(&users, &programs), &users);
        }
        UserAdmin::ResetPassword { user } => {
            let account = resolve::user(api, &user).await?;
            let reset = reset_password(api, &account).await?;
            let created = CreatedAccount {
                user: reset.user,
                one_time_password: Some(reset.one_time_password),
            };
            return print_created(&created, format);
        }
        UserAdmin::Disable { user } => update(
            user,
            UserUpdate {
                disabled: Some(true),
                ..UserUpdate::default()
            },
        ),
        UserAdmin::Enable { user } => update(
            user,
            UserUpdate {
                disabled: Some(false),
                ..UserUpdate::default()
            },
        ),
        UserAdmin::Unlock { user } => update(
            user,
            UserUpdate {
                login_locked: Some(false),
                ..UserUpdate::default()
            },
        ),
        UserAdmin::Programs { user, programs } => {
            let ids = program_ids(api, &programs).await?;
            update(
                user,
                UserUpdate {
                    program_ids: Some(ids),
                    ..UserUpdate::default()
                },
            )
        }
    };
    let account = resolve::user(api, &who).await?;
    let changed: User = api
        .patch(&format!("/users/{}", account.id), &change)
        .await?;
    let programs = resolve::all_programs(api).await?;
    output::emit(
        format,
        &users_table(std::slice::from_ref(&changed), &programs),
        &changed,
    )
}

/// Creates an account; the password comes from standard input or is made here.
pub async fn create_user(api: &mut Api, args: NewUserArgs) -> CliResult<CreatedAccount> {
    // A family account is named after its person unless told otherwise.
    let (family_id, person_id, person_name) = match (&args.family, &args.person) {
        (Some(family), Some(person)) => {
            let family = resolve::family(api, Some(family)).await?;
            let people = resolve::persons(api, family.id).await?;
            let person = resolve::person(&people, person)?;
            (
                Some(family.id),
                Some(person.id),
                Some(person.display_name.clone()),
            )
        }
        (None, None) => (None, None, None),
        _ => {
            return Err(CliError::usage(
                "family accounts need both --family and --person",
            ));
        }
    };
    let program_ids = program_ids(api, &args.programs).await?;
    // Without a password given, the account is made with a random one nobody sees, then
    // reset: the server's one-time password must be changed at the first sign-in.
    let (password, given) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| CliError::io("reading the password from standard input", e))?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), true)
    } else {
        (one_time_password(), false)
    };
    let user: User = api
        .post(
            "/users",
            &NewUser {
                username: args.username,
                password,
                role: args.role,
                display_name: args.display_name.or(person_name),
                family_id,
                person_id,
                program_ids,
            },
        )
        .await?;
    if given {
        return Ok(CreatedAccount {
            user,
            one_time_password: None,
        });
    }
    let reset = reset_password(api, &user).await?;
    Ok(CreatedAccount {
        user: reset.user,
        one_time_password: Some(reset.one_time_password),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn one_time_passwords_are_readable_and_differ() {
        let made: HashSet<String> = (0..200).map(|_| one_time_password()).collect();
        assert_eq!(made.len(), 200);
        for password in &made {
            assert_eq!(password.len(), 19, "{password}");
            let groups: Vec<&str> = password.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(password.chars().all(|c| c == '-'
                || (c.is_ascii_alphanumeric() && !"01ilo".contains(c) && !c.is_ascii_uppercase())));
        }
        // Every symbol turns up: none is left out by the mapping.
        let seen: HashSet<char> = made.iter().flat_map(|p| p.chars()).collect();
        assert_eq!(seen.len(), 32, "{seen:?}");
    }

    #[test]
    fn duplicate_names_are_per_program() {
        let family = |name: &str, program: Option<ProgramId>| Family {
            id: kinthread_shared::FamilyId::new(),
            display_name: name.into(),
            program_id: program,
            time_zone: TimeZoneName::default(),
            target_cadence_days: TargetCadence::default(),
            consent: Consent::default(),
            created_at: chrono::Utc::now(),
        };
        let (a, b) = (ProgramId::new(), ProgramId::new());
        let families = vec![family("李家", Some(a)), family("张家", None)];
        assert!(same_name(&families, Some(a), " 李家 ").is_some());
        assert!(same_name(&families, Some(b), "李家").is_none());
        // Families outside any program are not compared.
        assert!(same_name(&families, None, "张家").is_none());
    }
}
