ALTER TABLE users DROP COLUMN login_locked;
ALTER TABLE users DROP COLUMN tokens_valid_after;
