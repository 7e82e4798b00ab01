"""64-bit, time-ordered IDs for every entity (users, posts, comments, media, follows, events).

Layout, most significant first: 1 sign bit (always 0), 41 bits of milliseconds since
``EPOCH_MS`` (good for ~69 years), 10 bits of worker id, 12 bits of per-millisecond sequence. A
newer id is greater; ids from different workers never collide as long as live workers hold
distinct worker ids (the gateway leases one from Redis at start-up, see gateway/idlease.py).
"""
from __future__ import annotations

import threading
from typing import Callable

from .clock import now_ms

EPOCH_MS = 1_704_067_200_000          # 2024-01-01T00:00:00Z
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
TIMESTAMP_SHIFT = WORKER_BITS + SEQUENCE_BITS


class IdGenerator:
    def __init__(self, worker: int, clock: Callable[[], int] = now_ms) -> None:
        if not 0 <= worker <= MAX_WORKER:
            raise ValueError(f"worker id must be in 0..{MAX_WORKER}, got {worker}")
        self.worker = worker
        self._clock = clock
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            now = self._clock()
            # A clock that steps back must not reissue ids: keep counting from the last millisecond.
            if now < self._last_ms:
                now = self._last_ms
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:
                    # 4096 ids in this millisecond: borrow the next one.
                    now = self._last_ms + 1
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << TIMESTAMP_SHIFT) | (self.worker << SEQUENCE_BITS) | self._sequence


def timestamp_ms(entity_id: int) -> int:
    """When an id was issued (milliseconds since the Unix epoch)."""
    return (entity_id >> TIMESTAMP_SHIFT) + EPOCH_MS


def min_id_at(ms: int) -> int:
    """The smallest id that can be issued at or after ``ms``: a cursor bound for time windows."""
    return max(0, ms - EPOCH_MS) << TIMESTAMP_SHIFT


MAX_ID = (1 << 63) - 1
_MAX_ID_DIGITS = len(str(MAX_ID))     # 19


def parse_id(raw: object) -> int | None:
    """An id as a client sent it (a decimal string, or a JSON integer in a body), or None when it
    cannot be one: ASCII digits only (``str.isdigit`` also accepts '²' and '٣', which ``int``
    refuses or reads differently), within int64. Callers decide what None means (404 for a path
    id, 4xx for a query or body id), so bad input never reaches a store or becomes a 500."""
    if type(raw) is int:
        return raw if 0 <= raw <= MAX_ID else None
    if not isinstance(raw, str) or not 0 < len(raw) <= _MAX_ID_DIGITS:
        return None
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None
