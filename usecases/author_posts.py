"""An account's posts, newest first, as one viewer may see them (a profile's grid).

In the steady state a page costs no graph read and one Redis round trip after the session: the
marks, with the bodies and liked flags of the ids the page had when last served here (a guess,
checked once the marks are known; a second round trip if it was wrong). What the graph says is
kept in this process (feed/read_cache.MarkedCache) under change marks read before the graph
(stores/profile_marks.py):

- whether the viewer may see the account's posts (a block either way: not found; private and
  not followed: forbidden), under the author's mark and the pair's mark;
- the ids of a page, under the author's mark (the author's own page, which shows their
  processing and failed videos, apart from everyone else's).

The use cases that change either move the mark right after their graph write (publish, ready,
failed, delete, privacy, account deletion; follow, unfollow, accept, remove follower, block,
unblock, mute, unmute), so the next read is right on every gateway process. ``TTL_S`` bounds
only what a mark lost to a Redis failure between a write and its mark could cost.

Bodies come from the post-body cache (stores/post_bodies.py), liked flags from the viewer's
liked set. When the cache cannot answer for every id (the author's own processing video, a post
deleted since its id was read), the graph renders the page.
"""
from __future__ import annotations

import time
from typing import Any

from neo4j import AsyncDriver

from core.errors import Forbidden
from feed.read_cache import MarkedCache
from graph import posts
from stores.liked_posts import LikedPosts
from stores.post_bodies import PostBodies
from stores.profile_marks import ProfileMarks

# Entries held per process, and for how long at most (a backstop: marks move on every change).
VISIBILITY_ENTRIES = 16384
PAGE_ENTRIES = 8192
TTL_S = 60.0
# Username -> account id: only a guess of whose marks to read, checked against the graph's
# answer whenever the graph is read (usernames never change; a deleted account's moves its mark).
NAME_ENTRIES = 16384
NAME_TTL_S = 3600.0

Marks = tuple[bytes | None, bytes | None]      # the author's mark, the pair's


class AuthorPosts:
    def __init__(self, driver: AsyncDriver, bodies: PostBodies, liked: LikedPosts, marks: ProfileMarks) -> None:
        self.driver, self.bodies, self.liked, self.marks = driver, bodies, liked, marks
        self._names: MarkedCache[int] = MarkedCache(NAME_ENTRIES, NAME_TTL_S)
        self._visible: MarkedCache[tuple[int, bool]] = MarkedCache(VISIBILITY_ENTRIES, TTL_S)
        self._ids: MarkedCache[list[int]] = MarkedCache(PAGE_ENTRIES, TTL_S)
        # The ids last served here for a page (no marks: only a guess of which bodies to read
        # with the marks, checked against the page's ids once the marks are known).
        self._hints: MarkedCache[list[int]] = MarkedCache(PAGE_ENTRIES, TTL_S)

    async def page(self, username: str, viewer: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` + 1 of the account's posts older than ``before`` (the extra one tells
        that more exist); NotFound (unknown, or a block either way), Forbidden (private, not
        followed). In the steady state one Redis round trip: the marks, the bodies and the
        liked flags of the ids this page had last time."""
        now = time.monotonic()
        hint = self._names.get(username, None, now)
        marks: Marks | None = None
        found = prefetched = None
        if hint is not None:
            page_key = (hint, viewer == hint, before, limit)
            hinted = self._hints.get(page_key, None, now) or []
            async with self.marks.redis.pipeline(transaction=False) as pipe:
                self.marks.queue_of(pipe, hint, viewer)
                if hinted:
                    self._queue_posts(pipe, hinted, viewer)
                author_mark, pair_mark, *prefetched = await pipe.execute()
            marks = (author_mark, pair_mark)
            found = self._visible.get((username, viewer), marks, now)
        if found is None:
            found = await posts.author_visibility(self.driver, username, viewer)
            if found[0] == hint:
                self._visible.put((username, viewer), marks, found, now)
            else:
                # No guess, or a wrong one: the marks read (if any) were another account's.
                self._names.put(username, None, found[0], now)
                marks = None
        author, visible = found
        if not visible:
            raise Forbidden("This account is private; only its followers can see its posts.", code="private_account")

        page_key = (author, viewer == author, before, limit)
        ids = self._ids.get(page_key, marks[0], now) if marks is not None else None
        if ids is None:
            ids = await posts.ids_by_author(self.driver, author, viewer, before, limit)
            if marks is not None:
                self._ids.put(page_key, marks[0], ids, now)
        if not ids:
            return []
        if prefetched and ids == hinted:
            cached, liked_reply = prefetched
        else:
            self._hints.put(page_key, None, ids, now)
            async with self.bodies.redis.pipeline(transaction=False) as pipe:
                self._queue_posts(pipe, ids, viewer)
                cached, liked_reply = await pipe.execute()
        bodies = await self.bodies.read_through(ids, cached)
        if len(bodies) != len(ids):
            return await posts.list_by_author(self.driver, author, viewer, before, limit)
        return with_liked([bodies[i] for i in ids], self.liked.which_reply(liked_reply))

    def _queue_posts(self, pipe, ids: list[int], viewer: int) -> None:
        """The page's bodies, then the viewer's liked flags of them (two replies). Not
        usecases/hydration.Hydrator's reads: a profile shows a muted author's posts."""
        self.bodies.queue_get(pipe, ids)
        self.liked.queue_which(pipe, viewer, ids)


def with_liked(bodies: list[dict[str, Any]], liked: list[bool]) -> list[dict[str, Any]]:
    """The bodies (decoded afresh for this read) with the viewer's ``liked_by_me`` (pure)."""
    for body, is_liked in zip(bodies, liked):
        body["liked_by_me"] = is_liked
    return bodies
