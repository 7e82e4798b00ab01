"""The home feed, ranked (default) or strictly recent, one page at a time.

Recent pages are cut by post id (ids are time-ordered), so new posts arriving during a pass can
never shift a page boundary. A ranked pass ranks a window of candidates once, at its first page,
and freezes that order (stores/feed_snapshots.py); later pages read the frozen order, so neither
new posts nor changing counts can repeat or skip a post. Below the window the pass continues by
recency.

A cursor is ``(RECENT, before post id, 0)`` or ``(RANKED, snapshot id, offset)``.

A ranked order (and its snapshot) is reused for the reader's next first pages while their feed
is unchanged (its marks: feed/read_cache.py) for up to RANKED_REUSE_S: counts that moved in the
meantime reorder the next one. Every page is hydrated afresh: counts, likes, edits, deletions
and blocks show at once.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable

from core.clock import now_ms
from core.errors import BadRequest
from actors.feed_engine import FeedEngine
from feed.ranking import Candidate, affinity, rank
from feed.read_cache import MarkedCache
from stores.affinities import Affinities
from stores.feed_marks import Marks
from stores.feed_snapshots import FeedSnapshots

from .hydration import Hydrator

if TYPE_CHECKING:
    from redis.asyncio.client import Pipeline


RECENT, RANKED = 0, 1
ORDERS = ("ranked", "recent")
# Offsets into a snapshot stay below its length (at most feed_ranked_window); anything past this
# bound, or negative (Redis would count from the end), is not a cursor this server issued.
MAX_SNAPSHOT_OFFSET = 1 << 20

Page = tuple[list[dict[str, Any]], tuple[int, int, int] | None]   # posts, and the next cursor if any
Ranked = tuple[list[int], int | None, int]                          # order, recency floor, snapshot id

# How long one ranked order serves a reader's first pages while their feed is unchanged: ranking
# costs a decode of the whole window (200 bodies), so a reader refreshing is not re-ranked on
# every pull. Below the snapshot TTL (stores/feed_snapshots.py), so a reused snapshot is alive.
RANKED_REUSE_S = 10.0
RANKED_CACHE_READERS = 4096


class HomeFeed:
    def __init__(self, feed: FeedEngine, hydrator: Hydrator, affinities: Affinities, snapshots: FeedSnapshots,
                 ranked_window: int) -> None:
        self.feed, self.hydrator, self.affinities, self.snapshots = feed, hydrator, affinities, snapshots
        self.ranked_window = ranked_window
        self._ranked: MarkedCache[Ranked] = MarkedCache(RANKED_CACHE_READERS, RANKED_REUSE_S)

    async def page(self, viewer: int, order: str, cursor: tuple[int, int, int] | None, limit: int) -> Page:
        """``order`` is one of ORDERS; ``cursor`` a decoded cursor of an earlier page, or None."""
        if cursor is not None and cursor[0] == RECENT:
            return await self._recent(viewer, cursor[1], limit)
        if cursor is not None and cursor[0] == RANKED and order == "ranked":
            return await self._continue_ranked(viewer, cursor[1], cursor[2], limit)
        if cursor is not None:
            raise BadRequest("The cursor belongs to another kind of feed pass.", code="invalid_cursor")
        if order == "recent":
            return await self._recent(viewer, None, limit)
        return await self._start_ranked(viewer, limit)

    async def _recent(self, viewer: int, before: int | None, limit: int) -> Page:
        items, nxt, _ = await self.recent_with(viewer, before, limit, None)
        return items, nxt

    async def recent_with(self, viewer: int, before: int | None, limit: int,
                          also: Callable[[Pipeline, list[tuple[int, int]]], None] | None
                          ) -> tuple[list[dict[str, Any]], tuple[int, int, int] | None, list]:
        """A recent page, with the reads ``also`` queues (given the page's (post, author) entries)
        in the pipeline that hydrates it, and their replies (none for an empty page). Usually one
        Redis round trip: see ``first_page``."""
        items, nxt, _, replies = await self._recent_one_trip(viewer, before, limit, None, also)
        return items, nxt, replies

    async def _recent_one_trip(self, viewer: int, before: int | None, limit: int,
                               first: Callable[[Pipeline], None] | None,
                               also: Callable[[Pipeline, list[tuple[int, int]]], None] | None
                               ) -> tuple[list[dict[str, Any]], tuple[int, int, int] | None, list, list]:
        """A recent page after ``first``'s reads, with ``also``'s: the page, its next cursor,
        ``first``'s replies and ``also``'s. In one round trip when the page this process last read
        for (viewer, before, limit) is current: the marks, and that page's hydration (and
        ``also``) read speculatively with them, used only if the marks read are the ones it was
        kept under; otherwise read as ``_recent`` reads it, after these marks."""
        if self.feed.strategy == "pull":
            first_replies = await self._first_alone(first)
            entries = await self.feed.read(viewer, before, limit + 1)
            guess = None
        else:
            guess = self.feed.peek(viewer, before, limit + 1)
            guessed = guess[1][:limit] if guess is not None else []
            async with self.hydrator.bodies.redis.pipeline(transaction=False) as pipe:
                if first is not None:
                    first(pipe)
                taken = len(pipe)
                pulled = self.feed.queue_marks(pipe, viewer)
                if guessed:
                    self.hydrator.queue(pipe, [p for p, _ in guessed], viewer)
                    if also is not None:
                        also(pipe, guessed)
                replies = await pipe.execute()
            first_replies, marks = replies[:taken], tuple(replies[taken])
            if guess is not None and guess[0] == marks:
                entries = guess[1]
                hydrated = taken + 1 + self.hydrator.QUEUED
                items = (await self.hydrator.finish([p for p, _ in guessed], viewer, replies[taken + 1:hydrated])
                         if guessed else [])
                extra = replies[hydrated:]
            else:
                guess = None
                entries = await self.feed.read_under(viewer, before, limit + 1, pulled, marks)
        more = len(entries) > limit
        entries = entries[:limit]
        if guess is None:
            items, extra = await self.hydrator.hydrate_with(
                [p for p, _ in entries], viewer, (lambda pipe: also(pipe, entries)) if also is not None else None)
        return items, ((RECENT, entries[-1][0], 0) if more and entries else None), first_replies, extra

    async def _first_alone(self, first: Callable[[Pipeline], None] | None) -> list:
        """``first``'s reads in a round trip of their own (the pull strategy: the feed is read
        from the shard, not under marks) and their replies."""
        if first is None:
            return []
        async with self.hydrator.bodies.redis.pipeline(transaction=False) as pipe:
            first(pipe)
            return await pipe.execute()

    async def _start_ranked(self, viewer: int, limit: int) -> Page:
        entries, marks = await self.feed.read_marked(viewer, None, self.ranked_window)
        ranked = await self._ranked_under(viewer, entries, marks)
        page, used = await self._fill(ranked[0], viewer, limit)
        return page, self._ranked_next(ranked, used)

    async def _ranked_under(self, viewer: int, entries: list[tuple[int, int]], marks: Marks | None) -> Ranked:
        """The ranked order of ``entries`` read under ``marks``: this process's, if kept under
        them, else ranked now (and kept under them)."""
        ranked = self._ranked.get(viewer, marks, time.monotonic()) if marks is not None else None
        if ranked is None:
            ranked = await self._rank(viewer, entries)
            if marks is not None:
                self._ranked.put(viewer, marks, ranked, time.monotonic())
        return ranked

    @staticmethod
    def _ranked_next(ranked: Ranked, used: int) -> tuple[int, int, int] | None:
        order, floor, snapshot = ranked
        if used < len(order):
            return RANKED, snapshot, used
        return (RECENT, floor, 0) if floor else None

    async def first_page(self, viewer: int, order: str, limit: int, first: Callable[[Pipeline], None]
                         ) -> tuple[list[dict[str, Any]], tuple[int, int, int] | None, list]:
        """``page`` without a cursor, after the reads ``first`` queues (the resume point), in one
        Redis round trip when the feed is unchanged since this process last served the reader:
        ``first``'s commands, the feed's marks, and the hydration of the page this process last
        answered (its ids under the marks it was read for, FeedEngine.peek / the ranked orders).
        The guess is used only if the marks read are the ones it was kept under, i.e. exactly
        when ``page`` would have used it: otherwise the page is read as ``page`` reads it, after
        these marks. Returns the page, its next cursor and ``first``'s replies."""
        if order == "recent":
            items, nxt, first_replies, _ = await self._recent_one_trip(viewer, None, limit, first, None)
            return items, nxt, first_replies
        if self.feed.strategy == "pull":
            replies = await self._first_alone(first)
            items, nxt = await self.page(viewer, order, None, limit)
            return items, nxt, replies
        guess = self._ranked.peek(viewer, time.monotonic())
        ids = guess[1][0][:limit] if guess is not None else []
        async with self.hydrator.bodies.redis.pipeline(transaction=False) as pipe:
            first(pipe)
            taken = len(pipe)
            pulled = self.feed.queue_marks(pipe, viewer)
            if ids:
                self.hydrator.queue(pipe, ids, viewer)
            replies = await pipe.execute()
        marks = tuple(replies[taken])
        hit = guess is not None and guess[0] == marks
        if hit:
            ranked = guess[1]
            page = await self.hydrator.finish(ids, viewer, replies[taken + 1:]) if ids else []
            used = len(ids)
            if len(page) < limit and used < len(ranked[0]):      # hidden posts on the page: fill on
                rest, more = await self._fill(ranked[0][used:], viewer, limit - len(page))
                page, used = page + rest, used + more
            return page, self._ranked_next(ranked, used), replies[:taken]
        entries = await self.feed.read_under(viewer, None, self.ranked_window, pulled, marks)
        ranked = await self._ranked_under(viewer, entries, marks)
        page, used = await self._fill(ranked[0], viewer, limit)
        return page, self._ranked_next(ranked, used), replies[:taken]

    async def _rank(self, viewer: int, entries: list[tuple[int, int]]) -> Ranked:
        """Ranked on the cached bodies' counts and the cached affinities; only the page returned is
        hydrated for the viewer (liked flags, who may see what)."""
        bodies, close = await asyncio.gather(self.hydrator.bodies.get([p for p, _ in entries]),
                                             self.affinities.of(viewer, sorted({a for _, a in entries})))
        candidates = [
            Candidate(b["id"], b["author"]["id"], b["created_at"], b["like_count"], b["comment_count"],
                      affinity(*close.get(b["author"]["id"], (False, 0))))
            for b in bodies.values()
        ]
        order = rank(candidates, now_ms())
        floor = entries[-1][0] if len(entries) >= self.ranked_window else None
        # Frozen now, used by whichever of the reader's first pages is not the last one.
        snapshot = await self.snapshots.save(viewer, order, floor) if order else 0
        return order, floor, snapshot

    async def _fill(self, order: list[int], viewer: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` posts the viewer may see, hydrated from the head of ``order``, and how
        much of ``order`` that used (hidden posts are skipped, so it can be more than ``limit``)."""
        page: list[dict[str, Any]] = []
        used = 0
        while len(page) < limit and used < len(order):
            chunk = order[used:used + limit - len(page)]
            used += len(chunk)
            page += await self.hydrator.hydrate(chunk, viewer)
        return page, used

    async def _continue_ranked(self, viewer: int, snapshot: int, offset: int, limit: int) -> Page:
        if not 0 <= offset <= MAX_SNAPSHOT_OFFSET:
            raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor")
        # Keyed by the caller: another viewer's snapshot id finds nothing (reads as expired).
        frozen = await self.snapshots.read(viewer, snapshot, offset, limit)
        if frozen is None:
            raise BadRequest("This feed pass has expired; start again without a cursor.", code="cursor_expired")
        ids, total, floor = frozen
        # Re-hydrated now (counts are current, deleted posts drop out); the order stays frozen.
        items = await self.hydrator.hydrate(ids, viewer)
        if offset + limit < total:
            return items, (RANKED, snapshot, offset + limit)
        return items, ((RECENT, floor, 0) if floor else None)
