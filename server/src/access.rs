//! Who may do what (SPEC section 2), decided in one place.
//!
//! Every rule is one arm of [`rule`] (actions) or [`visibility`] (what a reader sees of a
//! family's records), and every arm matches every [`AccountRole`] by name: there is no
//! wildcard, so a new role does not compile until each rule says what it may. The answer is
//! a [`Rule`]; some rules depend on the family (its consent, whether the reader belongs to
//! it), which [`FamilyScope`] resolves.
//!
//! Handlers ask for a [`FamilyScope`] first (who may reach the family at all), then
//! `scope.require(Action::…)`; actions outside a family go through [`require`].

use kinthread_shared::api::Family;
use kinthread_shared::{AccountRole, FamilyId, PersonId, ProgramId, UserId};

use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::store;

/// Something a user may try to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    // ---- the installation
    CreateProgram,
    ListPrograms,
    ReadProgram,
    ChangeProgram,
    CreateFamily,
    ListFamilies,
    ManageAccounts,
    /// Give an account a one-time password it must change.
    ResetPassword,
    /// Change one's own password (the old one is required).
    ChangeOwnPassword,
    ReadAuditLog,
    ImportBundle,
    ReadCaseload,
    // ---- within one family (after the family was reached)
    ReadFamily,
    ChangeFamilySettings,
    ChangeConsent,
    /// Enrol a family in a program, move it to another or withdraw it.
    EnrolFamily,
    AddPerson,
    UpdatePerson,
    ListPersons,
    LogContact,
    ReadContacts,
    AmendContact,
    RecordCheckin,
    ReadCheckins,
    ReadReport,
    /// `GET /me/reminders`: a parent's reminders about their own children.
    ReadReminders,
    RecordFollowUp,
    ReadFollowUps,
    ExportBundle,
    /// The child's feedback on a contact they took part in.
    GiveFeedback,
    /// The child's own weekly check-in.
    RecordChildCheckin,
    /// The child's feedback and check-ins, record by record (parents get counts in the
    /// report, where consent allows).
    ReadChildVoice,
    /// The family's consent records.
    ReadConsent,
    /// Giving or withdrawing a consent record (who may give which is `service::consent`).
    RecordConsent,
    /// Who read the family's data (the access record).
    ReadAccessLog,
    /// A guardian's request that the family's data be deleted.
    RequestDeletion,
    /// Erasing a family and everything about it.
    DeleteFamily,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::CreateProgram,
        Action::ListPrograms,
        Action::ReadProgram,
        Action::ChangeProgram,
        Action::CreateFamily,
        Action::ListFamilies,
        Action::ManageAccounts,
        Action::ResetPassword,
        Action::ChangeOwnPassword,
        Action::ReadAuditLog,
        Action::ImportBundle,
        Action::ReadCaseload,
        Action::ReadFamily,
        Action::ChangeFamilySettings,
        Action::ChangeConsent,
        Action::EnrolFamily,
        Action::AddPerson,
        Action::UpdatePerson,
        Action::ListPersons,
        Action::LogContact,
        Action::ReadContacts,
        Action::AmendContact,
        Action::RecordCheckin,
        Action::ReadCheckins,
        Action::ReadReport,
        Action::ReadReminders,
        Action::RecordFollowUp,
        Action::ReadFollowUps,
        Action::ExportBundle,
        Action::GiveFeedback,
        Action::RecordChildCheckin,
        Action::ReadChildVoice,
        Action::ReadConsent,
        Action::RecordConsent,
        Action::ReadAccessLog,
        Action::RequestDeletion,
        Action::DeleteFamily,
    ];

    /// What the refusal says: "you may not …".
    pub fn refusal(self) -> &'static str {
        match self {
            Action::CreateProgram => "create programs",
            Action::ListPrograms => "list programs",
            Action::ReadProgram => "see this program",
            Action::ChangeProgram => "change programs",
            Action::CreateFamily => "create families",
            Action::ListFamilies => "list families",
            Action::ManageAccounts => "manage accounts",
            Action::ResetPassword => "reset passwords: that is for admins",
            Action::ChangeOwnPassword => "change this password",
            Action::ReadAuditLog => "read the audit log",
            Action::ImportBundle => "import bundles",
            Action::ReadCaseload => "read the caseload: it is for program staff and admins",
            Action::ReadFamily => "read this family",
            Action::ChangeFamilySettings => {
                "change this family (guardians may change only its consent)"
            }
            Action::ChangeConsent => "change this family's consent",
            Action::EnrolFamily => "enrol, move or withdraw families: that is for admins",
            Action::AddPerson => "add persons to a family",
            Action::UpdatePerson => {
                "change a family's persons: that is for admins (staff read reports and record follow-ups)"
            }
            Action::ListPersons => "list this family's persons",
            Action::LogContact => "log contacts: staff read reports and record follow-ups",
            Action::ReadContacts => "read this family's contacts",
            Action::AmendContact => "amend contacts: staff read reports and record follow-ups",
            Action::RecordCheckin => "record check-ins: that is for the child's caregivers",
            Action::ReadCheckins => "read the caregivers' check-ins",
            Action::ReadReport => {
                "read the family report: it is for the parents, caregivers and program staff"
            }
            Action::ReadReminders => {
                "see reminders: they are for parents, about keeping in touch with their own \
                 children (caregivers, staff and admins read the family report)"
            }
            Action::RecordFollowUp | Action::ReadFollowUps => {
                "use follow-ups: they are for the program's staff"
            }
            Action::ExportBundle => {
                "export the family's record: that is for its parents, caregivers, staff and admins"
            }
            Action::GiveFeedback => {
                "give feedback on a contact: that is for the child who took part, from their own account"
            }
            Action::RecordChildCheckin => {
                "record a child's check-in: that is for the child, from their own account"
            }
            Action::ReadChildVoice => {
                "read the child's feedback or check-ins: parents and caregivers see counts in the family report, where the guardian consented"
            }
            Action::ReadConsent => "read this family's consent records",
            Action::RecordConsent => "give or withdraw this family's consent",
            Action::ReadAccessLog => {
                "read who read this family's data: that is for its guardians, its program's staff and admins"
            }
            Action::RequestDeletion => {
                "ask for this family's data to be deleted: that is for its guardians"
            }
            Action::DeleteFamily => "delete families: that is for admins",
        }
    }
}

/// A part of a family's records that not every reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visible {
    /// Note and text content of contacts, check-in text.
    NoteText,
    /// The child's rating of each contact, record by record.
    ChildFeedback,
    /// The child's own words, in feedback and check-ins.
    ChildWords,
    /// Counts of the child's feedback and check-ins in the family report (and the
    /// `child_unhappy` signal built on them).
    ChildVoiceCounts,
    PhoneNumbers,
    /// Staff follow-ups in a family's bundle.
    FollowUps,
}

impl Visible {
    pub const ALL: &'static [Visible] = &[
        Visible::NoteText,
        Visible::ChildFeedback,
        Visible::ChildWords,
        Visible::ChildVoiceCounts,
        Visible::PhoneNumbers,
        Visible::FollowUps,
    ];
}

/// The answer of the table for one role and one action or part of the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Allow,
    Deny,
    /// Only where the family consented to share notes with program staff.
    IfNotesShared,
    /// Only where the family consented to show the child's feedback to parents.
    IfFeedbackShared,
    /// Only the records the child took part in.
    OwnContactsOnly,
    /// Only the records the user recorded themself.
    OwnRecordsOnly,
    /// Only the child's own feedback and check-ins.
    OwnVoiceOnly,
    /// Only the programs the staff member works in (a staff member reaches a family
    /// through the programs it is enrolled in).
    OwnProgramsOnly,
    /// Only the user's own family.
    OwnFamilyOnly,
}

/// Which families a role reaches at all.
pub fn reach(role: AccountRole) -> Rule {
    match role {
        AccountRole::Admin => Rule::Allow,
        AccountRole::Staff => Rule::OwnProgramsOnly,
        AccountRole::Parent | AccountRole::Caregiver | AccountRole::Child => Rule::OwnFamilyOnly,
    }
}

/// The table of actions: what `role` may do.
pub fn rule(role: AccountRole, action: Action) -> Rule {
    use AccountRole::{Admin, Caregiver, Child, Parent, Staff};
    use Rule::{
        Allow, Deny, OwnContactsOnly, OwnFamilyOnly, OwnProgramsOnly, OwnRecordsOnly, OwnVoiceOnly,
    };
    match action {
        Action::CreateProgram
        | Action::ChangeProgram
        | Action::CreateFamily
        | Action::ManageAccounts
        | Action::ReadAuditLog
        | Action::ImportBundle
        | Action::ChangeFamilySettings
        | Action::ResetPassword
        | Action::EnrolFamily
        | Action::AddPerson
        // Staff read reports and record follow-ups (SPEC section 2): who a family's persons
        // are, their roles and numbers, is the installation's record, kept by admins.
        | Action::UpdatePerson => match role {
            Admin => Allow,
            Staff | Parent | Caregiver | Child => Deny,
        },
        // Every account owns its password.
        Action::ChangeOwnPassword => match role {
            Admin | Staff | Parent | Caregiver | Child => Allow,
        },
        Action::ListPrograms | Action::ReadProgram | Action::ReadCaseload => match role {
            Admin => Allow,
            Staff => OwnProgramsOnly,
            Parent | Caregiver | Child => Deny,
        },
        Action::ListFamilies => match role {
            Admin => Allow,
            Staff => OwnProgramsOnly,
            Parent | Caregiver | Child => OwnFamilyOnly,
        },
        Action::ReadFamily | Action::ListPersons => match role {
            Admin | Staff | Parent | Caregiver | Child => Allow,
        },
        // The family's adults are its guardians.
        Action::ChangeConsent => match role {
            Admin | Parent | Caregiver => Allow,
            Staff | Child => Deny,
        },
        Action::LogContact => match role {
            Admin | Parent | Caregiver => Allow,
            // A child logs only contacts they took part in.
            Child => OwnContactsOnly,
            Staff => Deny,
        },
        // A contact is corrected by whoever recorded it (a child records only contacts they
        // took part in), never by another member of the family.
        Action::AmendContact => match role {
            Admin => Allow,
            Parent | Caregiver | Child => OwnRecordsOnly,
            Staff => Deny,
        },
        // The child's voice is the child's: nobody gives it for them.
        Action::GiveFeedback => match role {
            Child => OwnContactsOnly,
            Admin | Staff | Parent | Caregiver => Deny,
        },
        Action::RecordChildCheckin => match role {
            Child => OwnVoiceOnly,
            Admin | Staff | Parent | Caregiver => Deny,
        },
        Action::ReadChildVoice => match role {
            Admin | Staff => Allow,
            Child => OwnVoiceOnly,
            Parent | Caregiver => Deny,
        },
        // The family's guardians and the staff who read its data see what was agreed.
        Action::ReadConsent => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => Deny,
        },
        // Guardians their own consent, the child their own agreement, staff and admins a
        // signed paper form.
        Action::RecordConsent => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => OwnVoiceOnly,
        },
        Action::ReadAccessLog => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => Deny,
        },
        Action::RequestDeletion => match role {
            Parent | Caregiver => Allow,
            Admin | Staff | Child => Deny,
        },
        Action::DeleteFamily => match role {
            Admin => Allow,
            Staff | Parent | Caregiver | Child => Deny,
        },
        Action::ReadContacts => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => OwnContactsOnly,
        },
        Action::RecordCheckin => match role {
            Admin | Caregiver => Allow,
            Staff | Parent | Child => Deny,
        },
        // A child's account logs its own contacts but is not shown how often parents call,
        // nor what the caregivers wrote about them.
        Action::ReadCheckins | Action::ReadReport => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => Deny,
        },
        // Reminders nudge the parent who keeps in touch from away. A caregiver lives with the
        // child (the law's contact duty is the parents'), staff and admins have the caseload,
        // and a child is not told how often a parent should call.
        Action::ReadReminders => match role {
            Parent => OwnFamilyOnly,
            Admin | Staff | Caregiver | Child => Deny,
        },
        Action::RecordFollowUp | Action::ReadFollowUps => match role {
            Admin | Staff => Allow,
            Parent | Caregiver | Child => Deny,
        },
        Action::ExportBundle => match role {
            Admin | Staff | Parent | Caregiver => Allow,
            Child => Deny,
        },
    }
}

/// The table of visibility: what `role` sees of a family's records.
pub fn visibility(role: AccountRole, part: Visible) -> Rule {
    use AccountRole::{Admin, Caregiver, Child, Parent, Staff};
    use Rule::{Allow, Deny, IfFeedbackShared, IfNotesShared};
    match part {
        Visible::NoteText => match role {
            Admin | Parent | Caregiver | Child => Allow,
            Staff => IfNotesShared,
        },
        // Parents and caregivers never see the child's feedback record by record, only
        // counts, and those only with the guardian's consent (SPEC section 2).
        Visible::ChildFeedback => match role {
            Admin | Staff | Child => Allow,
            Parent | Caregiver => Deny,
        },
        Visible::ChildWords => match role {
            Admin | Child => Allow,
            Staff => IfNotesShared,
            Parent | Caregiver => Deny,
        },
        Visible::ChildVoiceCounts => match role {
            Admin | Staff | Child => Allow,
            Parent | Caregiver => IfFeedbackShared,
        },
        Visible::PhoneNumbers => match role {
            Admin | Parent | Caregiver => Allow,
            Staff | Child => Deny,
        },
        Visible::FollowUps => match role {
            Admin | Staff => Allow,
            Parent | Caregiver | Child => Deny,
        },
    }
}

/// Refuses an action outside any family that `user`'s role may never do. Rules that narrow
/// to the user's own programs or family pass here; the query applies them.
pub fn require(user: &AuthUser, action: Action) -> Result<(), ApiError> {
    match rule(user.role, action) {
        Rule::Deny => Err(ApiError::forbidden(action.refusal())),
        Rule::Allow
        | Rule::IfNotesShared
        | Rule::IfFeedbackShared
        | Rule::OwnContactsOnly
        | Rule::OwnRecordsOnly
        | Rule::OwnVoiceOnly
        | Rule::OwnProgramsOnly
        | Rule::OwnFamilyOnly => Ok(()),
    }
}

/// The programs whose records `user` may see: `None` for every program (admins).
pub fn program_scope(
    conn: &mut DbConnection,
    user: &AuthUser,
    action: Action,
) -> Result<Option<Vec<ProgramId>>, ApiError> {
    match rule(user.role, action) {
        Rule::Allow => Ok(None),
        Rule::OwnProgramsOnly => Ok(Some(store::programs::of_staff(conn, user.id)?)),
        Rule::Deny
        | Rule::IfNotesShared
        | Rule::IfFeedbackShared
        | Rule::OwnContactsOnly
        | Rule::OwnRecordsOnly
        | Rule::OwnVoiceOnly
        | Rule::OwnFamilyOnly => Err(ApiError::forbidden(action.refusal())),
    }
}

/// A signed-in user's standing in one family.
#[derive(Clone, Debug)]
pub struct FamilyScope {
    pub family: Family,
    pub user: AuthUser,
    /// Why the reader reads, where they said (`?purpose=`): staff read note text only with
    /// one (SPEC section 7); it goes into the access record.
    pub purpose: Option<String>,
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

    /// Refuses what the table does not allow in this family. `OwnContactsOnly` passes: the
    /// caller narrows to the reader's own contacts ([`FamilyScope::only_own_contacts`]).
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.resolve(rule(self.role(), action)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(action.refusal()))
        }
    }

    /// The scope with the purpose the reader stated.
    pub fn with_purpose(mut self, purpose: Option<String>) -> Self {
        self.purpose = purpose;
        self
    }

    /// Whether this reader sees `part` of the family's records.
    pub fn sees(&self, part: Visible) -> bool {
        self.resolve(visibility(self.role(), part))
    }

    /// Note and text content: the family itself and admins; staff only with consent.
    pub fn sees_content(&self) -> bool {
        self.sees(Visible::NoteText)
    }

    pub fn sees_child_feedback(&self) -> bool {
        self.sees(Visible::ChildFeedback)
    }

    pub fn sees_phone_numbers(&self) -> bool {
        self.sees(Visible::PhoneNumbers)
    }

    /// The person whose own contacts are all this reader may read or write (a child).
    pub fn only_own_contacts(&self) -> Option<PersonId> {
        self.narrowed_to_own(Action::ReadContacts)
    }

    /// The person whose own records are all this reader may `action` (a child's own contacts,
    /// feedback or check-ins), or `None` when the action is not narrowed to one person.
    pub fn narrowed_to_own(&self, action: Action) -> Option<PersonId> {
        match rule(self.role(), action) {
            Rule::OwnContactsOnly | Rule::OwnVoiceOnly => self.user.person_id,
            Rule::Allow
            | Rule::Deny
            | Rule::IfNotesShared
            | Rule::IfFeedbackShared
            | Rule::OwnRecordsOnly
            | Rule::OwnProgramsOnly
            | Rule::OwnFamilyOnly => None,
        }
    }

    /// Whether this user may amend a contact that `recorded_by` recorded.
    pub fn may_amend(&self, recorded_by: UserId) -> bool {
        match rule(self.role(), Action::AmendContact) {
            Rule::Allow => true,
            Rule::OwnRecordsOnly => recorded_by == self.user.id,
            Rule::Deny
            | Rule::IfNotesShared
            | Rule::IfFeedbackShared
            | Rule::OwnContactsOnly
            | Rule::OwnVoiceOnly
            | Rule::OwnProgramsOnly
            | Rule::OwnFamilyOnly => false,
        }
    }

    /// A rule in this family. The family was reached, so the family and program
    /// conditions hold already.
    fn resolve(&self, rule: Rule) -> bool {
        let consent = self.family.consent;
        match rule {
            Rule::Allow
            | Rule::OwnContactsOnly
            | Rule::OwnRecordsOnly
            | Rule::OwnVoiceOnly
            | Rule::OwnProgramsOnly
            | Rule::OwnFamilyOnly => true,
            Rule::Deny => false,
            // Staff read notes only with the family's consent and a stated purpose.
            Rule::IfNotesShared => consent.share_notes_with_staff && self.purpose.is_some(),
            Rule::IfFeedbackShared => consent.child_feedback_visible_to_parents,
        }
    }
}

/// Loads the family and checks that `user` may reach it at all ([`reach`]).
pub fn family_scope(
    conn: &mut DbConnection,
    user: &AuthUser,
    family_id: FamilyId,
) -> Result<FamilyScope, ApiError> {
    let rule = reach(user.role);
    if rule == Rule::OwnFamilyOnly && user.family_id != Some(family_id) {
        return Err(ApiError::forbidden("reach another family's records"));
    }
    let family = store::families::get(conn, family_id)?.ok_or(ApiError::NotFound("family"))?;
    let reached = match rule {
        Rule::Allow | Rule::OwnFamilyOnly => true,
        Rule::OwnProgramsOnly => {
            let programs = store::programs::of_staff(conn, user.id)?;
            family.program_id.is_some_and(|p| programs.contains(&p))
        }
        Rule::Deny
        | Rule::IfNotesShared
        | Rule::IfFeedbackShared
        | Rule::OwnContactsOnly
        | Rule::OwnRecordsOnly
        | Rule::OwnVoiceOnly => false,
    };
    if !reached {
        return Err(ApiError::forbidden("reach a family outside your programs"));
    }
    // A child's account works only while a guardian's consent to it is in force (SPEC 3).
    if user.role == AccountRole::Child && !family.consent.child_account {
        return Err(ApiError::forbidden(
            "use this child's account: a guardian's consent to it is not in force",
        ));
    }
    Ok(FamilyScope {
        family,
        user: *user,
        purpose: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountRole::{Admin, Caregiver, Child, Parent, Staff};
    use Rule::{
        Allow, Deny, IfFeedbackShared, IfNotesShared, OwnContactsOnly, OwnFamilyOnly,
        OwnProgramsOnly, OwnRecordsOnly, OwnVoiceOnly,
    };

    const ROLES: [AccountRole; 5] = [Admin, Staff, Parent, Caregiver, Child];

    /// The whole matrix, written out: (action, [admin, staff, parent, caregiver, child]).
    const ACTIONS: &[(Action, [Rule; 5])] = &[
        (Action::CreateProgram, [Allow, Deny, Deny, Deny, Deny]),
        (
            Action::ListPrograms,
            [Allow, OwnProgramsOnly, Deny, Deny, Deny],
        ),
        (
            Action::ReadProgram,
            [Allow, OwnProgramsOnly, Deny, Deny, Deny],
        ),
        (Action::ChangeProgram, [Allow, Deny, Deny, Deny, Deny]),
        (Action::CreateFamily, [Allow, Deny, Deny, Deny, Deny]),
        (
            Action::ListFamilies,
            [
                Allow,
                OwnProgramsOnly,
                OwnFamilyOnly,
                OwnFamilyOnly,
                OwnFamilyOnly,
            ],
        ),
        (Action::ManageAccounts, [Allow, Deny, Deny, Deny, Deny]),
        (Action::ResetPassword, [Allow, Deny, Deny, Deny, Deny]),
        (
            Action::ChangeOwnPassword,
            [Allow, Allow, Allow, Allow, Allow],
        ),
        (Action::ReadAuditLog, [Allow, Deny, Deny, Deny, Deny]),
        (Action::ImportBundle, [Allow, Deny, Deny, Deny, Deny]),
        (
            Action::ReadCaseload,
            [Allow, OwnProgramsOnly, Deny, Deny, Deny],
        ),
        (Action::ReadFamily, [Allow, Allow, Allow, Allow, Allow]),
        (
            Action::ChangeFamilySettings,
            [Allow, Deny, Deny, Deny, Deny],
        ),
        (Action::ChangeConsent, [Allow, Deny, Allow, Allow, Deny]),
        (Action::EnrolFamily, [Allow, Deny, Deny, Deny, Deny]),
        (Action::AddPerson, [Allow, Deny, Deny, Deny, Deny]),
        (Action::UpdatePerson, [Allow, Deny, Deny, Deny, Deny]),
        (Action::ListPersons, [Allow, Allow, Allow, Allow, Allow]),
        (
            Action::LogContact,
            [Allow, Deny, Allow, Allow, OwnContactsOnly],
        ),
        (
            Action::ReadContacts,
            [Allow, Allow, Allow, Allow, OwnContactsOnly],
        ),
        (
            Action::AmendContact,
            [Allow, Deny, OwnRecordsOnly, OwnRecordsOnly, OwnRecordsOnly],
        ),
        (Action::RecordCheckin, [Allow, Deny, Deny, Allow, Deny]),
        (Action::ReadCheckins, [Allow, Allow, Allow, Allow, Deny]),
        (Action::ReadReport, [Allow, Allow, Allow, Allow, Deny]),
        (
            Action::ReadReminders,
            [Deny, Deny, OwnFamilyOnly, Deny, Deny],
        ),
        (Action::RecordFollowUp, [Allow, Allow, Deny, Deny, Deny]),
        (Action::ReadFollowUps, [Allow, Allow, Deny, Deny, Deny]),
        (Action::ExportBundle, [Allow, Allow, Allow, Allow, Deny]),
        (
            Action::GiveFeedback,
            [Deny, Deny, Deny, Deny, OwnContactsOnly],
        ),
        (
            Action::RecordChildCheckin,
            [Deny, Deny, Deny, Deny, OwnVoiceOnly],
        ),
        (
            Action::ReadChildVoice,
            [Allow, Allow, Deny, Deny, OwnVoiceOnly],
        ),
        (Action::ReadConsent, [Allow, Allow, Allow, Allow, Deny]),
        (
            Action::RecordConsent,
            [Allow, Allow, Allow, Allow, OwnVoiceOnly],
        ),
        (Action::ReadAccessLog, [Allow, Allow, Allow, Allow, Deny]),
        (Action::RequestDeletion, [Deny, Deny, Allow, Allow, Deny]),
        (Action::DeleteFamily, [Allow, Deny, Deny, Deny, Deny]),
    ];

    const PARTS: &[(Visible, [Rule; 5])] = &[
        (
            Visible::NoteText,
            [Allow, IfNotesShared, Allow, Allow, Allow],
        ),
        (Visible::ChildFeedback, [Allow, Allow, Deny, Deny, Allow]),
        (
            Visible::ChildWords,
            [Allow, IfNotesShared, Deny, Deny, Allow],
        ),
        (
            Visible::ChildVoiceCounts,
            [Allow, Allow, IfFeedbackShared, IfFeedbackShared, Allow],
        ),
        (Visible::PhoneNumbers, [Allow, Deny, Allow, Allow, Deny]),
        (Visible::FollowUps, [Allow, Allow, Deny, Deny, Deny]),
    ];

    #[test]
    fn every_role_and_action_has_the_answer_of_the_table() {
        assert_eq!(
            ACTIONS.len(),
            Action::ALL.len(),
            "every action is in the table"
        );
        for &(action, expected) in ACTIONS {
            for (role, want) in ROLES.into_iter().zip(expected) {
                assert_eq!(rule(role, action), want, "{role} {action:?}");
            }
        }
    }

    #[test]
    fn every_role_and_part_of_the_records_has_the_answer_of_the_table() {
        assert_eq!(
            PARTS.len(),
            Visible::ALL.len(),
            "every part is in the table"
        );
        for &(part, expected) in PARTS {
            for (role, want) in ROLES.into_iter().zip(expected) {
                assert_eq!(visibility(role, part), want, "{role} {part:?}");
            }
        }
    }

    #[test]
    fn reach_is_own_family_for_family_accounts() {
        assert_eq!(reach(Admin), Allow);
        assert_eq!(reach(Staff), OwnProgramsOnly);
        for role in [Parent, Caregiver, Child] {
            assert_eq!(reach(role), OwnFamilyOnly);
        }
    }

    fn scope(role: AccountRole, notes: bool, feedback: bool) -> FamilyScope {
        use chrono::Utc;
        use kinthread_shared::api::Consent;
        use kinthread_shared::{TargetCadence, TimeZoneName, UserId};
        FamilyScope {
            family: Family {
                id: FamilyId::new(),
                display_name: "王家".into(),
                program_id: None,
                time_zone: TimeZoneName::default(),
                target_cadence_days: TargetCadence::default(),
                consent: Consent {
                    guardian_consent: true,
                    share_notes_with_staff: notes,
                    child_feedback_visible_to_parents: feedback,
                    child_account: true,
                    anonymous_statistics: false,
                },
                created_at: Utc::now(),
            },
            purpose: Some("follow-up call".into()),
            user: AuthUser {
                id: UserId::new(),
                role,
                family_id: None,
                person_id: Some(PersonId::new()),
            },
        }
    }

    #[test]
    fn consent_rules_follow_the_family() {
        assert!(!scope(Staff, false, false).sees(Visible::NoteText));
        assert!(scope(Staff, true, false).sees(Visible::NoteText));
        assert!(!scope(Parent, true, true).sees(Visible::ChildFeedback));
        assert!(!scope(Parent, true, true).sees(Visible::ChildWords));
        assert!(!scope(Parent, true, false).sees(Visible::ChildVoiceCounts));
        assert!(scope(Parent, false, true).sees(Visible::ChildVoiceCounts));
        assert!(!scope(Staff, false, true).sees(Visible::ChildWords));
        assert!(scope(Staff, true, false).sees(Visible::ChildWords));
        assert!(scope(Child, false, false).only_own_contacts().is_some());
        assert!(scope(Parent, false, false).only_own_contacts().is_none());
        assert!(
            scope(Child, true, true)
                .require(Action::ReadReport)
                .is_err()
        );
        assert!(
            scope(Staff, true, true)
                .require(Action::LogContact)
                .is_err()
        );
    }
}
