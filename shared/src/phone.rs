//! Phone numbers as people, phones and backups write them, and their normalisation to E.164
//! (`+8613800138000`): the one place that decides what a number is, for the persons the
//! server stores and for the numbers an import matches against them.
//!
//! Numbers are personal data (SPEC §3: "keep them out of logs"), so neither
//! [`RawNumber`] nor [`E164`] prints the number in `Debug`, and neither has a
//! `Display`: code that needs the digits asks for them with `as_str()`.
//! No I/O and no parsing of XML lives here.

use std::fmt;

pub mod countries;

/// China, where most families live; configurable where numbers are read.
pub const DEFAULT_COUNTRY_CODE: &str = "86";

/// A number or sender exactly as the backup wrote it ("+86 138 0013 8000",
/// "-2", "CMCC", "10086"). Not checked: use [`RawNumber::normalize`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawNumber(String);

impl RawNumber {
    /// Wraps a raw value; empty strings are kept (the parser turns them into `None`).
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The number as written in the backup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// [`normalize`] of this number.
    pub fn normalize(&self, default_country_code: &str) -> Result<E164, PhoneError> {
        normalize(&self.0, default_country_code)
    }
}

impl fmt::Debug for RawNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawNumber({:?})", mask(&self.0))
    }
}

/// A phone number in E.164 form: `+`, country code, national number, at most
/// 15 digits. Only [`normalize`] makes one, so holding one means it was checked.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// The full number, e.g. `+8613800138000`. For storage and matching, not for logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its last four digits hidden, for logs and messages.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({:?})", self.masked())
    }
}

/// Why a number could not be normalised. The variants let the importer tell
/// "caller hid the number" from "a service sent this" from "garbage"; none of
/// them carries the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Withheld, private or unknown caller: empty, `-1`, `-2`, `-3`, "Unknown", "private"...
    #[error("number withheld or unknown")]
    Withheld,
    /// A sender name rather than a number ("CMCC", "BANK", an e-mail address in an MMS).
    #[error("alphanumeric sender, not a phone number")]
    Alphanumeric,
    /// A carrier or service number ("10086", "95588", "1069..." gateways, "*100#").
    #[error("service short code, not a personal number")]
    ShortCode,
    /// A local landline number written without its area code, which cannot be guessed.
    #[error("local number without area code")]
    MissingAreaCode,
    /// Anything else that is not a plausible number (wrong length, stray characters).
    #[error("not a valid phone number")]
    Invalid,
    /// The default country code given by the caller is not 1 to 3 digits.
    #[error("default country code must be 1 to 3 digits")]
    BadCountryCode,
}

/// Normalises a number from a backup to E.164.
///
/// `default_country_code` (digits, no `+`; `"86"` for China) applies to numbers
/// written without an international prefix. Handles `+` and the `00`
/// international prefix, spaces, dashes, dots, parentheses, full-width digits,
/// invisible direction marks Android puts around numbers, post-dial pauses
/// (`,` `;` `p` `w`), and for China: bare 11-digit mobiles, the trunk `0` of
/// landlines (`010-1234-5678` → `+861012345678`), `86` typed without `+`, and
/// carrier IP-dialling prefixes (`17951 138...`).
///
/// A number written with its country code but without `+` or `00` (`447700900123`,
/// `14155550123`, `85291234567`) is read as international when it does not fit the default
/// country's own numbering and its digits start with a country calling code followed by a
/// national number of a length that country uses ([`countries`]). Where both readings fit,
/// the default country's wins: with `86`, `13105550123` is a Chinese mobile, not Los Angeles
/// (`+1 310 ...` must then be written with `+` or `001`).
pub fn normalize(raw: &str, default_country_code: &str) -> Result<E164, PhoneError> {
    let country = default_country_code.trim_start_matches('+');
    // Country codes are prefix-free: "8" and "860".."869" do not exist, and
    // accepting them would make "+86..." ambiguous (found by the fuzz tests).
    if country.is_empty()
        || country.len() > 3
        || country.starts_with('0')
        || !country.bytes().all(|b| b.is_ascii_digit())
        || country == "8"
        || (country.starts_with("86") && country != "86")
    {
        return Err(PhoneError::BadCountryCode);
    }
    if is_withheld_marker(raw) {
        return Err(PhoneError::Withheld);
    }
    let (plus, digits) = clean(raw)?;
    if plus {
        international(&digits)
    } else if let Some(rest) = digits.strip_prefix("00") {
        international(rest)
    } else {
        national(&digits, country)
    }
}

/// Markers Android and SBR write for a caller without a number. Checked before
/// separators are stripped, because "-1" would otherwise become "1".
fn is_withheld_marker(raw: &str) -> bool {
    let trimmed = raw
        .trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
        .trim_start_matches('(')
        .trim_end_matches(')');
    if trimmed.is_empty() {
        return true;
    }
    const MARKERS: [&str; 13] = [
        "-1",
        "-2",
        "-3",
        "-4",
        "unknown",
        "private",
        "private number",
        "withheld",
        "anonymous",
        "restricted",
        "null",
        "未知",
        "私人号码",
    ];
    MARKERS.iter().any(|m| trimmed.eq_ignore_ascii_case(m))
}

/// Zero-width and direction-control characters that phones wrap numbers in.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
    )
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' | '\u{3000}' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '\u{ff08}' | '\u{ff09}' | '\u{ff0d}' | '\u{ff0e}'
    ) || is_invisible(c)
}

/// Strips formatting, returns whether a leading `+` was present and the digits.
fn clean(raw: &str) -> Result<(bool, String), PhoneError> {
    let mut plus = false;
    let mut digits = String::with_capacity(raw.len());
    let mut saw_letter = false;
    let mut saw_service_char = false;
    for c in raw.chars() {
        let c = fold_full_width(c);
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            // Post-dial pauses and waits: the number is what came before them.
            ',' | ';' => break,
            'p' | 'P' | 'w' | 'W' if !digits.is_empty() && !saw_letter => break,
            '*' | '#' => saw_service_char = true,
            c if is_separator(c) => {}
            c if c.is_alphabetic() || c == '@' || c == '_' => saw_letter = true,
            _ => return Err(PhoneError::Invalid),
        }
    }
    if saw_letter {
        return Err(PhoneError::Alphanumeric);
    }
    if saw_service_char {
        return Err(PhoneError::ShortCode);
    }
    if digits.is_empty() {
        return Err(PhoneError::Invalid);
    }
    Ok((plus, digits))
}

/// Full-width forms (０-９, ＋) as typed with Chinese input methods.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{ff10}'..='\u{ff19}' => {
            char::from_u32(u32::from(c) - 0xff10 + u32::from('0')).unwrap_or(c)
        }
        '\u{ff0b}' => '+',
        _ => c,
    }
}

/// Digits after `+` or `00`: country code and national number.
fn international(digits: &str) -> Result<E164, PhoneError> {
    if digits.starts_with('0') {
        return Err(PhoneError::Invalid);
    }
    if let Some(national) = digits.strip_prefix("86") {
        // "+86 (0)10 ..." is common: the trunk 0 does not belong after the country code.
        let national = national.strip_prefix('0').unwrap_or(national);
        return china(national).ok_or(PhoneError::Invalid);
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(PhoneError::Invalid);
    }
    Ok(E164(format!("+{digits}")))
}

/// Digits written without `+` that start with a country calling code and go on with a
/// national number of a length that country uses: `447700900123` is `+447700900123`.
/// North American numbers must also have the plan's shape (area code and exchange starting
/// 2-9), so Chinese service numbers starting `10`, `11` and `12...` of other lengths never pass.
fn with_country_code(digits: &str) -> Option<E164> {
    let (code, lengths) = countries::split(digits)?;
    let national = digits.get(code.len()..)?;
    if code == "86" {
        return china(national);
    }
    let total = digits.len();
    let nanp_shape = |n: &str| {
        let starts_2_to_9 = |i: usize| {
            n.as_bytes()
                .get(i)
                .is_some_and(|d| (b'2'..=b'9').contains(d))
        };
        starts_2_to_9(0) && starts_2_to_9(3)
    };
    let fits = lengths.contains(&national.len())
        && (7..=15).contains(&total)
        && (code != "1" || nanp_shape(national));
    fits.then(|| E164(format!("+{digits}")))
}

/// A number dialled without an international prefix.
fn national(digits: &str, country: &str) -> Result<E164, PhoneError> {
    if country == "86" {
        return china_national(digits);
    }
    // A number that is too long or short for the default country but is a whole number of
    // another, country code first, was written without its `+`.
    if !digits.starts_with('0') {
        let fits_home = countries::split(country)
            .filter(|(code, _)| *code == country)
            .is_none_or(|(_, lengths)| lengths.contains(&digits.len()));
        if !fits_home && let Some(number) = with_country_code(digits) {
            return Ok(number);
        }
    }
    let national = digits.strip_prefix('0').unwrap_or(digits);
    if national.len() <= 6 {
        return Err(PhoneError::ShortCode);
    }
    if country.len() + national.len() > 15 {
        return Err(PhoneError::Invalid);
    }
    Ok(E164(format!("+{country}{national}")))
}

/// Carrier prefixes dialled before a number to route it over IP ("IP 长途").
const CHINA_IP_PREFIXES: [&str; 7] = [
    "17951", "17911", "17910", "17901", "17909", "12593", "96688",
];

fn china_national(digits: &str) -> Result<E164, PhoneError> {
    for prefix in CHINA_IP_PREFIXES {
        if let Some(rest) = digits.strip_prefix(prefix) {
            let rest_national = rest.strip_prefix('0').unwrap_or(rest);
            if rest.len() >= 10
                && let Some(number) = china(rest_national)
            {
                return Ok(number);
            }
        }
    }
    if let Some(rest) = digits.strip_prefix('0') {
        // Trunk prefix: 010-..., 0755-...; also "0" before a mobile from another city.
        return china(rest).ok_or(PhoneError::Invalid);
    }
    if is_china_mobile(digits) {
        // 14155550123 has a Chinese mobile's shape but no Chinese mobile starts 141: it is
        // San Francisco written without its `+`.
        if !is_allocated_china_mobile(digits)
            && let Some(number) = with_country_code(digits)
        {
            return Ok(number);
        }
        return Ok(E164(format!("+86{digits}")));
    }
    if let Some(rest) = digits.strip_prefix("86")
        && is_china_mobile(rest)
    {
        return Ok(E164(format!("+86{rest}")));
    }
    // 400 and 800 business numbers are dialled without trunk 0.
    if (digits.starts_with("400") || digits.starts_with("800")) && digits.len() == 10 {
        return Ok(E164(format!("+86{digits}")));
    }
    if digits.len() <= 6 {
        return Err(PhoneError::ShortCode);
    }
    // Nothing Chinese is this long and shaped like this: another country's number, its
    // country code written without `+` (`447700900123`, `85291234567`, `12125550123`).
    if digits.len() >= 9
        && let Some(number) = with_country_code(digits)
    {
        return Ok(number);
    }
    // 10xxx, 11x, 12xxx (10086, 12306, 1069... SMS gateways) are service numbers;
    // mobiles start 13-19 and were handled above.
    if digits.starts_with("10") || digits.starts_with("11") || digits.starts_with("12") {
        return Err(PhoneError::ShortCode);
    }
    if (digits.starts_with("95") || digits.starts_with("96")) && digits.len() <= 8 {
        return Err(PhoneError::ShortCode);
    }
    if (7..=8).contains(&digits.len()) {
        return Err(PhoneError::MissingAreaCode);
    }
    Err(PhoneError::Invalid)
}

/// A Chinese national number without trunk 0: an 11-digit mobile or area
/// code plus subscriber number.
fn china(national: &str) -> Option<E164> {
    let valid = is_china_mobile(national) || is_china_landline(national);
    valid.then(|| E164(format!("+86{national}")))
}

fn is_china_mobile(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    digits.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes.first() == Some(&b'1')
        && bytes.get(1).is_some_and(|d| (b'3'..=b'9').contains(d))
}

/// The mobile segments allocated in China (13x, 145-149, 150-153, 155-159, 162, 165-167,
/// 170-178, 18x, 190-193, 195-199); 140-144 are 13-digit machine numbers.
fn is_allocated_china_mobile(digits: &str) -> bool {
    let second = digits.as_bytes().get(1).copied().unwrap_or(0);
    let third = digits.as_bytes().get(2).copied().unwrap_or(0);
    match second {
        b'3' | b'8' => true,
        b'4' => (b'5'..=b'9').contains(&third),
        b'5' => third != b'4',
        b'6' => matches!(third, b'2' | b'5' | b'6' | b'7'),
        b'7' => third != b'9',
        b'9' => third != b'4',
        _ => false,
    }
}

/// Area codes: 10 and 2x have two digits and 8-digit subscriber numbers;
/// the others have three digits (first 3-9) and 7- or 8-digit numbers.
/// 400/800 business numbers fit the second shape too.
fn is_china_landline(digits: &str) -> bool {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match digits.as_bytes().first() {
        Some(b'1') => digits.starts_with("10") && digits.len() == 10,
        Some(b'2') => digits.len() == 10,
        Some(b'3'..=b'9') => (10..=11).contains(&digits.len()),
        _ => false,
    }
}

/// Hides every letter and digit except the last four, keeping `+` and
/// separators so the shape stays recognisable: `+86*******8000`.
pub fn mask(value: &str) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen + 4 <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        match normalize(raw, "86") {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => format!("error: {e:?}"),
        }
    }

    #[test]
    fn table_of_numbers_from_chinese_phones() {
        let cases: &[(&str, &str)] = &[
            ("13800138000", "+8613800138000"),
            ("+86 138 0013 8000", "+8613800138000"),
            ("+86-138-0013-8000", "+8613800138000"),
            ("0086 138 0013 8000", "+8613800138000"),
            ("008613800138000", "+8613800138000"),
            ("138-0013-8000", "+8613800138000"),
            ("(138) 0013 8000", "+8613800138000"),
            ("138.0013.8000", "+8613800138000"),
            ("8613800138000", "+8613800138000"),
            ("１３８００１３８０００", "+8613800138000"),
            ("＋８６ １３８ ００１３ ８０００", "+8613800138000"),
            ("\u{2066}+86 138 0013 8000\u{2069}", "+8613800138000"),
            ("17951 13800138000", "+8613800138000"),
            ("013800138000", "+8613800138000"),
            ("13800138000,1234", "+8613800138000"),
            ("13800138000p1", "+8613800138000"),
            ("010-1234-5678", "+861012345678"),
            ("(010) 12345678", "+861012345678"),
            ("+86 (0)10 1234 5678", "+861012345678"),
            ("0371-6543-2109", "+8637165432109"),
            ("0755 2345 6789", "+8675523456789"),
            ("0391-123-4567", "+863911234567"),
            ("4008123123", "+864008123123"),
            ("+852 9123 4567", "+85291234567"),
            ("001 650 253 0000", "+16502530000"),
            ("+1 (650) 253-0000", "+16502530000"),
            ("", "error: Withheld"),
            ("   ", "error: Withheld"),
            ("-1", "error: Withheld"),
            ("-2", "error: Withheld"),
            ("-3", "error: Withheld"),
            ("Unknown", "error: Withheld"),
            ("(Unknown)", "error: Withheld"),
            ("PRIVATE", "error: Withheld"),
            ("private", "error: Withheld"),
            ("CMCC", "error: Alphanumeric"),
            ("BANK", "error: Alphanumeric"),
            ("ICBC-Alert", "error: Alphanumeric"),
            ("insert-address-token", "error: Alphanumeric"),
            ("someone@example.com", "error: Alphanumeric"),
            ("中国移动", "error: Alphanumeric"),
            ("10086", "error: ShortCode"),
            ("95588", "error: ShortCode"),
            ("12306", "error: ShortCode"),
            ("1069012345678901", "error: ShortCode"),
            ("10010", "error: ShortCode"),
            ("110", "error: ShortCode"),
            ("*100#", "error: ShortCode"),
            ("87654321", "error: MissingAreaCode"),
            ("12345678", "error: ShortCode"),
            ("6543210", "error: MissingAreaCode"),
            ("+", "error: Invalid"),
            ("1380013800", "error: Invalid"),
            ("138001380001", "error: Invalid"),
            ("+86 1380013800", "error: Invalid"),
            ("+0 123 4567", "error: Invalid"),
            ("+1 2345 6789 0123 4567", "error: Invalid"),
            ("13800!138000", "error: Invalid"),
            ("1+3800138000", "error: Invalid"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter(|(raw, want)| ok(raw) != *want)
            .map(|(raw, want)| format!("{raw:?}: want {want}, got {}", ok(raw)))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn numbers_written_with_their_country_code_but_no_plus() {
        let cases: &[(&str, &str, &str)] = &[
            // (default country, as written, E.164)
            ("86", "447700900123", "+447700900123"),
            ("86", "14155550123", "+14155550123"),
            ("86", "12125550123", "+12125550123"),
            ("86", "8613812345678", "+8613812345678"),
            ("86", "85291234567", "+85291234567"),
            ("86", "85361234567", "+85361234567"),
            ("86", "886912345678", "+886912345678"),
            ("86", "819012345678", "+819012345678"),
            ("86", "821012345678", "+821012345678"),
            ("86", "6591234567", "+6591234567"),
            ("86", "79161234567", "+79161234567"),
            ("86", "4915123456789", "+4915123456789"),
            ("86", "33612345678", "+33612345678"),
            ("86", "971501234567", "+971501234567"),
            ("86", "2348031234567", "+2348031234567"),
            ("86", "61412345678", "+61412345678"),
            // Both readings fit: the default country's wins.
            ("86", "13105550123", "+8613105550123"),
            ("86", "14512345678", "+8614512345678"),
            // Still Chinese service numbers and local numbers.
            ("86", "10086", "error: ShortCode"),
            ("86", "1069012345678901", "error: ShortCode"),
            ("86", "87654321", "error: MissingAreaCode"),
            // Another default country.
            ("44", "14155550123", "+14155550123"),
            ("44", "447700900123", "+447700900123"),
            ("44", "7700900123", "+447700900123"),
            ("44", "07700 900123", "+447700900123"),
            ("44", "8613812345678", "+8613812345678"),
            ("1", "4155550123", "+14155550123"),
            ("1", "14155550123", "+14155550123"),
            ("1", "447700900123", "+447700900123"),
            ("852", "91234567", "+85291234567"),
            ("852", "8613812345678", "+8613812345678"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(country, raw, want)| {
                let got = match normalize(raw, country) {
                    Ok(n) => n.as_str().to_owned(),
                    Err(e) => format!("error: {e:?}"),
                };
                (got != *want).then(|| format!("{country} {raw:?}: want {want}, got {got}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A national number of `length` digits for `code` that is no service number anywhere:
    /// starting 2, then the digits 3-9 round (North American shape included).
    fn national_number(length: usize) -> String {
        std::iter::once('2')
            .chain("3456789".chars().cycle())
            .take(length)
            .collect()
    }

    #[test]
    fn every_country_code_reads_with_plus_with_00_and_without() {
        for (code, lengths) in countries::all() {
            if code == "86" {
                continue;
            }
            for length in lengths {
                let digits = format!("{code}{}", national_number(length));
                let want = format!("+{digits}");
                for written in [
                    format!("+{digits}"),
                    format!("00{digits}"),
                    format!("+{code} {}", national_number(length)),
                ] {
                    assert_eq!(
                        normalize(&written, "86").map(|n| n.as_str().to_owned()),
                        Ok(want.clone()),
                        "{written}"
                    );
                }
                // Without the `+`: long enough not to be a Chinese local number.
                if digits.len() >= 9 {
                    assert_eq!(
                        normalize(&digits, "86").map(|n| n.as_str().to_owned()),
                        Ok(want.clone()),
                        "{digits} with default 86"
                    );
                }
                // With another default country, where that country's own reading does not fit.
                let home_fits =
                    countries::split("44").is_some_and(|(_, uk)| uk.contains(&digits.len()));
                if !home_fits && digits.len() >= 7 {
                    assert_eq!(
                        normalize(&digits, "44").map(|n| n.as_str().to_owned()),
                        Ok(want.clone()),
                        "{digits} with default 44"
                    );
                }
            }
        }
    }

    #[test]
    fn other_default_countries_use_their_trunk_zero() {
        assert_eq!(
            normalize("020 7946 0958", "44").map(|n| n.as_str().to_owned()),
            Ok("+442079460958".to_owned())
        );
        assert_eq!(normalize("12345", "44"), Err(PhoneError::ShortCode));
        assert_eq!(
            normalize("13800138000", "x6"),
            Err(PhoneError::BadCountryCode)
        );
        assert_eq!(
            normalize("13800138000", ""),
            Err(PhoneError::BadCountryCode)
        );
        assert_eq!(
            normalize("13800138000", "0086"),
            Err(PhoneError::BadCountryCode)
        );
    }

    #[test]
    fn debug_output_hides_all_but_the_last_four_digits() {
        let raw = RawNumber::new("+86 138 0013 8000");
        assert_eq!(format!("{raw:?}"), r#"RawNumber("+** *** **** 8000")"#);
        let e164 = raw.normalize("86");
        assert_eq!(format!("{e164:?}"), r#"Ok(E164("+*********8000"))"#);
        assert!(!format!("{e164:?}").contains("138"));
        assert_eq!(mask("10086"), "*0086");
        assert_eq!(mask("-1"), "-1");
    }
}
