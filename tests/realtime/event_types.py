"""Every event type the server can record, read from its source.

Every event is a `DomainEvent(type=...)`, mostly built by `server.domain.events.event(type, ...)`
and often through helpers that pass the type along (`record_change(conn, m, "module.changed",
...)`, `assignment_event("assignment.created", row, now)`). Starting from `DomainEvent`, a type
that is a string literal (or a module-level constant bound to one) is collected; one that is a
parameter of the enclosing function is followed to every call of that function, as deep as it
goes. Anything else (a variable, an f-string) cannot be read statically and is reported, so a
new event never goes unnoticed. A `DomainEvent` built with `streams=()` has no audience (audit
records, for their own consumer): its type is collected apart, as it never reaches a socket.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import server

ROOT = "DomainEvent"


@dataclass
class Found:
    types: set[str] = field(default_factory=set)  # recorded for an audience (streams)
    silent: set[str] = field(default_factory=set)  # recorded with streams=() only
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
    constants = _string_constants(modules)
    found, audience, silent = Found(), set(), set()
    done: set[tuple[str, str, int, bool]] = set()
    todo = [(ROOT, "type", 0, False)]
    while todo:
        item = todo.pop()
        if item in done:
            continue
        done.add(item)
        name, keyword, index, no_audience = item
        for module in modules:
            for call in module.calls(name):
                where = f"{module.path.relative_to(root.parent)}:{call.lineno}"
                quiet = no_audience or (name == ROOT and _no_streams(call))
                arg = _argument(call, keyword, index)
                if arg is None:
                    found.unreadable.append(f"{where}: {name}() without a type")
                    continue
                for value in _alternatives(arg):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        (silent if quiet else audience).add(value.value)
                    elif isinstance(value, ast.Name) and (
                        param := _parameter(module.enclosing_function(call), value.id)
                    ):
                        todo.append((*param, quiet))
                    elif isinstance(value, ast.Name) and value.id in constants:
                        (silent if quiet else audience).update(constants[value.id])
                    else:
                        found.unreadable.append(f"{where}: {ast.unparse(value)}")
    found.types, found.silent = audience, silent - audience
    return found


def _no_streams(call: ast.Call) -> bool:
    streams = _argument(call, "streams", 1)
    return isinstance(streams, ast.Tuple | ast.List) and not streams.elts


def _string_constants(modules: list[_Module]) -> dict[str, set[str]]:
    """Module-level `NAME = "literal"` bindings, by name (any module: imports keep names)."""
    constants: dict[str, set[str]] = {}
    for module in modules:
        for node in module.tree.body:
            target = value = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                constants.setdefault(target.id, set()).add(value.value)
    return constants


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
