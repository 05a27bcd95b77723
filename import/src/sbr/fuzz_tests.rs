//! Property tests: whatever the bytes, the reader does not panic, ends, and
//! keeps its promises about errors; well-formed records round-trip; phone
//! normalisation is total and idempotent.
//!
//! `KINTHREAD_FUZZ_CASES` sets the number of cases per property (default 256,
//! enough for CI; set it to 200000 for a long run).

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use super::entities;
use super::phone::normalize;
use super::reader::SbrReader;
use super::record::Record;
use super::tests::{
    CALLS_ALL_TYPES, CALLS_EMPTY, CALLS_MALFORMED, CALLS_OLD_MINIMAL, CALLS_TRUNCATED, OTHER_APP,
    SMS_MIXED, SMS_MMS,
};

fn config() -> Config {
    let cases = std::env::var("KINTHREAD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        // Relative to the crate root, where cargo runs tests; kept with the fixtures.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "testdata/sbr/proptest-regressions.txt",
        ))),
        ..Config::default()
    }
}

const FIXTURES: [&[u8]; 8] = [
    CALLS_ALL_TYPES,
    CALLS_OLD_MINIMAL,
    CALLS_EMPTY,
    CALLS_MALFORMED,
    CALLS_TRUNCATED,
    SMS_MIXED,
    SMS_MMS,
    OTHER_APP,
];

/// Fragments that steer mutations toward the parser's edge cases.
const TOKENS: [&[u8]; 24] = [
    b"<",
    b">",
    b"/>",
    b"\"",
    b"'",
    b"&",
    b"&#55357;",
    b"&#56832;",
    b"&#x;",
    b"&#1114112;",
    b"</mms>",
    b"<mms date=\"1717225200000\" msg_box=\"1\">",
    b"<part ct=\"text/plain\" text=\"",
    b"<addr address=\"1\" type=\"x\"/>",
    b"</calls>",
    b"</smses>",
    b"<!--",
    b"<![CDATA[",
    b"<?",
    b"<!DOCTYPE x [",
    b"\xFF",
    b"\xE4\xBD",
    b"\0",
    b"\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    InsertToken { at: usize, token: usize },
    Replace { at: usize, byte: u8 },
    Duplicate { at: usize, len: usize, to: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 0..TOKENS.len())
            .prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        (any::<usize>(), 1usize..400, any::<usize>())
            .prop_map(|(at, len, to)| Mutation::Duplicate { at, len, to }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// Applies a mutation; positions wrap around the current length.
fn apply(data: &mut Vec<u8>, mutation: &Mutation) {
    let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
    match mutation {
        Mutation::Delete { at, len } => {
            let start = pos(*at, data.len());
            let end = start.saturating_add(*len).min(data.len());
            data.drain(start..end);
        }
        Mutation::Insert { at, bytes } => {
            let at = pos(*at, data.len());
            data.splice(at..at, bytes.iter().copied());
        }
        Mutation::InsertToken { at, token } => {
            let at = pos(*at, data.len());
            let token = TOKENS.get(*token).copied().unwrap_or_default();
            data.splice(at..at, token.iter().copied());
        }
        Mutation::Replace { at, byte } => {
            if !data.is_empty() {
                let at = *at % data.len();
                if let Some(b) = data.get_mut(at) {
                    *b = *byte;
                }
            }
        }
        Mutation::Duplicate { at, len, to } => {
            let start = pos(*at, data.len());
            let end = start.saturating_add(*len).min(data.len());
            let copy: Vec<u8> = data.get(start..end).unwrap_or_default().to_vec();
            let to = pos(*to, data.len());
            data.splice(to..to, copy);
        }
        Mutation::Truncate { at } => {
            let at = pos(*at, data.len());
            data.truncate(at);
        }
    }
}

/// Runs the reader over `input` and checks what must hold for any input.
fn check_reader_invariants(input: &[u8]) -> Result<usize, TestCaseError> {
    let Ok(reader) = SbrReader::new(input) else {
        return Ok(0);
    };
    let lines = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut items = 0usize;
    let mut last_record = 0u64;
    let mut ended_by_fatal = false;
    for item in reader {
        prop_assert!(!ended_by_fatal, "an item after a fatal error");
        items += 1;
        // Every item consumes input, so a stream longer than the input is a loop.
        prop_assert!(items <= input.len() + 1, "more items than input bytes");
        match item {
            Ok(record) => {
                last_record += 1;
                let _ = super::client_id::client_id(&record, "owner");
                if let Record::Call(call) = &record {
                    let _ = call.is_withheld();
                }
                let _ = format!("{record:?}");
            }
            Err(error) => {
                prop_assert!(error.byte_offset <= input.len() as u64);
                prop_assert!(error.line >= 1 && error.line <= lines);
                prop_assert!(error.record >= last_record);
                last_record = last_record.max(error.record);
                ended_by_fatal = error.is_fatal();
                let _ = error.to_string();
            }
        }
    }
    Ok(items)
}

/// Escapes a string for an attribute value the way SBR does, optionally
/// writing characters outside the BMP as surrogate-pair references.
fn escape_like_sbr(text: &str, surrogates: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if surrogates && u32::from(c) > 0xFFFF => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("&#{unit};"));
                }
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("&#{};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Attribute values worth trying: codes, dates in both units, numbers in
/// many shapes, markup characters, emoji.
const VALUES: [&str; 22] = [
    "",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "7",
    "137",
    "151",
    "99",
    "1717225200000",
    "1717225500",
    "99999999999999999999",
    "abc",
    "+86 138 0013 8000",
    "(Unknown)",
    "null",
    "text/plain",
    "image/jpeg",
    "application/smil",
    "&<>\"'",
    "😀 想你",
];

const ATTRIBUTES: [&str; 12] = [
    "number",
    "address",
    "date",
    "type",
    "duration",
    "body",
    "msg_box",
    "contact_name",
    "presentation",
    "ct",
    "text",
    "data",
];

/// One generated element at the root's level.
#[derive(Debug, Clone)]
struct Element {
    name: &'static str,
    attributes: Vec<(usize, String)>,
    children: Vec<(&'static str, Vec<(usize, String)>)>,
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0..VALUES.len()).prop_map(|i| VALUES.get(i).copied().unwrap_or_default().to_owned()),
        1 => "[^\u{0}]{0,12}",
    ]
}

fn attribute_list() -> impl Strategy<Value = Vec<(usize, String)>> {
    prop::collection::vec((0..ATTRIBUTES.len(), value()), 0..8)
}

fn element() -> impl Strategy<Value = Element> {
    let name = prop_oneof![Just("call"), Just("sms"), Just("mms"), Just("other")];
    let child = (
        prop_oneof![Just("part"), Just("addr"), Just("parts"), Just("x")],
        attribute_list(),
    );
    (name, attribute_list(), prop::collection::vec(child, 0..4)).prop_map(
        |(name, attributes, children)| Element {
            name,
            attributes,
            children,
        },
    )
}

fn write_attributes(out: &mut String, attributes: &[(usize, String)], surrogates: bool) {
    for (key, value) in attributes {
        let key = ATTRIBUTES.get(*key).copied().unwrap_or("x");
        out.push_str(&format!(
            " {key}=\"{}\"",
            escape_like_sbr(value, surrogates)
        ));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_reader_invariants(&input)?;
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_root_never_panic(
        root in prop_oneof![Just(&b"<calls>"[..]), Just(&b"<smses count=\"2\">"[..])],
        body in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut input = root.to_vec();
        input.extend_from_slice(&body);
        check_reader_invariants(&input)?;
    }

    #[test]
    fn mutated_fixtures_never_panic(
        fixture in 0..FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..12),
    ) {
        let mut input = FIXTURES.get(fixture).copied().unwrap_or_default().to_vec();
        for m in &mutations {
            apply(&mut input, m);
        }
        check_reader_invariants(&input)?;
    }

    #[test]
    fn well_formed_texts_round_trip(
        bodies in prop::collection::vec("[^\u{0}]{0,40}", 1..8),
        surrogates in any::<bool>(),
        date in 631_152_000_000i64..4_102_444_800_000,
        message_type in -3i32..10,
    ) {
        let mut input = String::from("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"0\">\n");
        for body in &bodies {
            input.push_str(&format!(
                "  <sms address=\"13800138000\" date=\"{date}\" type=\"{message_type}\" body=\"{}\" />\n",
                escape_like_sbr(body, surrogates)
            ));
        }
        input.push_str("</smses>\n");
        let read: Vec<_> = SbrReader::new(input.as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .collect();
        prop_assert_eq!(read.len(), bodies.len());
        for (item, body) in read.iter().zip(&bodies) {
            match item {
                Ok(Record::Sms(sms)) => {
                    prop_assert_eq!(&sms.body, body);
                    prop_assert_eq!(sms.at.timestamp_millis(), date);
                    prop_assert_eq!(sms.message_box.code(), message_type);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }

    #[test]
    fn entity_decoding_is_total(text in ".*") {
        let decoded = entities::decode(&text);
        if !text.contains('&') {
            prop_assert_eq!(decoded.as_ref(), text.as_str());
        }
    }

    #[test]
    fn normalisation_is_total_and_idempotent(
        raw in prop_oneof![
            ".{0,24}",
            "[+0-9 ()\\-.]{0,24}",
            "(\\+86|0086|86|0)?1[3-9][0-9]{9}",
            "0[1-9][0-9]{8,10}",
        ],
        country in prop_oneof![
            Just("86".to_owned()),
            Just("1".to_owned()),
            Just("44".to_owned()),
            Just("852".to_owned()),
            "[0-9]{0,4}",
        ],
    ) {
        if let Ok(number) = normalize(&raw, &country) {
            let digits = number.as_str().strip_prefix('+').unwrap_or_default();
            prop_assert!((7..=15).contains(&digits.len()), "{} digits", digits.len());
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(!digits.starts_with('0'));
            let again = normalize(number.as_str(), &country);
            prop_assert_eq!(again.as_ref().map(|n| n.as_str()), Ok(number.as_str()));
        }
    }

    #[test]
    fn well_formed_documents_give_one_item_per_element(
        elements in prop::collection::vec(element(), 0..12),
        surrogates in any::<bool>(),
        root in prop_oneof![Just("calls"), Just("smses")],
    ) {
        let mut input = format!("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<{root} count=\"3\">\n");
        for element in &elements {
            input.push_str(&format!("  <{}", element.name));
            write_attributes(&mut input, &element.attributes, surrogates);
            if element.children.is_empty() {
                input.push_str(" />\n");
                continue;
            }
            input.push('>');
            for (child, attributes) in &element.children {
                input.push_str(&format!("<{child}"));
                write_attributes(&mut input, attributes, surrogates);
                input.push_str("/>");
            }
            input.push_str(&format!("</{}>\n", element.name));
        }
        input.push_str(&format!("</{root}>\n"));

        let items: Vec<_> = SbrReader::new(input.as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .collect();
        prop_assert_eq!(items.len(), elements.len());
        for (item, element) in items.iter().zip(&elements) {
            match item {
                Ok(Record::Call(_)) => prop_assert_eq!(element.name, "call"),
                Ok(Record::Sms(_)) => prop_assert_eq!(element.name, "sms"),
                Ok(Record::Mms(_)) => prop_assert_eq!(element.name, "mms"),
                Err(error) => prop_assert!(!error.is_fatal(), "{}", error),
            }
        }
        check_reader_invariants(input.as_bytes())?;
    }
}
