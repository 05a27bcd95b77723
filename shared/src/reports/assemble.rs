//! The pure half of a family report: given a family's persons, its current contacts, its
//! check-in moods and its latest follow-up, shape the [`FamilyReport`]. The server feeds it from
//! the database, `kinthread gaps --bundle` from an export file; both get the same figures
//! because both call this one function. No I/O here.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    CheckinSummary, ChildVoiceSummary, FamilyReport, FollowUp, PairKind, PairReport, PersonSummary,
};
use crate::api::Family;
use crate::attention::{
    AttentionError, CaregiverCheckin, FeedbackFact, FeedbackVisibility, PairEvidence, PairStanding,
    Thresholds, family_level, pair_signals,
};
use crate::depth::summary::{DepthSummary, summarize};
use crate::gaps::{GapError, Pair, PairGaps, Window, pair_gaps};
use crate::ids::PersonId;
use crate::model::ChildFeedback;
use crate::model::{ContactEvent, FamilyRole};
use crate::values::TargetCadence;

/// The pairs a family report shows, in report order: parent–child pairs first, parents living
/// away before parents at home, then parent–caregiver pairs.
pub fn report_pairs(persons: &[PersonSummary]) -> Vec<(PairKind, &PersonSummary, &PersonSummary)> {
    let role_rank = |role: FamilyRole| match role {
        FamilyRole::Mother => 0,
        FamilyRole::Father => 1,
        FamilyRole::Grandmother => 2,
        FamilyRole::Grandfather => 3,
        _ => 4,
    };
    let mut ordered: Vec<&PersonSummary> = persons.iter().collect();
    ordered.sort_by(|a, b| {
        (!a.lives_away, role_rank(a.role), &a.display_name, a.id).cmp(&(
            !b.lives_away,
            role_rank(b.role),
            &b.display_name,
            b.id,
        ))
    });
    let parents: Vec<&PersonSummary> = ordered
        .iter()
        .copied()
        .filter(|p| p.role.is_parent())
        .collect();
    let mut pairs = Vec::new();
    for parent in &parents {
        for child in ordered.iter().filter(|p| p.role == FamilyRole::Child) {
            pairs.push((PairKind::ParentChild, *parent, *child));
        }
    }
    for parent in &parents {
        for caregiver in ordered.iter().filter(|p| p.role.is_caregiver()) {
            pairs.push((PairKind::ParentCaregiver, *parent, *caregiver));
        }
    }
    pairs
}

/// Gaps and depth of one pair, from the family's contacts.
pub fn pair_figures(
    events: &[ContactEvent],
    pair: &Pair,
    window: &Window,
    tz: Tz,
    target: TargetCadence,
) -> Result<(PairGaps, DepthSummary), GapError> {
    let gaps = pair_gaps(events, pair, window, tz, target)?;
    let theirs: Vec<ContactEvent> = events
        .iter()
        .filter(|event| pair.took_part_in(event))
        .cloned()
        .collect();
    let depth = summarize(&theirs, window.from, window.as_of);
    Ok((gaps, depth))
}

/// Check-in figures from `(observed_at, mood)` of the check-ins inside the window.
fn checkin_summary(moods: &[(DateTime<Utc>, i32)]) -> CheckinSummary {
    let count = u32::try_from(moods.len()).unwrap_or(u32::MAX);
    let total: i64 = moods.iter().map(|(_, mood)| i64::from(*mood)).sum();
    CheckinSummary {
        count,
        mean_mood: (count > 0).then(|| (total as f64 / f64::from(count) * 10.0).round() / 10.0),
        low_mood_count: u32::try_from(moods.iter().filter(|(_, mood)| *mood <= 2).count())
            .unwrap_or(u32::MAX),
        latest_observed_at: moods.iter().map(|(at, _)| *at).max(),
    }
}

/// What one family report is computed from.
#[derive(Clone, Debug)]
pub struct FamilyReportInput<'a> {
    pub family: Family,
    pub persons: &'a [PersonSummary],
    /// The current version of every contact of the family (amended ones left out), from any
    /// time: the last contact may lie before the window.
    pub events: &'a [ContactEvent],
    /// The caregivers' check-ins, each with the child it is about; those outside the window
    /// are left out here.
    pub checkins: &'a [(PersonId, CaregiverCheckin)],
    /// The latest follow-up recorded up to `as_of`, where the reader may see it.
    pub latest_follow_up: Option<FollowUp>,
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    /// The thresholds of the family's program (the defaults without one).
    pub thresholds: &'a Thresholds,
    /// The child's feedback in force on the family's contacts; those given outside the window
    /// are left out here.
    pub feedbacks: &'a [FeedbackFact],
    /// `(observed_at, mood)` of the children's own check-ins; those outside the window are
    /// left out here.
    pub child_checkins: &'a [(DateTime<Utc>, i32)],
    /// How much of the child's voice the reader may see.
    pub child_voice: ChildVoiceView,
}

/// How much of the child's voice a report's reader sees (the server decides it from the
/// permission table and the consent in force).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildVoiceView {
    /// Counts and moods, and `child_unhappy` among the signals (staff, admins, the child).
    Full,
    /// Counts only (parents and caregivers, with the guardian's consent).
    CountsOnly,
    /// Nothing: no counts, and `child_unhappy` neither shown nor weighed.
    Withheld,
}

impl ChildVoiceView {
    fn feedback_visibility(self) -> FeedbackVisibility {
        match self {
            ChildVoiceView::Full | ChildVoiceView::CountsOnly => FeedbackVisibility::Included,
            ChildVoiceView::Withheld => FeedbackVisibility::Withheld,
        }
    }
}

/// The child's voice over the window, as `view` allows.
fn child_voice_summary(
    feedbacks: &[FeedbackFact],
    checkins: &[(DateTime<Utc>, i32)],
    window: &Window,
    view: ChildVoiceView,
) -> Option<ChildVoiceSummary> {
    if view == ChildVoiceView::Withheld {
        return None;
    }
    let inside = |at: DateTime<Utc>| window.from <= at && at <= window.as_of;
    let mut summary = ChildVoiceSummary::default();
    for fact in feedbacks.iter().filter(|fact| inside(fact.entry.given_at)) {
        match fact.entry.rating {
            ChildFeedback::Good => summary.feedback_good += 1,
            ChildFeedback::Okay => summary.feedback_okay += 1,
            ChildFeedback::Bad => summary.feedback_bad += 1,
        }
    }
    let moods: Vec<i32> = checkins
        .iter()
        .filter(|(at, _)| inside(*at))
        .map(|(_, mood)| *mood)
        .collect();
    summary.checkins = u32::try_from(moods.len()).unwrap_or(u32::MAX);
    if view == ChildVoiceView::Full && !moods.is_empty() {
        let total: i64 = moods.iter().map(|mood| i64::from(*mood)).sum();
        summary.mean_mood = Some((total as f64 / moods.len() as f64 * 10.0).round() / 10.0);
    }
    Some(summary)
}

/// The report on one family: every pair's gaps and depth over the window, check-in figures.
pub fn family_report(input: FamilyReportInput<'_>) -> Result<FamilyReport, GapError> {
    let tz = input.family.time_zone.tz();
    let window = Window::days_up_to(input.as_of, input.window_days, tz)?;
    let target = input.family.target_cadence_days;
    let thresholds = input.thresholds;
    let visibility = input.child_voice.feedback_visibility();
    let mut pairs = Vec::new();
    let mut standings = Vec::new();
    for (kind, a, b) in report_pairs(input.persons) {
        let child = (kind == PairKind::ParentChild).then_some(b.id);
        let pair = Pair::new(a.id, b.id, child)?;
        let (gaps, depth) = pair_figures(input.events, &pair, &window, tz, target)?;
        let signals = match kind {
            PairKind::ParentChild => {
                let about_child: Vec<CaregiverCheckin> = input
                    .checkins
                    .iter()
                    .filter(|(about, _)| *about == b.id)
                    .map(|(_, checkin)| *checkin)
                    .collect();
                let evidence = PairEvidence {
                    parent: a.id,
                    parent_role: a.role,
                    child: b.id,
                    contacts: input.events,
                    checkins: &about_child,
                    feedbacks: &FeedbackFact::for_pair(input.feedbacks, a.id, b.id),
                };
                let mut raised =
                    pair_signals(&evidence, &window, thresholds).map_err(|e| match e {
                        AttentionError::Window(gap) => gap,
                        AttentionError::SamePerson { .. } | AttentionError::Thresholds(_) => {
                            GapError::SamePerson { person: a.id }
                        }
                    })?;
                if visibility == FeedbackVisibility::Withheld {
                    raised
                        .signals
                        .retain(|signal| !signal.code.is_childs_voice());
                }
                standings.push(PairStanding {
                    parent_lives_away: a.lives_away,
                    status: gaps.status,
                    current_gap_seconds: gaps.current_gap_seconds,
                    signals: raised.codes(),
                });
                raised.signals
            }
            PairKind::ParentCaregiver => Vec::new(),
        };
        pairs.push(PairReport {
            pair_kind: kind,
            a: a.clone(),
            b: b.clone(),
            gaps,
            depth,
            signals,
        });
    }
    let moods: Vec<(DateTime<Utc>, i32)> = input
        .checkins
        .iter()
        .map(|(_, checkin)| (checkin.observed_at, checkin.mood))
        .filter(|(at, _)| window.from <= *at && *at <= window.as_of)
        .collect();
    Ok(FamilyReport {
        family: input.family,
        as_of: input.as_of,
        window_days: input.window_days,
        window,
        target_days: target.days(),
        pairs,
        attention_level: family_level(&standings, visibility),
        checkins: checkin_summary(&moods),
        child_voice: child_voice_summary(
            input.feedbacks,
            input.child_checkins,
            &window,
            input.child_voice,
        ),
        latest_follow_up: input.latest_follow_up,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ids::PersonId;

    fn person(name: &str, role: FamilyRole, lives_away: bool) -> PersonSummary {
        PersonSummary {
            id: PersonId::new(),
            display_name: name.into(),
            role,
            lives_away,
        }
    }

    #[test]
    fn pairs_put_parents_away_first_then_caregivers() {
        let father_home = person("Father", FamilyRole::Father, false);
        let mother_away = person("Mother", FamilyRole::Mother, true);
        let child = person("Child", FamilyRole::Child, false);
        let grandma = person("Grandma", FamilyRole::Grandmother, false);
        let sibling = person("Sister", FamilyRole::Sibling, false);
        let persons = vec![
            grandma.clone(),
            sibling,
            father_home.clone(),
            child.clone(),
            mother_away.clone(),
        ];
        let pairs: Vec<(PairKind, PersonId, PersonId)> = report_pairs(&persons)
            .into_iter()
            .map(|(kind, a, b)| (kind, a.id, b.id))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (PairKind::ParentChild, mother_away.id, child.id),
                (PairKind::ParentChild, father_home.id, child.id),
                (PairKind::ParentCaregiver, mother_away.id, grandma.id),
                (PairKind::ParentCaregiver, father_home.id, grandma.id),
            ]
        );
    }

    #[test]
    fn checkin_figures() {
        let at = |ms| Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
        let summary = checkin_summary(&[(at(1_000), 2), (at(3_000), 5), (at(2_000), 4)]);
        assert_eq!(summary.count, 3);
        assert_eq!(summary.mean_mood, Some(3.7));
        assert_eq!(summary.low_mood_count, 1);
        assert_eq!(summary.latest_observed_at, Some(at(3_000)));
        assert_eq!(checkin_summary(&[]).mean_mood, None);
    }
}
