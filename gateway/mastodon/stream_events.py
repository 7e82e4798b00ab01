"""Live events in Mastodon's streaming shapes (pure).

The renderer (live/session.py) finalises each logged event for its reader as a frame
``{"id", "type", "data"}``; here a frame becomes Mastodon's event: ``update`` (a Status), ``status.update`` (an edited Status),
``delete`` (a status id) or ``notification`` (a Notification), written as a server-sent event
whose ``id`` is the event's id in the account's log (what a client resumes from with
``Last-Event-ID``), or as a WebSocket message.
"""
from __future__ import annotations

import json
from typing import Any

from core import live_protocol as protocol

HEARTBEAT = ":thump\n\n"
USER, USER_NOTIFICATION = "user", "user:notification"
STREAMS = (USER, USER_NOTIFICATION)
# Close code of a WebSocket whose Last-Event-ID the log no longer reaches back to (a private-use
# code: Mastodon has none for it).
RESYNC_CLOSE = 4010
_NAMES = {protocol.FEED_POST: "update", protocol.FEED_UPDATE: "status.update", protocol.FEED_DELETE: "delete",
          protocol.NOTIFICATION: "notification"}


def translate(frame: str) -> tuple[int, str, str] | None:
    """(event id, Mastodon event name, payload string), or None for a frame Mastodon has no
    event for."""
    body = json.loads(frame)
    name = _NAMES.get(body.get("type"))
    if name is None or "id" not in body:
        return None
    data: Any = body["data"]
    if name == "delete":
        payload = str(data["post_id"]) if isinstance(data, dict) else str(data)
    else:
        payload = json.dumps(data, separators=(",", ":"))
    return int(body["id"]), name, payload


def kinds(streams) -> frozenset[str]:
    """The logged event kinds the streams carry (what their subscriber takes from the hub)."""
    return frozenset(kind for kind, name in _NAMES.items() if any(carries(s, name) for s in streams))


def carries(stream: str, name: str) -> bool:
    """Does ``stream`` carry events named ``name``? ``user:notification`` only notifications."""
    return stream == USER or (stream == USER_NOTIFICATION and name == "notification")


def resync_reason(missed_after: int, resumes_at: int) -> str:
    return f"resync: events after {missed_after} are gone; refetch, then resume after {resumes_at - 1}"


def sse_resync(missed_after: int, resumes_at: int) -> str:
    """The end of an SSE stream that cannot resume: a comment saying why, and an ``id`` that
    moves the client's Last-Event-ID to just before the oldest logged event (an EventSource
    sets it even from a block without data), so its reconnect does not meet the gap again."""
    return f":{resync_reason(missed_after, resumes_at)}\nid: {resumes_at - 1}\n\n"


def sse_error(message: str) -> str:
    return f"event: error\ndata: {json.dumps({'error': message})}\n\n"


def sse(event_id: int, name: str, payload: str) -> str:
    return f"id: {event_id}\nevent: {name}\ndata: {payload}\n\n"


def ws_message(event_id: int, name: str, payload: str, stream: list[str]) -> str:
    return json.dumps({"stream": stream, "event": name, "payload": payload, "id": str(event_id)})


def parse_last_event_id(raw: str | None) -> int | None:
    """A Last-Event-ID this server issued (a decimal event id), else None (start live)."""
    if raw is None:
        return None
    raw = raw.strip()
    if not (0 < len(raw) <= 19 and raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
