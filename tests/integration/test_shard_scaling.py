"""`raygram shards scale N` while serving: every feed intact, readers moved to their new shard."""
from __future__ import annotations

from actors import scaling
from feed.sharding import shard_of
from gateway.keys import REDIS, SHARDS
from tests import images

from .test_feed import feed_ids

TINY = images.jpeg(16, 16)


async def test_scaling_up_and_back_keeps_every_feed(client, world, settings):
    redis = client.app[REDIS]
    authors = [await world.signup(f"a{i}") for i in range(2)]
    readers = [await world.signup(f"r{i}") for i in range(8)]
    for reader in readers:
        for author in authors:
            await world.follow(reader, author)
        await feed_ids(world, reader)
    expected = []
    for author in authors:
        expected.append((await world.post(author, [TINY]))["id"])
    expected.reverse()
    before = {r.username: await feed_ids(world, r) for r in readers}
    assert all(ids == expected for ids in before.values())

    start = await client.app[SHARDS].count()
    try:
        result = await scaling.scale(settings, redis, start + 3)
        assert result["to"] == start + 3
        moved_readers = [r for r in readers if shard_of(int(r.id), start) != shard_of(int(r.id), start + 3)]
        assert result["readers_moved"] >= len(moved_readers) > 0
        for reader in readers:
            assert await feed_ids(world, reader) == expected
        # A post after the change fans out to the new owners.
        newest = (await world.post(authors[0], [TINY]))["id"]
        for reader in readers:
            assert (await feed_ids(world, reader))[0] == newest
    finally:
        await scaling.scale(settings, redis, start)
    for reader in readers:
        assert (await feed_ids(world, reader))[0] == newest
