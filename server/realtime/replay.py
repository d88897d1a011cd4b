"""Catch-up: a socket reads the event log from the last seq it was sent, then goes live.

While a socket replays it *holds* live envelopes (`ClientState.holding`); they are released
afterwards through the same seq gate, so nothing is skipped or sent twice at the seam. Recent
envelopes come from memory (`RecentEnvelopes`), older ones from the log; past the log's retention
the client is told to resync. A seq that stays missing after `HOLE_RETRIES` reads is a hole left
by a relay that crashed between allocating and appending: it is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from server.domain import realtime as rules
from server.keys import CLOCK, MONGO_DB, SCHEDULER
from server.realtime.direct import encode
from server.stores import event_log
from server.stores.mongo_indexes import EVENT_LOG_RETENTION_SECONDS

if TYPE_CHECKING:
    from server.realtime.hub import ClientState, Hub

log = logging.getLogger("classconnect.realtime")

HOLE_RETRIES = 5  # log reads before a missing seq counts as a hole left by a relay crash


class Replay:
    """The catch-up jobs of one hub's sockets."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def repair_all(self) -> None:
        """After this process may have missed live envelopes (Redis listener reconnected),
        every socket reads the log from the last seq it was sent."""
        for state in list(self.hub.clients.values()):
            if not state.closing:
                known = {s: n for s, n in state.last.items() if state.subscribed(s)}
                await self.request(state, known)

    async def request(self, state: ClientState, streams: dict[str, int | None]) -> None:
        """Hold live envelopes and (re)play `streams` from the given seqs in a job."""
        state.holding = True
        state.pending.update(streams)
        if not state.catching_up:
            state.catching_up = True
            await self.hub.app[SCHEDULER].spawn(self._catch_up(state))

    async def _catch_up(self, state: ClientState) -> None:
        try:
            await self._wait_connected(state)
            misses: dict[str, int] = {}  # rounds in which a stream still had a gap
            while state.pending and not state.closing:
                todo, state.pending = state.pending, {}
                await self._play(state, todo)
                holes = {s for s in todo if misses.get(s, 0) >= HOLE_RETRIES}
                self._release_held(state, skip_holes=holes)
                for stream in state.pending.keys() & todo.keys():
                    misses[stream] = misses.get(stream, 0) + 1
                if state.pending:
                    await asyncio.sleep(0.02 * max(misses.values(), default=1))
            if not state.ready_sent and not state.closing:
                state.ready_sent = True
                self.hub.send(state, "session.ready", self.hub.describe(state))
        except Exception:
            log.exception("replay failed", extra={"sid": state.sid})
            self.hub.cut(state, "replay_failed")
        finally:
            state.catching_up = False
            if not state.pending:
                state.holding = False

    async def _wait_connected(self, state: ClientState) -> None:
        # Replay starts from on_connect; the CONNECT packet must be queued before any event.
        for _ in range(200):
            if self.hub.sio.manager.is_connected(state.sid, state.namespace):
                return
            await asyncio.sleep(0.005)

    async def _play(self, state: ClientState, todo: dict[str, int | None]) -> None:
        db = self.hub.app[MONGO_DB]
        streams = [s for s in todo if state.subscribed(s)]
        heads = await self.hub.heads.get(streams)
        retained_since = self.hub.app[CLOCK].now() - timedelta(seconds=EVENT_LOG_RETENTION_SECONDS)
        for stream in streams:
            after, head = todo[stream], heads[stream]
            if after is None:
                state.last[stream] = head
                continue
            small = 0 < head - after < self.hub.queue_limit // 2
            cached = self.hub.recent.between(stream, after, head) if small else None
            if cached and datetime.fromisoformat(cached[0][0]["at"]) < retained_since:
                cached = None  # the log may have expired it: let the log decide (resync)
            if cached is not None:  # the common reconnect: a few envelopes behind, all in memory
                if not self.hub.push(state, *(pkt for _, pkt in cached)):
                    return
                state.last[stream] = head
                if not await self.hub.drained(state):
                    return
                continue
            first = await event_log.first_seq(db, stream, after=after) if after < head else None
            plan = rules.plan_replay(after=after, head=head, first_retained=first)
            if plan is rules.ReplayPlan.resync:
                self.hub.send(state, "resync.required", {"stream": stream, "seq": head})
                state.last[stream] = head
                continue
            state.last[stream] = after
            async for envelope in event_log.read_after(db, stream, after=after):
                pkt = encode(envelope["type"], envelope, state.namespace)
                if not self.hub.push(state, pkt) or not await self.hub.drained(state):
                    return
                state.last[stream] = envelope["seq"]

    def _release_held(self, state: ClientState, *, skip_holes: set[str]) -> None:
        held, state.held = state.held, []
        for index, (stream, seq, pkt) in enumerate(held):
            if not state.subscribed(stream):
                continue
            verdict = rules.classify(state.last.get(stream), seq)
            if verdict is rules.Offer.gap and stream in skip_holes:
                # The log was read past `last` several times and still has nothing in between:
                # a seq allocated but never appended (a relay crashed there). Skip the hole.
                log.warning(
                    "skipping a hole", extra={"stream": stream, "after": state.last[stream]}
                )
                verdict = rules.Offer.deliver
            if verdict is rules.Offer.deliver:
                if self.hub.push(state, pkt):
                    state.last[stream] = seq
            elif verdict is rules.Offer.gap:
                # Something in between is missing: read the log again (the append may not have
                # been visible to the last read yet) before going on.
                state.held = held[index:] + state.held
                state.pending.setdefault(stream, state.last[stream])
                return
