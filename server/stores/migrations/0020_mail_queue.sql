-- The durable email queue. A use case enqueues in its own transaction (so an email exists iff
-- the change that asked for it committed); the mailer claims due rows, delivers them, and marks
-- them sent. A claim is a lease (claimed_until): a process that dies mid-send leaves a claim
-- that expires, and another worker delivers the email again.
CREATE TABLE mail_queue (
    id              uuid PRIMARY KEY,
    seq             bigserial UNIQUE,        -- enqueue order: the outbox folder sorts by it
    to_address      text NOT NULL,
    template        text NOT NULL,
    params          jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    claimed_by      text,
    sent_at         timestamptz,
    failed_at       timestamptz,             -- the provider refused it for good (bad address)
    provider_id     text,
    last_error      text
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_queue_to ON mail_queue (to_address, created_at);
