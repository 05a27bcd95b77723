//! A parent's reminders: the family's persons and log gathered for
//! `kinthread_shared::reminders::parent_reminders`, with the prompts this account was shown,
//! and afterwards the record of the prompts it is shown for the first time.

use chrono::{DateTime, Utc};
use kinthread_shared::reminders::{
    ChildToRemind, KeptPrompt, ParentReminderInput, Reminder, ReminderError, ReminderKind,
    ReminderSettings, parent_reminders,
};
use kinthread_shared::{FamilyId, FamilyRole};

use crate::access::FamilyScope;
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::service::reports::gap_error;
use crate::store::reports::{self as reports_store, EventRange, FamilyFilter};
use crate::store::{audit, persons, prompt_history};

/// The reminders as of `now`, and the prompts among them shown for the first time (for
/// [`record_shown`]).
pub fn compute(
    conn: &mut DbConnection,
    scope: &FamilyScope,
    now: DateTime<Utc>,
) -> Result<(Vec<Reminder>, Vec<KeptPrompt>), ApiError> {
    let family = &scope.family;
    let people = persons::of_family(conn, family.id)?;
    let parent = scope
        .person()
        .and_then(|id| people.iter().find(|person| person.id == id))
        .ok_or(ApiError::NotFound("the person of this account"))?;
    let children: Vec<ChildToRemind<'_>> = people
        .iter()
        .filter(|person| person.role == FamilyRole::Child)
        .map(|child| ChildToRemind {
            child: child.id,
            display_name: &child.display_name,
            birth_date: child.birth_date,
            birth_year: child.birth_year,
        })
        .collect();
    // The last contact may be old, and a family's whole log is small: load it all.
    let events = reports_store::events(
        conn,
        &FamilyFilter::All,
        None,
        Some(family.id),
        EventRange::All,
    )?
    .remove(&family.id)
    .unwrap_or_default();
    let kept = prompt_history::recent(conn, family.id, scope.user.id)?;
    let recently_shown: Vec<String> = kept.iter().map(|k| k.prompt_id.clone()).collect();
    let reminders = parent_reminders(
        &ParentReminderInput {
            parent: parent.id,
            parent_lives_away: parent.lives_away,
            children: &children,
            contacts: &events,
            target: family.target_cadence_days,
            time_zone: family.time_zone.tz(),
            now,
            recently_shown_prompts: &recently_shown,
            kept_prompts: &kept,
        },
        &ReminderSettings::default(),
    )
    .map_err(|error| match error {
        ReminderError::Gap(gap) => gap_error(gap),
        other @ ReminderError::ZeroStreak => ApiError::internal(other),
    })?;
    let new_picks = reminders
        .iter()
        .filter(|r| r.kind == ReminderKind::ConversationPrompt)
        .filter_map(|r| {
            Some(KeptPrompt {
                child: r.child_id,
                last_routine_contact_at: r.last_routine_contact_at?,
                prompt_id: r.prompt_id.clone()?,
            })
        })
        .filter(|pick| {
            !kept.iter().any(|k| {
                k.child == pick.child && k.last_routine_contact_at == pick.last_routine_contact_at
            })
        })
        .collect();
    Ok((reminders, new_picks))
}

/// Records the prompts shown for the first time, each audited once (`reminders.prompt_shown`,
/// the child and the prompt's id).
pub fn record_shown(
    conn: &mut DbConnection,
    user: &AuthUser,
    family_id: FamilyId,
    shown: &[KeptPrompt],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for pick in shown {
        if prompt_history::record(conn, family_id, user.id, pick, now)? {
            audit::record(
                conn,
                Some(user),
                "reminders.prompt_shown",
                Some(family_id),
                Some(&format!("{} {}", pick.child, pick.prompt_id)),
            )?;
        }
    }
    Ok(())
}
