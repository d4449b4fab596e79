-- Quiz questions, weekly rounds, deliveries, attempts and answers, reminders and schedules.
CREATE TABLE quiz_questions (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('generated', 'bank')),
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'truefalse')),
    stem TEXT NOT NULL,
    options TEXT NOT NULL,
    answer TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    citation TEXT NOT NULL DEFAULT '',
    article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    generator TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX quiz_questions_article ON quiz_questions(article_id);

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    study_list_id TEXT NOT NULL,
    week TEXT NOT NULL,
    opens_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    pass_mark REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (week)
);

CREATE TABLE round_questions (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES quiz_questions(id),
    PRIMARY KEY (round_id, position)
);

CREATE TABLE deliveries (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, member_id)
);
CREATE INDEX deliveries_status ON deliveries(round_id, status);

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    correct INTEGER,
    total INTEGER NOT NULL,
    score REAL,
    passed INTEGER,
    UNIQUE (round_id, member_id, number)
);
CREATE INDEX attempts_member ON attempts(member_id, round_id);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES quiz_questions(id),
    chosen TEXT NOT NULL,
    correct INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    UNIQUE (attempt_id, position)
);

CREATE TABLE sent_questions (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    poll_id TEXT UNIQUE,
    chat_id INTEGER,
    message_id INTEGER,
    chosen TEXT NOT NULL DEFAULT '[]',
    sent_at TEXT NOT NULL
);
-- A question may be sent again (a member resumes with /quiz): every poll keeps mapping to it.
CREATE INDEX sent_questions_attempt ON sent_questions(attempt_id, position);

CREATE TABLE reminders (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL DEFAULT 'member',
    sent_at TEXT NOT NULL,
    PRIMARY KEY (round_id, member_id, kind)
);

CREATE TABLE schedule (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
