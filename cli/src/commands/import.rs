//! `kinthread import FILE...`: SMS Backup & Restore exports (calls and texts from a parent's
//! or child's phone) become contacts of a family, and kinthread bundles are loaded into the
//! server. Which one a file is, is told from its content, not its name.
//!
//! SBR records are streamed (never the whole file in memory), numbers matched to the
//! family's persons, and uploads sent in batches of at most 1,000 through the idempotent batch
//! API; each record's client id is derived from the record itself, so a second import of the
//! same file, or of a newer overlapping backup, stores nothing twice. A number that matches
//! no one (or several persons) is listed, masked, and never stored as anyone.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use kinthread_shared::api::{BatchItemStatus, BatchResponse, ContactBatch, NewContact, Person};
use kinthread_shared::bundle::{Bundle, BundleImportReport};
use kinthread_shared::{ContactKind, ContactSource, ContactStatus, PersonId};
use serde::Serialize;

use crate::client::Api;
use crate::error::{CliError, CliResult, Kind};
use crate::output::{self, Format, Table};
use crate::resolve;
use crate::sbr::client_id::client_id;
use crate::sbr::phone::{PhoneError, RawNumber, mask};
use crate::sbr::reader::SbrReader;
use crate::sbr::record::{
    CallRecord, CallType, Direction, MessageBox, MmsRecord, Record, SmsRecord,
};

/// The batch API's limit.
const BATCH: usize = 1000;
/// Distinct unknown numbers kept for the summary; past this they are only counted, so a
/// backup full of strangers cannot grow memory without bound.
const MAX_UNKNOWN_LISTED: usize = 1000;
/// Problems quoted in full (malformed records, refused uploads); the rest are counted.
const MAX_PROBLEMS_LISTED: usize = 50;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// SMS Backup & Restore exports (calls-*.xml, sms-*.xml) or kinthread bundles
    /// (`kinthread export`); the kind is told from the content.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The family the phone's calls and texts belong to (id or name; default your own).
    #[arg(long)]
    pub family: Option<String>,
    /// The person whose phone was backed up (id, name or role), for SBR files.
    #[arg(long)]
    pub owner: Option<String>,
    /// Country code for numbers written without one.
    #[arg(long, default_value = kinthread_shared::phone::DEFAULT_COUNTRY_CODE)]
    pub country_code: String,
    /// Show what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What a file is, from its first bytes.
#[derive(Debug)]
enum FileKind {
    Sbr,
    /// Read and checked whole: a bundle is parsed before anything is sent.
    Bundle(Box<Bundle>),
}

fn open(path: &Path) -> CliResult<File> {
    File::open(path).map_err(|e| CliError::io(&format!("opening {}", path.display()), e))
}

/// Refuses a file that is neither an SBR export nor a bundle, before anything is written.
fn sniff(path: &Path) -> CliResult<FileKind> {
    let mut head = [0_u8; 64];
    let mut file = open(path)?;
    let read = file
        .read(&mut head)
        .map_err(|e| CliError::io(&format!("reading {}", path.display()), e))?;
    let head = head.get(..read).unwrap_or_default();
    let first = head
        .strip_prefix(&[0xEF, 0xBB, 0xBF])
        .unwrap_or(head)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return read_bundle(path).map(|b| FileKind::Bundle(Box::new(b)));
    }
    let reader = SbrReader::new(open(path)?).map_err(|e| {
        CliError::new(
            Kind::Usage,
            "unsupported_file",
            format!(
                "{}: {e}; kinthread imports SMS Backup & Restore XML exports and kinthread bundles",
                path.display()
            ),
        )
    })?;
    drop(reader);
    Ok(FileKind::Sbr)
}

pub async fn run(api: &mut Api, args: ImportArgs, format: Format) -> CliResult<()> {
    let kinds = args
        .files
        .iter()
        .map(|path| sniff(path))
        .collect::<CliResult<Vec<_>>>()?;
    let mut sbr_context: Option<Context> = None;
    let mut summaries = Vec::new();
    // Every file was checked above: a wrong one is refused before anything is sent.
    for (path, kind) in args.files.iter().zip(kinds) {
        match kind {
            FileKind::Bundle(bundle) => {
                import_bundle(api, path, &bundle, args.dry_run, format).await?;
            }
            FileKind::Sbr => {
                if sbr_context.is_none() {
                    sbr_context = Some(Context::load(api, &args).await?);
                }
                if let Some(context) = &sbr_context {
                    let summary = import_sbr(api, context, path, args.dry_run).await?;
                    summaries.push(summary);
                }
            }
        }
    }
    if !summaries.is_empty() {
        print_summaries(&summaries, args.dry_run, format)?;
    }
    Ok(())
}

// ---- bundles --------------------------------------------------------------------------------

fn read_bundle(path: &Path) -> CliResult<Bundle> {
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

async fn import_bundle(
    api: &mut Api,
    path: &Path,
    bundle: &Bundle,
    dry_run: bool,
    format: Format,
) -> CliResult<()> {
    if dry_run {
        let contacts: usize = bundle.families.iter().map(|f| f.contacts.len()).sum();
        eprintln!(
            "{}: a bundle of {} famil{} and {contacts} contact versions; dry run, nothing sent",
            path.display(),
            bundle.families.len(),
            if bundle.families.len() == 1 {
                "y"
            } else {
                "ies"
            },
        );
        return Ok(());
    }
    // One request per family keeps each body small; the server takes each in one transaction.
    let mut report = BundleImportReport {
        families: Vec::new(),
    };
    for record in &bundle.families {
        let mut one = Bundle::new(bundle.exported_at);
        one.withheld = bundle.withheld.clone();
        one.programs
            .extend(bundle.program(record.family.program_id).cloned());
        one.families.push(record.clone());
        let answer: BundleImportReport = api.post("/bundles", &one).await?;
        report.families.extend(answer.families);
    }
    let mut table = Table::new(&[
        "family",
        "status",
        ">persons",
        ">contacts",
        ">checkins",
        ">follow_ups",
        ">already_there",
    ]);
    for result in &report.families {
        let c = &result.created;
        let e = &result.existing;
        let name = bundle
            .families
            .iter()
            .find(|f| f.family.id == result.family_id)
            .map(|f| f.family.display_name.clone())
            .unwrap_or_default();
        table.push(vec![
            name,
            format!("{:?}", result.status).to_lowercase(),
            c.persons.to_string(),
            c.contacts.to_string(),
            c.checkins.to_string(),
            c.follow_ups.to_string(),
            (e.persons + e.contacts + e.checkins + e.follow_ups).to_string(),
        ]);
    }
    match format {
        Format::Table => output::print(&format!(
            "{}: bundle imported (new records per family)\n\n{}",
            path.display(),
            table.render_text()
        )),
        other => output::emit(other, &table, &report),
    }
}

// ---- SMS Backup & Restore ---------------------------------------------------------------------

/// A number's person in the family, if exactly one has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    One(PersonId),
    Several,
}

/// The family, the phone's owner and who has which number.
#[derive(Debug)]
struct Context {
    family: kinthread_shared::FamilyId,
    owner: PersonId,
    tz: Tz,
    country_code: String,
    numbers: HashMap<String, Holder>,
}

impl Context {
    async fn load(api: &mut Api, args: &ImportArgs) -> CliResult<Self> {
        let owner = args.owner.as_deref().ok_or_else(|| {
            CliError::usage(
                "SMS Backup & Restore files need --owner: the person whose phone it was",
            )
        })?;
        if kinthread_shared::phone::normalize("13800138000", &args.country_code)
            == Err(PhoneError::BadCountryCode)
        {
            return Err(CliError::usage(format!(
                "--country-code {} is not a country calling code",
                args.country_code
            )));
        }
        let family = resolve::family(api, args.family.as_deref()).await?;
        let persons = resolve::persons(api, family.id).await?;
        let owner = resolve::person(&persons, owner)?.id;
        Ok(Self {
            family: family.id,
            owner,
            tz: resolve::time_zone(&family),
            country_code: args.country_code.clone(),
            numbers: numbers_of(&persons),
        })
    }
}

/// Persons' E.164 numbers; a number two persons share (a home landline) belongs to neither.
fn numbers_of(persons: &[Person]) -> HashMap<String, Holder> {
    let mut numbers = HashMap::new();
    for person in persons {
        if let Some(phone) = &person.phone {
            numbers
                .entry(phone.clone())
                .and_modify(|h| *h = Holder::Several)
                .or_insert(Holder::One(person.id));
        }
    }
    numbers
}

/// Why a record did not become a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
enum SkipReason {
    /// The caller hid the number, or the record has none.
    WithheldNumber,
    /// A draft, or a message still in the outbox, failed or queued: never exchanged.
    NotSent,
    /// Android's "answered on another device": that device's log has the call.
    AnsweredElsewhere,
    /// A call type or message box code Android does not define.
    UnknownType,
    /// The owner's own number on the other side.
    OwnNumber,
}

impl SkipReason {
    fn label(self) -> &'static str {
        match self {
            Self::WithheldNumber => "withheld or missing number",
            Self::NotSent => "draft, outbox, failed or queued message (never exchanged)",
            Self::AnsweredElsewhere => "call answered on another device",
            Self::UnknownType => "unknown call type or message box",
            Self::OwnNumber => "the owner's own number",
        }
    }
}

/// Why a number matched no one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
enum UnknownReason {
    NotInFamily,
    SharedBySeveral,
    ServiceNumber,
    SenderName,
    NoAreaCode,
    NotANumber,
}

impl UnknownReason {
    fn label(self) -> &'static str {
        match self {
            Self::NotInFamily => "no person of the family has this number",
            Self::SharedBySeveral => "several persons have this number",
            Self::ServiceNumber => "service short code",
            Self::SenderName => "sender name, not a number",
            Self::NoAreaCode => "local number without area code",
            Self::NotANumber => "not a phone number",
        }
    }
}

/// What one record comes to.
#[derive(Debug, PartialEq)]
enum Outcome {
    Contact(Box<NewContact>),
    Skipped(SkipReason),
    Unknown { key: String, reason: UnknownReason },
}

/// The facts of a contact besides its owner, time and client id.
struct Draft {
    kind: ContactKind,
    status: Option<ContactStatus>,
    /// The family members on the other side.
    others: Vec<PersonId>,
    initiator: PersonId,
    duration_seconds: Option<i64>,
    content: Option<String>,
}

/// The other party of a record: a person, or why not.
enum Party {
    Person(PersonId),
    Skip(SkipReason),
    Unknown(String, UnknownReason),
}

impl Context {
    fn party(&self, number: Option<&RawNumber>) -> Party {
        let Some(number) = number else {
            return Party::Skip(SkipReason::WithheldNumber);
        };
        let raw = number.as_str().trim().to_owned();
        let reason = match number.normalize(&self.country_code) {
            Ok(e164) => {
                return match self.numbers.get(e164.as_str()) {
                    Some(Holder::One(person)) if *person == self.owner => {
                        Party::Skip(SkipReason::OwnNumber)
                    }
                    Some(Holder::One(person)) => Party::Person(*person),
                    Some(Holder::Several) => {
                        Party::Unknown(e164.as_str().to_owned(), UnknownReason::SharedBySeveral)
                    }
                    None => Party::Unknown(e164.as_str().to_owned(), UnknownReason::NotInFamily),
                };
            }
            Err(PhoneError::Withheld) => return Party::Skip(SkipReason::WithheldNumber),
            Err(PhoneError::ShortCode) => UnknownReason::ServiceNumber,
            Err(PhoneError::Alphanumeric) => UnknownReason::SenderName,
            Err(PhoneError::MissingAreaCode) => UnknownReason::NoAreaCode,
            Err(PhoneError::Invalid | PhoneError::BadCountryCode) => UnknownReason::NotANumber,
        };
        Party::Unknown(raw, reason)
    }

    /// The instant with the offset of the family's home zone: the backup records no offset.
    fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        let offset = self.tz.offset_from_utc_datetime(&at.naive_utc()).fix();
        at.with_timezone(&offset)
    }

    fn contact(&self, record: &Record, draft: Draft) -> Outcome {
        let mut participants = vec![self.owner];
        participants.extend(draft.others);
        Outcome::Contact(Box::new(NewContact {
            client_id: client_id(record, &self.owner.to_string()),
            kind: draft.kind,
            status: draft.status,
            participants,
            initiator: draft.initiator,
            started_at: self.local(record.at()),
            duration_seconds: draft.duration_seconds,
            ended_at: None,
            content: draft.content,
            talked_most: None,
            child_feedback: None,
            source: Some(ContactSource::Import),
        }))
    }

    /// Turns one backup record into a contact, or says why not.
    fn map(&self, record: &Record) -> Outcome {
        match record {
            Record::Call(call) => self.map_call(record, call),
            Record::Sms(sms) => self.map_sms(record, sms),
            Record::Mms(mms) => self.map_mms(record, mms),
        }
    }

    fn map_call(&self, record: &Record, call: &CallRecord) -> Outcome {
        match call.call_type {
            CallType::AnsweredExternally => return Outcome::Skipped(SkipReason::AnsweredElsewhere),
            CallType::Other(_) => return Outcome::Skipped(SkipReason::UnknownType),
            _ => {}
        }
        if call.is_withheld() {
            return Outcome::Skipped(SkipReason::WithheldNumber);
        }
        let other = match self.party(call.number.as_ref()) {
            Party::Person(person) => person,
            Party::Skip(reason) => return Outcome::Skipped(reason),
            Party::Unknown(key, reason) => return Outcome::Unknown { key, reason },
        };
        let talked = i64::from(call.duration_seconds);
        // Who rang whom, and whether they talked. A call that rang out (0 s) is missed; a
        // voicemail is a missed call (nobody talked to the child); rejected and blocked calls
        // are declined by the owner.
        let (status, initiator) = match call.call_type {
            CallType::Incoming if talked > 0 => (ContactStatus::Completed, other),
            CallType::Outgoing if talked > 0 => (ContactStatus::Completed, self.owner),
            CallType::Outgoing => (ContactStatus::Missed, self.owner),
            CallType::Rejected | CallType::Blocked => (ContactStatus::Declined, other),
            _ => (ContactStatus::Missed, other),
        };
        let duration = (status == ContactStatus::Completed).then_some(talked);
        self.contact(
            record,
            Draft {
                kind: ContactKind::Call,
                status: Some(status),
                others: vec![other],
                initiator,
                duration_seconds: duration,
                content: None,
            },
        )
    }

    fn initiator(&self, direction: Direction, other: PersonId) -> PersonId {
        match direction {
            Direction::Incoming => other,
            Direction::Outgoing => self.owner,
        }
    }

    fn map_sms(&self, record: &Record, sms: &SmsRecord) -> Outcome {
        let direction = match box_direction(sms.message_box) {
            Ok(direction) => direction,
            Err(reason) => return Outcome::Skipped(reason),
        };
        let other = match self.party(sms.address.as_ref()) {
            Party::Person(person) => person,
            Party::Skip(reason) => return Outcome::Skipped(reason),
            Party::Unknown(key, reason) => return Outcome::Unknown { key, reason },
        };
        self.contact(
            record,
            Draft {
                kind: ContactKind::Text,
                status: None,
                others: vec![other],
                initiator: self.initiator(direction, other),
                duration_seconds: None,
                content: non_empty(&sms.body),
            },
        )
    }

    fn map_mms(&self, record: &Record, mms: &MmsRecord) -> Outcome {
        use crate::sbr::record::AddressRole;
        let direction = match box_direction(mms.message_box) {
            Ok(direction) => direction,
            Err(reason) => return Outcome::Skipped(reason),
        };
        let mut others: Vec<PersonId> = Vec::new();
        let mut sender: Option<PersonId> = None;
        let mut first_unknown: Option<(String, UnknownReason)> = None;
        for address in &mms.addresses {
            match self.party(Some(&address.number)) {
                Party::Person(person) => {
                    if !others.contains(&person) {
                        others.push(person);
                    }
                    if address.role == AddressRole::From {
                        sender = Some(person);
                    }
                }
                Party::Skip(_) => {}
                Party::Unknown(key, reason) => {
                    // A stranger's message must not be stored as if a family member sent it.
                    if direction == Direction::Incoming && address.role == AddressRole::From {
                        return Outcome::Unknown { key, reason };
                    }
                    first_unknown.get_or_insert((key, reason));
                }
            }
        }
        let Some(&first) = others.first() else {
            return match first_unknown {
                Some((key, reason)) => Outcome::Unknown { key, reason },
                None => Outcome::Skipped(SkipReason::WithheldNumber),
            };
        };
        let initiator = self.initiator(direction, sender.unwrap_or(first));
        self.contact(
            record,
            Draft {
                kind: ContactKind::Text,
                status: None,
                others,
                initiator,
                duration_seconds: None,
                content: non_empty(&mms.body),
            },
        )
    }
}

fn box_direction(message_box: MessageBox) -> Result<Direction, SkipReason> {
    if !message_box.was_exchanged() {
        return Err(match message_box {
            MessageBox::Other(_) => SkipReason::UnknownType,
            _ => SkipReason::NotSent,
        });
    }
    message_box.direction().ok_or(SkipReason::UnknownType)
}

fn non_empty(body: &str) -> Option<String> {
    (!body.trim().is_empty()).then(|| body.to_owned())
}

/// One unknown number in the summary: masked, why, how often.
#[derive(Debug, Serialize)]
struct UnknownNumber {
    number: String,
    reason: UnknownReason,
    records: u64,
}

/// What importing one file did.
#[derive(Debug, Default, Serialize)]
struct FileSummary {
    file: String,
    records: u64,
    calls: u64,
    texts: u64,
    /// Contacts sent (or, in a dry run, that would be sent).
    contacts: u64,
    imported: u64,
    already_there: u64,
    refused_by_server: u64,
    skipped: BTreeMap<SkipReason, u64>,
    unknown_records: u64,
    unknown_numbers: Vec<UnknownNumber>,
    /// Records whose unknown number came after the list was full.
    unknown_not_listed: u64,
    /// MMS pictures, audio, video and contact cards: not imported (their text is).
    mms_parts_not_imported: u64,
    malformed: u64,
    problems: Vec<String>,
}

impl FileSummary {
    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS_LISTED {
            self.problems.push(text);
        }
    }
}

/// Sends one batch and counts the answers; `positions` are the batch items' record numbers.
async fn flush(
    api: &mut Api,
    context: &Context,
    batch: &mut Vec<NewContact>,
    positions: &mut Vec<u64>,
    summary: &mut FileSummary,
    dry_run: bool,
) -> CliResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    summary.contacts += batch.len() as u64;
    if !dry_run {
        let body = ContactBatch {
            contacts: std::mem::take(batch),
        };
        let answer: BatchResponse = api
            .post(
                &format!("/families/{}/contacts/batch", context.family),
                &body,
            )
            .await?;
        summary.imported += answer.created as u64;
        summary.already_there += answer.existing as u64;
        summary.refused_by_server += answer.rejected as u64;
        for result in answer.results {
            if result.status == BatchItemStatus::Rejected {
                let record = positions.get(result.index).copied().unwrap_or_default();
                let why = result.error.map(|e| e.message).unwrap_or_default();
                summary.problem(format!("record {record}: refused by the server: {why}"));
            }
        }
    }
    batch.clear();
    positions.clear();
    Ok(())
}

async fn import_sbr(
    api: &mut Api,
    context: &Context,
    path: &Path,
    dry_run: bool,
) -> CliResult<FileSummary> {
    let file = open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = SbrReader::new(BufReader::with_capacity(64 * 1024, file)).map_err(|e| {
        CliError::new(
            Kind::Usage,
            "unsupported_file",
            format!("{}: {e}", path.display()),
        )
    })?;
    let progress = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    {
        progress.set_style(style.progress_chars("=> "));
    }
    progress.set_message(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut summary = FileSummary {
        file: path.display().to_string(),
        ..FileSummary::default()
    };
    let mut unknown: HashMap<String, (UnknownReason, u64)> = HashMap::new();
    let mut batch: Vec<NewContact> = Vec::with_capacity(BATCH);
    let mut positions: Vec<u64> = Vec::with_capacity(BATCH);
    let mut reader = reader;
    while let Some(item) = reader.next() {
        summary.records += 1;
        if summary.records.is_multiple_of(512) {
            progress.set_position(reader.byte_offset());
        }
        let record = match item {
            Ok(record) => record,
            Err(error) => {
                summary.malformed += 1;
                summary.problem(format!("{error}"));
                continue;
            }
        };
        match &record {
            Record::Call(_) => summary.calls += 1,
            Record::Sms(_) => summary.texts += 1,
            Record::Mms(mms) => {
                summary.texts += 1;
                summary.mms_parts_not_imported += u64::from(mms.skipped_parts);
            }
        }
        match context.map(&record) {
            Outcome::Contact(contact) => {
                batch.push(*contact);
                positions.push(summary.records);
                if batch.len() >= BATCH {
                    flush(
                        api,
                        context,
                        &mut batch,
                        &mut positions,
                        &mut summary,
                        dry_run,
                    )
                    .await?;
                }
            }
            Outcome::Skipped(reason) => *summary.skipped.entry(reason).or_default() += 1,
            Outcome::Unknown { key, reason } => {
                summary.unknown_records += 1;
                if let Some(entry) = unknown.get_mut(&key) {
                    entry.1 += 1;
                } else if unknown.len() < MAX_UNKNOWN_LISTED {
                    unknown.insert(key, (reason, 1));
                } else {
                    summary.unknown_not_listed += 1;
                }
            }
        }
    }
    // Malformed records count as records above; keep `records` for the good and bad alike.
    flush(
        api,
        context,
        &mut batch,
        &mut positions,
        &mut summary,
        dry_run,
    )
    .await?;
    progress.finish_and_clear();
    let mut listed: Vec<UnknownNumber> = unknown
        .into_iter()
        .map(|(key, (reason, records))| UnknownNumber {
            number: mask(&key),
            reason,
            records,
        })
        .collect();
    listed.sort_by(|a, b| {
        b.records
            .cmp(&a.records)
            .then_with(|| a.number.cmp(&b.number))
    });
    summary.unknown_numbers = listed;
    Ok(summary)
}

fn print_summaries(summaries: &[FileSummary], dry_run: bool, format: Format) -> CliResult<()> {
    if format == Format::Json {
        return output::print_json(&summaries);
    }
    let mut table = Table::new(&[
        "file",
        ">records",
        ">contacts",
        ">imported",
        ">already_there",
        ">refused",
        ">skipped",
        ">unknown",
        ">malformed",
    ]);
    for s in summaries {
        table.push(vec![
            s.file.clone(),
            s.records.to_string(),
            s.contacts.to_string(),
            s.imported.to_string(),
            s.already_there.to_string(),
            s.refused_by_server.to_string(),
            s.skipped.values().sum::<u64>().to_string(),
            s.unknown_records.to_string(),
            s.malformed.to_string(),
        ]);
    }
    if format == Format::Csv {
        return output::print(&table.render_csv());
    }
    let mut text = String::new();
    if dry_run {
        text.push_str("dry run: nothing was sent; `contacts` would be sent (the server skips those it has)\n\n");
    }
    text.push_str(&table.render_text());
    for s in summaries {
        let mut details = String::new();
        for (reason, count) in &s.skipped {
            details.push_str(&format!("  skipped {count}: {}\n", reason.label()));
        }
        if s.mms_parts_not_imported > 0 {
            details.push_str(&format!(
                "  {} MMS pictures, audio or other attachments not imported (their text is)\n",
                s.mms_parts_not_imported
            ));
        }
        if !s.unknown_numbers.is_empty() {
            details.push_str("  numbers that match no one (not imported):\n");
            // Masked, different numbers can look alike: show them as one line with a count.
            let mut grouped: HashMap<(&str, UnknownReason), (u64, u64)> = HashMap::new();
            for n in &s.unknown_numbers {
                let entry = grouped.entry((n.number.as_str(), n.reason)).or_default();
                entry.0 += 1;
                entry.1 += n.records;
            }
            let mut lines: Vec<_> = grouped.into_iter().collect();
            lines.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(&b.0)));
            for ((number, reason), (numbers, records)) in lines.iter().take(30) {
                let alike = if *numbers > 1 {
                    format!(" ({numbers} numbers)")
                } else {
                    String::new()
                };
                details.push_str(&format!(
                    "    {number:<16} {records:>6} record{}  {}{alike}\n",
                    if *records == 1 { "" } else { "s" },
                    reason.label()
                ));
            }
            let more: u64 = lines.iter().skip(30).map(|(_, (_, records))| records).sum();
            let more = more + s.unknown_not_listed;
            if more > 0 {
                details.push_str(&format!(
                    "    … and {more} more records with other numbers\n"
                ));
            }
        }
        for problem in &s.problems {
            details.push_str(&format!("  {problem}\n"));
        }
        let hidden = (s.malformed + s.refused_by_server).saturating_sub(s.problems.len() as u64);
        if hidden > 0 {
            details.push_str(&format!("  … and {hidden} more problems\n"));
        }
        if !details.is_empty() {
            text.push_str(&format!("\n{}:\n{details}", s.file));
        }
    }
    output::print(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbr::record::{AddressRole, MmsAddress};

    fn context() -> (Context, PersonId, PersonId, PersonId) {
        let (owner, mother, father) = (PersonId::new(), PersonId::new(), PersonId::new());
        let mut numbers = HashMap::new();
        numbers.insert("+8613800138000".to_owned(), Holder::One(mother));
        numbers.insert("+8613912345678".to_owned(), Holder::One(owner));
        numbers.insert("+8637165432109".to_owned(), Holder::Several);
        let context = Context {
            family: kinthread_shared::FamilyId::new(),
            owner,
            tz: chrono_tz::Asia::Shanghai,
            country_code: "86".into(),
            numbers,
        };
        (context, owner, mother, father)
    }

    fn call(number: &str, code: i32, seconds: u32) -> Record {
        Record::Call(CallRecord {
            number: Some(RawNumber::new(number)),
            call_type: CallType::from_code(code),
            presentation: None,
            started_at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
            duration_seconds: seconds,
            contact_name: None,
        })
    }

    fn contact(outcome: Outcome) -> NewContact {
        match outcome {
            Outcome::Contact(c) => *c,
            other => panic!("not a contact: {other:?}"),
        }
    }

    #[test]
    fn call_types_become_statuses_and_initiators() {
        let (ctx, owner, mother, _) = context();
        let cases = [
            (1, 60, ContactStatus::Completed, mother, Some(60)),
            (1, 0, ContactStatus::Missed, mother, None),
            (2, 95, ContactStatus::Completed, owner, Some(95)),
            (2, 0, ContactStatus::Missed, owner, None),
            (3, 0, ContactStatus::Missed, mother, None),
            (4, 41, ContactStatus::Missed, mother, None),
            (5, 0, ContactStatus::Declined, mother, None),
            (6, 0, ContactStatus::Declined, mother, None),
        ];
        for (code, seconds, status, initiator, duration) in cases {
            let c = contact(ctx.map(&call("138-0013-8000", code, seconds)));
            assert_eq!(c.status, Some(status), "type {code}");
            assert_eq!(c.initiator, initiator, "type {code}");
            assert_eq!(c.duration_seconds, duration, "type {code}");
            assert_eq!(c.participants, vec![owner, mother]);
            assert_eq!(c.source, Some(ContactSource::Import));
            assert_eq!(c.started_at.offset().local_minus_utc(), 8 * 3600);
        }
        assert_eq!(
            ctx.map(&call("13800138000", 7, 60)),
            Outcome::Skipped(SkipReason::AnsweredElsewhere)
        );
        assert_eq!(
            ctx.map(&call("13800138000", 100, 60)),
            Outcome::Skipped(SkipReason::UnknownType)
        );
    }

    #[test]
    fn numbers_that_match_no_one_are_never_someone() {
        let (ctx, ..) = context();
        let unknown = |number: &str| match ctx.map(&call(number, 1, 10)) {
            Outcome::Unknown { reason, .. } => Some(reason),
            _ => None,
        };
        assert_eq!(
            unknown("+86 137 0000 0000"),
            Some(UnknownReason::NotInFamily)
        );
        assert_eq!(
            unknown("0371-6543-2109"),
            Some(UnknownReason::SharedBySeveral)
        );
        assert_eq!(unknown("95588"), Some(UnknownReason::ServiceNumber));
        assert_eq!(unknown("CMCC"), Some(UnknownReason::SenderName));
        assert_eq!(
            ctx.map(&call("-2", 1, 10)),
            Outcome::Skipped(SkipReason::WithheldNumber)
        );
        assert_eq!(
            ctx.map(&call("13912345678", 1, 10)),
            Outcome::Skipped(SkipReason::OwnNumber)
        );
    }

    #[test]
    fn texts_keep_their_body_and_direction() {
        let (ctx, owner, mother, _) = context();
        let sms = |code, body: &str| {
            Record::Sms(SmsRecord {
                address: Some(RawNumber::new("+8613800138000")),
                message_box: MessageBox::from_code(code),
                at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
                body: body.into(),
                contact_name: None,
            })
        };
        let received = contact(ctx.map(&sms(1, "想你了")));
        assert_eq!(
            (received.kind, received.initiator),
            (ContactKind::Text, mother)
        );
        assert_eq!(received.content.as_deref(), Some("想你了"));
        assert_eq!(received.status, None);
        assert_eq!(contact(ctx.map(&sms(2, "ok"))).initiator, owner);
        for code in [3, 4, 5, 6] {
            assert_eq!(
                ctx.map(&sms(code, "x")),
                Outcome::Skipped(SkipReason::NotSent)
            );
        }
        // The same record derives the same client id on every import.
        assert_eq!(
            contact(ctx.map(&sms(1, "想你了"))).client_id,
            received.client_id
        );
    }

    #[test]
    fn group_texts_from_strangers_are_not_stored() {
        let (ctx, owner, mother, _) = context();
        let mms = |from: &str| {
            Record::Mms(MmsRecord {
                addresses: vec![
                    MmsAddress {
                        number: RawNumber::new(from),
                        role: AddressRole::From,
                    },
                    MmsAddress {
                        number: RawNumber::new("13912345678"),
                        role: AddressRole::To,
                    },
                    MmsAddress {
                        number: RawNumber::new("13800138000"),
                        role: AddressRole::To,
                    },
                ],
                message_box: MessageBox::Received,
                at: Utc.timestamp_millis_opt(1_717_225_200_000).unwrap(),
                body: "看照片".into(),
                skipped_parts: 1,
                contact_name: None,
            })
        };
        assert!(matches!(
            ctx.map(&mms("13700000000")),
            Outcome::Unknown { .. }
        ));
        let from_mother = contact(ctx.map(&mms("13800138000")));
        assert_eq!(from_mother.initiator, mother);
        assert_eq!(from_mother.participants, vec![owner, mother]);
    }
}
