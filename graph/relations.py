"""A viewer's relationships in the graph, as stores/relations.py keeps them (core/relationship_bits.py).

Only ``:User`` accounts count: an account being erased is nobody's relationship any more.
"""
from __future__ import annotations

from neo4j import AsyncDriver

from core import relationship_bits as rb

# Each kind's accounts, at most `$limit` of them (a celebrity has a million followers).
_OF_VIEWER = """MATCH (v:User {id: $viewer})
    CALL (v) { MATCH (v)-[:FOLLOWS]->(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS following }
    CALL (v) { MATCH (v)-[:REQUESTED]->(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS requested }
    CALL (v) { MATCH (v)<-[:FOLLOWS]-(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS followed_by }
    CALL (v) { MATCH (v)-[:BLOCKS]->(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS blocking }
    CALL (v) { MATCH (v)-[:MUTES]->(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS muting }
    CALL (v) { MATCH (v)<-[:BLOCKS]-(u:User) WITH u LIMIT $limit RETURN collect(u.id) AS blocked_by }
    RETURN following, requested, followed_by, blocking, muting, blocked_by"""

# The bits toward given accounts, whatever their number.
_TOWARD = """MATCH (v:User {id: $viewer}) UNWIND $ids AS uid MATCH (u:User {id: uid})
    RETURN uid, CASE WHEN EXISTS { (v)-[:FOLLOWS]->(u) } THEN %d ELSE 0 END
              + CASE WHEN EXISTS { (v)-[:REQUESTED]->(u) } THEN %d ELSE 0 END
              + CASE WHEN EXISTS { (u)-[:FOLLOWS]->(v) } THEN %d ELSE 0 END
              + CASE WHEN EXISTS { (v)-[:BLOCKS]->(u) } THEN %d ELSE 0 END
              + CASE WHEN EXISTS { (v)-[:MUTES]->(u) } THEN %d ELSE 0 END
              + CASE WHEN EXISTS { (u)-[:BLOCKS]->(v) } THEN %d ELSE 0 END AS bits""" % tuple(
    bit for _, bit in rb.KINDS)


async def of_viewer(driver: AsyncDriver, viewer_id: int, cap: int) -> tuple[dict[int, int], int]:
    """Every account the viewer has a relationship with -> its bits, and the kinds past ``cap``
    (core/relationship_bits.packed)."""
    records, _, _ = await driver.execute_query(_OF_VIEWER, viewer=viewer_id, limit=cap + 1)
    return rb.packed(dict(records[0]) if records else {}, cap)


async def toward(driver: AsyncDriver, viewer_id: int, user_ids: list[int]) -> dict[int, int]:
    """The viewer's bits toward each of ``user_ids`` (0 for none; accounts that are gone are
    left out)."""
    if not user_ids:
        return {}
    records, _, _ = await driver.execute_query(_TOWARD, viewer=viewer_id, ids=user_ids)
    return {r["uid"]: r["bits"] for r in records}
