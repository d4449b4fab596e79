-- Identity and push that belong to no channel (issue 16).
--
-- A member has accounts on channels (telegram, web, wecom, dingtalk, ...): who they are there
-- (external_id) and where messages go (address: a Telegram chat; a WeCom or DingTalk userid).
-- One account per member and channel, one member per account. A deactivated member's account
-- stays (so it can never bootstrap an admin again) until someone binds it anew.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    reachable INTEGER NOT NULL DEFAULT 1,  -- 0: the platform said this person cannot be reached (blocked, left)
    source TEXT NOT NULL DEFAULT '',       -- how it was bound: code, roster, mobile, oauth, sign-in
    account_hash TEXT,                     -- keyed hash of (channel, external_id), retired with the member
    bound_at TEXT NOT NULL,
    UNIQUE (channel, external_id),
    UNIQUE (member_id, channel)
);
CREATE INDEX accounts_member ON accounts(member_id);

INSERT INTO accounts (member_id, channel, external_id, address, reachable, source, account_hash, bound_at)
SELECT id, 'telegram', CAST(telegram_id AS TEXT), CAST(coalesce(chat_id, telegram_id) AS TEXT), reachable, 'code',
       account_hash, coalesce(bound_at, updated_at)
FROM members WHERE telegram_id IS NOT NULL;

-- Whoever used the web (a password, a session) has a web account.
INSERT OR IGNORE INTO accounts (member_id, channel, external_id, source, bound_at)
SELECT member_id, 'web', CAST(member_id AS TEXT), 'sign-in', set_at FROM web_passwords;
INSERT OR IGNORE INTO accounts (member_id, channel, external_id, source, bound_at)
SELECT member_id, 'web', CAST(member_id AS TEXT), 'sign-in', min(created_at) FROM web_sessions GROUP BY member_id;

-- The old Telegram columns of members are no longer read or written. SQLite cannot drop a UNIQUE
-- column, and rebuilding members would mean rebuilding every table that refers to it: they stay, empty.
UPDATE members SET telegram_id = NULL, chat_id = NULL, account_hash = NULL, reachable = 1;

UPDATE sign_in_attempts SET subject = 'telegram:' || substr(subject, 4) WHERE subject LIKE 'tg:%';

-- One ledger for everything sent to members, whatever the channel: a round's invitation,
-- reminders, unit digests, the unreachable list, the weekly digest, reviewers' summaries.
-- One row per (kind, subject, member): pending -> sending (claimed just before the send) ->
-- sent, blocked, failed or unreachable, and the channel it went out on. A member reachable on
-- several channels gets each notice once.
CREATE TABLE outbox (
    kind TEXT NOT NULL,        -- round, reminder, unit_digest, unreachable, digest, review, ...
    subject TEXT NOT NULL,     -- what it is about: a round's id, a week, a day
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    channel TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unreachable')),
    tries INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, subject, member_id)
) WITHOUT ROWID;
CREATE INDEX outbox_status ON outbox(kind, subject, status);
CREATE INDEX outbox_member ON outbox(member_id);

INSERT INTO outbox (kind, subject, member_id, channel, status, tries, error, updated_at)
SELECT 'round', CAST(round_id AS TEXT), member_id, CASE WHEN status = 'sent' OR status = 'blocked' THEN 'telegram' ELSE '' END,
       CASE WHEN status = 'failed' AND error = 'unbound' THEN 'unreachable' ELSE status END, tries, error, updated_at
FROM deliveries;
INSERT OR IGNORE INTO outbox (kind, subject, member_id, channel, status, updated_at)
SELECT CASE kind WHEN 'member' THEN 'reminder' ELSE kind END, CAST(round_id AS TEXT), member_id, 'telegram', 'sent',
       sent_at
FROM reminders;
DROP TABLE deliveries;
DROP TABLE reminders;

-- A question shown in a chat remembers where (any channel's address), not a Telegram chat id.
ALTER TABLE sent_questions RENAME COLUMN chat_id TO address;
