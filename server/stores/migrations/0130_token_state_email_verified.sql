-- Whether an account proved its address now decides whether its tokens count (an unverified
-- account's token is refused with `email_not_verified`), so a change of it is announced to
-- every process's token-state cache like a change of status or token version.
DROP TRIGGER users_token_state_changed ON users;
CREATE TRIGGER users_token_state_changed AFTER UPDATE OF status, token_version, email_verified
    ON users
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.token_version IS DISTINCT FROM NEW.token_version
          OR OLD.email_verified IS DISTINCT FROM NEW.email_verified)
    EXECUTE FUNCTION notify_user_token_state();
