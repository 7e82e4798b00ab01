"""Saved posts (bookmarks): private to the one who saves them. A page of them is hydrated like
every other list of posts, so a post deleted since, or no longer visible (its account went
private, a block), simply drops out."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.ids import IdGenerator
from graph import saved

from .hydration import Hydrator

Page = tuple[list[dict[str, Any]], int | None]      # posts, and the save id to continue below, if any


class SavedPosts:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, hydrator: Hydrator) -> None:
        self.driver, self.ids, self.hydrator = driver, ids, hydrator

    async def save(self, viewer: int, post_id: int) -> None:
        """Save a post the viewer may see (idempotent)."""
        await saved.save(self.driver, viewer, post_id, edge_id=self.ids.next_id(), now_ms=now_ms())

    async def unsave(self, viewer: int, post_id: int) -> None:
        await saved.unsave(self.driver, viewer, post_id)

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
        return await saved.saved_among(self.driver, viewer, post_ids)
