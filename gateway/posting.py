"""Publishing and deleting posts: the order of operations that keeps photos from being lost.

Publish: reserve quota → validate every file's header → process all images (process pool) →
store every variant in S3 → create the post and its media in Neo4j in one transaction. Only then
is the post visible and the answer 201: bytes and metadata are both durable. Any failure before
the commit gives the quota back and deletes what was stored; whatever a crash leaves behind has no
Media node and is removed by the orphan sweeper.

Delete: the post leaves Neo4j first (nobody is handed a URL to bytes about to vanish), then its
objects leave S3.
"""
from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from typing import Any

from aiohttp import web

from core.clock import now_ms
from core.errors import RaygramError, UnsupportedMediaType, ValidationFailed
from graph import posts
from media import storage
from media.hashtags import MAX_HASHTAGS, parse_hashtags
from media.process import ImageLimits, ImageRejected, ProcessedImage, check_header, process_image

from . import hydration, quotas
from .media_urls import render_post
from .keys import FEED, IDS, MEDIA_POOL, NEO4J, REDIS, S3, SEARCH_EFFECTS, SETTINGS
from .uploads import Upload

log = logging.getLogger(__name__)


def _as_contract_error(err: ImageRejected, position: int) -> RaygramError:
    cls = UnsupportedMediaType if err.status == 415 else ValidationFailed
    return cls(f"Photo {position + 1}: {err.message}", code=err.code)


async def _process_all(app: web.Application, upload: Upload, workdir: str) -> list[ProcessedImage]:
    pool, limits = app[MEDIA_POOL], ImageLimits.from_settings(app[SETTINGS])
    # Every header first: a bad 10th file fails the post before any pixel is decoded.
    for i, path in enumerate(upload.media_paths):
        try:
            await pool.run(check_header, path, limits)
        except ImageRejected as err:
            raise _as_contract_error(err, i) from None
    outs = []
    for i in range(len(upload.media_paths)):
        out = os.path.join(workdir, f"out-{i}")
        os.mkdir(out)
        outs.append(out)
    results = await asyncio.gather(*(pool.run(process_image, path, out, limits)
                                     for path, out in zip(upload.media_paths, outs)), return_exceptions=True)
    for i, result in enumerate(results):
        if isinstance(result, ImageRejected):
            raise _as_contract_error(result, i)
        if isinstance(result, BaseException):
            raise result
    return list(results)


async def publish(app: web.Application, author_id: int, upload: Upload, workdir: str) -> dict[str, Any]:
    """The new post as its author sees it (the contract's ``post``)."""
    settings, redis, s3 = app[SETTINGS], app[REDIS], app[S3]
    hashtags = parse_hashtags(upload.caption)
    if len(hashtags) > MAX_HASHTAGS:
        raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
    reservation = await quotas.reserve(redis, author_id, now_ms(), settings.posts_per_day, settings.posts_per_month)
    stored: list[str] = []
    try:
        processed = await _process_all(app, upload, workdir)
        media, uploads = [], []
        for position, image in enumerate(processed):
            media_id = app[IDS].next_id()
            keys = []
            for variant in sorted(image.variants, key=lambda v: ("thumb", "small", "medium", "original").index(v.name)):
                key = storage.media_key(media_id, variant.name, variant.path.rsplit(".", 1)[-1])
                keys.append(key)
                uploads.append((key, variant.path, variant.content_type))
            media.append({"id": media_id, "position": position, "width": image.width, "height": image.height,
                          "content_type": image.content_type, "keys": keys,
                          "alt": upload.alts[position] if position < len(upload.alts) else ""})

        async def put(key: str, path: str, content_type: str) -> None:
            await storage.put_file(s3, settings.s3_bucket, key, path, content_type)
            stored.append(key)

        # Let every put finish (or fail) before undoing, so none lands after the clean-up.
        outcomes = await asyncio.gather(*(put(*u) for u in uploads), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            raise failures[0]
        post = await posts.create_post(app[NEO4J], author_id=author_id, post_id=app[IDS].next_id(),
                                       caption=upload.caption, hashtags=hashtags, media=media, now_ms=now_ms())
    except BaseException:
        await asyncio.shield(_undo(app, reservation, stored))
        raise
    view = await render_post(app, post)
    await app[FEED].published(post)
    await app[SEARCH_EFFECTS].post_changed(post["id"])
    return view


async def _undo(app: web.Application, reservation: quotas.Reservation, stored: list[str]) -> None:
    try:
        await quotas.release(app[REDIS], reservation)
    except Exception:
        log.exception("could not release an upload quota reservation")
    try:
        await storage.delete_keys(app[S3], app[SETTINGS].s3_bucket, stored)
    except Exception:
        log.warning("could not delete %d objects of a failed upload; the orphan sweeper will", len(stored))


async def delete(app: web.Application, post_id: int, actor_id: int) -> None:
    keys = await posts.delete_post(app[NEO4J], post_id, actor_id)
    await hydration.forget(app, post_id)
    await app[FEED].unpublished(post_id, actor_id)
    await app[SEARCH_EFFECTS].post_changed(post_id)
    try:
        await storage.delete_keys(app[S3], app[SETTINGS].s3_bucket, keys)
    except Exception:
        log.warning("post %s deleted but its %d objects not yet; the orphan sweeper will", post_id, len(keys))


def new_workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="raygram-upload-")
