"""Deleting an account (issue 23): gone at once, then erased everywhere by a durable job that
survives the gateway running it being killed."""
from __future__ import annotations

import asyncio
import dataclasses
import os
import signal

import aiohttp
import pytest
from botocore.exceptions import ClientError

from gateway.app import create_app
from gateway.keys import ERASURE, NEO4J, S3, SEARCH, SETTINGS
from core.live_protocol import SESSION_ENDED
from search.indexes import POSTS, USERS, index_specs
from stack.gateway_process import GatewayProcess, free_port
from tests import images

from .world import World, eventually

pytestmark = pytest.mark.integration

TINY = images.jpeg(16, 16)


async def _avatar(world: World, who) -> None:
    form = aiohttp.FormData()
    form.add_field("avatar", images.jpeg(64, 64), filename="me.jpg", content_type="image/jpeg")
    resp = await world.client.put("/api/v1/me/avatar", data=form, headers=who.auth)
    assert resp.status == 200, await resp.text()


async def _owned(driver, user_id: int) -> dict:
    """Everything of the account in Neo4j: nodes, and the S3 keys they name."""
    records, _, _ = await driver.execute_query(
        """OPTIONAL MATCH (u {id: $id}) WHERE u:User OR u:ErasingUser
           WITH collect(u) AS users
           OPTIONAL MATCH (p:Post) WHERE p.author_id = $id
           OPTIONAL MATCH (p)-[:HAS_MEDIA]->(m:Media)
           WITH users, collect(DISTINCT p) AS posts, collect(DISTINCT m) AS media
           OPTIONAL MATCH (c:Comment) WHERE c.author_id = $id
           WITH users, posts, media, collect(c) AS comments
           OPTIONAL MATCH (n:Notification) WHERE n.actor_id = $id OR n.recipient_id = $id
           RETURN size(users) AS users, [p IN posts | p.id] AS posts, size(media) AS media,
                  size(comments) AS comments, count(n) AS notifications,
                  [k IN reduce(acc = [], u IN users | acc + coalesce(u.avatar_keys, [])) | k]
                  + reduce(acc = [], m IN media | acc + coalesce(m.keys, [])) AS keys""", id=user_id)
    return dict(records[0])


async def _exists(s3, bucket: str, key: str) -> bool:
    try:
        await s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError:
        return False


async def _documents(es, prefix: str, post_ids: list[int], user_id: int) -> int:
    specs = index_specs(prefix)
    for spec in specs.values():
        await es.indices.refresh(index=spec.alias)
    posts = (await es.count(index=specs[POSTS].alias, query={"ids": {"values": [str(i) for i in post_ids]}}))["count"]
    users = (await es.count(index=specs[USERS].alias, query={"ids": {"values": [str(user_id)]}}))["count"]
    return posts + users


async def _gone_everywhere(app, user_id: int, keys: list[str], post_ids: list[int]) -> bool:
    settings = app[SETTINGS]
    owned = await _owned(app[NEO4J], user_id)
    if owned["users"] or owned["posts"] or owned["media"] or owned["comments"] or owned["notifications"]:
        return False
    if any([await _exists(app[S3], settings.s3_bucket, k) for k in keys]):
        return False
    return await _documents(app[SEARCH], settings.es_index_prefix, post_ids, user_id) == 0


async def test_a_deleted_account_is_gone_at_once_and_erased_everywhere(client, world, unique):
    app = client.app
    ada, bob = await world.signup("delada"), await world.signup("delbob")
    await _avatar(world, ada)
    await world.follow(bob, ada)
    await world.follow(ada, bob)
    mine = [await world.post(ada, [TINY, TINY], caption=f"mine #gone{unique}") for _ in range(2)]
    theirs = await world.post(bob, [TINY], caption="bob's")
    assert (await client.put(f"/api/v1/posts/{theirs['id']}/like", headers=ada.auth)).status == 200
    assert (await client.post(f"/api/v1/posts/{theirs['id']}/comments", json={"text": "hi bob"},
                              headers=ada.auth)).status == 201
    assert (await client.put(f"/api/v1/posts/{mine[0]['id']}/like", headers=bob.auth)).status == 200
    assert await eventually(lambda: world.search_posts(bob, f"#gone{unique}"))
    owned = await _owned(app[NEO4J], int(ada.id))
    assert len(owned["keys"]) >= 2 * 2 * 4 and owned["users"] == 1
    keys, post_ids = owned["keys"], owned["posts"]

    # Wrong or missing password: nothing happens.
    assert (await client.delete("/api/v1/me", json={"password": "not my password"}, headers=ada.auth)).status == 403
    assert (await client.delete("/api/v1/me", json={}, headers=ada.auth)).status == 422
    assert (await client.delete("/api/v1/me", json={"password": ada.password})).status == 401

    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        resp = await client.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
        assert resp.status == 204, await resp.text()
        msg = await ws.receive(timeout=10)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == SESSION_ENDED

    # Gone from every read at once.
    assert (await client.get("/api/v1/me", headers=ada.auth)).status == 401
    assert (await client.get(f"/api/v1/users/{ada.username}", headers=bob.auth)).status == 404
    assert (await client.get(f"/api/v1/posts/{mine[0]['id']}", headers=bob.auth)).status == 404
    assert await world.search_posts(bob, f"#gone{unique}") == []
    assert (await world.get(bob, "/api/v1/search/users", q=ada.username))["items"] == []
    assert [c["author"]["username"] for c in (await world.get(bob, f"/api/v1/posts/{theirs['id']}/comments"))["items"]] == []
    feed = await world.get(bob, "/api/v1/feed", order="recent")
    assert {p["id"] for p in feed["items"]} & {p["id"] for p in mine} == set()
    resp = await client.post("/api/v1/sessions", json={"username": ada.username, "password": ada.password})
    assert resp.status == 401
    # The username rests for 30 days.
    resp = await client.post("/api/v1/accounts", json={"username": ada.username, "password": "another password"})
    assert resp.status == 409

    # Then the erasure: nothing of the account in Neo4j, S3 or Elasticsearch.
    await app[ERASURE].wait(int(ada.id))
    assert await eventually(lambda: _gone_everywhere(app, int(ada.id), keys, post_ids), timeout=60)
    bob_post = await world.get(bob, f"/api/v1/posts/{theirs['id']}")
    assert bob_post["like_count"] == 0 and bob_post["comment_count"] == 0
    assert (await world.get(bob, f"/api/v1/users/{bob.username}"))["followers_count"] == 0


async def test_password_guesses_at_deletion_are_limited(client, world):
    ada = await world.signup("delguess")
    for _ in range(10):
        assert (await client.delete("/api/v1/me", json={"password": "a guess!"}, headers=ada.auth)).status == 403
    resp = await client.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
    assert (await client.get("/api/v1/me", headers=ada.auth)).status == 200          # still there


async def test_an_erasure_cut_short_by_sigkill_is_finished_by_the_sweep(settings, aiohttp_client, unique):
    env = {"RAYGRAM_ERASE_LEASE_S": "3", "RAYGRAM_ERASE_BATCH": "1", "RAYGRAM_SIGNUPS_PER_ADDRESS": "1000"}
    gateway = await asyncio.to_thread(GatewayProcess(settings, free_port(), env).__enter__)
    try:
        async with aiohttp.ClientSession(gateway.url) as http:
            world = World(http, unique)
            ada = await world.signup("killada")
            for i in range(6):
                await world.post(ada, [TINY, TINY, TINY], caption=f"post {i}")
            survivor_app = create_app(dataclasses.replace(settings, erase_sweep_s=1.0))
            resp = await http.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
            assert resp.status == 204, await resp.text()
        os.kill(gateway.proc.pid, signal.SIGKILL)
        await asyncio.to_thread(gateway.proc.wait, 10)
    finally:
        await asyncio.to_thread(gateway.__exit__, None, None, None)
    survivor = await aiohttp_client(survivor_app, headers={"X-Forwarded-For": f"test-client-{unique}"})
    app = survivor.app
    owned = await _owned(app[NEO4J], int(ada.id))
    # Killed mid-erasure (one row per step, the kill right after the answer): the node, deleted
    # last, is still there, whatever else the killed gateway got through.
    assert owned["users"] == 1, owned
    keys, post_ids = owned["keys"], owned["posts"]
    assert await eventually(lambda: _gone_everywhere(app, int(ada.id), keys, post_ids), timeout=90)
