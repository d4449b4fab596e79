-- Per-question statistics for admins: how many answers each question got and how many were right,
-- per round and unit, kept by a trigger so a year's report reads tens of thousands of small rows
-- instead of grouping millions of answers. The unit is the member's unit when they answered.
-- Deleting answers (forgetting a person) leaves these anonymous counts in place.
CREATE TABLE question_results (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES quiz_questions(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    answered INTEGER NOT NULL DEFAULT 0,
    correct INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, question_id, unit_id)
) WITHOUT ROWID;

INSERT INTO question_results (round_id, question_id, unit_id, answered, correct)
SELECT a.round_id, an.question_id, m.unit_id, count(*), sum(an.correct)
FROM answers an JOIN attempts a ON a.id = an.attempt_id JOIN members m ON m.id = a.member_id
GROUP BY a.round_id, an.question_id, m.unit_id;

CREATE TRIGGER answers_counted AFTER INSERT ON answers BEGIN
    INSERT INTO question_results (round_id, question_id, unit_id, answered, correct)
    SELECT a.round_id, NEW.question_id, m.unit_id, 1, NEW.correct
    FROM attempts a JOIN members m ON m.id = a.member_id WHERE a.id = NEW.attempt_id
    ON CONFLICT (round_id, question_id, unit_id) DO UPDATE
        SET answered = answered + 1, correct = correct + excluded.correct;
END;
