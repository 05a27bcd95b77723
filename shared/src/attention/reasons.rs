//! The plain-language reason of each signal, in Chinese and English, written from the pair's
//! figures with the parent's role word. Short enough for a table column; counts only.

use super::{Bilingual, PairFigures, SignalCode};
use crate::model::FamilyRole;

/// The reason `code` was raised, from `figures`, naming the parent by `role`.
pub(super) fn reason(code: SignalCode, figures: &PairFigures, role: FamilyRole) -> Bilingual {
    let (parent_zh, parent_en) = parent_words(role);
    match code {
        SignalCode::CallsUnanswered => {
            let (attempts, answered) = (figures.call_attempts, figures.calls_answered);
            if answered == 0 {
                Bilingual::new(
                    format!("{parent_zh}打了{attempts}次电话，一次也没接通"),
                    format!("{parent_en} called {}, none answered", times(attempts)),
                )
            } else {
                Bilingual::new(
                    format!("{parent_zh}打了{attempts}次电话，只有{answered}次接通"),
                    format!(
                        "{parent_en} called {}, {answered} answered",
                        times(attempts)
                    ),
                )
            }
        }
        SignalCode::ChildNeverReachesOut => {
            let counted = figures.counted_calls_and_texts;
            Bilingual::new(
                format!("{counted}次电话和消息，孩子一次也没有主动联系{parent_zh}"),
                format!("child started none of {counted} calls and texts with {parent_en}"),
            )
        }
        SignalCode::CallsCutShort => {
            let calls = figures.completed_calls;
            let seconds = figures.median_call_seconds.unwrap_or(0.0).round() as i64;
            Bilingual::new(
                format!(
                    "和{parent_zh}的{calls}次通话，一般只有{}",
                    duration_zh(seconds)
                ),
                format!(
                    "{} with {parent_en}, median {}",
                    plural(calls, "call", "calls"),
                    duration_en(seconds)
                ),
            )
        }
        SignalCode::RoutineOnly => {
            let (scored, routine) = (figures.scored, figures.routine_only);
            Bilingual::new(
                format!("和{parent_zh}有内容的{scored}次联系中，{routine}次只谈日常"),
                format!("{routine} of {scored} noted contacts with {parent_en} were routine only"),
            )
        }
        SignalCode::DepthFalling => {
            let earlier = points(figures.earlier_mean_depth);
            let later = points(figures.later_mean_depth);
            Bilingual::new(
                format!("和{parent_zh}的交流深度从{earlier}分降到{later}分"),
                format!("depth with {parent_en} fell from {earlier} to {later}"),
            )
        }
        SignalCode::ContactThinning => {
            let (earlier, later) = (figures.earlier_counted, figures.later_counted);
            Bilingual::new(
                format!("和{parent_zh}的联系从前半段{earlier}次减到后半段{later}次"),
                format!(
                    "contacts with {parent_en} fell from {earlier} to {later} (first vs second half)"
                ),
            )
        }
        SignalCode::CaregiverWorried => {
            let (low, worries) = (figures.low_mood_checkins, figures.worry_checkins);
            let mut zh = Vec::new();
            let mut en = Vec::new();
            if low > 0 {
                zh.push(format!("{low}次记下孩子情绪低落"));
                en.push(format!("low mood {}", times(low)));
            }
            if worries > 0 {
                zh.push(format!("{worries}次记下担心"));
                en.push(format!("a worry {}", times(worries)));
            }
            Bilingual::new(
                format!("照护人{}", zh.join("，")),
                format!("caregiver noted {}", en.join(", ")),
            )
        }
        SignalCode::ChildUnhappy => {
            let bad = figures.bad_feedbacks;
            Bilingual::new(
                format!("孩子{bad}次反馈和{parent_zh}的联系感觉不好"),
                format!(
                    "child said {} with {parent_en} felt bad",
                    plural(bad, "contact", "contacts")
                ),
            )
        }
    }
}

/// How the reasons name the parent: 妈妈 / mother, 爸爸 / father, else 家长 / parent.
pub(crate) fn parent_words(role: FamilyRole) -> (&'static str, &'static str) {
    match role {
        FamilyRole::Mother => ("妈妈", "mother"),
        FamilyRole::Father => ("爸爸", "father"),
        FamilyRole::Child
        | FamilyRole::Grandmother
        | FamilyRole::Grandfather
        | FamilyRole::OtherCaregiver
        | FamilyRole::Sibling => ("家长", "parent"),
    }
}

fn plural(count: u32, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// "once", "2 times".
fn times(count: u32) -> String {
    if count == 1 {
        "once".to_owned()
    } else {
        format!("{count} times")
    }
}

/// 45秒, 2分钟, 1分30秒.
fn duration_zh(seconds: i64) -> String {
    let (minutes, rest) = (seconds / 60, seconds % 60);
    match (minutes, rest) {
        (0, rest) => format!("{rest}秒"),
        (minutes, 0) => format!("{minutes}分钟"),
        (minutes, rest) => format!("{minutes}分{rest}秒"),
    }
}

/// "45 s", "2 min", "1 min 30 s".
fn duration_en(seconds: i64) -> String {
    let (minutes, rest) = (seconds / 60, seconds % 60);
    match (minutes, rest) {
        (0, rest) => format!("{rest} s"),
        (minutes, 0) => format!("{minutes} min"),
        (minutes, rest) => format!("{minutes} min {rest} s"),
    }
}

/// A depth mean as read aloud: 62, 62.5.
fn points(mean: Option<f64>) -> String {
    let value = mean.unwrap_or(0.0);
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (0, "0秒", "0 s"),
            (45, "45秒", "45 s"),
            (60, "1分钟", "1 min"),
            (90, "1分30秒", "1 min 30 s"),
            (179, "2分59秒", "2 min 59 s"),
        ];
        for (seconds, zh, en) in cases {
            assert_eq!(duration_zh(seconds), zh, "{seconds}");
            assert_eq!(duration_en(seconds), en, "{seconds}");
        }
    }

    #[test]
    fn depth_points_drop_a_trailing_zero() {
        assert_eq!(points(Some(62.0)), "62");
        assert_eq!(points(Some(62.5)), "62.5");
    }

    #[test]
    fn english_counts_agree_in_number() {
        assert_eq!(times(1), "once");
        assert_eq!(times(2), "2 times");
        assert_eq!(plural(1, "call", "calls"), "1 call");
        assert_eq!(plural(4, "call", "calls"), "4 calls");
    }
}
