-- Invite codes expire and are stored as keyed hashes (HMAC with a key kept outside the database).
-- Unused codes hashed the old way could be guessed offline from a copied database: they are
-- dropped, and the bureau issues new ones (xuefa roster codes). Used codes stay as history.
DELETE FROM invite_codes WHERE used_at IS NULL;
ALTER TABLE invite_codes ADD COLUMN expires_at TEXT;
ALTER TABLE invite_codes ADD COLUMN used_on TEXT NOT NULL DEFAULT '';

-- Sign-in attempts of any channel: a Telegram account ('tg:<id>') or a web sign-in ('web:<staff no>').
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_subject ON sign_in_attempts(subject, at);
INSERT INTO sign_in_attempts (subject, at, ok) SELECT 'tg:' || telegram_id, at, ok FROM bind_attempts;
DROP TABLE bind_attempts;

-- A deactivated member keeps no phone number and no Telegram account (PIPL: no more than needed);
-- the account is remembered only as a keyed hash, so it can never act as a bootstrap admin again.
CREATE TABLE retired_accounts (
    account_hash TEXT PRIMARY KEY,
    retired_at TEXT NOT NULL
);
UPDATE members SET phone = '' WHERE active = 0;

-- The keyed hash of a member's bound Telegram account, moved to retired_accounts on deactivation.
ALTER TABLE members ADD COLUMN account_hash TEXT;
