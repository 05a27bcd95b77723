DROP INDEX prompt_history_shown;
DROP TABLE prompt_history;
