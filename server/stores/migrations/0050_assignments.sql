-- Assignments (tasks and timed exams), uploads, exam attempts, submissions with their grades,
-- and the deadline-reminder schedule. The realtime layer resolves `watch {assignment_id}`
-- through assignments(id, course_id, deleted_at): keep those names.
CREATE TABLE assignments (
    id                      uuid PRIMARY KEY,
    course_id               uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    kind                    text NOT NULL CHECK (kind IN ('task', 'exam')),
    title                   text NOT NULL,
    description             text NOT NULL DEFAULT '',
    instructions            text NOT NULL DEFAULT '',
    due_at                  timestamptz NOT NULL,
    grace_minutes           integer NOT NULL CHECK (grace_minutes BETWEEN 0 AND 10080),
    accept_late             boolean NOT NULL,
    penalty_percent_per_day numeric NOT NULL CHECK (penalty_percent_per_day BETWEEN 0 AND 100),
    max_late_days           integer,          -- NULL: late work accepted without a limit
    time_limit_minutes      integer,          -- exams only
    max_attempts            integer NOT NULL CHECK (max_attempts >= 1),
    -- [{id, kind, prompt, options, correct, points}]: `correct` never leaves for students.
    questions               jsonb NOT NULL,
    attachments             uuid[] NOT NULL DEFAULT '{}',
    max_score               numeric NOT NULL,
    created_by              uuid NOT NULL REFERENCES users (id),
    published_at            timestamptz,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    deleted_at              timestamptz
);
CREATE INDEX assignments_course ON assignments (course_id, due_at, id) WHERE deleted_at IS NULL;

-- Uploaded files. A file belongs to a course once attached to a submission or to an
-- assignment; until then only its uploader may read it.
CREATE TABLE uploads (
    id           uuid PRIMARY KEY,
    uploader_id  uuid NOT NULL REFERENCES users (id),
    file_key     text NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    course_id    uuid REFERENCES courses (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX uploads_uploader ON uploads (uploader_id, created_at DESC);

-- Attempts a student has used per assignment: allocated with one atomic upsert, so concurrent
-- submissions (or exam starts) never share a number nor exceed max_attempts.
CREATE TABLE assignment_attempts_used (
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    student_id    uuid NOT NULL REFERENCES users (id),
    used          integer NOT NULL,
    PRIMARY KEY (assignment_id, student_id)
);

-- Timed exam attempts: the deadline is fixed when the attempt starts.
CREATE TABLE exam_attempts (
    id            uuid PRIMARY KEY,
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    student_id    uuid NOT NULL REFERENCES users (id),
    attempt       integer NOT NULL,
    started_at    timestamptz NOT NULL,
    deadline      timestamptz NOT NULL,
    submitted_at  timestamptz,
    UNIQUE (assignment_id, student_id, attempt)
);

CREATE TABLE submissions (
    id                   uuid PRIMARY KEY,
    assignment_id        uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    course_id            uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    student_id           uuid NOT NULL REFERENCES users (id),
    attempt              integer NOT NULL,
    -- Only the newest attempt of a student counts for statuses, counts and statistics.
    latest               boolean NOT NULL,
    answers              jsonb NOT NULL,
    submitted_at         timestamptz NOT NULL,
    late                 boolean NOT NULL,
    seconds_late         integer NOT NULL,
    penalty_percent      numeric NOT NULL,
    auto_score           numeric NOT NULL,
    needs_review         boolean NOT NULL,
    question_results     jsonb NOT NULL,
    -- The draft grade, seen by staff only...
    score                numeric,
    feedback             text,
    question_scores      jsonb,
    graded_by            uuid REFERENCES users (id),
    graded_at            timestamptz,
    -- ...and what the student sees, copied from the draft when published.
    published_score      numeric,
    published_feedback   text,
    published_question_scores jsonb,
    grade_published_at   timestamptz,
    UNIQUE (assignment_id, student_id, attempt)
);
CREATE INDEX submissions_latest ON submissions (assignment_id, submitted_at, id) WHERE latest;
CREATE INDEX submissions_student ON submissions (student_id, assignment_id, attempt DESC);

-- Idempotency-Key claims: the unique key makes concurrent retries wait for the first, then
-- find its stored response (INSERT ... ON CONFLICT DO NOTHING, never check-then-insert).
CREATE TABLE submission_requests (
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    student_id    uuid NOT NULL REFERENCES users (id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    response      text,           -- byte for byte what the first request got
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (assignment_id, student_id, key)
);

-- 24 h and 1 h before due_at. Rescheduled when due_at changes; claimed FOR UPDATE SKIP LOCKED
-- so each fires once even with several processes scanning.
CREATE TABLE deadline_reminders (
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('24h', '1h')),
    fire_at       timestamptz NOT NULL,
    sent_at       timestamptz,
    PRIMARY KEY (assignment_id, kind)
);
CREATE INDEX deadline_reminders_due ON deadline_reminders (fire_at) WHERE sent_at IS NULL;
