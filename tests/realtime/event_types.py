"""Every event type the server can record, read from its source.

Events are built by `server.domain.events.event(type, ...)` (or `DomainEvent(type=...)`), often
through helpers that pass the type along (`record_change(conn, m, "module.changed", ...)`,
`assignment_event("assignment.created", row, now)`). Starting from those constructors, a type
that is a string literal is collected; one that is a parameter of the enclosing function is
followed to every call of that function, as deep as it goes. Anything else (a variable, an
f-string) cannot be read statically and is reported, so a new event never goes unnoticed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import server

ROOTS = {"event": ("type", 0), "DomainEvent": ("type", 0)}


@dataclass
class Found:
    types: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)  # "file:line: what"


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _argument(call: ast.Call, keyword: str, index: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    return None


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(), str(path))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while (node := self.parents.get(node)) is not None:  # type: ignore[assignment]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def calls(self, name: str) -> list[ast.Call]:
        return [n for n in ast.walk(self.tree) if isinstance(n, ast.Call) and _name(n.func) == name]


def recorded_event_types(package: Path | None = None) -> Found:
    root = package or Path(server.__file__).parent
    modules = [_Module(p) for p in sorted(root.rglob("*.py"))]
    found = Found()
    done: set[tuple[str, str, int]] = set()
    todo = [(name, kw, i) for name, (kw, i) in ROOTS.items()]
    while todo:
        name, keyword, index = todo.pop()
        if (name, keyword, index) in done:
            continue
        done.add((name, keyword, index))
        for module in modules:
            for call in module.calls(name):
                arg = _argument(call, keyword, index)
                where = f"{module.path.relative_to(root.parent)}:{call.lineno}"
                if arg is None:
                    found.unreadable.append(f"{where}: {name}() without a type")
                    continue
                for value in _alternatives(arg):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.types.add(value.value)
                    elif isinstance(value, ast.Name) and (
                        param := _parameter(module.enclosing_function(call), value.id)
                    ):
                        todo.append(param)
                    else:
                        found.unreadable.append(f"{where}: {ast.unparse(value)}")
    return found


def _alternatives(arg: ast.expr) -> list[ast.expr]:
    if isinstance(arg, ast.IfExp):
        return _alternatives(arg.body) + _alternatives(arg.orelse)
    return [arg]


def _parameter(
    func: ast.FunctionDef | ast.AsyncFunctionDef | None, name: str
) -> tuple[str, str, int] | None:
    """(function, parameter name, positional index) when `name` is one of its parameters."""
    if func is None:
        return None
    positional = [a.arg for a in func.args.posonlyargs + func.args.args]
    if name in positional:
        index = positional.index(name)
        if positional and positional[0] in ("self", "cls"):
            index -= 1  # called as a method: the instance is not among the call's arguments
        return func.name, name, index
    if name in [a.arg for a in func.args.kwonlyargs]:
        return func.name, name, 10_000  # keyword only
    return None
