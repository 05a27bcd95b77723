//! Phone numbers normalised to E.164 (`+8613800138000`), for matching imported calls and
//! texts to the persons of a family. Numbers are personal data: keep them out of logs.

/// China, where most families live; configurable where numbers are read.
pub const DEFAULT_COUNTRY_CODE: &str = "86";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no number (withheld or private caller)")]
    Withheld,
    #[error("not a phone number: it contains letters (a service sender?)")]
    Alphanumeric,
    #[error("not a phone number: wrong length or characters")]
    Invalid,
}

/// Normalises a number as people and phones write it: spaces, dashes, dots and brackets,
/// `+` or `00` before the country code, a national trunk `0`, or a bare Chinese mobile.
pub fn normalize(raw: &str, default_country_code: &str) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    let lowered = trimmed.to_ascii_lowercase();
    if trimmed.is_empty()
        || trimmed.starts_with('-')
        || matches!(
            lowered.as_str(),
            "unknown" | "private" | "withheld" | "null"
        )
    {
        return Err(PhoneError::Withheld);
    }
    if trimmed.chars().any(|c| c.is_alphabetic()) {
        return Err(PhoneError::Alphanumeric);
    }
    let mut digits = String::with_capacity(trimmed.len());
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("{default_country_code}{rest}")
    } else if default_country_code == "86" && digits.len() == 11 && digits.starts_with('1') {
        format!("86{digits}")
    } else if digits.len() >= 11 {
        // Already carries a country code, written without `+`.
        digits
    } else {
        format!("{default_country_code}{digits}")
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return Err(PhoneError::Invalid);
    }
    Ok(format!("+{international}"))
}

/// A number with all but its last four digits hidden, for messages.
pub fn masked(e164: &str) -> String {
    let keep = e164.len().saturating_sub(4);
    e164.char_indices()
        .map(|(i, c)| {
            if i < keep && c.is_ascii_digit() {
                '*'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        let cases = [
            ("+86 138 0013 8000", Ok("+8613800138000")),
            ("138-0013-8000", Ok("+8613800138000")),
            ("13800138000", Ok("+8613800138000")),
            ("008613800138000", Ok("+8613800138000")),
            ("8613800138000", Ok("+8613800138000")),
            ("010-1234-5678", Ok("+861012345678")),
            ("(021) 6123 4567", Ok("+862161234567")),
            ("+1 (415) 555-0100", Ok("+14155550100")),
            ("-1", Err(PhoneError::Withheld)),
            ("-2", Err(PhoneError::Withheld)),
            ("", Err(PhoneError::Withheld)),
            ("Unknown", Err(PhoneError::Withheld)),
            ("CMCC", Err(PhoneError::Alphanumeric)),
            ("12#34", Err(PhoneError::Invalid)),
            ("123", Err(PhoneError::Invalid)),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw, "86"), want.map(str::to_owned), "{raw}");
        }
    }

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(masked("+8613800138000"), "+*********8000");
    }
}
