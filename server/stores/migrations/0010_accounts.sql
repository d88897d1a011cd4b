-- Accounts (issue 3): email PINs, refresh-token families, password resets, login lockout,
-- rate-limit counters, push device tokens, and the user columns they need.

-- An email change waits here until the new address is proven with a PIN.
ALTER TABLE users ADD COLUMN pending_email text;
-- Picture from Google sign-in; an uploaded photo (photo_key) takes precedence.
ALTER TABLE users ADD COLUMN external_photo_url text;
CREATE UNIQUE INDEX users_pending_email ON users (pending_email) WHERE pending_email IS NOT NULL;
-- Prefix search by name (case-insensitive) or email, ordered by name for stable paging.
CREATE INDEX users_name_prefix ON users (lower(name) text_pattern_ops, id);
CREATE INDEX users_email_prefix ON users (email text_pattern_ops);

-- One live PIN per user: a resend replaces it. `email` is the address it proves.
CREATE TABLE email_pins (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email       text NOT NULL,
    pin_hash    text NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    sent_at     timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Opaque refresh tokens, stored as SHA-256 digests. Rotation keeps a family; presenting a
-- used token revokes the whole family (stolen-token detection).
CREATE TABLE refresh_tokens (
    id             uuid PRIMARY KEY,
    family_id      uuid NOT NULL,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     bytea NOT NULL UNIQUE,
    token_version  integer NOT NULL,
    issued_at      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Failed password logins inside the lockout window, and the lock they cause.
CREATE TABLE login_failures (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (user_id, at);
CREATE TABLE account_locks (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    locked_until  timestamptz NOT NULL
);

-- Fixed-window request counters shared by every process (one row per bucket and key).
CREATE TABLE rate_limits (
    bucket        text NOT NULL,
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (bucket, key)
);

-- Push tokens (the notifications issue sends to them). A token belongs to one user: a phone
-- signed in with another account moves it.
CREATE TABLE devices (
    token       text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform    text NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);
