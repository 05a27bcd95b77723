-- The child's own voice (SPEC section 2), as records of their own rather than a field of
-- the contact: a parent's correction of a contact no longer erases the child's feedback, and
-- the child no longer has to resend the parent's record to give it.

-- One-tap feedback on a contact the child took part in, given at the time or later. A change
-- is a new version: the earlier one stays, pointing at the one that replaced it, so the
-- history is kept and exactly one version per contact and child is current.
CREATE TABLE contact_feedback (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- The current version of the contact: an amendment of the contact moves its feedback on.
    contact_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    rating TEXT NOT NULL,
    words TEXT,
    given_at BIGINT NOT NULL,
    utc_offset_seconds INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    replaced_by TEXT,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, contact_id) REFERENCES contacts (family_id, id),
    FOREIGN KEY (family_id, child_id) REFERENCES persons (family_id, id)
);
CREATE UNIQUE INDEX contact_feedback_client_id ON contact_feedback (family_id, client_id);
CREATE UNIQUE INDEX contact_feedback_current ON contact_feedback (family_id, contact_id, child_id)
    WHERE replaced_by IS NULL;
CREATE INDEX contact_feedback_family_time ON contact_feedback (family_id, given_at, id);

-- Feedback given the old way, as a field of the contact by the child's account, becomes the
-- first version of a record (the contact's id serves as the record's and the client's id).
-- The old field keeps its values in the contact's history and is written no more.
INSERT INTO contact_feedback (
    family_id, id, client_id, request_hash, contact_id, child_id, rating, words, given_at,
    utc_offset_seconds, recorded_by, recorded_at, replaced_by
)
SELECT c.family_id, c.id, c.id, 'v0:moved', c.id, u.person_id, c.child_feedback, NULL,
       c.recorded_at, c.utc_offset_seconds, c.recorded_by, c.recorded_at, NULL
FROM contacts c
JOIN users u ON u.id = c.recorded_by
WHERE c.child_feedback IS NOT NULL AND c.superseded_by IS NULL AND u.person_id IS NOT NULL;

-- The child's weekly "how are you": a mood and optional words of their own.
CREATE TABLE child_checkins (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    child_id TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    utc_offset_seconds INTEGER NOT NULL,
    mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    words TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, child_id) REFERENCES persons (family_id, id)
);
CREATE UNIQUE INDEX child_checkins_client_id ON child_checkins (family_id, client_id);
CREATE INDEX child_checkins_family_time ON child_checkins (family_id, observed_at, id);

-- A program's attention-signal thresholds (SPEC 4a), as JSON; NULL keeps the defaults.
ALTER TABLE programs ADD COLUMN attention_thresholds TEXT;
