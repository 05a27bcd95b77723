-- Each person's first number goes back to persons.phone_e164; the others are lost.
UPDATE persons SET phone_e164 = (
    SELECT p.phone_e164 FROM person_phones p
    WHERE p.family_id = persons.family_id AND p.person_id = persons.id
    ORDER BY p.position
    LIMIT 1
);
DROP TABLE person_phones;
