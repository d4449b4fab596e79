-- Units (schools), members from the roster, one-time invite codes and the question log.
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    staff_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    role TEXT NOT NULL CHECK (role IN ('teacher', 'unit_admin', 'bureau_admin', 'leader')),
    phone TEXT NOT NULL DEFAULT '',
    telegram_id INTEGER UNIQUE,
    chat_id INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    reachable INTEGER NOT NULL DEFAULT 1,
    joined_at TEXT NOT NULL,
    deactivated_at TEXT,
    bound_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX members_unit ON members(unit_id, active);

CREATE TABLE invite_codes (
    code_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    used_at TEXT,
    used_by INTEGER
);
CREATE INDEX invite_codes_member ON invite_codes(member_id);

CREATE TABLE bind_attempts (
    id INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX bind_attempts_user ON bind_attempts(telegram_id, at);

CREATE TABLE question_log (
    id INTEGER PRIMARY KEY,
    member_id INTEGER REFERENCES members(id),
    asked_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    outcome TEXT NOT NULL,
    cited TEXT NOT NULL DEFAULT '[]',
    article_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX question_log_member ON question_log(member_id, asked_at);
