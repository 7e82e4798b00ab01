"""Media URLs in the posts a caller is allowed to see.

Only code paths that already checked visibility render posts, so a URL is never handed to a
caller who may not see the post. Each URL is a presigned GET of one object, the same for every
caller during a window of ``RAYGRAM_MEDIA_URL_TTL_S`` and valid for at most two windows
(media/signed_urls.py: the privacy model).
"""
from __future__ import annotations

from typing import Any, Iterable

from media.signed_urls import MediaUrlSigner

from .views import media_view, post_view_with

# Media views kept for the current URL window: a photo's view (its URLs included) is the same for
# every caller during a window, so a page renders one dict lookup per photo instead of four URLs
# and a view. Bounded like the signer's cache (a few hundred bytes a view); shared between
# responses, so read-only.
MEDIA_VIEWS_MAX = 100_000


class MediaUrls:
    def __init__(self, signer: MediaUrlSigner) -> None:
        self.signer = signer
        self._window = -1
        self._views: dict[tuple, dict[str, Any]] = {}

    def urls(self, keys: Iterable[str]) -> dict[str, str]:
        url = self.signer.url
        return {key: url(key) for key in keys}

    def render(self, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Post bodies as the contract's ``post``."""
        window = self.signer.window()
        if window != self._window:
            self._window, self._views = window, {}
        views = self._views
        out = []
        for post in items:
            media = []
            for m in post["media"]:
                renditions = m.get("rendition_keys") or ()
                # What a medium's view can change by: its alt text, and a video's poster and
                # renditions appearing once transcoded (everything else is fixed at upload).
                key = (m["id"], m.get("alt"), len(m["keys"]), len(renditions))
                view = views.get(key)
                if view is None:
                    if len(views) >= MEDIA_VIEWS_MAX:
                        views.clear()
                    view = views[key] = media_view(m, self.urls([*m["keys"], *renditions]))
                media.append(view)
            out.append(post_view_with(post, media))
        return out

    def render_one(self, post: dict[str, Any]) -> dict[str, Any]:
        return self.render([post])[0]
