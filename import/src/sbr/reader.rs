//! The streaming reader: checks that the input is an SBR export, then yields
//! one record (or one positioned error) at a time.
//!
//! Memory holds the current element only, never the file nor the records
//! read so far. A bad entry is reported with its position and reading goes on
//! with the next one; only errors the reader cannot get past (a cut-off file,
//! an element over the size cap, a read error) end the stream.

use std::io::Read;

use chrono::{DateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::entities;
use super::phone::RawNumber;
use super::record::{
    AddressRole, CallRecord, CallType, MessageBox, MmsAddress, MmsRecord, Presentation, Record,
    SmsRecord,
};
use super::tracked::Tracked;

/// Default cap on the bytes of one XML element (the start tag with its
/// attributes). MMS parts carry attachments base64-encoded in an attribute;
/// carriers cap MMS at a few MiB, so 64 MiB leaves a wide margin.
pub const DEFAULT_MAX_ELEMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Before the root element only a declaration, comments and a stylesheet
/// instruction are expected; anything longer is not an SBR export.
const PROLOG_EVENT_LIMIT: u64 = 1024 * 1024;
/// How many leading bytes the format check looks at.
const SNIFF_BYTES: usize = 1024;
/// SBR nests four levels (smses, mms, parts, part); deeper is not SBR.
const MAX_DEPTH: u32 = 16;
/// A run of this many bad entries without one good record means the rest of
/// the file is damaged beyond use; stop rather than report each one.
const MAX_CONSECUTIVE_ERRORS: u32 = 1000;
/// An event buffer grown past this by one big element is given back.
const KEEP_BUFFER_BYTES: usize = 256 * 1024;
/// Dates before this (1990-01-01) are not from a phone. It also catches
/// seconds written where milliseconds belong.
const EARLIEST_PLAUSIBLE_MS: i64 = 631_152_000_000;
/// Longest attribute value or element name quoted back in an error.
const QUOTE_CHARS: usize = 40;

/// Which of the two SBR files this is, from its root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    /// `<calls>`: a `calls-*.xml` file.
    Calls,
    /// `<smses>`: an `sms-*.xml` file (SMS and MMS).
    Messages,
}

/// Why the input was refused before any record was read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("the file is empty")]
    Empty,
    #[error("this is a JSON file, not an SMS Backup & Restore XML export")]
    Json,
    #[error("not an XML file: {0}")]
    NotXml(String),
    #[error("the file is encoded as {0}; SMS Backup & Restore exports are UTF-8")]
    UnsupportedEncoding(String),
    #[error(
        "not an SMS Backup & Restore export: the root element is <{0}>, expected <calls> or <smses>"
    )]
    WrongRoot(String),
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// A bad entry, or the problem that ended the stream, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record} (line {line}, byte {byte_offset}): {kind}")]
pub struct RecordError {
    /// 1-based number of the element at the root's level this error belongs
    /// to; for an error between elements, the number the next one would get.
    pub record: u64,
    /// 1-based line where the element (or the bad markup) starts.
    pub line: u64,
    /// Byte offset from the start of the file, including any byte-order mark.
    pub byte_offset: u64,
    pub kind: RecordErrorKind,
}

impl RecordError {
    /// Whether this error ended the stream (it is then the last item).
    pub fn is_fatal(&self) -> bool {
        self.kind.is_fatal()
    }
}

/// What was wrong. Messages quote element and attribute names and numeric
/// values only, never numbers, names or bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordErrorKind {
    #[error("<{element}> has no `{attribute}` attribute")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("<{element}> has a bad `{attribute}`: {value:?}")]
    BadAttribute {
        element: &'static str,
        attribute: &'static str,
        /// The value, cut to 40 characters. Only numeric fields (dates,
        /// types, durations) are ever reported, so no personal text.
        value: String,
    },
    #[error("<{element}> has malformed attributes: {detail}")]
    MalformedAttributes {
        element: &'static str,
        detail: String,
    },
    #[error("unexpected element <{0}>")]
    UnexpectedElement(String),
    #[error("malformed XML: {0}")]
    Xml(String),
    // The kinds below end the stream.
    #[error("the file ends in the middle of the backup (cut off while copying?)")]
    Truncated,
    #[error("an element is larger than {0} bytes")]
    ElementTooLarge(u64),
    #[error("elements nested deeper than {0} levels")]
    TooDeep(u32),
    #[error("gave up after {0} bad entries in a row")]
    TooManyErrors(u32),
    #[error("malformed XML the reader cannot get past: {0}")]
    Unrecoverable(String),
    #[error("read error: {0}")]
    Io(String),
}

impl RecordErrorKind {
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Truncated
                | Self::ElementTooLarge(_)
                | Self::TooDeep(_)
                | Self::TooManyErrors(_)
                | Self::Unrecoverable(_)
                | Self::Io(_)
        )
    }
}

/// Streams the records of an SMS Backup & Restore export.
///
/// Takes any reader; it does its own buffering, so wrapping a file in a
/// `BufReader` is allowed but not needed. The root's `count` attribute is
/// exposed for progress display only: exports are known to get it wrong.
pub struct SbrReader<R: Read> {
    input: Tracked<R>,
    buf: Vec<u8>,
    kind: BackupKind,
    declared_count: Option<u64>,
    max_element_bytes: u64,
    records_seen: u64,
    consecutive_errors: u32,
    finished: bool,
}

impl<R: Read> SbrReader<R> {
    /// Checks the start of the input and reads up to the root element.
    pub fn new(input: R) -> Result<Self, FormatError> {
        Self::with_max_element_bytes(input, DEFAULT_MAX_ELEMENT_BYTES)
    }

    /// Like [`SbrReader::new`] with another cap on one element's size.
    pub fn with_max_element_bytes(input: R, max_element_bytes: u64) -> Result<Self, FormatError> {
        let mut tracked = Tracked::new(input, PROLOG_EVENT_LIMIT);
        let head = tracked.peek(SNIFF_BYTES)?;
        sniff(head, head.len() < SNIFF_BYTES)?;

        let mut buf = Vec::new();
        loop {
            tracked.start_event(PROLOG_EVENT_LIMIT);
            buf.clear();
            let event = read_event(&mut tracked, &mut buf);
            let root = match event {
                Ok(Event::Decl(decl)) => {
                    if let Some(Ok(encoding)) = decl.encoding() {
                        let name = encoding.trim().to_ascii_lowercase();
                        if name != "utf-8" && name != "utf8" {
                            return Err(FormatError::UnsupportedEncoding(quote(&encoding)));
                        }
                    }
                    continue;
                }
                Ok(Event::PI(_) | Event::Comment(_) | Event::DocType(_)) => continue,
                Ok(Event::Text(text)) => {
                    if text.into_inner().trim().is_empty() {
                        continue;
                    }
                    return Err(FormatError::NotXml("text before the first element".into()));
                }
                Ok(Event::Start(root)) => (root_kind(&root)?, declared_count(&root), false),
                Ok(Event::Empty(root)) => (root_kind(&root)?, declared_count(&root), true),
                Ok(Event::Eof) => return Err(FormatError::NotXml("no element found".into())),
                Ok(_) => {
                    return Err(FormatError::NotXml(
                        "markup before the first element".into(),
                    ));
                }
                Err(_) if tracked.over_limit() => {
                    return Err(FormatError::NotXml(
                        "no element closes within the first MiB".into(),
                    ));
                }
                Err(e) => return Err(FormatError::NotXml(e.to_string())),
            };
            let (kind, declared_count, empty) = root;
            return Ok(Self {
                input: tracked,
                buf: Vec::new(),
                kind,
                declared_count,
                max_element_bytes,
                records_seen: 0,
                consecutive_errors: 0,
                finished: empty,
            });
        }
    }

    /// Calls or messages, from the root element.
    pub fn kind(&self) -> BackupKind {
        self.kind
    }

    /// The root's `count` attribute. For a progress bar at most: it is
    /// often wrong, so never use it to size anything or to check completeness.
    pub fn declared_count(&self) -> Option<u64> {
        self.declared_count
    }

    /// Bytes read so far, for progress display.
    pub fn byte_offset(&self) -> u64 {
        self.input.byte_offset()
    }

    fn start_event(&mut self) {
        if self.buf.capacity() > KEEP_BUFFER_BYTES {
            self.buf = Vec::new();
        }
        self.buf.clear();
        let limit = self.max_element_bytes;
        self.input.start_event(limit);
    }

    fn here(&self) -> (u64, u64) {
        (self.input.byte_offset(), self.input.line())
    }

    /// Turns a quick-xml error into our kind, fatal when reading cannot go on.
    fn classify(&self, error: &quick_xml::Error, offset_before: u64) -> RecordErrorKind {
        let tracked = &self.input;
        if tracked.over_limit() {
            return RecordErrorKind::ElementTooLarge(self.max_element_bytes);
        }
        if let quick_xml::Error::Io(io) = error {
            return RecordErrorKind::Io(io.to_string());
        }
        if tracked.at_eof() {
            return RecordErrorKind::Truncated;
        }
        if tracked.byte_offset() == offset_before {
            // Nothing consumed: reading again would fail the same way forever.
            return RecordErrorKind::Unrecoverable(error.to_string());
        }
        RecordErrorKind::Xml(error.to_string())
    }

    /// Reads up to the end tag of an element whose start tag was just read,
    /// handing children to `content` (for MMS). Returns the first non-fatal
    /// problem inside, or the fatal one.
    fn finish_element(
        &mut self,
        mut content: Option<&mut MmsContent>,
    ) -> Result<Option<RecordErrorKind>, RecordErrorKind> {
        let mut depth: u32 = 1;
        let mut first_problem = None;
        loop {
            self.start_event();
            let offset_before = self.input.byte_offset();
            let child = match read_event(&mut self.input, &mut self.buf) {
                Ok(Event::Start(child)) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(RecordErrorKind::TooDeep(MAX_DEPTH));
                    }
                    Some(child)
                }
                Ok(Event::Empty(child)) => Some(child),
                Ok(Event::End(_)) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(first_problem);
                    }
                    None
                }
                Ok(Event::Eof) => return Err(RecordErrorKind::Truncated),
                Ok(_) => None,
                Err(error) => {
                    let kind = self.classify(&error, offset_before);
                    if kind.is_fatal() {
                        return Err(kind);
                    }
                    first_problem.get_or_insert(kind);
                    None
                }
            };
            if let (Some(child), Some(content)) = (child, content.as_deref_mut())
                && let Err(problem) = content.add(&child)
            {
                first_problem.get_or_insert(problem);
            }
        }
    }

    /// Reads the next element at the root's level into a record.
    fn read_next(&mut self) -> Option<Result<Record, RecordError>> {
        loop {
            self.start_event();
            let (byte_offset, line) = self.here();
            let (name, is_start) = match read_event(&mut self.input, &mut self.buf) {
                Ok(Event::Start(element)) => (parse_element(&element), true),
                Ok(Event::Empty(element)) => (parse_element(&element), false),
                Ok(Event::End(_)) => return None,
                Ok(Event::Eof) => {
                    return Some(Err(self.error_here(
                        RecordErrorKind::Truncated,
                        byte_offset,
                        line,
                    )));
                }
                Ok(_) => continue,
                Err(error) => {
                    let kind = self.classify(&error, byte_offset);
                    return Some(Err(self.error_here(kind, byte_offset, line)));
                }
            };
            self.records_seen += 1;
            let record = self.records_seen;
            let at = |kind| RecordError {
                record,
                line,
                byte_offset,
                kind,
            };
            let result = match name {
                Parsed::Call(attrs) => {
                    let inside = if is_start {
                        self.finish_element(None)
                    } else {
                        Ok(None)
                    };
                    combine(attrs.and_then(build_call).map(Record::Call), inside)
                }
                Parsed::Sms(attrs) => {
                    let inside = if is_start {
                        self.finish_element(None)
                    } else {
                        Ok(None)
                    };
                    combine(attrs.and_then(build_sms).map(Record::Sms), inside)
                }
                Parsed::Mms(attrs) => {
                    let mut content = MmsContent::default();
                    let inside = if is_start {
                        self.finish_element(Some(&mut content))
                    } else {
                        Ok(None)
                    };
                    combine(
                        attrs.and_then(|a| build_mms(a, content)).map(Record::Mms),
                        inside,
                    )
                }
                Parsed::Other(name) => {
                    let inside = if is_start {
                        self.finish_element(None)
                    } else {
                        Ok(None)
                    };
                    match inside {
                        Err(fatal) => Err(fatal),
                        Ok(_) => Err(RecordErrorKind::UnexpectedElement(name)),
                    }
                }
            };
            return Some(result.map_err(at));
        }
    }

    /// An error between records: it takes the number the next record would get.
    fn error_here(&self, kind: RecordErrorKind, byte_offset: u64, line: u64) -> RecordError {
        RecordError {
            record: self.records_seen + 1,
            line,
            byte_offset,
            kind,
        }
    }
}

impl<R: Read> Iterator for SbrReader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let item = self.read_next();
        match &item {
            None => self.finished = true,
            Some(Ok(_)) => self.consecutive_errors = 0,
            Some(Err(error)) => {
                if error.is_fatal() {
                    self.finished = true;
                } else {
                    self.consecutive_errors += 1;
                    if self.consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
                        self.finished = true;
                        return Some(Err(RecordError {
                            kind: RecordErrorKind::TooManyErrors(MAX_CONSECUTIVE_ERRORS),
                            ..error.clone()
                        }));
                    }
                }
            }
        }
        item
    }
}

/// Reads one XML event with a reader made for just this event.
///
/// quick-xml stops for good after any error that is not "ill-formed" (invalid
/// UTF-8 in one tag, say), but its only state between events is where it is
/// in the text, which a fresh reader rebuilds from the next byte. So a fresh
/// reader per event lets one bad tag cost one record instead of the rest of
/// the file. It costs no allocation.
fn read_event<'b, R: Read>(
    input: &mut Tracked<R>,
    buf: &'b mut Vec<u8>,
) -> quick_xml::Result<Event<'b>> {
    let mut xml = Reader::from_reader(input);
    let config = xml.config_mut();
    // Depth is tracked by the caller: quick-xml's checks would turn one stray
    // end tag into errors for everything after it.
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.trim_text(false);
    xml.read_event_into(buf)
}

/// A fatal problem inside the element wins (the stream ends); otherwise the
/// element's own error, then the first problem among its children.
fn combine(
    own: Result<Record, RecordErrorKind>,
    inside: Result<Option<RecordErrorKind>, RecordErrorKind>,
) -> Result<Record, RecordErrorKind> {
    match (own, inside) {
        (_, Err(fatal)) => Err(fatal),
        (Err(own), Ok(_)) => Err(own),
        (Ok(_), Ok(Some(problem))) => Err(problem),
        (Ok(record), Ok(None)) => Ok(record),
    }
}

/// Refuses inputs that cannot be an XML export from their first bytes,
/// before the XML reader sees them.
fn sniff(head: &[u8], whole_file: bool) -> Result<(), FormatError> {
    if head.is_empty() {
        return Err(FormatError::Empty);
    }
    if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0xFF, 0xFE]) {
        return Err(FormatError::UnsupportedEncoding("UTF-16".into()));
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return if whole_file {
            Err(FormatError::Empty)
        } else {
            Ok(())
        };
    };
    let rest = body.get(first..).unwrap_or_default();
    match rest {
        [b'<', 0, ..] | [0, b'<', ..] => Err(FormatError::UnsupportedEncoding("UTF-16".into())),
        [b'{' | b'[', ..] => Err(FormatError::Json),
        [b'<', ..] if head.contains(&0) => {
            Err(FormatError::NotXml("binary data (NUL bytes)".into()))
        }
        [b'<', ..] => Ok(()),
        _ => Err(FormatError::NotXml("does not start with '<'".into())),
    }
}

fn root_kind(root: &BytesStart<'_>) -> Result<BackupKind, FormatError> {
    match root.name().0 {
        "calls" => Ok(BackupKind::Calls),
        "smses" => Ok(BackupKind::Messages),
        other => Err(FormatError::WrongRoot(quote(other))),
    }
}

fn declared_count(root: &BytesStart<'_>) -> Option<u64> {
    let [count] = attributes(root, "root", ["count"]).ok()?;
    count?.trim().parse().ok()
}

/// An element at the root's level with the attributes it needs, read while
/// its event still borrows the buffer.
enum Parsed {
    Call(Result<[Option<String>; 6], RecordErrorKind>),
    Sms(Result<[Option<String>; 5], RecordErrorKind>),
    Mms(Result<[Option<String>; 4], RecordErrorKind>),
    Other(String),
}

fn parse_element(element: &BytesStart<'_>) -> Parsed {
    match element.name().0 {
        "call" => Parsed::Call(attributes(
            element,
            "call",
            [
                "number",
                "duration",
                "date",
                "type",
                "presentation",
                "contact_name",
            ],
        )),
        "sms" => Parsed::Sms(attributes(
            element,
            "sms",
            ["address", "date", "type", "body", "contact_name"],
        )),
        "mms" => Parsed::Mms(attributes(
            element,
            "mms",
            ["date", "msg_box", "address", "contact_name"],
        )),
        other => Parsed::Other(quote(other)),
    }
}

/// The decoded values of the attributes named in `keys`, in that order.
/// Others (an MMS part's base64 `data`) are skipped without copying.
fn attributes<const N: usize>(
    element: &BytesStart<'_>,
    element_name: &'static str,
    keys: [&'static str; N],
) -> Result<[Option<String>; N], RecordErrorKind> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| RecordErrorKind::MalformedAttributes {
            element: element_name,
            detail: e.to_string(),
        })?;
        if let Some(slot) = keys
            .iter()
            .position(|key| *key == attribute.key.0)
            .and_then(|i| values.get_mut(i))
        {
            *slot = Some(entities::decode(&attribute.value).into_owned());
        }
    }
    Ok(values)
}

fn build_call(attrs: [Option<String>; 6]) -> Result<CallRecord, RecordErrorKind> {
    let [
        number,
        duration,
        date,
        call_type,
        presentation,
        contact_name,
    ] = attrs;
    let started_at = date_attr("call", date, false)?;
    let call_type = CallType::from_code(int_attr("call", "type", call_type)?);
    let duration_seconds = int_attr("call", "duration", duration)?;
    let presentation = match presentation {
        Some(value) => Some(Presentation::from_code(int_attr(
            "call",
            "presentation",
            Some(value),
        )?)),
        None => None,
    };
    Ok(CallRecord {
        number: raw_number(number),
        call_type,
        presentation,
        started_at,
        duration_seconds,
        contact_name: contact_name_attr(contact_name),
    })
}

fn build_sms(attrs: [Option<String>; 5]) -> Result<SmsRecord, RecordErrorKind> {
    let [address, date, message_type, body, contact_name] = attrs;
    Ok(SmsRecord {
        at: date_attr("sms", date, false)?,
        message_box: MessageBox::from_code(int_attr("sms", "type", message_type)?),
        address: raw_number(address),
        body: body.unwrap_or_default(),
        contact_name: contact_name_attr(contact_name),
    })
}

fn build_mms(
    attrs: [Option<String>; 4],
    content: MmsContent,
) -> Result<MmsRecord, RecordErrorKind> {
    let [date, msg_box, address, contact_name] = attrs;
    let at = date_attr("mms", date, true)?;
    let message_box = MessageBox::from_code(int_attr("mms", "msg_box", msg_box)?);
    let mut addresses = content.addresses;
    if addresses.is_empty() {
        // Old backups list participants only in `address`, `~`-separated.
        addresses = address
            .iter()
            .flat_map(|a| a.split('~'))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| MmsAddress {
                number: RawNumber::new(a),
                role: AddressRole::Participant,
            })
            .collect();
    }
    Ok(MmsRecord {
        addresses,
        message_box,
        at,
        body: content.texts.join("\n"),
        skipped_parts: content.skipped_parts,
        contact_name: contact_name_attr(contact_name),
    })
}

/// What an MMS's children contribute.
#[derive(Default)]
struct MmsContent {
    texts: Vec<String>,
    skipped_parts: u32,
    addresses: Vec<MmsAddress>,
}

impl MmsContent {
    fn add(&mut self, child: &BytesStart<'_>) -> Result<(), RecordErrorKind> {
        match child.name().0 {
            "part" => {
                let [content_type, text] = attributes(child, "part", ["ct", "text"])?;
                let content_type = content_type.unwrap_or_default().to_ascii_lowercase();
                if content_type.starts_with("text/plain") {
                    match text {
                        Some(text) if text != "null" => self.texts.push(text),
                        // Text kept only in `data`: not decoded, counted as skipped.
                        _ => self.skipped_parts = self.skipped_parts.saturating_add(1),
                    }
                } else if !content_type.starts_with("application/smil") {
                    // SMIL is the slide layout, not content; anything else is media.
                    self.skipped_parts = self.skipped_parts.saturating_add(1);
                }
                Ok(())
            }
            "addr" => {
                let [address, role] = attributes(child, "addr", ["address", "type"])?;
                let role = AddressRole::from_code(int_attr("addr", "type", role)?);
                if let Some(number) = raw_number(address) {
                    self.addresses.push(MmsAddress { number, role });
                }
                Ok(())
            }
            // `parts` and `addrs` are containers; other children are not needed.
            _ => Ok(()),
        }
    }
}

fn raw_number(value: Option<String>) -> Option<RawNumber> {
    value.filter(|v| !v.trim().is_empty()).map(RawNumber::new)
}

/// SBR writes "(Unknown)" or "null" when the number is not in the address book.
fn contact_name_attr(value: Option<String>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed == "(Unknown)" || trimmed == "null" {
        None
    } else {
        Some(trimmed.to_owned())
    }
}

fn int_attr<T: std::str::FromStr>(
    element: &'static str,
    attribute: &'static str,
    value: Option<String>,
) -> Result<T, RecordErrorKind> {
    let value = value.ok_or(RecordErrorKind::MissingAttribute { element, attribute })?;
    value
        .trim()
        .parse()
        .map_err(|_| RecordErrorKind::BadAttribute {
            element,
            attribute,
            value: quote(&value),
        })
}

/// Epoch milliseconds. MMS dates come from a table that stores seconds; SBR
/// converts them, but a value too small to be milliseconds is taken as seconds.
fn date_attr(
    element: &'static str,
    value: Option<String>,
    seconds_allowed: bool,
) -> Result<DateTime<Utc>, RecordErrorKind> {
    let bad = |value: &str| RecordErrorKind::BadAttribute {
        element,
        attribute: "date",
        value: quote(value),
    };
    let text = value.ok_or(RecordErrorKind::MissingAttribute {
        element,
        attribute: "date",
    })?;
    let mut millis: i64 = text.trim().parse().map_err(|_| bad(&text))?;
    if seconds_allowed && millis > 0 && millis < EARLIEST_PLAUSIBLE_MS / 1000 * 10 {
        millis = millis.checked_mul(1000).ok_or_else(|| bad(&text))?;
    }
    if millis < EARLIEST_PLAUSIBLE_MS {
        return Err(bad(&text));
    }
    DateTime::from_timestamp_millis(millis).ok_or_else(|| bad(&text))
}

/// Cuts a value to a few characters for an error message, on a char boundary.
fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let cut: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        format!("{cut}…")
    } else {
        cut
    }
}
