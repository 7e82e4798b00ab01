"""Likes and comments, and what each changes besides the graph: the liker's liked set, the cached
post body (its counts), the post's search document (its counts), and the author's notification."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.ids import IdGenerator
from graph import engagement
from graph.engagement import LikeChange
from search.port import OutboxSearchEffects
from stores.liked_posts import LikedPosts
from stores.post_bodies import PostBodies

from .notify import Notifier


class Engagement:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, liked: LikedPosts, bodies: PostBodies,
                 search: OutboxSearchEffects, notifier: Notifier) -> None:
        self.driver, self.ids, self.liked, self.bodies = driver, ids, liked, bodies
        self.search, self.notifier = search, notifier

    async def like(self, viewer: int, post_id: int) -> LikeChange:
        """Like a post the viewer may see (idempotent)."""
        change = await engagement.like(self.driver, viewer, post_id, edge_id=self.ids.next_id(), now_ms=now_ms())
        await self.liked.add(viewer, post_id)
        await self._counts_changed(post_id)
        if change.changed:
            await self.notifier.notify(recipient=change.author_id, kind="like", actor=viewer, post_id=post_id,
                                       dedupe=f"like:{viewer}:{post_id}")
        return change

    async def unlike(self, viewer: int, post_id: int) -> LikeChange:
        """Take a like back (fine if there was none)."""
        change = await engagement.unlike(self.driver, viewer, post_id)
        await self.liked.remove(viewer, post_id)
        await self._counts_changed(post_id)
        return change

    async def comment(self, viewer: int, post_id: int, text: str) -> dict[str, Any]:
        """The new comment on a post the viewer may see."""
        comment, author = await engagement.add_comment(self.driver, viewer, post_id, comment_id=self.ids.next_id(),
                                                       text=text, now_ms=now_ms())
        await self._counts_changed(post_id)
        await self.notifier.notify(recipient=author, kind="comment", actor=viewer, post_id=post_id,
                                   comment_id=comment["id"], dedupe=f"comment:{comment['id']}")
        return comment

    async def delete_comment(self, viewer: int, post_id: int, comment_id: int) -> None:
        """Delete a comment (its author or the post's author)."""
        await engagement.delete_comment(self.driver, viewer, post_id, comment_id)
        await self._counts_changed(post_id)

    async def _counts_changed(self, post_id: int) -> None:
        await self.bodies.forget(post_id)
        await self.search.post_changed(post_id)
