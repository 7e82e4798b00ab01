"""Issue 21, streams: an account's open streams (the v1 WebSocket and the Mastodon streams
together, over every gateway process) are capped, the oldest closed with a clear code; slots of
a process that died lapse; Mastodon streams whose Last-Event-ID the log no longer reaches end
with a resync; ``user:notification`` carries notifications only."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from core import redis_keys
from gateway.app import create_app
from gateway.keys import EVENTS, LIVE, REDIS, SETTINGS
from gateway.mastodon import stream_events
from core import live_protocol as protocol
from live.hub import Subscriber
from stores.stream_slots import StreamSlots

from .mastodon_http import password_token
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


async def _read_sse_until_end(resp: aiohttp.ClientResponse, timeout: float = 15.0) -> list[str]:
    """Raw lines of an SSE response up to its end (heartbeat comments dropped)."""
    lines = []
    while True:
        try:
            raw = await asyncio.wait_for(resp.content.readline(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no end after {lines}") from None
        if not raw:
            return lines
        line = raw.decode().rstrip("\n")
        if line not in ("", ":)", ":thump"):
            lines.append(line)


async def test_sixty_streams_on_one_account_keep_the_newest_twenty_across_processes(
        world, mastodon_url, aiohttp_client, settings, unique):
    reader = await world.signup("mdstreams")
    cap = world.client.app[SETTINGS].streams_per_account
    assert cap == 20
    other_process = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"other-{unique}"})
    async with aiohttp.ClientSession() as session:
        token = await password_token(session, mastodon_url, reader.username, reader.password)
        bearer = {"Authorization": f"Bearer {token}"}
        # The oldest stream: the v1 WebSocket, held by another gateway "process" (its own hub and
        # pub/sub connection), so the eviction must travel through Redis.
        oldest = await other_process.ws_connect("/api/v1/stream", headers=reader.auth)
        streams = []
        for _ in range(59):
            resp = await session.get(f"{mastodon_url}/api/v1/streaming/user", headers=bearer)
            assert resp.status == 200       # opening always works: it is the oldest that goes
            streams.append(resp)

        closing = await oldest.receive(timeout=15)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert (oldest.close_code, closing.extra) == (protocol.TOO_MANY_STREAMS, protocol.TOO_MANY_STREAMS_REASON)
        for resp in streams[:59 - cap]:
            lines = await _read_sse_until_end(resp)
            assert lines == ["event: error", f"data: {json.dumps({'error': protocol.TOO_MANY_STREAMS_REASON})}"]
        assert await world.client.app[REDIS].zcard(redis_keys.stream_slots(int(reader.id))) == cap
        # The newest twenty still stream: one live event reaches the newest.
        author = await world.signup("mdstreamsauthor")
        await world.follow(author, reader)
        mine = await world.post(reader, caption="to be liked")
        resp = await world.client.put(f"/api/v1/posts/{mine['id']}/like", headers=author.auth)
        assert resp.status == 200
        newest = streams[-1]
        while True:
            line = (await asyncio.wait_for(newest.content.readline(), 15)).decode().strip()
            if line == "event: notification":
                break
        for resp in streams:
            resp.close()
        await oldest.close()


async def test_slots_of_a_dead_process_lapse_and_a_missed_eviction_is_found_at_refresh(client, unique):
    redis = client.app[REDIS]
    user = 10**15 + int(unique, 16)
    slots = StreamSlots(redis, cap=2, ttl_s=1)
    assert await slots.claim(user, f"{unique}-a", 1) == []
    assert await slots.claim(user, f"{unique}-b", 2) == []
    assert await slots.claim(user, f"{unique}-c", 3) == [f"{unique}-a"]         # the oldest goes
    # Its process missed the message: its refresh finds the slot gone; the others are kept.
    assert await slots.refresh([(user, f"{unique}-a"), (user, f"{unique}-b")]) == [(user, f"{unique}-a")]
    # b's and c's process dies: no refresh, their slots lapse, and a new stream evicts nobody.
    await asyncio.sleep(2.2)
    assert await slots.claim(user, f"{unique}-d", 4) == []
    assert await redis.zrange(redis_keys.stream_slots(user), 0, -1) == [f"{unique}-d".encode()]
    await slots.release(user, f"{unique}-d")
    assert await redis.zcard(redis_keys.stream_slots(user)) == 0


async def _gap(world, account) -> tuple[int, int]:
    """Events logged for ``account``, the oldest trimmed away: (an id before the gap, the first kept)."""
    events, redis = world.client.app[EVENTS], world.client.app[REDIS]
    ids = [await events.append(int(account.id), protocol.inline("test.marker", {"n": i})) for i in range(4)]
    await redis.xtrim(redis_keys.event_log(int(account.id)), minid=f"{ids[2]}-0", approximate=False)
    return ids[0], ids[2]


async def test_mastodon_streams_resync_on_a_gap(world, mastodon_url):
    reader = await world.signup("mdgap")
    async with aiohttp.ClientSession() as session:
        token = await password_token(session, mastodon_url, reader.username, reader.password)
        before, first_kept = await _gap(world, reader)
        resp = await session.get(f"{mastodon_url}/api/v1/streaming/user",
                                 headers={"Authorization": f"Bearer {token}", "Last-Event-ID": str(before)})
        assert resp.status == 200
        lines = await _read_sse_until_end(resp)
        assert lines[-1] == f"id: {first_kept - 1}" and lines[0].startswith(":resync"), lines

        ws_url = mastodon_url.replace("http://", "ws://") + "/api/v1/streaming"
        async with session.ws_connect(ws_url, params={"stream": "user", "access_token": token,
                                                      "last_event_id": str(before)}) as ws:
            msg = await ws.receive(timeout=15)
            assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4010
            assert msg.extra.startswith("resync") and str(first_kept - 1) in msg.extra


async def test_user_notification_carries_only_notifications(world, mastodon_url):
    reader = await world.signup("mdnotes")
    author = await world.signup("mdnotesauthor")
    await world.follow(reader, author)
    mine = await world.post(reader, caption="like me")
    async with aiohttp.ClientSession() as session:
        token = await password_token(session, mastodon_url, reader.username, reader.password)
        ws_url = mastodon_url.replace("http://", "ws://") + "/api/v1/streaming"
        async with session.ws_connect(ws_url, params={"stream": "user:notification", "access_token": token}) as ws:
            await world.post(author, caption="an update the notification stream must not carry")
            resp = await world.client.put(f"/api/v1/posts/{mine['id']}/like", headers=author.auth)
            assert resp.status == 200
            message = json.loads((await ws.receive(timeout=30)).data)
            assert message["event"] == "notification" and message["stream"] == ["user:notification"]
            assert json.loads(message["payload"])["type"] == "favourite"
            # Subscribing to user too: the next event comes once per stream carrying it.
            await ws.send_str(json.dumps({"type": "subscribe", "stream": "user"}))
            await asyncio.sleep(0.5)
            post = await world.post(author, caption="now the user stream carries this")
            message = json.loads((await ws.receive(timeout=30)).data)
            assert (message["event"], message["stream"]) == ("update", ["user"])
            assert json.loads(message["payload"])["id"] == post["id"]

        sse = await session.get(f"{mastodon_url}/api/v1/streaming/user/notification",
                                headers={"Authorization": f"Bearer {token}"})
        assert sse.status == 200
        await world.post(author, caption="not for the notification stream")
        other = await world.signup("mdnotesother")
        assert (await world.client.put(f"/api/v1/posts/{mine['id']}/like", headers=other.auth)).status == 200
        while True:
            line = (await asyncio.wait_for(sse.content.readline(), 30)).decode().strip()
            if line.startswith("event:"):
                assert line == "event: notification"
                break
        sse.close()


async def test_a_notification_only_subscriber_never_receives_feed_events(client, unique):
    """The hub filters by kind before the queue: no rendering, no queue room for the rest."""
    hub, events = client.app[LIVE], client.app[EVENTS]
    user = 10**15 + int(unique, 16)
    notes = Subscriber(user, 16, kinds=stream_events.kinds([stream_events.USER_NOTIFICATION]))
    every = Subscriber(user, 16)
    await hub.attach(notes)
    await hub.attach(every)
    try:
        ids = [await events.append(user, ref) for ref in (protocol.feed_post(1, 2), protocol.feed_update(1, 2),
                                                          protocol.notification(3), protocol.feed_delete(1))]
        got = [(await asyncio.wait_for(every.queue.get(), 10))[0] for _ in ids]
        assert got == ids                   # after the last one, notes has been offered all of them
        assert notes.queue.qsize() == 1 and notes.queue.get_nowait()[0] == ids[2]
    finally:
        await hub.detach(notes)
        await hub.detach(every)
