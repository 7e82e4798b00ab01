"""The live protocol, encoded and decoded in this one module.

An event exists in three forms:
- **logged** (the account's Redis Stream, replayed on resume): a *reference*, never rendered
  output: ``{"type": "feed.post", "ref": {"post_id", "author_id"}}``, ``{"type": "feed.delete",
  "ref": {"post_id"}}``, ``feed.update`` (a caption edited: the same reference as ``feed.post``), ``{"type": "notification", "ref": {"notification_id"}}``. What a reader
  may see, and the media URLs that expire, are decided when the event is delivered, for that
  reader at that moment (the way Zulip finalises payloads per client at delivery).
- **published** (pub/sub, to every gateway process holding the account's sockets; channels are
  shared by many accounts): ``"<account> <event id> <logged payload>"``, or the revocation
  ``"<account> revoked <session digest>"`` that ends one session's sockets, or the eviction
  ``"<account> evicted <stream id>"`` that closes one stream (the account opened more than its
  cap, live/stream_slots.py). The event log's Lua
  script writes the first form with the same layout.
- **framed** (the WebSocket text frame a client reads): ``{"id", "type", "data"}``, plus the
  ``resync`` and ``pong`` frames, and the close codes below.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

FEED_POST = "feed.post"
FEED_DELETE = "feed.delete"
FEED_UPDATE = "feed.update"     # a post's caption was edited: rendered per reader like feed.post
NOTIFICATION = "notification"
POST_FAILED = "post.failed"     # to the author: their video post could not be processed

SLOW_CONSUMER = 4008   # close code: the client fell behind; resume with last_event_id
SESSION_ENDED = 4001   # close code: the session was revoked (logout) or expired
# Close code: the account opened more streams than its cap and this was the oldest. Not
# SLOW_CONSUMER's 4008, which tells a client to resume at once: this one should not fight back.
TOO_MANY_STREAMS = 4009
TOO_MANY_STREAMS_REASON = "too many streams on this account: the oldest was closed"

REVOKED = "revoked"    # in place of an event id on the channel
EVICTED = "evicted"


@dataclass(frozen=True)
class EventRef:
    """A logged event: what happened, by reference. ``data``: an inline event, delivered as it
    is (nothing to finalise; also how events logged before references existed decode)."""
    kind: str
    post_id: int | None = None
    author_id: int | None = None
    notification_id: int | None = None
    data: Any = None


def feed_post(post_id: int, author_id: int) -> EventRef:
    return EventRef(FEED_POST, post_id=post_id, author_id=author_id)


def feed_update(post_id: int, author_id: int) -> EventRef:
    return EventRef(FEED_UPDATE, post_id=post_id, author_id=author_id)


def feed_delete(post_id: int) -> EventRef:
    return EventRef(FEED_DELETE, post_id=post_id)


def notification(notification_id: int) -> EventRef:
    return EventRef(NOTIFICATION, notification_id=notification_id)


def post_failed(post_id: int, code: str, message: str) -> EventRef:
    """Inline: only the author receives it, and it carries no URL to sign at delivery."""
    return inline(POST_FAILED, {"post_id": str(post_id), "failure": {"code": code, "message": message}})


def inline(kind: str, data: Any) -> EventRef:
    """An event whose data needs nothing finalised at delivery (no URLs, no visibility)."""
    return EventRef(kind, data=data)


_REF_FIELDS = ("post_id", "author_id", "notification_id")


def encode(ref: EventRef) -> str:
    """The logged payload of an event (ids as strings: JSON numbers lose 64-bit precision)."""
    if ref.data is not None:
        return json.dumps({"type": ref.kind, "data": ref.data}, separators=(",", ":"))
    fields = {f: str(getattr(ref, f)) for f in _REF_FIELDS if getattr(ref, f) is not None}
    return json.dumps({"type": ref.kind, "ref": fields}, separators=(",", ":"))


def decode(payload: str) -> EventRef:
    body = json.loads(payload)
    if "ref" not in body:
        return EventRef(body["type"], data=body.get("data"))
    ref = body["ref"]
    return EventRef(body["type"], **{f: int(ref[f]) for f in _REF_FIELDS if f in ref})


def kind_of(payload: str) -> str:
    """The kind of a logged payload ("" if it is not one)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return ""
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else ""


def revocation(user_id: int, session: str) -> str:
    """The channel message that ends the sockets of one session (its token digest)."""
    return f"{user_id} {REVOKED} {session}"


def eviction(user_id: int, stream_id: str) -> str:
    """The channel message that closes one stream (by its id), wherever it is held."""
    return f"{user_id} {EVICTED} {stream_id}"


@dataclass(frozen=True)
class ChannelMessage:
    user_id: int
    event_id: int | None        # None: a control message (``control`` says which)
    payload: str                # the logged payload, the revoked session's digest, or the evicted stream's id
    control: str = ""           # REVOKED or EVICTED

    @cached_property
    def kind(self) -> str:
        return kind_of(self.payload)


def parse_channel_message(raw: bytes) -> ChannelMessage:
    """Raises ValueError for anything that is not one of the three forms."""
    user, event, rest = raw.decode().split(" ", 2)
    if event in (REVOKED, EVICTED):
        return ChannelMessage(int(user), None, rest, event)
    return ChannelMessage(int(user), int(event), rest)


def frame(event_id: int, kind: str, data: Any) -> str:
    return json.dumps({"id": str(event_id), "type": kind, "data": data})


def resync_frame(missed_after: int, resumes_at: int) -> str:
    """The log no longer holds everything after the client's last_event_id: it should refetch
    its feed and notifications over REST."""
    return json.dumps({"type": "resync", "data": {"missed_after": str(missed_after), "resumes_at": str(resumes_at)}})


def pong_frame() -> str:
    return json.dumps({"type": "pong"})
