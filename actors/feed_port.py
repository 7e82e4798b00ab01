"""The narrow interface through which the gateway tells the feed layer what happened.

actors/feed_engine.py gives these their effect: fan-out on publish, purge on unpublish,
backfill on follow, purge on unfollow. Verbs come in symmetric pairs.
"""
from __future__ import annotations

from typing import Any, Protocol


class FeedPort(Protocol):
    async def followed(self, follower_id: int, followee_id: int) -> None: ...
    async def unfollowed(self, follower_id: int, followee_id: int) -> None: ...
    async def published(self, post: dict[str, Any], view: dict[str, Any] | None = None) -> None: ...
    async def unpublished(self, post_id: int, author_id: int) -> None: ...
