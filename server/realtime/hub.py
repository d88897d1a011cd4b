"""Per-socket delivery: the registry of sockets, ordering by seq, and the outgoing bound.

Every connected socket has a `ClientState` (kept in its Socket.IO session and indexed here by
sid). Live envelopes and replayed ones go through the same gate: a socket that is replaying
*holds* live envelopes and releases them afterwards, dropping every seq it has already sent, so
there is no gap and no duplicate at the seam. A live envelope that skips a seq (an event relayed
by another process reached us first, or Redis dropped one) makes the socket read the log from
its last seq before going on (`replay.py`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

from server.domain import realtime as rules
from server.keys import MONGO_DB
from server.realtime.batching import Batcher
from server.realtime.direct import DirectQueue, FrozenPacket, encode
from server.realtime.recent import RecentEnvelopes
from server.realtime.replay import Replay
from server.services.realtime_access import SocketIdentity
from server.stores import event_log

log = logging.getLogger("classconnect.realtime")

DRAIN_TIMEOUT_SECONDS = 10.0


@dataclass(eq=False, slots=True)
class ClientState:
    sid: str
    eio_sid: str
    namespace: str
    identity: SocketIdentity
    bucket: rules.TokenBucket
    streams: set[str] = field(default_factory=set)  # server-managed rooms
    watching: dict[str, uuid.UUID] = field(default_factory=dict)  # stream -> course id
    last: dict[str, int] = field(default_factory=dict)  # last seq sent, per stream
    holding: bool = True  # replaying: live envelopes wait in `held`
    held: list[tuple[str, int, FrozenPacket]] = field(default_factory=list)
    pending: dict[str, int | None] = field(default_factory=dict)  # None: start at the head
    catching_up: bool = False
    ready_sent: bool = False
    closing: bool = False
    # Narrows what the socket is sent (admins' `subscribe`): packets whose source it refuses
    # are dropped after the seq gate, so skipping them never looks like a gap.
    accepts: Callable[[Any], bool] | None = None

    def subscribed(self, stream: str) -> bool:
        return stream in self.streams or stream in self.watching


class Hub:
    def __init__(self, app: web.Application, sio: socketio.AsyncServer, *, queue_limit: int):
        self.app = app
        self.sio = sio
        self.queue_limit = queue_limit
        self.clients: dict[str, ClientState] = {}
        self.by_user: dict[uuid.UUID, set[str]] = {}
        self.by_eio: dict[str, set[str]] = {}  # an Engine.IO connection's namespace sockets
        # aiohttp transports of websocket connections, to cut a client that stopped reading.
        self.transports: dict[str, asyncio.BaseTransport] = {}
        self.on_envelope: list[Any] = []  # callbacks(envelope) run for every relayed envelope
        self.shutting_down = False
        self.recent = RecentEnvelopes()
        self.heads = Batcher(lambda streams: event_log.heads(self.app[MONGO_DB], streams), 0)
        self.replay = Replay(self)

    # --- registry ---

    async def register(self, state: ClientState) -> None:
        self._bind_direct_lane(state)
        self.clients[state.sid] = state
        self.by_user.setdefault(state.identity.user_id, set()).add(state.sid)
        self.by_eio.setdefault(state.eio_sid, set()).add(state.sid)
        await self.sio.save_session(state.sid, {"client": state}, namespace=state.namespace)

    def unregister(self, sid: str) -> ClientState | None:
        state = self.clients.pop(sid, None)
        if state is not None:
            state.closing = True
            sids = self.by_user.get(state.identity.user_id, set())
            sids.discard(sid)
            if not sids:
                self.by_user.pop(state.identity.user_id, None)
            on_eio = self.by_eio.get(state.eio_sid, set())
            on_eio.discard(sid)
            if not on_eio:  # the connection's last socket: forget its transport
                self.by_eio.pop(state.eio_sid, None)
                self.transports.pop(state.eio_sid, None)
        return state

    def of_user(self, user_id: uuid.UUID) -> list[ClientState]:
        return [self.clients[s] for s in self.by_user.get(user_id, ()) if s in self.clients]

    # --- writing to one socket ---

    def transport_of(self, eio_sid: str) -> asyncio.BaseTransport | None:
        """The TCP transport of the socket's websocket (or of its first request)."""
        transport = self.transports.get(eio_sid)
        if transport is None:
            request = (self.sio.environ.get(eio_sid) or {}).get("aiohttp.request")
            transport = request.transport if request is not None else None
        return transport

    def _bind_direct_lane(self, state: ClientState) -> None:
        # Only once the socket is on its websocket: before that the transport found would be a
        # long-polling request's. A socket that upgrades later keeps Engine.IO's path.
        sock = self._socket(state)
        queue = getattr(sock, "queue", None)
        if isinstance(queue, DirectQueue) and queue.socket is None and sock.upgraded:
            transport = self.transport_of(state.eio_sid)
            if transport is not None:  # asyncio's or uvloop's (which is no WriteTransport)
                queue.bind(sock, transport)  # type: ignore[arg-type]

    def _socket(self, state: ClientState) -> Any:
        sock = self.sio.eio.sockets.get(state.eio_sid)
        if sock is None or sock.closed or sock.closing:
            return None
        return sock

    def push(self, state: ClientState, *pkts: FrozenPacket) -> bool:
        """Send packets to the socket (written at once when the direct lane is open, else
        queued), never waiting; past the queue bound the socket is cut."""
        sock = self._socket(state)
        if sock is None or state.closing:
            return False
        if state.accepts is not None:
            pkts = tuple(p for p in pkts if state.accepts(getattr(p, "source", None)))
            if not pkts:
                return True
        queue = sock.queue
        if isinstance(queue, DirectQueue):
            queue.put_many(pkts)
        else:
            for pkt in pkts:
                queue.put_nowait(pkt)
        if queue.qsize() > self.queue_limit:
            self.cut(state, "slow_consumer")
            return False
        return True

    def send(self, state: ClientState, event: str, data: Any) -> bool:
        return self.push(state, encode(event, data, state.namespace))

    async def drained(self, state: ClientState) -> bool:
        """Wait (replay only) until the socket's queue is below half the bound."""
        deadline = asyncio.get_running_loop().time() + DRAIN_TIMEOUT_SECONDS
        while (sock := self._socket(state)) is not None and not state.closing:
            if sock.queue.qsize() < self.queue_limit // 2:
                return True
            if asyncio.get_running_loop().time() > deadline:
                self.cut(state, "slow_consumer")
                return False
            await asyncio.sleep(0.02)
        return False

    def cut(self, state: ClientState, reason: str) -> None:
        """Drop a client that stopped reading: abort its TCP connection (it replays later)."""
        if state.closing:
            return
        state.closing = True
        log.info("socket cut", extra={"sid": state.sid, "reason": reason})
        transport = self.transport_of(state.eio_sid)
        if transport is not None:
            transport.abort()

    async def end(self, state: ClientState, code: str, message: str) -> None:
        """Tell the client why, then disconnect it (token expired or revoked, shutdown)."""
        if state.closing:
            return
        self.send(state, "session.ended", {"code": code, "reason": code, "message": message})
        state.closing = True
        await self.sio.disconnect(state.sid, namespace=state.namespace, ignore_queue=True)

    # --- live envelopes ---

    async def fan_out(self, envelopes: list[dict[str, Any]], namespace: str, sids) -> None:
        """Deliver relayed envelopes of one room (in seq order per stream) to this process's
        sockets in that room."""
        items = []
        for envelope in envelopes:
            pkt = encode(envelope["type"], envelope, namespace)
            self.recent.add(envelope, pkt)
            items.append((envelope["stream"], envelope["seq"], pkt))
        behind: list[ClientState] = []
        for sid in sids:
            state = self.clients.get(sid)
            if state is not None and self._offer(state, items):
                behind.append(state)
        for state in behind:
            await self.replay.request(state, {})
        for envelope in envelopes:
            for callback in self.on_envelope:
                await callback(envelope)

    def _offer(self, state: ClientState, items: list[tuple[str, int, FrozenPacket]]) -> bool:
        """Send what passes the seq gate; True when the socket just fell behind and must read
        the log (it then holds the rest of the batch)."""
        if state.holding:
            state.held.extend(items)
            if len(state.held) > self.queue_limit:
                self.cut(state, "slow_consumer")
            return False
        ready: list[FrozenPacket] = []
        fell_behind = False
        for index, (stream, seq, pkt) in enumerate(items):
            verdict = rules.classify(state.last.get(stream), seq)
            if verdict is rules.Offer.deliver:
                ready.append(pkt)
                state.last[stream] = seq
            elif verdict is rules.Offer.gap:
                state.holding = fell_behind = True
                state.held.extend(items[index:])
                state.pending.setdefault(stream, state.last[stream])
                break
        if ready:
            self.push(state, *ready)  # False only for a socket going away: nothing to keep
        return fell_behind

    def describe(self, state: ClientState) -> dict[str, Any]:
        return {
            "user_id": str(state.identity.user_id),
            "streams": {s: state.last.get(s, 0) for s in sorted({*state.streams, *state.watching})},
        }
