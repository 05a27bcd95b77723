//! Deleting a family (SPEC section 7): every record about it is erased in one transaction,
//! children's tables first, and the audit keeps only a tombstone without the family's id,
//! names or numbers: that a deletion happened, when, by whom, why, and counts.

use diesel::prelude::*;
use kinthread_shared::api::DeletionReport;
use kinthread_shared::{FamilyId, UserId};

use crate::auth::AuthUser;
use crate::db::DbConnection;
use kinthread_shared::validate::optional_text;

use crate::error::ApiError;
use crate::schema::{
    audit_log, checkins, child_checkins, consent_records, contact_feedback, contact_participants,
    contacts, families, follow_ups, person_phones, persons, prompt_history, refresh_tokens, users,
};
use crate::store;

/// The longest reason kept.
const MAX_REASON_CHARS: usize = 500;

/// A deletion's reason, trimmed: blank is none, and a long one is refused.
pub fn reason(given: Option<String>) -> Result<Option<String>, ApiError> {
    optional_text("reason", given, MAX_REASON_CHARS).map_err(|e| ApiError::Validation(vec![e]))
}

/// Erases the family and everything about it; answers the counts and the accounts that are
/// gone (whose sessions every server copy must refuse).
pub fn delete_family(
    conn: &mut DbConnection,
    by: &AuthUser,
    family: FamilyId,
    reason: &str,
) -> Result<(DeletionReport, Vec<UserId>), ApiError> {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let outcome = conn.transaction(|conn| {
        let accounts: Vec<UserId> = users::table
            .filter(users::family_id.eq(family))
            .select(users::id)
            .load(conn)?;
        let mut report = DeletionReport {
            feedback: count(
                diesel::delete(
                    contact_feedback::table.filter(contact_feedback::family_id.eq(family)),
                )
                .execute(conn)?,
            ),
            child_checkins: count(
                diesel::delete(child_checkins::table.filter(child_checkins::family_id.eq(family)))
                    .execute(conn)?,
            ),
            participants: count(
                diesel::delete(
                    contact_participants::table.filter(contact_participants::family_id.eq(family)),
                )
                .execute(conn)?,
            ),
            contacts: count(
                diesel::delete(contacts::table.filter(contacts::family_id.eq(family)))
                    .execute(conn)?,
            ),
            checkins: count(
                diesel::delete(checkins::table.filter(checkins::family_id.eq(family)))
                    .execute(conn)?,
            ),
            follow_ups: count(
                diesel::delete(follow_ups::table.filter(follow_ups::family_id.eq(family)))
                    .execute(conn)?,
            ),
            consent_records: count(
                diesel::delete(
                    consent_records::table.filter(consent_records::family_id.eq(family)),
                )
                .execute(conn)?,
            ),
            phones: count(
                diesel::delete(person_phones::table.filter(person_phones::family_id.eq(family)))
                    .execute(conn)?,
            ),
            prompts_shown: count(
                diesel::delete(prompt_history::table.filter(prompt_history::family_id.eq(family)))
                    .execute(conn)?,
            ),
            ..DeletionReport::default()
        };
        report.sessions = count(
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq_any(&accounts)))
                .execute(conn)?,
        );
        // The audit entries about the family, and those its members' accounts left.
        report.audit_entries = count(
            diesel::delete(
                audit_log::table.filter(
                    audit_log::family_id
                        .eq(family)
                        .or(audit_log::actor_id.eq_any(&accounts)),
                ),
            )
            .execute(conn)?,
        );
        report.accounts =
            count(diesel::delete(users::table.filter(users::family_id.eq(family))).execute(conn)?);
        report.persons = count(
            diesel::delete(persons::table.filter(persons::family_id.eq(family))).execute(conn)?,
        );
        diesel::delete(families::table.filter(families::id.eq(family))).execute(conn)?;
        store::audit::record(
            conn,
            Some(by),
            "family.delete",
            None,
            Some(&tombstone(&report, reason)),
        )?;
        Ok::<_, diesel::result::Error>((report, accounts))
    })?;
    Ok(outcome)
}

/// The audit's only trace of a deleted family: counts and the reason, no id, name or number.
fn tombstone(report: &DeletionReport, reason: &str) -> String {
    format!(
        "a family was deleted ({} contacts, {} check-ins, {} feedback, {} child check-ins, \
         {} follow-ups, {} consent records, {} persons, {} accounts, {} audit entries): {reason}",
        report.contacts,
        report.checkins,
        report.feedback,
        report.child_checkins,
        report.follow_ups,
        report.consent_records,
        report.persons,
        report.accounts,
        report.audit_entries,
    )
}
