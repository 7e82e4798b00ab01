"""Notifications, durable in Neo4j: ``(:Notification {recipient_id, type, actor_id, ...})``.

A ``dedupe_key`` (kind, actor, object) is unique, so like-unlike-like by the same person makes
one notification, and a retried request makes none twice. Read state is one marker per user
(``notifications_read_up_to``): marking read is O(1), however many there are.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from neo4j.exceptions import ConstraintError

NOTIFICATION_FIELDS = """n { .id, .type, .post_id, .comment_id, .created_at,
    actor: a { .id, .username, .display_name, avatar: a.avatar_keys[0] },
    read: n.id <= coalesce(r.notifications_read_up_to, -1) }"""


async def create(driver: AsyncDriver, *, notification_id: int, recipient_id: int, kind: str, actor_id: int,
                 post_id: int | None, comment_id: int | None, dedupe_key: str, now_ms: int) -> dict[str, Any] | None:
    """The new notification, or None if an identical one exists, actor == recipient, or there is
    a block between the two (either way: no notifications)."""
    if actor_id == recipient_id:
        return None
    try:
        records, _, _ = await driver.execute_query(
            f"""MATCH (r:User {{id: $recipient}}), (a:User {{id: $actor}})
                WHERE NOT EXISTS {{ (r)-[:BLOCKS]-(a) }}
                CREATE (n:Notification {{id: $id, recipient_id: $recipient, type: $kind, actor_id: $actor,
                                         post_id: $post, comment_id: $comment, created_at: $now,
                                         dedupe_key: $dedupe}})
                RETURN {NOTIFICATION_FIELDS} AS notification""",
            id=notification_id, recipient=recipient_id, kind=kind, actor=actor_id, post=post_id,
            comment=comment_id, now=now_ms, dedupe=dedupe_key)
    except ConstraintError:
        return None
    return records[0]["notification"] if records else None


async def page(driver: AsyncDriver, recipient_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    records, _, _ = await driver.execute_query(
        f"""MATCH (n:Notification) WHERE n.recipient_id = $recipient AND n.id < $before
            WITH n ORDER BY n.recipient_id DESC, n.id DESC LIMIT $limit
            MATCH (a:User {{id: n.actor_id}}), (r:User {{id: $recipient}})
            RETURN {NOTIFICATION_FIELDS} AS notification ORDER BY notification.id DESC""",
        recipient=recipient_id, before=before if before is not None else 2**63 - 1, limit=limit + 1)
    return [r["notification"] for r in records]


async def mark_read(driver: AsyncDriver, recipient_id: int, up_to: int) -> None:
    # The marker only moves forward: an older up_to from a stale client changes nothing.
    await driver.execute_query(
        """MATCH (r:User {id: $recipient})
           SET r.notifications_read_up_to = CASE WHEN coalesce(r.notifications_read_up_to, -1) < $up_to
                                                 THEN $up_to ELSE r.notifications_read_up_to END""",
        recipient=recipient_id, up_to=up_to)


async def by_ids(driver: AsyncDriver, recipient_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """The recipient's notifications among ``ids`` that still exist (others' never)."""
    records, _, _ = await driver.execute_query(
        f"""UNWIND $ids AS nid MATCH (n:Notification {{id: nid}}) WHERE n.recipient_id = $recipient
            MATCH (a:User {{id: n.actor_id}}), (r:User {{id: $recipient}})
            RETURN {NOTIFICATION_FIELDS} AS notification""",
        recipient=recipient_id, ids=ids)
    return [r["notification"] for r in records]
