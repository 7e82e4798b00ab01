"""The orphan sweeper: deletes media objects that no post refers to.

Orphans come from uploads that failed or crashed between S3 and the Neo4j commit, and from deletes
whose S3 half failed. An object is an orphan when its media id (in its key) has no Media node and
the id is older than the grace period (an upload in flight has not committed yet).
"""
from __future__ import annotations

from neo4j import AsyncDriver

from core.ids import timestamp_ms
from graph.posts import known_media_ids

from .storage import delete_keys, list_keys, media_id_of


async def sweep_orphans(s3, bucket: str, driver: AsyncDriver, *, now_ms: int, grace_ms: int) -> int:
    deleted = 0
    async for keys in list_keys(s3, bucket):
        by_media: dict[int, list[str]] = {}
        for key in keys:
            media_id = media_id_of(key)
            if media_id is not None and now_ms - timestamp_ms(media_id) > grace_ms:
                by_media.setdefault(media_id, []).append(key)
        if not by_media:
            continue
        alive = await known_media_ids(driver, list(by_media))
        orphans = [k for media_id, ks in by_media.items() if media_id not in alive for k in ks]
        await delete_keys(s3, bucket, orphans)
        deleted += len(orphans)
    return deleted
