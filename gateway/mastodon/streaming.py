"""Mastodon streaming: ``GET /api/v1/streaming/user`` (server-sent events), the WebSocket
``/api/v1/streaming`` (``stream=user``), and ``/api/v1/streaming/health``.

The pump is live/session.py's, the same as the v1 stream's: subscribe, replay what the log holds
after ``Last-Event-ID``, then forward live events, each id once, in order; so a client that
reconnects with ``Last-Event-ID`` gets what it missed exactly once. Here its frames become
Mastodon entities and events (stream_events.py), written as SSE or WebSocket messages. Revoking
the token ends its streams at once.

Mastodon has no resync event: when the log no longer reaches back to Last-Event-ID, the stream
ends instead (SSE: a ``:resync`` comment and an ``id:`` just before the oldest logged event, so
an EventSource's own reconnect resumes there; WebSocket: close code 4010 naming both ids), and
the client reconnects and refetches, as Mastodon's clients do on every reconnect. A stream the
account's newer streams displaced (stores/stream_slots.py) ends the same way: SSE with an
``error`` event, WebSocket with close code 4009.
"""
from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web

from gateway.event_views import StoreEventViews
from gateway.http import close_socket
from gateway.keys import EVENT_VIEWS, EVENTS, LIVE, NEO4J, SETTINGS
from graph import notifications as graph_notifications
from live import session as live
from live.hub import Subscriber
from core.live_protocol import TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON

from . import stream_events
from .auth import user_id
from .http import base_url
from .keys import OAUTH_TOKENS, PRESENTER
from .present import Presenter


class MastodonEventViews:
    """live/session.py's EventViews, answering with Mastodon entities for one base URL."""

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


def _session(request: web.Request, viewer: int, digest: str, last: int | None,
             kinds: frozenset[str] | None) -> live.LiveSession:
    app, settings = request.app, request.app[SETTINGS]
    renderer = live.EventRenderer(MastodonEventViews(app[EVENT_VIEWS], app[PRESENTER], app[NEO4J], base_url(request)))
    return live.LiveSession(app[LIVE], app[EVENTS], renderer,
                            Subscriber(viewer, settings.ws_queue_max, session=digest, kinds=kinds),
                            last=last, session_left=lambda: app[OAUTH_TOKENS].remaining_s(digest),
                            heartbeat_s=settings.ws_heartbeat_s)


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
    session = _session(request, viewer, digest, last, stream_events.kinds([wanted]))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def send(frame: str) -> None:
        event = stream_events.translate(frame)
        if event is not None:
            await response.write(stream_events.sse(*event).encode())

    async def beat() -> None:
        while True:
            await asyncio.sleep(request.app[SETTINGS].ws_heartbeat_s)
            await response.write(stream_events.HEARTBEAT.encode())

    async with session:         # subscribed before the response starts
        await response.prepare(request)
        await response.write(b":)\n\n")
        end = await session.run(send, alongside=[beat()])
        if end.why == live.GAP:
            await response.write(stream_events.sse_resync(end.missed_after, end.resumes_at).encode())
        elif end.why == live.EVICTED:
            await response.write(stream_events.sse_error(TOO_MANY_STREAMS_REASON).encode())
    return response


async def websocket(request: web.Request) -> web.StreamResponse:
    viewer = await user_id(request, "read:statuses")
    digest = await _grant_digest(request)
    last = stream_events.parse_last_event_id(request.query.get("last_event_id"))
    protocols = (request.headers["Sec-WebSocket-Protocol"],) if "Sec-WebSocket-Protocol" in request.headers else ()
    ws = web.WebSocketResponse(heartbeat=request.app[SETTINGS].ws_heartbeat_s, max_msg_size=16 * 1024,
                               protocols=protocols)
    # The streams this socket subscribed to (``user``, ``user:notification``): each event goes out
    # once per stream that carries it, named in its ``stream`` field, as Mastodon does. Until the
    # first subscription nothing is pumped, and events of every kind queue.
    streams: set[str] = set()
    started = asyncio.Event()
    if request.query.get("stream") in stream_events.STREAMS:
        streams.add(request.query["stream"])
        started.set()
    session = _session(request, viewer, digest, last, stream_events.kinds(streams) if streams else None)

    async def send(frame: str) -> None:
        event = stream_events.translate(frame)
        for stream in sorted(streams) if event is not None else ():
            if stream_events.carries(stream, event[1]):
                await ws.send_str(stream_events.ws_message(*event, [stream]))

    async def receive() -> None:
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
                session.sub.kinds = stream_events.kinds(streams)

    end = live.End(live.CLOSED)
    async with session:
        await ws.prepare(request)
        end = await session.run(send, gate=started, alongside=[receive()])
    await close_socket(ws, *_ws_close(end))
    return ws


def _ws_close(end: live.End) -> tuple[int, bytes] | tuple[()]:
    """The close code and reason of a WebSocket stream that ended so (nothing: a normal close)."""
    if end.why == live.GAP:
        return stream_events.RESYNC_CLOSE, stream_events.resync_reason(end.missed_after, end.resumes_at).encode()
    if end.why == live.EVICTED:
        return TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON.encode()
    return ()


async def health(request: web.Request) -> web.Response:
    return web.Response(text="OK")


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/streaming/health", health)
    app.router.add_get("/api/v1/streaming/user", user_sse)
    app.router.add_get("/api/v1/streaming/user/notification", user_sse)
    app.router.add_get("/api/v1/streaming", websocket)
