"""A home timeline: post ids newest first, capped, with the symmetric edits the feed needs (pure).

push/unpush one post, merge/unmerge an author's posts (follow/unfollow), trim to the cap. Entries
are (post_id, author_id); post ids are time-ordered, so id order is recency order.
"""
from __future__ import annotations

import bisect
import heapq
from typing import Iterable, Iterator

Entry = tuple[int, int]   # (post_id, author_id)


class Timeline:
    __slots__ = ("cap", "_keys", "_authors", "last_read_ms")

    def __init__(self, cap: int, entries: Iterable[Entry] = ()) -> None:
        self.cap = cap
        self._keys: list[int] = []       # -post_id, ascending: newest first
        self._authors: dict[int, int] = {}
        self.last_read_ms = 0
        self.merge(entries)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, post_id: int) -> bool:
        return post_id in self._authors

    def entries(self) -> list[Entry]:
        return [(-k, self._authors[-k]) for k in self._keys]

    def push(self, post_id: int, author_id: int) -> bool:
        if post_id in self._authors:
            return False
        if len(self._keys) >= self.cap and -post_id > self._keys[-1]:
            return False                 # older than everything kept: it would be trimmed at once
        bisect.insort(self._keys, -post_id)
        self._authors[post_id] = author_id
        self._trim()
        return True

    def unpush(self, post_id: int) -> bool:
        if post_id not in self._authors:
            return False
        del self._authors[post_id]
        i = bisect.bisect_left(self._keys, -post_id)
        del self._keys[i]
        return True

    def merge(self, entries: Iterable[Entry]) -> int:
        return sum(self.push(p, a) for p, a in entries)

    def unmerge(self, author_id: int) -> int:
        gone = [p for p, a in self._authors.items() if a == author_id]
        for post_id in gone:
            self.unpush(post_id)
        return len(gone)

    def _trim(self) -> None:
        while len(self._keys) > self.cap:
            del self._authors[-self._keys.pop()]

    def page(self, before: int | None, limit: int) -> list[Entry]:
        """Up to ``limit`` entries older than ``before`` (all when None)."""
        start = 0 if before is None else bisect.bisect_right(self._keys, -before)
        return [(-k, self._authors[-k]) for k in self._keys[start:start + limit]]


def merge_newest(limit: int, *sources: Iterable[Entry]) -> list[Entry]:
    """Merge newest-first entry lists into one, without duplicates, up to ``limit``."""
    seen: set[int] = set()
    out: list[Entry] = []
    merged: Iterator[Entry] = heapq.merge(*sources, key=lambda e: -e[0])
    for post_id, author_id in merged:
        if post_id in seen:
            continue
        seen.add(post_id)
        out.append((post_id, author_id))
        if len(out) >= limit:
            break
    return out

