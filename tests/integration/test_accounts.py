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


def at(address: str) -> dict[str, str]:
    """Headers that make a request come from ``address`` (the test client is a trusted proxy)."""
    return {"X-Forwarded-For": address}


async def login(client, account, address: str, password: str | None = None):
    return await client.post("/api/v1/sessions", headers=at(address),
                             json={"username": account.username, "password": password or account.password})


async def test_wrong_passwords_from_one_address_never_lock_the_owner_out(client, world, settings, unique):
    ada = await world.signup("ada")
    home, attacker = f"home-{unique}", f"attacker-{unique}"
    assert (await login(client, ada, home)).status == 201          # home becomes a known address
    limit = settings.login_failures_per_user_address
    statuses = [(await login(client, ada, attacker, "guess-guess")).status for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429]
    refused = await login(client, ada, attacker)
    assert refused.status == 429, "the attacker's address stays limited, even with the right password"
    assert int(refused.headers["Retry-After"]) > 0
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert (await login(client, ada, home)).status == 201, "the owner at a known address gets in"
    assert (await login(client, ada, f"cafe-{unique}")).status == 201, "and so from a new address"


async def test_a_guess_spread_over_many_addresses_only_slows_unknown_addresses(aiohttp_client, settings, world, unique):
    import dataclasses
    from gateway.app import create_app

    strict = await aiohttp_client(create_app(dataclasses.replace(settings, login_failures_per_user=3)))
    ada = await world.signup("ada")
    home = f"home-{unique}"
    assert (await login(strict, ada, home)).status == 201
    statuses = [(await login(strict, ada, f"bot{i}-{unique}", "guess-guess")).status for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert (await login(strict, ada, f"new-phone-{unique}")).status == 429, "unknown addresses wait"
    assert (await login(strict, ada, home)).status == 201, "the owner's known address never does"


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
    limit = settings.login_failures_per_user_address
    attempts = limit * 2
    responses = await asyncio.gather(*(
        client.post("/api/v1/sessions", json={"username": ada.username, "password": f"guess-{i:04d}"})
        for i in range(attempts)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(401) == limit
    assert statuses.count(429) == attempts - limit


async def test_impossible_logins_are_wrong_without_touching_redis(client, world):
    from core import redis_keys
    from gateway.keys import REDIS

    ada = await world.signup("ada")
    long_name = "a" * 40_000
    for body in ({"username": long_name, "password": "whatever1"},
                 {"username": ada.username, "password": "x" * 40_000}):
        resp = await client.post("/api/v1/sessions", json=body)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "invalid_credentials"
    redis = client.app[REDIS]
    assert not await redis.exists(redis_keys.login_attempts("user", long_name))
    assert await redis.get(redis_keys.login_attempts("user", ada.username)) is None


async def test_sign_ups_are_limited_per_client_address(aiohttp_client, settings, unique):
    import dataclasses
    from gateway.app import create_app

    strict = await aiohttp_client(create_app(dataclasses.replace(settings, signups_per_address=3)))

    async def signup(name: str, address: str, password: str = "long-enough"):
        return await strict.post("/api/v1/accounts", headers=at(address),
                                 json={"username": f"{name}_{unique}", "password": password})

    farm = f"farm-{unique}"
    assert (await signup("bad", farm, password="short")).status == 422, "invalid input costs nothing"
    assert [(await signup(f"s{i}", farm)).status for i in range(3)] == [201, 201, 201]
    refused = await signup("s3", farm)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert (await signup("s4", f"elsewhere-{unique}")).status == 201
