"""Presigned media URLs for the posts a caller is allowed to see.

Only code paths that already checked visibility render posts, so a URL is never handed to a
caller who may not see the post; the URL expires after ``RAYGRAM_MEDIA_URL_TTL_S``.
"""
from __future__ import annotations

from typing import Any, Iterable

from media.storage import presign_get

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
                for key in [*m["keys"], *(m.get("rendition_keys") or [])]:
                    # Signing is local computation (no request to S3).
                    urls[key] = await presign_get(self.presigner, self.bucket, key, self.ttl_s)
        return [post_view(p, urls) for p in items]

    async def render_one(self, post: dict[str, Any]) -> dict[str, Any]:
        return (await self.render([post]))[0]
