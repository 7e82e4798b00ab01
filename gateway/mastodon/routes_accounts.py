"""Accounts: the caller's own, others by id or name, relationships, an account's statuses,
followers and following, follow / unfollow, and follow requests."""
from __future__ import annotations

from aiohttp import web
from multidict import MultiDict

from core import validation
from core.errors import NotFound, ValidationFailed
from core.ids import parse_id
from gateway.routes.avatars import get_avatar
from gateway.keys import ACCOUNTS, AVATARS, NEO4J, SAFETY, SEARCH_READS, SETTINGS, SOCIAL
from gateway.multipart import new_workdir
from gateway.uploads import receive_profile_form
from graph import follows, mastodon_reads, posts as graph_posts, users

from . import entities, paging
from .auth import user_id
from .http import base_url, flag, many, page_response, params, path_id
from .keys import PRESENTER

# Each handler's route is declared on it; setup() registers the table.
routes = web.RouteTableDef()
# Avatar URLs name this address (the one the app was given), so it serves them as the main one does.
routes.get("/avatars/{avatar_id}/{variant}")(get_avatar)

# An app's profile form: name, note, locked, bot, discoverable, avatar, header, up to four
# profile fields (two parts each) and the source[...] settings.
PROFILE_FORM_PARTS = 24


async def _user(request: web.Request, account_id: int) -> dict:
    user = await mastodon_reads.user_by_id_as_seen(request.app[NEO4J], account_id)
    if user is None:
        raise NotFound("Record not found")
    return user


async def _credential(request: web.Request, viewer: int) -> web.Response:
    user = await _user(request, viewer)
    return web.json_response(entities.credential_account(user, base_url(request)))


@routes.get("/api/v1/accounts/verify_credentials")
async def verify_credentials(request: web.Request) -> web.Response:
    return await _credential(request, await user_id(request, "read:accounts"))


@routes.patch("/api/v1/accounts/update_credentials")
async def update_credentials(request: web.Request) -> web.Response:
    """Display name, note, locked (Raygram's private) and the avatar, in a form or JSON; a
    multipart form (what apps send when a photo is in it) is streamed, the photo to disk."""
    viewer = await user_id(request, "write:accounts")
    with new_workdir() as workdir:
        avatar = None
        if request.content_type == "multipart/form-data":
            form = await receive_profile_form(request, request.app[SETTINGS], workdir, max_parts=PROFILE_FORM_PARTS,
                                              dropped_files=("header",))
            values, avatar = MultiDict({**request.query, **form.fields}), form.avatar_path
        else:
            values = await params(request)
        body: dict = {}
        if values.get("display_name") is not None:
            body["display_name"] = values["display_name"]
        if values.get("note") is not None:
            body["bio"] = values["note"]
        locked = flag(values, "locked")
        if locked is not None:
            body["private"] = locked
        # Headers, fields, bot and discoverable are not Raygram profile fields: ignored.
        patch = validation.profile_patch(body) if body else {}   # checked before the photo is stored
        if avatar is not None:
            await request.app[AVATARS].set(viewer, avatar, workdir)
    if patch:
        await request.app[ACCOUNTS].edit_profile(viewer, patch)
    return await _credential(request, viewer)


@routes.delete("/api/v1/profile/avatar")
async def delete_avatar(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:accounts")
    await request.app[AVATARS].remove(viewer)
    return await _credential(request, viewer)


@routes.delete("/api/v1/profile/header")
async def delete_header(request: web.Request) -> web.Response:
    # Raygram profiles have no header image: there is never one to delete.
    return await _credential(request, await user_id(request, "write:accounts"))


@routes.get("/api/v1/accounts/{id}")
async def get_account(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    user = await _user(request, path_id(request))
    if user["id"] != viewer:
        rel = (await mastodon_reads.relationships(request.app[NEO4J], viewer, [user["id"]])).get(user["id"], {})
        if rel.get("blocking") or rel.get("blocked_by"):
            raise NotFound("Record not found")      # neither side of a block sees the other's profile
    return web.json_response(entities.account(user, base_url(request)))


@routes.get("/api/v1/accounts/lookup")
async def lookup(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    acct = (request.query.get("acct") or "").lstrip("@").split("@", 1)[0]
    try:
        name = validation.normalize_username(acct)
    except ValidationFailed:
        raise NotFound("Record not found") from None
    user = await users.get_by_username(request.app[NEO4J], name, viewer)
    if user is None:
        raise NotFound("Record not found")
    return web.json_response(entities.account(user, base_url(request)))


@routes.get("/api/v1/accounts/search")
async def search_accounts(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    found = await search_users(request, viewer, request.query.get("q") or "", paging.parse(request.query).limit)
    return web.json_response(found)


async def search_users(request: web.Request, viewer: int, q: str, limit: int) -> list[dict]:
    prefix = q.strip().lstrip("@").split("@", 1)[0].lower()[:30]
    if not prefix:
        return []
    items, _ = await request.app[SEARCH_READS].users(viewer, prefix, limit, None)
    return [entities.account(u, base_url(request)) for u in items]


@routes.get("/api/v1/accounts/relationships")
async def relationships(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:follows")
    ids = [i for i in (parse_id(v) for v in many(request.query, "id")[:40]) if i is not None]
    found = await mastodon_reads.relationships(request.app[NEO4J], viewer, ids)
    return web.json_response([entities.relationship(i, found[i]) for i in ids if i in found])


@routes.get("/api/v1/accounts/{id}/statuses")
async def account_statuses(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    author = await _user(request, path_id(request))
    page = paging.parse(request.query)
    driver = request.app[NEO4J]
    _, visible = await graph_posts.author_visibility(driver, author["username"], viewer)
    if not visible or page.forward or page.since_id is not None:
        # A private account's posts are its followers'; min_id / since_id: newest first, then cut.
        rows = [] if not visible else await graph_posts.list_by_author(driver, author["id"], viewer, page.max_id, 200)
    else:
        rows = await graph_posts.list_by_author(driver, author["id"], viewer, page.max_id, page.limit)
    wanted = set(paging.window([r["id"] for r in rows], page))
    chosen = [r for r in rows if r["id"] in wanted]
    return page_response(request, await request.app[PRESENTER].statuses(chosen, base_url(request)))


async def _connections(request: web.Request, side: str) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    owner = await _user(request, path_id(request))
    driver = request.app[NEO4J]
    allowed = await follows.can_see_connections(driver, owner["username"], viewer)
    page = paging.parse(request.query)
    rows = [] if allowed is None else await follows.edge_page(driver, "FOLLOWS", side, owner["id"], viewer,
                                                               page.max_id, page.limit)
    rows = rows[:page.limit]
    base = base_url(request)
    return page_response(request, [entities.account(u, base) for u in rows], [str(u["_edge_id"]) for u in rows])


@routes.get("/api/v1/accounts/{id}/followers")
async def followers(request: web.Request) -> web.Response:
    return await _connections(request, "followee")


@routes.get("/api/v1/accounts/{id}/following")
async def following(request: web.Request) -> web.Response:
    return await _connections(request, "follower")


async def _relationship(request: web.Request, viewer: int, target: int) -> web.Response:
    found = await mastodon_reads.relationships(request.app[NEO4J], viewer, [target])
    return web.json_response(entities.relationship(target, found.get(target, {})))


def _relationship_route(name: str, use_case: web.AppKey, action: str, scope: str):
    """The handler that has ``use_case``'s ``action`` (follow, block, mute, their undoing, removing
    a follower) act on the account for the caller, answering the relationship after."""
    async def handler(request: web.Request) -> web.Response:
        viewer = await user_id(request, scope)
        target = await _user(request, path_id(request))
        await getattr(request.app[use_case], action)(viewer, target["username"])
        return await _relationship(request, viewer, target["id"])
    handler.__name__ = handler.__qualname__ = name
    return handler


# Mastodon's relationship actions: (path segment, use case, its method, scope). Mastodon's mute
# `notifications` and `duration` are not Raygram's: a mute hides posts, until undone.
for _segment, _use_case, _action, _scope in (
        ("follow", SOCIAL, "follow", "write:follows"), ("unfollow", SOCIAL, "unfollow", "write:follows"),
        ("block", SAFETY, "block", "write:blocks"), ("unblock", SAFETY, "unblock", "write:blocks"),
        ("mute", SAFETY, "mute", "write:mutes"), ("unmute", SAFETY, "unmute", "write:mutes"),
        ("remove_from_followers", SAFETY, "remove_follower", "write:follows")):
    routes.post(f"/api/v1/accounts/{{id}}/{_segment}")(_relationship_route(_segment, _use_case, _action, _scope))


async def _own_list(request: web.Request, scope: str, page_of) -> web.Response:
    viewer = await user_id(request, scope)
    page = paging.parse(request.query, max_limit=80)
    rows = (await page_of(viewer, page.max_id, page.limit))[:page.limit]
    base = base_url(request)
    return page_response(request, [entities.account(u, base) for u in rows], [str(u["_edge_id"]) for u in rows])


@routes.get("/api/v1/blocks")
async def blocks(request: web.Request) -> web.Response:
    return await _own_list(request, "read:blocks", request.app[SAFETY].blocks_page)


@routes.get("/api/v1/mutes")
async def mutes(request: web.Request) -> web.Response:
    return await _own_list(request, "read:mutes", request.app[SAFETY].mutes_page)


@routes.get("/api/v1/follow_requests")
async def follow_requests(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:follows")
    page = paging.parse(request.query)
    rows = await follows.edge_page(request.app[NEO4J], "REQUESTED", "followee", viewer, viewer, page.max_id,
                                   page.limit)
    base = base_url(request)
    return web.json_response([entities.account(u, base) for u in rows[:page.limit]])


async def _answer(request: web.Request, accept: bool) -> web.Response:
    viewer = await user_id(request, "write:follows")
    requester = await _user(request, path_id(request))
    await request.app[SOCIAL].answer_request(viewer, requester["username"], accept=accept)
    return await _relationship(request, viewer, requester["id"])


@routes.post("/api/v1/follow_requests/{id}/authorize")
async def authorize_request(request: web.Request) -> web.Response:
    return await _answer(request, True)


@routes.post("/api/v1/follow_requests/{id}/reject")
async def reject_request(request: web.Request) -> web.Response:
    return await _answer(request, False)


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
