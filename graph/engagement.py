"""Likes and comments: ``(:User)-[:LIKED]->(:Post)``, ``(:User)-[:WROTE]->(:Comment)-[:ON]->(:Post)``.

Nobody can act on a post they cannot see (the same VISIBLE rule as reads). A like takes the
liker's node lock first, so a user's concurrent likes of one post serialise and never make two
edges; counts are degrees, exact under any concurrency.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import Forbidden, NotFound

from .predicates import READY_OR_OWN, VISIBLE

_VISIBLE_POST = f"""MATCH (v:User {{id: $viewer}}) SET v._lock = true REMOVE v._lock
    WITH v MATCH (u:User)-[:POSTED]->(p:Post {{id: $post}}) WHERE {VISIBLE} AND {READY_OR_OWN}"""


@dataclass(frozen=True)
class LikeChange:
    changed: bool
    like_count: int
    author_id: int


async def like(driver: AsyncDriver, viewer_id: int, post_id: int, *, edge_id: int, now_ms: int) -> LikeChange:
    async def work(tx: AsyncManagedTransaction) -> LikeChange:
        result = await tx.run(_VISIBLE_POST + " RETURN u.id AS author, EXISTS { (v)-[:LIKED]->(p) } AS liked",
                              viewer=viewer_id, post=post_id)
        record = await result.single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")
        if not record["liked"]:
            await tx.run("""MATCH (v:User {id: $viewer}), (p:Post {id: $post})
                            CREATE (v)-[:LIKED {id: $edge_id, post_id: p.id, user_id: v.id, since: $now}]->(p)""",
                         viewer=viewer_id, post=post_id, edge_id=edge_id, now=now_ms)
        count = await (await tx.run("MATCH (p:Post {id: $post}) RETURN COUNT { (p)<-[:LIKED]-() } AS n",
                                    post=post_id)).single()
        return LikeChange(not record["liked"], count["n"], record["author"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def unlike(driver: AsyncDriver, viewer_id: int, post_id: int) -> LikeChange:
    async def work(tx: AsyncManagedTransaction) -> LikeChange:
        result = await tx.run(
            _VISIBLE_POST + """
            OPTIONAL MATCH (v)-[existing:LIKED]->(p)
            WITH p, u, existing, existing IS NOT NULL AS had
            DELETE existing
            RETURN had, COUNT { (p)<-[:LIKED]-() } AS likes, u.id AS author""",
            viewer=viewer_id, post=post_id)
        record = await result.single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")
        return LikeChange(record["had"], record["likes"], record["author"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def ensure_visible(driver: AsyncDriver, viewer_id: int, post_id: int) -> int:
    """The post's author id, or NotFound if the viewer may not see the post."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $viewer}}) MATCH (u:User)-[:POSTED]->(p:Post {{id: $post}}) WHERE {VISIBLE} AND {READY_OR_OWN}
            RETURN u.id AS author""", viewer=viewer_id, post=post_id)
    if not records:
        raise NotFound("No such post.", code="post_not_found")
    return records[0]["author"]


# The ids of the accounts in a block with viewer `$viewer` (either way), as `blocked`: whose likes
# and comments the viewer is not shown. Filtered before the page's LIMIT, so pages stay full.
_BLOCKED_WITH_VIEWER = """OPTIONAL MATCH (:User {id: $viewer})-[:BLOCKS]-(x:User)
    WITH collect(x.id) AS blocked"""


async def likers_page(driver: AsyncDriver, post_id: int, before: int | None, limit: int,
                      viewer_id: int = -1) -> list[dict[str, Any]]:
    """Who liked the post, newest first, but those in a block with the viewer."""
    from .users import USER_FIELDS
    records, _, _ = await driver.execute_query(
        f"""{_BLOCKED_WITH_VIEWER}
            MATCH (u:User)-[r:LIKED]->(:Post) WHERE r.post_id = $post AND r.id < $before AND NOT r.user_id IN blocked
            WITH u, r ORDER BY r.post_id DESC, r.id DESC LIMIT $limit
            RETURN {USER_FIELDS} AS user, r.id AS edge_id""",
        post=post_id, before=before if before is not None else 2**63 - 1, limit=limit + 1, viewer=viewer_id)
    return [dict(r["user"], _edge_id=r["edge_id"]) for r in records]


COMMENT_FIELDS = "c { .id, .post_id, .text, .created_at, author: w { .id, .username, .display_name, avatar: w.avatar_keys[0] } }"


async def add_comment(driver: AsyncDriver, viewer_id: int, post_id: int, *, comment_id: int, text: str,
                      now_ms: int) -> tuple[dict[str, Any], int]:
    """The new comment and the post's author id."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $viewer}}) MATCH (u:User)-[:POSTED]->(p:Post {{id: $post}}) WHERE {VISIBLE} AND {READY_OR_OWN}
            CREATE (v)-[:WROTE]->(c:Comment {{id: $id, post_id: p.id, author_id: v.id, text: $text,
                                               created_at: $now}})-[:ON]->(p)
            WITH c, v AS w, u
            RETURN {COMMENT_FIELDS} AS comment, u.id AS author""",
        viewer=viewer_id, post=post_id, id=comment_id, text=text, now=now_ms)
    if not records:
        raise NotFound("No such post.", code="post_not_found")
    return records[0]["comment"], records[0]["author"]


async def comments_page(driver: AsyncDriver, post_id: int, after: int | None, limit: int,
                        viewer_id: int = -1) -> list[dict[str, Any]]:
    """The post's comments, oldest first, but those of accounts in a block with the viewer."""
    records, _, _ = await driver.execute_query(
        f"""{_BLOCKED_WITH_VIEWER}
            MATCH (c:Comment) WHERE c.post_id = $post AND c.id > $after AND NOT c.author_id IN blocked
            WITH c ORDER BY c.post_id, c.id LIMIT $limit
            MATCH (w:User)-[:WROTE]->(c)
            RETURN {COMMENT_FIELDS} AS comment ORDER BY comment.id""",
        post=post_id, after=after if after is not None else -1, limit=limit + 1, viewer=viewer_id)
    return [r["comment"] for r in records]


async def delete_comment(driver: AsyncDriver, viewer_id: int, post_id: int, comment_id: int) -> None:
    """The comment's author or the post's author may delete it."""
    async def work(tx: AsyncManagedTransaction) -> None:
        result = await tx.run(
            f"""MATCH (v:User {{id: $viewer}}) MATCH (u:User)-[:POSTED]->(p:Post {{id: $post}}) WHERE {VISIBLE} AND {READY_OR_OWN}
                MATCH (c:Comment {{id: $comment}})-[:ON]->(p)
                RETURN c.author_id = v.id OR u.id = v.id AS allowed""",
            viewer=viewer_id, post=post_id, comment=comment_id)
        record = await result.single()
        if record is None:
            raise NotFound("No such comment.", code="comment_not_found")
        if not record["allowed"]:
            raise Forbidden("Only the comment's author or the post's author can delete it.", code="not_allowed")
        await tx.run("MATCH (c:Comment {id: $comment}) DETACH DELETE c", comment=comment_id)

    async with driver.session() as session:
        await session.execute_write(work)
