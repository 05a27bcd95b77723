ALTER TABLE programs DROP COLUMN retention_months;
ALTER TABLE audit_log DROP COLUMN purpose;
DROP TABLE consent_records;
