-- User search matches names only (issue 16 #10): the email prefix index has no reader left.
DROP INDEX IF EXISTS users_email_prefix;
