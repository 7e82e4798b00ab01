"""A client reads its state over REST, then opens the live stream where that read left off
(Zulip's register handshake): nothing posted in between is lost, and a reader back after the live
window is told to resync instead of silently missing posts."""
from __future__ import annotations

import asyncio

from tests import images

from .test_stream import next_event
from .world import World

TINY = images.jpeg(16, 16)


async def test_a_post_made_between_the_feed_read_and_the_socket_is_replayed(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    page = await world.get(bob, "/api/v1/feed", limit=20)
    assert page["items"] == [] and page["last_event_id"].isdigit()
    post = await world.post(ada, [TINY])                      # bob holds no socket yet
    async with client.ws_connect(f"/api/v1/stream?last_event_id={page['last_event_id']}", headers=bob.auth) as ws:
        event = await next_event(ws)
    assert (event["type"], event["data"]["id"]) == ("feed.post", post["id"])


async def test_notifications_name_the_resume_point_on_their_first_page_only(world):
    ada, bob, cy = await world.signup("ada"), await world.signup("bob"), await world.signup("cy")
    await world.follow(bob, ada)
    await world.follow(cy, ada)
    first = await world.get(ada, "/api/v1/notifications", limit=1)
    assert int(first["last_event_id"]) >= 1 and first["next_cursor"]
    more = await world.get(ada, "/api/v1/notifications", limit=1, cursor=first["next_cursor"])
    assert "last_event_id" not in more


async def test_a_reader_back_after_the_live_window_is_told_to_resync(isolated_client, unique):
    client = await isolated_client(event_live_window_s=2)
    world = World(client, unique)
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    last = (await world.get(bob, "/api/v1/feed"))["last_event_id"]
    await asyncio.sleep(2.5)                                  # bob is away longer than the window
    await world.post(ada, [TINY])
    async with client.ws_connect(f"/api/v1/stream?last_event_id={last}", headers=bob.auth) as ws:
        first = await next_event(ws)
    assert first["type"] == "resync" and first["data"]["missed_after"] == last
