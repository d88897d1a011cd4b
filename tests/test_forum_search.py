"""Forum search: Spanish and English, accents ignored either way, titles ranked above bodies,
answers searched too (not deleted ones), paged with cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.settings import Settings
from tests.course_helpers import API
from tests.forum_helpers import answer, ask, forum, listing


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.forum_post_limit = 100
    return settings


async def search(client, f, q: str, **query) -> list[str]:
    page = await listing(client, f.student, f.course_id, q=q, **query)
    return [t["title"] for t in page["items"]]


async def test_search_ignores_accents_ranks_titles_first_and_reads_answers(client, users, clock):
    f = await forum(client, users)
    posts = [
        ("Instalación de Python", "Los pasos, uno por uno."),
        ("Dudas varias", "La instalacion fallo en mi maquina."),
        ("Canción del curso", "Nada que ver."),
        ("Installing packages", "pip install fails on Windows"),
        ("Error raro", "No anda nada."),
        ("Otra pregunta", "Sobre el examen final."),
    ]
    made = {}
    for title, body in posts:
        clock.advance(timedelta(seconds=1))
        made[title] = await ask(client, f.student, f.course_id, title=title, body=body)
    await answer(client, f.classmate, made["Error raro"]["id"], body="Es el compilador, seguro.")
    gone = await answer(client, f.classmate, made["Otra pregunta"]["id"], body="Un tema secreto")
    resp = await client.delete(f"{API}/forum/answers/{gone['id']}", headers=f.classmate.headers)
    assert resp.status == 204

    for q in ("instalacion", "instalación", "INSTALACIÓN", "instalaciones"):
        found = await search(client, f, q)
        # The title outranks the body; with its accent the word also meets its English
        # cognate's stem ("installing": instal), which is fair.
        assert found[0] == "Instalación de Python" and found[-1] == "Dudas varias", q
        assert set(found) <= {"Instalación de Python", "Dudas varias", "Installing packages"}
    assert await search(client, f, "cancion") == ["Canción del curso"]
    assert await search(client, f, "canción curso") == ["Canción del curso"]
    assert await search(client, f, "failing package") == ["Installing packages"]  # English stems
    assert await search(client, f, "compilador") == ["Error raro"]  # found by its answer
    assert await search(client, f, "secreto") == []  # a deleted answer is not searched
    assert sorted(await search(client, f, "python OR canción")) == [
        "Canción del curso",
        "Instalación de Python",
    ]
    assert await search(client, f, "zzzz") == []
    # Search combines with the other filters and sorts.
    assert await search(client, f, "instalacion", sort="recent") == [
        "Dudas varias",
        "Instalación de Python",
    ]
    assert await search(client, f, "instalacion", unanswered="true") == [
        "Instalación de Python",
        "Dudas varias",
    ]


async def test_search_results_page_with_cursors_in_rank_order(client, users, clock):
    f = await forum(client, users)
    for i in range(7):
        clock.advance(timedelta(seconds=1))
        body = "álgebra " * (i + 1) + "y nada más"  # more mentions rank higher
        await ask(client, f.student if i % 2 else f.classmate, f.course_id, title=f"Tema {i}",
                  body=body)  # fmt: skip
    full = await search(client, f, "algebra")
    assert full == [f"Tema {i}" for i in reversed(range(7))]
    seen, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = await listing(client, f.student, f.course_id, q="algebra", limit=3, **extra)
        seen += [t["title"] for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == full
