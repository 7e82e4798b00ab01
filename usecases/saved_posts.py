"""Saved posts (bookmarks): private to the one who saves them. A page of them is hydrated like
every other list of posts, so a post deleted since, or no longer visible (its account went
private, a block), simply drops out. Whether posts are saved (a Mastodon status's ``bookmarked``)
is answered by the saver's set in Redis (stores/saved_post_ids.py), changed here right after
each graph write."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from redis.asyncio.client import Pipeline

from core.clock import now_ms
from core.ids import IdGenerator
from graph import saved
from stores.saved_post_ids import SavedPostIds

from .hydration import Hydrator

Page = tuple[list[dict[str, Any]], int | None]      # posts, and the save id to continue below, if any


class SavedPosts:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, hydrator: Hydrator, saved_ids: SavedPostIds) -> None:
        self.driver, self.ids, self.hydrator, self.saved_ids = driver, ids, hydrator, saved_ids

    async def save(self, viewer: int, post_id: int) -> None:
        """Save a post the viewer may see (idempotent)."""
        await saved.save(self.driver, viewer, post_id, edge_id=self.ids.next_id(), now_ms=now_ms())
        await self.saved_ids.add(viewer, post_id)

    async def unsave(self, viewer: int, post_id: int) -> None:
        await saved.unsave(self.driver, viewer, post_id)
        await self.saved_ids.remove(viewer, post_id)

    async def page(self, viewer: int, before: int | None, limit: int) -> Page:
        """Newest saved first. The cursor is the last save read, so a post that dropped out
        never makes a page end early or repeat."""
        rows = await saved.page(self.driver, viewer, before, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        posts = await self.hydrator.hydrate([post_id for _, post_id in rows], viewer, live_privacy=True)
        return posts, (rows[-1][0] if more and rows else None)

    async def page_with_saves(self, viewer: int, before: int | None, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """(save id, post) pairs, newest saved first (for clients that page by save id)."""
        rows = await saved.page(self.driver, viewer, before, limit)
        posts = {p["id"]: p for p in await self.hydrator.hydrate([post_id for _, post_id in rows], viewer,
                                                                 live_privacy=True)}
        return [(edge_id, posts[post_id]) for edge_id, post_id in rows if post_id in posts]

    async def saved_among(self, viewer: int, post_ids: list[int]) -> set[int]:
        """Which of the posts the viewer saved (one round trip)."""
        if not post_ids:
            return set()
        async with self.saved_ids.redis.pipeline(transaction=False) as pipe:
            self.queue_saved_among(pipe, viewer, post_ids)
            found, = await pipe.execute()
        return await self.saved_among_reply(viewer, post_ids, found)

    def queue_saved_among(self, pipe: Pipeline, viewer: int, post_ids: list[int]) -> None:
        """``saved_among`` in a caller's pipeline (``post_ids`` not empty); its reply goes to
        ``saved_among_reply``."""
        self.saved_ids.queue_which(pipe, viewer, post_ids)

    async def saved_among_reply(self, viewer: int, post_ids: list[int], found: list) -> set[int]:
        return await self.saved_ids.which_reply(viewer, post_ids, found,
                                                lambda v: saved.saved_ids(self.driver, v))
