"""Issue 21, the Mastodon edge: the request limit counts per account once the token is checked
(made-up tokens count against the client's address, the one a trusted proxy reports), tokens
are issued within limits per address and per app, live tokens per (account, app) are capped
(the oldest revoked), app-only tokens are short-lived; PKCE plain, dangerous redirect URIs and
an exchange without (or with another) redirect_uri are refused."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from core import redis_keys
from gateway.keys import REDIS
from gateway.mastodon.app import build

from .mastodon_http import register_app
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration
REDIRECT = "https://app.example/callback"


async def _server(client, aiohttp_server, settings, **overrides) -> str:
    app = build(client.app, dataclasses.replace(settings, **overrides))
    return str((await aiohttp_server(app, host="127.0.0.1")).make_url("")).rstrip("/")


async def _password(session, url, app, account, address: str) -> aiohttp.ClientResponse:
    return await session.post(f"{url}/oauth/token", headers={"X-Forwarded-For": address}, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": account.username, "password": account.password, "scope": "read"})


async def test_made_up_tokens_count_against_the_address_and_accounts_have_one_window(
        world, client, aiohttp_server, settings, unique):
    url = await _server(client, aiohttp_server, settings, mastodon_requests_per_window=5, mastodon_window_s=60)
    account = await world.signup("mdlimit")
    address = {"X-Forwarded-For": f"limit-{unique}"}
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": f"setup-{unique}"}) as session:
        statuses = []
        for _ in range(6):           # a fresh made-up token each time: still one window, the address's
            resp = await session.get(f"{url}/api/v1/accounts/verify_credentials",
                                     headers={**address, "Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
            statuses.append(resp.status)
        assert statuses == [401] * 5 + [429], statuses
        # The address behind the same proxy is spent; another client's address is not.
        resp = await session.get(f"{url}/api/v1/instance", headers=address)
        assert resp.status == 429 and resp.headers["X-RateLimit-Remaining"] == "0"
        assert (await session.get(f"{url}/api/v1/instance",
                                  headers={"X-Forwarded-For": f"other-{unique}"})).status == 200

        # Two tokens of one account share the account's window, from any address.
        app = await register_app(session, url)
        tokens = []
        for i in range(2):
            resp = await _password(session, url, app, account, f"login-{unique}-{i}")
            assert resp.status == 200, await resp.text()
            tokens.append((await resp.json())["access_token"])
        remaining = []
        for i in range(6):
            resp = await session.get(f"{url}/api/v1/accounts/verify_credentials", headers={
                "Authorization": f"Bearer {tokens[i % 2]}", "X-Forwarded-For": f"roam-{unique}-{i}"})
            remaining.append((resp.status, resp.headers.get("X-RateLimit-Remaining")))
        assert remaining == [(200, "4"), (200, "3"), (200, "2"), (200, "1"), (200, "0"), (429, "0")], remaining


async def test_token_issue_limits_per_address_and_per_app(world, client, aiohttp_server, settings, unique):
    url = await _server(client, aiohttp_server, settings, mastodon_tokens_per_address=3, mastodon_tokens_per_app=4)
    account = await world.signup("mdissue")
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": f"setup-{unique}"}) as session:
        app = await register_app(session, url)
        got = [(await _password(session, url, app, account, f"issue-{unique}")).status for _ in range(4)]
        assert got == [200, 200, 200, 429], got
        resp = await session.post(f"{url}/oauth/token", headers={"X-Forwarded-For": f"issue-{unique}"}, data={
            "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"]})
        assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0 and "X-RateLimit-Limit" in resp.headers
        # Another address may still log in through the app, once: the app's budget (4) is spent then.
        assert (await _password(session, url, app, account, f"issue2-{unique}")).status == 200
        assert (await _password(session, url, app, account, f"issue3-{unique}")).status == 429
        # A client that does not authenticate spends no app's budget (a client id is public).
        stranger = await session.post(f"{url}/oauth/token", headers={"X-Forwarded-For": f"issue4-{unique}"}, data={
            "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": "guess"})
        assert stranger.status == 401


async def test_live_tokens_per_account_and_app_are_capped_oldest_revoked(world, client, aiohttp_server, settings,
                                                                         unique):
    url = await _server(client, aiohttp_server, settings, mastodon_live_tokens_per_grant=3)
    account = await world.signup("mdcap")
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": f"setup-{unique}"}) as session:
        app, other = await register_app(session, url), await register_app(session, url)
        tokens = []
        for i in range(5):
            resp = await _password(session, url, app, account, f"cap-{unique}")
            tokens.append((await resp.json())["access_token"])
        elsewhere = (await (await _password(session, url, other, account, f"cap-{unique}")).json())["access_token"]

        async def works(token: str) -> bool:
            resp = await session.get(f"{url}/api/v1/accounts/verify_credentials",
                                     headers={"Authorization": f"Bearer {token}"})
            return resp.status == 200

        assert [await works(t) for t in tokens] == [False, False, True, True, True]
        assert await works(elsewhere)          # another app's tokens are another count
        live = redis_keys.oauth_live_tokens(int(account.id), app["client_id"])
        assert await client.app[REDIS].zcard(live) == 3


async def test_app_tokens_are_short_lived(client, aiohttp_server, settings):
    url = await _server(client, aiohttp_server, settings, mastodon_app_token_ttl_s=120)
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, url)
        resp = await session.post(f"{url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"]})
        body = await resp.json()
        assert body["expires_in"] == 120
        key = redis_keys.oauth_token(hashlib.sha256(body["access_token"].encode()).hexdigest())
        assert 0 < await client.app[REDIS].ttl(key) <= 120


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def _code(session, url, app, account, **query) -> str:
    page = await session.get(f"{url}/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code", "scope": "read", **query})
    assert page.status == 200, await page.text()
    carried = dict(re.findall(r'<input type=hidden name="([^"]+)" value="([^"]*)">', await page.text()))
    done = await session.post(f"{url}/oauth/authorize", allow_redirects=False,
                              data={**carried, "username": account.username, "password": account.password})
    assert done.status == 302
    return parse_qs(urlsplit(done.headers["Location"]).query)["code"][0]


async def test_oauth_hygiene(world, mastodon_url):
    account = await world.signup("mdhygiene")
    url = mastodon_url
    async with aiohttp.ClientSession() as session:
        for bad in ("data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "javascript:alert(1)",
                    "file:///etc/passwd", "http://app.example/cb"):
            resp = await session.post(f"{url}/api/v1/apps", data={"client_name": "x", "redirect_uris": bad})
            assert resp.status == 422, bad
            body = await resp.json()
            assert body["error"] and "details" in body, body
        for good in ("http://127.0.0.1:9999/cb", "com.example.app:/cb", "urn:ietf:wg:oauth:2.0:oob"):
            await register_app(session, url, redirect_uris=good)

        app = await register_app(session, url, redirect_uris=f"{REDIRECT}\nhttps://app.example/other")
        verifier, challenge = _pkce()
        # PKCE plain is refused at authorize, with invalid_request.
        plain = await session.get(f"{url}/oauth/authorize", params={
            "client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code",
            "code_challenge": verifier, "code_challenge_method": "plain"})
        assert plain.status == 400 and "S256" in await plain.text()

        form = {"grant_type": "authorization_code", "client_id": app["client_id"], "code_verifier": verifier}
        code = await _code(session, url, app, account, code_challenge=challenge, code_challenge_method="S256")
        resp = await session.post(f"{url}/oauth/token", data={**form, "code": code})
        assert resp.status == 400 and (await resp.json())["error"] == "invalid_request"
        code = await _code(session, url, app, account, code_challenge=challenge, code_challenge_method="S256")
        resp = await session.post(f"{url}/oauth/token", data={**form, "code": code,
                                                              "redirect_uri": "https://app.example/other"})
        assert resp.status == 400 and (await resp.json())["error"] == "invalid_grant"
        code = await _code(session, url, app, account, code_challenge=challenge, code_challenge_method="S256")
        resp = await session.post(f"{url}/oauth/token", data={**form, "code": code, "redirect_uri": REDIRECT})
        assert resp.status == 200, await resp.text()

        meta = await (await session.get(f"{url}/.well-known/oauth-authorization-server")).json()
        assert meta["code_challenge_methods_supported"] == ["S256"]


async def test_token_and_window_in_one_round_trip_keep_their_subjects(world, client, aiohttp_server, settings,
                                                                      unique):
    """Issue 20: the token is resolved and the request counted in one Redis round trip. Each request
    still counts against the account (user token), the app (app-only token) or the address (no
    token, or one that resolves to nothing: a revoked token on the very next request); a grant
    stored in another JSON shape is still placed by its account."""
    url = await _server(client, aiohttp_server, settings, mastodon_requests_per_window=50, mastodon_window_s=60)
    redis = client.app[REDIS]
    account = await world.signup("mdonetrip")
    address = f"onetrip-{unique}"
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": address}) as session:
        app = await register_app(session, url)
        resp = await _password(session, url, app, account, address)
        token = (await resp.json())["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        resp = await session.get(f"{url}/api/v1/accounts/verify_credentials", headers=bearer)
        assert resp.status == 200, await resp.text()
        user_id = (await resp.json())["id"]
        assert resp.headers["X-RateLimit-Limit"] == "50" and resp.headers["X-RateLimit-Remaining"] == "49"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", resp.headers["X-RateLimit-Reset"])
        assert int(await redis.get(redis_keys.mastodon_requests(f"u:{user_id}"))) == 1
        assert 0 < await redis.ttl(redis_keys.mastodon_requests(f"u:{user_id}")) <= 60

        resp = await session.post(f"{url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"]})
        app_bearer = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}
        resp = await session.get(f"{url}/api/v1/apps/verify_credentials", headers=app_bearer)
        assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "49"
        assert int(await redis.get(redis_keys.mastodon_requests(f"c:{app['client_id']}"))) == 1
        assert (await session.get(f"{url}/api/v1/accounts/verify_credentials", headers=app_bearer)).status == 401

        before = int(await redis.get(redis_keys.mastodon_requests(f"a:{address}")) or 0)
        resp = await session.post(f"{url}/oauth/revoke", data={
            "token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]})
        assert resp.status == 200
        resp = await session.get(f"{url}/api/v1/accounts/verify_credentials", headers=bearer)
        assert resp.status == 401
        assert int(await redis.get(redis_keys.mastodon_requests(f"a:{address}"))) == before + 2   # revoke, then this
        assert int(await redis.get(redis_keys.mastodon_requests(f"u:{user_id}"))) == 1

        # A grant written compactly (no longer the shape the script reads the account from).
        other = secrets.token_urlsafe(32)
        body = {"user_id": int(user_id), "client_id": app["client_id"], "scopes": ["read"], "created_at_ms": 1}
        await redis.set(redis_keys.oauth_token(hashlib.sha256(other.encode()).hexdigest()),
                        json.dumps(body, separators=(",", ":")), ex=60)
        resp = await session.get(f"{url}/api/v1/accounts/verify_credentials",
                                 headers={"Authorization": f"Bearer {other}"})
        assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "48"
        assert int(await redis.get(redis_keys.mastodon_requests(f"u:{user_id}"))) == 2
