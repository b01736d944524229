-- Alert threads: the Slack message that the first ALARM of an alarm started in a channel, so
-- later state changes of the same alarm go into its thread. Times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE threads (
    key        TEXT    NOT NULL, -- the alarm ARN, or account/region/alarm name
    channel    TEXT    NOT NULL,
    ts         TEXT    NOT NULL, -- the Slack timestamp of the first message
    state      TEXT    NOT NULL DEFAULT '',
    first      BLOB,             -- what the first message showed, so a status update keeps it
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (key, channel)
) STRICT;

-- +goose Down
DROP TABLE threads;
