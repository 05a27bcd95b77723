//! Consent as a history (SPEC section 3): records are given and withdrawn, never overwritten
//! or deleted (but with the family). What is in force is computed from the records and the
//! family's child accounts whenever a family is loaded, so every gate reads the consent in
//! force at the moment of the read.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kinthread_shared::api::{Consent, ConsentRecord};
use kinthread_shared::{
    AccountRole, ConsentId, ConsentKind, ConsentVia, FamilyId, PersonId, UserId,
};

use super::{from_millis, to_millis};
use crate::db::DbConnection;
use crate::schema::{consent_records, users};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_records)]
#[diesel(treat_none_as_default_value = false)]
pub struct ConsentRow {
    pub family_id: FamilyId,
    pub id: ConsentId,
    pub kind: ConsentKind,
    pub person_id: Option<PersonId>,
    pub given_at: i64,
    pub given_by: Option<UserId>,
    pub given_via: ConsentVia,
    pub reference: Option<String>,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_via: Option<ConsentVia>,
    pub withdrawn_reference: Option<String>,
}

impl ConsentRow {
    /// A record given now.
    pub fn given(
        family_id: FamilyId,
        kind: ConsentKind,
        person_id: Option<PersonId>,
        by: Option<UserId>,
        via: ConsentVia,
        reference: Option<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            family_id,
            id: ConsentId::new(),
            kind,
            person_id,
            given_at: to_millis(at),
            given_by: by,
            given_via: via,
            reference,
            withdrawn_at: None,
            withdrawn_by: None,
            withdrawn_via: None,
            withdrawn_reference: None,
        }
    }

    pub fn into_record(self) -> QueryResult<ConsentRecord> {
        Ok(ConsentRecord {
            given_at: from_millis(self.given_at)?,
            withdrawn_at: self.withdrawn_at.map(from_millis).transpose()?,
            id: self.id,
            family_id: self.family_id,
            kind: self.kind,
            person_id: self.person_id,
            given_by: self.given_by,
            given_via: self.given_via,
            reference: self.reference,
            withdrawn_by: self.withdrawn_by,
            withdrawn_via: self.withdrawn_via,
            withdrawn_reference: self.withdrawn_reference,
        })
    }
}

/// The consent in force from the records in force and the children who have an account: the
/// one place that composes the gates.
pub fn compose(
    in_force: &[(ConsentKind, Option<PersonId>)],
    child_accounts: &[PersonId],
) -> Consent {
    let any = |kind: ConsentKind| in_force.iter().any(|(k, _)| *k == kind);
    let agreed: HashSet<PersonId> = in_force
        .iter()
        .filter(|(kind, _)| *kind == ConsentKind::ChildAgreesFeedbackCounts)
        .filter_map(|(_, person)| *person)
        .collect();
    Consent {
        guardian_consent: any(ConsentKind::DataKept),
        share_notes_with_staff: any(ConsentKind::ShareNotesWithStaff),
        child_feedback_visible_to_parents: any(ConsentKind::FeedbackCountsToParents)
            && child_accounts.iter().all(|child| agreed.contains(child)),
        child_account: any(ConsentKind::ChildAccount),
        anonymous_statistics: any(ConsentKind::AnonymousStatistics),
    }
}

/// The consent in force of each of `families` (families without records get none).
pub fn in_force(
    conn: &mut DbConnection,
    families: &[FamilyId],
) -> QueryResult<HashMap<FamilyId, Consent>> {
    let mut records: HashMap<FamilyId, Vec<(ConsentKind, Option<PersonId>)>> = HashMap::new();
    let mut children: HashMap<FamilyId, Vec<PersonId>> = HashMap::new();
    for chunk in families.chunks(500) {
        let query = consent_records::table
            .filter(consent_records::withdrawn_at.is_null())
            .select((
                consent_records::family_id,
                consent_records::kind,
                consent_records::person_id,
            ));
        // One family (every request's access check) uses `=`, prepared once per connection.
        let rows: Vec<(FamilyId, ConsentKind, Option<PersonId>)> = match chunk {
            [one] => query
                .filter(consent_records::family_id.eq(one))
                .load(conn)?,
            many => query
                .filter(consent_records::family_id.eq_any(many))
                .load(conn)?,
        };
        for (family, kind, person) in rows {
            records.entry(family).or_default().push((kind, person));
        }
        // The children's accounts matter only to a guardian's consent to feedback counts, which
        // most families have not given: ask for them only there.
        let counted: Vec<FamilyId> = chunk
            .iter()
            .copied()
            .filter(|family| {
                records.get(family).is_some_and(|kinds| {
                    kinds
                        .iter()
                        .any(|(kind, _)| *kind == ConsentKind::FeedbackCountsToParents)
                })
            })
            .collect();
        children.extend(child_accounts(conn, &counted)?);
    }
    Ok(families
        .iter()
        .map(|family| {
            let consent = compose(
                records.get(family).map_or(&[][..], Vec::as_slice),
                children.get(family).map_or(&[][..], Vec::as_slice),
            );
            (*family, consent)
        })
        .collect())
}

/// The persons of `families` who have a child account in use.
fn child_accounts(
    conn: &mut DbConnection,
    families: &[FamilyId],
) -> QueryResult<HashMap<FamilyId, Vec<PersonId>>> {
    let mut children: HashMap<FamilyId, Vec<PersonId>> = HashMap::new();
    if families.is_empty() {
        return Ok(children);
    }
    let query = users::table
        .filter(users::role.eq(AccountRole::Child))
        .filter(users::disabled.eq(false))
        .select((users::family_id, users::person_id));
    let rows: Vec<(Option<FamilyId>, Option<PersonId>)> = match families {
        [one] => query.filter(users::family_id.eq(one)).load(conn)?,
        many => query.filter(users::family_id.eq_any(many)).load(conn)?,
    };
    for (family, person) in rows {
        if let (Some(family), Some(person)) = (family, person) {
            children.entry(family).or_default().push(person);
        }
    }
    Ok(children)
}

/// The consent in force of one family whose records in force were read already (with the
/// family row, by `store::families::get`): its child accounts are read only where a
/// guardian's consent to feedback counts makes them matter.
pub fn compose_read(
    conn: &mut DbConnection,
    family: FamilyId,
    in_force: &[(ConsentKind, Option<PersonId>)],
) -> QueryResult<Consent> {
    let counted = in_force
        .iter()
        .any(|(kind, _)| *kind == ConsentKind::FeedbackCountsToParents);
    let children = if counted {
        child_accounts(conn, &[family])?
            .remove(&family)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(compose(in_force, &children))
}

/// The consent in force of one family.
pub fn of_family(conn: &mut DbConnection, family: FamilyId) -> QueryResult<Consent> {
    Ok(in_force(conn, &[family])?
        .remove(&family)
        .unwrap_or_default())
}

pub fn insert(conn: &mut DbConnection, row: &ConsentRow) -> QueryResult<()> {
    diesel::insert_into(consent_records::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn get(
    conn: &mut DbConnection,
    family: FamilyId,
    id: ConsentId,
) -> QueryResult<Option<ConsentRow>> {
    consent_records::table
        .filter(consent_records::family_id.eq(family))
        .filter(consent_records::id.eq(id))
        .select(ConsentRow::as_select())
        .first(conn)
        .optional()
}

/// Every record of a family, newest given first.
pub fn history(conn: &mut DbConnection, family: FamilyId) -> QueryResult<Vec<ConsentRow>> {
    consent_records::table
        .filter(consent_records::family_id.eq(family))
        .order((consent_records::given_at.desc(), consent_records::id.desc()))
        .select(ConsentRow::as_select())
        .load(conn)
}

/// Whether `person` (or, for `None`, anyone) has a record of `kind` in force.
pub fn is_in_force(
    conn: &mut DbConnection,
    family: FamilyId,
    kind: ConsentKind,
    person: Option<PersonId>,
) -> QueryResult<bool> {
    let mut query = consent_records::table
        .filter(consent_records::family_id.eq(family))
        .filter(consent_records::kind.eq(kind))
        .filter(consent_records::withdrawn_at.is_null())
        .select(consent_records::id)
        .into_boxed();
    if let Some(person) = person {
        query = query.filter(consent_records::person_id.eq(person));
    }
    Ok(query.first::<ConsentId>(conn).optional()?.is_some())
}

/// How a withdrawal was made.
#[derive(Clone, Debug)]
pub struct Withdrawal {
    pub by: UserId,
    pub via: ConsentVia,
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
}

/// Withdraws one record if it is in force; answers how many were withdrawn (0 or 1).
pub fn withdraw(
    conn: &mut DbConnection,
    family: FamilyId,
    id: ConsentId,
    how: &Withdrawal,
) -> QueryResult<usize> {
    diesel::update(
        consent_records::table
            .filter(consent_records::family_id.eq(family))
            .filter(consent_records::id.eq(id))
            .filter(consent_records::withdrawn_at.is_null()),
    )
    .set((
        consent_records::withdrawn_at.eq(Some(to_millis(how.at))),
        consent_records::withdrawn_by.eq(Some(how.by)),
        consent_records::withdrawn_via.eq(Some(how.via)),
        consent_records::withdrawn_reference.eq(how.reference.clone()),
    ))
    .execute(conn)
}

/// Withdraws every record of `kind` in force; answers how many.
pub fn withdraw_kind(
    conn: &mut DbConnection,
    family: FamilyId,
    kind: ConsentKind,
    how: &Withdrawal,
) -> QueryResult<usize> {
    let ids: Vec<ConsentId> = consent_records::table
        .filter(consent_records::family_id.eq(family))
        .filter(consent_records::kind.eq(kind))
        .filter(consent_records::withdrawn_at.is_null())
        .select(consent_records::id)
        .load(conn)?;
    let mut withdrawn = 0;
    for id in ids {
        withdrawn += withdraw(conn, family, id, how)?;
    }
    Ok(withdrawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_counts_need_every_child_with_an_account() {
        let (one, two) = (PersonId::new(), PersonId::new());
        let guardian = (ConsentKind::FeedbackCountsToParents, Some(PersonId::new()));
        let agrees = |p| (ConsentKind::ChildAgreesFeedbackCounts, Some(p));
        // No child account: the guardian's consent is enough.
        assert!(compose(&[guardian], &[]).child_feedback_visible_to_parents);
        // A child with an account must agree too; each child with one.
        assert!(!compose(&[guardian], &[one]).child_feedback_visible_to_parents);
        assert!(compose(&[guardian, agrees(one)], &[one]).child_feedback_visible_to_parents);
        assert!(!compose(&[guardian, agrees(one)], &[one, two]).child_feedback_visible_to_parents);
        // The child's agreement alone is nothing.
        assert!(!compose(&[agrees(one)], &[one]).child_feedback_visible_to_parents);
        assert_eq!(compose(&[], &[]), Consent::default());
    }
}
