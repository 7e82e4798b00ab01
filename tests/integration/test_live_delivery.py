"""Live delivery keeps working for readers who only hold a socket (never read the REST feed)."""
from __future__ import annotations

import asyncio

from tests import images

from .test_stream import next_event
from .world import World

TINY = images.jpeg(16, 16)


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
