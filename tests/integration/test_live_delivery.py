"""Live delivery survives what it is meant to survive: shard restarts, rescaling, a crashed
gateway, retried fan-outs, and readers who only listen."""
from __future__ import annotations

import asyncio
import json
import os
import signal

import aiohttp

from actors import scaling
from core import redis_keys
from core.clock import now_ms
from gateway.keys import REDIS, SHARDS
from live.presence import Presence
from stack.gateway_process import GatewayProcess, free_port
from tests import images

from .test_stream import next_event
from .world import World, eventually

TINY = images.jpeg(16, 16)


async def feed_ids(world: World, who) -> list[str]:
    return [p["id"] for p in (await world.get(who, "/api/v1/feed"))["items"]]


async def test_a_connected_reader_who_never_reads_still_gets_posts_after_the_shards_sweep(isolated_client, unique):
    """The cause of bench.live's misses on a slow machine: the shards' periodic sweep evicted the
    timelines of connected readers who had never read (their last read was 'never'), and a reader
    without a timeline got no feed.post. Opening 2,000 sockets took longer than one sweep."""
    client = await isolated_client(feed_pending_sweep_s=0.3)
    world = World(client, unique)
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        await asyncio.sleep(2.0)          # several sweeps while bob only listens
        post = await world.post(ada, [TINY])
        event = await next_event(ws, timeout=10)
    assert (event["type"], event["data"]["id"]) == ("feed.post", post["id"])


async def test_killing_every_shard_worker_does_not_silence_an_open_socket(isolated_client, unique):
    client = await isolated_client()
    world = World(client, unique)
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        first = await world.post(ada, [TINY])
        assert (await next_event(ws))["data"]["id"] == first["id"]
        for handle in client.app[SHARDS].handles:
            os.kill((await handle.ping.remote())["pid"], signal.SIGKILL)
        second = await world.post(ada, [TINY])             # Ray restarts the shards meanwhile
        event = await next_event(ws, timeout=30)
    assert (event["type"], event["data"]["id"]) == ("feed.post", second["id"])
    assert (await feed_ids(world, bob))[:2] == [second["id"], first["id"]]


async def test_rescaling_the_shards_keeps_live_delivery_going(client, world, settings):
    redis = client.app[REDIS]
    ada, readers = await world.signup("ada"), [await world.signup(f"r{i}") for i in range(4)]
    for reader in readers:
        await world.follow(reader, ada)
    start = await client.app[SHARDS].count()
    sockets = [await client.ws_connect("/api/v1/stream", headers=r.auth) for r in readers]
    try:
        for count in (start + 3, start):
            await scaling.scale(settings, redis, count)
            post = await world.post(ada, [TINY])
            for ws in sockets:
                event = await next_event(ws, timeout=15)
                assert (event["type"], event["data"]["id"]) == ("feed.post", post["id"])
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


async def test_a_killed_gateways_readers_are_no_longer_present_once_the_ttl_passes(settings, client, world):
    bob = await world.signup("bob")
    presence = Presence(client.app[REDIS], 2.0, settings.event_live_window_s)
    env = {"RAYGRAM_PRESENCE_TTL_S": "2", "RAYGRAM_TRUSTED_PROXIES": ""}
    with GatewayProcess(settings, free_port(), env) as gw:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{gw.url}/api/v1/stream", headers=bob.auth)
            await asyncio.sleep(2.5)                        # refreshed meanwhile: still present
            assert await presence.online_among([int(bob.id)], now_ms()) == {int(bob.id)}
            os.kill(gw.proc.pid, signal.SIGKILL)
            gone = await eventually(lambda: _absent(presence, int(bob.id)), timeout=10)
            assert gone, "presence outlived its gateway by more than the TTL"
            await ws.close()


async def _absent(presence: Presence, user_id: int) -> bool:
    return not await presence.online_among([user_id], now_ms())


async def test_a_fan_out_retried_by_the_sweep_reaches_the_socket_live(isolated_client, unique):
    client = await isolated_client(feed_pending_sweep_s=1.0)
    no_fanout = await isolated_client(feed_strategy="pull")
    world, writer = World(client, unique), World(no_fanout, unique)
    author, reader = await world.signup("author"), await world.signup("reader")
    await world.follow(reader, author)
    for handle in client.app[SHARDS].handles:
        await handle.ping.remote()                          # every shard's sweeper is running
    async with client.ws_connect("/api/v1/stream", headers=reader.auth) as ws:
        post = await writer.post(author, [TINY])            # committed, never fanned out
        # The command as the gateway records it before the first try (which 'failed' here).
        await client.app[REDIS].hset(redis_keys.fanout_pending(), post["id"], json.dumps(
            {"author": int(author.id), "at": now_ms() - 5000, "promote": False, "live": True}))
        event = await next_event(ws, timeout=30)
        assert (event["type"], event["data"]["id"]) == ("feed.post", post["id"]), event
        # Retried again (say the sweep raced a slow first try): nothing twice.
        await client.app[REDIS].hset(redis_keys.fanout_pending(), post["id"], json.dumps(
            {"author": int(author.id), "at": now_ms() - 5000, "promote": False, "live": True}))
        await eventually(lambda: _cleared(client, post["id"]), timeout=15)
        try:
            again = await next_event(ws, timeout=1.5)
        except asyncio.TimeoutError:
            again = None
    assert again is None, again


async def _cleared(client, post_id: str) -> bool:
    return not await client.app[REDIS].hexists(redis_keys.fanout_pending(), post_id)


async def test_a_replay_after_the_urls_expired_renders_fresh_ones(isolated_client, unique):
    client = await isolated_client(media_url_ttl_s=2)
    world = World(client, unique)
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        post = await world.post(ada, [TINY])
        live = await next_event(ws)
    # A URL lives until the end of the window after the one it was signed in: at most 2 x 2 s.
    await asyncio.sleep(4.5)                               # the live frame's URLs are dead now
    async with aiohttp.ClientSession() as http:
        async with http.get(live["data"]["media"][0]["urls"]["thumb"]) as resp:
            assert resp.status == 403, "the first URL should have expired"
        resume = f"/api/v1/stream?last_event_id={int(live['id']) - 1}"
        async with client.ws_connect(resume, headers=bob.auth) as ws:
            replayed = await next_event(ws)
        assert (replayed["id"], replayed["data"]["id"]) == (live["id"], post["id"])
        async with http.get(replayed["data"]["media"][0]["urls"]["thumb"]) as resp:
            assert resp.status == 200


async def test_a_resume_after_unfollowing_replays_nothing_of_that_author(client, world):
    ada, bob, cy = await world.signup("ada"), await world.signup("bob"), await world.signup("cy")
    await world.follow(bob, ada)
    mine = await world.post(bob, [TINY])
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        post = await world.post(ada, [TINY])
        seen = await next_event(ws)
    assert seen["data"]["id"] == post["id"]
    resp = await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth)
    assert resp.status == 204
    await client.put(f"/api/v1/posts/{mine['id']}/like", headers=cy.auth)   # something bob may see
    async with client.ws_connect(f"/api/v1/stream?last_event_id={int(seen['id']) - 1}", headers=bob.auth) as ws:
        first = await next_event(ws)
    assert first["type"] == "notification" and first["data"]["actor"]["username"] == cy.username


async def test_a_deleted_posts_feed_post_is_not_replayed_but_its_delete_is(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        post = await world.post(ada, [TINY])
        seen = await next_event(ws)
        assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 204
        gone = await next_event(ws)
    assert gone["type"] == "feed.delete"
    async with client.ws_connect(f"/api/v1/stream?last_event_id={int(seen['id']) - 1}", headers=bob.auth) as ws:
        replayed = await next_event(ws)
    assert replayed == gone
