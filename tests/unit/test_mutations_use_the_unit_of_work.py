"""Every write in a use case goes through the unit of work, read from the source.

A use case that opened its own write transaction, appended to the outbox itself, or called a
writing store function on a connection it acquired outside the unit of work would commit a
change nobody audited. These checks fail on the first such line, naming it.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "server" / "services"
STORES = ROOT / "server" / "stores"

# Modules that own a transaction by design: the unit of work itself, the relay (it moves
# committed rows out of the outbox; it changes nothing anyone did), and the durable consumers'
# batch (it reacts to audited changes; its writes commit with its offset).
INFRASTRUCTURE = {"unit_of_work.py", "relay.py", "consumers.py"}
# Functions allowed their own short write transaction, and why.
EXEMPT_FUNCTIONS = {
    # Rate-limit counters must commit even when the request then fails, and are bookkeeping
    # rather than a change someone made; the attempts that change state are audited.
    ("accounts_env.py", "rate_limit"),
}
# SQL that writes. "FOR UPDATE" locks rows in a read, so it does not count.
_WRITE_SQL = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I)


def _service_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SERVICES.glob("*.py")):
        if path.name not in INFRASTRUCTURE:
            yield path.name, ast.parse(path.read_text(), filename=str(path))


def _functions(tree: ast.Module) -> Iterator[ast.AsyncFunctionDef | ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            yield node


def _writing_store_functions() -> dict[str, set[str]]:
    """Store module -> the functions whose SQL writes."""
    out: dict[str, set[str]] = {}
    for path in STORES.glob("*.py"):
        tree = ast.parse(path.read_text())
        for fn in tree.body:
            if not isinstance(fn, ast.AsyncFunctionDef):
                continue
            sql = " ".join(
                n.value
                for n in ast.walk(fn)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            if _WRITE_SQL.search(sql):
                out.setdefault(path.stem, set()).add(fn.name)
    return out


def _store_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> store module, from `from server.stores import x [as y]`."""
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "server.stores":
            for name in node.names:
                aliases[name.asname or name.name] = name.name
    return aliases


def _is_readonly_transaction(call: ast.Call) -> bool:
    return any(
        k.arg == "readonly" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _acquire_blocks(fn: ast.AST) -> Iterator[ast.AsyncWith]:
    """`async with <pool>.acquire() as conn` blocks: a connection outside the unit of work."""
    for node in ast.walk(fn):
        if isinstance(node, ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "acquire"
                ):
                    yield node


def transaction_violations() -> list[str]:
    found = []
    for name, tree in _service_modules():
        for fn in _functions(tree):
            if (name, fn.name) in EXEMPT_FUNCTIONS:
                continue
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "transaction"
                    and not _is_readonly_transaction(node)
                ):
                    found.append(f"{name}:{node.lineno} {fn.name} opens a write transaction")
    return found


def outbox_violations() -> list[str]:
    found = []
    for name, tree in _service_modules():
        if "outbox" in _store_aliases(tree).values():
            found.append(f"{name} imports server.stores.outbox")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "append"
                and isinstance(node.value, ast.Name)
                and node.value.id == "outbox"
            ):
                found.append(f"{name}:{node.lineno} calls outbox.append")
    return found


def write_outside_uow_violations() -> list[str]:
    writers = _writing_store_functions()
    found = []
    for name, tree in _service_modules():
        aliases = _store_aliases(tree)
        for fn in _functions(tree):
            if (name, fn.name) in EXEMPT_FUNCTIONS:
                continue
            for block in _acquire_blocks(fn):
                for node in ast.walk(block):
                    if not (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                    ):
                        continue
                    module = aliases.get(node.func.value.id)
                    if module is not None and node.func.attr in writers.get(module, ()):
                        found.append(
                            f"{name}:{node.lineno} {fn.name} writes with "
                            f"{module}.{node.func.attr} outside the unit of work"
                        )
    return found


def test_the_scan_knows_the_writing_store_functions():
    # Guards the guard: if the SQL pattern stopped matching, the checks below would pass empty.
    writers = _writing_store_functions()
    assert "insert" in writers["courses"] and "update" in writers["users"]
    assert "take_reset" not in writers["credentials"]  # SELECT ... FOR UPDATE only reads


def test_the_scan_sees_a_hand_made_write(tmp_path, monkeypatch):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from server.stores import outbox, users\n"
        "async def f(pool, conn):\n"
        "    async with pool.acquire() as conn, conn.transaction():\n"
        "        await users.update(conn, 1, now=None, name='x')\n"
        "        await outbox.append(conn, [])\n"
        "    async with pool.acquire() as conn, conn.transaction(readonly=True):\n"
        "        pass\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SERVICES", tmp_path)
    assert transaction_violations() == ["bad.py:3 f opens a write transaction"]
    assert outbox_violations() == [
        "bad.py imports server.stores.outbox",
        "bad.py:5 calls outbox.append",
    ]
    assert write_outside_uow_violations() == [
        "bad.py:4 f writes with users.update outside the unit of work",
        "bad.py:5 f writes with outbox.append outside the unit of work",
    ]


@pytest.mark.parametrize(
    "check", [transaction_violations, outbox_violations, write_outside_uow_violations]
)
def test_services_write_only_through_the_unit_of_work(check):
    assert check() == []
