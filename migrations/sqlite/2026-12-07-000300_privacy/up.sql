-- Privacy of minors (SPEC sections 3 and 7).

-- Consent as a history: who agreed to what, when, through whom, and when it was withdrawn.
-- Nothing is overwritten; what was in force at any past moment can be shown. Kinds:
-- data_kept, share_notes_with_staff, child_account, feedback_counts_to_parents,
-- child_agrees_feedback_counts (the child's own agreement), anonymous_statistics.
CREATE TABLE consent_records (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- The guardian (or, for the child's own agreement, the child) who agreed; NULL for what
    -- the family's flags said before the history was kept.
    person_id TEXT,
    given_at BIGINT NOT NULL,
    given_by TEXT,
    -- own_account, paper_form or before_history
    given_via TEXT NOT NULL,
    reference TEXT,
    withdrawn_at BIGINT,
    withdrawn_by TEXT,
    withdrawn_via TEXT,
    withdrawn_reference TEXT,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, person_id) REFERENCES persons (family_id, id)
);
CREATE INDEX consent_records_in_force ON consent_records (family_id, kind, withdrawn_at);

-- What the family's three flags said becomes the first record of each kind (an id made from
-- the family's, one per kind). The flags stay, no longer read or written, so that this
-- migration can be undone without rebuilding the families table.
INSERT INTO consent_records (family_id, id, kind, person_id, given_at, given_by, given_via,
    reference, withdrawn_at, withdrawn_by, withdrawn_via, withdrawn_reference)
SELECT id, '00000001' || substr(id, 9), 'data_kept', NULL, updated_at, NULL, 'before_history',
    NULL, NULL, NULL, NULL, NULL
FROM families WHERE guardian_consent;
INSERT INTO consent_records (family_id, id, kind, person_id, given_at, given_by, given_via,
    reference, withdrawn_at, withdrawn_by, withdrawn_via, withdrawn_reference)
SELECT id, '00000002' || substr(id, 9), 'share_notes_with_staff', NULL, updated_at, NULL,
    'before_history', NULL, NULL, NULL, NULL, NULL
FROM families WHERE share_notes_with_staff;
INSERT INTO consent_records (family_id, id, kind, person_id, given_at, given_by, given_via,
    reference, withdrawn_at, withdrawn_by, withdrawn_via, withdrawn_reference)
SELECT id, '00000003' || substr(id, 9), 'feedback_counts_to_parents', NULL, updated_at, NULL,
    'before_history', NULL, NULL, NULL, NULL, NULL
FROM families WHERE child_feedback_visible_to_parents;
-- Children who have accounts keep them.
INSERT INTO consent_records (family_id, id, kind, person_id, given_at, given_by, given_via,
    reference, withdrawn_at, withdrawn_by, withdrawn_via, withdrawn_reference)
SELECT id, '00000004' || substr(id, 9), 'child_account', NULL, updated_at, NULL,
    'before_history', NULL, NULL, NULL, NULL, NULL
FROM families WHERE id IN (SELECT family_id FROM users WHERE role = 'child');

-- Why a staff member or an admin read a family's data, where they said.
ALTER TABLE audit_log ADD COLUMN purpose TEXT;

-- A program's retention period: contacts and check-ins older than this are erased by
-- `kinthread-server retention`. NULL keeps everything.
ALTER TABLE programs ADD COLUMN retention_months INTEGER;
