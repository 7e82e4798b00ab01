"""How the use cases tell the search layer what changed: entries in the search outbox.

Called after the durable write (Neo4j) succeeded. It appends to the outbox and never
fails the caller's request: the write already happened, and a lost entry is repaired by
``raygram search reindex``.
"""
from __future__ import annotations

import logging

from .outbox import AUTHOR, POST, USER, Outbox

log = logging.getLogger(__name__)


class OutboxSearchEffects:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def post_changed(self, post_id: int) -> None:
        """Created, deleted, or its counts changed."""
        await self._add(POST, post_id)

    async def user_changed(self, user_id: int) -> None:
        """Profile or follower count changed."""
        await self._add(USER, user_id)

    async def visibility_changed(self, user_id: int) -> None:
        """The account went private or public: its profile and every post it made."""
        await self._add(AUTHOR, user_id)

    async def _add(self, kind: str, ident: int) -> None:
        try:
            await self.outbox.add([(kind, ident)])
        except Exception:
            log.exception("search outbox unavailable: %s %s reaches the index at the next reindex", kind, ident)
