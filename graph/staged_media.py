"""Media uploaded before its post (the Mastodon API's ``POST /api/v2/media``): a ``:Media`` node
owned by its uploader and attached to no post yet.

The node is what keeps the orphan sweeper (usecases/orphan_sweep.py) away from the upload's S3 objects;
publishing attaches it to the new post in the same transaction that creates the post, so a post
never exists without its media and a staged upload is used by one post at most. Staged media
nobody posted within a day are deleted (``delete_stale``); their objects then become orphans and
go with the next sweep.

A staged video carries its own processing state (``state: "processing"``, then no state once
transcoded, or ``"failed"`` with the reason), as a video post does on its Post: the node is the
pending record, so a gateway that dies mid-transcode leaves work another gateway's sweep
(usecases/video_posts.py) finishes. Only ready media can be posted.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import NotFound, ValidationFailed

from .posts import POST_FIELDS, _clean

MEDIA_FIELDS = """m { .id, .width, .height, .content_type, .alt, .keys, .owner_id, .staged_at, .type, .duration_s,
                      .fps, .state, .failure_code, .failure_message, .rendition_names, .rendition_keys,
                      .rendition_widths, .rendition_heights }"""

# Mastodon's words (PostStatusService) for a status whose media are not processed yet.
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"


async def stage(driver: AsyncDriver, *, media: dict[str, Any], owner_id: int, now_ms: int) -> dict[str, Any]:
    """``media``: id, width, height, content_type, keys, alt; a video's also type, state
    ("processing"), source_key, duration_s, fps."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{id: $owner}})
            CREATE (m:Media {{position: 0, owner_id: $owner, staged_at: $now}})
            SET m += $m
            RETURN {MEDIA_FIELDS} AS media, false AS attached""", m=media, owner=owner_id, now=now_ms)
    if not records:
        raise NotFound("This account no longer exists.", code="user_not_found")
    return dict(records[0]["media"], attached=False)


async def owned(driver: AsyncDriver, owner_id: int, media_id: int) -> dict[str, Any] | None:
    """A media item its owner uploaded (staged or attached since), or None."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (m:Media {{id: $id}}) WHERE m.owner_id = $owner
            RETURN {MEDIA_FIELDS} AS media, EXISTS {{ ()-[:HAS_MEDIA]->(m) }} AS attached""",
        id=media_id, owner=owner_id)
    return dict(records[0]["media"], attached=records[0]["attached"]) if records else None


async def describe(driver: AsyncDriver, owner_id: int, media_id: int, alt: str) -> dict[str, Any] | None:
    """Change the description of a staged upload (once posted, it belongs to the post)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (m:Media {{id: $id}}) WHERE m.owner_id = $owner AND NOT EXISTS {{ ()-[:HAS_MEDIA]->(m) }}
            SET m.alt = $alt
            RETURN {MEDIA_FIELDS} AS media""", id=media_id, owner=owner_id, alt=alt)
    return dict(records[0]["media"], attached=False) if records else None


async def publish(driver: AsyncDriver, *, author_id: int, post_id: int, caption: str, hashtags: list[str],
                  media_ids: list[int], now_ms: int, max_videos: int | None = None) -> dict[str, Any]:
    """Create the post with the author's staged media, in the given order, in one transaction
    (with at most ``max_videos`` videos, as a v1 post)."""
    async def work(tx: AsyncManagedTransaction) -> dict[str, Any]:
        # Lock the media first: two statuses racing for one upload serialise, the second finds it
        # taken; a transcode finishing meanwhile waits for this transaction (or this one for it).
        result = await tx.run(
            """UNWIND $ids AS mid MATCH (m:Media {id: mid})
               WHERE m.owner_id = $author SET m._lock = true REMOVE m._lock
               WITH m WHERE NOT EXISTS { ()-[:HAS_MEDIA]->(m) }
               RETURN count(m) AS n, [x IN collect(m.state) WHERE x IS NOT NULL] AS states,
                      count(CASE WHEN m.type = 'video' THEN 1 END) AS videos""",
            ids=media_ids, author=author_id)
        record = await result.single()
        if record["n"] != len(media_ids):
            raise ValidationFailed("A media id is unknown, not yours, or already posted.", code="invalid_media_ids")
        if "processing" in record["states"]:
            raise ValidationFailed(NOT_READY, code="media_processing")
        if record["states"]:
            raise ValidationFailed("A video could not be processed; upload it again or leave it out.",
                                   code="media_failed")
        if max_videos is not None and record["videos"] > max_videos:
            raise ValidationFailed(f"A post may have at most {max_videos} videos.", code="too_many_videos")
        result = await tx.run(
            f"""MATCH (u:User {{id: $author}})
                CREATE (u)-[:POSTED]->(p:Post {{id: $id, author_id: $author, caption: $caption, hashtags: $hashtags,
                                                created_at: $now}})
                WITH u, p
                UNWIND range(0, size($ids) - 1) AS i
                MATCH (m:Media {{id: $ids[i]}})
                SET m.position = i
                REMOVE m.staged_at
                CREATE (p)-[:HAS_MEDIA]->(m)
                WITH DISTINCT u, p
                WITH u, p, u AS v
                RETURN {POST_FIELDS} AS post""",
            author=author_id, id=post_id, caption=caption, hashtags=hashtags, ids=media_ids, now=now_ms)
        record = await result.single()
        if record is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        return _clean(record["post"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def delete_stale(driver: AsyncDriver, staged_before_ms: int, limit: int = 1000) -> int:
    """Delete staged uploads older than the cutoff that no post took; how many."""
    records, _, _ = await driver.execute_query(
        """MATCH (m:Media) WHERE m.staged_at < $before AND NOT EXISTS { ()-[:HAS_MEDIA]->(m) }
           WITH m LIMIT $limit
           DETACH DELETE m
           RETURN count(*) AS n""", before=staged_before_ms, limit=limit)
    return records[0]["n"] if records else 0


# --- staged videos: processing -> ready | failed ----------------------------------------------
async def processing_video(driver: AsyncDriver, media_id: int) -> dict[str, Any] | None:
    """A staged video still to transcode ({id, source_key, duration_s, owner_id}), or None (done,
    failed or deleted)."""
    records, _, _ = await driver.execute_query(
        """MATCH (m:Media {id: $id}) WHERE m.state = 'processing'
           RETURN m.id AS id, m.source_key AS source_key, m.duration_s AS duration_s, m.owner_id AS owner_id""",
        id=media_id)
    return dict(records[0]) if records else None


async def processing_ids(driver: AsyncDriver, staged_before_ms: int, limit: int = 100) -> list[int]:
    """Staged videos processing since before a moment (an index seek: only they have the state)."""
    records, _, _ = await driver.execute_query(
        """MATCH (m:Media) WHERE m.state = 'processing' AND m.staged_at < $before
           RETURN m.id AS id ORDER BY m.id LIMIT $limit""", before=staged_before_ms, limit=limit)
    return [r["id"] for r in records]


async def mark_ready(driver: AsyncDriver, media_id: int, video: dict[str, Any]) -> dict[str, Any] | None:
    """Record the transcoded video (a transcode task's result) and clear its state; the record, or
    None when it was not processing any more (deleted, or another gateway finished it first)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (m:Media {{id: $id}}) WHERE m.state = 'processing'
            SET m.keys = $r.poster_keys, m.rendition_keys = $r.rendition_keys, m.rendition_names = $r.rendition_names,
                m.rendition_widths = $r.rendition_widths, m.rendition_heights = $r.rendition_heights,
                m.width = $r.width, m.height = $r.height, m.duration_s = $r.duration_s, m.content_type = 'video/mp4',
                m.source_key = null, m.state = null
            RETURN {MEDIA_FIELDS} AS media""", id=media_id, r=video)
    return dict(records[0]["media"], attached=False) if records else None


async def mark_failed(driver: AsyncDriver, media_id: int, code: str, message: str) -> dict[str, Any] | None:
    """The staged video failed (kept, with the reason, until the stale sweep); ``{source_key}`` to
    delete, or None when it was not processing."""
    records, _, _ = await driver.execute_query(
        """MATCH (m:Media {id: $id}) WHERE m.state = 'processing'
           WITH m, m.source_key AS source_key
           SET m.state = 'failed', m.failure_code = $code, m.failure_message = $message, m.source_key = null
           RETURN source_key""", id=media_id, code=code, message=message)
    return dict(records[0]) if records else None
