"""``GET /api/v1/feed``: the home feed, ranked (default) or strictly recent (usecases/home_feed.py)."""
from __future__ import annotations

from aiohttp import web

from core import cursors
from core.errors import ValidationFailed
from usecases.home_feed import ORDERS

from .. import schemas
from ..auth import current_user_id
from ..http import json_response
from ..keys import HOME_FEED, MEDIA_URLS, RESUME_POINTS
from ..openapi import describe


@describe(query=[schemas.LIMIT, schemas.CURSOR, schemas.ORDER],
          responses=schemas.responses({200: "PostPage"}, 400, 422))
async def feed(request: web.Request) -> web.Response:
    """The caller's home feed: posts of the accounts they follow and their own."""
    viewer = await current_user_id(request)
    order = request.query.get("order", "ranked")
    if order not in ORDERS:
        raise ValidationFailed("order must be 'ranked' or 'recent'.", code="invalid_order")
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=3)
    if cursor is None:
        # The resume point is taken before the page is read (a socket resuming from it misses
        # nothing posted after), in the round trip that reads the feed's marks and, usually, the page.
        resume = request.app[RESUME_POINTS]
        items, nxt, replies = await request.app[HOME_FEED].first_page(
            viewer, order, limit, lambda pipe: resume.queue_take(pipe, viewer))
        extra = {"last_event_id": str(resume.taken(replies))}
    else:
        items, nxt = await request.app[HOME_FEED].page(viewer, order, cursor, limit)
        extra = {}
    return json_response({"items": request.app[MEDIA_URLS].render(items),
                          "next_cursor": cursors.encode(*nxt) if nxt else None, **extra})


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/feed", feed)
