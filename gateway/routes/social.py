"""The social graph: profiles, follow / unfollow, follow requests, followers and following."""
from __future__ import annotations

from aiohttp import web

from core.errors import Forbidden, NotFound, ValidationFailed
from core.validation import normalize_username
from graph import follows, users

from .. import schemas
from ..auth import current_user_id
from ..http import each, no_content, paged
from ..keys import NEO4J, SOCIAL
from ..openapi import Routes
from ..views import user_view

# Each handler declares its route and OpenAPI fields on the table; setup() adds it.
routes = Routes()


def username_param(request: web.Request, name: str = "username") -> str:
    try:
        return normalize_username(request.match_info[name])
    except ValidationFailed:
        # A name that cannot exist is simply not found.
        raise NotFound("No such user.", code="user_not_found") from None


@routes.op("GET", "/api/v1/users/{username}", responses=schemas.responses({200: "User"}, 404))
async def get_user(request: web.Request) -> web.Response:
    """A user's profile, with the caller's relationship to them."""
    viewer = await current_user_id(request)
    user = await users.get_by_username(request.app[NEO4J], username_param(request), viewer)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return web.json_response(user_view(user))


@routes.op("PUT", "/api/v1/users/{username}/follow", responses=schemas.responses({200: "FollowState"}, 403, 404, 422))
async def follow(request: web.Request) -> web.Response:
    """Follow a user; for a private account this becomes a follow request. Idempotent. 403
    ``blocking`` for an account the caller blocks; 404 for one that blocks the caller."""
    viewer = await current_user_id(request)
    state = await request.app[SOCIAL].follow(viewer, username_param(request))
    return web.json_response({"state": state})


@routes.op("DELETE", "/api/v1/users/{username}/follow", responses=schemas.responses({204: None}, 404))
async def unfollow(request: web.Request) -> web.Response:
    """Unfollow a user, or withdraw a pending follow request. Idempotent."""
    viewer = await current_user_id(request)
    await request.app[SOCIAL].unfollow(viewer, username_param(request))
    return no_content()


async def _user_page(request: web.Request, edge: str, side: str, owner_id: int, viewer: int) -> web.Response:
    driver = request.app[NEO4J]
    return await paged(request, lambda before, limit: follows.edge_page(driver, edge, side, owner_id, viewer,
                                                                       before, limit),
                       key=lambda row: (row["_edge_id"],), render=each(user_view))


async def _connections(request: web.Request, side: str) -> web.Response:
    viewer = await current_user_id(request)
    owner = await follows.can_see_connections(request.app[NEO4J], username_param(request), viewer)
    if owner is None:
        raise Forbidden("This account is private; only its followers can see its connections.",
                        code="private_account")
    return await _user_page(request, "FOLLOWS", side, owner, viewer)


@routes.op("GET", "/api/v1/users/{username}/followers",
           query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 403, 404, 422))
async def followers(request: web.Request) -> web.Response:
    """Accounts following a user, most recent first."""
    return await _connections(request, "followee")


@routes.op("GET", "/api/v1/users/{username}/following",
           query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 403, 404, 422))
async def following(request: web.Request) -> web.Response:
    """Accounts a user follows, most recent first."""
    return await _connections(request, "follower")


@routes.op("GET", "/api/v1/me/follow-requests",
           query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 422))
async def follow_requests(request: web.Request) -> web.Response:
    """Pending requests to follow the caller, most recent first."""
    viewer = await current_user_id(request)
    return await _user_page(request, "REQUESTED", "followee", viewer, viewer)


async def _answer(request: web.Request, accept: bool) -> web.Response:
    viewer = await current_user_id(request)
    await request.app[SOCIAL].answer_request(viewer, username_param(request), accept=accept)
    return no_content()


@routes.op("POST", "/api/v1/me/follow-requests/{username}/accept", responses=schemas.responses({204: None}, 404))
async def accept_request(request: web.Request) -> web.Response:
    """Accept a pending follow request."""
    return await _answer(request, accept=True)


@routes.op("POST", "/api/v1/me/follow-requests/{username}/reject", responses=schemas.responses({204: None}, 404))
async def reject_request(request: web.Request) -> web.Response:
    """Reject a pending follow request."""
    return await _answer(request, accept=False)


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
