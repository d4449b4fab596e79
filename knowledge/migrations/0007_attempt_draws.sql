-- Fair attempts: a round holds a pool of questions (round_questions, several times the quiz length)
-- and each attempt draws its own questions from it, options shuffled (attempt_questions).
-- answers.position and answers.chosen refer to the attempt's questions as they were shown.
ALTER TABLE rounds ADD COLUMN questions INTEGER;  -- how many questions each attempt draws
UPDATE rounds SET questions = (SELECT count(*) FROM round_questions rq WHERE rq.round_id = rounds.id);

-- A bank question marked 固定 is asked as written: its options are never shuffled.
ALTER TABLE quiz_questions ADD COLUMN fixed INTEGER NOT NULL DEFAULT 0;

CREATE TABLE attempt_questions (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES quiz_questions(id),
    option_order TEXT NOT NULL DEFAULT '[]',  -- shown option i is written option option_order[i]; [] = as written
    PRIMARY KEY (attempt_id, position)
);
CREATE INDEX attempt_questions_question ON attempt_questions(question_id);

-- Attempts made before: every attempt of a round asked the round's questions in order, as written.
INSERT INTO attempt_questions (attempt_id, position, question_id)
SELECT a.id, rq.position, rq.question_id FROM attempts a JOIN round_questions rq ON rq.round_id = a.round_id;
