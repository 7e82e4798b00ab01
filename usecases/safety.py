"""People in control of whom they see: block, mute, remove a follower, and the lists of one's
blocks and mutes.

Each write changes the graph first (graph/blocks.py), then everything that follows from it, here
and nowhere else: the pair's hidden-author sets (stores/hidden_authors.py, what every read path
filters by), the timelines (the unfollow path: one call per shard), and the follower counts in
search, and both accounts' relationships in Redis (stores/relations.py: user search's flags and
block filter). The hidden sets are recomputed from the graph's edges, and the relationships
dropped, after every write, block or not, so a retried request also repairs what a crash left.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.hiding import hides
from core.ids import IdGenerator
from actors.feed_engine import FeedEngine
from graph import blocks, follows
from search.port import OutboxSearchEffects
from stores.hidden_authors import HiddenAuthors
from stores.profile_marks import ProfileMarks
from stores.relations import Relations


@dataclass(eq=False)
class Safety:
    driver: AsyncDriver
    ids: IdGenerator
    feed: FeedEngine
    search: OutboxSearchEffects
    hidden: HiddenAuthors
    profile_marks: ProfileMarks
    relations: Relations

    async def block(self, viewer: int, username: str) -> int:
        """Block (idempotent): follows and requests both ways end, the two stop seeing each other;
        the target's id."""
        change = await blocks.block(self.driver, viewer, username, edge_id=self.ids.next_id(), now_ms=now_ms())
        await self._sync(viewer, change.target_id)
        # Their posts leave the timelines at once (the same path as an unfollow).
        if change.was_following:
            await self.feed.unfollowed([viewer], change.target_id)
        if change.was_followed_by:
            await self.feed.unfollowed([change.target_id], viewer)
        if change.was_following or change.was_followed_by:
            await self.search.user_changed(viewer)                  # follower counts
            await self.search.user_changed(change.target_id)
        return change.target_id

    async def unblock(self, viewer: int, username: str) -> int:
        change = await blocks.unblock(self.driver, viewer, username)
        await self._sync(viewer, change.target_id)
        return change.target_id

    async def mute(self, viewer: int, username: str) -> int:
        """Mute (idempotent): their posts leave the viewer's feed, stream, search and hashtag
        pages; nothing else changes, and they are not told."""
        change = await blocks.mute(self.driver, viewer, username, edge_id=self.ids.next_id(), now_ms=now_ms())
        await self._sync(viewer, change.target_id)
        if change.changed and change.following:
            await self.feed.unfollowed([viewer], change.target_id)
        return change.target_id

    async def unmute(self, viewer: int, username: str) -> int:
        change = await blocks.unmute(self.driver, viewer, username)
        await self._sync(viewer, change.target_id)
        if change.changed and change.following:
            await self.feed.followed([viewer], change.target_id)    # their recent posts come back
        return change.target_id

    async def remove_follower(self, viewer: int, username: str) -> int:
        """``username`` stops following the viewer (idempotent); they may follow again."""
        follower, removed = await blocks.remove_follower(self.driver, viewer, username)
        await self.relations.changed(viewer, follower)                   # every time: a retry repairs it
        await self.profile_marks.pairs_changed([(viewer, follower)])
        if removed:
            await self.feed.unfollowed([follower], viewer)
            await self.search.user_changed(viewer)
            await self.search.user_changed(follower)
        return follower

    async def blocks_page(self, viewer: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        return await follows.edge_page(self.driver, "BLOCKS", "blocker", viewer, viewer, before, limit)

    async def mutes_page(self, viewer: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        return await follows.edge_page(self.driver, "MUTES", "muter", viewer, viewer, before, limit)

    async def _sync(self, a: int, b: int) -> None:
        """The pair's hidden sets as the graph's edges say now."""
        a_hides_b, b_hides_a = hides(await blocks.pair_edges(self.driver, a, b))
        await self.hidden.set_pair(a, b, a_hides_b, b_hides_a)
        await self.relations.changed(a, b)
        await self.profile_marks.pairs_changed([(a, b)])         # a block ends follows and hides grids
