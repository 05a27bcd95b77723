-- Reports over many families at once (the staff caseload) read every contact of a time range
-- in each family. They must not join contact_participants row by row, nor visit the table:
--
-- participant_ids: the contact's participants, comma-separated, a copy of its rows in
--   contact_participants (which stays the source for filtering by person). Contacts are
--   append-only, so the copy never goes stale.
-- contacts_report: every column a report reads, in one index of the current versions, so a
--   report reads each family's range of it and nothing else.
-- contacts_ended: finds the visits that began before a window and reach into it.
ALTER TABLE contacts ADD COLUMN participant_ids TEXT;

UPDATE contacts SET participant_ids = (
    SELECT group_concat(p.person_id, ',')
    FROM contact_participants p
    WHERE p.family_id = contacts.family_id AND p.contact_id = contacts.id
);

-- superseded_by is in it too although always NULL there: SQLite counts an index as covering
-- only when it holds every column the query names, the partial index's own condition included.
CREATE INDEX contacts_report ON contacts (
    family_id, started_at, kind, status, initiator_id, duration_seconds, ended_at,
    depth_score, depth_level, participant_ids, superseded_by
) WHERE superseded_by IS NULL;

CREATE INDEX contacts_ended ON contacts (ended_at);
