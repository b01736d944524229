-- A request found applying when the bot starts (the process was killed while applying) ends
-- interrupted; and one account lock per account, so that two approved fixes of one account
-- apply one after the other, whichever process runs them. Times are unix milliseconds, UTC.
--
-- SQLite cannot change a CHECK constraint in place, so requests is rebuilt: a new table is
-- filled from the old one. request_events refers to requests and dropping the parent would
-- cascade into it, so it is rebuilt alongside (its seq values and so its order are kept), and
-- the indexes are made again.

-- +goose Up
CREATE TABLE requests_new (
    id           TEXT    NOT NULL PRIMARY KEY,
    account      TEXT    NOT NULL,
    channel      TEXT    NOT NULL DEFAULT '',
    requested_by TEXT    NOT NULL DEFAULT '',
    plan         BLOB    NOT NULL,
    plan_hash    TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'applying', 'applied', 'failed', 'rejected', 'expired', 'superseded', 'interrupted')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    message_ref  TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO requests_new (id, account, channel, requested_by, plan, plan_hash, state, created_at, expires_at, updated_at, decided_by, message_ref)
    SELECT id, account, channel, requested_by, plan, plan_hash, state, created_at, expires_at, updated_at, decided_by, message_ref FROM requests;

CREATE TABLE request_events_new (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    request_id TEXT    NOT NULL REFERENCES requests_new (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO request_events_new (seq, request_id, at, actor, kind, detail)
    SELECT seq, request_id, at, actor, kind, detail FROM request_events ORDER BY seq;

-- The child first, so that dropping the parent cascades into nothing.
DROP TABLE request_events;
DROP TABLE requests;
-- Renaming also renames the reference of request_events_new.
ALTER TABLE requests_new RENAME TO requests;
ALTER TABLE request_events_new RENAME TO request_events;

CREATE INDEX requests_account_created ON requests (account, created_at);
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX requests_state_expires ON requests (state, expires_at);
CREATE INDEX request_events_request_at ON request_events (request_id, at, seq);

CREATE TABLE account_locks (
    account    TEXT    NOT NULL PRIMARY KEY,
    request_id TEXT    NOT NULL, -- the request applying (or about to apply) a fix of the account
    owner      TEXT    NOT NULL, -- the process holding it
    until      INTEGER NOT NULL  -- the lock lapses then, should its holder never release it
) STRICT;

-- +goose Down
DROP TABLE account_locks;

UPDATE requests SET state = 'failed' WHERE state = 'interrupted';

CREATE TABLE requests_old (
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
INSERT INTO requests_old (id, account, channel, requested_by, plan, plan_hash, state, created_at, expires_at, updated_at, decided_by, message_ref)
    SELECT id, account, channel, requested_by, plan, plan_hash, state, created_at, expires_at, updated_at, decided_by, message_ref FROM requests;

CREATE TABLE request_events_old (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    request_id TEXT    NOT NULL REFERENCES requests_old (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO request_events_old (seq, request_id, at, actor, kind, detail)
    SELECT seq, request_id, at, actor, kind, detail FROM request_events ORDER BY seq;

DROP TABLE request_events;
DROP TABLE requests;
ALTER TABLE requests_old RENAME TO requests;
ALTER TABLE request_events_old RENAME TO request_events;

CREATE INDEX requests_account_created ON requests (account, created_at);
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX requests_state_expires ON requests (state, expires_at);
CREATE INDEX request_events_request_at ON request_events (request_id, at, seq);
