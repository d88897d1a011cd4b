-- Accounts. One kind of user: roles are per course. Admins live in their own realm.
CREATE TABLE users (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,           -- always stored lower-cased
    name            text NOT NULL,
    bio             text NOT NULL DEFAULT '',
    locale          text,
    location_lat    double precision,
    location_lon    double precision,
    photo_key       text,                    -- storage key in bucket `profiles`
    password_hash   text,                    -- null for Google-only accounts
    google_sub      text UNIQUE,
    email_verified  boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'blocked', 'deleted')),
    -- Bumped by blocking, password reset or a role change: older access tokens stop working.
    token_version   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
