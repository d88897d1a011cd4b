-- The course forum: threads (a question and its state), posts (the question and its answers),
-- votes, edit history and followers. See docs/forum.md.

-- Search ignores accents. `unaccent` (contrib) folds every accented letter; where it is not
-- installed (the embedded pgserver ships without it, a managed Postgres may refuse it) a
-- translate() over the Latin letters Spanish and English use stands in. Both are wrapped in one
-- IMMUTABLE function, so the stored search vectors and the queries fold the same way.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'unaccent is not available (%): forum search folds accents with translate()',
        SQLERRM;
END
$$;

CREATE FUNCTION forum_fold_latin(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(translate(t,
        'ÁÀÂÄÃÅáàâäãåÉÈÊËéèêëÍÌÎÏíìîïÓÒÔÖÕóòôöõÚÙÛÜúùûüÑñÇçÝýÿ',
        'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuNnCcYyy'))
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
        CREATE FUNCTION forum_fold(t text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS 'SELECT lower(public.unaccent(''public.unaccent''::regdictionary, t))';
    ELSE
        CREATE FUNCTION forum_fold(t text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS 'SELECT forum_fold_latin(t)';
    END IF;
END
$$;

-- Spanish and English stems side by side: a post is found by the words of either language.
-- Spanish is stemmed twice, as written (then folded: the stemmer knows "-ción" only with its
-- accent) and folded (for words written without their accents), so "instalación" and
-- "instalacion" find each other in the document and in the query alike.
CREATE FUNCTION forum_lexemes(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT forum_fold(to_tsvector('spanish', t)::text)::tsvector
        || to_tsvector('spanish', forum_fold(t))
        || to_tsvector('english', forum_fold(t))
$$;

CREATE FUNCTION forum_document(title text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(forum_lexemes(coalesce(title, '')), 'A')
        || setweight(forum_lexemes(body), 'B')
$$;

-- The same three readings of the query, each once (they often coincide), OR-ed.
CREATE FUNCTION forum_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || v::text || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(ARRAY[
        forum_fold(websearch_to_tsquery('spanish', q)::text)::tsquery,
        websearch_to_tsquery('spanish', forum_fold(q)),
        websearch_to_tsquery('english', forum_fold(q))
    ]) v
    WHERE numnode(v) > 0
$$;

CREATE TABLE forum_threads (
    id                 uuid PRIMARY KEY,  -- also the id of its question (a post)
    course_id          uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_id          uuid REFERENCES course_modules (id) ON DELETE SET NULL,
    author_id          uuid NOT NULL REFERENCES users (id),
    private            boolean NOT NULL DEFAULT false,  -- the course's staff and the author only
    tags               text[] NOT NULL DEFAULT '{}',
    pinned             boolean NOT NULL DEFAULT false,
    locked             boolean NOT NULL DEFAULT false,
    accepted_answer_id uuid,
    answer_count       integer NOT NULL DEFAULT 0 CHECK (answer_count >= 0),  -- live answers
    score              integer NOT NULL DEFAULT 0,  -- the question's, kept here for sort=votes
    last_activity_at   timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    deleted_at         timestamptz  -- the question's tombstone, kept here for the list's indexes
);
-- The list's keyset orders (pinned first), one per sort.
CREATE INDEX forum_threads_activity ON forum_threads
    (course_id, pinned DESC, last_activity_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX forum_threads_recent ON forum_threads
    (course_id, pinned DESC, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX forum_threads_votes ON forum_threads
    (course_id, pinned DESC, score DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE forum_posts (
    id            uuid PRIMARY KEY,
    thread_id     uuid NOT NULL REFERENCES forum_threads (id) ON DELETE CASCADE,
    course_id     uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('question', 'answer')),
    author_id     uuid NOT NULL REFERENCES users (id),
    anonymous     boolean NOT NULL DEFAULT false,  -- to classmates; staff see the author
    title         text,
    body          text NOT NULL,  -- Markdown, as written; rendered and sanitised when read
    upvotes       integer NOT NULL DEFAULT 0 CHECK (upvotes >= 0),
    downvotes     integer NOT NULL DEFAULT 0 CHECK (downvotes >= 0),
    endorsed_by   uuid REFERENCES users (id),
    endorsed_at   timestamptz,
    version       integer NOT NULL DEFAULT 1,  -- earlier versions are in forum_post_versions
    edited_by     uuid REFERENCES users (id),
    edited_at     timestamptz,
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz,  -- a tombstone: the row stays, readers see the reason
    deleted_by    uuid REFERENCES users (id),
    delete_reason text,
    search        tsvector GENERATED ALWAYS AS (forum_document(title, body)) STORED,
    CHECK ((kind = 'question') = (title IS NOT NULL)),
    CHECK (kind = 'answer' OR id = thread_id)
);
CREATE INDEX forum_posts_thread ON forum_posts (thread_id, created_at, id);
CREATE INDEX forum_posts_search ON forum_posts USING gin (search) WHERE deleted_at IS NULL;
-- The posting rate limit counts a user's recent posts.
CREATE INDEX forum_posts_author ON forum_posts (author_id, created_at);
-- Each member's latest post in a course (analytics' last activity, students at risk).
CREATE INDEX forum_posts_course_author ON forum_posts (course_id, author_id, created_at);

ALTER TABLE forum_threads ADD FOREIGN KEY (accepted_answer_id)
    REFERENCES forum_posts (id) ON DELETE SET NULL;

-- One vote per user and post: the primary key holds it whatever the requests race.
CREATE TABLE forum_votes (
    post_id  uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id),
    value    smallint NOT NULL CHECK (value IN (-1, 1)),
    voted_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

-- The versions a post had before each edit (the current one is on the post).
CREATE TABLE forum_post_versions (
    post_id    uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    title      text,
    body       text NOT NULL,
    written_by uuid NOT NULL REFERENCES users (id),
    written_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, version)
);

CREATE TABLE forum_follows (
    thread_id uuid NOT NULL REFERENCES forum_threads (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id),
    since     timestamptz NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
