"""Timeline memory and speed: the compact array timeline against the list-plus-dict one it
replaced (kept below as the baseline, measured in the same run).

    .venv/bin/python -m bench.timeline [--timelines 2000]

Prints bytes per full 800-entry timeline (tracemalloc, everything the timeline object holds) and
push / page throughput for both implementations.
"""
from __future__ import annotations

import argparse
import bisect
import gc
import random
import time
import tracemalloc

from feed.timeline import Timeline

CAP = 800


class ListTimeline:
    """The previous implementation: a sorted list of negated ids plus a post -> author dict."""
    __slots__ = ("cap", "_keys", "_authors", "last_read_ms")

    def __init__(self, cap: int, entries=()) -> None:
        self.cap, self._keys, self._authors, self.last_read_ms = cap, [], {}, 0
        for p, a in entries:
            self.push(p, a)

    def push(self, post_id: int, author_id: int) -> bool:
        if post_id in self._authors:
            return False
        if len(self._keys) >= self.cap and -post_id > self._keys[-1]:
            return False
        bisect.insort(self._keys, -post_id)
        self._authors[post_id] = author_id
        while len(self._keys) > self.cap:
            del self._authors[-self._keys.pop()]
        return True

    def page(self, before, limit):
        start = 0 if before is None else bisect.bisect_right(self._keys, -before)
        return [(-k, self._authors[-k]) for k in self._keys[start:start + limit]]


def realistic_entries(rng: random.Random, n: int) -> list[tuple[int, int]]:
    # 63-bit time-ordered ids like core.ids makes: big ints, each its own Python object.
    base = 1_800_000_000_000 << 22
    return [(base + rng.randrange(1 << 40), base + rng.randrange(1 << 30)) for _ in range(n)]


def bytes_per_timeline(cls, count: int, rng: random.Random) -> float:
    # Built inside the traced region: the ids a timeline keeps are its own objects, as they are
    # when they arrive from Neo4j or another actor; the temporary entry lists are freed again.
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [cls(CAP, realistic_entries(rng, CAP)) for _ in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def push_rate(cls, rng: random.Random, n: int) -> float:
    t = cls(CAP, realistic_entries(rng, CAP))
    newest = max(p for p, _ in t.page(None, 1)) if t.page(None, 1) else 0
    posts = [(newest + k + 1, 7) for k in range(n)]     # new posts arrive newest
    start = time.perf_counter()
    for p, a in posts:
        t.push(p, a)
    return n / (time.perf_counter() - start)


def page_rate(cls, rng: random.Random, n: int) -> float:
    t = cls(CAP, realistic_entries(rng, CAP))
    cuts = [None] + [p for p, _ in t.page(None, CAP)][::20]
    start = time.perf_counter()
    for k in range(n):
        t.page(cuts[k % len(cuts)], 20)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timelines", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for name, cls in (("list+dict (before)", ListTimeline), ("arrays (now)", Timeline)):
        rng = random.Random(7)
        rows.append((name, bytes_per_timeline(cls, args.timelines, rng), push_rate(cls, rng, 200_000),
                     page_rate(cls, rng, 200_000)))
    print(f"{'timeline':<20} {'bytes/800 entries':>18} {'bytes/entry':>12} {'push/s':>12} {'page(20)/s':>12}")
    for name, size, push, page in rows:
        print(f"{name:<20} {size:>18,.0f} {size / CAP:>12.1f} {push:>12,.0f} {page:>12,.0f}")
    (_, old_size, old_push, old_page), (_, new_size, new_push, new_page) = rows
    print(f"\nratios now/before: memory {new_size / old_size:.3f}x, push {new_push / old_push:.2f}x, "
          f"page {new_page / old_page:.2f}x; 1M active readers: {new_size * 1e6 / 2**30:.1f} GiB "
          f"(before {old_size * 1e6 / 2**30:.1f} GiB)")


if __name__ == "__main__":
    main()
