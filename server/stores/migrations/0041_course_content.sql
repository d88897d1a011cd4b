-- Modules and their resources, in an explicit order.
CREATE TABLE course_modules (
    id          uuid PRIMARY KEY,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    position    integer NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- Deferred so a reorder can rewrite every position in one statement.
    CONSTRAINT course_modules_position UNIQUE (course_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE course_resources (
    id           uuid PRIMARY KEY,
    module_id    uuid NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('link', 'video', 'file')),
    title        text NOT NULL,
    url          text,                -- link and video
    file_key     text,                -- file: key in bucket course-files
    content_type text,
    size_bytes   bigint,
    position     integer NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK ((kind = 'file') = (file_key IS NOT NULL)),
    CHECK ((kind = 'file') <> (url IS NOT NULL)),
    CONSTRAINT course_resources_position UNIQUE (module_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE course_favorites (
    user_id    uuid NOT NULL REFERENCES users (id),
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, course_id)
);

-- A student's rating of a course: one per student, editable.
CREATE TABLE course_feedback (
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    student_id uuid NOT NULL REFERENCES users (id),
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (course_id, student_id)
);
CREATE INDEX course_feedback_list ON course_feedback (course_id, updated_at DESC, student_id);

-- Staff feedback to one student of a course.
CREATE TABLE student_feedback (
    id         uuid PRIMARY KEY,
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    student_id uuid NOT NULL REFERENCES users (id),
    author_id  uuid NOT NULL REFERENCES users (id),
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE INDEX student_feedback_student ON student_feedback (student_id, created_at DESC, id);
