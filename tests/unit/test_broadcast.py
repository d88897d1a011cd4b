"""The relay's signal (server/jobs/wakeup.py Broadcast): every listener wakes on each notify;
a callback registered with `after_next` runs once, at the next notify only, however often it
was registered meanwhile."""

from __future__ import annotations

from server.jobs.wakeup import Broadcast


def test_listeners_wake_on_every_notify():
    signal = Broadcast()
    first, second = signal.listener(), signal.listener()
    signal.notify()
    assert first.is_set() and second.is_set()


def test_an_after_next_callback_runs_once_at_the_next_notify():
    signal, calls = Broadcast(), []

    def wake() -> None:
        calls.append("wake")

    for _ in range(1000):  # one per consumer batch, with no relay here to run them
        signal.after_next(wake)
    assert calls == []
    signal.notify()
    assert calls == ["wake"]
    signal.notify()
    assert calls == ["wake"]
    signal.after_next(wake)
    signal.notify()
    assert calls == ["wake", "wake"]
