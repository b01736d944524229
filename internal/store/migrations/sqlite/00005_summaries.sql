-- Audit history (every account's result of each summary run) and the claims that post a
-- scheduled summary once per tick. Times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE audit_history (
    seq         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL,
    account_id  TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('PASS', 'FAIL', 'ERROR')),
    failed_step TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    verdict     TEXT    NOT NULL DEFAULT '' CHECK (verdict IN ('', 'PASS', 'FAIL')), -- the last PASS or FAIL as of this audit
    since       INTEGER NOT NULL DEFAULT 0,  -- when that verdict began
    source      TEXT    NOT NULL DEFAULT ''  -- what ran the audit: a schedule id, or "cli"
) STRICT;

-- The latest result per account, and one account's history.
CREATE INDEX audit_history_account_at ON audit_history (account, at, seq);

CREATE TABLE summary_ticks (
    schedule   TEXT    NOT NULL,
    tick       INTEGER NOT NULL,
    owner      TEXT    NOT NULL,            -- the replica that claimed the tick
    claimed_at INTEGER NOT NULL,
    posted_at  INTEGER NOT NULL DEFAULT 0,  -- 0 until the summary is posted
    pass       INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (schedule, tick)
) STRICT;

-- +goose Down
DROP TABLE summary_ticks;
DROP TABLE audit_history;
