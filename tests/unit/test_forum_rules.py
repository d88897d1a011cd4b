"""The forum's rules without I/O: access, what a reader sees, deletions, the rate limit,
mentions and the Markdown rendering."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.domain import forum_access as rules
from server.domain.course_access import CourseRole, Membership, MemberStatus
from server.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from server.domain.forum import ThreadQuery, ThreadUpdate
from server.domain.forum_mentions import mentioned, newly_mentioned
from server.markdown import render

OWNER = Membership(CourseRole.owner, MemberStatus.active)
ASSISTANT = Membership(CourseRole.assistant, MemberStatus.active)
STUDENT = Membership(CourseRole.student, MemberStatus.active)
APPROVED = Membership(CourseRole.student, MemberStatus.approved)
REMOVED = Membership(CourseRole.student, MemberStatus.removed)
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_private_threads_exist_only_for_staff_and_their_author():
    for m in (OWNER, ASSISTANT):
        rules.require_thread_visible(m, private=True, own=False)
    rules.require_thread_visible(STUDENT, private=True, own=True)
    rules.require_thread_visible(APPROVED, private=False, own=False)
    with pytest.raises(NotFound):
        rules.require_thread_visible(STUDENT, private=True, own=False)
    for m in (None, REMOVED):
        with pytest.raises(PermissionDenied):
            rules.require_thread_visible(m, private=False, own=False)
        with pytest.raises(PermissionDenied):  # even their own: they left the course
            rules.require_thread_visible(m, private=True, own=True)


def test_authors_and_staff_edit_and_delete_staff_say_why():
    rules.require_author_or_moderator(STUDENT, own=True, action="edit")
    rules.require_author_or_moderator(ASSISTANT, own=False, action="edit")
    with pytest.raises(PermissionDenied):
        rules.require_author_or_moderator(STUDENT, own=False, action="edit")
    with pytest.raises(PermissionDenied):
        rules.require_author_or_moderator(REMOVED, own=True, action="edit")
    assert rules.deletion_by(STUDENT, own=True, reason=None) == "author"
    assert rules.deletion_by(OWNER, own=True, reason=None) == "author"
    assert rules.deletion_by(OWNER, own=False, reason="Spam") == "moderator"
    with pytest.raises(InvalidInput) as refused:
        rules.deletion_by(ASSISTANT, own=False, reason=None)
    assert refused.value.code == "reason_required"


def test_posting_checks():
    rules.check_anonymous(STUDENT, True)
    rules.check_anonymous(OWNER, False)
    for m in (OWNER, ASSISTANT):
        with pytest.raises(InvalidInput):
            rules.check_anonymous(m, True)
    with pytest.raises(InvalidInput) as own:
        rules.check_vote(own=True)
    assert own.value.code == "own_post"
    with pytest.raises(Conflict) as locked:
        rules.check_open(locked=True)
    assert locked.value.code == "thread_locked"
    with pytest.raises(Conflict):
        rules.check_live(NOW)


def test_readers_see_anonymous_authors_only_when_staff_or_the_author():
    author = uuid.uuid4()
    classmate = rules.reader_of(uuid.uuid4(), STUDENT)
    assert not classmate.shows_author(author_id=author, anonymous=True)
    assert classmate.shows_author(author_id=author, anonymous=False)
    assert rules.reader_of(author, STUDENT).shows_author(author_id=author, anonymous=True)
    assert rules.reader_of(uuid.uuid4(), ASSISTANT).shows_author(author_id=author, anonymous=True)
    assert not rules.CLASSMATE.shows_author(author_id=author, anonymous=True)
    assert rules.STAFF_AND_AUTHOR.shows_author(author_id=author, anonymous=True)
    assert not classmate.shows_deleted_body() and rules.STAFF_AND_AUTHOR.shows_deleted_body()


def test_the_rate_limit_frees_when_the_oldest_counted_post_leaves_the_window():
    limit = rules.PostingLimit(posts=3, window=timedelta(minutes=5))
    rules.check_rate([NOW - timedelta(minutes=4)] * 2, now=NOW, limit=limit)
    recent = [NOW - timedelta(minutes=4), NOW - timedelta(minutes=1), NOW]
    with pytest.raises(RateLimited) as limited:
        rules.check_rate(recent, now=NOW, limit=limit)
    assert limited.value.retry_after == 60
    with pytest.raises(RateLimited) as limited:  # more than the limit: the window's newest 3
        rules.check_rate([NOW - timedelta(minutes=4), *recent[1:], NOW], now=NOW, limit=limit)
    assert limited.value.retry_after == 240


def test_mentions_match_the_longest_member_name_ignoring_case_and_accents():
    ana, ana_maria, beto, anabel = (uuid.uuid4() for _ in range(4))
    members = {ana: "Ana", ana_maria: "Ana María López", beto: "Beto", anabel: "Anabel"}
    assert mentioned("hola @ana maria lópez y @BETO.", members) == {ana_maria, beto}
    assert mentioned("@Ana, @Anabel", members) == {ana, anabel}
    assert mentioned("@Ana\n   María López", members) == {ana_maria}
    assert mentioned("mail ana@beto.org or @@beto or @Betoven", members) == set()
    assert mentioned("no mentions", members) == set()
    twins = {uuid.uuid4(): "Sam", uuid.uuid4(): "Sam"}
    assert mentioned("@sam", twins) == set(twins)
    crowd = {uuid.uuid4(): f"User {i}" for i in range(40)}
    assert len(mentioned(" ".join(f"@User {i}" for i in range(40)), crowd)) == 20
    assert newly_mentioned("@Beto", "@Beto @Ana", members) == {ana}
    assert newly_mentioned(None, "@Beto", members) == {beto}


def test_update_and_query_models():
    assert ThreadUpdate(pinned=True, body="x").moderation() == {"pinned"}
    assert ThreadUpdate(tags=["A", "a", "b"]).tags == ["a", "b"]
    with pytest.raises(ValueError):
        ThreadUpdate()
    with pytest.raises(ValueError):
        ThreadUpdate(title=None)
    assert ThreadUpdate(module_id=None).model_fields_set == {"module_id"}
    assert ThreadQuery(q="x").effective_sort() == "relevance"
    assert ThreadQuery().effective_sort() == "activity"
    assert ThreadQuery(q="x", sort="votes").effective_sort() == "votes"


def test_markdown_renders_without_letting_markup_or_scripts_through():
    assert render("**hi** _there_") == "<p><strong>hi</strong> <em>there</em></p>\n"
    assert render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert "href" not in render("[x](javascript:alert(1))")
    assert "href" not in render("[x](data:text/html;base64,PHNjcmlwdD4=)")
    assert "src" not in render("![x](javascript:alert(1))")
    assert render("[x](https://a.org)") == (
        '<p><a href="https://a.org" rel="nofollow noopener noreferrer">x</a></p>\n'
    )
    assert render("```\n<b>code</b>\n```") == "<pre><code>&lt;b&gt;code&lt;/b&gt;\n</code></pre>\n"
