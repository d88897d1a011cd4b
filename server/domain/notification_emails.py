"""Notification emails and push texts, Spanish by default and English by locale.

Each email is built once as a list of blocks (paragraphs, headed lists) and both its HTML and
its text part are rendered from that list, so the two can never disagree.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from server.domain.emails import RenderedEmail

_TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "digest_subject": "Tu resumen diario de ClassConnect ({n})",
        "digest_intro": "Esto es lo que pasó en tus cursos:",
        "summary_subject": "Tenés {n} notificaciones nuevas en ClassConnect",
        "summary_intro": "Mientras estaban en pausa tus notificaciones llegó esto:",
        "no_course": "General",
        "footer": "Podés elegir qué recibís y cómo en las preferencias de la app.",
        "push_summary_title": "ClassConnect",
        "push_summary_body": "Tenés {n} notificaciones nuevas",
    },
    "en": {
        "digest_subject": "Your ClassConnect daily digest ({n})",
        "digest_intro": "Here is what happened in your courses:",
        "summary_subject": "You have {n} new ClassConnect notifications",
        "summary_intro": "This arrived while your notifications were paused:",
        "no_course": "General",
        "footer": "Choose what you receive, and how, in the app's preferences.",
        "push_summary_title": "ClassConnect",
        "push_summary_body": "You have {n} new notifications",
    },
}


def texts(locale: str) -> dict[str, str]:
    return _TEXTS.get(locale, _TEXTS["es"])


@dataclass(frozen=True)
class Item:
    title: str
    body: str
    course: str | None = None  # the course's name, for grouping


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Section:
    heading: str
    items: Sequence[Item]


Block = Paragraph | Section


def _item_text(item: Item) -> str:
    return f"{item.title}: {item.body}" if item.body else item.title


def render_blocks(subject: str, blocks: Sequence[Block]) -> RenderedEmail:
    text_parts: list[str] = []
    html_parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            text_parts.append(block.text)
            html_parts.append(f"<p>{html.escape(block.text)}</p>")
        else:
            text_parts.append(
                "\n".join([block.heading, *(f"- {_item_text(i)}" for i in block.items)])
            )
            lis = "".join(
                f"<li><strong>{html.escape(i.title)}</strong>"
                + (f" {html.escape(i.body)}" if i.body else "")
                + "</li>"
                for i in block.items
            )
            html_parts.append(f"<h2>{html.escape(block.heading)}</h2><ul>{lis}</ul>")
    page = f"<!doctype html><html><body>{''.join(html_parts)}</body></html>"
    return RenderedEmail(subject=subject, text="\n\n".join(text_parts) + "\n", html=page)


def single(locale: str, item: Item) -> RenderedEmail:
    blocks: list[Block] = [Paragraph(p) for p in (item.body,) if p]
    return render_blocks(item.title, [*blocks, Paragraph(texts(locale)["footer"])])


def by_course(locale: str, items: Sequence[Item]) -> list[Section]:
    """Items grouped by course name (in order of first appearance); no course is 'General'."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.course or texts(locale)["no_course"], []).append(item)
    return [Section(heading, group) for heading, group in groups.items()]


def digest(locale: str, items: Sequence[Item]) -> RenderedEmail:
    t = texts(locale)
    return render_blocks(
        t["digest_subject"].format(n=len(items)),
        [Paragraph(t["digest_intro"]), *by_course(locale, items), Paragraph(t["footer"])],
    )


def summary(locale: str, items: Sequence[Item]) -> RenderedEmail:
    """What quiet hours held, as one email."""
    t = texts(locale)
    return render_blocks(
        t["summary_subject"].format(n=len(items)),
        [Paragraph(t["summary_intro"]), *by_course(locale, items), Paragraph(t["footer"])],
    )


def push_summary(locale: str, count: int) -> tuple[str, str]:
    t = texts(locale)
    return t["push_summary_title"], t["push_summary_body"].format(n=count)
