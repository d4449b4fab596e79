-- A code replaced by a newer one is kept (as its keyed hash, until it would have expired) so the
-- person who types it is told 已被新的邀请码取代 rather than 邀请码不正确.
ALTER TABLE invite_codes ADD COLUMN replaced_at TEXT;
