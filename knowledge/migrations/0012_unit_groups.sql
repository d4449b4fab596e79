-- A unit's staff group on a channel (a WeCom or DingTalk group robot): a weekly notice and the
-- unit's not-yet count, never names. The webhook is a credential: kept here (the database is
-- mode 0600), never printed or logged.
CREATE TABLE unit_groups (
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',  -- DingTalk's signing secret
    added_at TEXT NOT NULL,
    PRIMARY KEY (unit_id, channel)
);

-- What went to each group, once per kind and subject (as the outbox does for members).
CREATE TABLE group_outbox (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, subject, unit_id, channel)
) WITHOUT ROWID;
