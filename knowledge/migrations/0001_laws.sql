-- Laws, their articles, and the quarterly study lists that name them.
CREATE TABLE laws (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    promulgated TEXT NOT NULL DEFAULT '',
    effective TEXT NOT NULL DEFAULT '',
    amended TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '现行有效',
    source TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX laws_source_file ON laws(source_file);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    law_id INTEGER NOT NULL REFERENCES laws(id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    key INTEGER NOT NULL,
    position INTEGER NOT NULL,
    path TEXT NOT NULL DEFAULT '[]',
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    UNIQUE (law_id, key)
);

CREATE TABLE study_lists (
    id TEXT PRIMARY KEY,
    year INTEGER,
    title TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    loaded_at TEXT NOT NULL
);

CREATE TABLE study_list_laws (
    list_id TEXT NOT NULL REFERENCES study_lists(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    law_id INTEGER NOT NULL REFERENCES laws(id),
    focus TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (list_id, position)
);
CREATE INDEX study_list_laws_law ON study_list_laws(law_id);
