"""The narrow interface through which the gateway tells the feed layer about graph changes.

The feed engine gives these their effect (backfill on follow, purge on unfollow). Until it exists
they are deliberate no-ops, so every call site is already in place.
"""
from __future__ import annotations

from typing import Protocol


class FeedGraphPort(Protocol):
    async def followed(self, follower_id: int, followee_id: int) -> None: ...
    async def unfollowed(self, follower_id: int, followee_id: int) -> None: ...


class NoFeedEffects:
    async def followed(self, follower_id: int, followee_id: int) -> None:
        return None

    async def unfollowed(self, follower_id: int, followee_id: int) -> None:
        return None
