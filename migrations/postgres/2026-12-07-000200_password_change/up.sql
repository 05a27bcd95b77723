-- An account whose password an admin reset: it signs in with the one-time password, and its
-- access tokens allow nothing but changing the password (and reading itself, signing out)
-- until it has chosen a new one.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
