"""Schemathesis against a live server: each operation of `/api/openapi.json` fuzzed as one caller
(positive and negative data, path ids random or pinned to objects that exist), then the linked
operations as a state machine (links inferred from the response schemas and path parameters).

Synchronous (schemathesis calls through `requests`): the tests run it in a worker thread while
their event loop serves the app. Every response goes through the four checks below; a failure is
kept with the curl command that reproduces it, and the run goes on to the next operation.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# No response may take longer: a hang fails the case (requests raises) instead of the run.
TIMEOUT = 10.0
# aiohttp's HTTP parser refuses a longer request line (400, text/plain) before any app code
# runs (docs/security.md). Only invalid queries get there: test_schema_fuzz.py checks that the
# longest query the document allows fits.
MAX_REQUEST_LINE = 8190
RESTARTS = 3  # stateful suites per caller when a replay differs without any check failing


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    # Path parameter -> an id that exists (and that this caller may or may not reach).
    known: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Size:
    examples: int  # per operation, per generation mode, per caller
    scenarios: int  # stateful scenarios per caller
    steps: int  # at most this many calls per scenario
    seed: int | None = None  # None: a random run (the seed is reported)


@dataclass
class Report:
    cases: Counter[str] = field(default_factory=Counter)  # "caller phase" -> calls
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Calls whose response went through the checks."""
        return sum(n for k, n in self.cases.items() if k.endswith((" operations", " stateful")))


def _settings(size: Size, examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        stateful_step_count=size.steps,
        deadline=None,
        database=None,  # nothing written under the work tree
        derandomize=False,
        # No shrinking: replaying against a server whose state moved on is not reproducible
        # (the failing case is reported with its curl command instead).
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def _check(case: Case, response: Any, report: Report, caller: Caller, kind: str) -> None:
    """The four checks, unless the request never reached the app (too long a request line)."""
    if (
        len(urlsplit(response.request.url)._replace(scheme="", netloc="").geturl())
        > MAX_REQUEST_LINE
    ):
        report.cases[f"{caller.name} request line too long"] += 1
        return
    report.cases[f"{caller.name} {kind}"] += 1
    case.validate_response(response, checks=CHECKS)


def _describe(caller: Caller, label: str, case: Case | None, exc: BaseException) -> str:
    curl = case.as_curl_command(headers=caller.headers) if case is not None else "(no case)"
    curl = curl if len(curl) < 800 else curl[:800] + f"... ({len(curl)} characters)"
    return f"[{caller.name}] {label}\n{str(exc).strip()[:3000]}\nReproduce: {curl}"


def _fuzz_operation(op: Any, caller: Caller, size: Size, report: Report) -> None:
    pinned = {k: v for k, v in caller.known.items() if "{" + k + "}" in op.path}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(op.as_strategy(generation_mode=mode))
        # Deleting what the callers share would leave later operations only 404s to explore.
        if pinned and op.method.upper() != "DELETE":
            strategies.append(op.as_strategy(generation_mode=mode, path_parameters=pinned))
    failing: list[Case] = []

    @given(case=st.one_of(strategies))
    @_settings(size, size.examples * 2)
    def run(case: Case) -> None:
        try:
            response = case.call(headers=caller.headers, timeout=TIMEOUT)
            _check(case, response, report, caller, "operations")
        except (Exception, BaseExceptionGroup):
            failing.append(case)
            raise

    if size.seed is not None:
        run = hypothesis.seed(size.seed)(run)
    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing negative to generate (no parameters, no body): the positive cases ran
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
        report.failures.append(_describe(caller, op.label, failing[-1] if failing else None, exc))


def _fuzz_links(schema: Any, caller: Caller, size: Size, report: Report) -> None:
    last: list[Case] = []
    first: list[str] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": caller.headers, "timeout": TIMEOUT}

        def validate_response(self, response: Any, case: Case, **kwargs: Any) -> None:
            last[:] = [case]
            try:
                _check(case, response, report, caller, "stateful")
            except (Exception, BaseExceptionGroup) as exc:
                # Hypothesis replays a failing scenario before it reports it; against a server
                # whose state moved on the replay may differ ("inconsistent data generation"),
                # hiding the failure: keep the first one as it happened.
                first.append(_describe(caller, f"{case.operation.label} (stateful)", case, exc))
                raise

    machine_settings = _settings(size, size.scenarios)
    if size.seed is not None:
        machine_settings = hypothesis.settings(machine_settings, derandomize=True)
    for _ in range(RESTARTS):
        try:
            Machine.run(settings=machine_settings)
            return
        except (Exception, BaseExceptionGroup) as exc:
            if first:
                report.failures.append(first[0])
                return
            if not _replay_differed(exc):
                label = last[0].operation.label if last else "stateful"
                case = last[0] if last else None
                report.failures.append(_describe(caller, f"{label} (stateful)", case, exc))
                return
            # Nothing failed: Hypothesis re-ran a scenario and the server answered otherwise
            # (what the first run created was there already). Another suite, as schemathesis'
            # own runner does.
            report.cases[f"{caller.name} stateful restarts"] += 1


def _replay_differed(exc: BaseException) -> bool:
    return isinstance(exc, hypothesis.errors.Flaky) or "Inconsistent data generation" in str(exc)


def fuzz(base_url: str, callers: list[Caller], size: Size) -> Report:
    """Every operation as every caller, then the links as every caller."""
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", timeout=TIMEOUT)
    operations = [result.ok() for result in schema.get_all_operations()]
    report = Report()
    for caller in callers:
        for op in operations if size.examples else ():
            _fuzz_operation(op, caller, size, report)
        if size.scenarios:
            _fuzz_links(schema, caller, size, report)
    report.seconds = time.monotonic() - started
    return report
