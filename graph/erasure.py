"""Deleting an account in the graph: the account leaves every read at once, then is erased step
by step (usecases/account_erasure.py drives the steps).

``begin`` turns ``(:User)`` into ``(:ErasingUser)`` in one transaction: every read matches
``:User`` (profiles, posts through ``(:User)-[:POSTED]->``, comments, likes lists, search
sources, logins), so the account and everything reached through it disappears the moment it
commits, while the node and its relationships stay for the erasure to walk. The node is the
durable record of the job: a sweep finds it after any crash. A ``(:UsernameTombstone)`` (the
username's SHA-256, never the name) keeps the username from being taken again for a while.

Every step deletes at most ``limit`` things and says how many, so the driver loops until zero;
each is idempotent (a retried step finds what is left).
"""
from __future__ import annotations

import hashlib
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction


def username_hash(username: str) -> str:
    return hashlib.sha256(username.encode()).hexdigest()


async def password_hash_of(driver: AsyncDriver, user_id: int) -> str | None:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User {id: $id}) RETURN u.password_hash AS hash", id=user_id)
    return records[0]["hash"] if records else None


async def begin(driver: AsyncDriver, user_id: int, *, now_ms: int, tombstone_until_ms: int) -> bool:
    """The account leaves every read and its erasure is recorded, with the username's tombstone,
    in one transaction; False if it was not (any more) a live account."""
    async def work(tx: AsyncManagedTransaction) -> bool:
        # Write-locked first: a concurrent profile edit or second deletion waits for this one.
        result = await tx.run("MATCH (u:User {id: $id}) SET u._lock = true REMOVE u._lock RETURN u.username AS name",
                              id=user_id)
        record = await result.single()
        if record is None:
            return False
        await tx.run(
            """MATCH (u:User {id: $id})
               REMOVE u:User SET u:ErasingUser, u.erasing_since = $now
               MERGE (t:UsernameTombstone {username_hash: $hash})
               SET t.until = CASE WHEN t.until IS NULL OR t.until < $until THEN $until ELSE t.until END""",
            id=user_id, now=now_ms, until=tombstone_until_ms, hash=username_hash(record["name"]))
        return True

    async with driver.session() as session:
        return await session.execute_write(work)


async def erasing_ids(driver: AsyncDriver, limit: int = 100) -> list[int]:
    records, _, _ = await driver.execute_query(
        "MATCH (u:ErasingUser) RETURN u.id AS id ORDER BY u.erasing_since LIMIT $limit", limit=limit)
    return [r["id"] for r in records]


async def avatar_keys(driver: AsyncDriver, user_id: int) -> list[str] | None:
    """The account's avatar objects (None: no erasure of this account is under way)."""
    records, _, _ = await driver.execute_query(
        "MATCH (u:ErasingUser {id: $id}) RETURN coalesce(u.avatar_keys, []) AS keys", id=user_id)
    return list(records[0]["keys"]) if records else None


async def forget_avatar(driver: AsyncDriver, user_id: int) -> None:
    await driver.execute_query(
        "MATCH (u:ErasingUser {id: $id}) SET u.avatar_keys = null, u.avatar_id = null", id=user_id)


_KEYS = """[(p)-[:HAS_MEDIA]->(m:Media) | m.keys + coalesce(m.rendition_keys, [])
            + CASE WHEN m.source_key IS NULL THEN [] ELSE [m.source_key] END]"""


async def post_batch(driver: AsyncDriver, author_id: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` of the account's posts: id and every S3 key of their media."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (p:Post) WHERE p.author_id = $author
            WITH p ORDER BY p.author_id, p.id LIMIT $limit
            RETURN p.id AS id, {_KEYS} AS keys""", author=author_id, limit=limit)
    return [{"id": r["id"], "keys": [k for keys in r["keys"] for k in keys]} for r in records]


async def delete_posts(driver: AsyncDriver, post_ids: list[int]) -> None:
    """The posts, their media nodes and the comments on them (their objects are gone already)."""
    await driver.execute_query(
        """UNWIND $ids AS pid
           MATCH (p:Post {id: pid})
           OPTIONAL MATCH (p)-[:HAS_MEDIA]->(m:Media)
           OPTIONAL MATCH (p)<-[:ON]-(c:Comment)
           DETACH DELETE p, m, c""", ids=post_ids)


async def staged_media_batch(driver: AsyncDriver, owner_id: int, limit: int) -> list[dict[str, Any]]:
    """Media the account uploaded and never attached (the Mastodon API's staged uploads)."""
    records, _, _ = await driver.execute_query(
        """MATCH (m:Media) WHERE m.owner_id = $owner AND NOT EXISTS { (:Post)-[:HAS_MEDIA]->(m) }
           WITH m LIMIT $limit
           RETURN m.id AS id, coalesce(m.keys, []) + coalesce(m.rendition_keys, [])
                  + CASE WHEN m.source_key IS NULL THEN [] ELSE [m.source_key] END AS keys""",
        owner=owner_id, limit=limit)
    return [{"id": r["id"], "keys": list(r["keys"])} for r in records]


async def delete_media(driver: AsyncDriver, media_ids: list[int]) -> None:
    await driver.execute_query("UNWIND $ids AS mid MATCH (m:Media {id: mid}) DETACH DELETE m", ids=media_ids)


async def unlike_batch(driver: AsyncDriver, user_id: int, limit: int) -> list[int]:
    """Remove up to ``limit`` of the account's likes; the posts they were on."""
    records, _, _ = await driver.execute_query(
        """MATCH (:ErasingUser {id: $id})-[r:LIKED]->(p:Post)
           WITH r, p LIMIT $limit
           DELETE r
           RETURN collect(p.id) AS posts""", id=user_id, limit=limit)
    return list(records[0]["posts"]) if records else []


async def comment_batch(driver: AsyncDriver, user_id: int, limit: int) -> list[int]:
    """Delete up to ``limit`` of the account's comments; the posts they were on."""
    records, _, _ = await driver.execute_query(
        """MATCH (:ErasingUser {id: $id})-[:WROTE]->(c:Comment)
           WITH c LIMIT $limit
           WITH c, c.post_id AS pid
           DETACH DELETE c
           RETURN collect(pid) AS posts""", id=user_id, limit=limit)
    return list(records[0]["posts"]) if records else []


async def notification_batch(driver: AsyncDriver, user_id: int, limit: int) -> int:
    """Delete up to ``limit`` notifications to or about the account; how many."""
    total = 0
    for field in ("recipient_id", "actor_id"):
        records, _, _ = await driver.execute_query(
            f"""MATCH (n:Notification) WHERE n.{field} = $id
                WITH n LIMIT $limit
                DETACH DELETE n
                RETURN count(*) AS n""", id=user_id, limit=limit)
        total += records[0]["n"] if records else 0
    return total


async def edge_batch(driver: AsyncDriver, user_id: int, limit: int) -> tuple[int, list[int]]:
    """Delete up to ``limit`` of the account's remaining relationships (follows both ways,
    requests, blocks, mutes, saves); (how many, the accounts it followed or was followed by:
    their counts changed)."""
    records, _, _ = await driver.execute_query(
        """MATCH (u:ErasingUser {id: $id})-[r]-(other)
           WITH r, CASE WHEN type(r) = 'FOLLOWS' THEN other.id END AS counted
           LIMIT $limit
           DELETE r
           RETURN count(*) AS n, [f IN collect(counted) WHERE f IS NOT NULL] AS counted""",
        id=user_id, limit=limit)
    return (records[0]["n"], list(records[0]["counted"])) if records else (0, [])


async def finish(driver: AsyncDriver, user_id: int) -> None:
    """The account's node, last: with it goes the record that an erasure is under way."""
    await driver.execute_query("MATCH (u:ErasingUser {id: $id}) DETACH DELETE u", id=user_id)


async def username_resting(driver: AsyncDriver, username: str, now_ms: int) -> bool:
    """Is this username held by a recently deleted account's tombstone?"""
    records, _, _ = await driver.execute_query(
        "MATCH (t:UsernameTombstone {username_hash: $hash}) WHERE t.until > $now RETURN 1 AS held",
        hash=username_hash(username), now=now_ms)
    return bool(records)


async def drop_expired_tombstones(driver: AsyncDriver, now_ms: int, limit: int = 1000) -> int:
    records, _, _ = await driver.execute_query(
        """MATCH (t:UsernameTombstone) WHERE t.until <= $now
           WITH t LIMIT $limit DELETE t RETURN count(*) AS n""", now=now_ms, limit=limit)
    return records[0]["n"] if records else 0
