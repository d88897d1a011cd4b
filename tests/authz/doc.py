"""Renders docs/authorization.md from the table: `python -m tests.authz.doc` writes it, and
tests/test_authorization_matrix.py fails while the committed file differs."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from tests.authz import world
from tests.authz.model import HEADINGS, ROLES, Row
from tests.authz.table import ROWS, SECTIONS
from tests.authz.targets import Targets

PATH = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"

INTRO = """\
# Authorization

Who may call what: every route of the API and every Socket.IO event, as each kind of caller.
This file is generated from the table in `tests/authz/table_*.py`
(`python -m tests.authz.doc`); `tests/test_authorization_matrix.py` fails when a route or an
event has no row, when this file is not the table, and when any cell does not hold against the
app (it calls every cell: each route as each caller over HTTP, each event on a real socket).

A cell is `✓` when the caller is served (any 2xx, or an `ok` acknowledgement), otherwise the
status and the error `code` the caller gets (on a socket, the code of the refused connection or
of the acknowledgement).

Where one assistant permission (`edit_content`, `grade`, `communicate`) decides a route, it is
named under the route, and the two assistant columns are cast around it.
"""


def cell(row: Row, role: str) -> str:
    outcome = row.outcomes[role]
    return "✓" if outcome.served else f"{outcome.text()}"


def route_cell(row: Row) -> str:
    name = f"`{row.path}`" if row.method == "EVENT" else f"`{row.method} {row.path}`"
    extra = [f"({row.permission})"] if row.permission else []
    if row.note:
        extra.append(row.note)
    return " ".join([name, *extra])


def _doc_of(obj: object) -> str:
    return " ".join(inspect.getdoc(obj).split())  # type: ignore[union-attr]


def render() -> str:
    lines = [INTRO, "## Callers", ""]
    roles = inspect.getdoc(world).split("\n\n", 1)[1]  # type: ignore[union-attr]
    lines += [roles, ""]
    used = {row.target for row in ROWS}
    lines += ["## Targets", "", "What a row acts on (made through the API before it is called).",
              ""]  # fmt: skip
    for name in sorted(used):
        lines.append(f"- `{name}`: {_doc_of(getattr(Targets, name))}")
    header = "| route | target | " + " | ".join(HEADINGS[r] for r in ROLES) + " |"
    rule = "|" + " --- |" * (len(ROLES) + 2)
    for section in SECTIONS:
        lines += ["", f"## {section.TITLE}", "", _doc_of(section), ""]
        lines += [header, rule]
        for row in section.ROWS:
            cells = " | ".join(cell(row, r) for r in ROLES)
            lines.append(f"| {route_cell(row)} | `{row.target}` | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PATH.write_text(render())
    print(f"wrote {PATH} ({len(ROWS)} rows)", file=sys.stderr)
