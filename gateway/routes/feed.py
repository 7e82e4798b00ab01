"""``GET /api/v1/feed``: the home feed, ranked (default) or strictly recent.

Recent pages are cut by post id (ids are time-ordered), so new posts arriving during a pass can
never shift a page boundary. A ranked pass ranks a window of candidates once, at its first page,
and freezes that order in Redis; later pages read the frozen order, so neither new posts nor
changing counts can repeat or skip a post. Below the window the pass continues by recency.
"""
from __future__ import annotations

import secrets

from aiohttp import web

from feed.ranking import Candidate, affinity, rank
from core import cursors, redis_keys
from core.clock import now_ms
from core.errors import BadRequest, ValidationFailed
from graph import posts

from .. import schemas
from ..auth import current_user_id
from ..hydration import hydrate
from ..keys import FEED, NEO4J, REDIS, SETTINGS
from ..media_urls import render_posts
from ..openapi import describe

RECENT, RANKED = 0, 1
SNAPSHOT_TTL_S = 30 * 60
# Offsets into a snapshot stay below its length (at most feed_ranked_window); anything past this
# bound, or negative (Redis would count from the end), is not a cursor this server issued.
MAX_SNAPSHOT_OFFSET = 1 << 20


async def _recent(app: web.Application, viewer: int, before: int | None, limit: int) -> tuple[list[dict], list | None]:
    entries = await app[FEED].read(viewer, before, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    items = await hydrate(app, [p for p, _ in entries], viewer)
    return items, ([RECENT, entries[-1][0], 0] if more and entries else None)


async def _start_ranked(app: web.Application, viewer: int, limit: int) -> tuple[list[dict], list | None]:
    settings, redis = app[SETTINGS], app[REDIS]
    window = settings.feed_ranked_window
    entries = await app[FEED].read(viewer, None, window)
    hydrated = {p["id"]: p for p in await hydrate(app, [p for p, _ in entries], viewer)}
    authors = sorted({a for _, a in entries})
    close = await posts.affinities(app[NEO4J], viewer, authors) if authors else {}
    candidates = [
        Candidate(p["id"], p["author"]["id"], p["created_at"], p["like_count"], p["comment_count"],
                  affinity(*close.get(p["author"]["id"], (False, 0))))
        for p in hydrated.values()
    ]
    order = rank(candidates, now_ms())
    floor = entries[-1][0] if len(entries) >= window else None
    # Random, not a time-ordered id: a cursor must not be guessable (the key also names the viewer).
    snapshot = secrets.randbits(63)
    if order:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.rpush(redis_keys.feed_snapshot(viewer, snapshot), *order)
            pipe.expire(redis_keys.feed_snapshot(viewer, snapshot), SNAPSHOT_TTL_S)
            pipe.set(redis_keys.feed_snapshot_floor(viewer, snapshot), floor or 0, ex=SNAPSHOT_TTL_S)
            await pipe.execute()
    page = [hydrated[i] for i in order[:limit]]
    if len(order) > limit:
        return page, [RANKED, snapshot, limit]
    return page, ([RECENT, floor, 0] if floor else None)


async def _continue_ranked(app: web.Application, viewer: int, snapshot: int, offset: int,
                           limit: int) -> tuple[list[dict], list | None]:
    redis = app[REDIS]
    if not 0 <= offset <= MAX_SNAPSHOT_OFFSET:
        raise BadRequest("The cursor is not one this server issued.", code="invalid_cursor")
    async with redis.pipeline(transaction=False) as pipe:
        # Keyed by the caller: another viewer's snapshot id finds nothing here (reads as expired).
        pipe.lrange(redis_keys.feed_snapshot(viewer, snapshot), offset, offset + limit - 1)
        pipe.llen(redis_keys.feed_snapshot(viewer, snapshot))
        pipe.get(redis_keys.feed_snapshot_floor(viewer, snapshot))
        ids, total, floor = await pipe.execute()
    if floor is None:
        raise BadRequest("This feed pass has expired; start again without a cursor.", code="cursor_expired")
    # Re-hydrated now (counts are current, deleted posts drop out); the order stays frozen.
    items = await hydrate(app, [int(i) for i in ids], viewer)
    if offset + limit < total:
        return items, [RANKED, snapshot, offset + limit]
    return items, ([RECENT, int(floor), 0] if int(floor) else None)


@describe(query=[schemas.LIMIT, schemas.CURSOR, schemas.ORDER],
          responses=schemas.responses({200: "PostPage"}, 400, 422))
async def feed(request: web.Request) -> web.Response:
    """The caller's home feed: posts of the accounts they follow and their own."""
    viewer = await current_user_id(request)
    order = request.query.get("order", "ranked")
    if order not in ("ranked", "recent"):
        raise ValidationFailed("order must be 'ranked' or 'recent'.", code="invalid_order")
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=3)
    app = request.app
    if cursor is not None and cursor[0] == RECENT:
        items, nxt = await _recent(app, viewer, cursor[1], limit)
    elif cursor is not None and cursor[0] == RANKED and order == "ranked":
        items, nxt = await _continue_ranked(app, viewer, cursor[1], cursor[2], limit)
    elif cursor is not None:
        raise BadRequest("The cursor belongs to another kind of feed pass.", code="invalid_cursor")
    elif order == "recent":
        items, nxt = await _recent(app, viewer, None, limit)
    else:
        items, nxt = await _start_ranked(app, viewer, limit)
    return web.json_response({"items": await render_posts(app, items),
                              "next_cursor": cursors.encode(*nxt) if nxt else None})


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/feed", feed)
