"""Media uploaded before the post that uses them (the Mastodon API's flow), and publishing a
post from them.

Uploading processes and stores a photo exactly as a post's photos are (media/process.py in the
media pool, every variant under media/storage.py's keys), then records it as a staged ``:Media``
node owned by the uploader (graph/staged_media.py), which keeps the orphan sweeper away from its
objects. Publishing mirrors ``Posts.publish`` step for step: hashtags checked, quota reserved,
then the post is created and the staged media attached in one transaction, then ``announce``
(fan-out and the search outbox); a failure gives the quota back.

A video (recognised from its bytes, probed against the same limits as a v1 video post's, in
the media pool) is staged ``processing`` with its source stored as it came; the transcode runs as
the same Ray task a video post's does, driven (lease, retries, the sweep that takes over from a
dead gateway) by usecases/video_posts.py. Until it is done the upload cannot be posted.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.errors import PayloadTooLarge, RaygramError, UnsupportedMediaType, ValidationFailed
from core.ids import IdGenerator
from feed.engine import FeedEngine
from graph import staged_media
from media import storage
from media.detect import SNIFF_BYTES, sniff_video
from media.hashtags import MAX_HASHTAGS, parse_hashtags
from media.pool import MediaPool
from media.process import VARIANTS, ImageLimits, ImageRejected, check_header, process_image
from media.video_plan import VideoRejected
from search.port import OutboxSearchEffects
from stores.quotas import PostQuotas

from .posts import announce, give_back_video_slots, take_video_slots

log = logging.getLogger(__name__)

# Staged uploads nobody posted are deleted after this long (Mastodon keeps them a day too).
STAGED_TTL_MS = 24 * 3600 * 1000


def _rejected(err: ImageRejected | VideoRejected) -> RaygramError:
    cls = {413: PayloadTooLarge, 415: UnsupportedMediaType}.get(err.status, ValidationFailed)
    return cls(err.message, code=err.code)


def _read_head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


class MediaLibrary:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, quotas: PostQuotas, pool: MediaPool,
                 limits: ImageLimits, s3: Any, bucket: str, feed: FeedEngine, search: OutboxSearchEffects,
                 videos: Any = None) -> None:
        self.driver, self.ids, self.quotas, self.pool, self.limits = driver, ids, quotas, pool, limits
        self.s3, self.bucket, self.feed, self.search = s3, bucket, feed, search
        # usecases.video_posts.VideoPosts: videos are accepted only where it is wired.
        self.videos = videos

    async def upload(self, owner_id: int, path: str, description: str, workdir: str) -> dict[str, Any]:
        """The staged media record (``keys`` in VARIANTS order, as a post's media); a video's is
        ``state: "processing"`` with no keys yet."""
        if self.videos is not None and sniff_video(await asyncio.to_thread(_read_head, path)) is not None:
            return await self._upload_video(owner_id, path, description)
        try:
            await self.pool.run(check_header, path, self.limits)
            out = os.path.join(workdir, "out")
            os.mkdir(out)
            image = await self.pool.run(process_image, path, out, self.limits)
        except ImageRejected as err:
            raise _rejected(err) from None
        media_id = self.ids.next_id()
        variants = sorted(image.variants, key=lambda v: VARIANTS.index(v.name))
        keys = [storage.media_key(media_id, v.name, v.path.rsplit(".", 1)[-1]) for v in variants]
        stored: list[str] = []

        async def put(key: str, variant) -> None:
            await storage.put_file(self.s3, self.bucket, key, variant.path, variant.content_type)
            stored.append(key)

        try:
            outcomes = await asyncio.gather(*(put(k, v) for k, v in zip(keys, variants)), return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            if failures:
                raise failures[0]
            return await staged_media.stage(self.driver, owner_id=owner_id, now_ms=now_ms(), media={
                "id": media_id, "width": image.width, "height": image.height, "content_type": image.content_type,
                "keys": keys, "alt": description})
        except BaseException:
            # Nothing refers to these objects: delete them now (else the orphan sweeper will).
            await asyncio.shield(self._delete(stored))
            raise

    async def _upload_video(self, owner_id: int, path: str, description: str) -> dict[str, Any]:
        # A staged upload costs no post quota (nothing is published yet), but its transcode costs a
        # CPU: an account may have as many in flight as one post may carry, no more (a slot taken
        # atomically, before the probe; the driver gives it back when the video is done).
        media_id = self.ids.next_id()
        await take_video_slots(self.videos, owner_id, [media_id])
        key = None
        try:
            try:
                # Headers only, in the pool (a hostile container is parsed away from the event loop).
                probed = await self.pool.run(self.videos.probe, path, self.videos.limits)
            except (VideoRejected, ImageRejected) as err:
                raise _rejected(err) from None
            item, (key, _, content_type) = self.videos.source_item(media_id, 0, probed, path)
            await storage.put_file(self.s3, self.bucket, key, path, content_type)
            media = await staged_media.stage(self.driver, owner_id=owner_id, now_ms=now_ms(), media={
                **{k: v for k, v in item.items() if k != "position"}, "alt": description, "state": "processing",
                "fps": round(probed.fps, 3) if probed.fps else None})
        except BaseException:
            await asyncio.shield(self._undo_video(owner_id, media_id, key))
            raise
        self.videos.staged(media_id)
        return media

    async def settled(self, owner_id: int, media_id: int) -> dict[str, Any] | None:
        """The upload once this process stops transcoding it (ready or failed; still processing
        when another gateway drives it): what the synchronous v1 upload answers with."""
        if self.videos is not None:
            await self.videos.wait_staged(media_id)
        return await staged_media.owned(self.driver, owner_id, media_id)

    async def describe(self, owner_id: int, media_id: int, description: str) -> dict[str, Any] | None:
        return await staged_media.describe(self.driver, owner_id, media_id, description)

    async def publish(self, author_id: int, *, caption: str, media_ids: list[int]) -> dict[str, Any]:
        """The new post (a graph record) with the author's staged media, in order."""
        hashtags = parse_hashtags(caption)
        if len(hashtags) > MAX_HASHTAGS:
            raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
        reservation = await self.quotas.reserve(author_id, now_ms())
        try:
            post = await staged_media.publish(self.driver, author_id=author_id, post_id=self.ids.next_id(),
                                              caption=caption, hashtags=hashtags, media_ids=media_ids,
                                              now_ms=now_ms(),
                                              max_videos=self.videos.max_per_post if self.videos else None)
        except BaseException:
            await asyncio.shield(self._release(reservation))
            raise
        await announce(self.feed, self.search, post)       # fan-out and search, as Posts.publish does
        return post

    async def forget_stale(self) -> int:
        """Delete staged uploads older than a day (their objects go with the next orphan sweep)."""
        return await staged_media.delete_stale(self.driver, now_ms() - STAGED_TTL_MS)

    async def _undo_video(self, owner_id: int, media_id: int, key: str | None) -> None:
        if key is not None:
            await self._delete([key])
        await give_back_video_slots(self.videos, owner_id, [media_id])

    async def _release(self, reservation) -> None:
        try:
            await self.quotas.release(reservation)
        except Exception:
            log.exception("could not release a post quota reservation")

    async def _delete(self, keys: list[str]) -> None:
        try:
            await storage.delete_keys(self.s3, self.bucket, keys)
        except Exception:
            log.warning("could not delete %d objects of a failed upload; the orphan sweeper will", len(keys))
