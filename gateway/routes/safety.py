"""Blocks, mutes and removing a follower (an extension of the contract: README, "Blocks, mutes,
removing a follower")."""
from __future__ import annotations

from aiohttp import web

from .. import schemas
from ..auth import current_user_id
from ..http import each, no_content, paged
from ..keys import SAFETY
from ..openapi import describe
from ..views import user_view
from .social import username_param


@describe(responses=schemas.responses({204: None}, 404, 422))
async def block(request: web.Request) -> web.Response:
    """Block a user (idempotent): follows and follow requests both ways end, and neither sees the
    other's profile, posts, comments, likes or notifications any more."""
    viewer = await current_user_id(request)
    await request.app[SAFETY].block(viewer, username_param(request))
    return no_content()


@describe(responses=schemas.responses({204: None}, 404, 422))
async def unblock(request: web.Request) -> web.Response:
    """Unblock a user (idempotent); follows the block ended do not come back."""
    viewer = await current_user_id(request)
    await request.app[SAFETY].unblock(viewer, username_param(request))
    return no_content()


@describe(responses=schemas.responses({204: None}, 404, 422))
async def mute(request: web.Request) -> web.Response:
    """Mute a user (idempotent): their posts leave the caller's feed, live stream, search and
    hashtag pages; nothing else changes and they are not told."""
    viewer = await current_user_id(request)
    await request.app[SAFETY].mute(viewer, username_param(request))
    return no_content()


@describe(responses=schemas.responses({204: None}, 404, 422))
async def unmute(request: web.Request) -> web.Response:
    """Unmute a user (idempotent)."""
    viewer = await current_user_id(request)
    await request.app[SAFETY].unmute(viewer, username_param(request))
    return no_content()


@describe(query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 422))
async def my_blocks(request: web.Request) -> web.Response:
    """Accounts the caller blocks, most recent first."""
    viewer = await current_user_id(request)
    safety = request.app[SAFETY]
    return await paged(request, lambda before, limit: safety.blocks_page(viewer, before, limit),
                       key=lambda row: (row["_edge_id"],), render=each(user_view))


@describe(query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 422))
async def my_mutes(request: web.Request) -> web.Response:
    """Accounts the caller mutes, most recent first."""
    viewer = await current_user_id(request)
    safety = request.app[SAFETY]
    return await paged(request, lambda before, limit: safety.mutes_page(viewer, before, limit),
                       key=lambda row: (row["_edge_id"],), render=each(user_view))


@describe(responses=schemas.responses({204: None}, 404, 422))
async def remove_follower(request: web.Request) -> web.Response:
    """Remove a follower (idempotent): they no longer follow the caller (they may ask again)."""
    viewer = await current_user_id(request)
    await request.app[SAFETY].remove_follower(viewer, username_param(request))
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_put("/api/v1/users/{username}/block", block)
    app.router.add_delete("/api/v1/users/{username}/block", unblock)
    app.router.add_put("/api/v1/users/{username}/mute", mute)
    app.router.add_delete("/api/v1/users/{username}/mute", unmute)
    app.router.add_get("/api/v1/me/blocks", my_blocks)
    app.router.add_get("/api/v1/me/mutes", my_mutes)
    app.router.add_delete("/api/v1/me/followers/{username}", remove_follower)
