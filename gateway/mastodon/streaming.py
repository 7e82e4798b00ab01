"""Mastodon streaming: ``GET /api/v1/streaming/user`` (server-sent events), the WebSocket
``/api/v1/streaming`` (``stream=user``), and ``/api/v1/streaming/health``.

The same per-account event log and live hub as the v1 stream (gateway/routes/stream.py), in the
same order: subscribe, replay what the log holds after ``Last-Event-ID``, then forward live
events, skipping ids already sent; so a client that reconnects with ``Last-Event-ID`` gets what
it missed exactly once, in order. Events are rendered for the reader at delivery as Mastodon
entities. Revoking the token ends its streams at once.

Mastodon has no resync event: when the log no longer reaches back to Last-Event-ID, the stream
ends instead (SSE: a ``:resync`` comment and an ``id:`` just before the oldest logged event, so
an EventSource's own reconnect resumes there; WebSocket: close code 4010 naming both ids), and
the client reconnects and refetches, as Mastodon's clients do on every reconnect. A stream the
account's newer streams displaced (live/stream_slots.py) ends the same way: SSE with an
``error`` event, WebSocket with close code 4009.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from aiohttp import ClientConnectionResetError, WSCloseCode, WSMsgType, web

from core.tasks import cancel_all

from gateway.event_views import StoreEventViews
from gateway.keys import EVENTS, LIVE, NEO4J, SETTINGS
from graph import notifications as graph_notifications
from live.hub import Subscriber
from live.protocol import TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON
from live.render import EventRenderer

from . import stream_events
from .auth import user_id
from .http import base_url
from .keys import EVENT_VIEWS, OAUTH_TOKENS, PRESENTER
from .present import Presenter

log = logging.getLogger(__name__)
REPLAY_BATCH = 200
Emit = Callable[[int, str, str], Awaitable[None]]


class MastodonEventViews:
    """live/render.py's EventViews, answering with Mastodon entities for one base URL."""

    def __init__(self, inner: StoreEventViews, presenter: Presenter, driver, base: str) -> None:
        self.inner, self.presenter, self.driver, self.base = inner, presenter, driver, base

    async def feed_post_for(self, viewers: list[int], post_id: int, author_id: int) -> dict[int, dict]:
        views = await self.inner.feed_post_for(viewers, post_id, author_id)
        out = {}
        for viewer, view in views.items():
            rendered = await self.presenter.statuses_from_views([view], self.base)
            if rendered:
                out[viewer] = rendered[0]
        return out

    async def feed_posts(self, viewer: int, refs: list[tuple[int, int]]) -> dict[int, dict]:
        views = await self.inner.feed_posts(viewer, refs)
        rendered = await self.presenter.statuses_from_views(list(views.values()), self.base)
        return {int(s["id"]): s for s in rendered}

    async def notifications(self, viewer: int, ids: list[int]) -> dict[int, dict]:
        rows = await graph_notifications.by_ids(self.driver, viewer, sorted(set(ids)))
        rendered = await self.presenter.notifications(viewer, rows, self.base)
        return {int(n["id"]): n for n in rendered}


def _renderer(request: web.Request) -> EventRenderer:
    app = request.app
    return EventRenderer(MastodonEventViews(app[EVENT_VIEWS], app[PRESENTER], app[NEO4J], base_url(request)))


@dataclass(frozen=True)
class Over:
    """Why a stream ends: ``gap`` (the log no longer reaches back to Last-Event-ID: resync),
    ``evicted`` (too many streams on the account), or ``closed`` (revoked or expired token, a
    reader too slow, the client gone)."""
    why: str
    missed_after: int = 0
    resumes_at: int = 0


async def _pump(request: web.Request, sub: Subscriber, last: int | None, emit: Emit) -> Over:
    """Replay after ``last``, then forward live events, each id at most once, until cancelled;
    or, when the log lost events after ``last``, nothing: the stream ends with a resync."""
    app, viewer = request.app, sub.user_id
    renderer = _renderer(request)
    sent = last if last is not None else -1

    async def send(frames: list[str], up_to: int) -> None:
        nonlocal sent
        for frame in frames:
            event = stream_events.translate(frame)
            if event is not None:
                await emit(*event)
        sent = max(sent, up_to)

    if last is not None:
        missed = await app[EVENTS].since(viewer, last)
        gap = stream_events.gap(last, missed[0][0] if missed else None)
        if gap is not None:
            return Over("gap", *gap)
        for start in range(0, len(missed), REPLAY_BATCH):
            batch = missed[start:start + REPLAY_BATCH]
            await send(await renderer.replay(viewer, batch), batch[-1][0])
    while not sub.ended.is_set():
        event_id, payload = await sub.queue.get()
        if event_id > sent:
            frame = await renderer.live(viewer, event_id, payload)
            await send([frame] if frame is not None else [], event_id)
    return Over("closed")


async def _until_over(request: web.Request, sub: Subscriber, token_digest: str) -> Over:
    """Returns when the token is revoked or expires, the reader fell too far behind (it
    reconnects with Last-Event-ID and loses nothing), or the stream was evicted."""
    tokens, heartbeat = request.app[OAUTH_TOKENS], request.app[SETTINGS].ws_heartbeat_s
    while not sub.ended.is_set() and not sub.overflowed.is_set() and not sub.evicted.is_set():
        # Shielded: redis-py may finish a command its task was cancelled in and return the
        # result, losing the cancellation (the stream's end would then wait out the heartbeat).
        remaining = await asyncio.shield(tokens.remaining_s(token_digest))
        if remaining is None:
            break
        waits = [asyncio.ensure_future(e.wait()) for e in (sub.ended, sub.overflowed, sub.evicted)]
        try:
            await asyncio.wait(waits, timeout=max(0.05, min(heartbeat, remaining)), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
    return Over("evicted") if sub.evicted.is_set() else Over("closed")


async def _run(request: web.Request, sub: Subscriber, token_digest: str, last: int | None, emit: Emit,
               heartbeat: Callable[[], Awaitable[None]], *extra: Awaitable) -> Over:
    async def beat() -> Over:
        while True:
            await asyncio.sleep(request.app[SETTINGS].ws_heartbeat_s)
            await heartbeat()

    tasks = [asyncio.create_task(c) for c in (_pump(request, sub, last, emit), _until_over(request, sub, token_digest),
                                               beat(), *extra)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.cancelled():
                continue
            if task.exception() is not None:
                if not isinstance(task.exception(), (ConnectionResetError, ClientConnectionResetError)):
                    log.warning("Mastodon stream ended: %r", task.exception())
            elif isinstance(task.result(), Over):
                return task.result()
        return Over("closed")
    finally:
        await cancel_all(tasks)


async def _grant_digest(request: web.Request) -> str:
    from .auth import grant_of
    grant = await grant_of(request)
    return grant.digest if grant is not None else ""


async def user_sse(request: web.Request) -> web.StreamResponse:
    """``/api/v1/streaming/user`` and ``/api/v1/streaming/user/notification`` (notifications only)."""
    viewer = await user_id(request, "read:statuses")
    digest = await _grant_digest(request)
    wanted = stream_events.USER_NOTIFICATION if request.path.endswith("/notification") else stream_events.USER
    last = stream_events.parse_last_event_id(request.headers.get("Last-Event-ID")
                                             or request.query.get("last_event_id"))
    app, settings = request.app, request.app[SETTINGS]
    sub = Subscriber(viewer, settings.ws_queue_max, session=digest)
    # Subscribed before the response starts: once a client sees the stream open, no event meant
    # for it can slip past.
    await app[LIVE].attach(sub)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    try:
        await response.prepare(request)
        await response.write(b":)\n\n")

        async def emit(event_id: int, name: str, payload: str) -> None:
            if stream_events.carries(wanted, name):
                await response.write(stream_events.sse(event_id, name, payload).encode())

        async def heartbeat() -> None:
            await response.write(stream_events.HEARTBEAT.encode())

        over = await _run(request, sub, digest, last, emit, heartbeat)
        if over.why == "gap":
            await response.write(stream_events.sse_resync(over.missed_after, over.resumes_at).encode())
        elif over.why == "evicted":
            await response.write(stream_events.sse_error(TOO_MANY_STREAMS_REASON).encode())
    except (ConnectionResetError, ClientConnectionResetError):
        pass
    finally:
        await asyncio.shield(app[LIVE].detach(sub))
    return response


async def websocket(request: web.Request) -> web.StreamResponse:
    viewer = await user_id(request, "read:statuses")
    digest = await _grant_digest(request)
    app, settings = request.app, request.app[SETTINGS]
    last = stream_events.parse_last_event_id(request.query.get("last_event_id"))
    protocols = (request.headers["Sec-WebSocket-Protocol"],) if "Sec-WebSocket-Protocol" in request.headers else ()
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=16 * 1024, protocols=protocols)
    sub = Subscriber(viewer, settings.ws_queue_max, session=digest)
    # The streams this socket subscribed to (``user``, ``user:notification``): each event goes out
    # once per stream that carries it, named in its ``stream`` field, as Mastodon does.
    streams: set[str] = set()
    started = asyncio.Event()
    if request.query.get("stream") in stream_events.STREAMS:
        streams.add(request.query["stream"])
        started.set()
    await app[LIVE].attach(sub)
    close_with: tuple[int, bytes] | None = None
    try:
        await ws.prepare(request)

        async def emit(event_id: int, name: str, payload: str) -> None:
            for stream in sorted(streams):
                if stream_events.carries(stream, name):
                    await ws.send_str(stream_events.ws_message(event_id, name, payload, [stream]))

        async def receive() -> Over:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError, AttributeError, TypeError):
                    body = json.loads(msg.data)
                    if body.get("stream") not in stream_events.STREAMS:
                        continue
                    if body.get("type") == "subscribe":
                        streams.add(body["stream"])
                        started.set()
                    elif body.get("type") == "unsubscribe":
                        streams.discard(body["stream"])
            return Over("closed")

        async def pump_when_subscribed() -> Over:
            await started.wait()
            return await _pump(request, sub, last, emit)

        tasks = [asyncio.create_task(c) for c in (receive(), pump_when_subscribed(), _until_over(request, sub, digest))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            over = next((t.result() for t in done if not t.cancelled() and t.exception() is None), Over("closed"))
            if over.why == "gap":
                close_with = (stream_events.RESYNC_CLOSE,
                              stream_events.resync_reason(over.missed_after, over.resumes_at).encode())
            elif over.why == "evicted":
                close_with = (TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON.encode())
        finally:
            await cancel_all(tasks)
    except (ConnectionResetError, ClientConnectionResetError):
        pass
    finally:
        await asyncio.shield(app[LIVE].detach(sub))
        if not ws.closed:
            code, message = close_with or (WSCloseCode.OK, b"")
            with contextlib.suppress(ConnectionResetError, ClientConnectionResetError):
                await ws.close(code=code, message=message)
    return ws


async def health(request: web.Request) -> web.Response:
    return web.Response(text="OK")


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/streaming/health", health)
    app.router.add_get("/api/v1/streaming/user", user_sse)
    app.router.add_get("/api/v1/streaming/user/notification", user_sse)
    app.router.add_get("/api/v1/streaming", websocket)
