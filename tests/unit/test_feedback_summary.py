"""Feedback summaries: themes, representative comments, and the same answer every time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from server.domain.feedback_summary import Comment, fold, summarize, textrank

T0 = datetime(2026, 1, 1, tzinfo=UTC)

COMMENTS = [
    (5, "Los ejemplos prácticos son excelentes."),
    (4, "Buenos ejemplos prácticos; las tareas largas cansan."),
    (2, "Tareas largas y poco tiempo para entregar."),
    (4, "Great practical examples, but the deadlines were tight."),
    (3, "Tight deadlines every week."),
    (5, "Me encantó el ejemplo práctico de la semana tres."),
    (1, ""),
]


def comments(items=COMMENTS) -> list[Comment]:
    return [
        Comment(text, rating, T0 + timedelta(hours=i)) for i, (rating, text) in enumerate(items)
    ]


def test_counts_and_distribution():
    s = summarize(comments())
    assert (s.count, s.commented, s.average) == (7, 6, 3.43)
    assert s.distribution == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2}


def test_themes_are_recurring_phrases_without_stop_words():
    themes = summarize(comments()).themes
    terms = [t.term for t in themes]
    # "ejemplos prácticos" (3 comments, the singular folded in) leads; its words do not repeat.
    assert terms[0] == "ejemplos prácticos" and themes[0].comments == 3
    assert "tareas largas" in terms
    # "deadlines were tight" and "tight deadlines": the words recur, the phrase does not.
    assert {"tight", "deadlines"} <= set(terms) and "tight deadlines" not in terms
    assert "ejemplos" not in terms and "prácticos" not in terms
    assert not {"los", "las", "the", "but", "son", "para"} & set(terms)
    assert all(t.comments >= 2 for t in themes)  # a theme recurs


def test_the_same_comments_in_any_order_give_the_same_summary():
    first = summarize(comments()).model_dump()
    for seed in range(5):
        shuffled = comments()
        random.Random(seed).shuffle(shuffled)
        assert summarize(shuffled).model_dump() == first


def test_representative_comments_are_central_and_distinct():
    items = [
        (4, "Buenos ejemplos prácticos en cada clase."),
        (4, "Buenos ejemplos prácticos en cada clase."),  # the same words again
        (5, "Los ejemplos prácticos de cada clase ayudan."),
        (3, "Clase de ejemplos prácticos, bien."),
        (2, "El aula tenía frío."),
    ]
    reps = summarize(comments(items)).representative
    texts = [r.comment for r in reps]
    assert texts[0] == "Buenos ejemplos prácticos en cada clase."
    assert texts.count("Buenos ejemplos prácticos en cada clase.") == 1  # said twice, shown once
    assert reps[0].copies == 2
    assert "El aula tenía frío." not in texts  # it shares no word with the rest
    assert reps[0].centrality >= reps[-1].centrality


def test_textrank_ranks_the_hub_first_and_sums_to_one():
    hub = {"a": 0.6, "b": 0.6, "c": 0.529}
    spokes = [{"a": 1.0}, {"b": 1.0}, {"c": 1.0}, {"z": 1.0}]
    rank = textrank([hub, *spokes])
    assert max(range(5), key=rank.__getitem__) == 0
    assert abs(sum(rank) - 1.0) < 1e-9
    # Written by three people, a spoke rises above its like; the ranks still sum to one.
    weighted = textrank([hub, *spokes], [1, 3, 1, 1, 1])
    assert weighted[1] > rank[1] and weighted[1] > 2 * weighted[2]
    assert abs(sum(weighted) - 1.0) < 1e-9


def test_copies_weigh_like_separate_comments():
    """Two identical nodes and one node with copies=2 give the copies the same total rank."""
    a, b, c = {"x": 0.8, "y": 0.6}, {"y": 1.0}, {"x": 1.0}
    separate = textrank([a, a, b, c])
    merged = textrank([a, b, c], [2, 1, 1])
    assert abs((separate[2] / separate[3]) - (merged[1] / merged[2])) < 0.2
    assert merged[0] > merged[1] and separate[0] + separate[1] > separate[2]


def test_nothing_to_summarise():
    s = summarize([])
    assert (s.count, s.average, s.themes, s.representative) == (0, None, [], [])


def test_folding_ignores_case_and_accents():
    assert fold("PRÁCTICO") == fold("practico") == "practico"
    assert fold("Año") == "ano"
