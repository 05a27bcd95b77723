-- An account's standing, checked on every request: access tokens issued before
-- `tokens_valid_after` (epoch ms) are refused, so disabling an account, or changing its
-- password, ends every session at once rather than when the last access token expires.
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;
-- An account locked after a long run of wrong passwords; only an admin unlocks it.
ALTER TABLE users ADD COLUMN login_locked BOOLEAN NOT NULL DEFAULT FALSE;
