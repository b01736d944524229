-- The keys of the Slack deliveries already run (envelope and trigger ids), so that one Slack
-- delivers again, to this replica or another, is acknowledged and not run twice. Times are unix
-- milliseconds, UTC.

-- +goose Up
CREATE TABLE deliveries (
    key TEXT NOT NULL PRIMARY KEY,
    at  INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_at ON deliveries (at);

-- +goose Down
DROP TABLE deliveries;
