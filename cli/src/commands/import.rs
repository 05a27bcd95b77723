//! `kinthread import FILE...`: SMS Backup & Restore exports (calls and texts from a parent's
//! or child's phone) become contacts of a family, and kinthread bundles are loaded into the
//! server. Which one a file is, is told from its content, not its name.
//!
//! SBR records are streamed (never the whole file in memory) and uploaded in batches of at
//! most 1,000 through the idempotent batch API. Which record becomes which contact, its
//! client id and the summary's counts come from `kinthread-import`; this file holds the
//! terminal and HTTP parts: telling files apart, the progress bar, the batches and printing.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use kinthread_import::sbr::reader::SbrReader;
use kinthread_import::{FileImport, FileSummary, Importer, ImporterError, Options, Staged};
use kinthread_shared::FamilyId;
use kinthread_shared::api::{BatchResponse, ContactBatch};
use kinthread_shared::bundle::{Bundle, BundleImportReport};

use crate::client::Api;
use crate::error::{CliError, CliResult, Kind};
use crate::output::{self, Format, Table};
use crate::resolve;

/// The batch API's limit.
const BATCH: usize = 1000;

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

/// The family the phone's records go to, and what maps them to its contacts.
#[derive(Debug)]
struct Context {
    family: FamilyId,
    importer: Importer,
}

fn importer_error(error: ImporterError) -> CliError {
    match error {
        ImporterError::BadCountryCode(code) => CliError::usage(format!(
            "--country-code {code} is not a country calling code"
        )),
        ImporterError::OwnerNotInFamily => {
            CliError::usage("--owner must be a person of the family")
        }
    }
}

impl Context {
    async fn load(api: &mut Api, args: &ImportArgs) -> CliResult<Self> {
        let owner = args.owner.as_deref().ok_or_else(|| {
            CliError::usage(
                "SMS Backup & Restore files need --owner: the person whose phone it was",
            )
        })?;
        let options = Options {
            country_code: args.country_code.clone(),
        };
        // A wrong command line is refused before the server is asked anything.
        options.check().map_err(importer_error)?;
        let family = resolve::family(api, args.family.as_deref()).await?;
        let persons = resolve::persons(api, family.id).await?;
        let owner = resolve::person(&persons, owner)?.id;
        let importer = Importer::new(&persons, owner, resolve::time_zone(&family), options)
            .map_err(importer_error)?;
        Ok(Self {
            family: family.id,
            importer,
        })
    }
}

/// Sends one batch and counts the answers; a dry run only empties it.
async fn flush(
    api: &mut Api,
    context: &Context,
    batch: &mut Vec<Staged>,
    file: &mut FileImport<'_>,
    dry_run: bool,
) -> CliResult<()> {
    if batch.is_empty() || dry_run {
        batch.clear();
        return Ok(());
    }
    let records: Vec<u64> = batch.iter().map(|staged| staged.record).collect();
    let body = ContactBatch {
        contacts: batch.drain(..).map(|staged| staged.contact).collect(),
    };
    let answer: BatchResponse = api
        .post(
            &format!("/families/{}/contacts/batch", context.family),
            &body,
        )
        .await?;
    file.uploaded(&records, &answer);
    Ok(())
}

fn progress_bar(path: &Path, size: u64) -> indicatif::ProgressBar {
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
    progress
}

async fn import_sbr(
    api: &mut Api,
    context: &Context,
    path: &Path,
    dry_run: bool,
) -> CliResult<FileSummary> {
    let file = open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = SbrReader::new(BufReader::with_capacity(64 * 1024, file)).map_err(|e| {
        CliError::new(
            Kind::Usage,
            "unsupported_file",
            format!("{}: {e}", path.display()),
        )
    })?;
    let progress = progress_bar(path, size);
    let mut tally = FileImport::new(&context.importer, path.display().to_string());
    let mut batch: Vec<Staged> = Vec::with_capacity(BATCH);
    while let Some(item) = reader.next() {
        let staged = tally.read(item);
        if tally.records().is_multiple_of(512) {
            progress.set_position(reader.byte_offset());
        }
        if let Some(staged) = staged {
            batch.push(staged);
            if batch.len() >= BATCH {
                flush(api, context, &mut batch, &mut tally, dry_run).await?;
            }
        }
    }
    flush(api, context, &mut batch, &mut tally, dry_run).await?;
    progress.finish_and_clear();
    Ok(tally.finish())
}

/// Unknown numbers shown per file; the records of the rest are summed in one line.
const UNKNOWN_LINES: usize = 30;

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
            s.skipped_total().to_string(),
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
            let groups = s.unknown_by_mask();
            for group in groups.iter().take(UNKNOWN_LINES) {
                let alike = if group.numbers > 1 {
                    format!(" ({} numbers)", group.numbers)
                } else {
                    String::new()
                };
                details.push_str(&format!(
                    "    {:<16} {:>6} record{}  {}{alike}\n",
                    group.masked,
                    group.records,
                    if group.records == 1 { "" } else { "s" },
                    group.reason.label()
                ));
            }
            let more: u64 = groups.iter().skip(UNKNOWN_LINES).map(|g| g.records).sum();
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
        let hidden = s.problems_not_listed();
        if hidden > 0 {
            details.push_str(&format!("  … and {hidden} more problems\n"));
        }
        if !details.is_empty() {
            text.push_str(&format!("\n{}:\n{details}", s.file));
        }
    }
    output::print(&text)
}
