-- kinthread's records (SPEC section 3). Ids are UUID text, instants are UTC epoch
-- milliseconds: portable between SQLite and PostgreSQL. Every table that grows with use
-- carries family_id and has it first in its primary key, so that the data can be distributed
-- by family (Citus) without a redesign.

CREATE TABLE server_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    target_cadence_days INTEGER NOT NULL CHECK (target_cadence_days BETWEEN 1 AND 365),
    created_at BIGINT NOT NULL
);

CREATE TABLE families (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    program_id TEXT REFERENCES programs (id),
    time_zone TEXT NOT NULL,
    target_cadence_days INTEGER CHECK (target_cadence_days BETWEEN 1 AND 365),
    guardian_consent BOOLEAN NOT NULL,
    share_notes_with_staff BOOLEAN NOT NULL,
    child_feedback_visible_to_parents BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX families_program ON families (program_id, id);

CREATE TABLE persons (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    lives_away BOOLEAN NOT NULL,
    away_location TEXT,
    away_since TEXT,
    birth_year INTEGER,
    phone_e164 TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, id)
);
CREATE UNIQUE INDEX persons_id ON persons (id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT,
    family_id TEXT REFERENCES families (id),
    person_id TEXT,
    disabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff_programs (
    user_id TEXT NOT NULL REFERENCES users (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    PRIMARY KEY (user_id, program_id)
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE contacts (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    initiator_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    utc_offset_seconds INTEGER NOT NULL,
    duration_seconds BIGINT,
    ended_at BIGINT,
    ended_offset_seconds INTEGER,
    content TEXT,
    talked_most TEXT,
    child_feedback TEXT,
    depth_score DOUBLE PRECISION,
    depth_level TEXT,
    depth_lexicon TEXT,
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    supersedes TEXT,
    superseded_by TEXT,
    PRIMARY KEY (family_id, id)
);
CREATE UNIQUE INDEX contacts_client_id ON contacts (family_id, client_id);
CREATE INDEX contacts_family_time ON contacts (family_id, started_at, id);

CREATE TABLE contact_participants (
    family_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (family_id, contact_id, person_id),
    FOREIGN KEY (family_id, contact_id) REFERENCES contacts (family_id, id),
    FOREIGN KEY (family_id, person_id) REFERENCES persons (family_id, id)
);
CREATE INDEX contact_participants_person ON contact_participants (family_id, person_id);

CREATE TABLE checkins (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    child_id TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    utc_offset_seconds INTEGER NOT NULL,
    mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    health TEXT,
    school TEXT,
    worries TEXT,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, child_id) REFERENCES persons (family_id, id)
);
CREATE UNIQUE INDEX checkins_client_id ON checkins (family_id, client_id);
CREATE INDEX checkins_family_time ON checkins (family_id, observed_at, id);

CREATE TABLE follow_ups (
    family_id TEXT NOT NULL REFERENCES families (id),
    id TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users (id),
    outcome TEXT NOT NULL,
    reason TEXT,
    recheck_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, id)
);
CREATE INDEX follow_ups_family_time ON follow_ups (family_id, created_at);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_role TEXT,
    action TEXT NOT NULL,
    family_id TEXT,
    target TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_family ON audit_log (family_id, at);
