"""The live WebSocket stream, with real WebSocket clients."""
from __future__ import annotations

import asyncio
import dataclasses
import json

import aiohttp
import pytest

from gateway.app import create_app
from gateway.keys import EVENTS
from core.live_protocol import SESSION_ENDED, SLOW_CONSUMER
from core import live_protocol as protocol
from tests import images

from .world import World

TINY = images.jpeg(16, 16)


async def next_event(ws, timeout: float = 5.0) -> dict:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def test_a_like_reaches_the_authors_socket(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    post = await world.post(ada, [TINY])
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        await client.put(f"/api/v1/posts/{post['id']}/like", headers=bob.auth)
        event = await next_event(ws)
    assert event["type"] == "notification"
    assert event["data"]["type"] == "like" and event["data"]["actor"]["username"] == bob.username
    assert int(event["id"]) > 0


async def test_a_followees_post_arrives_as_feed_post(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    async with client.ws_connect(f"/api/v1/stream?token={bob.token}") as ws:
        post = await world.post(ada, [TINY], caption="live!")
        event = await next_event(ws)
    assert event["type"] == "feed.post"
    assert event["data"]["id"] == post["id"] and event["data"]["caption"] == "live!"
    assert event["data"]["media"][0]["urls"]["thumb"].startswith("http")


async def test_a_celebritys_post_reaches_connected_followers_live(isolated_client, unique):
    client = await isolated_client(feed_celebrity_threshold=1)
    world = World(client, unique)
    star, a, b = await world.signup("star"), await world.signup("a"), await world.signup("b")
    await world.follow(a, star), await world.follow(b, star)
    async with client.ws_connect("/api/v1/stream", headers=a.auth) as ws:
        post = await world.post(star, [TINY])
        event = await next_event(ws)
        assert (event["type"], event["data"]["id"]) == ("feed.post", post["id"])
        await client.delete(f"/api/v1/posts/{post['id']}", headers=star.auth)
        event = await next_event(ws)
        assert event == {"id": event["id"], "type": "feed.delete", "data": {"post_id": post["id"]}}


async def test_reconnecting_with_last_event_id_replays_exactly_the_missed_events(client, world):
    ada = await world.signup("ada")
    fans = [await world.signup(f"f{i}") for i in range(6)]
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        await world.follow(fans[0], ada)
        first = await next_event(ws)
    for fan in fans[1:]:                                  # while disconnected
        await world.follow(fan, ada)
    async with client.ws_connect(f"/api/v1/stream?last_event_id={first['id']}", headers=ada.auth) as ws:
        missed = [await next_event(ws) for _ in fans[1:]]
        await world.follow(await world.signup("late"), ada)    # live, after the replay
        live = await next_event(ws)
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.5)                 # nothing twice
    assert [e["data"]["actor"]["username"] for e in missed] == [f.username for f in fans[1:]]
    ids = [int(e["id"]) for e in [first, *missed, live]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_invalid_tokens_are_refused(client):
    for kwargs in ({}, {"headers": {"Authorization": "Bearer nope"}}, {"params": {"token": "nope"}}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            async with client.ws_connect("/api/v1/stream", **kwargs):
                pass
        assert info.value.status == 401


async def test_ping_gets_pong(client, world):
    ada = await world.signup("ada")
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        await ws.send_str(json.dumps({"type": "ping"}))
        assert await next_event(ws) == {"type": "pong"}


async def test_a_slow_reader_is_cut_off_and_loses_nothing_on_resume(aiohttp_client, settings, unique):
    client = await aiohttp_client(create_app(dataclasses.replace(settings, ws_queue_max=4)),
                                  headers={"X-Forwarded-For": f"test-client-{unique}"})
    ada = await World(client, unique).signup("ada")
    events = client.app[EVENTS]
    blob = "x" * 64 * 1024
    async with client.ws_connect("/api/v1/stream", headers=ada.auth, max_msg_size=0) as ws:
        # Never reading while 400 x 64 KB pile up: kernel buffers fill, then the queue, then the cut.
        ids = [await events.append(int(ada.id), protocol.inline("notification", {"blob": blob, "n": n}))
               for n in range(400)]
        received = []
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            received.append(json.loads(msg.data))
        assert ws.close_code == SLOW_CONSUMER
    assert len(received) < len(ids)
    last = received[-1]["id"] if received else str(ids[0] - 1)
    async with client.ws_connect(f"/api/v1/stream?last_event_id={last}", headers=ada.auth, max_msg_size=0) as ws:
        rest = [await next_event(ws, timeout=5) for _ in range(len(ids) - len(received))]
    got = [int(e["id"]) for e in received + rest]
    assert got == ids, "every event exactly once, in order"


async def _closed_with(ws, timeout: float) -> tuple[list[dict], aiohttp.WSMessage]:
    """Frames received until the socket closes, and the closing message."""
    frames = []
    while True:
        msg = await ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return frames, msg
        frames.append(json.loads(msg.data))


async def test_logout_closes_the_sessions_socket_and_nothing_more_arrives(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    second = await client.post("/api/v1/sessions", json={"username": ada.username, "password": ada.password})
    other_auth = {"Authorization": f"Bearer {(await second.json())['token']}"}
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws, \
            client.ws_connect("/api/v1/stream", headers=other_auth) as other:
        assert (await client.delete("/api/v1/sessions/current", headers=ada.auth)).status == 204
        await world.follow(bob, ada)                        # an event for ada, after the logout
        frames, closing = await _closed_with(ws, timeout=5)
        assert frames == [], "nothing reaches a revoked session's socket"
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == SESSION_ENDED, closing
        event = await next_event(other)
        assert event["type"] == "notification", "the account's other session keeps its socket"


async def test_a_socket_closes_when_its_session_expires(aiohttp_client, settings, unique):
    client = await aiohttp_client(create_app(dataclasses.replace(settings, session_ttl_s=2)),
                                  headers={"X-Forwarded-For": f"test-client-{unique}"})
    ada = await World(client, unique).signup("ada")
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        frames, _ = await _closed_with(ws, timeout=6)
        assert ws.close_code == SESSION_ENDED and frames == []
