-- The whole schema of the SQLite store's migrations 00001-00007, for PostgreSQL. It is
-- numbered 7 so that both drivers stand at the same version and the next change of the schema
-- is 00008 for each.
--
-- Times are unix milliseconds, UTC, as on SQLite, so both drivers read back what they wrote to
-- the millisecond. seq columns keep insertion order where SQLite uses its rowid. Keys and
-- names compare byte by byte (COLLATE "C"), as SQLite's do, whatever the database's locale.

-- +goose Up
CREATE TABLE requests (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    account      TEXT COLLATE "C" NOT NULL,
    channel      TEXT   NOT NULL DEFAULT '',
    requested_by TEXT   NOT NULL DEFAULT '',
    plan         BYTEA  NOT NULL,
    plan_hash    TEXT   NOT NULL DEFAULT '',
    state        TEXT   NOT NULL CHECK (state IN ('pending', 'applying', 'applied', 'failed', 'rejected', 'expired', 'superseded', 'interrupted')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    decided_by   TEXT   NOT NULL DEFAULT '',
    message_ref  TEXT   NOT NULL DEFAULT ''
);

-- History for one account, and for all accounts.
CREATE INDEX requests_account_created ON requests (account, created_at, seq);
CREATE INDEX requests_created ON requests (created_at, seq);
-- The expiry sweep.
CREATE INDEX requests_state_expires ON requests (state, expires_at);

CREATE TABLE request_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    actor      TEXT   NOT NULL DEFAULT '',
    kind       TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT ''
);

CREATE INDEX request_events_request_at ON request_events (request_id, at, seq);

-- The alert outbox: SNS messages accepted by the webhook, waiting for (or past) delivery.
CREATE TABLE outbox (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY, -- the SNS MessageId: the dedup key
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY UNIQUE,
    topic_arn    TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL CHECK (kind IN ('notification', 'subscription_confirmation', 'unsubscribe_confirmation')),
    body         BYTEA   NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    delivered    BOOLEAN NOT NULL DEFAULT false,
    delivered_at BIGINT  NOT NULL DEFAULT 0,
    claim_owner  TEXT    NOT NULL DEFAULT '', -- '' when unclaimed
    claim_until  BIGINT  NOT NULL DEFAULT 0,  -- the claim is live while claim_until > now
    posting_at   BIGINT  NOT NULL DEFAULT 0   -- when a relay last sent it without learning the outcome
);

-- Claim (due, undelivered items in order) and Pending (undelivered count).
CREATE INDEX outbox_delivered_next ON outbox (delivered, next_at, created_at, seq);
-- ReleaseClaims (a restarted relay takes back what it held).
CREATE INDEX outbox_claim_owner ON outbox (claim_owner) WHERE claim_owner <> '';

-- Alert threads: the Slack message that the first ALARM of an alarm started in a channel.
CREATE TABLE threads (
    key        TEXT COLLATE "C" NOT NULL, -- the alarm ARN
    channel    TEXT COLLATE "C" NOT NULL,
    ts         TEXT   NOT NULL,           -- the Slack timestamp of the first message
    state      TEXT   NOT NULL DEFAULT '',
    first      BYTEA,                     -- what the first message showed, so a status update keeps it
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (key, channel)
);

-- Audit history: every (account, control)'s result of each audit run.
CREATE TABLE audit_history (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account     TEXT COLLATE "C" NOT NULL,
    control     TEXT COLLATE "C" NOT NULL DEFAULT '4.1',
    account_id  TEXT   NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    status      TEXT   NOT NULL CHECK (status IN ('PASS', 'FAIL', 'ERROR')),
    failed_step TEXT   NOT NULL DEFAULT '',
    reason      TEXT   NOT NULL DEFAULT '',
    verdict     TEXT   NOT NULL DEFAULT '' CHECK (verdict IN ('', 'PASS', 'FAIL')), -- the last PASS or FAIL as of this audit
    since       BIGINT NOT NULL DEFAULT 0,  -- when that verdict began
    source      TEXT   NOT NULL DEFAULT ''  -- what ran the audit: a schedule id, or "cli"
);

CREATE INDEX audit_history_account_control_at ON audit_history (account, control, at, seq);

-- The claims that post a scheduled summary once per tick.
CREATE TABLE summary_ticks (
    schedule   TEXT COLLATE "C" NOT NULL,
    tick       BIGINT  NOT NULL,
    owner      TEXT    NOT NULL,            -- the replica that claimed the tick
    claimed_at BIGINT  NOT NULL,
    posted_at  BIGINT  NOT NULL DEFAULT 0,  -- 0 until the summary is posted
    pass       INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (schedule, tick)
);

-- One lock per account, so that two approved fixes of one account apply one after the other.
CREATE TABLE account_locks (
    account    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    request_id TEXT   NOT NULL, -- the request applying (or about to apply) a fix of the account
    owner      TEXT   NOT NULL, -- the process holding it
    until      BIGINT NOT NULL  -- the lock lapses then, should its holder never release it
);

-- cisbot_pruned_plan is what retention keeps of a finished request's plan (a JSON document in
-- bytes): the account, the hash and each step's kind and resource. It is NULL for a plan that
-- is not JSON or was pruned already, which pruning then leaves alone.
-- +goose StatementBegin
CREATE FUNCTION cisbot_pruned_plan(plan BYTEA) RETURNS BYTEA
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    p jsonb;
BEGIN
    BEGIN
        p := convert_from(plan, 'UTF8')::jsonb;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END;
    IF jsonb_typeof(p) <> 'object' OR p ? 'pruned' AND p->'pruned' <> 'null'::jsonb THEN
        RETURN NULL;
    END IF;
    RETURN convert_to(jsonb_build_object(
        'account', p->'account', 'account_id', p->'account_id',
        'passes', COALESCE(p->'passes' = 'true'::jsonb, false),
        'steps', COALESCE((SELECT jsonb_agg(jsonb_build_object('kind', s.value->'kind', 'resource', s.value->'resource') ORDER BY s.n)
                           FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p->'steps') = 'array' THEN p->'steps' ELSE '[]'::jsonb END)
                                WITH ORDINALITY AS s(value, n)), '[]'::jsonb),
        'manual', '[]'::jsonb, 'hash', p->'hash', 'pruned', true)::text, 'UTF8');
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION cisbot_pruned_plan(BYTEA);
DROP TABLE account_locks;
DROP TABLE summary_ticks;
DROP TABLE audit_history;
DROP TABLE threads;
DROP TABLE outbox;
DROP TABLE request_events;
DROP TABLE requests;
