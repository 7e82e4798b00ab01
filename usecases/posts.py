"""Publishing and deleting posts: the order of operations that keeps photos from being lost.

Publish: reserve quota → validate every file's header → process all images (process pool) →
store every variant in S3 → create the post and its media in Neo4j in one transaction. Only then
is the post visible: bytes and metadata are both durable. Any failure before the commit gives the
quota back and deletes what was stored; whatever a crash leaves behind has no Media node and is
removed by the orphan sweeper. After the commit: fan-out (timelines and live events) and search.

Edit (a caption): validated and its hashtags parsed as at creation; the graph keeps the caption
it replaces (the edit history); then the cached body is forgotten, the search outbox told, and
the author and their followers holding live streams get a ``feed.update`` reference (rendered for
each at delivery, like ``feed.post``).

Delete: the post leaves Neo4j first (nobody is handed a URL to bytes about to vanish), then its
cached body, timelines and the search index, then its objects leave S3.

A post with a video (usecases/video_posts.py): the same order, except that each video is probed
(not transcoded) before the commit and its source stored as it came; the post is committed
``processing`` and announced (fan-out, search) only once every video is transcoded by a Ray task.
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
from core.errors import PayloadTooLarge, RaygramError, RateLimited, UnsupportedMediaType, ValidationFailed
from core.ids import IdGenerator
from graph import posts
from graph.feed_queries import follower_pages
from live import protocol
from media import storage
from media.detect import SNIFF_BYTES, sniff_video
from media.hashtags import MAX_HASHTAGS, parse_hashtags
from media.pool import MediaPool
from media.process import VARIANTS, ImageLimits, ImageRejected, ProcessedImage, check_header, process_image
from media.video_plan import ProbedVideo, VideoRejected
from search.port import OutboxSearchEffects
from stores.post_bodies import PostBodies
from stores.quotas import PostQuotas, Reservation

log = logging.getLogger(__name__)

def new_workdir() -> tempfile.TemporaryDirectory:
    """Where one upload's received files and processed variants live until it is answered."""
    return tempfile.TemporaryDirectory(prefix="raygram-upload-")


def _as_contract_error(err: ImageRejected | VideoRejected, position: int) -> RaygramError:
    if err.status == 413:
        return PayloadTooLarge(f"Media {position + 1}: {err.message}", code=err.code)
    cls = UnsupportedMediaType if err.status == 415 else ValidationFailed
    what = "Video" if isinstance(err, VideoRejected) else "Photo"
    return cls(f"{what} {position + 1}: {err.message}", code=err.code)


def _read_head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


async def take_video_slots(videos: Any, account_id: int, media_ids: list[int]) -> None:
    """The account's transcoding slots for these videos (usecases/video_slots.py), or 429."""
    if not await videos.slots.take(account_id, media_ids):
        cap = videos.slots.cap
        raise RateLimited(f"At most {cap} videos may be processing at once; try again when one is done.",
                          retry_after=5, code="too_many_processing")


async def give_back_video_slots(videos: Any, account_id: int, media_ids: list[int]) -> None:
    """An upload refused or undone before its transcode was handed to a driver."""
    try:
        await videos.slots.give_back(account_id, media_ids)
    except Exception as exc:
        log.warning("video slots of %s not given back (they lapse): %s", account_id, exc)


async def announce(feed: FeedEngine, search: OutboxSearchEffects, post: dict[str, Any]) -> None:
    """What a post's publication does once it is committed and ready: fan-out (timelines and live
    events) and search. A photo post right after its commit; a video post when its transcodes end."""
    await feed.published(post)
    await search.post_changed(post["id"])


class Posts:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, quotas: PostQuotas, pool: MediaPool,
                 limits: ImageLimits, s3: Any, bucket: str, feed: FeedEngine, search: OutboxSearchEffects,
                 bodies: PostBodies, videos: Any = None, events: Any = None, presence: Any = None,
                 followers_page: int = 5000) -> None:
        self.driver, self.ids, self.quotas = driver, ids, quotas
        # live.event_log.EventLog and live.presence.Presence: where feed.update events go.
        self.events, self.presence, self.followers_page = events, presence, followers_page
        self.pool, self.limits, self.s3, self.bucket = pool, limits, s3, bucket
        self.feed, self.search, self.bodies = feed, search, bodies
        # usecases.video_posts.VideoPosts: videos are accepted only where it is wired.
        self.videos = videos

    async def publish(self, author_id: int, *, caption: str, media_paths: list[str], alts: list[str],
                      workdir: str) -> dict[str, Any]:
        """The new post (a graph record; the route renders it). ``media_paths`` are the received
        files, in order; ``workdir`` is where their variants go."""
        hashtags = parse_hashtags(caption)
        if len(hashtags) > MAX_HASHTAGS:
            raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
        reservation = await self.quotas.reserve(author_id, now_ms())
        stored: list[str] = []
        media_ids = [self.ids.next_id() for _ in media_paths]
        slots: list[int] = []
        try:
            positions = await self._video_positions(media_paths)
            # The account's cap on videos transcoding at once, taken atomically before any probe;
            # the driver gives the slots back when the post is ready or failed.
            if positions:
                wanted = [media_ids[i] for i in positions]
                await take_video_slots(self.videos, author_id, wanted)
                slots = wanted
            probed = await self._probe_videos(media_paths, positions)
            photos = [i for i in range(len(media_paths)) if i not in probed]
            processed = dict(zip(photos, await self._process_all([media_paths[i] for i in photos], workdir, photos)))
            media, uploads = [], []
            for position in range(len(media_paths)):
                media_id = media_ids[position]
                if position in probed:
                    item, upload = self.videos.source_item(media_id, position, probed[position],
                                                           media_paths[position])
                    media.append({**item, "alt": alts[position] if position < len(alts) else ""})
                    uploads.append(upload)
                    continue
                image = processed[position]
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
                                           caption=caption, hashtags=hashtags, media=media, now_ms=now_ms(),
                                           state="processing" if probed else None)
        except BaseException:
            await asyncio.shield(self._undo(reservation, stored))
            if slots:
                await asyncio.shield(give_back_video_slots(self.videos, author_id, slots))
            raise
        if probed:
            # Announced when its videos are transcoded (or failed, with the quota given back).
            await self.videos.started(post["id"])
        else:
            await announce(self.feed, self.search, post)
        return post

    async def edit_caption(self, post_id: int, actor_id: int, caption: str) -> dict[str, Any]:
        """A new caption for a post (its author only); the post as its author now sees it.
        ``caption`` is already validated as at creation (core/validation.caption)."""
        hashtags = parse_hashtags(caption)
        if len(hashtags) > MAX_HASHTAGS:
            raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
        post = await posts.edit_caption(self.driver, post_id, actor_id, caption=caption, hashtags=hashtags,
                                        now_ms=now_ms())
        await self.bodies.forget(post_id)
        await self.search.post_changed(post_id)
        if post.get("state") in (None, "ready"):
            await self._announce_update(post_id, actor_id)
        return post

    async def _announce_update(self, post_id: int, author_id: int) -> None:
        """``feed.update`` to the author and to their followers seen on a live stream within the
        event window (presence), a page of followers at a time. Best effort: the edit is
        committed, and a reader who misses the event sees the new caption on their next read."""
        if self.events is None or self.presence is None:
            return
        ref = protocol.feed_update(post_id, author_id)
        try:
            await self.events.append(author_id, ref)
            async for page in follower_pages(self.driver, author_id, self.followers_page):
                present = await self.presence.recent_among(page, now_ms())
                if present:
                    await self.events.append_each(sorted(present), ref)
        except Exception as exc:
            log.warning("feed.update of post %s not delivered to every stream: %s", post_id, exc)

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

    async def _video_positions(self, media_paths: list[str]) -> list[int]:
        """Which parts are videos (from their bytes), within what a post may carry."""
        heads = [await asyncio.to_thread(_read_head, path) for path in media_paths]
        positions = [i for i, head in enumerate(heads) if sniff_video(head) is not None]
        if positions and self.videos is None:
            raise UnsupportedMediaType("Videos are not accepted here; upload JPEG, PNG or GIF.",
                                       code="unsupported_media_type")
        if positions and len(positions) > self.videos.max_per_post:
            raise ValidationFailed(f"A post may have at most {self.videos.max_per_post} videos.",
                                   code="too_many_videos")
        return positions

    async def _probe_videos(self, media_paths: list[str], positions: list[int]) -> dict[int, ProbedVideo]:
        """Each video's headers checked against the limits (in the media pool: a hostile container
        is parsed away from the event loop, under the pool's memory and CPU limits), before any
        photo is decoded; position -> what the probe found."""
        probed = {}
        for i in positions:
            try:
                probed[i] = await self.pool.run(self.videos.probe, media_paths[i], self.videos.limits)
            except (VideoRejected, ImageRejected) as err:
                raise _as_contract_error(err, i) from None
        return probed

    async def _process_all(self, media_paths: list[str], workdir: str,
                           positions: list[int] | None = None) -> list[ProcessedImage]:
        """``positions``: where each of ``media_paths`` is in the post (for error messages)."""
        positions = positions if positions is not None else list(range(len(media_paths)))
        # Every header first: a bad 10th file fails the post before any pixel is decoded.
        for i, path in enumerate(media_paths):
            try:
                await self.pool.run(check_header, path, self.limits)
            except ImageRejected as err:
                raise _as_contract_error(err, positions[i]) from None
        outs = []
        for i in range(len(media_paths)):
            out = os.path.join(workdir, f"out-{i}")
            os.mkdir(out)
            outs.append(out)
        results = await asyncio.gather(*(self.pool.run(process_image, path, out, self.limits)
                                         for path, out in zip(media_paths, outs)), return_exceptions=True)
        for i, result in enumerate(results):
            if isinstance(result, ImageRejected):
                raise _as_contract_error(result, positions[i])
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
