-- The 法治副校长 reviewer queue (issue 19): who reviews for which unit, the questions waiting for a
-- reviewer, reviewed question-answer pairs (a searchable layer) and feedback under answers.

-- A reviewer answers for one unit (unit_id) or for the whole bureau (unit_id NULL, 法规安全科).
-- source: 'roster' (role 法治副校长 in the roster, reviewer of their own unit) or 'assigned' (by a bureau admin).
CREATE TABLE reviewers (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    unit_id INTEGER REFERENCES units(id),
    source TEXT NOT NULL CHECK (source IN ('roster', 'assigned')),
    assigned_at TEXT NOT NULL
);
CREATE UNIQUE INDEX reviewers_scope ON reviewers(member_id, coalesce(unit_id, 0));

-- Reviewed pairs: a reviewer's answer in their own words with resolved citations. citations is a
-- JSON list of [label, article content hash]: a re-import that changes or removes one retires the pair.
CREATE TABLE reviewed_answers (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    topic TEXT NOT NULL DEFAULT '',
    reviewer_id INTEGER REFERENCES members(id),
    answered_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    retired_at TEXT,
    retired_why TEXT NOT NULL DEFAULT ''
);

-- The queue. member_id is the asker (NULL once forgotten); unit_id the asker's unit when asking, kept
-- for routing and for anonymous reports. routed_unit_id is where the entry waits now (NULL = bureau).
CREATE TABLE review_entries (
    id INTEGER PRIMARY KEY,
    member_id INTEGER REFERENCES members(id),
    unit_id INTEGER REFERENCES units(id),
    routed_unit_id INTEGER REFERENCES units(id),
    question TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('unsure', 'outside', 'not_covered', 'not_solved', 'asked', 'law_changed')),
    channel TEXT NOT NULL DEFAULT '',
    remark TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'answered', 'duplicate', 'out_of_scope', 'missing_law')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    escalated_at TEXT,
    closed_at TEXT,
    closed_by INTEGER REFERENCES members(id),
    answer_id INTEGER REFERENCES reviewed_answers(id),
    notified_at TEXT
);
CREATE INDEX review_entries_status ON review_entries(status, created_at);
CREATE INDEX review_entries_member ON review_entries(member_id);

-- Feedback under an answer (有帮助 / 没有解决, optional remark). unit_id and topic stay for reports when
-- the member is forgotten (the row's member_id and remark go).
CREATE TABLE answer_feedback (
    id INTEGER PRIMARY KEY,
    member_id INTEGER REFERENCES members(id),
    unit_id INTEGER REFERENCES units(id),
    token TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    reviewed_id INTEGER REFERENCES reviewed_answers(id),
    at TEXT NOT NULL
);
CREATE INDEX answer_feedback_member ON answer_feedback(member_id);

-- Every reply to a question carries a short token its feedback buttons name (a Telegram button holds
-- 64 bytes: never the question). The question log keeps it, with the reply's topic (a law's short title).
ALTER TABLE question_log ADD COLUMN token TEXT;
ALTER TABLE question_log ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE question_log ADD COLUMN reviewed_id INTEGER;
CREATE INDEX question_log_token ON question_log(token);
