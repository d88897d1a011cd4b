"""Metrics to a Datadog agent over DogStatsD, or nothing at all when no agent is configured.

The names below are the contract with config/datadog/ (monitors and the dashboard query them; a
test checks that every metric they use is one of these). Everything is prefixed `classconnect.`.

We use the `datadog` package's DogStatsd with client-side buffering: a metric call only appends
to a buffer (no syscall on the event loop) and a small flush thread sends one datagram per
~300 ms. UDP never blocks on a missing agent, so metrics cannot slow requests down.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from server import __version__
from server.settings import Settings

if TYPE_CHECKING:
    from datadog.dogstatsd import DogStatsd

log = logging.getLogger("classconnect.metrics")

NAMESPACE = "classconnect"

# --- the metric names (without the namespace) ---
HTTP_REQUESTS = "http.requests"  # count; tags route, method, status, status_class
HTTP_DURATION = "http.request.duration_ms"  # distribution (global percentiles); same tags
EVENT_LOOP_LAG = "event_loop.lag_ms"  # gauge: worst lag seen in the last interval
DB_POOL_SIZE = "db.pool.size"  # gauge: open connections
DB_POOL_IN_USE = "db.pool.in_use"  # gauge: connections checked out
DB_POOL_MAX = "db.pool.max"  # gauge
DB_POOL_SATURATION = "db.pool.saturation"  # gauge 0..1: in_use / max
DB_POOL_WAITING = "db.pool.waiting"  # gauge: requests waiting for a connection
JOBS_ACTIVE = "jobs.active"  # gauge: aiojobs jobs running
JOBS_PENDING = "jobs.pending"  # gauge: aiojobs jobs waiting for a slot
OUTBOX_PENDING = "outbox.pending"  # gauge: events not yet relayed (capped, see stores)
OUTBOX_LAG = "outbox.oldest_age_seconds"  # gauge: age of the oldest unrelayed event
MAIL_PENDING = "mail.pending"  # gauge: emails not yet sent
MAIL_RETRYING = "mail.retrying"  # gauge: unsent emails that already failed at least once
MAIL_LAG = "mail.oldest_age_seconds"  # gauge: age of the oldest unsent email
CONSUMER_LAG = "consumer.lag"  # gauge, tag consumer: relayed events it has yet to pass
# Notification deliveries (Mongo), tag channel: due and waiting for a worker; held for later
# (also tag hold: quiet, digest, grace); how long the longest-waiting due one has been due.
DELIVERIES_PENDING = "notifications.deliveries.pending"  # gauge (capped, see stores)
DELIVERIES_HELD = "notifications.deliveries.held"  # gauge
DELIVERIES_LAG = "notifications.deliveries.oldest_due_age_seconds"  # gauge
# Watched by monitors in config/datadog/monitors.json; sent by the notification delivery worker
# (count: deliveries that exhausted their retries) and the audit-chain verifier (gauge: broken
# links found by the last verification).
NOTIFICATION_DELIVERIES_DEAD = "notifications.deliveries.dead"
AUDIT_VERIFY_BROKEN = "audit.verify.broken"

ALL_METRICS = frozenset(
    {
        HTTP_REQUESTS,
        HTTP_DURATION,
        EVENT_LOOP_LAG,
        DB_POOL_SIZE,
        DB_POOL_IN_USE,
        DB_POOL_MAX,
        DB_POOL_SATURATION,
        DB_POOL_WAITING,
        JOBS_ACTIVE,
        JOBS_PENDING,
        OUTBOX_PENDING,
        OUTBOX_LAG,
        MAIL_PENDING,
        MAIL_RETRYING,
        MAIL_LAG,
        CONSUMER_LAG,
        DELIVERIES_PENDING,
        DELIVERIES_HELD,
        DELIVERIES_LAG,
        NOTIFICATION_DELIVERIES_DEAD,
        AUDIT_VERIFY_BROKEN,
    }
)

_PLACEHOLDER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def route_tag(canonical: str | None) -> str:
    """`/courses/{course_id}` -> `/courses/:course_id`: one tag value per route, never per URL.

    Datadog turns `{` and `}` into `_` in tags; `:name` survives and reads like the route.
    Requests that matched no route share the value `unmatched`, so scanners cannot create tags.
    """
    if not canonical:
        return "unmatched"
    return _PLACEHOLDER.sub(r":\1", canonical)


class Metrics:
    """What the application reports. Without an agent every call is a cheap no-op."""

    def __init__(self, statsd: DogStatsd | None = None) -> None:
        self._statsd = statsd

    @property
    def enabled(self) -> bool:
        return self._statsd is not None

    def increment(self, name: str, value: float = 1, tags: Iterable[str] = ()) -> None:
        if self._statsd is not None:
            self._statsd.increment(name, value, tags=list(tags))

    def distribution(self, name: str, value: float, tags: Iterable[str] = ()) -> None:
        if self._statsd is not None:
            self._statsd.distribution(name, value, tags=list(tags))

    def gauge(self, name: str, value: float, tags: Iterable[str] = ()) -> None:
        if self._statsd is not None:
            self._statsd.gauge(name, value, tags=list(tags))

    def flush(self) -> None:
        if self._statsd is not None:
            self._statsd.flush()

    def close(self) -> None:
        """Send what is buffered and stop the flush thread."""
        if self._statsd is not None:
            self._statsd.stop(timeout=1.0)
            self._statsd.close_socket(quiet=True)
            self._statsd = None


def constant_tags(settings: Settings) -> list[str]:
    tags = [f"service:{settings.dd_service}", f"version:{__version__}"]
    if settings.dd_env:
        tags.append(f"env:{settings.dd_env}")
    return tags


def create_metrics(settings: Settings) -> Metrics:
    """A DogStatsD client for DD_AGENT_HOST, or the no-op when it is unset."""
    if not settings.dd_agent_host:
        return Metrics(None)
    from datadog.dogstatsd import DogStatsd  # imported only when used: it costs start-up time

    statsd = DogStatsd(
        host=settings.dd_agent_host,
        port=settings.dd_dogstatsd_port,
        namespace=NAMESPACE,
        constant_tags=constant_tags(settings),
        disable_buffering=False,
        # One process, no fork: the global fork-hook registry would only keep clients alive.
        track_instance=False,
    )
    return Metrics(statsd)
