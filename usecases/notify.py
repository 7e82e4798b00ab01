"""Notifications: stored durably in Neo4j, then appended to the recipient's event log (which
delivers them live to every socket the recipient holds, on any gateway process).

A page is read from Neo4j once and then reused by this process while nothing it shows changed
(feed/read_cache.MarkedCache), under two marks read before the graph:
- the recipient's notification mark (stores/notification_marks.py), moved after every new
  notification for them and every "mark read" (so ``read`` flags are right at once);
- the set of accounts the recipient hides (stores/hidden_authors.py), which the block use case
  changes right after the graph write that deletes the notifications between the two (a mute
  changes it too: only a miss).
The actors are not taken from the cached page: each read renders them from stores/user_cards.py,
whose entries every profile edit, avatar change and account deletion forgets. So a new name or
photo shows at once, and a deleted account's notifications are left out at once (the graph keeps
them until its erasure reaches them). ``PAGE_TTL_S`` bounds what a mark lost to a Redis failure
between a change and its mark could cost.
"""
from __future__ import annotations

import time
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from core.clock import now_ms
from core.ids import IdGenerator
from feed.read_cache import MarkedCache
from graph import notifications
from core import live_protocol as protocol
from stores.event_log import EventLog
from stores.hidden_authors import HiddenAuthors
from stores.notification_marks import NotificationMarks
from stores.user_cards import UserCards

# Pages held per process (a page is 21 small records), and for how long at most.
PAGE_CACHE_ENTRIES = 4096
PAGE_TTL_S = 60.0


class Notifier:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, events: EventLog, redis: Redis,
                 marks: NotificationMarks, hidden: HiddenAuthors, cards: UserCards) -> None:
        self.driver, self.ids, self.events, self.redis = driver, ids, events, redis
        self.marks, self.hidden, self.cards = marks, hidden, cards
        self._pages: MarkedCache[list[dict[str, Any]]] = MarkedCache(PAGE_CACHE_ENTRIES, PAGE_TTL_S)
        # Which actors each cached page names (no marks: only a guess of what to read, checked).
        self._actors: MarkedCache[list[int]] = MarkedCache(PAGE_CACHE_ENTRIES, PAGE_TTL_S)

    async def notify(self, *, recipient: int, kind: str, actor: int, dedupe: str, post_id: int | None = None,
                     comment_id: int | None = None) -> dict[str, Any] | None:
        """The new notification, or None: one with the same ``dedupe`` key exists, or the actor
        is the recipient."""
        created = await notifications.create(
            self.driver, notification_id=self.ids.next_id(), recipient_id=recipient, kind=kind, actor_id=actor,
            post_id=post_id, comment_id=comment_id, dedupe_key=dedupe, now_ms=now_ms())
        if created is None:
            return None
        await self.marks.changed(recipient)
        # Logged by reference: the socket renders it at delivery (and skips it if it is gone).
        await self.events.append(recipient, protocol.notification(created["id"]))
        return created

    async def mark_read(self, recipient: int, up_to: int) -> None:
        """The recipient's notifications up to (and including) ``up_to`` are read."""
        await notifications.mark_read(self.driver, recipient, up_to)
        await self.marks.changed(recipient)

    async def page(self, recipient: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` + 1 notifications below ``before``, newest first (graph/notifications.page),
        their actors as they are now; those whose actor is gone are left out."""
        key, now = (recipient, before, limit), time.monotonic()
        # The actors of the page last served here for this key are read with the marks: while the
        # page is unchanged (the steady state) that is the only round trip.
        hinted = self._actors.get(key, None, now) or []
        async with self.redis.pipeline(transaction=False) as pipe:
            self.marks.queue_of(pipe, recipient)
            self.hidden.queue_of(pipe, recipient)
            if hinted:
                self.cards.queue_get(pipe, hinted, counts=False)
            mark, hidden, *profiles = await pipe.execute()
        marks = (mark, frozenset(hidden))
        rows = self._pages.get(key, marks, now)
        if rows is None:
            rows = await notifications.page(self.driver, recipient, before, limit)
            self._pages.put(key, marks, rows, now)
        wanted = sorted({row["actor"]["id"] for row in rows})
        if not wanted:
            actors = {}
        elif wanted == hinted:
            actors = await self.cards.read_through(wanted, profiles, counts=False)
        else:
            actors = await self.cards.get(wanted, counts=False)
            self._actors.put(key, None, wanted, now)
        return with_actors(rows, actors)

def with_actors(rows: list[dict[str, Any]], actors: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``rows`` with each actor as ``actors`` has it now; rows whose actor is not there
    (a deleted account) left out (pure)."""
    out = []
    for row in rows:
        actor = actors.get(row["actor"]["id"])
        if actor is not None:
            out.append({**row, "actor": {"id": actor["id"], "username": actor["username"],
                                         "display_name": actor.get("display_name"), "avatar": actor.get("avatar")}})
    return out
