"""Editing and deleting posts (publishing is usecases/publisher.py).

Edit (a caption): validated and its hashtags parsed as at creation; the graph keeps the caption
it replaces (the edit history); then the cached body is forgotten, the search outbox told, and
the author and their followers holding live streams get a ``feed.update`` reference (rendered for
each at delivery, like ``feed.post``).

Delete: the post leaves Neo4j first (nobody is handed a URL to bytes about to vanish), then its
cached body, timelines and the search index, then its objects leave S3.
"""
from __future__ import annotations

import logging
from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from actors.feed_engine import FeedEngine
from graph import posts
from graph.feed_queries import follower_pages
from core import live_protocol as protocol
from media import storage
from search.port import OutboxSearchEffects
from stores.post_bodies import PostBodies
from stores.profile_marks import ProfileMarks

from .publisher import checked_hashtags

log = logging.getLogger(__name__)


class Posts:
    def __init__(self, driver: AsyncDriver, s3: Any, bucket: str, feed: FeedEngine, search: OutboxSearchEffects,
                 bodies: PostBodies, events: Any = None, presence: Any = None, followers_page: int = 5000, *,
                 profile_marks: ProfileMarks) -> None:
        self.driver, self.s3, self.bucket, self.profile_marks = driver, s3, bucket, profile_marks
        self.feed, self.search, self.bodies = feed, search, bodies
        # stores.event_log.EventLog and live.presence.Presence: where feed.update events go.
        self.events, self.presence, self.followers_page = events, presence, followers_page

    async def edit_caption(self, post_id: int, actor_id: int, caption: str) -> dict[str, Any]:
        """A new caption for a post (its author only); the post as its author now sees it.
        ``caption`` is already validated as at creation (core/validation.caption)."""
        hashtags = checked_hashtags(caption)
        post = await posts.edit_caption(self.driver, post_id, actor_id, caption=caption, hashtags=hashtags,
                                        now_ms=now_ms())
        await self.bodies.forget(post_id)
        await self.search.post_changed(post_id)
        if post.get("state") in (None, "ready"):
            await self._announce_update(post_id, actor_id)
        return post

    async def _announce_update(self, post_id: int, author_id: int) -> None:
        """``feed.update`` to the author and to their followers seen on a live stream within the
        event window (presence), a page of followers at a time. Best effort: the edit is
        committed, and a reader who misses the event sees the new caption on their next read."""
        if self.events is None or self.presence is None:
            return
        ref = protocol.feed_update(post_id, author_id)
        try:
            await self.events.append(author_id, ref)
            async for page in follower_pages(self.driver, author_id, self.followers_page):
                present = await self.presence.recent_among(page, now_ms())
                if present:
                    await self.events.append_each(sorted(present), ref)
        except Exception as exc:
            log.warning("feed.update of post %s not delivered to every stream: %s", post_id, exc)

    async def delete(self, post_id: int, actor_id: int) -> None:
        """Delete a post and its media (its author only)."""
        keys = await posts.delete_post(self.driver, post_id, actor_id)
        await self.profile_marks.author_changed(actor_id)         # gone from the author's grid at once
        await self.bodies.forget(post_id)
        await self.feed.unpublished(post_id, actor_id)
        await self.search.post_changed(post_id)
        await self.search.user_changed(actor_id)                  # its post count in user search
        try:
            await storage.delete_keys(self.s3, self.bucket, keys)
        except Exception:
            log.warning("post %s deleted but its %d objects not yet; the orphan sweeper will", post_id, len(keys))
