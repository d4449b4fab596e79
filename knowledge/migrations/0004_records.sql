-- Group study sessions (集体学法) with their attendees, and the audit log of report requests.
CREATE TABLE study_sessions (
    id INTEGER PRIMARY KEY,
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    laws TEXT NOT NULL DEFAULT '',
    minutes TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES members(id),
    created_at TEXT NOT NULL
);
CREATE INDEX study_sessions_date ON study_sessions(held_on);

CREATE TABLE session_attendees (
    session_id INTEGER NOT NULL REFERENCES study_sessions(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (session_id, member_id)
);
CREATE INDEX session_attendees_member ON session_attendees(member_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    member_id INTEGER REFERENCES members(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
