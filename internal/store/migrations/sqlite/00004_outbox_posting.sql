-- When a relay last sent an outbox item to Slack without learning the outcome: a post that may
-- have gone out. The next attempt looks the message up before posting again, so a crash between
-- the post and marking it delivered posts nothing twice. Unix milliseconds, 0 = not sent.

-- +goose Up
ALTER TABLE outbox ADD COLUMN posting_at INTEGER NOT NULL DEFAULT 0;

-- ReleaseClaims (a restarted relay takes back what it held).
CREATE INDEX outbox_claim_owner ON outbox (claim_owner) WHERE claim_owner != '';

-- +goose Down
DROP INDEX outbox_claim_owner;
ALTER TABLE outbox DROP COLUMN posting_at;
