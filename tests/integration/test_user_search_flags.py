"""User search answers without a graph read (usecases/seen_accounts.py): the caller's
relationships from Redis (stores/relations.py), profiles and counts from the index's documents.
Every test makes both accounts findable first, then changes something through the public API and
searches at once, from both sides and through a second app (another gateway process: the same
Redis, Neo4j and Elasticsearch): the flags and the block filter must be right on the next read,
and the same when read again (then from the cache).
"""
from __future__ import annotations

import pytest

from core import redis_keys
from core import relationship_bits as rb
from gateway.app import create_app
from gateway.keys import NEO4J, REDIS
from stores.relations import Relations

from .world import eventually

pytestmark = pytest.mark.integration

NONE = {"following": False, "requested": False, "followed_by": False, "blocking": False, "muting": False}


async def _row(client, viewer, target) -> dict | None:
    """``target`` as ``viewer`` finds it by its username (None: left out)."""
    resp = await client.get("/api/v1/search/users", params={"q": target.username}, headers=viewer.auth)
    assert resp.status == 200, await resp.text()
    return next((u for u in (await resp.json())["items"] if u["id"] == target.id), None)


async def _relationship(client, viewer, target) -> dict | None:
    first = await _row(client, viewer, target)
    second = await _row(client, viewer, target)             # from the cache the first one built
    # Flags (or being left out) only: the counts in a row may move between the two reads, as the
    # follow just made reaches the account's document (about 1 s later).
    assert (second and second["relationship"]) == (first and first["relationship"])
    return first and first["relationship"]


@pytest.fixture
async def pair(world, client, aiohttp_client, settings, unique):
    """Ada and Bob, each findable by the other; the second app."""
    other = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
    ada, bob = await world.signup("usfa"), await world.signup("usfb")
    for viewer, target in ((ada, bob), (bob, ada)):
        assert await eventually(lambda: _row(client, viewer, target))      # indexed (about 1 s)

    async def expect(ada_sees_bob: dict | None, bob_sees_ada: dict | None) -> None:
        for app in (client, other):
            assert await _relationship(app, ada, bob) == ada_sees_bob
            assert await _relationship(app, bob, ada) == bob_sees_ada
    return ada, bob, expect


async def _ok(resp) -> None:
    assert resp.status in (200, 204), await resp.text()


async def test_follows_requests_and_their_answers_show_at_once_on_both_sides(pair, client):
    ada, bob, expect = pair
    await expect(NONE, NONE)
    assert await client.app[REDIS].hexists(redis_keys.relations(int(ada.id)), "built")   # the cached path

    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await expect({**NONE, "followed_by": True}, {**NONE, "following": True})
    await _ok(await client.delete(f"/api/v1/me/followers/{bob.username}", headers=ada.auth))    # removed
    await expect(NONE, NONE)
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await _ok(await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))   # unfollowed
    await expect(NONE, NONE)
    await _ok(await client.put(f"/api/v1/users/{bob.username}/follow", headers=ada.auth))      # the other way
    await expect({**NONE, "following": True}, {**NONE, "followed_by": True})
    await _ok(await client.delete(f"/api/v1/users/{bob.username}/follow", headers=ada.auth))

    # A private account: a request, withdrawn, rejected, accepted; then going public approves one.
    await _ok(await client.patch("/api/v1/me", json={"private": True}, headers=ada.auth))
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await expect(NONE, {**NONE, "requested": True})
    await _ok(await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await expect(NONE, NONE)
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await _ok(await client.post(f"/api/v1/me/follow-requests/{bob.username}/reject", headers=ada.auth))
    await expect(NONE, NONE)
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await _ok(await client.post(f"/api/v1/me/follow-requests/{bob.username}/accept", headers=ada.auth))
    await expect({**NONE, "followed_by": True}, {**NONE, "following": True})
    await _ok(await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await expect(NONE, {**NONE, "requested": True})
    await _ok(await client.patch("/api/v1/me", json={"private": False}, headers=ada.auth))
    await expect({**NONE, "followed_by": True}, {**NONE, "following": True})


async def test_blocks_either_way_leave_the_other_out_at_once_and_mutes_show_only_to_the_muter(pair, client):
    ada, bob, expect = pair
    await _ok(await client.put(f"/api/v1/users/{ada.username}/follow", headers=bob.auth))
    await expect({**NONE, "followed_by": True}, {**NONE, "following": True})

    await _ok(await client.put(f"/api/v1/users/{bob.username}/mute", headers=ada.auth))
    await expect({**NONE, "followed_by": True, "muting": True}, {**NONE, "following": True})
    await _ok(await client.delete(f"/api/v1/users/{bob.username}/mute", headers=ada.auth))
    await expect({**NONE, "followed_by": True}, {**NONE, "following": True})

    await _ok(await client.put(f"/api/v1/users/{bob.username}/block", headers=ada.auth))
    await expect(None, None)
    await _ok(await client.delete(f"/api/v1/users/{bob.username}/block", headers=ada.auth))
    await expect(NONE, NONE)                                   # the block ended the follow
    await _ok(await client.put(f"/api/v1/users/{ada.username}/block", headers=bob.auth))
    await expect(None, None)
    await _ok(await client.delete(f"/api/v1/users/{ada.username}/block", headers=bob.auth))
    await expect(NONE, NONE)


async def test_profile_edits_and_a_deleted_account_show_at_once(pair, client):
    ada, bob, expect = pair
    await expect(NONE, NONE)
    await _ok(await client.patch("/api/v1/me", json={"bio": "Counts things.", "display_name": "Ada L"},
                                 headers=ada.auth))
    seen = await _row(client, bob, ada)
    assert (seen["bio"], seen["display_name"]) == ("Counts things.", "Ada L")
    resp = await client.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
    assert resp.status == 204
    assert await _row(client, bob, ada) is None


async def test_past_the_cap_the_rest_is_asked_of_the_graph(world, client):
    """A celebrity's followers are not all kept: those past the cap come from the graph, exactly."""
    star, fans = await world.signup("usfs"), [await world.signup(f"usf{i}") for i in range(3)]
    for fan in fans:
        await world.follow(fan, star)
    # Each fan follows the star; she follows the first back. Whichever follower the capped
    # rebuild kept, the one she follows is in her hash (as followed) either way: that it follows
    # her too is still asked of the graph.
    await world.follow(star, fans[0])
    relations = Relations(client.app[REDIS], client.app[NEO4J], cap=1)
    await relations.changed(int(star.id))
    ids = [int(f.id) for f in fans]
    want = {ids[0]: rb.FOLLOWED_BY | rb.FOLLOWING, ids[1]: rb.FOLLOWED_BY, ids[2]: rb.FOLLOWED_BY}
    assert await relations.toward(int(star.id), ids) == want                 # rebuilt (capped)
    assert await relations.toward(int(star.id), ids) == want                 # from the capped hash
    assert await client.app[REDIS].hget(redis_keys.relations(int(star.id)), "built") == str(rb.FOLLOWED_BY).encode()


async def test_a_rebuild_that_read_the_graph_before_a_change_writes_nothing(world, client):
    ada, bob = await world.signup("usfra"), await world.signup("usfrb")
    redis = client.app[REDIS]
    relations = Relations(redis, client.app[NEO4J])
    gen_before = await redis.get(redis_keys.relations_gen(int(ada.id)))
    await world.follow(bob, ada)                 # a change lands between the counter read and the write
    stale = [str(int(bob.id)), "0"]
    await relations._build(keys=[redis_keys.relations(int(ada.id)), redis_keys.relations_gen(int(ada.id))],
                           args=[gen_before.decode() if gen_before else "0", 60, 0, *stale])
    assert not await redis.exists(redis_keys.relations(int(ada.id)))
    assert await relations.toward(int(ada.id), [int(bob.id)]) == {int(bob.id): rb.FOLLOWED_BY}
