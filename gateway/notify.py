"""Notifications: stored durably in Neo4j, then appended to the recipient's event log (which
delivers them live to every socket the recipient holds, on any gateway process)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from core.clock import now_ms
from graph import notifications
from live import protocol

from .keys import EVENTS, IDS, NEO4J
from .views import notification_view


async def notify(app: web.Application, *, recipient: int, kind: str, actor: int, dedupe: str,
                 post_id: int | None = None, comment_id: int | None = None) -> dict[str, Any] | None:
    created = await notifications.create(
        app[NEO4J], notification_id=app[IDS].next_id(), recipient_id=recipient, kind=kind, actor_id=actor,
        post_id=post_id, comment_id=comment_id, dedupe_key=dedupe, now_ms=now_ms())
    if created is None:
        return None
    # Logged by reference: the socket renders it at delivery (and skips it if it is gone).
    await app[EVENTS].append(recipient, protocol.notification(created["id"]))
    return notification_view(created)
