-- A code shown on the web's account page binds Telegram only (issue 17): it never signs in on
-- the web, so a borrowed session cannot turn it into a new password for someone's account.
ALTER TABLE invite_codes ADD COLUMN telegram_only INTEGER NOT NULL DEFAULT 0;
