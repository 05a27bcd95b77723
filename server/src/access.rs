//! Who may do what (SPEC section 2). Every family-scoped handler starts by asking for a
//! `FamilyScope`, which refuses anyone the rules do not let in; the scope then answers the
//! finer questions (may this viewer see note text, the child's feedback, phone numbers).
//!
//! - parents, caregivers, children: their own family only;
//! - staff: families enrolled in one of their programs; note text only with consent;
//! - admins: everything.

use kinthread_shared::api::Family;
use kinthread_shared::{AccountRole, FamilyId, PersonId};

use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store;

/// A signed-in user's standing in one family.
#[derive(Clone, Debug)]
pub struct FamilyScope {
    pub family: Family,
    pub user: AuthUser,
}

impl FamilyScope {
    pub fn family_id(&self) -> FamilyId {
        self.family.id
    }

    pub fn role(&self) -> AccountRole {
        self.user.role
    }

    /// The person a family account speaks for.
    pub fn person(&self) -> Option<PersonId> {
        self.user.person_id
    }

    pub fn is_staff(&self) -> bool {
        self.user.role == AccountRole::Staff
    }

    /// Note and text content: the family itself and admins; staff only with consent.
    pub fn sees_content(&self) -> bool {
        match self.user.role {
            AccountRole::Staff => self.family.consent.share_notes_with_staff,
            _ => true,
        }
    }

    /// The child's feedback: the child, staff and admins; parents and caregivers only
    /// where the family agreed.
    pub fn sees_child_feedback(&self) -> bool {
        match self.user.role {
            AccountRole::Child | AccountRole::Staff | AccountRole::Admin => true,
            AccountRole::Parent | AccountRole::Caregiver => {
                self.family.consent.child_feedback_visible_to_parents
            }
        }
    }

    /// Phone numbers: the adults of the family and admins; never staff.
    pub fn sees_phone_numbers(&self) -> bool {
        matches!(
            self.user.role,
            AccountRole::Parent | AccountRole::Caregiver | AccountRole::Admin
        )
    }

    /// A child reads only the contacts they took part in.
    pub fn only_own_contacts(&self) -> Option<PersonId> {
        match self.user.role {
            AccountRole::Child => self.user.person_id,
            _ => None,
        }
    }

    pub fn require_contact_writer(&self) -> Result<(), ApiError> {
        match self.user.role {
            AccountRole::Staff => Err(ApiError::forbidden(
                "log contacts: staff read reports and record follow-ups",
            )),
            _ => Ok(()),
        }
    }

    pub fn require_checkin_writer(&self) -> Result<(), ApiError> {
        match self.user.role {
            AccountRole::Caregiver | AccountRole::Admin => Ok(()),
            _ => Err(ApiError::forbidden(
                "record check-ins: that is for the child's caregivers",
            )),
        }
    }

    pub fn require_checkin_reader(&self) -> Result<(), ApiError> {
        match self.user.role {
            AccountRole::Child => Err(ApiError::forbidden("read the caregivers' check-ins")),
            _ => Ok(()),
        }
    }
}

/// Loads the family and checks that `user` may reach it at all.
pub fn family_scope(
    conn: &mut DbConnection,
    user: &AuthUser,
    family_id: FamilyId,
) -> Result<FamilyScope, ApiError> {
    let allowed = match user.role {
        AccountRole::Admin => true,
        AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => {
            user.family_id == Some(family_id)
        }
        AccountRole::Staff => false,
    };
    if !allowed && user.role != AccountRole::Staff {
        return Err(ApiError::forbidden("reach another family's records"));
    }
    let family = store::families::get(conn, family_id)?.ok_or(ApiError::NotFound("family"))?;
    if user.role == AccountRole::Staff {
        let programs = store::programs::of_staff(conn, &user.id.to_string())?;
        let enrolled = family.program_id.is_some_and(|p| programs.contains(&p));
        if !enrolled {
            return Err(ApiError::forbidden("reach a family outside your programs"));
        }
    }
    Ok(FamilyScope {
        family,
        user: *user,
    })
}
