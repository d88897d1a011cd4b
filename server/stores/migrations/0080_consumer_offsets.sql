-- Durable consumers of the outbox (notifications, the audit log, forum followers): each reads
-- rows with `relay_seq` above its offset, in order, and advances the offset in the same
-- transaction as its own Postgres writes. One process at a time holds a consumer's row
-- (SELECT ... FOR UPDATE SKIP LOCKED); the others skip the round. See docs/event-spine.md §6.
CREATE TABLE consumer_offsets (
    name       text PRIMARY KEY,
    relay_seq  bigint NOT NULL CHECK (relay_seq >= 0),
    updated_at timestamptz NOT NULL
);
