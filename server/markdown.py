"""Markdown as the forum shows it: rendered with raw HTML off, then sanitised.

Bodies are stored exactly as written and rendered when read. Two layers, so that neither alone
has to be perfect: markdown-it-py with `html` off turns any HTML in the text into visible,
escaped text and refuses `javascript:`/`vbscript:`/`data:` links; nh3 (Ammonia) then keeps only
the tags and attributes Markdown produces, with http(s)/mailto URLs, and marks every link
`nofollow`. Nothing a user writes reaches a reader as markup of its own.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
}

# Both are plain functions of their input (no I/O, no state between calls): built once.
_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener noreferrer",
    filter_style_properties={"text-align"},  # table column alignment, nothing else
    strip_comments=True,
)


def render(body: str) -> str:
    """Safe HTML for a Markdown body."""
    return _CLEANER.clean(_PARSER.render(body))
