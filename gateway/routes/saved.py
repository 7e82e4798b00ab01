"""Saved posts, private to the one who saves them (an extension of the contract: README, "Saved
posts")."""
from __future__ import annotations

from aiohttp import web

from core import cursors

from .. import schemas
from ..auth import current_user_id
from ..keys import MEDIA_URLS, SAVED
from ..openapi import describe
from .posts import post_id_param


@describe(responses=schemas.responses({200: "SaveState"}, 404))
async def save(request: web.Request) -> web.Response:
    """Save a post for later (idempotent); only the caller sees what they saved."""
    viewer = await current_user_id(request)
    await request.app[SAVED].save(viewer, post_id_param(request))
    return web.json_response({"saved": True})


@describe(responses=schemas.responses({200: "SaveState"}, 404))
async def unsave(request: web.Request) -> web.Response:
    """Forget a saved post (fine if it was not saved)."""
    viewer = await current_user_id(request)
    await request.app[SAVED].unsave(viewer, post_id_param(request))
    return web.json_response({"saved": False})


@describe(query=schemas.PAGING, responses=schemas.responses({200: "PostPage"}, 400, 422))
async def my_saved(request: web.Request) -> web.Response:
    """The caller's saved posts, most recently saved first (posts deleted or no longer visible
    since are left out)."""
    viewer = await current_user_id(request)
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"))
    posts, below = await request.app[SAVED].page(viewer, cursor[0] if cursor else None, limit)
    return web.json_response({"items": request.app[MEDIA_URLS].render(posts),
                              "next_cursor": cursors.encode(below) if below is not None else None})


def setup(app: web.Application) -> None:
    app.router.add_put("/api/v1/posts/{post_id}/save", save)
    app.router.add_delete("/api/v1/posts/{post_id}/save", unsave)
    app.router.add_get("/api/v1/me/saved", my_saved)
