"""How the use cases tell the search layer what changed: entries in the search outbox.

Called after the durable write (Neo4j) succeeded. It appends to the outbox and never
fails the caller's request: the write already happened, and a lost entry is repaired by
``raygram search reindex``. The one exception, ``visibility_changing``, comes before the write.
"""
from __future__ import annotations

import logging

from .outbox import AUTHOR, POST, USER, Outbox
from stores.search_visibility import SearchVisibility

log = logging.getLogger(__name__)


class OutboxSearchEffects:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.visibility = SearchVisibility(outbox.redis, outbox.prefix)

    async def post_changed(self, post_id: int) -> None:
        """Created, deleted, or its counts changed."""
        await self._add(POST, post_id)

    async def user_changed(self, user_id: int) -> None:
        """Profile or follower count changed."""
        await self._add(USER, user_id)

    async def visibility_changing(self, user_id: int) -> None:
        """Before the graph write that makes the account private or public: searches check its
        posts against the graph until the index shows the change (search/visibility.py). Unlike
        the other effects this one fails the caller's request: nothing is written yet, and a
        change the searches were not warned of could show a private post to strangers."""
        await self.visibility.privacy_changing(user_id)

    async def visibility_changed(self, user_id: int) -> None:
        """The account went private or public (or is being erased): its profile and every post
        it made."""
        try:
            await self.visibility.privacy_changed(user_id, AUTHOR)
        except Exception:
            # The mark set by visibility_changing stays: searches keep checking the account live.
            log.exception("search outbox unavailable: author %s reaches the index at the next reindex", user_id)

    async def followees_changed(self, user_id: int) -> None:
        """The account now follows a private account (an accepted request): its searches find
        that account's posts at once instead of when its cached followee list expires."""
        try:
            await self.visibility.forget_followees(user_id)
        except Exception:
            log.exception("search followee cache not cleared for %s: it expires on its own", user_id)

    async def _add(self, kind: str, ident: int) -> None:
        try:
            await self.outbox.add([(kind, ident)])
        except Exception:
            log.exception("search outbox unavailable: %s %s reaches the index at the next reindex", kind, ident)
