"""What an account's data export reads from the graph (usecases/export_task.py), page by page (an
index range each), so an account with years of posts is never read at once."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

_NO_CURSOR = -1


async def profile(driver: AsyncDriver, user_id: int) -> dict[str, Any] | None:
    records, _, _ = await driver.execute_query(
        """MATCH (u:User {id: $id})
           RETURN u { .id, .username, .display_name, .bio, .private, .created_at,
                      avatar_keys: coalesce(u.avatar_keys, []) } AS user""", id=user_id)
    return dict(records[0]["user"]) if records else None


async def posts_page(driver: AsyncDriver, author_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The account's posts, oldest first, with every media item (and its S3 keys)."""
    records, _, _ = await driver.execute_query(
        """MATCH (p:Post) WHERE p.author_id = $author AND p.id > $after
           WITH p ORDER BY p.author_id, p.id LIMIT $limit
           RETURN p { .id, .caption, .hashtags, .created_at, .edited_at, .state,
                      caption_history: coalesce(p.caption_history, []),
                      caption_history_at: coalesce(p.caption_history_at, []),
                      media: [(p)-[:HAS_MEDIA]->(m:Media) | m { .id, .position, .type, .width, .height,
                              .content_type, .alt, .duration_s, keys: coalesce(m.keys, []),
                              rendition_keys: coalesce(m.rendition_keys, []) }] } AS post
           ORDER BY post.id""", author=author_id, after=after, limit=limit)
    return [dict(r["post"]) for r in records]


async def comments_page(driver: AsyncDriver, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    records, _, _ = await driver.execute_query(
        """MATCH (:User {id: $id})-[:WROTE]->(c:Comment) WHERE c.id > $after
           RETURN c { .id, .post_id, .text, .created_at } AS comment ORDER BY c.id LIMIT $limit""",
        id=user_id, after=after, limit=limit)
    return [dict(r["comment"]) for r in records]


async def likes_page(driver: AsyncDriver, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    records, _, _ = await driver.execute_query(
        """MATCH (:User {id: $id})-[r:LIKED]->(p:Post) WHERE r.id > $after
           RETURN r.id AS id, p.id AS post_id, r.since AS liked_at ORDER BY r.id LIMIT $limit""",
        id=user_id, after=after, limit=limit)
    return [dict(r) for r in records]


# (relationship, direction): whom the list names. Outgoing: the account's own edges.
EDGE_LISTS = {
    "followers": ("FOLLOWS", "in"),
    "following": ("FOLLOWS", "out"),
    "blocks": ("BLOCKS", "out"),
    "mutes": ("MUTES", "out"),
}


async def edge_page(driver: AsyncDriver, user_id: int, name: str, after: int, limit: int) -> list[dict[str, Any]]:
    rel, direction = EDGE_LISTS[name]
    pattern = f"(me)-[r:{rel}]->(other:User)" if direction == "out" else f"(me)<-[r:{rel}]-(other:User)"
    records, _, _ = await driver.execute_query(
        f"""MATCH (me:User {{id: $id}}) MATCH {pattern} WHERE r.id > $after
            RETURN r.id AS id, other.id AS user_id, other.username AS username, r.since AS since
            ORDER BY r.id LIMIT $limit""", id=user_id, after=after, limit=limit)
    return [dict(r) for r in records]
