"""A home timeline: post ids newest first, capped, with the symmetric edits the feed needs (pure).

push/unpush one post, merge/unmerge an author's posts (follow/unfollow), trim to the cap. Entries
are (post_id, author_id); post ids are time-ordered, so id order is recency order.

Storage is two parallel machine arrays of signed 64-bit ints, not Python objects: 16 bytes per
entry plus two array headers, so a full 800-entry timeline is ~13 KB instead of the ~129 KB a list
of ints plus a dict cost (bench/timeline.py measures both). Post ids are kept negated so that the
array is ascending and ``bisect`` finds positions directly; inserts shift at most ``cap`` entries,
which is a memmove of a few KB.
"""
from __future__ import annotations

import bisect
import heapq
from array import array
from typing import Iterable, Iterator

Entry = tuple[int, int]   # (post_id, author_id)

# 'q' is a signed 64-bit C long long on every platform Python supports: ids are 63-bit.
_INT64 = "q"
BYTES_PER_ENTRY = 2 * array(_INT64).itemsize


class Timeline:
    __slots__ = ("cap", "_keys", "_authors", "last_read_ms")

    def __init__(self, cap: int, entries: Iterable[Entry] = ()) -> None:
        self.cap = cap
        self._keys = array(_INT64)       # -post_id, ascending: newest first
        self._authors = array(_INT64)    # author of the post at the same index
        self.last_read_ms = 0
        self.merge(entries)

    def __len__(self) -> int:
        return len(self._keys)

    def _index(self, post_id: int) -> int | None:
        i = bisect.bisect_left(self._keys, -post_id)
        return i if i < len(self._keys) and self._keys[i] == -post_id else None

    def __contains__(self, post_id: int) -> bool:
        return self._index(post_id) is not None

    def nbytes(self) -> int:
        """Bytes held by the entries (the arrays' buffers)."""
        return sum(a.buffer_info()[1] * a.itemsize for a in (self._keys, self._authors))

    def entries(self) -> list[Entry]:
        return [(-k, a) for k, a in zip(self._keys, self._authors)]

    def push(self, post_id: int, author_id: int) -> bool:
        keys, key = self._keys, -post_id
        # A fan-out brings the newest post almost always: it goes first without a search.
        if not keys or key < keys[0]:
            i = 0
        else:
            i = bisect.bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                return False
        if i >= self.cap:
            return False                 # older than everything kept: it would be trimmed at once
        self._keys.insert(i, -post_id)
        self._authors.insert(i, author_id)
        self._trim()
        return True

    def unpush(self, post_id: int) -> bool:
        i = self._index(post_id)
        if i is None:
            return False
        del self._keys[i]
        del self._authors[i]
        return True

    def merge(self, entries: Iterable[Entry]) -> int:
        return sum(self.push(p, a) for p, a in entries)

    def unmerge(self, author_id: int) -> int:
        keep = [i for i, a in enumerate(self._authors) if a != author_id]
        gone = len(self._authors) - len(keep)
        if gone:
            self._keys = array(_INT64, (self._keys[i] for i in keep))
            self._authors = array(_INT64, (self._authors[i] for i in keep))
        return gone

    def _trim(self) -> None:
        if len(self._keys) > self.cap:
            self._keys.pop()      # one push adds one entry: one pop restores the cap
            self._authors.pop()

    def page(self, before: int | None, limit: int) -> list[Entry]:
        """Up to ``limit`` entries older than ``before`` (all when None)."""
        start = 0 if before is None else bisect.bisect_right(self._keys, -before)
        end = start + limit
        return [(-k, a) for k, a in zip(self._keys[start:end], self._authors[start:end])]


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
