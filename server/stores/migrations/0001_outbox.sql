-- The transactional outbox: a use case appends its domain events here in the same transaction
-- as its change; the relay (server/realtime) moves them to the event log. See
-- docs/event-spine.md.
CREATE TABLE outbox (
    position    bigserial PRIMARY KEY,   -- recording order (allocation, not commit, order)
    id          uuid NOT NULL UNIQUE,
    type        text NOT NULL,
    streams     text[] NOT NULL,
    data        jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    relayed_at  timestamptz
);
CREATE INDEX outbox_unrelayed ON outbox (position) WHERE relayed_at IS NULL;
