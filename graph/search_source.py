"""What the search indexes are built from: posts and users as the durable record has them now.

The indexer never trusts what an outbox entry says about a post; it reads the post here, so
entries may arrive late, twice or out of order and the index still converges on the graph.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

# A video post is indexed once it is ready (until then the index treats it as absent).
from . import posts
from .predicates import READY as _READY
from .users import USER_FIELDS

# `p` (the post) and `u` (its author) must be bound.
_POST_DOC = """{
    id: p.id, caption: p.caption, hashtags: p.hashtags, created_at: p.created_at,
    author_id: u.id, author_username: u.username, author_private: u.private,
    like_count: COUNT { (p)<-[:LIKED]-() }, comment_count: COUNT { (p)<-[:ON]-(:Comment) }
}"""

# Everything a user search shows (search/documents.CARD_FIELDS), so it needs no graph read.
_USER_DOC = USER_FIELDS


async def posts_by_id(driver: AsyncDriver, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Those of the posts that exist (the others were deleted)."""
    return {doc["id"]: doc for doc in await posts.ready_by_id(driver, post_ids, _POST_DOC)}


async def post_ids_between(driver: AsyncDriver, start_ms: int, end_ms: int) -> list[int]:
    records, _, _ = await driver.execute_query(
        f"MATCH (p:Post) WHERE p.created_at >= $start AND p.created_at < $end AND {_READY} RETURN p.id AS id",
        start=start_ms, end=end_ms)
    return [r["id"] for r in records]


async def users_by_id(driver: AsyncDriver, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    records, _, _ = await driver.execute_query(
        f"""UNWIND $ids AS uid
            MATCH (u:User {{id: uid}})
            RETURN {_USER_DOC} AS doc""", ids=user_ids)
    return {r["doc"]["id"]: r["doc"] for r in records}


async def posts_after(driver: AsyncDriver, after: int, limit: int) -> list[dict[str, Any]]:
    """Every post in id order, a page at a time (for a full reindex)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (p:Post) WHERE p.id > $after
            WITH p ORDER BY p.id LIMIT $limit
            WITH p WHERE {_READY}
            MATCH (u:User)-[:POSTED]->(p)
            RETURN {_POST_DOC} AS doc ORDER BY doc.id""", after=after, limit=limit)
    return [r["doc"] for r in records]


async def users_after(driver: AsyncDriver, after: int, limit: int) -> list[dict[str, Any]]:
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User) WHERE u.id > $after
            WITH u ORDER BY u.id LIMIT $limit
            RETURN {_USER_DOC} AS doc""", after=after, limit=limit)
    return [r["doc"] for r in records]


async def private_followees(driver: AsyncDriver, viewer_id: int) -> list[int]:
    """Private accounts whose posts the viewer may see (approved follows), for search filters."""
    records, _, _ = await driver.execute_query(
        """MATCH (:User {id: $viewer})-[:FOLLOWS]->(a:User) WHERE a.private
           RETURN collect(a.id) AS ids""", viewer=viewer_id)
    return records[0]["ids"] if records else []
