"""Blocks, mutes and removing a follower (an extension of the contract: README, "Blocks, mutes,
removing a follower")."""
from __future__ import annotations

from aiohttp import web

from .. import schemas
from ..auth import current_user_id
from ..http import each, no_content, paged
from ..keys import SAFETY
from ..openapi import Routes
from ..views import user_view
from .social import username_param

# Each handler declares its route and OpenAPI fields on the table; setup() adds it.
routes = Routes()


# The caller acts on a user through the safety use case's method of the same name, and gets 204.
# (name: the method and the operationId; HTTP method; path; the operation's description.)
_ACTIONS = (
    ("block", "PUT", "/api/v1/users/{username}/block",
     """Block a user (idempotent): follows and follow requests both ways end, and neither sees the
    other's profile, posts, comments, likes or notifications any more."""),
    ("unblock", "DELETE", "/api/v1/users/{username}/block",
     """Unblock a user (idempotent); follows the block ended do not come back."""),
    ("mute", "PUT", "/api/v1/users/{username}/mute",
     """Mute a user (idempotent): their posts leave the caller's feed, live stream, search and
    hashtag pages; nothing else changes and they are not told."""),
    ("unmute", "DELETE", "/api/v1/users/{username}/mute", """Unmute a user (idempotent)."""),
    ("remove_follower", "DELETE", "/api/v1/me/followers/{username}",
     """Remove a follower (idempotent): they no longer follow the caller (they may ask again)."""),
)


def _user_action(name: str, doc: str):
    async def handler(request: web.Request) -> web.Response:
        viewer = await current_user_id(request)
        await getattr(request.app[SAFETY], name)(viewer, username_param(request))
        return no_content()
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    return handler


for _name, _method, _path, _doc in _ACTIONS:
    routes.op(_method, _path, responses=schemas.responses({204: None}, 404, 422))(_user_action(_name, _doc))


async def _own_list(request: web.Request, page_of: str) -> web.Response:
    """The caller's blocks or mutes (the safety use case's ``page_of``), most recent first."""
    viewer = await current_user_id(request)
    page = getattr(request.app[SAFETY], page_of)
    return await paged(request, lambda before, limit: page(viewer, before, limit),
                       key=lambda row: (row["_edge_id"],), render=each(user_view))


@routes.op("GET", "/api/v1/me/blocks", query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 422))
async def my_blocks(request: web.Request) -> web.Response:
    """Accounts the caller blocks, most recent first."""
    return await _own_list(request, "blocks_page")


@routes.op("GET", "/api/v1/me/mutes", query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 422))
async def my_mutes(request: web.Request) -> web.Response:
    """Accounts the caller mutes, most recent first."""
    return await _own_list(request, "mutes_page")


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
