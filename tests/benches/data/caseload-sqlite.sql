-- {programs} programs, {families} families of four (mother and father away, child, grandmother) and
-- {contacts} contacts over the year before now (with the child's feedback and caregiver check-ins), spread by fixed arithmetic (no random()) so that
-- every run builds the same data. Run after the migrations.
BEGIN;
WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < {programs})
INSERT INTO programs (id, name, target_cadence_days, created_at) SELECT printf('00000000-0000-7000-8000-%012x', i), 'Program ' || i, 7, 0 FROM p;
WITH RECURSIVE f(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM f WHERE i < {families})
INSERT INTO families (id, display_name, program_id, time_zone, target_cadence_days, guardian_consent,
    share_notes_with_staff, child_feedback_visible_to_parents, created_at, updated_at) SELECT printf('00000001-0000-7000-8000-%012x', i), 'Family ' || i,
    printf('00000000-0000-7000-8000-%012x', (i % {programs}) + 1), 'Asia/Shanghai', NULL, 1, 0, 0, 0, 0 FROM f;
WITH RECURSIVE f(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM f WHERE i < {families}),
    r(k, role, away) AS (VALUES (1, 'mother', 1), (2, 'father', 1), (3, 'child', 0), (4, 'grandmother', 0))
INSERT INTO persons (family_id, id, display_name, role, lives_away, away_location, away_since,
    birth_year, phone_e164, created_at) SELECT printf('00000001-0000-7000-8000-%012x', i), printf('0000000%d-0000-7000-8001-%012x', k, i),
    role, role, away, NULL, NULL, NULL, NULL, 0 FROM f, r;
CREATE TEMP TABLE g AS
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {contacts})
SELECT n, (n % {families}) + 1 AS fam, (n * 37) % 100 AS pr, (n * 53 + 11) % 100 AS kr, (n * 71 + 3) % 100 AS sr,
    (n * 2654435761) % (365 * 86400) AS ago, (n * 97 + 5) % 100 AS dr FROM c;
CREATE TEMP TABLE g2 AS SELECT n, fam,
    CASE WHEN pr < 85 THEN (CASE WHEN pr < 60 THEN 1 ELSE 2 END) ELSE 1 END AS a,
    CASE WHEN pr < 85 THEN 3 ELSE 4 END AS b,
    CASE WHEN kr < 60 THEN 'call' WHEN kr < 70 THEN 'video_call' WHEN kr < 97 THEN 'text' ELSE 'visit' END AS kind,
    kr, sr, dr, (CAST(strftime('%s', 'now') AS INTEGER) - ago) * 1000 AS started FROM g;
INSERT INTO contacts (family_id, id, client_id, request_hash, kind, status, initiator_id, started_at,
    utc_offset_seconds, duration_seconds, ended_at, ended_offset_seconds, content, talked_most,
    child_feedback, depth_score, depth_level, depth_lexicon, source, recorded_by, recorded_at,
    supersedes, superseded_by, participant_ids)
SELECT printf('00000001-0000-7000-8000-%012x', fam), printf('00000000-0000-7000-8002-%012x', n),
    printf('00000000-0000-7000-8003-%012x', n), 'x', kind,
    CASE WHEN kind IN ('call', 'video_call') THEN
        (CASE WHEN sr < 85 THEN 'completed' WHEN sr < 95 THEN 'missed' ELSE 'declined' END)
    ELSE 'completed' END,
    printf('0000000%d-0000-7000-8001-%012x', CASE WHEN kr % 2 = 0 THEN a ELSE b END, fam),
    started, 28800,
    CASE WHEN kind IN ('call', 'video_call') THEN (CASE WHEN sr < 85 THEN 60 + (sr * 37) % 1800 ELSE 0 END) ELSE NULL END,
    CASE WHEN kind = 'visit' THEN started + 3 * 86400000 ELSE NULL END,
    CASE WHEN kind = 'visit' THEN 28800 ELSE NULL END,
    NULL, NULL, NULL,
    CASE WHEN dr < 30 THEN dr * 3.3 ELSE NULL END,
    CASE WHEN dr < 15 THEN 'routine' WHEN dr < 22 THEN 'mixed' WHEN dr < 30 THEN 'emotional' ELSE NULL END,
    CASE WHEN dr < 30 THEN 'kinthread-depth-1' ELSE NULL END,
    'app', 'bench', started, NULL, NULL,
    printf('0000000%d-0000-7000-8001-%012x', a, fam) || ',' || printf('0000000%d-0000-7000-8001-%012x', b, fam)
FROM g2;
INSERT INTO contact_participants (family_id, contact_id, person_id) SELECT printf('00000001-0000-7000-8000-%012x', fam),
    printf('00000000-0000-7000-8002-%012x', n), printf('0000000%d-0000-7000-8001-%012x', a, fam) FROM g2;
INSERT INTO contact_participants (family_id, contact_id, person_id) SELECT printf('00000001-0000-7000-8000-%012x', fam),
    printf('00000000-0000-7000-8002-%012x', n), printf('0000000%d-0000-7000-8001-%012x', b, fam) FROM g2;
-- The child's feedback on the calls with the child among the contacts numbered 0 mod 10, and
-- caregiver check-ins beside the contacts numbered 5 mod 10 (a mood, now and then a worry):
-- what the caseload's child_unhappy and caregiver_worried signals read. A contact's family is
-- n mod the number of families, so each is a tenth of the families, not of every family's contacts: feedback
-- (at 50,000 families and 1,000,000 contacts) in 3,000 families (60,000 ratings, 20 a family, all the same rating), check-ins in 5,000
-- (100,000, 20 a family; 1,000 families with a worry on each). Pair, kind and status likewise
-- depend on the family only: 38,000 of the 100,000 caseload pairs have a counted contact.
INSERT INTO contact_feedback (family_id, id, client_id, request_hash, contact_id, child_id, rating,
    words, given_at, utc_offset_seconds, recorded_by, recorded_at, replaced_by)
SELECT printf('00000001-0000-7000-8000-%012x', fam), printf('00000000-0000-7000-8004-%012x', n),
    printf('00000000-0000-7000-8005-%012x', n), 'x', printf('00000000-0000-7000-8002-%012x', n),
    printf('00000003-0000-7000-8001-%012x', fam),
    CASE WHEN dr % 3 = 0 THEN 'bad' WHEN dr % 3 = 1 THEN 'okay' ELSE 'good' END,
    NULL, started + 600000, 28800, 'bench', started + 600000, NULL
FROM g2 WHERE b = 3 AND kind IN ('call', 'video_call') AND n % 10 = 0;
INSERT INTO checkins (family_id, id, client_id, request_hash, child_id, observed_at,
    utc_offset_seconds, mood, health, school, worries, note, recorded_by, recorded_at)
SELECT printf('00000001-0000-7000-8000-%012x', fam), printf('00000000-0000-7000-8006-%012x', n),
    printf('00000000-0000-7000-8007-%012x', n), 'x', printf('00000003-0000-7000-8001-%012x', fam), started, 28800,
    1 + sr % 5, NULL, NULL, CASE WHEN sr % 7 = 0 THEN 'worried' ELSE NULL END, NULL, 'bench', started
FROM g2 WHERE n % 10 = 5;
DROP TABLE g;
DROP TABLE g2;
COMMIT;
ANALYZE;
