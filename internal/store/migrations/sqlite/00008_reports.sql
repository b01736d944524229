-- The audit reports behind a posted report's Evidence buttons, so that a click reaching any
-- replica finds them. Times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE reports (
    id         TEXT    NOT NULL PRIMARY KEY,
    body       BLOB    NOT NULL, -- the report as JSON
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reports_expires_at ON reports (expires_at);

-- +goose Down
DROP TABLE reports;
