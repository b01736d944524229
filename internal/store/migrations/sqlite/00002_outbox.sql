-- The alert outbox: SNS messages accepted by the webhook, waiting for (or past) delivery.
-- Times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE outbox (
    id           TEXT    NOT NULL PRIMARY KEY, -- the SNS MessageId: the dedup key
    topic_arn    TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL CHECK (kind IN ('notification', 'subscription_confirmation', 'unsubscribe_confirmation')),
    body         BLOB    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    delivered    INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
    delivered_at INTEGER NOT NULL DEFAULT 0,
    claim_owner  TEXT    NOT NULL DEFAULT '', -- '' when unclaimed
    claim_until  INTEGER NOT NULL DEFAULT 0   -- the claim is live while claim_until > now
) STRICT;

-- Claim (due, undelivered items in order) and Pending (undelivered count).
CREATE INDEX outbox_delivered_next ON outbox (delivered, next_at, created_at);

-- +goose Down
DROP TABLE outbox;
