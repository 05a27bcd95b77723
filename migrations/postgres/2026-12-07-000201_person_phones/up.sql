-- Several phone numbers per person (a second SIM, a work phone), normalised to E.164, each
-- at most once per person; `position` keeps the order they were given in (the first is the
-- one the API shows as `phone`). A number two persons share, a home landline, may be on
-- both: a phone-backup import then gives its calls to neither. Keyed by family first, like
-- every table that grows with use.
CREATE TABLE person_phones (
    family_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    phone_e164 TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, person_id, phone_e164),
    FOREIGN KEY (family_id, person_id) REFERENCES persons (family_id, id)
);
CREATE INDEX person_phones_number ON person_phones (family_id, phone_e164);

-- The one number a person had moves here; persons.phone_e164 stays, empty, so that this
-- migration can be undone without rebuilding the persons table.
INSERT INTO person_phones (family_id, person_id, phone_e164, position, created_at)
SELECT family_id, id, phone_e164, 0, created_at FROM persons WHERE phone_e164 IS NOT NULL;
UPDATE persons SET phone_e164 = NULL WHERE phone_e164 IS NOT NULL;
