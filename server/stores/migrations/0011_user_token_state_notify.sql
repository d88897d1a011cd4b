-- Tell every process when what decides a token's validity changes (status, token version, or
-- the row itself), so each can cache it between changes. Delivered at COMMIT only.
CREATE FUNCTION notify_user_token_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('user_token_state', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_token_state_changed AFTER UPDATE OF status, token_version ON users
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.token_version IS DISTINCT FROM NEW.token_version)
    EXECUTE FUNCTION notify_user_token_state();
CREATE TRIGGER users_token_state_deleted AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_token_state();
