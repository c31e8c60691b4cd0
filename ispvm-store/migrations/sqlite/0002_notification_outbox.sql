-- The notification outbox of ispvm-notify: one row per notification still to deliver to one
-- sink (a webhook URL). A row is written before the first delivery attempt and deleted once
-- the receiver accepted it, so an agent restarted in between delivers it again
-- (at-least-once; the receiver deduplicates on idempotency_key).
CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    UNIQUE (sink, idempotency_key)
);
CREATE INDEX notification_outbox_due ON notification_outbox (sink, next_attempt_at);
