DROP INDEX contacts_ended;
DROP INDEX contacts_report;
ALTER TABLE contacts DROP COLUMN participant_ids;
