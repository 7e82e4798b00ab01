"""Opaque list cursors and the ``limit`` parameter of the contract's lists.

A cursor is the sort key of the last item a page returned, encoded so that clients treat it as
opaque. Keys are tuples of ints (ids are 64-bit and time-ordered, so an id alone is a stable,
unique sort key for most lists).
"""
from __future__ import annotations

import base64
import json
import math
import struct

from .errors import BadRequest, ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 512      # far above any cursor this server issues
_INT64 = range(-(2**63), 2**63)


def encode(*key: int) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, arity: int = 1) -> tuple[int, ...] | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor") from None
    if not (isinstance(key, list) and len(key) == arity and all(type(k) is int and k in _INT64 for k in key)):
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor")
    return tuple(key)


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    # Plain ASCII digits only: int() would also take " 5", "1_0" and non-ASCII digits.
    if not (len(value) <= 3 and value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_LIMIT):
        raise ValidationFailed("limit must be an integer between 1 and 100.")
    return int(value)


def page(items: list, limit: int, key) -> dict:
    """Build ``{"items", "next_cursor"}`` from up to ``limit + 1`` fetched items.

    Fetching one extra item tells whether another page exists without a count query.
    """
    more = len(items) > limit
    items = items[:limit]
    next_cursor = encode(*key(items[-1])) if more and items else None
    return {"items": items, "next_cursor": next_cursor}


def float_key(value: float) -> int:
    """A float as an int cursor component, bit-exact (relevance scores must round-trip exactly to
    continue a search after them)."""
    return struct.unpack(">q", struct.pack(">d", value))[0]


def from_float_key(key: int) -> float:
    """The score back; only finite, non-negative ones (relevance scores) are accepted."""
    try:
        value = struct.unpack(">d", struct.pack(">q", key))[0]
    except struct.error:
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor") from None
    if not (math.isfinite(value) and value >= 0):
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor")
    return value
