-- The weekly course.at_risk_digest, one per course and week. The row is inserted in the same
-- transaction that records the event, so a digest is recorded exactly once across processes
-- (a second process's insert waits for the first to commit, then does nothing) and a crash
-- before the commit leaves the week unclaimed for the next scan.
CREATE TABLE at_risk_digests (
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    week       date NOT NULL,     -- Monday of the week, in the platform's zone
    at_risk    integer NOT NULL,  -- students flagged (0: no event was recorded)
    created_at timestamptz NOT NULL,
    PRIMARY KEY (course_id, week)
);
