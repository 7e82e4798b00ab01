"""Accounts and sessions: sign-up, login, logout, the caller's own profile."""
from __future__ import annotations

from aiohttp import web

from core import redis_keys, validation
from core.clock import now_ms
from core.errors import InvalidCredentials, NotFound
from graph import follows, users

from .. import login_limits, ratelimit
from .. import schemas
from ..auth import client_address, current_token, current_user_id
from ..http import json_object, no_content, read_json
from ..hydration import forget_author
from ..keys import FEED, IDS, NEO4J, REDIS, SEARCH_EFFECTS, SESSIONS, SETTINGS
from ..openapi import describe
from ..passwords import hash_password, verify_password
from ..views import user_view


@describe(public=True, requestBody=schemas.json_body("NewAccount"),
          responses=schemas.responses({201: "Session"}, 400, 409, 413, 422, 429))
async def create_account(request: web.Request) -> web.Response:
    """Create an account and a first session."""
    body = json_object(await read_json(request))
    username, password = validation.credentials(body, new_account=True)
    display_name = username if body.get("display_name") is None else validation.display_name(body["display_name"])
    app, settings = request.app, request.app[SETTINGS]
    # Counted once the input is valid, before the password hash: every attempt costs argon2 time.
    await ratelimit.reserve(app[REDIS], redis_keys.signup_attempts(client_address(request)),
                            settings.signups_per_address, settings.signup_window_s,
                            "Too many sign-ups from your address; try again later.")
    user = await users.create_user(app[NEO4J], user_id=app[IDS].next_id(), username=username,
                                   display_name=display_name, password_hash=await hash_password(password),
                                   now_ms=now_ms())
    await app[SEARCH_EFFECTS].user_changed(user["id"])
    token = await app[SESSIONS].issue(user["id"])
    return web.json_response({"user": user_view(user), "token": token}, status=201)


@describe(public=True, requestBody=schemas.json_body("Credentials"),
          responses=schemas.responses({201: "Session"}, 400, 401, 413, 422, 429))
async def create_session(request: web.Request) -> web.Response:
    """Log in: exchange username and password for a bearer token."""
    body = json_object(await read_json(request))
    username, password = validation.credentials(body, new_account=False)
    app, settings, redis = request.app, request.app[SETTINGS], request.app[REDIS]
    attempt = await login_limits.begin(redis, settings, username, client_address(request))
    found = await users.credentials_of(app[NEO4J], username)
    if not await verify_password(found[1] if found else None, password):
        raise InvalidCredentials()
    await login_limits.succeeded(redis, settings, attempt)
    user = await users.get_by_id(app[NEO4J], found[0])
    token = await app[SESSIONS].issue(found[0])
    return web.json_response({"user": user_view(user), "token": token}, status=201)


@describe(responses=schemas.responses({204: None}))
async def delete_current_session(request: web.Request) -> web.Response:
    """Log out: revoke the presented token (other sessions stay valid)."""
    user_id = await current_user_id(request)
    await request.app[SESSIONS].revoke(current_token(request), user_id)
    return no_content()


@describe(responses=schemas.responses({200: "User"}, 404))
async def get_me(request: web.Request) -> web.Response:
    """The caller's own profile."""
    user_id = await current_user_id(request)
    user = await users.get_by_id(request.app[NEO4J], user_id)
    if user is None:
        raise NotFound("This account no longer exists.", code="user_not_found")
    return web.json_response(user_view(user))


@describe(requestBody=schemas.json_body("ProfilePatch"),
          responses=schemas.responses({200: "User"}, 400, 404, 413, 422))
async def patch_me(request: web.Request) -> web.Response:
    """Edit the caller's profile: display_name, bio, private."""
    user_id = await current_user_id(request)
    patch = validation.profile_patch(await read_json(request))
    app = request.app
    user = await users.update_profile(app[NEO4J], user_id, patch)
    if user is None:
        raise NotFound("This account no longer exists.", code="user_not_found")
    if patch.get("private") is False:
        # Going public approves everyone who asked, as followers would expect.
        approved = await follows.accept_all_requests(app[NEO4J], user_id, now_ms())
        for follower_id in approved:
            await app[FEED].followed(follower_id, user_id)
        if approved:
            user = await users.get_by_id(app[NEO4J], user_id)
    if "private" in patch:
        # Every post of the account changes who may see and find it.
        await forget_author(app, user_id)
        await app[SEARCH_EFFECTS].visibility_changed(user_id)
    elif "display_name" in patch:
        await app[SEARCH_EFFECTS].user_changed(user_id)
    return web.json_response(user_view(user))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/accounts", create_account)
    app.router.add_post("/api/v1/sessions", create_session)
    app.router.add_delete("/api/v1/sessions/current", delete_current_session)
    app.router.add_get("/api/v1/me", get_me)
    app.router.add_patch("/api/v1/me", patch_me)
