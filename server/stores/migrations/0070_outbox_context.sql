-- Who caused each recorded event (actor, client address, request id), for the audit consumer;
-- and the order in which the relay made events visible, for durable consumers.
--
-- `position` is allocated when a row is inserted, not when its transaction commits, so a reader
-- taking "position > my offset" could pass a row whose transaction commits later. `relay_seq` is
-- stamped by the relay, which runs one at a time under an advisory lock held to its commit: each
-- batch's seqs become visible strictly after the previous batch's, so an offset on relay_seq
-- never skips a row. See docs/event-spine.md, "Consumers".
ALTER TABLE outbox ADD COLUMN context jsonb;
ALTER TABLE outbox ADD COLUMN relay_seq bigint UNIQUE;
