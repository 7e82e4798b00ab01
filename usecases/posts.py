"""Publishing and deleting posts: the order of operations that keeps photos from being lost.

Publish: reserve quota → validate every file's header → process all images (process pool) →
store every variant in S3 → create the post and its media in Neo4j in one transaction. Only then
is the post visible: bytes and metadata are both durable. Any failure before the commit gives the
quota back and deletes what was stored; whatever a crash leaves behind has no Media node and is
removed by the orphan sweeper. After the commit: fan-out (timelines and live events) and search.

Delete: the post leaves Neo4j first (nobody is handed a URL to bytes about to vanish), then its
cached body, timelines and the search index, then its objects leave S3.
"""
from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from typing import Any

from neo4j import AsyncDriver

from feed.engine import FeedEngine
from core.clock import now_ms
from core.errors import RaygramError, UnsupportedMediaType, ValidationFailed
from core.ids import IdGenerator
from graph import posts
from media import storage
from media.hashtags import MAX_HASHTAGS, parse_hashtags
from media.pool import MediaPool
from media.process import VARIANTS, ImageLimits, ImageRejected, ProcessedImage, check_header, process_image
from search.port import OutboxSearchEffects
from stores.post_bodies import PostBodies
from stores.quotas import PostQuotas, Reservation

log = logging.getLogger(__name__)

def new_workdir() -> tempfile.TemporaryDirectory:
    """Where one upload's received files and processed variants live until it is answered."""
    return tempfile.TemporaryDirectory(prefix="raygram-upload-")


def _as_contract_error(err: ImageRejected, position: int) -> RaygramError:
    cls = UnsupportedMediaType if err.status == 415 else ValidationFailed
    return cls(f"Photo {position + 1}: {err.message}", code=err.code)


class Posts:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, quotas: PostQuotas, pool: MediaPool,
                 limits: ImageLimits, s3: Any, bucket: str, feed: FeedEngine, search: OutboxSearchEffects,
                 bodies: PostBodies) -> None:
        self.driver, self.ids, self.quotas = driver, ids, quotas
        self.pool, self.limits, self.s3, self.bucket = pool, limits, s3, bucket
        self.feed, self.search, self.bodies = feed, search, bodies

    async def publish(self, author_id: int, *, caption: str, media_paths: list[str], alts: list[str],
                      workdir: str) -> dict[str, Any]:
        """The new post (a graph record; the route renders it). ``media_paths`` are the received
        files, in order; ``workdir`` is where their variants go."""
        hashtags = parse_hashtags(caption)
        if len(hashtags) > MAX_HASHTAGS:
            raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
        reservation = await self.quotas.reserve(author_id, now_ms())
        stored: list[str] = []
        try:
            processed = await self._process_all(media_paths, workdir)
            media, uploads = [], []
            for position, image in enumerate(processed):
                media_id = self.ids.next_id()
                keys = []
                # A media's keys in VARIANTS order: views pair them with the variant names by position.
                for variant in sorted(image.variants, key=lambda v: VARIANTS.index(v.name)):
                    key = storage.media_key(media_id, variant.name, variant.path.rsplit(".", 1)[-1])
                    keys.append(key)
                    uploads.append((key, variant.path, variant.content_type))
                media.append({"id": media_id, "position": position, "width": image.width, "height": image.height,
                              "content_type": image.content_type, "keys": keys,
                              "alt": alts[position] if position < len(alts) else ""})

            async def put(key: str, path: str, content_type: str) -> None:
                await storage.put_file(self.s3, self.bucket, key, path, content_type)
                stored.append(key)

            # Let every put finish (or fail) before undoing, so none lands after the clean-up.
            outcomes = await asyncio.gather(*(put(*u) for u in uploads), return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            if failures:
                raise failures[0]
            post = await posts.create_post(self.driver, author_id=author_id, post_id=self.ids.next_id(),
                                           caption=caption, hashtags=hashtags, media=media, now_ms=now_ms())
        except BaseException:
            await asyncio.shield(self._undo(reservation, stored))
            raise
        await self.feed.published(post)
        await self.search.post_changed(post["id"])
        return post

    async def delete(self, post_id: int, actor_id: int) -> None:
        """Delete a post and its media (its author only)."""
        keys = await posts.delete_post(self.driver, post_id, actor_id)
        await self.bodies.forget(post_id)
        await self.feed.unpublished(post_id, actor_id)
        await self.search.post_changed(post_id)
        try:
            await storage.delete_keys(self.s3, self.bucket, keys)
        except Exception:
            log.warning("post %s deleted but its %d objects not yet; the orphan sweeper will", post_id, len(keys))

    async def _process_all(self, media_paths: list[str], workdir: str) -> list[ProcessedImage]:
        # Every header first: a bad 10th file fails the post before any pixel is decoded.
        for i, path in enumerate(media_paths):
            try:
                await self.pool.run(check_header, path, self.limits)
            except ImageRejected as err:
                raise _as_contract_error(err, i) from None
        outs = []
        for i in range(len(media_paths)):
            out = os.path.join(workdir, f"out-{i}")
            os.mkdir(out)
            outs.append(out)
        results = await asyncio.gather(*(self.pool.run(process_image, path, out, self.limits)
                                         for path, out in zip(media_paths, outs)), return_exceptions=True)
        for i, result in enumerate(results):
            if isinstance(result, ImageRejected):
                raise _as_contract_error(result, i)
            if isinstance(result, BaseException):
                raise result
        return list(results)

    async def _undo(self, reservation: Reservation, stored: list[str]) -> None:
        try:
            await self.quotas.release(reservation)
        except Exception:
            log.exception("could not release an upload quota reservation")
        try:
            await storage.delete_keys(self.s3, self.bucket, stored)
        except Exception:
            log.warning("could not delete %d objects of a failed upload; the orphan sweeper will", len(stored))
