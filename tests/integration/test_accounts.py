"""Accounts and sessions through the gateway."""
from __future__ import annotations

import asyncio

import pytest


async def test_sign_up_returns_the_user_and_a_working_token(client, world):
    resp = await client.post("/api/v1/accounts", json={"username": world.name("ada"), "password": "s3cret-enough",
                                                       "display_name": "Ada L."})
    assert resp.status == 201
    body = await resp.json()
    user = body["user"]
    assert user["username"] == world.name("ada") and user["display_name"] == "Ada L."
    assert user["followers_count"] == user["following_count"] == user["posts_count"] == 0
    assert user["private"] is False and user["bio"] == "" and user["avatar_url"] is None
    assert user["created_at"].endswith("Z") and user["id"].isdigit()
    assert "password" not in str(body) and "hash" not in str(body)

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status == 200
    assert (await me.json())["id"] == user["id"]


async def test_ids_are_time_ordered(world):
    first = await world.signup("first")
    second = await world.signup("second")
    assert int(second.id) > int(first.id)


async def test_usernames_are_unique_in_any_case(client, world):
    await world.signup("taken")
    resp = await client.post("/api/v1/accounts", json={"username": world.name("TAKEN"), "password": "whatever-123"})
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "username_taken"


@pytest.mark.parametrize("username", ["ab", "x" * 31, "has space", "émile", "semi;colon", "", 42, None])
async def test_invalid_usernames_are_refused(client, username):
    resp = await client.post("/api/v1/accounts", json={"username": username, "password": "long-enough"})
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_username"


@pytest.mark.parametrize("password", ["short", "", "x" * 257, 12345678])
async def test_invalid_passwords_are_refused(client, world, password):
    resp = await client.post("/api/v1/accounts", json={"username": world.name("pw"), "password": password})
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_password"


async def test_malformed_bodies_are_400_not_500(client):
    resp = await client.post("/api/v1/accounts", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_json"
    resp = await client.post("/api/v1/accounts", json=["a", "list"])
    assert resp.status == 400


async def test_login_with_the_right_password_gives_a_new_token(client, world):
    ada = await world.signup("ada", password="right-password")
    resp = await client.post("/api/v1/sessions", json={"username": ada.username.upper(), "password": "right-password"})
    assert resp.status == 201
    body = await resp.json()
    assert body["user"]["id"] == ada.id and body["token"] != ada.token


async def test_wrong_password_and_unknown_user_look_the_same(client, world):
    ada = await world.signup("ada")
    wrong = await client.post("/api/v1/sessions", json={"username": ada.username, "password": "not-it-at-all"})
    unknown = await client.post("/api/v1/sessions", json={"username": world.name("nobody"), "password": "whatever1"})
    assert wrong.status == unknown.status == 401
    assert (await wrong.json()) == (await unknown.json())


async def test_logout_revokes_only_that_token(client, world):
    ada = await world.signup("ada")
    second = await client.post("/api/v1/sessions", json={"username": ada.username, "password": ada.password})
    other_token = (await second.json())["token"]

    resp = await client.delete("/api/v1/sessions/current", headers=ada.auth)
    assert resp.status == 204
    assert (await client.get("/api/v1/me", headers=ada.auth)).status == 401
    still = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"})
    assert still.status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
async def test_protected_endpoints_need_a_valid_token(client, headers):
    resp = await client.get("/api/v1/me", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] in ("missing_token", "invalid_token")


async def test_profile_edits_are_saved_and_validated(client, world):
    ada = await world.signup("ada")
    resp = await client.patch("/api/v1/me", json={"display_name": " Ada 🚀 ", "bio": "Counts things.\nEngines.",
                                                  "private": True}, headers=ada.auth)
    assert resp.status == 200
    user = await resp.json()
    assert (user["display_name"], user["bio"], user["private"]) == ("Ada 🚀", "Counts things.\nEngines.", True)
    assert (await (await client.get("/api/v1/me", headers=ada.auth)).json())["bio"] == "Counts things.\nEngines."

    for bad in ({"bio": "x" * 151}, {"private": "yes"}, {"display_name": ""}, {"username": "new"}):
        resp = await client.patch("/api/v1/me", json=bad, headers=ada.auth)
        assert resp.status == 422, bad


async def test_repeated_failed_logins_are_rate_limited_per_username(client, world, settings):
    ada = await world.signup("ada")
    limit = settings.login_failures_per_user
    for _ in range(limit):
        resp = await client.post("/api/v1/sessions", json={"username": ada.username, "password": "guess-guess"})
        assert resp.status == 401
    resp = await client.post("/api/v1/sessions", json={"username": ada.username, "password": ada.password})
    assert resp.status == 429, "even the right password waits once the account is under attack"
    assert int(resp.headers["Retry-After"]) > 0
    assert (await resp.json())["error"]["code"] == "rate_limited"


async def test_failed_logins_are_rate_limited_per_client_address(aiohttp_client, settings, world, unique):
    import dataclasses
    from gateway.app import create_app

    strict = await aiohttp_client(create_app(dataclasses.replace(settings, login_failures_per_address=3)),
                                  headers={"X-Forwarded-For": f"attacker-{unique}"})
    victims = [await world.signup(f"v{i}") for i in range(4)]
    statuses = []
    for victim in victims:
        resp = await strict.post("/api/v1/sessions", json={"username": victim.username, "password": "guess-guess"})
        statuses.append(resp.status)
    assert statuses == [401, 401, 401, 429]


async def test_parallel_guesses_cannot_exceed_the_limit(client, world, settings):
    ada = await world.signup("ada")
    attempts = settings.login_failures_per_user * 2
    responses = await asyncio.gather(*(
        client.post("/api/v1/sessions", json={"username": ada.username, "password": f"guess-{i:04d}"})
        for i in range(attempts)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(401) == settings.login_failures_per_user
    assert statuses.count(429) == attempts - settings.login_failures_per_user
