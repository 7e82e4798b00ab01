"""Posts in the graph: ``(:User)-[:POSTED]->(:Post)-[:HAS_MEDIA]->(:Media)``.

A post and all its media nodes are created in one transaction, after every object is in S3: a
post that exists always has its bytes. Like and comment counts are degrees, like follower counts.
Visibility lives here too, in the queries, so no caller can forget it.

A post with a video is created ``state: "processing"`` (its transcodes run as Ray tasks) and is
seen by its author alone until ``mark_ready``; posts without the property (photo posts) are ready.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import Forbidden, NotFound

from .predicates import READY, READY_OR_OWN, VISIBLE, shown_to

# A media item's properties as every reader gets them (a video's source key stays in the graph).
MEDIA_FIELDS = """m { .id, .position, .width, .height, .content_type, .alt, .keys, .type, .duration_s,
                      .rendition_names, .rendition_keys, .rendition_widths, .rendition_heights }"""

# `p` (the post), `u` (its author) and `v` (the viewer) must be bound.
POST_FIELDS = """p {
    .id, .caption, .hashtags, .created_at, .edited_at, .state, .failure_code, .failure_message,
    author: u { .id, .username, .display_name, avatar: u.avatar_keys[0] },
    like_count: COUNT { (p)<-[:LIKED]-() },
    comment_count: COUNT { (p)<-[:ON]-(:Comment) },
    liked_by_me: EXISTS { (v)-[:LIKED]->(p) },
    media: [(p)-[:HAS_MEDIA]->(m:Media) | """ + MEDIA_FIELDS + """]
}"""


def _clean(record_post: dict[str, Any]) -> dict[str, Any]:
    post = dict(record_post)
    post["media"] = sorted(post["media"], key=lambda m: m["position"])
    return post


async def create_post(driver: AsyncDriver, *, author_id: int, post_id: int, caption: str, hashtags: list[str],
                      media: list[dict[str, Any]], now_ms: int, state: str | None = None) -> dict[str, Any]:
    """``media``: each item's properties (id, position, width, height, content_type, alt, keys; a
    video's also type, source_key, duration_s). ``state``: "processing" for a post with a video."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{id: $author}})
            CREATE (u)-[:POSTED]->(p:Post {{id: $id, author_id: $author, caption: $caption, hashtags: $hashtags,
                                            created_at: $now, state: $state}})
            WITH u, p
            UNWIND $media AS m
            CREATE (p)-[:HAS_MEDIA]->(item:Media)
            SET item = m
            WITH DISTINCT u, p
            WITH u, p, u AS v
            RETURN {POST_FIELDS} AS post""",
        author=author_id, id=post_id, caption=caption, hashtags=hashtags, media=media, now=now_ms, state=state)
    if not records:
        raise NotFound("This account no longer exists.", code="user_not_found")
    return _clean(records[0]["post"])


async def get_visible(driver: AsyncDriver, post_id: int, viewer_id: int) -> dict[str, Any] | None:
    """The post if it exists and the viewer may see it; otherwise None (callers answer 404)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}}), (v:User {{id: $viewer}})
            WHERE {VISIBLE} AND {READY_OR_OWN}
            RETURN {POST_FIELDS} AS post""", id=post_id, viewer=viewer_id)
    return _clean(records[0]["post"]) if records else None


async def list_by_author(driver: AsyncDriver, author_id: int, viewer_id: int, before: int | None,
                         limit: int) -> list[dict[str, Any]]:
    """The author's posts newest first (``limit`` + 1 to tell whether more exist)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (p:Post) WHERE p.author_id = $author AND p.id < $before
                                AND ({READY} OR p.author_id = $viewer)
            WITH p ORDER BY p.author_id DESC, p.id DESC LIMIT $limit
            MATCH (u:User {{id: $author}}), (v:User {{id: $viewer}})
            RETURN {POST_FIELDS} AS post ORDER BY post.id DESC""",
        author=author_id, viewer=viewer_id, before=before if before is not None else 2**63 - 1, limit=limit + 1)
    return [_clean(r["post"]) for r in records]


async def ids_by_author(driver: AsyncDriver, author_id: int, viewer_id: int, before: int | None,
                        limit: int) -> list[int]:
    """The ids of what ``list_by_author`` returns, from the index alone (bodies come from the cache)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (p:Post) WHERE p.author_id = $author AND p.id < $before
                                AND ({READY} OR p.author_id = $viewer)
            RETURN p.id AS id ORDER BY p.author_id DESC, p.id DESC LIMIT $limit""",
        author=author_id, viewer=viewer_id, before=before if before is not None else 2**63 - 1, limit=limit + 1)
    return [r["id"] for r in records]


async def ids_by_authors(driver: AsyncDriver, author_ids: list[int]) -> list[int]:
    """Every post id of these accounts (an index seek per author)."""
    records, _, _ = await driver.execute_query(
        """UNWIND $authors AS aid
           MATCH (p:Post) WHERE p.author_id = aid
           RETURN p.id AS id""", authors=author_ids)
    return [r["id"] for r in records]


async def author_visibility(driver: AsyncDriver, username: str, viewer_id: int) -> tuple[int, bool]:
    """(author id, may the viewer see their posts); NotFound for an unknown username, and for
    one in a block with the viewer (either way)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{username: $username}}), (v:User {{id: $viewer}})
            WHERE NOT EXISTS {{ (u)-[:BLOCKS]-(v) }}
            RETURN u.id AS id, {VISIBLE} AS visible""", username=username, viewer=viewer_id)
    if not records:
        raise NotFound("No such user.", code="user_not_found")
    return records[0]["id"], records[0]["visible"]


async def delete_post(driver: AsyncDriver, post_id: int, actor_id: int) -> list[str]:
    """Delete a post and its media nodes (author only); the S3 keys its media used."""
    async def work(tx: AsyncManagedTransaction) -> list[str]:
        result = await tx.run(
            f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}}), (v:User {{id: $actor}})
                WHERE {VISIBLE}
                RETURN u.id AS author,
                       [(p)-[:HAS_MEDIA]->(m:Media) | m.keys + coalesce(m.rendition_keys, [])
                        + CASE WHEN m.source_key IS NULL THEN [] ELSE [m.source_key] END] AS keys""",
            id=post_id, actor=actor_id)
        record = await result.single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")
        if record["author"] != actor_id:
            raise Forbidden("Only the author can delete a post.", code="not_author")
        await tx.run("""MATCH (p:Post {id: $id})
                        OPTIONAL MATCH (p)-[:HAS_MEDIA]->(m:Media)
                        OPTIONAL MATCH (p)<-[:ON]-(c:Comment)
                        DETACH DELETE p, m, c""", id=post_id)
        return [key for keys in record["keys"] for key in keys]

    async with driver.session() as session:
        return await session.execute_write(work)


# Earlier captions kept for a post's edit history (Mastodon's StatusEdit list); the oldest beyond
# this many are dropped, so a post's node stays small however often it is edited.
MAX_CAPTION_HISTORY = 50


async def edit_caption(driver: AsyncDriver, post_id: int, actor_id: int, *, caption: str, hashtags: list[str],
                       now_ms: int) -> dict[str, Any]:
    """Replace a post's caption and hashtags (its author only), keeping the previous caption and
    the moment it began (creation or its own edit) in ``caption_history``/``caption_history_at``;
    the post as its author sees it. NotFound when the actor may not see it, Forbidden when they
    are not its author."""
    async def work(tx: AsyncManagedTransaction) -> dict[str, Any]:
        result = await tx.run(
            f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}}), (v:User {{id: $actor}})
                WHERE {VISIBLE} AND {READY_OR_OWN}
                RETURN u.id AS author""", id=post_id, actor=actor_id)
        record = await result.single()
        if record is None:
            raise NotFound("No such post.", code="post_not_found")
        if record["author"] != actor_id:
            raise Forbidden("Only the author can edit a post.", code="not_author")
        result = await tx.run(
            f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}})
                WITH u, p, coalesce(p.caption_history, []) + [coalesce(p.caption, '')] AS history,
                     coalesce(p.caption_history_at, []) + [coalesce(p.edited_at, p.created_at)] AS history_at
                SET p.caption = $caption, p.hashtags = $hashtags, p.edited_at = $now,
                    p.caption_history = history[-$keep..], p.caption_history_at = history_at[-$keep..]
                WITH u, p, u AS v
                RETURN {POST_FIELDS} AS post""",
            id=post_id, caption=caption, hashtags=hashtags, now=now_ms, keep=MAX_CAPTION_HISTORY)
        return _clean((await result.single())["post"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def caption_history(driver: AsyncDriver, post_id: int, viewer_id: int) -> dict[str, Any] | None:
    """A visible post's captions oldest first, each with when it began: ``{"versions": [(caption,
    at_ms)...], "post": post}`` (the last version is the current caption); None if not visible."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}}), (v:User {{id: $viewer}})
            WHERE {VISIBLE} AND {READY_OR_OWN}
            RETURN {POST_FIELDS} AS post, coalesce(p.caption_history, []) AS history,
                   coalesce(p.caption_history_at, []) AS history_at""", id=post_id, viewer=viewer_id)
    if not records:
        return None
    record = records[0]
    post = _clean(record["post"])
    versions = list(zip(record["history"], record["history_at"]))
    versions.append((post.get("caption") or "", post.get("edited_at") or post["created_at"]))
    return {"post": post, "versions": versions}


async def known_media_ids(driver: AsyncDriver, media_ids: list[int]) -> set[int]:
    records, _, _ = await driver.execute_query(
        "UNWIND $ids AS id MATCH (m:Media {id: id}) RETURN m.id AS id", ids=media_ids)
    return {r["id"] for r in records}


async def affinities(driver: AsyncDriver, viewer_id: int, author_ids: list[int]) -> dict[int, tuple[bool, int]]:
    """For each author: (do they follow the viewer back, how many of their posts the viewer liked)."""
    records, _, _ = await driver.execute_query(
        """MATCH (v:User {id: $viewer})
           UNWIND $authors AS aid
           MATCH (a:User {id: aid})
           RETURN aid, EXISTS { (a)-[:FOLLOWS]->(v) } AS mutual,
                  COUNT { (v)-[:LIKED]->(p:Post) WHERE p.author_id = aid } AS likes""",
        viewer=viewer_id, authors=author_ids)
    return {r["aid"]: (r["mutual"], r["likes"]) for r in records}


# A post as every viewer sees it (no viewer-specific fields): what the feed's hydration caches.
POST_BODY_FIELDS = """p {
    .id, .caption, .hashtags, .created_at, .edited_at, .state,
    author: u { .id, .username, .display_name, .private, avatar: u.avatar_keys[0] },
    like_count: COUNT { (p)<-[:LIKED]-() },
    comment_count: COUNT { (p)<-[:ON]-(:Comment) },
    media: [(p)-[:HAS_MEDIA]->(m:Media) | """ + MEDIA_FIELDS + """]
}"""


async def ready_by_id(driver: AsyncDriver, post_ids: list[int], projection: str) -> list[dict[str, Any]]:
    """The ready posts among ``post_ids`` (deleted and unready ones left out), each as the Cypher
    map ``projection`` of the post ``p`` and its author ``u``."""
    records, _, _ = await driver.execute_query(
        f"""UNWIND $ids AS pid
            MATCH (u:User)-[:POSTED]->(p:Post {{id: pid}}) WHERE {READY}
            RETURN {projection} AS post""", ids=post_ids)
    return [r["post"] for r in records]


async def get_bodies(driver: AsyncDriver, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {post["id"]: _clean(post) for post in await ready_by_id(driver, post_ids, POST_BODY_FIELDS)}


async def hidden_among(driver: AsyncDriver, viewer_id: int, author_ids: list[int]) -> set[int]:
    """Those of the authors whose posts the viewer may not see right now (private, not followed)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $viewer}}) UNWIND $authors AS aid
           MATCH (a:User {{id: aid}}) WHERE NOT {shown_to('a', 'v')}
           RETURN collect(a.id) AS ids""", viewer=viewer_id, authors=author_ids)
    return set(records[0]["ids"]) if records else set()


# --- video posts: processing -> ready | failed ------------------------------------------------
async def processing_videos(driver: AsyncDriver, post_id: int) -> list[dict[str, Any]]:
    """The videos of a post still processing (none once it is ready, failed or deleted)."""
    records, _, _ = await driver.execute_query(
        """MATCH (p:Post {id: $id})-[:HAS_MEDIA]->(m:Media)
           WHERE p.state = 'processing' AND m.type = 'video'
           RETURN m.id AS id, m.source_key AS source_key, m.duration_s AS duration_s, p.author_id AS author_id
           ORDER BY m.position""", id=post_id)
    return [dict(r) for r in records]


async def processing_post_ids(driver: AsyncDriver, created_before_ms: int, limit: int = 100) -> list[int]:
    """Posts processing since before a moment (an index seek on the few posts with a state)."""
    records, _, _ = await driver.execute_query(
        """MATCH (p:Post) WHERE p.state = 'processing' AND p.created_at < $before
           RETURN p.id AS id ORDER BY p.id LIMIT $limit""", before=created_before_ms, limit=limit)
    return [r["id"] for r in records]


async def mark_ready(driver: AsyncDriver, post_id: int, videos: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Record the transcoded videos and make the post ready, in one transaction; the post (as its
    author sees it), or None when it was not processing any more (deleted, or another gateway
    finished it first: only one caller gets the post, so fan-out happens once)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User)-[:POSTED]->(p:Post {{id: $id}}) WHERE p.state = 'processing'
            SET p.state = 'ready'
            WITH u, p
            UNWIND $videos AS r
            MATCH (p)-[:HAS_MEDIA]->(m:Media {{id: r.media_id}})
            SET m.keys = r.poster_keys, m.rendition_keys = r.rendition_keys, m.rendition_names = r.rendition_names,
                m.rendition_widths = r.rendition_widths, m.rendition_heights = r.rendition_heights,
                m.width = r.width, m.height = r.height, m.duration_s = r.duration_s, m.content_type = 'video/mp4',
                m.source_key = null
            WITH DISTINCT u, p
            WITH u, p, u AS v
            RETURN {POST_FIELDS} AS post""", id=post_id, videos=videos)
    return _clean(records[0]["post"]) if records else None


async def mark_failed(driver: AsyncDriver, post_id: int, code: str, message: str) -> dict[str, Any] | None:
    """The post failed (kept, with the reason, for its author to see and delete); returns its
    author, creation time and the video objects to delete, or None when it was not processing."""
    records, _, _ = await driver.execute_query(
        """MATCH (p:Post {id: $id}) WHERE p.state = 'processing'
           SET p.state = 'failed', p.failure_code = $code, p.failure_message = $message
           WITH p
           OPTIONAL MATCH (p)-[:HAS_MEDIA]->(m:Media {type: 'video'})
           WITH p, collect(m) AS videos
           WITH p, videos, [m IN videos WHERE m.source_key IS NOT NULL | m.source_key] AS sources
           FOREACH (m IN videos | SET m.source_key = null)
           RETURN p.author_id AS author_id, p.created_at AS created_at,
                  [m IN videos | m.id] AS media_ids, sources""", id=post_id, code=code, message=message)
    return dict(records[0]) if records else None
