"""``GET /api/v1/stream``: the live WebSocket (feed.post, feed.delete, notification).

Order of a connection: subscribe to the account's live channel, then replay the log after
``last_event_id``, then forward live events, skipping any id already sent. Events live in the log
(Redis Stream) before they are published, so replay + live covers everything exactly once, in
order, whichever gateway process produced the event.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import ClientConnectionResetError, WSCloseCode, WSMsgType, web

from live import protocol
from live.hub import Subscriber
from live.protocol import SESSION_ENDED, SLOW_CONSUMER, TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON
from core import json_body
from core.errors import BadRequest, ValidationFailed
from core.tasks import cancel_all
from core.ids import parse_id

from .. import schemas
from ..auth import current_token, current_user_id
from ..keys import EVENTS, LIVE, RENDERER, RESUME_POINTS, SESSIONS, SETTINGS
from ..openapi import describe
from ..sessions import digest

log = logging.getLogger(__name__)

# Replayed events are rendered this many at a time (one graph query per kind per batch).
REPLAY_BATCH = 200


def _last_event_id(request: web.Request) -> int | None:
    raw = request.query.get("last_event_id")
    if raw is None or raw == "":
        return None
    last = parse_id(raw)
    if last is None:
        raise ValidationFailed("last_event_id must be an event id.", code="invalid_last_event_id")
    return last


@describe(query=[schemas.WS_TOKEN, schemas.LAST_EVENT_ID],
          responses={"101": {"description": "switched to the WebSocket protocol"}, **schemas.responses({}, 400, 422)})
async def stream(request: web.Request) -> web.StreamResponse:
    """The live event stream (WebSocket; auth by bearer header or ?token=; resume with ?last_event_id=)."""
    user_id = await current_user_id(request)          # 401 before the upgrade
    token = current_token(request)
    last = _last_event_id(request)
    app, settings = request.app, request.app[SETTINGS]
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=64 * 1024, timeout=5.0)
    # Subscribed and known as connected before the handshake completes: once a client sees its
    # socket open, no event meant for it can slip past.
    sub = Subscriber(user_id, settings.ws_queue_max, session=digest(token))
    # Asked before attaching marks the reader seen: away longer than the live window, no feed
    # events were logged for them, so a resume could not be complete however the log looks.
    lapsed = last is not None and await app[RESUME_POINTS].lapsed(user_id)
    await app[LIVE].attach(sub)
    try:
        await ws.prepare(request)
    except BaseException:
        await asyncio.shield(app[LIVE].detach(sub))
        raise
    renderer = app[RENDERER]
    sent = -1    # the last event id handled (sent, or nothing for this reader): never one twice

    async def send(frames: list[str], up_to: int) -> None:
        nonlocal sent
        for text in frames:
            if sub.ended.is_set():
                return
            await ws.send_str(text)
        sent = up_to

    async def forward() -> tuple[int, bytes]:
        # Events are references, finalised for this reader now: fresh media URLs, and nothing
        # about posts they may no longer see.
        try:
            if last is not None:
                missed = await app[EVENTS].since(user_id, last)
                first = missed[0][0] if missed else None
                if lapsed or (first is not None and first > last + 1):
                    # The log no longer holds everything after last_event_id (or never logged the
                    # feed posts of a reader away that long): say so, so the client refetches its
                    # feed and notifications over REST instead of silently missing them.
                    await ws.send_str(protocol.resync_frame(last, first if first is not None else last + 1))
                for start in range(0, len(missed), REPLAY_BATCH):
                    batch = missed[start:start + REPLAY_BATCH]
                    await send(await renderer.replay(user_id, batch), batch[-1][0])
            while True:
                event_id, payload = await sub.queue.get()
                if event_id > sent:
                    text = await renderer.live(user_id, event_id, payload)
                    await send([text] if text is not None else [], event_id)
        except (ConnectionResetError, ClientConnectionResetError):
            raise
        except Exception:
            # A store needed to render is away: the client resumes from its last event id later
            # and loses nothing (the events stay in the log).
            log.warning("cannot render live events; asking the client to resume", exc_info=True)
            return WSCloseCode.TRY_AGAIN_LATER, b"try again with last_event_id"

    # A watcher ends with the close code and reason for the client. The socket is closed from
    # this handler's task once its receive is stopped: closed from another task while receiving,
    # aiohttp drops the connection before the client's close reply, and the client sees 1006
    # instead of the code.
    async def watch_overflow() -> tuple[int, bytes]:
        await sub.overflowed.wait()
        return SLOW_CONSUMER, b"too slow: reconnect with last_event_id"

    async def watch_evicted() -> tuple[int, bytes]:
        # The account opened more streams than its cap (on any gateway process); this was the oldest.
        await sub.evicted.wait()
        return TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON.encode()

    async def watch_session() -> tuple[int, bytes]:
        # Revocation (logout) arrives at once through the hub; expiry is timed from the session's
        # own TTL; the periodic look also covers a revocation whose message was missed (a Redis
        # reconnect). The first look is immediate: a logout during the handshake counts too.
        while not sub.ended.is_set():
            try:
                remaining = await app[SESSIONS].remaining_s(token)
            except Exception:
                log.warning("cannot check a socket's session; trying again", exc_info=True)
                remaining = settings.ws_heartbeat_s
            else:
                if remaining is None:
                    break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(sub.ended.wait(), max(0.05, min(settings.ws_heartbeat_s, remaining)))
        sub.end()
        return SESSION_ENDED, b"session ended"

    watchers = [asyncio.create_task(watch_overflow()), asyncio.create_task(watch_session()),
                asyncio.create_task(watch_evicted())]
    tasks = [asyncio.create_task(forward()), *watchers]
    close_with: tuple[int, bytes] | None = None
    try:
        while True:
            receiving = asyncio.ensure_future(ws.receive())
            await asyncio.wait([receiving, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receiving
                ended = [t for t in tasks if t.done() and not t.cancelled() and t.exception() is None]
                close_with = ended[0].result() if ended else None
                break
            msg = receiving.result()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                body = json_body.parse(msg.data.encode("utf-8", "surrogateescape"))
            except BadRequest:
                continue
            if isinstance(body, dict) and body.get("type") == "ping":
                await ws.send_str(protocol.pong_frame())
    except (ConnectionResetError, ClientConnectionResetError):
        pass   # the client went away; nothing to answer
    finally:
        await cancel_all(tasks)
        await asyncio.shield(app[LIVE].detach(sub))
        if not ws.closed:
            code, message = close_with or (WSCloseCode.OK, b"")
            with contextlib.suppress(ConnectionResetError, ClientConnectionResetError):
                await ws.close(code=code, message=message)
    return ws


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/stream", stream)
