"""OAuth on the Mastodon API, spoken directly: the authorization-code flow with PKCE through the
login page and a redirect, one-time codes, client credentials, scopes, bad input, and the
X-RateLimit-* headers of a 429."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from gateway.mastodon.app import build

from .mastodon_http import register_app
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration
REDIRECT = "https://app.example/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def _authorize(session, url: str, app: dict, account, challenge: str, password: str | None = None):
    query = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code", "scope": "read write",
             "state": "s-123", "code_challenge": challenge, "code_challenge_method": "S256"}
    page = await session.get(f"{url}/oauth/authorize", params=query)
    text = await page.text()
    assert page.status == 200 and page.headers["X-Frame-Options"] == "DENY"
    carried = dict(re.findall(r'<input type=hidden name="([^"]+)" value="([^"]*)">', text))
    assert carried["code_challenge"] == challenge
    return await session.post(f"{url}/oauth/authorize", allow_redirects=False, data={
        **carried, "username": account.username, "password": password or account.password})


async def test_authorization_code_with_pkce(world, mastodon_url):
    account = await world.signup("mdpkce")
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, mastodon_url, redirect_uris=REDIRECT)
        verifier, challenge = _pkce()

        wrong = await _authorize(session, mastodon_url, app, account, challenge, password="not the password")
        assert wrong.status == 401 and "Wrong username or password" in await wrong.text()

        done = await _authorize(session, mastodon_url, app, account, challenge)
        assert done.status == 302
        target = urlsplit(done.headers["Location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
        params = parse_qs(target.query)
        assert params["state"] == ["s-123"]
        code = params["code"][0]

        exchange = {"grant_type": "authorization_code", "client_id": app["client_id"], "redirect_uri": REDIRECT,
                    "code": code}
        bad = await session.post(f"{mastodon_url}/oauth/token", data={**exchange, "code_verifier": "x" * 43})
        assert bad.status == 400 and (await bad.json())["error"] == "invalid_grant"
        # A wrong verifier used the code up: codes are one-time. A fresh one, with the right verifier
        # and no client secret (a public client proves itself with PKCE alone).
        done = await _authorize(session, mastodon_url, app, account, challenge)
        exchange["code"] = parse_qs(urlsplit(done.headers["Location"]).query)["code"][0]
        good = await session.post(f"{mastodon_url}/oauth/token", data={**exchange, "code_verifier": verifier})
        assert good.status == 200, await good.text()
        body = await good.json()
        assert body["token_type"] == "Bearer" and body["scope"] == "read write"
        again = await session.post(f"{mastodon_url}/oauth/token", data={**exchange, "code_verifier": verifier})
        assert again.status == 400 and (await again.json())["error"] == "invalid_grant"

        me = await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials",
                               headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status == 200 and (await me.json())["username"] == account.username


async def test_client_credentials_scopes_and_bad_input(world, mastodon_url):
    account = await world.signup("mdscopes")
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, mastodon_url)
        secret = {"client_id": app["client_id"], "client_secret": app["client_secret"]}

        resp = await session.post(f"{mastodon_url}/oauth/token", data={**secret, "grant_type": "client_credentials",
                                                                         "scope": "read"})
        app_token = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}
        assert (await session.get(f"{mastodon_url}/api/v1/apps/verify_credentials", headers=app_token)).status == 200
        # An app token stands for no account.
        assert (await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials",
                                  headers=app_token)).status == 401

        resp = await session.post(f"{mastodon_url}/oauth/token", data={
            **secret, "grant_type": "password", "username": account.username, "password": account.password,
            "scope": "read"})
        read_only = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}
        assert (await session.get(f"{mastodon_url}/api/v1/timelines/home", headers=read_only)).status == 200
        resp = await session.post(f"{mastodon_url}/api/v1/statuses", headers=read_only, data={"status": "hi"})
        assert resp.status == 403 and "error" in await resp.json()

        for form, error in (({**secret, "grant_type": "password", "username": account.username, "password": "nope"},
                             "invalid_grant"),
                            ({**secret, "grant_type": "password", "username": "x", "password": "y", "scope": "admin"},
                             "invalid_scope"),
                            ({"client_id": app["client_id"], "client_secret": "wrong", "grant_type": "password"},
                             "invalid_client"),
                            ({**secret, "grant_type": "implicit"}, "unsupported_grant_type")):
            resp = await session.post(f"{mastodon_url}/oauth/token", data=form)
            assert 400 <= resp.status < 500 and (await resp.json())["error"] == error, form

        resp = await session.post(f"{mastodon_url}/api/v1/apps", data={"client_name": ""})
        assert resp.status == 422
        resp = await session.post(f"{mastodon_url}/api/v1/apps", data={"client_name": "x",
                                                                        "redirect_uris": "javascript:alert(1)"})
        assert resp.status == 422
        resp = await session.get(f"{mastodon_url}/oauth/authorize", params={"client_id": "unknown"})
        assert resp.status == 401 and "Unknown client" in await resp.text()
        resp = await session.get(f"{mastodon_url}/api/v1/statuses/not-an-id", headers=read_only)
        assert resp.status == 404
        resp = await session.get(f"{mastodon_url}/api/v1/timelines/home", headers=read_only,
                                 params={"max_id": "1e9"})
        assert resp.status == 422


async def test_a_client_authenticates_with_http_basic_for_tokens_and_revocation(world, mastodon_url):
    """client_secret_basic (RFC 6749 §2.3.1), which OAuth libraries use by default."""
    account = await world.signup("mdbasic")
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, mastodon_url)
        basic = aiohttp.BasicAuth(app["client_id"], app["client_secret"])
        meta = await (await session.get(f"{mastodon_url}/.well-known/oauth-authorization-server")).json()
        assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]

        resp = await session.post(f"{mastodon_url}/oauth/token", auth=basic, data={
            "grant_type": "password", "username": account.username, "password": account.password, "scope": "read"})
        assert resp.status == 200, await resp.text()
        token = (await resp.json())["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials", headers=bearer)).status == 200

        wrong = aiohttp.BasicAuth(app["client_id"], "not the secret")
        for auth, form in ((wrong, {}), (basic, {"client_id": "another client"})):
            resp = await session.post(f"{mastodon_url}/oauth/token", auth=auth,
                                      data={"grant_type": "client_credentials", **form})
            assert resp.status == 401 and (await resp.json())["error"] == "invalid_client"
        for header in ("Basic !!!", "Basic " + base64.b64encode(b"no colon").decode(), "Basic " + "A" * 5000):
            resp = await session.post(f"{mastodon_url}/oauth/token", headers={"Authorization": header},
                                      data={"grant_type": "client_credentials"})
            assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Basic"), header

        resp = await session.post(f"{mastodon_url}/oauth/revoke", auth=basic, data={"token": token})
        assert resp.status == 200
        assert (await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials", headers=bearer)).status == 401


async def test_rate_limit_headers(client, aiohttp_server, settings, unique):
    limited = dataclasses.replace(settings, mastodon_requests_per_window=3, mastodon_window_s=60)
    server = await aiohttp_server(build(client.app, limited), host="127.0.0.1")
    # An address of its own (the test client is a trusted proxy): this test's window is nobody else's.
    headers = {"X-Forwarded-For": f"rate-{unique}"}
    async with aiohttp.ClientSession() as session:
        seen = []
        for _ in range(4):
            resp = await session.get(str(server.make_url("/api/v1/instance")), headers=headers)
            seen.append((resp.status, resp.headers.get("X-RateLimit-Remaining")))
        assert seen == [(200, "2"), (200, "1"), (200, "0"), (429, "0")]
        assert resp.headers["X-RateLimit-Limit"] == "3"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", resp.headers["X-RateLimit-Reset"])
        assert (await resp.json())["error"]
