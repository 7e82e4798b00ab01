"""Saved posts: ``(:User)-[:SAVED {id, user_id, post_id, since}]->(:Post)``, private to the one who
saved. Only a post one may see can be saved (the same VISIBLE rule as likes); the saver's node is
locked first, so concurrent saves of one post make one edge. Edges carry their own time-ordered
id, indexed with the saver's id, so one's saved posts page newest-saved first by an index range.
A deleted post takes its SAVED edges with it (DETACH DELETE)."""
from __future__ import annotations

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import NotFound

from .engagement import _VISIBLE_POST


async def save(driver: AsyncDriver, viewer_id: int, post_id: int, *, edge_id: int, now_ms: int) -> bool:
    """Save a post the viewer may see (idempotent); whether it was newly saved."""
    async def work(tx: AsyncManagedTransaction) -> bool:
        record = await (await tx.run(_VISIBLE_POST + " RETURN EXISTS { (v)-[:SAVED]->(p) } AS saved",
                                     viewer=viewer_id, post=post_id)).single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")
        if record["saved"]:
            return False
        await tx.run("""MATCH (v:User {id: $viewer}), (p:Post {id: $post})
                        CREATE (v)-[:SAVED {id: $edge_id, user_id: v.id, post_id: p.id, since: $now}]->(p)""",
                     viewer=viewer_id, post=post_id, edge_id=edge_id, now=now_ms)
        return True

    async with driver.session() as session:
        return await session.execute_write(work)


async def unsave(driver: AsyncDriver, viewer_id: int, post_id: int) -> None:
    """Forget a saved post (fine if it was not saved); NotFound for a post the viewer cannot see."""
    async def work(tx: AsyncManagedTransaction) -> None:
        record = await (await tx.run(_VISIBLE_POST + """
            OPTIONAL MATCH (v)-[s:SAVED]->(p) DELETE s RETURN count(s) AS n""",
                                     viewer=viewer_id, post=post_id)).single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")

    async with driver.session() as session:
        await session.execute_write(work)


async def page(driver: AsyncDriver, viewer_id: int, before: int | None, limit: int) -> list[tuple[int, int]]:
    """(save edge id, post id) newest saved first, ``limit`` of them."""
    records, _, _ = await driver.execute_query(
        """MATCH (:User)-[r:SAVED]->(:Post) WHERE r.user_id = $viewer AND r.id < $before
           WITH r ORDER BY r.user_id DESC, r.id DESC LIMIT $limit
           RETURN r.id AS edge_id, r.post_id AS post_id ORDER BY edge_id DESC""",
        viewer=viewer_id, before=before if before is not None else 2**63 - 1, limit=limit)
    return [(r["edge_id"], r["post_id"]) for r in records]


async def saved_ids(driver: AsyncDriver, viewer_id: int) -> list[int]:
    """Every post the viewer saved (an index range on the saver's id): what the Redis set of
    bookmarks is rebuilt from (stores/saved_post_ids.py)."""
    records, _, _ = await driver.execute_query(
        """MATCH (:User)-[r:SAVED]->(:Post) WHERE r.user_id = $viewer RETURN collect(r.post_id) AS ids""",
        viewer=viewer_id)
    return list(records[0]["ids"]) if records else []
