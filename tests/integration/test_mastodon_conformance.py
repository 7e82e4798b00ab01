"""Every Mastodon route Raygram serves, called for real, its JSON validated against the pinned
community OpenAPI document of the Mastodon API (tests/contracts/mastodon_openapi.json, cut from
abraham/mastodon-openapi by tests/contracts/extract_mastodon_openapi.py). Deliberate differences
are listed in DIFFERENCES (and in the README); a route the app gains without being checked or
listed fails the test. NodeInfo is checked here too."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

from gateway.mastodon.app import build
from tests import images
from tests.contracts.mastodon_routes import NOT_ENTITIES, SERVED

from .mastodon_http import password_token, register_app
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration
SPEC = json.loads((Path(__file__).parents[1] / "contracts" / "mastodon_openapi.json").read_text())

# (method, path, JSON pointer into the body) -> why Raygram differs from the document on purpose.
DIFFERENCES: dict[tuple[str, str, str], str] = {
    ("GET", "/api/v1/instance", "/email"): "no operator address is configured: empty, not an e-mail address",
    ("GET", "/api/v2/instance", "/contact/email"): "no operator address is configured: empty, not an e-mail address",
    ("GET", "/api/v2/instance", "/configuration/timelines_access/trending_link_feeds/local"):
        "Raygram has no trending links: 'disabled', as Mastodon says of its other feeds (the document's enum "
        "for this one leaves it out)",
    ("GET", "/api/v1/filters", "/"): "a list of V1 filters (empty), as Mastodon answers; the document has one filter",
}


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _violations(method: str, path: str, status: int, body: Any) -> list[str]:
    documented = SPEC["paths"][path][method.lower()]
    if str(status) not in documented:
        return [f"{method} {path}: status {status} is not documented"]
    schema = documented[str(status)]
    if schema is None:             # documented without a schema: nothing more to check
        return []
    validator = jsonschema.Draft202012Validator({**schema, "components": SPEC["components"]},
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    out = []
    for error in validator.iter_errors(body):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        generic = re.sub(r"/\d+(?=/|$)", "/*", pointer)
        if (method, path, generic) in DIFFERENCES:
            continue
        out.append(f"{method} {path} {pointer}: {error.message[:300]}")
    return out


async def test_every_route_answers_what_the_mastodon_openapi_document_describes(world, mastodon_url, client):
    served = {(r.method, _template(r.resource.canonical)) for r in build(client.app).router.routes()
              if r.method != "HEAD"}
    listed = {(m, _template(p)) for m, p in [*SERVED, *NOT_ENTITIES]}
    assert served == listed, ("routes served but not listed", served - listed, "listed but not served", listed - served)

    me, friend, asker = await world.signup("mdconf"), await world.signup("mdconffriend"), await world.signup("mdconfask")
    await world.follow(me, friend)
    await world.follow(friend, me)
    friend_post = await world.post(friend, caption="a #conformance photo")
    problems: list[str] = []
    checked: set[tuple[str, str]] = set()
    url = mastodon_url
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, url)
        token = await password_token(session, url, me.username, me.password, app=app)
        auth = {"Authorization": f"Bearer {token}"}

        async def call(method: str, path: str, actual: str | None = None, status: int = 200, *,
                       headers: dict | None = None, **kw) -> Any:
            resp = await session.request(method, url + (actual or path), headers=headers or auth, **kw)
            body = await resp.json(content_type=None)
            assert resp.status == status, (method, actual or path, resp.status, body)
            problems.extend(_violations(method, path, resp.status, body))
            checked.add((method, _template(path)))
            return body

        # OAuth and the instance.
        await call("POST", "/api/v1/apps", headers={}, data={"client_name": "conformance",
                                                             "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
        await call("POST", "/api/v1/apps", status=422, headers={}, data={"client_name": "x",
                                                                         "redirect_uris": "data:text/html,x"})
        await call("GET", "/api/v1/apps/verify_credentials")
        await call("POST", "/oauth/token", headers={}, data={
            "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"]})
        await call("POST", "/oauth/token", status=400, headers={}, data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": me.username, "password": "wrong password"})
        await call("GET", "/.well-known/oauth-authorization-server", headers={})
        await call("GET", "/oauth/userinfo")
        await call("GET", "/api/v1/instance", headers={})
        await call("GET", "/api/v2/instance", headers={})

        # Accounts.
        mine = await call("GET", "/api/v1/accounts/verify_credentials")
        await call("PATCH", "/api/v1/accounts/update_credentials", data={"display_name": "Conformance"})
        await call("DELETE", "/api/v1/profile/avatar")
        await call("DELETE", "/api/v1/profile/header")
        await call("GET", "/api/v1/accounts/lookup", params={"acct": friend.username})
        await call("GET", "/api/v1/accounts/search", params={"q": friend.username})
        await call("GET", "/api/v1/accounts/relationships", params={"id[]": friend.id})
        await call("GET", "/api/v1/accounts/{id}", f"/api/v1/accounts/{friend.id}")
        await call("GET", "/api/v1/accounts/{id}", f"/api/v1/accounts/999999999999", status=404)
        await call("GET", "/api/v1/accounts/{id}/statuses", f"/api/v1/accounts/{friend.id}/statuses")
        await call("GET", "/api/v1/accounts/{id}/followers", f"/api/v1/accounts/{friend.id}/followers")
        await call("GET", "/api/v1/accounts/{id}/following", f"/api/v1/accounts/{friend.id}/following")
        await call("POST", "/api/v1/accounts/{id}/unfollow", f"/api/v1/accounts/{friend.id}/unfollow")
        await call("POST", "/api/v1/accounts/{id}/follow", f"/api/v1/accounts/{friend.id}/follow")
        stranger = await world.signup("mdconfstranger")
        await world.follow(stranger, me)
        for action in ("mute", "unmute", "block", "unblock", "remove_from_followers"):
            await call("POST", f"/api/v1/accounts/{{id}}/{action}", f"/api/v1/accounts/{stranger.id}/{action}")
        # Follow requests: make the account private, have someone ask, list, authorize, reject.
        await call("PATCH", "/api/v1/accounts/update_credentials", data={"locked": "true"})
        await world.follow(asker, me)
        await call("GET", "/api/v1/follow_requests")
        await call("POST", "/api/v1/follow_requests/{account_id}/authorize",
                   f"/api/v1/follow_requests/{asker.id}/authorize")
        await world.client.delete(f"/api/v1/users/{me.username}/follow", headers=asker.auth)
        await world.follow(asker, me)
        await call("POST", "/api/v1/follow_requests/{account_id}/reject", f"/api/v1/follow_requests/{asker.id}/reject")
        await call("PATCH", "/api/v1/accounts/update_credentials", data={"locked": "false"})

        # Media and statuses.
        form = aiohttp.FormData()
        form.add_field("file", images.jpeg(), filename="p.jpg", content_type="image/jpeg")
        media = await call("POST", "/api/v2/media", data=form)
        form = aiohttp.FormData()
        form.add_field("file", images.png(), filename="p.png", content_type="image/png")
        await call("POST", "/api/v1/media", data=form)
        await call("GET", "/api/v1/media/{id}", f"/api/v1/media/{media['id']}")
        await call("PUT", "/api/v1/media/{id}", f"/api/v1/media/{media['id']}", data={"description": "a photo"})
        status = await call("POST", "/api/v1/statuses", data={"status": "hello #conformance", "media_ids[]": media["id"]})
        await call("POST", "/api/v1/statuses", status=422, data={"status": "no media"})
        sid = friend_post["id"]
        await call("GET", "/api/v1/statuses/{id}", f"/api/v1/statuses/{sid}")
        await call("POST", "/api/v1/statuses/{id}/favourite", f"/api/v1/statuses/{sid}/favourite")
        await call("GET", "/api/v1/statuses/{id}/favourited_by", f"/api/v1/statuses/{sid}/favourited_by")
        reply = await call("POST", "/api/v1/statuses", data={"status": "nice", "in_reply_to_id": sid})
        await call("GET", "/api/v1/statuses/{id}/context", f"/api/v1/statuses/{sid}/context")
        await call("POST", "/api/v1/statuses/{id}/unfavourite", f"/api/v1/statuses/{sid}/unfavourite")
        await call("GET", "/api/v1/timelines/home")
        await call("GET", "/api/v1/timelines/tag/{hashtag}", "/api/v1/timelines/tag/conformance")
        await call("GET", "/api/v1/timelines/public")

        # Notifications (the friend likes and follows back), search, markers, the rest.
        await world.client.put(f"/api/v1/posts/{status['id']}/like", headers=friend.auth)
        notes = await call("GET", "/api/v1/notifications")
        assert notes, "a notification to check"
        await call("GET", "/api/v1/notifications/{id}", f"/api/v1/notifications/{notes[0]['id']}")
        await call("GET", "/api/v2/search", params={"q": "conformance"})
        await call("POST", "/api/v1/markers", data={"home[last_read_id]": sid})
        await call("GET", "/api/v1/markers", params={"timeline[]": "home"})
        await call("GET", "/api/v1/preferences")
        for path in ("/api/v1/custom_emojis", "/api/v1/filters", "/api/v2/filters", "/api/v1/lists",
                     "/api/v1/announcements", "/api/v1/followed_tags", "/api/v1/blocks", "/api/v1/mutes",
                     "/api/v1/bookmarks", "/api/v1/conversations", "/api/v1/scheduled_statuses"):
            await call("GET", path)
        await call("DELETE", "/api/v1/statuses/{id}", f"/api/v1/statuses/{reply['id']}")
        await call("DELETE", "/api/v1/statuses/{id}", f"/api/v1/statuses/{status['id']}")
        other = await password_token(session, url, me.username, me.password, app=app)
        await call("POST", "/oauth/revoke", headers={}, data={"client_id": app["client_id"],
                                                              "client_secret": app["client_secret"], "token": other})
        assert mine["source"]["indexable"] is True

    assert checked == {(m, _template(p)) for m, p in SERVED}, {(m, _template(p)) for m, p in SERVED} - checked
    assert not problems, "\n".join(problems)


async def test_nodeinfo_discovery(mastodon_url):
    async with aiohttp.ClientSession() as session:
        links = await (await session.get(f"{mastodon_url}/.well-known/nodeinfo")).json()
        [link] = links["links"]
        assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0"
        assert link["href"] == f"{mastodon_url}/nodeinfo/2.0"
        resp = await session.get(link["href"])
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
        doc = await resp.json()
    assert doc["version"] == "2.0" and doc["software"]["name"] == "raygram" and doc["protocols"] == []
    assert re.match(r"^\d+\.\d+\.\d+$", doc["software"]["version"]) and doc["openRegistrations"] is True
    users = doc["usage"]["users"]
    assert users["total"] >= 1 and 0 <= users["activeMonth"] <= users["activeHalfyear"] <= users["total"]
