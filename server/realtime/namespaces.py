"""Socket.IO namespaces: `/` for users, `/admin` for admin tokens.

Connecting: `auth = {"token": ..., "resume": {stream: last_seq}}`; a bad token is refused with
`ConnectionRefusedError` (the client sees `{message, data: {code}}`). Rooms are managed by the
server only. Client events are validated with pydantic, rate limited and always acknowledged
(`{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "details"}}`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from pydantic import BaseModel, ValidationError

from server.domain import realtime as rules
from server.domain.admin_audit import AuditSubscribe
from server.domain.errors import DomainError, Unauthenticated
from server.keys import CLOCK, JWT_SECRET, MONGO_DB, PG_POOL, SETTINGS, TOKEN_CACHE
from server.realtime.admin_feed import audit_filter
from server.realtime.batching import Batcher
from server.realtime.hub import ClientState, Hub
from server.services import realtime_access as access
from server.services.identity import read_token_states
from server.services.realtime_access import SocketIdentity

log = logging.getLogger("classconnect.realtime")

Handler = Callable[[ClientState, Any], Awaitable[dict[str, Any]]]


def error_ack(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    return {"ok": False, "error": {"code": code, "message": message, "details": details or []}}


def refuse(code: str, message: str) -> ConnectionRefusedError:
    # The client's connect_error gets {message, data: {code}} (err.message / err.data in JS).
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code})


class BaseNamespace(socketio.AsyncNamespace):
    # event name -> (request model, handler); subclasses fill it in.
    events: dict[str, tuple[type[BaseModel], str]] = {}

    def __init__(self, namespace: str, app: web.Application, hub: Hub) -> None:
        super().__init__(namespace)
        self.app = app
        self.hub = hub

    def _credentials(self, auth: Any) -> rules.ConnectAuth:
        if self.hub.shutting_down:
            raise refuse("server_shutdown", "The server is restarting; reconnect shortly.")
        try:
            return rules.ConnectAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            raise refuse("token_missing", "Connect with auth {token, resume?}.") from None

    async def _start(self, sid: str, identity: SocketIdentity, streams: set[str],
                     resume: dict[str, int]) -> None:  # fmt: skip
        settings = self.app[SETTINGS]
        cap = settings.realtime_max_sockets_per_user
        # Counted and registered with no await in between, so simultaneous connects cannot all
        # pass the check. Per process: each process behind the load balancer counts its own.
        if len(self.hub.by_user.get(identity.user_id, ())) >= cap:
            raise refuse("too_many_sockets", f"At most {cap} sockets per user; close one first.")
        state = ClientState(
            sid=sid,
            eio_sid=self.server.manager.eio_sid_from_sid(sid, self.namespace),
            namespace=self.namespace,
            identity=identity,
            bucket=rules.TokenBucket(settings.realtime_client_rate, settings.realtime_client_burst),
            user_bucket=self.hub.user_bucket(
                identity.user_id, settings.realtime_user_rate, settings.realtime_user_burst
            ),
            streams=streams,
        )
        await self.hub.register(state)
        for stream in streams:  # state.holding is True: nothing live slips past the replay
            await self.enter_room(sid, rules.route(stream)[1])
        await self.hub.replay.request(state, {s: resume.get(s) for s in streams})

    async def on_disconnect(self, sid: str, reason: str = "") -> None:
        self.hub.unregister(sid)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid, payload = args[0], args[1:]
        state = self.hub.clients.get(sid)
        if state is None:
            return error_ack("not_connected", "The socket is not connected.")
        now = time.monotonic()
        if not (state.bucket.take(now) and state.user_bucket.take(now)):
            return error_ack("rate_limited", "Too many events; slow down.")
        if event not in self.events:
            return error_ack("unknown_event", f"Unknown event {event!r}.")
        model, method = self.events[event]
        if len(payload) > 1:
            return error_ack("invalid_payload", "Send one object.")
        try:
            request = model.model_validate(payload[0] if payload else {})
        except ValidationError as exc:
            details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            return error_ack("invalid_payload", "The event's payload is not valid.", details)
        try:
            return await getattr(self, method)(state, request)
        except DomainError as exc:
            return error_ack(exc.code, exc.message, exc.details)
        except Exception:
            log.exception("client event failed", extra={"event": event, "sid": sid})
            return error_ack("internal_error", "The event could not be handled.")

    async def handle_resume(self, state: ClientState, request: rules.ResumeRequest) -> dict:
        accepted = {s: n for s, n in request.streams.items() if state.subscribed(s)}
        await self.hub.replay.request(state, dict(accepted))
        ignored = sorted(set(request.streams) - set(accepted))
        return {"ok": True, "streams": sorted(accepted), "ignored": ignored}

    async def handle_ping(self, state: ClientState, request: rules.PingRequest) -> dict:
        return {"ok": True, "t": request.t, "server_time": self.app[CLOCK].now().isoformat()}


class UserNamespace(BaseNamespace):
    events = {
        "watch": (rules.WatchRequest, "handle_watch"),
        "unwatch": (rules.WatchRequest, "handle_unwatch"),
        "resume": (rules.ResumeRequest, "handle_resume"),
        "ping": (rules.PingRequest, "handle_ping"),
    }

    def __init__(self, namespace: str, app: web.Application, hub: Hub) -> None:
        super().__init__(namespace, app, hub)
        # What every connect reads, one query per batch of sockets connecting together.
        self.token_states = Batcher(
            lambda ids: read_token_states(pool=app[PG_POOL], user_ids=ids), missing=None
        )
        self.course_roles = Batcher(
            lambda ids: access.read_course_roles(pool=app[PG_POOL], user_ids=ids), missing=[]
        )

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        creds = self._credentials(auth)
        app = self.app
        try:
            identity = await access.identify_user(
                pool=app[PG_POOL],
                secret=app[JWT_SECRET],
                clock=app[CLOCK],
                token=creds.token,
                cache=app.get(TOKEN_CACHE),
                load_state=self.token_states.get_one,
            )
        except Unauthenticated as exc:
            raise refuse(exc.code, exc.message) from None
        roles = await self.course_roles.get_one(identity.user_id)
        streams = rules.streams_of(identity.user_id, roles)
        await self._start(sid, identity, streams, creds.resume)

    async def handle_watch(self, state: ClientState, request: rules.WatchRequest) -> dict:
        stream, course_id = await access.watchable_stream(
            pool=self.app[PG_POOL],
            user_id=state.identity.user_id,
            assignment_id=request.assignment_id,
        )
        if stream not in state.watching:
            state.watching[stream] = course_id
            state.holding = True
            await self.enter_room(state.sid, stream)
            await self.hub.replay.request(state, {stream: request.after})
        return {"ok": True, "stream": stream}

    async def handle_unwatch(self, state: ClientState, request: rules.WatchRequest) -> dict:
        stream = rules.watch_stream(request.assignment_id)
        if state.watching.pop(stream, None) is not None:
            await self.leave_room(state.sid, stream)
            state.last.pop(stream, None)
        return {"ok": True, "stream": stream}


class AdminNamespace(BaseNamespace):
    """Active admins only; room `audit` carries the `admin:audit` stream (every audit entry),
    which `subscribe {actions, target_kind}` narrows for the socket, and room `admins` the
    `admins` stream (admin accounts created and removed)."""

    events = {
        "subscribe": (AuditSubscribe, "handle_subscribe"),
        "resume": (rules.ResumeRequest, "handle_resume"),
        "ping": (rules.PingRequest, "handle_ping"),
    }

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        creds = self._credentials(auth)
        app = self.app
        try:
            identity = await access.identify_admin(
                db=app[MONGO_DB], secret=app[JWT_SECRET], clock=app[CLOCK], token=creds.token
            )
        except Unauthenticated as exc:
            raise refuse(exc.code, exc.message) from None
        await self._start(sid, identity, set(rules.ADMIN_STREAMS), creds.resume)

    async def handle_subscribe(self, state: ClientState, request: AuditSubscribe) -> dict:
        state.accepts = audit_filter(request)
        return {"ok": True, "actions": request.actions, "target_kind": request.target_kind}
