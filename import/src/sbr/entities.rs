//! Decoding of XML references in attribute values, as SMS Backup & Restore writes them.
//!
//! quick-xml's own unescaping rejects what some SBR versions write for emoji:
//! each UTF-16 half as its own reference (`&#55357;&#56832;` for 😀). This
//! decoder joins such pairs into the real character, and never fails: a lone
//! surrogate or an out-of-range code becomes U+FFFD, an unknown or unclosed
//! reference stays as literal text, so one odd body never costs a record.

use std::borrow::Cow;

/// Longest reference worth looking at: `&#x10FFFF;` and `&#1114111;` fit.
const MAX_REFERENCE_LEN: usize = 12;

/// Decodes `&lt; &gt; &amp; &quot; &apos;`, `&#NNN;` and `&#xHHH;`.
pub(crate) fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    // A high surrogate waiting for its low half.
    let mut pending_high: Option<u32> = None;
    while let Some(amp) = rest.find('&') {
        let (before, from_amp) = rest.split_at(amp);
        if !before.is_empty() {
            flush_surrogate(&mut out, &mut pending_high);
            out.push_str(before);
        }
        match parse_reference(from_amp) {
            Some((reference, len)) => {
                match reference {
                    Reference::Char(c) => {
                        flush_surrogate(&mut out, &mut pending_high);
                        out.push(c);
                    }
                    Reference::HighSurrogate(high) => {
                        flush_surrogate(&mut out, &mut pending_high);
                        pending_high = Some(high);
                    }
                    Reference::LowSurrogate(low) => match pending_high.take() {
                        Some(high) => {
                            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                        }
                        None => out.push(char::REPLACEMENT_CHARACTER),
                    },
                }
                rest = from_amp.get(len..).unwrap_or("");
            }
            None => {
                flush_surrogate(&mut out, &mut pending_high);
                out.push('&');
                rest = from_amp.get(1..).unwrap_or("");
            }
        }
    }
    flush_surrogate(&mut out, &mut pending_high);
    out.push_str(rest);
    Cow::Owned(out)
}

enum Reference {
    Char(char),
    HighSurrogate(u32),
    LowSurrogate(u32),
}

/// A high surrogate not followed by a low one stands for nothing valid.
fn flush_surrogate(out: &mut String, pending_high: &mut Option<u32>) {
    if pending_high.take().is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
}

/// Parses the reference at the start of `text` (which starts with `&`);
/// returns it and its length in bytes including `&` and `;`.
fn parse_reference(text: &str) -> Option<(Reference, usize)> {
    let window = text.get(1..)?;
    // Only ASCII can form a reference, so the search stays on char boundaries.
    let semi = window
        .bytes()
        .take(MAX_REFERENCE_LEN)
        .position(|b| b == b';')?;
    let name = window.get(..semi)?;
    let len = semi + 2;
    let reference = match name {
        "lt" => Reference::Char('<'),
        "gt" => Reference::Char('>'),
        "amp" => Reference::Char('&'),
        "quot" => Reference::Char('"'),
        "apos" => Reference::Char('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                Some(_) => return None,
                None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                    number.parse::<u32>().ok()?
                }
                None => return None,
            };
            match code {
                0xD800..=0xDBFF => Reference::HighSurrogate(code),
                0xDC00..=0xDFFF => Reference::LowSurrogate(code),
                // NUL is not allowed in XML; keep the text readable instead.
                0 => Reference::Char(char::REPLACEMENT_CHARACTER),
                _ => Reference::Char(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)),
            }
        }
    };
    Some((reference, len))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_what_sbr_writes() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            (
                "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;",
                "a & b <c> \"d\" 'e'",
            ),
            ("line one&#10;line two", "line one\nline two"),
            ("&#13;&#10;", "\r\n"),
            ("&#x4F60;&#x597D;", "你好"),
            ("&#55357;&#56832;", "😀"),
            ("ok &#55357;&#56832;&#55357;&#56834; ok", "ok 😀😂 ok"),
            ("&#xD83D;&#xDE00;", "😀"),
            ("&#128512;", "😀"),
            (
                "lone high &#55357; then text",
                "lone high \u{FFFD} then text",
            ),
            ("lone high at end &#55357;", "lone high at end \u{FFFD}"),
            ("lone low &#56832;", "lone low \u{FFFD}"),
            ("two highs &#55357;&#55357;&#56832;", "two highs \u{FFFD}😀"),
            ("&#1114112;", "\u{FFFD}"),
            ("&#0;", "\u{FFFD}"),
            ("&#99999999999999;", "&#99999999999999;"),
            ("AT&T", "AT&T"),
            ("&nbsp;", "&nbsp;"),
            ("&#;&#x;&#xZZ;&;", "&#;&#x;&#xZZ;&;"),
            ("trailing &", "trailing &"),
            ("&amp", "&amp"),
            ("中文&amp;中文", "中文&中文"),
            ("&中文;", "&中文;"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw), *want, "decoding {raw:?}");
        }
    }
}
