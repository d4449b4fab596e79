-- The web channel (issue 11): server-side browser sessions and the passwords of admins and leaders.
-- A session row keeps only the SHA-256 of a random token; the browser's cookie carries the token
-- itself (signed), so a copied database opens no session. Ended sessions are deleted.
CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role TEXT NOT NULL,  -- the role signed in with: a session whose member changed role is ended
    stage TEXT NOT NULL CHECK (stage IN ('member', 'staff', 'password')),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''  -- a summary such as "微信 · Android", never the full header
);
CREATE INDEX web_sessions_member ON web_sessions(member_id, expires_at);

-- Admins and leaders sign in on the web with a password (argon2id), set at their first sign-in
-- with an invite code; a new code lets them set a new one.
CREATE TABLE web_passwords (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    set_at TEXT NOT NULL
);
