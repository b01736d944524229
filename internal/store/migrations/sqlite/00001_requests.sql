-- Remediation requests and their events. Times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE requests (
    id           TEXT    NOT NULL PRIMARY KEY,
    account      TEXT    NOT NULL,
    channel      TEXT    NOT NULL DEFAULT '',
    requested_by TEXT    NOT NULL DEFAULT '',
    plan         BLOB    NOT NULL,
    plan_hash    TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'applying', 'applied', 'failed', 'rejected', 'expired', 'superseded')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    message_ref  TEXT    NOT NULL DEFAULT ''
) STRICT;

-- History for one account, and for all accounts.
CREATE INDEX requests_account_created ON requests (account, created_at);
CREATE INDEX requests_created ON requests (created_at);
-- The expiry sweep.
CREATE INDEX requests_state_expires ON requests (state, expires_at);

CREATE TABLE request_events (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    request_id TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX request_events_request_at ON request_events (request_id, at, seq);

-- +goose Down
DROP TABLE request_events;
DROP TABLE requests;
