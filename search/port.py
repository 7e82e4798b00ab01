"""The narrow interface through which the gateway tells the search layer about posts.

The indexing pipeline (a durable outbox drained into Elasticsearch) gives these their effect;
until then they are deliberate no-ops.
"""
from __future__ import annotations

from typing import Any, Protocol


class SearchPort(Protocol):
    async def post_indexed(self, post: dict[str, Any]) -> None: ...
    async def post_unindexed(self, post_id: int) -> None: ...


class NoSearchEffects:
    async def post_indexed(self, post: dict[str, Any]) -> None:
        return None

    async def post_unindexed(self, post_id: int) -> None:
        return None
