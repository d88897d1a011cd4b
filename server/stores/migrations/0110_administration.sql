-- Administration (issue 13). Admin accounts live in Mongo (`admins`); their sessions and login
-- lockout live here, next to the outbox, so a login commits its refresh token and its audit
-- record in one transaction. Users gain blocks (with an optional end) and permissions.

-- Admin refresh tokens: the same rotation and reuse detection as users' (only digests stored).
CREATE TABLE admin_refresh_tokens (
    id             uuid PRIMARY KEY,
    family_id      uuid NOT NULL,
    admin_id       uuid NOT NULL,
    token_hash     bytea NOT NULL UNIQUE,
    token_version  integer NOT NULL,
    issued_at      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX admin_refresh_tokens_family ON admin_refresh_tokens (family_id);
CREATE INDEX admin_refresh_tokens_admin ON admin_refresh_tokens (admin_id) WHERE revoked_at IS NULL;

-- Failed admin logins in the current window and the lock they caused (users' rules: 5 in 15
-- minutes lock for 15 minutes).
CREATE TABLE admin_login_guard (
    admin_id      uuid PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

-- A blocked user's block: why, by whom, and until when (NULL: until an admin lifts it).
-- users.status = 'blocked' is what tokens and sockets check; this row is the block's story.
CREATE TABLE user_blocks (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reason      text NOT NULL,
    until       timestamptz,
    blocked_by  uuid NOT NULL,
    blocked_at  timestamptz NOT NULL
);
CREATE INDEX user_blocks_due ON user_blocks (until) WHERE until IS NOT NULL;

-- What an admin allowed a user to do; no row means everything is allowed.
CREATE TABLE user_permissions (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    can_create_courses  boolean NOT NULL DEFAULT true,
    can_enroll          boolean NOT NULL DEFAULT true,
    can_post_forum      boolean NOT NULL DEFAULT true,
    updated_at          timestamptz NOT NULL
);

-- The admins' user list: newest sign-ups first, keyset-paged; and last logins (the first token
-- of each refresh family is a login).
CREATE INDEX users_created ON users (created_at DESC, id DESC);
CREATE INDEX refresh_tokens_user_issued ON refresh_tokens (user_id, family_id, issued_at);
