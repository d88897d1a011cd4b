"""Feedback summaries computed here, deterministically: no model, no service, nothing leaves.

Themes are the terms (words and two-word phrases) with the highest summed TF-IDF over the
comments, among those at least two comments share; representative comments are the most central
ones by TextRank (PageRank over the comments' cosine similarities). docs/analytics.md says why.
The same comments always give the same summary: comments are put in one order before any sum,
and every tie is broken by text.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from server.domain.course_feedback import distribution
from server.domain.stop_words import STOP_WORDS

THEMES = 8
REPRESENTATIVE = 3
TEXTRANK_LIMIT = 200  # the newest comments ranked; pairwise similarity is quadratic
DAMPING = 0.85
NEAR_DUPLICATE = 0.9  # a second comment this similar to a chosen one says nothing new
METHOD = "tfidf-themes+textrank-comments/v1"

_CLAUSES = re.compile(r"[.,;:!?¡¿()\[\]\"“”«»\n\r\t/]+")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Comment:
    text: str
    rating: int
    created_at: datetime


class MyFeedbackSummaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: uuid.UUID | None = Field(None, description="only this course's feedback")


class Theme(BaseModel):
    term: str = Field(description="A word or two-word phrase, as most often written")
    score: float = Field(description="Summed TF-IDF over the comments")
    comments: int = Field(description="Comments that mention it")


class RepresentativeComment(BaseModel):
    comment: str
    rating: int
    created_at: datetime
    copies: int = Field(description="Comments saying exactly this (case and accents aside)")
    centrality: float = Field(description="TextRank score (sums to 1 over ranked comments)")


class FeedbackSummary(BaseModel):
    count: int = Field(description="Ratings")
    average: float | None
    distribution: dict[str, int] = Field(description='Ratings per value, "1".."5"')
    commented: int = Field(description="Ratings with a non-empty comment")
    themes: list[Theme]
    representative: list[RepresentativeComment]
    method: str = METHOD


def fold(word: str) -> str:
    """Lower case without accents (ñ becomes n too: folding is for matching, not display)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _clauses(text: str) -> list[list[tuple[str, str]]]:
    """Per clause, the runs of (key, surface) content words; a stop word ends a run, so a
    phrase is only ever made of words that stood side by side."""
    out = []
    for clause in _CLAUSES.split(text):
        run: list[tuple[str, str]] = []
        for match in _WORD.finditer(clause):
            surface = match.group().lower()
            key = fold(surface)
            if len(key) < 3 or key in STOP_WORDS:
                if run:
                    out.append(run)
                run = []
            else:
                run.append((key, surface))
        if run:
            out.append(run)
    return out


def _merge_plurals(keys: set[str]) -> dict[str, str]:
    """profesores -> profesor, examples -> example, when the corpus has the singular too."""
    merged = {}
    for key in keys:
        for cut in (2, 1) if key.endswith("es") else (1,) if key.endswith("s") else ():
            if len(key) - cut >= 3 and key[:-cut] in keys:
                merged[key] = key[:-cut]
                break
    return merged


@dataclass
class _Doc:
    comment: Comment
    terms: Counter[str]  # unigrams and bigrams, by key
    words: Counter[str]  # unigrams only (for similarity)


def _documents(comments: Sequence[Comment]) -> tuple[list[_Doc], dict[str, str]]:
    parsed = [(c, _clauses(c.text)) for c in comments]
    keys = {k for _, runs in parsed for run in runs for k, _ in run}
    plural = _merge_plurals(keys)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    docs = []
    for c, runs in parsed:
        terms: Counter[str] = Counter()
        words: Counter[str] = Counter()
        for run in runs:
            norm = [(plural.get(k, k), s) for k, s in run]
            for k, s in norm:
                words[k] += 1
                surfaces[k][s] += 1
            for (k1, s1), (k2, s2) in pairwise(norm):
                surfaces[f"{k1} {k2}"][f"{s1} {s2}"] += 1
                terms[f"{k1} {k2}"] += 1
        terms.update(words)
        if words:
            docs.append(_Doc(c, terms, words))
    # The most common way of writing each term; ties go to the first in alphabetical order.
    shown = {k: min(v.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, v in surfaces.items()}
    return docs, shown


def _idf(docs: Sequence[_Doc], attr: str) -> tuple[dict[str, float], Counter[str]]:
    df: Counter[str] = Counter()
    for d in docs:
        df.update(getattr(d, attr).keys())
    n = len(docs)
    return {t: math.log((1 + n) / (1 + f)) + 1 for t, f in df.items()}, df


def themes(docs: Sequence[_Doc], shown: dict[str, str], limit: int = THEMES) -> list[Theme]:
    idf, df = _idf(docs, "terms")
    score: dict[str, float] = defaultdict(float)
    for d in docs:
        length = sum(d.words.values())
        for t, f in sorted(d.terms.items()):
            score[t] += f / length * idf[t]
    least = 2 if len(docs) >= 2 else 1  # a theme recurs
    ranked = sorted((t for t in score if df[t] >= least), key=lambda t: (-round(score[t], 9), t))
    chosen: list[str] = []
    for t in ranked:
        if len(chosen) == limit:
            break
        # A word adds nothing beside a chosen phrase it is part of and no more frequent than.
        parts = t.split(" ")
        covered = any(
            len(parts) == 1 and t in c.split(" ") and df[t] <= df[c] for c in chosen if " " in c
        )
        if not covered:
            chosen = [c for c in chosen if not (" " in t and c in parts and df[c] <= df[t])]
            chosen.append(t)
    return [Theme(term=shown[t], score=round(score[t], 4), comments=df[t]) for t in chosen]


def _vectors(docs: Sequence[_Doc]) -> list[dict[str, float]]:
    idf, _ = _idf(docs, "words")
    out = []
    for d in docs:
        v = {w: f * idf[w] for w, f in sorted(d.words.items())}
        norm = math.sqrt(sum(x * x for x in v.values()))
        out.append({w: x / norm for w, x in v.items()})
    return out


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b[w] for w, x in a.items() if w in b)


def textrank(
    vectors: Sequence[dict[str, float]], copies: Sequence[int] | None = None, iterations: int = 100
) -> list[float]:
    """PageRank over the comments' cosine similarities (TextRank). `copies[i]`: how many
    identical comments node i stands for; it weighs as if each copy were a node (its share of
    the random jump and of every neighbour's rank grows with it)."""
    n = len(vectors)
    m = list(copies or [1] * n)
    total = sum(m)
    out_sum = [0.0] * n
    edges: list[tuple[int, int, float]] = []
    for i in range(n):
        for j in range(i + 1, n):
            w = _cosine(vectors[i], vectors[j])
            if w > 0:
                edges.append((i, j, w))
                out_sum[i] += w * m[j]
                out_sum[j] += w * m[i]
    # incoming[i]: (j, share of j's rank that flows to i)
    incoming: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, j, w in edges:
        incoming[i].append((j, w * m[i] / out_sum[j]))
        incoming[j].append((i, w * m[j] / out_sum[i]))
    rank = [c / total for c in m]
    for _ in range(iterations):
        # A comment sharing no word with any other passes its rank to everyone alike.
        dangling = DAMPING * sum(rank[j] for j in range(n) if not out_sum[j]) / total
        new = [
            ((1 - DAMPING) / total + dangling) * m[i]
            + DAMPING * sum(share * rank[j] for j, share in incoming[i])
            for i in range(n)
        ]
        done = max(abs(a - b) for a, b in zip(new, rank, strict=True)) < 1e-12
        rank = new
        if done:
            break
    return rank


def _same_text(text: str) -> str:
    return " ".join(fold(text).split())


def representative(
    docs: Sequence[_Doc], limit: int = REPRESENTATIVE
) -> list[RepresentativeComment]:
    """Identical comments ("Excelente") are one node with its number of copies, so a course of
    thousands costs what its distinct comments cost; the newest TEXTRANK_LIMIT are ranked."""
    groups: dict[str, list[_Doc]] = {}
    last_seen: dict[str, int] = {}
    for index, d in enumerate(docs):  # oldest first: a group is shown by its first comment
        key = _same_text(d.comment.text)
        groups.setdefault(key, []).append(d)
        last_seen[key] = index
    pool = [groups[k] for k in sorted(groups, key=last_seen.__getitem__)[-TEXTRANK_LIMIT:]]
    if not pool:
        return []
    vectors = _vectors([g[0] for g in pool])
    rank = textrank(vectors, [len(g) for g in pool])
    order = sorted(
        range(len(pool)),
        key=lambda i: (-round(rank[i], 12), pool[i][0].comment.created_at, pool[i][0].comment.text),
    )
    picked: list[int] = []
    for i in order:
        if len(picked) == limit:
            break
        if all(_cosine(vectors[i], vectors[j]) < NEAR_DUPLICATE for j in picked):
            picked.append(i)
    return [
        RepresentativeComment(
            comment=pool[i][0].comment.text,
            rating=pool[i][0].comment.rating,
            created_at=pool[i][0].comment.created_at,
            copies=len(pool[i]),
            centrality=round(rank[i], 4),
        )
        for i in picked
    ]


def summarize(comments: Sequence[Comment]) -> FeedbackSummary:
    ordered = sorted(comments, key=lambda c: (c.created_at, c.text, c.rating))
    total, average, dist = distribution(Counter(c.rating for c in ordered))
    docs, shown = _documents([c for c in ordered if c.text.strip()])
    return FeedbackSummary(
        count=total,
        average=average,
        distribution=dist,
        commented=sum(1 for c in ordered if c.text.strip()),
        themes=themes(docs, shown),
        representative=representative(docs),
    )
