ALTER TABLE programs DROP COLUMN attention_thresholds;
DROP TABLE child_checkins;
DROP TABLE contact_feedback;
