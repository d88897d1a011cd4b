-- Each user's unread inbox count (the items themselves live in Mongo). The row is the lock
-- that puts a user's inbox changes in one order: the notifications consumer and the REST
-- mutations (read, read all, archive) take it before touching the user's items, so the
-- `notification.unread_count` events they record reach the user's stream in the order the
-- counts were taken, and the last one is always right.
CREATE TABLE notification_unread (
    user_id uuid PRIMARY KEY,
    unread  integer NOT NULL CHECK (unread >= 0)
);
