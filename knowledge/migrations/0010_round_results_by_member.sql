-- Reports over many rounds (a year) add up each member's rows of round_results. This index holds
-- every column they read, in member order, so the sum is one sequential pass with no lookups and
-- no sorting (bench/web.py: the year's per-member totals 330 ms -> 170 ms over 10,000 members).
-- It replaces the plain member index, whose every row cost a lookup in the table.
CREATE INDEX round_results_by_member ON round_results(member_id, round_id, attempts, passed, best_score, last_at);
DROP INDEX round_results_member;
