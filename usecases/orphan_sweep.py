"""The orphan sweeper: deletes stored objects that nothing in the graph refers to.

Orphans come from uploads that failed or crashed between S3 and the Neo4j commit, and from deletes
whose S3 half failed. Two kinds of object are swept, each under its own prefix with its id in the
key: post media (kept while a Media node has the id) and profile photos (kept while an account
names the avatar id). An object is an orphan when its id is unknown to the graph and older than
the grace period (an upload in flight has not committed yet).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from neo4j import AsyncDriver

from core.ids import timestamp_ms
from graph.posts import known_media_ids
from graph.users import known_avatar_ids
from media.avatars import AVATAR_PREFIX, avatar_id_of
from media.storage import MEDIA_PREFIX, delete_keys, list_keys, media_id_of


@dataclass(frozen=True)
class Swept:
    prefix: str
    id_of: Callable[[str], int | None]
    known: Callable[[AsyncDriver, list[int]], Awaitable[set[int]]]


KINDS = (Swept(MEDIA_PREFIX, media_id_of, known_media_ids), Swept(AVATAR_PREFIX, avatar_id_of, known_avatar_ids))


async def sweep_orphans(s3, bucket: str, driver: AsyncDriver, *, now_ms: int, grace_ms: int) -> int:
    deleted = 0
    for kind in KINDS:
        async for keys in list_keys(s3, bucket, kind.prefix):
            by_id: dict[int, list[str]] = {}
            for key in keys:
                object_id = kind.id_of(key)
                if object_id is not None and now_ms - timestamp_ms(object_id) > grace_ms:
                    by_id.setdefault(object_id, []).append(key)
            if not by_id:
                continue
            alive = await kind.known(driver, list(by_id))
            orphans = [k for object_id, ks in by_id.items() if object_id not in alive for k in ks]
            await delete_keys(s3, bucket, orphans)
            deleted += len(orphans)
    return deleted
