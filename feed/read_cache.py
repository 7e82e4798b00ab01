"""Feed answers kept in a gateway process while the feed they came from is unchanged (pure).

Each value is stored with the marks read *before* it was computed (stores/feed_marks.py): a shard
sets a reader's mark after it changes their feed, so a value computed after an old mark was read
is at least as new as that mark, and a later change moves the mark away from it. A value is
reused only while the marks are equal and it is younger than its TTL; the TTL bounds how long a
lost mark (Redis failing between a change and its mark) can keep a page stale.

Bounded: least recently used values go first beyond ``capacity``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, Hashable, TypeVar

V = TypeVar("V")


class MarkedCache(Generic[V]):
    def __init__(self, capacity: int, ttl_s: float) -> None:
        assert capacity > 0 and ttl_s > 0
        self.capacity, self.ttl_s = capacity, ttl_s
        self._values: OrderedDict[Hashable, tuple[Any, float, V]] = OrderedDict()

    def get(self, key: Hashable, marks: Any, now: float) -> V | None:
        found = self._values.get(key)
        if found is None:
            return None
        held_marks, stored_at, value = found
        if held_marks != marks or now - stored_at >= self.ttl_s:
            del self._values[key]
            return None
        self._values.move_to_end(key)
        return value

    def peek(self, key: Hashable, now: float) -> tuple[Any, V] | None:
        """The value held for ``key`` and the marks it was stored under, if younger than the TTL,
        whatever the marks are now: for a caller that reads the marks and what the value
        implies in one round trip, and uses the value only if the marks it read are these."""
        found = self._values.get(key)
        if found is None or now - found[1] >= self.ttl_s:
            return None
        return found[0], found[2]

    def put(self, key: Hashable, marks: Any, value: V, now: float) -> None:
        self._values[key] = (marks, now, value)
        self._values.move_to_end(key)
        while len(self._values) > self.capacity:
            self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)
