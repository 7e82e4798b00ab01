"""Graph reads the Mastodon-compatible API needs beyond the v1 ones: users by id in a batch,
relationships, comments as statuses, and notifications paged in both directions."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from .engagement import COMMENT_FIELDS
from .notifications import NOTIFICATION_FIELDS
from .predicates import VISIBLE
from .users import USER_FIELDS

_NO_ID = 2**63 - 1


async def users_by_ids(driver: AsyncDriver, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not user_ids:
        return {}
    records, _, _ = await driver.execute_query(
        f"UNWIND $ids AS uid MATCH (u:User {{id: uid}}) RETURN {USER_FIELDS} AS user", ids=sorted(set(user_ids)))
    return {r["user"]["id"]: r["user"] for r in records}


async def relationships(driver: AsyncDriver, viewer_id: int, user_ids: list[int]) -> dict[int, dict[str, bool]]:
    records, _, _ = await driver.execute_query(
        """MATCH (v:User {id: $viewer}) UNWIND $ids AS uid MATCH (u:User {id: uid})
           RETURN uid, EXISTS { (v)-[:FOLLOWS]->(u) } AS following, EXISTS { (v)-[:REQUESTED]->(u) } AS requested,
                  EXISTS { (u)-[:FOLLOWS]->(v) } AS followed_by, EXISTS { (u)-[:REQUESTED]->(v) } AS requested_by,
                  EXISTS { (v)-[:BLOCKS]->(u) } AS blocking, EXISTS { (u)-[:BLOCKS]->(v) } AS blocked_by,
                  EXISTS { (v)-[:MUTES]->(u) } AS muting""",
        viewer=viewer_id, ids=user_ids)
    return {r["uid"]: {k: r[k] for k in ("following", "requested", "followed_by", "requested_by", "blocking",
                                         "blocked_by", "muting")} for r in records}


async def visible_comments(driver: AsyncDriver, viewer_id: int, comment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Comments on posts the viewer may see, each with its post's author id and privacy."""
    if not comment_ids:
        return {}
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $viewer}})
            UNWIND $ids AS cid
            MATCH (w:User)-[:WROTE]->(c:Comment {{id: cid}})-[:ON]->(p:Post)<-[:POSTED]-(u:User)
            WHERE {VISIBLE} AND NOT EXISTS {{ (w)-[:BLOCKS]-(v) }}
            RETURN {COMMENT_FIELDS} AS comment, u.id AS post_author, coalesce(u.private, false) AS private""",
        viewer=viewer_id, ids=comment_ids)
    return {r["comment"]["id"]: dict(r["comment"], post_author_id=r["post_author"], private=r["private"])
            for r in records}


async def post_comments(driver: AsyncDriver, post_id: int, limit: int) -> list[dict[str, Any]]:
    """A post's first comments, oldest first (callers checked the post is visible)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (c:Comment) WHERE c.post_id = $post
            WITH c ORDER BY c.post_id, c.id LIMIT $limit
            MATCH (w:User)-[:WROTE]->(c)
            RETURN {COMMENT_FIELDS} AS comment ORDER BY comment.id""", post=post_id, limit=limit)
    return [r["comment"] for r in records]


async def notifications_page(driver: AsyncDriver, recipient_id: int, *, below: int | None, above: int | None,
                             oldest_first: bool, limit: int, types: list[str]) -> list[dict[str, Any]]:
    """Notifications of these types with above < id < below, newest first; ``oldest_first`` takes
    the ``limit`` right above ``above`` (Mastodon's min_id), still returned newest first."""
    order = "ASC" if oldest_first else "DESC"
    records, _, _ = await driver.execute_query(
        f"""MATCH (n:Notification) WHERE n.recipient_id = $recipient AND n.id < $below AND n.id > $above
                AND n.type IN $types
            WITH n ORDER BY n.recipient_id {order}, n.id {order} LIMIT $limit
            MATCH (a:User {{id: n.actor_id}}), (r:User {{id: $recipient}})
            RETURN {NOTIFICATION_FIELDS} AS notification ORDER BY notification.id DESC""",
        recipient=recipient_id, below=below if below is not None else _NO_ID, above=above if above is not None else -1,
        limit=limit, types=types)
    return [r["notification"] for r in records]


async def user_by_id_as_seen(driver: AsyncDriver, user_id: int) -> dict[str, Any] | None:
    records, _, _ = await driver.execute_query(
        f"MATCH (u:User {{id: $id}}) RETURN {USER_FIELDS} AS user", id=user_id)
    return records[0]["user"] if records else None


async def authors_since(driver: AsyncDriver, since_ms: int) -> int:
    """Accounts that posted at ``since_ms`` or later (a range of the post_created_at index:
    proportional to recent posts, not to all of them)."""
    records, _, _ = await driver.execute_query(
        "MATCH (p:Post) WHERE p.created_at >= $since RETURN count(DISTINCT p.author_id) AS n", since=since_ms)
    return int(records[0]["n"]) if records else 0


async def stats(driver: AsyncDriver) -> dict[str, int]:
    records, _, _ = await driver.execute_query(
        "CALL () { MATCH (u:User) RETURN count(u) AS users } CALL () { MATCH (p:Post) RETURN count(p) AS posts } "
        "RETURN users, posts")
    return {"users": records[0]["users"], "posts": records[0]["posts"]} if records else {}
