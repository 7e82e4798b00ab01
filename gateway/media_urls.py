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


class MediaUrls:
    """Signs media URLs for the endpoint clients reach; each expires after ``ttl_s``."""

    def __init__(self, presigner, bucket: str, ttl_s: int) -> None:
        self.presigner, self.bucket, self.ttl_s = presigner, bucket, ttl_s

    async def render(self, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Post bodies as the contract's ``post``, with freshly signed URLs."""
        items = list(items)
        urls = {}
        for post in items:
            for m in post["media"]:
                for key in m["keys"]:
                    # Signing is local computation (no request to S3).
                    urls[key] = await presign_get(self.presigner, self.bucket, key, self.ttl_s)
        return [post_view(p, urls) for p in items]


def media_urls(app: web.Application) -> MediaUrls:
    settings = app[SETTINGS]
    return MediaUrls(app[S3_PRESIGNER], settings.s3_bucket, settings.media_url_ttl_s)


async def render_posts(app: web.Application, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return await media_urls(app).render(items)


async def render_post(app: web.Application, post: dict[str, Any]) -> dict[str, Any]:
    return (await render_posts(app, [post]))[0]
