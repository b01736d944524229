-- The keys of the Slack deliveries already run (envelope and trigger ids), so that one Slack
-- delivers again, to this replica or another, is acknowledged and not run twice. Times are unix
-- milliseconds, UTC.

-- +goose Up
CREATE TABLE deliveries (
    key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    at  BIGINT NOT NULL
);
CREATE INDEX deliveries_at ON deliveries (at);

-- +goose Down
DROP TABLE deliveries;
