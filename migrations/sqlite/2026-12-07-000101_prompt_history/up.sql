-- The conversation prompts shown to a parent's account by GET /me/reminders: one row per
-- child's routine streak, the streak known by the start of its latest routine contact (epoch
-- ms). The same prompt is shown again while that streak lasts; a new pick is never one of the
-- last few this account was shown.
CREATE TABLE prompt_history (
    family_id TEXT NOT NULL REFERENCES families (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    child_id TEXT NOT NULL,
    last_routine_contact_at BIGINT NOT NULL,
    prompt_id TEXT NOT NULL,
    shown_at BIGINT NOT NULL,
    PRIMARY KEY (family_id, user_id, child_id, last_routine_contact_at),
    FOREIGN KEY (family_id, child_id) REFERENCES persons (family_id, id)
);
CREATE INDEX prompt_history_shown ON prompt_history (family_id, user_id, shown_at);
