-- Reports over many families at once (the staff caseload) read every contact of a time range
-- in each family. They must not join contact_participants row by row, nor visit the table:
--
-- participant_ids: the contact's participants, comma-separated, a copy of its rows in
--   contact_participants (which stays the source for filtering by person). Contacts are
--   append-only, so the copy never goes stale.
-- contacts_report: every column a report reads, in one index of the current versions, so a
--   report can read each family's range of it with an index-only scan.
-- contacts_ended: finds the visits that began before a window and reach into it.
ALTER TABLE contacts ADD COLUMN participant_ids TEXT;

UPDATE contacts c SET participant_ids = s.ids
FROM (
    SELECT family_id, contact_id, string_agg(person_id, ',' ORDER BY person_id) AS ids
    FROM contact_participants
    GROUP BY family_id, contact_id
) s
WHERE s.family_id = c.family_id AND s.contact_id = c.id;

CREATE INDEX contacts_report ON contacts (family_id, started_at)
    INCLUDE (kind, status, initiator_id, duration_seconds, ended_at, depth_score, depth_level,
             participant_ids)
    WHERE superseded_by IS NULL;

CREATE INDEX contacts_ended ON contacts (ended_at);
