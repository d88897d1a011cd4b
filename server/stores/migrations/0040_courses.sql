-- Courses, their members (roles are per course), and the assistant activity log.
CREATE TABLE courses (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL REFERENCES users (id),
    title             text NOT NULL,
    description       text NOT NULL DEFAULT '',
    short_description text NOT NULL DEFAULT '',
    category          text NOT NULL,
    level             text NOT NULL CHECK (level IN ('beginner', 'intermediate', 'advanced')),
    modality          text NOT NULL CHECK (modality IN ('online', 'in_person', 'hybrid')),
    capacity          integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    -- Seats held by students (active, approved, failed). Enrollment takes a seat with a
    -- conditional UPDATE, so concurrent enrollments can never overfill the course.
    seats_taken       integer NOT NULL DEFAULT 0,
    starts_on         date NOT NULL,
    ends_on           date NOT NULL,
    enroll_until      date NOT NULL,
    objectives        jsonb NOT NULL DEFAULT '[]',
    syllabus          text NOT NULL DEFAULT '',
    prerequisite_ids  uuid[] NOT NULL DEFAULT '{}',
    -- 'simple' config: titles mix languages, so no stemming that favours one of them.
    search            tsvector GENERATED ALWAYS AS (
                          setweight(to_tsvector('simple'::regconfig, title), 'A') ||
                          setweight(to_tsvector('simple'::regconfig, description), 'B')
                      ) STORED,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz,
    CHECK (ends_on >= starts_on),
    CHECK (enroll_until <= ends_on),
    CHECK (seats_taken BETWEEN 0 AND capacity)
);
CREATE INDEX courses_search ON courses USING gin (search) WHERE deleted_at IS NULL;
-- Keyset order of the catalog and its common filters.
CREATE INDEX courses_catalog ON courses (starts_on, id) WHERE deleted_at IS NULL;
CREATE INDEX courses_category ON courses (category, level, starts_on, id) WHERE deleted_at IS NULL;
CREATE INDEX courses_owner ON courses (owner_id);

CREATE TABLE course_members (
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('owner', 'assistant', 'student')),
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'approved', 'failed', 'removed')),
    -- Assistants: {"edit_content": bool, "grade": bool, "communicate": bool}.
    permissions jsonb NOT NULL DEFAULT '{}',
    joined_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_members_user ON course_members (user_id, course_id);

-- Every action an assistant takes, for the owner (GET /courses/{id}/activity).
CREATE TABLE course_activity (
    id         bigserial PRIMARY KEY,
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    actor_id   uuid NOT NULL REFERENCES users (id),
    action     text NOT NULL,
    subject    jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL
);
CREATE INDEX course_activity_course ON course_activity (course_id, id DESC);
