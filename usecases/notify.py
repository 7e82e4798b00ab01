"""Notifications: stored durably in Neo4j, then appended to the recipient's event log (which
delivers them live to every socket the recipient holds, on any gateway process)."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.ids import IdGenerator
from graph import notifications
from live import protocol
from live.event_log import EventLog


class Notifier:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, events: EventLog) -> None:
        self.driver, self.ids, self.events = driver, ids, events

    async def notify(self, *, recipient: int, kind: str, actor: int, dedupe: str, post_id: int | None = None,
                     comment_id: int | None = None) -> dict[str, Any] | None:
        """The new notification, or None: one with the same ``dedupe`` key exists, or the actor
        is the recipient."""
        created = await notifications.create(
            self.driver, notification_id=self.ids.next_id(), recipient_id=recipient, kind=kind, actor_id=actor,
            post_id=post_id, comment_id=comment_id, dedupe_key=dedupe, now_ms=now_ms())
        if created is None:
            return None
        # Logged by reference: the socket renders it at delivery (and skips it if it is gone).
        await self.events.append(recipient, protocol.notification(created["id"]))
        return created

    async def mark_read(self, recipient: int, up_to: int) -> None:
        """The recipient's notifications up to (and including) ``up_to`` are read."""
        await notifications.mark_read(self.driver, recipient, up_to)
