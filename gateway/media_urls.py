"""Presigned media URLs for the posts a caller is allowed to see.

Only code paths that already checked visibility render posts, so a URL is never handed to a
caller who may not see the post; the URL expires after ``RAYGRAM_MEDIA_URL_TTL_S``.
"""
from __future__ import annotations

from typing import Any, Iterable

from aiohttp import web

from media.storage import presign_get

from .keys import S3_PRESIGNER, SETTINGS
from .views import post_view


async def render_posts(app: web.Application, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    settings, presigner = app[SETTINGS], app[S3_PRESIGNER]
    items = list(items)
    urls = {}
    for post in items:
        for m in post["media"]:
            for key in m["keys"]:
                # Signing is local computation (no request to S3).
                urls[key] = await presign_get(presigner, settings.s3_bucket, key, settings.media_url_ttl_s)
    return [post_view(p, urls) for p in items]


async def render_post(app: web.Application, post: dict[str, Any]) -> dict[str, Any]:
    return (await render_posts(app, [post]))[0]
