"""``GET /api/v1/stream``: the live WebSocket (feed.post, feed.delete, notification).

The pump (replay after ``last_event_id``, then live events, each once, in order) is
live/session.py's, shared with the Mastodon streams; this module writes its frames as they are,
a gap as a ``resync`` frame (and carries on), answers pings, and closes with the v1 codes.
"""
from __future__ import annotations

from aiohttp import WSCloseCode, WSMsgType, web

from core import live_protocol as protocol
from live import session as live
from live.hub import Subscriber
from core.live_protocol import SESSION_ENDED, SLOW_CONSUMER, TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON
from core import json_body
from core.errors import BadRequest, ValidationFailed
from core.ids import parse_id
from stores.sessions import digest

from .. import schemas
from ..auth import current_token, current_user_id
from ..http import close_socket
from ..keys import EVENTS, LIVE, RENDERER, RESUME_POINTS, SESSIONS, SETTINGS
from ..openapi import describe

# How each end of a stream closes the socket (anything else: a normal close).
_CLOSE = {live.SLOW: (SLOW_CONSUMER, b"too slow: reconnect with last_event_id"),
          live.EVICTED: (TOO_MANY_STREAMS, TOO_MANY_STREAMS_REASON.encode()),
          live.SESSION_ENDED: (SESSION_ENDED, b"session ended"),
          live.UNAVAILABLE: (WSCloseCode.TRY_AGAIN_LATER, b"try again with last_event_id")}


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
    session = live.LiveSession(app[LIVE], app[EVENTS], app[RENDERER],
                               Subscriber(user_id, settings.ws_queue_max, session=digest(token)),
                               last=last, session_left=lambda: app[SESSIONS].remaining_s(token),
                               heartbeat_s=settings.ws_heartbeat_s, resume_points=app[RESUME_POINTS])
    end = live.End(live.CLOSED)
    async with session:         # subscribed and known as connected before the handshake completes
        await ws.prepare(request)
        # A gap: the client refetches its feed and notifications over REST instead of silently missing them.
        end = await session.run(ws.send_str, resync=lambda a, b: ws.send_str(protocol.resync_frame(a, b)),
                                alongside=[_answer_pings(ws)])
    await close_socket(ws, *_CLOSE.get(end.why, ()))
    return ws


async def _answer_pings(ws: web.WebSocketResponse) -> None:
    """Reads the client until it closes: ``{"type": "ping"}`` gets a pong, anything else nothing."""
    async for msg in ws:            # an error closes the socket: the loop then ends
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            body = json_body.parse(msg.data.encode("utf-8", "surrogateescape"))
        except BadRequest:
            continue
        if isinstance(body, dict) and body.get("type") == "ping":
            await ws.send_str(protocol.pong_frame())


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/stream", stream)
