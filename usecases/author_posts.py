"""An account's posts, newest first, as one viewer may see them (a profile's grid).

Ids come from the graph's index, bodies from the post-body cache (usecases/hydration.py): the
way the feed is read, so a profile page costs one light graph query instead of rebuilding every
post from the graph. When the cache cannot answer for every id (the author's own processing
video, a muted author's posts, which a profile still shows), the graph renders the page.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.errors import Forbidden
from graph import posts

from .hydration import Hydrator


class AuthorPosts:
    def __init__(self, driver: AsyncDriver, hydrator: Hydrator) -> None:
        self.driver, self.hydrator = driver, hydrator

    async def author(self, username: str, viewer: int) -> int:
        """The account's id; NotFound (unknown, or a block either way), Forbidden (private, not followed)."""
        author, visible = await posts.author_visibility(self.driver, username, viewer)
        if not visible:
            raise Forbidden("This account is private; only its followers can see its posts.", code="private_account")
        return author

    async def page(self, author: int, viewer: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` + 1 posts older than ``before`` (the extra one tells that more exist)."""
        ids = await posts.ids_by_author(self.driver, author, viewer, before, limit)
        found = await self.hydrator.hydrate(ids, viewer)
        if len(found) == len(ids):
            return found
        return await posts.list_by_author(self.driver, author, viewer, before, limit)
