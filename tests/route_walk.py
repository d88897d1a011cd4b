"""Walking the route table: a concrete URL for every registered endpoint, so tests cover every
route as it exists rather than a hand-picked few."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from aiohttp import web

from server.handlers.routing import Endpoint
from server.keys import ENDPOINTS

_PARAM = re.compile(r"{(\w+)(?::[^}]+)?}")


def concrete(path: str, **values: str) -> str:
    """`path` with each `{name}` filled from `values`, else with a fresh uuid."""
    return _PARAM.sub(lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def endpoints(app: web.Application) -> Iterator[Endpoint]:
    yield from app[ENDPOINTS]


def params(ep: Endpoint) -> list[str]:
    return _PARAM.findall(ep.path)
