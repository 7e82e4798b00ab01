"""Media URLs in the posts a caller is allowed to see.

Only code paths that already checked visibility render posts, so a URL is never handed to a
caller who may not see the post. Each URL is a presigned GET of one object, the same for every
caller during a window of ``RAYGRAM_MEDIA_URL_TTL_S`` and valid for at most two windows
(media/signed_urls.py: the privacy model).
"""
from __future__ import annotations

from typing import Any, Iterable

from media.signed_urls import MediaUrlSigner

from .views import post_view


class MediaUrls:
    def __init__(self, signer: MediaUrlSigner) -> None:
        self.signer = signer

    def urls(self, keys: Iterable[str]) -> dict[str, str]:
        url = self.signer.url
        return {key: url(key) for key in keys}

    def render(self, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Post bodies as the contract's ``post``."""
        url = self.signer.url
        out = []
        for post in items:
            urls = {key: url(key) for m in post["media"] for key in [*m["keys"], *(m.get("rendition_keys") or [])]}
            out.append(post_view(post, urls))
        return out

    def render_one(self, post: dict[str, Any]) -> dict[str, Any]:
        return self.render([post])[0]
