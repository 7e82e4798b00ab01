"""Accounts and sessions: sign-up, login, logout, the caller's own profile."""
from __future__ import annotations

from aiohttp import web

from core import validation
from core.errors import NotFound
from graph import users

from .. import schemas
from ..auth import client_address, current_token, current_user_id
from ..http import json_object, no_content, read_json
from ..keys import ACCOUNTS, ERASURE, NEO4J, SESSIONS
from ..openapi import Routes
from ..views import user_view

# Each handler declares its route and OpenAPI fields on the table; setup() adds it.
routes = Routes()


async def _new_session(request: web.Request, user: dict) -> web.Response:
    """201 with the account and a fresh session's token (sign-up and log-in answer alike)."""
    token = await request.app[SESSIONS].issue(user["id"])
    return web.json_response({"user": user_view(user), "token": token}, status=201)


@routes.op("POST", "/api/v1/accounts", public=True, requestBody=schemas.json_body("NewAccount"),
                                       responses=schemas.responses({201: "Session"}, 400, 409, 413, 422, 429))
async def create_account(request: web.Request) -> web.Response:
    """Create an account and a first session."""
    body = json_object(await read_json(request))
    username, password = validation.credentials(body, new_account=True)
    display_name = username if body.get("display_name") is None else validation.display_name(body["display_name"])
    # Counted once the input is valid: invalid input costs nothing against the sign-up limit.
    user = await request.app[ACCOUNTS].sign_up(username=username, password=password, display_name=display_name,
                                               address=client_address(request))
    return await _new_session(request, user)


@routes.op("POST", "/api/v1/sessions", public=True, requestBody=schemas.json_body("Credentials"),
                                       responses=schemas.responses({201: "Session"}, 400, 401, 413, 422, 429))
async def create_session(request: web.Request) -> web.Response:
    """Log in: exchange username and password for a bearer token."""
    body = json_object(await read_json(request))
    username, password = validation.credentials(body, new_account=False)
    user = await request.app[ACCOUNTS].log_in(username=username, password=password, address=client_address(request))
    return await _new_session(request, user)


@routes.op("DELETE", "/api/v1/sessions/current", responses=schemas.responses({204: None}))
async def delete_current_session(request: web.Request) -> web.Response:
    """Log out: revoke the presented token (other sessions stay valid)."""
    user_id = await current_user_id(request)
    await request.app[SESSIONS].revoke(current_token(request), user_id)
    return no_content()


@routes.op("GET", "/api/v1/me", responses=schemas.responses({200: "User"}, 404))
async def get_me(request: web.Request) -> web.Response:
    """The caller's own profile."""
    user_id = await current_user_id(request)
    user = await users.get_by_id(request.app[NEO4J], user_id)
    if user is None:
        raise NotFound("This account no longer exists.", code="user_not_found")
    return web.json_response(user_view(user))


@routes.op("PATCH", "/api/v1/me", requestBody=schemas.json_body("ProfilePatch"),
                                  responses=schemas.responses({200: "User"}, 400, 404, 413, 422))
async def patch_me(request: web.Request) -> web.Response:
    """Edit the caller's profile: display_name, bio, private."""
    user_id = await current_user_id(request)
    patch = validation.profile_patch(await read_json(request))
    user = await request.app[ACCOUNTS].edit_profile(user_id, patch)
    return web.json_response(user_view(user))


@routes.op("DELETE", "/api/v1/me", requestBody=schemas.json_body("PasswordConfirmation"),
                                   responses=schemas.responses({204: None}, 400, 403, 413, 422, 429))
async def delete_me(request: web.Request) -> web.Response:
    """Delete the caller's account (the password confirms it; 403 wrong_password, 429 after 10
    tries in an hour): every session
    and token ends at once, the account leaves every read and search, and everything it owns is
    erased shortly after. Its username cannot be taken for 30 days."""
    user_id = await current_user_id(request)
    password = validation.password_confirmation(await read_json(request))
    await request.app[ERASURE].delete(user_id, password)
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
