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


async def verify_credentials(request: web.Request) -> web.Response:
    return await _credential(request, await user_id(request, "read:accounts"))


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


async def delete_avatar(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:accounts")
    await request.app[AVATARS].remove(viewer)
    return await _credential(request, viewer)


async def delete_header(request: web.Request) -> web.Response:
    # Raygram profiles have no header image: there is never one to delete.
    return await _credential(request, await user_id(request, "write:accounts"))


async def get_account(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    user = await _user(request, path_id(request))
    if user["id"] != viewer:
        rel = (await mastodon_reads.relationships(request.app[NEO4J], viewer, [user["id"]])).get(user["id"], {})
        if rel.get("blocking") or rel.get("blocked_by"):
            raise NotFound("Record not found")      # neither side of a block sees the other's profile
    return web.json_response(entities.account(user, base_url(request)))


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


async def relationships(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:follows")
    ids = [i for i in (parse_id(v) for v in many(request.query, "id")[:40]) if i is not None]
    found = await mastodon_reads.relationships(request.app[NEO4J], viewer, ids)
    return web.json_response([entities.relationship(i, found[i]) for i in ids if i in found])


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


async def followers(request: web.Request) -> web.Response:
    return await _connections(request, "followee")


async def following(request: web.Request) -> web.Response:
    return await _connections(request, "follower")


async def _relationship(request: web.Request, viewer: int, target: int) -> web.Response:
    found = await mastodon_reads.relationships(request.app[NEO4J], viewer, [target])
    return web.json_response(entities.relationship(target, found.get(target, {})))


async def follow(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:follows")
    target = await _user(request, path_id(request))
    await request.app[SOCIAL].follow(viewer, target["username"])
    return await _relationship(request, viewer, target["id"])


async def unfollow(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:follows")
    target = await _user(request, path_id(request))
    await request.app[SOCIAL].unfollow(viewer, target["username"])
    return await _relationship(request, viewer, target["id"])


async def _safety(request: web.Request, action: str) -> web.Response:
    """Block, unblock, mute, unmute or remove_from_followers the account; the relationship after."""
    viewer = await user_id(request, "write:blocks" if "block" in action else
                           "write:mutes" if "mute" in action else "write:follows")
    target = await _user(request, path_id(request))
    await getattr(request.app[SAFETY], action)(viewer, target["username"])
    return await _relationship(request, viewer, target["id"])


async def block(request: web.Request) -> web.Response:
    return await _safety(request, "block")


async def unblock(request: web.Request) -> web.Response:
    return await _safety(request, "unblock")


async def mute(request: web.Request) -> web.Response:
    # Mastodon's `notifications` and `duration` are not Raygram's: a mute hides posts, until undone.
    return await _safety(request, "mute")


async def unmute(request: web.Request) -> web.Response:
    return await _safety(request, "unmute")


async def remove_from_followers(request: web.Request) -> web.Response:
    return await _safety(request, "remove_follower")


async def _own_list(request: web.Request, scope: str, page_of) -> web.Response:
    viewer = await user_id(request, scope)
    page = paging.parse(request.query, max_limit=80)
    rows = (await page_of(viewer, page.max_id, page.limit))[:page.limit]
    base = base_url(request)
    return page_response(request, [entities.account(u, base) for u in rows], [str(u["_edge_id"]) for u in rows])


async def blocks(request: web.Request) -> web.Response:
    return await _own_list(request, "read:blocks", request.app[SAFETY].blocks_page)


async def mutes(request: web.Request) -> web.Response:
    return await _own_list(request, "read:mutes", request.app[SAFETY].mutes_page)


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


async def authorize_request(request: web.Request) -> web.Response:
    return await _answer(request, True)


async def reject_request(request: web.Request) -> web.Response:
    return await _answer(request, False)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/accounts/verify_credentials", verify_credentials)
    r.add_patch("/api/v1/accounts/update_credentials", update_credentials)
    r.add_delete("/api/v1/profile/avatar", delete_avatar)
    r.add_delete("/api/v1/profile/header", delete_header)
    # Avatar URLs name this address (the one the app was given), so it serves them as the main one does.
    r.add_get("/avatars/{avatar_id}/{variant}", get_avatar)
    r.add_get("/api/v1/accounts/lookup", lookup)
    r.add_get("/api/v1/accounts/search", search_accounts)
    r.add_get("/api/v1/accounts/relationships", relationships)
    r.add_get("/api/v1/accounts/{id}", get_account)
    r.add_get("/api/v1/accounts/{id}/statuses", account_statuses)
    r.add_get("/api/v1/accounts/{id}/followers", followers)
    r.add_get("/api/v1/accounts/{id}/following", following)
    r.add_post("/api/v1/accounts/{id}/follow", follow)
    r.add_post("/api/v1/accounts/{id}/unfollow", unfollow)
    r.add_post("/api/v1/accounts/{id}/block", block)
    r.add_post("/api/v1/accounts/{id}/unblock", unblock)
    r.add_post("/api/v1/accounts/{id}/mute", mute)
    r.add_post("/api/v1/accounts/{id}/unmute", unmute)
    r.add_post("/api/v1/accounts/{id}/remove_from_followers", remove_from_followers)
    r.add_get("/api/v1/blocks", blocks)
    r.add_get("/api/v1/mutes", mutes)
    r.add_get("/api/v1/follow_requests", follow_requests)
    r.add_post("/api/v1/follow_requests/{id}/authorize", authorize_request)
    r.add_post("/api/v1/follow_requests/{id}/reject", reject_request)
