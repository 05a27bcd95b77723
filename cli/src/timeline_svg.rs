//! The contact timeline of one family as hand-written SVG: one row per pair of the family
//! report; calls as ticks (taller for longer calls), texts as dots, visits as spans, unanswered
//! calls as red crosses, stretches without contact longer than the target shaded, and depth as
//! colour, from grey-blue (routine care talk) to warm orange (emotional talk).
//!
//! Pure: it draws what it is given (the server's family report and the family's contacts) and
//! reads no clock, so the same input gives the same bytes.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use kinthread_shared::ContactKind;
use kinthread_shared::api::Contact;
use kinthread_shared::reports::{FamilyReport, PairReport};

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 300.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 92.0;
const ROW: f64 = 64.0;
const LEGEND: f64 = 70.0;
const FONT: &str = "'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif";

/// Colour of content without a depth score (no note, or withheld).
const NO_DEPTH: &str = "#9aa3ad";
const UNANSWERED: &str = "#d62728";
/// Stretches without contact: longer than the target, and longer than twice the target.
const GAP_FILL: &str = "#fdf0ee";
const LONG_GAP_FILL: &str = "#f9d6d1";

/// Escapes text for SVG character data and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Depth 0–100 as a colour: grey-blue for routine talk through violet to warm orange for
/// emotional talk, so that colour-blind readers still see a light-to-warm ramp.
pub fn depth_colour(score: Option<f64>) -> String {
    let Some(score) = score else {
        return NO_DEPTH.to_owned();
    };
    let t = (score / 100.0).clamp(0.0, 1.0);
    // Three stops: routine (#5b7fa6), mixed (#9b6bb0), emotional (#f06a1d).
    let stops = [
        (0.0, (0x5b, 0x7f, 0xa6)),
        (0.5, (0x9b, 0x6b, 0xb0)),
        (1.0, (0xf0, 0x6a, 0x1d)),
    ];
    let (lo, hi) = if t < 0.5 {
        (stops[0], stops[1])
    } else {
        (stops[1], stops[2])
    };
    let f = (t - lo.0) / (hi.0 - lo.0);
    let mix = |a: i32, b: i32| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as i32;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(lo.1.0, hi.1.0),
        mix(lo.1.1, hi.1.1),
        mix(lo.1.2, hi.1.2)
    )
}

struct Scale {
    from: DateTime<Utc>,
    as_of: DateTime<Utc>,
}

impl Scale {
    fn x(&self, at: DateTime<Utc>) -> f64 {
        let span = (self.as_of - self.from).num_seconds().max(1) as f64;
        let offset = (at - self.from).num_seconds() as f64;
        LEFT + (offset / span).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
    }

    fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.as_of
    }
}

fn involves(contact: &Contact, pair: &PairReport) -> bool {
    contact.participants.contains(&pair.a.id) && contact.participants.contains(&pair.b.id)
}

/// Stretches of the window with no counted contact that are longer than `target_days`.
fn long_gaps(
    contacts: &[&Contact],
    scale: &Scale,
    target_days: u32,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        contacts.iter().filter_map(|c| c.counted_span()).collect();
    spans.sort();
    let target = chrono::Duration::days(i64::from(target_days));
    let mut gaps = Vec::new();
    let mut covered_to = scale.from;
    for (start, end) in spans {
        if start > covered_to && start - covered_to > target {
            gaps.push((covered_to, start.min(scale.as_of)));
        }
        covered_to = covered_to.max(end);
    }
    if scale.as_of > covered_to && scale.as_of - covered_to > target {
        gaps.push((covered_to, scale.as_of));
    }
    gaps.retain(|(from, to)| from < to && *from < scale.as_of);
    gaps
}

fn month_starts(scale: &Scale, tz: Tz) -> Vec<(DateTime<Utc>, NaiveDate)> {
    let first = scale.from.with_timezone(&tz).date_naive();
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1);
    let mut out = Vec::new();
    while let Some(date) = month {
        let Some(at) = date
            .and_hms_opt(0, 0, 0)
            .and_then(|n| tz.from_local_datetime(&n).earliest())
            .map(|t| t.with_timezone(&Utc))
        else {
            break;
        };
        if at > scale.as_of {
            break;
        }
        if at >= scale.from {
            out.push((at, date));
        }
        month = date.checked_add_months(chrono::Months::new(1));
    }
    out
}

fn pair_subtitle(pair: &PairReport) -> String {
    let g = &pair.gaps;
    let unanswered: u32 = g.unanswered_attempts.iter().map(|u| u.count).sum();
    let gap = g.current_gap_days.map_or_else(
        || "never in contact".to_owned(),
        |d| format!("gap {d:.1} d"),
    );
    let depth = pair
        .depth
        .mean_depth
        .map(|d| format!(" · depth {d:.0}"))
        .unwrap_or_default();
    format!("{} · {gap} · {unanswered} unanswered{depth}", g.status)
}

/// Draws the timeline; `contacts` may hold more than the window, extra ones are clipped.
pub fn render(report: &FamilyReport, contacts: &[Contact]) -> String {
    let tz: Tz = report.family.time_zone.tz();
    let scale = Scale {
        from: report.window.from,
        as_of: report.window.as_of,
    };
    let rows = report.pairs.len().max(1) as f64;
    let height = TOP + rows * ROW + LEGEND;
    let plot_bottom = TOP + rows * ROW;
    let mut svg = String::new();
    // `write!` to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="20" y="30" font-size="18" font-weight="bold" fill="#222">{}: contact timeline</text>"##,
        escape(&report.family.display_name)
    );
    let _ = writeln!(
        svg,
        r##"<text x="20" y="52" fill="#555">{} to {} ({} days, {}), target: a contact every {} days</text>"##,
        scale.from.with_timezone(&tz).format("%Y-%m-%d"),
        scale.as_of.with_timezone(&tz).format("%Y-%m-%d"),
        report.window_days,
        escape(report.family.time_zone.name()),
        report.target_days
    );

    // Month grid.
    for (at, date) in month_starts(&scale, tz) {
        let x = scale.x(at);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{plot_bottom:.1}" stroke="#e3e6ea"/><text x="{:.1}" y="{:.1}" fill="#777" font-size="11">{}</text>"##,
            TOP - 14.0,
            x + 3.0,
            TOP - 4.0,
            date.format("%Y-%m")
        );
    }

    if report.pairs.is_empty() {
        let _ = writeln!(
            svg,
            r##"<text x="{LEFT}" y="{:.1}" fill="#777">no parent with a child or caregiver in this family yet</text>"##,
            TOP + ROW / 2.0
        );
    }

    for (index, pair) in report.pairs.iter().enumerate() {
        let top = TOP + index as f64 * ROW;
        let base = top + ROW * 0.62;
        let mine: Vec<&Contact> = contacts.iter().filter(|c| involves(c, pair)).collect();
        if index % 2 == 1 {
            let _ = writeln!(
                svg,
                r##"<rect x="0" y="{top:.1}" width="{WIDTH}" height="{ROW}" fill="#f8f9fb"/>"##
            );
        }
        let twice_target = chrono::Duration::days(2 * i64::from(report.target_days));
        for (from, to) in long_gaps(&mine, &scale, report.target_days) {
            // Inset a little, so that two long gaps in a row read as two.
            let (x1, x2) = (scale.x(from) + 1.0, scale.x(to) - 1.0);
            let fill = if to - from > twice_target {
                LONG_GAP_FILL
            } else {
                GAP_FILL
            };
            let _ = writeln!(
                svg,
                r#"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{:.0} days without contact</title></rect>"#,
                top + 6.0,
                (x2 - x1).max(0.5),
                ROW - 12.0,
                (to - from).num_hours() as f64 / 24.0
            );
        }
        let _ = writeln!(
            svg,
            r##"<text x="20" y="{:.1}" font-weight="bold" fill="#222">{} – {}</text><text x="20" y="{:.1}" fill="#666" font-size="11">{}</text>"##,
            top + 26.0,
            escape(&pair.a.display_name),
            escape(&pair.b.display_name),
            top + 44.0,
            escape(&pair_subtitle(pair))
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" stroke="#c8cdd3"/>"##,
            WIDTH - RIGHT
        );
        // Visits first, so ticks and dots stay visible on top of them.
        let mut ordered = mine.clone();
        ordered.sort_by_key(|c| (c.kind != ContactKind::Visit, c.started_at));
        for contact in ordered {
            draw_contact(&mut svg, contact, &scale, base, tz);
        }
    }

    draw_legend(&mut svg, plot_bottom + 18.0);
    svg.push_str("</svg>\n");
    svg
}

fn draw_contact(svg: &mut String, contact: &Contact, scale: &Scale, base: f64, tz: Tz) {
    let start = contact.started_at.with_timezone(&Utc);
    // The one contact rule: an unanswered call has no span and is drawn as a cross.
    let span = contact.counted_span();
    let end = span.map_or(start, |(_, end)| end);
    let visible = scale.contains(start) || (start < scale.from && end >= scale.from);
    if !visible {
        return;
    }
    let colour = depth_colour(contact.depth.as_ref().map(|d| d.score));
    let when = start.with_timezone(&tz).format("%Y-%m-%d %H:%M");
    let x = scale.x(start);
    match (contact.kind, span) {
        (_, None) => {
            let (cx, cy, r) = (x, base - 20.0, 3.5);
            let _ = writeln!(
                svg,
                r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{UNANSWERED}" stroke-width="1.6"><title>{} {} call {when}</title></path>"#,
                cx - r,
                cy - r,
                cx + r,
                cy + r,
                cx - r,
                cy + r,
                cx + r,
                cy - r,
                contact.status,
                contact.kind
            );
        }
        (ContactKind::Visit, _) => {
            let x2 = scale.x(end);
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="12" rx="3" fill="{colour}" opacity="0.45" stroke="{colour}"><title>visit from {when}, {:.0} days</title></rect>"#,
                base - 6.0,
                (x2 - x).max(2.0),
                (end - start).num_hours() as f64 / 24.0
            );
        }
        (ContactKind::Call | ContactKind::VideoCall, _) => {
            let minutes = contact.duration_seconds.unwrap_or(0) as f64 / 60.0;
            // Height grows with the square root of the length: a 1-minute call still shows,
            // an hour-long one does not fill the row.
            let height = (5.0 + minutes.sqrt() * 3.0).min(24.0);
            let width = if contact.kind == ContactKind::VideoCall {
                2.6
            } else {
                1.6
            };
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.1}" y1="{base:.1}" x2="{x:.1}" y2="{:.1}" stroke="{colour}" stroke-width="{width}"><title>{} {when}, {minutes:.1} min</title></line>"#,
                base - height,
                contact.kind
            );
        }
        (ContactKind::Text, _) => {
            let _ = writeln!(
                svg,
                r#"<circle cx="{x:.1}" cy="{:.1}" r="2.6" fill="{colour}"><title>text {when}</title></circle>"#,
                base + 7.0
            );
        }
    }
}

fn draw_legend(svg: &mut String, y: f64) {
    let grey = depth_colour(Some(20.0));
    let cross = |x: f64| {
        format!(
            r#"<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{UNANSWERED}" stroke-width="1.6"/>"#,
            x - 3.5,
            y - 3.5,
            x + 3.5,
            y + 3.5,
            x - 3.5,
            y + 3.5,
            x + 3.5,
            y - 3.5
        )
    };
    let items: [(String, &str, f64); 6] = [
        (
            format!(
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{grey}" stroke-width="1.6"/>"#,
                LEFT + 4.0,
                y + 6.0,
                LEFT + 4.0,
                y - 6.0
            ),
            "call (taller = longer)",
            150.0,
        ),
        (
            format!(
                r#"<circle cx="{}" cy="{y}" r="2.6" fill="{grey}"/>"#,
                LEFT + 150.0
            ),
            "text",
            60.0,
        ),
        (
            format!(
                r#"<rect x="{}" y="{}" width="12" height="10" rx="3" fill="{grey}" opacity="0.45" stroke="{grey}"/>"#,
                LEFT + 206.0,
                y - 5.0
            ),
            "visit",
            64.0,
        ),
        (cross(LEFT + 274.0), "missed / declined", 130.0),
        (
            format!(
                r#"<rect x="{}" y="{}" width="12" height="10" fill="{GAP_FILL}"/>"#,
                LEFT + 400.0,
                y - 5.0
            ),
            "gap > target",
            96.0,
        ),
        (
            format!(
                r#"<rect x="{}" y="{}" width="12" height="10" fill="{LONG_GAP_FILL}"/>"#,
                LEFT + 496.0,
                y - 5.0
            ),
            "gap > 2× target",
            110.0,
        ),
    ];
    let mut x = LEFT - 4.0;
    for (shape, label, width) in items {
        let _ = writeln!(
            svg,
            r##"{shape}<text x="{:.1}" y="{:.1}" fill="#444" font-size="11">{label}</text>"##,
            x + 14.0,
            y + 4.0
        );
        x += width;
    }
    // Depth ramp.
    let ramp_x = x + 10.0;
    for step in 0..=20 {
        let score = f64::from(step) * 5.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="6" height="10" fill="{}"/>"#,
            ramp_x + f64::from(step) * 6.0,
            y - 5.0,
            depth_colour(Some(score))
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" fill="#444" font-size="11">routine</text><text x="{:.1}" y="{:.1}" fill="#444" font-size="11">emotional</text><circle cx="{:.1}" cy="{y}" r="3" fill="{NO_DEPTH}"/><text x="{:.1}" y="{:.1}" fill="#444" font-size="11">no note</text>"##,
        ramp_x - 46.0,
        y + 20.0,
        ramp_x + 100.0,
        y + 20.0,
        ramp_x + 150.0,
        ramp_x + 158.0,
        y + 4.0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_from_routine_to_emotional() {
        assert_eq!(depth_colour(Some(0.0)), "#5b7fa6");
        assert_eq!(depth_colour(Some(50.0)), "#9b6bb0");
        assert_eq!(depth_colour(Some(100.0)), "#f06a1d");
        assert_eq!(depth_colour(Some(250.0)), "#f06a1d");
        assert_eq!(depth_colour(None), NO_DEPTH);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{7}"), "a&lt;b &amp; &quot;c&quot; ");
    }
}
