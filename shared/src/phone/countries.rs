//! ITU-T E.164 country calling codes in use (geographic areas; the global services such as
//! +800 and +881 are left out: nobody in a family has one), with the lengths of their national
//! significant numbers where they are known to be narrow.
//!
//! The codes are prefix-free (no code is the start of another), so the digits of an
//! international number name at most one code. Lengths matter for numbers written with their
//! country code but without `+` (`447700900123`): they are read as international only when the
//! rest has a length that country uses. Where the table gives no lengths, [`DEFAULT_LENGTHS`]
//! applies (E.164 allows at most 15 digits in all).

use std::ops::RangeInclusive;

/// National significant number lengths where a code has no entry of its own.
pub const DEFAULT_LENGTHS: RangeInclusive<usize> = 6..=12;

/// `(code, shortest, longest)` national significant number; `0, 0` means [`DEFAULT_LENGTHS`].
const CODES: &[(&str, usize, usize)] = &[
    // Zone 1: the North American Numbering Plan (US, Canada, much of the Caribbean).
    ("1", 10, 10),
    // Zone 2: Africa and a few islands.
    ("20", 8, 10),
    ("211", 9, 9),
    ("212", 9, 9),
    ("213", 8, 9),
    ("216", 8, 8),
    ("218", 8, 10),
    ("220", 7, 7),
    ("221", 9, 9),
    ("222", 8, 8),
    ("223", 8, 8),
    ("224", 8, 9),
    ("225", 8, 10),
    ("226", 8, 8),
    ("227", 8, 8),
    ("228", 8, 8),
    ("229", 8, 10),
    ("230", 7, 8),
    ("231", 7, 9),
    ("232", 8, 8),
    ("233", 9, 9),
    ("234", 8, 10),
    ("235", 8, 8),
    ("236", 8, 8),
    ("237", 8, 9),
    ("238", 7, 7),
    ("239", 7, 7),
    ("240", 9, 9),
    ("241", 7, 8),
    ("242", 9, 9),
    ("243", 7, 9),
    ("244", 9, 9),
    ("245", 7, 9),
    ("246", 7, 7),
    ("247", 4, 5),
    ("248", 7, 7),
    ("249", 9, 9),
    ("250", 9, 9),
    ("251", 9, 9),
    ("252", 7, 9),
    ("253", 8, 8),
    ("254", 9, 10),
    ("255", 9, 9),
    ("256", 9, 9),
    ("257", 8, 8),
    ("258", 8, 9),
    ("260", 9, 9),
    ("261", 9, 9),
    ("262", 9, 9),
    ("263", 9, 10),
    ("264", 8, 9),
    ("265", 7, 9),
    ("266", 8, 8),
    ("267", 7, 8),
    ("268", 8, 8),
    ("269", 7, 7),
    ("27", 9, 9),
    ("290", 4, 5),
    ("291", 7, 7),
    ("297", 7, 7),
    ("298", 6, 6),
    ("299", 6, 6),
    // Zones 3 and 4: Europe.
    ("30", 10, 10),
    ("31", 9, 9),
    ("32", 8, 9),
    ("33", 9, 9),
    ("34", 9, 9),
    ("350", 8, 8),
    ("351", 9, 9),
    ("352", 4, 11),
    ("353", 7, 9),
    ("354", 7, 9),
    ("355", 8, 9),
    ("356", 8, 8),
    ("357", 8, 8),
    ("358", 5, 12),
    ("359", 7, 9),
    ("36", 8, 9),
    ("370", 8, 8),
    ("371", 8, 8),
    ("372", 7, 8),
    ("373", 8, 8),
    ("374", 8, 8),
    ("375", 9, 10),
    ("376", 6, 9),
    ("377", 8, 9),
    ("378", 6, 10),
    ("379", 6, 11),
    ("380", 9, 9),
    ("381", 8, 12),
    ("382", 8, 8),
    ("383", 8, 9),
    ("385", 8, 9),
    ("386", 8, 8),
    ("387", 8, 9),
    ("389", 8, 8),
    ("39", 6, 11),
    ("40", 9, 9),
    ("41", 9, 9),
    ("420", 9, 9),
    ("421", 9, 9),
    ("423", 7, 9),
    ("43", 5, 13),
    ("44", 9, 10),
    ("45", 8, 8),
    ("46", 7, 10),
    ("47", 8, 8),
    ("48", 9, 9),
    ("49", 6, 13),
    // Zone 5: Central and South America.
    ("500", 5, 5),
    ("501", 7, 7),
    ("502", 8, 8),
    ("503", 8, 8),
    ("504", 8, 8),
    ("505", 8, 8),
    ("506", 8, 8),
    ("507", 7, 8),
    ("508", 6, 6),
    ("509", 8, 8),
    ("51", 8, 9),
    ("52", 10, 10),
    ("53", 8, 8),
    ("54", 10, 11),
    ("55", 10, 11),
    ("56", 9, 9),
    ("57", 10, 10),
    ("58", 10, 10),
    ("590", 9, 9),
    ("591", 8, 8),
    ("592", 7, 7),
    ("593", 8, 9),
    ("594", 9, 9),
    ("595", 9, 9),
    ("596", 9, 9),
    ("597", 6, 7),
    ("598", 8, 8),
    ("599", 7, 8),
    // Zone 6: South-east Asia and Oceania.
    ("60", 8, 10),
    ("61", 9, 9),
    ("62", 8, 12),
    ("63", 8, 10),
    ("64", 8, 10),
    ("65", 8, 8),
    ("66", 8, 9),
    ("670", 7, 8),
    ("672", 6, 6),
    ("673", 7, 7),
    ("674", 7, 7),
    ("675", 7, 8),
    ("676", 5, 7),
    ("677", 5, 7),
    ("678", 5, 7),
    ("679", 7, 7),
    ("680", 7, 7),
    ("681", 6, 6),
    ("682", 5, 5),
    ("683", 4, 7),
    ("685", 5, 7),
    ("686", 5, 8),
    ("687", 6, 6),
    ("688", 5, 6),
    ("689", 6, 8),
    ("690", 4, 7),
    ("691", 7, 7),
    ("692", 7, 7),
    // Zone 7: Russia and Kazakhstan.
    ("7", 10, 10),
    // Zone 8: East Asia.
    ("81", 9, 10),
    ("82", 8, 10),
    ("84", 9, 10),
    ("850", 8, 10),
    ("852", 8, 8),
    ("853", 8, 8),
    ("855", 8, 9),
    ("856", 8, 10),
    ("86", 10, 11),
    ("880", 8, 10),
    ("886", 8, 9),
    // Zone 9: West, South and Central Asia, the Middle East.
    ("90", 10, 10),
    ("91", 10, 10),
    ("92", 9, 11),
    ("93", 9, 9),
    ("94", 9, 9),
    ("95", 7, 10),
    ("960", 7, 7),
    ("961", 7, 8),
    ("962", 8, 9),
    ("963", 8, 9),
    ("964", 8, 10),
    ("965", 7, 8),
    ("966", 9, 9),
    ("967", 7, 9),
    ("968", 8, 8),
    ("970", 8, 9),
    ("971", 8, 9),
    ("972", 8, 9),
    ("973", 8, 8),
    ("974", 7, 8),
    ("975", 7, 8),
    ("976", 8, 8),
    ("977", 8, 10),
    ("98", 10, 10),
    ("992", 9, 9),
    ("993", 8, 8),
    ("994", 9, 9),
    ("995", 9, 9),
    ("996", 9, 9),
    ("998", 9, 9),
];

/// The country calling code `digits` begin with, and the lengths of the national number after
/// it; `None` when no code in use starts them.
pub fn split(digits: &str) -> Option<(&'static str, RangeInclusive<usize>)> {
    (1..=3)
        .filter_map(|n| digits.get(..n))
        .find_map(|prefix| CODES.iter().find(|(code, ..)| *code == prefix))
        .map(|&(code, shortest, longest)| {
            let lengths = if shortest == 0 {
                DEFAULT_LENGTHS
            } else {
                shortest..=longest
            };
            (code, lengths)
        })
}

/// Whether `code` (digits, no `+`) is a country calling code in use.
pub fn is_country_code(code: &str) -> bool {
    CODES.iter().any(|(c, ..)| *c == code)
}

/// Every code in the table, for tests.
pub fn all() -> impl Iterator<Item = (&'static str, RangeInclusive<usize>)> {
    CODES
        .iter()
        .map(|&(code, shortest, longest)| (code, shortest..=longest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_prefix_free_and_well_formed() {
        for (code, lengths) in all() {
            assert!((1..=3).contains(&code.len()), "{code}");
            assert!(!code.starts_with('0'), "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert!(
                lengths.start() <= lengths.end()
                    && code.len() + lengths.start() >= 7
                    && code.len() + lengths.end() <= 15,
                "{code}: {lengths:?}"
            );
            for (other, _) in all() {
                assert!(
                    other == code || !other.starts_with(code),
                    "{code} is a prefix of {other}"
                );
            }
        }
    }

    #[test]
    fn split_finds_the_one_code() {
        let cases = [
            ("14155550123", Some("1")),
            ("447700900123", Some("44")),
            ("8613812345678", Some("86")),
            ("85291234567", Some("852")),
            ("79161234567", Some("7")),
            ("2125550123", Some("212")),
            ("80012345678", None),
            ("0123", None),
        ];
        for (digits, want) in cases {
            assert_eq!(split(digits).map(|(code, _)| code), want, "{digits}");
        }
        assert!(is_country_code("86") && is_country_code("852") && !is_country_code("8"));
    }
}
