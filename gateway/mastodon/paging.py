"""Mastodon's list paging: ``max_id`` / ``since_id`` / ``min_id`` / ``limit`` in, a ``Link``
header out (pure).

Lists are newest first. ``max_id``: older than it (the next page); ``since_id``: newer than it,
the newest ones; ``min_id``: newer than it, the ones right after it (the previous page). The
Link header names the next page by the oldest id returned and the previous one by the newest,
``<...max_id=...>; rel="next", <...min_id=...>; rel="prev"``: clients (Mastodon.py, toot) read
exactly that shape, ``next`` first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode

from core.errors import ValidationFailed
from core.ids import parse_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


@dataclass(frozen=True)
class PageParams:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def forward(self) -> bool:
        """True when the page is cut from below (min_id): the ones right after ``min_id``."""
        return self.min_id is not None and self.since_id is None

    @property
    def lower(self) -> int | None:
        """Items must be newer than this."""
        bounds = [b for b in (self.since_id, self.min_id) if b is not None]
        return max(bounds) if bounds else None


def _id(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        raise ValidationFailed(f"{name} must be an id.", code=f"invalid_{name}")
    return value


def parse(query: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> PageParams:
    """Mastodon clamps ``limit`` rather than refusing it; so does this (a non-number is a 422)."""
    raw = query.get("limit")
    limit = default_limit
    if raw not in (None, ""):
        if not (len(raw) <= 6 and raw.isascii() and raw.isdigit()):
            raise ValidationFailed("limit must be a positive integer.", code="invalid_limit")
        limit = min(max(int(raw), 1), max_limit)
    return PageParams(_id(query, "max_id"), _id(query, "since_id"), _id(query, "min_id"), limit)


def window(ids_newest_first: list[int], params: PageParams) -> list[int]:
    """Pick the page from candidate ids (newest first, already below ``max_id``): those above the
    lower bound; with ``min_id``, the oldest ``limit`` of them, else the newest."""
    lower = params.lower
    kept = [i for i in ids_newest_first if (params.max_id is None or i < params.max_id)
            and (lower is None or i > lower)]
    return kept[-params.limit:] if params.forward else kept[:params.limit]


def link_header(url: str, query: Mapping[str, str], newest: str | None, oldest: str | None) -> str | None:
    """``url``: the list's absolute URL without query; ``query``: the request's, kept except for the
    paging ids. None for an empty page (nothing to page from)."""
    if newest is None or oldest is None:
        return None
    kept = {k: v for k, v in query.items() if k not in ("max_id", "since_id", "min_id")}
    nxt = f"{url}?{urlencode({**kept, 'max_id': oldest})}"
    prev = f"{url}?{urlencode({**kept, 'min_id': newest})}"
    return f'<{nxt}>; rel="next", <{prev}>; rel="prev"'
