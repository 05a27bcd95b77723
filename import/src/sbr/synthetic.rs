//! Large synthetic backups for measuring memory and speed; not for tests of
//! meaning (the content is repetitive and made up).

use std::io::{self, Write};

/// Writes a `calls-*.xml` export with `n` calls in the shape of a modern SBR
/// export (all attributes, Chinese contact names, varied number formats and
/// call types, some withheld callers). Deterministic: the same `n` gives the
/// same bytes. About 330 bytes per call: `n = 350_000` writes 114 MB.
#[doc(hidden)]
pub fn write_synthetic_calls<W: Write>(writer: W, n: u64) -> io::Result<()> {
    let mut out = io::BufWriter::new(writer);
    writeln!(
        out,
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
    )?;
    writeln!(
        out,
        "<!-- synthetic backup written by kinthread for measurements -->"
    )?;
    writeln!(
        out,
        r#"<?xml-stylesheet type="text/xsl" href="calls.xsl"?>"#
    )?;
    writeln!(
        out,
        r#"<calls count="{n}" backup_set="00000000-0000-0000-0000-000000000000" backup_date="1735689600000" type="full">"#
    )?;
    const NAMES: [&str; 6] = ["妈妈", "爸爸", "奶奶", "(Unknown)", "王老师", "Li Wei"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut at_ms: u64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    for i in 0..n {
        // xorshift64: deterministic and dependency-free.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        at_ms += 60_000 + state % 7_200_000;
        let subscriber = state % 100_000_000;
        let number = match state % 10 {
            0 => "-2".to_owned(),
            1 => format!(
                "+86 138 {:04} {:04}",
                subscriber / 10_000,
                subscriber % 10_000
            ),
            2 => format!("0371-{subscriber:08}"),
            3 => "10086".to_owned(),
            _ => format!("139{subscriber:08}"),
        };
        let call_type = 1 + (state >> 8) % 6;
        let duration = if matches!(call_type, 1 | 2) {
            (state >> 16) % 3_600
        } else {
            0
        };
        let name = NAMES
            .get(((state >> 24) % NAMES.len() as u64) as usize)
            .copied()
            .unwrap_or("(Unknown)");
        writeln!(
            out,
            r#"  <call number="{number}" duration="{duration}" date="{at_ms}" type="{call_type}" presentation="{presentation}" subscription_id="89860{i:015}" post_dial_digits="" subscription_component_name="com.android.phone/com.android.services.telephony.TelephonyConnectionService" readable_date="2024年1月1日 上午8:00:00" contact_name="{name}" />"#,
            presentation = if number == "-2" { 2 } else { 1 },
        )?;
    }
    writeln!(out, "</calls>")?;
    out.flush()
}
