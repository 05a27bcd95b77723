-- A child's date of birth (`YYYY-MM-DD`), optional, for birthday reminders; when it is known
-- `birth_year` holds its year.
ALTER TABLE persons ADD COLUMN birth_date TEXT;
