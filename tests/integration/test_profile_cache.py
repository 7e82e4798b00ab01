"""A profile's posts (``GET /api/v1/users/{username}/posts``) are kept by the gateway process
under change marks in Redis (usecases/author_posts.py, stores/profile_marks.py): the post ids
and whether the viewer may see them. Every test reads first (so both are cached), changes
something through the public API, and reads again at once: the next read must be right.

A second app (another gateway process: its own caches, the same Redis and Neo4j) checks that a
change made through one is seen by the other at once.
"""
from __future__ import annotations

import pytest

from core import redis_keys
from gateway.app import create_app
from gateway.keys import AUTHOR_POSTS, REDIS

pytestmark = pytest.mark.integration


async def _grid(world, viewer, author, client=None) -> tuple[int, list[int]]:
    """(status, post ids) of the author's first profile page as the viewer reads it."""
    resp = await (client or world.client).get(f"/api/v1/users/{author.username}/posts", params={"limit": "20"},
                                              headers=viewer.auth)
    if resp.status != 200:
        return resp.status, []
    return 200, [int(p["id"]) for p in (await resp.json())["items"]]


async def _cached_twice(world, viewer, author, client=None) -> tuple[int, list[int]]:
    first = await _grid(world, viewer, author, client)
    assert await _grid(world, viewer, author, client) == first          # the second from the cache
    return first


async def test_posts_published_and_deleted_show_at_once_for_everyone(world, client):
    ada, bob = await world.signup("pca"), await world.signup("pcb")
    one = int((await world.post(ada, caption="one"))["id"])
    assert await _cached_twice(world, bob, ada) == (200, [one])
    assert await _cached_twice(world, ada, ada) == (200, [one])
    assert len(client.app[AUTHOR_POSTS]._ids) > 0                      # the cached path is what is tested

    two = int((await world.post(ada, caption="two"))["id"])
    assert await _grid(world, ada, ada) == (200, [two, one])             # the author at once
    assert await _grid(world, bob, ada) == (200, [two, one])

    assert (await client.delete(f"/api/v1/posts/{two}", headers=ada.auth)).status == 204
    assert await _grid(world, bob, ada) == (200, [one])
    assert await _grid(world, ada, ada) == (200, [one])

    # A caption edit and a like: the bodies and the flags are this read's, not the cached page's.
    resp = await client.patch(f"/api/v1/posts/{one}", json={"caption": "one, edited"}, headers=ada.auth)
    assert resp.status == 200
    assert (await client.put(f"/api/v1/posts/{one}/like", headers=bob.auth)).status in (200, 204)
    page = await world.get(bob, f"/api/v1/users/{ada.username}/posts", limit="20")
    assert [(p["caption"], p["liked_by_me"], p["like_count"]) for p in page["items"]] == [("one, edited", True, 1)]

    assert (await client.delete(f"/api/v1/posts/{one}", headers=ada.auth)).status == 204
    assert await _grid(world, bob, ada) == (200, [])


async def test_a_private_accounts_posts_follow_every_change_of_who_follows(world, client):
    ada, bob = await world.signup("pcpa", private=True), await world.signup("pcpb")
    post = int((await world.post(ada, caption="for followers"))["id"])
    assert await _cached_twice(world, bob, ada) == (403, [])

    assert await world.follow(bob, ada) == "requested"
    assert await _grid(world, bob, ada) == (403, [])
    resp = await client.post(f"/api/v1/me/follow-requests/{bob.username}/accept", headers=ada.auth)
    assert resp.status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (200, [post])

    # Removed as a follower: hidden at once.
    assert (await client.delete(f"/api/v1/me/followers/{bob.username}", headers=ada.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (403, [])

    # Follows again, accepted, then unfollows.
    await world.follow(bob, ada)
    await client.post(f"/api/v1/me/follow-requests/{bob.username}/accept", headers=ada.auth)
    assert await _cached_twice(world, bob, ada) == (200, [post])
    assert (await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (403, [])

    # The account goes public, then private again.
    assert (await client.patch("/api/v1/me", json={"private": False}, headers=ada.auth)).status == 200
    assert await _cached_twice(world, bob, ada) == (200, [post])
    assert (await client.patch("/api/v1/me", json={"private": True}, headers=ada.auth)).status == 200
    assert await _cached_twice(world, bob, ada) == (403, [])
    assert await _grid(world, ada, ada) == (200, [post])                # the author still sees them


async def test_blocks_either_way_hide_the_profile_at_once(world, client):
    ada, bob = await world.signup("pcba"), await world.signup("pcbb")
    post = int((await world.post(ada))["id"])
    await world.follow(bob, ada)
    assert await _cached_twice(world, bob, ada) == (200, [post])

    assert (await client.put(f"/api/v1/users/{bob.username}/block", headers=ada.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (404, [])
    assert (await client.delete(f"/api/v1/users/{bob.username}/block", headers=ada.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (200, [post])

    assert (await client.put(f"/api/v1/users/{ada.username}/block", headers=bob.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (404, [])
    assert (await client.delete(f"/api/v1/users/{ada.username}/block", headers=bob.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (200, [post])

    # A mute hides nothing on a profile.
    assert (await client.put(f"/api/v1/users/{ada.username}/mute", headers=bob.auth)).status in (200, 204)
    assert await _cached_twice(world, bob, ada) == (200, [post])


async def test_a_deleted_account_is_not_found_at_once(world, client):
    ada, bob = await world.signup("pcda"), await world.signup("pcdb")
    post = int((await world.post(ada))["id"])
    assert await _cached_twice(world, bob, ada) == (200, [post])
    resp = await client.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
    assert resp.status == 204
    assert await _grid(world, bob, ada) == (404, [])


async def test_a_change_through_one_gateway_process_shows_at_once_on_another(world, client, aiohttp_client,
                                                                              settings, unique):
    other = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
    ada, bob = await world.signup("pcga"), await world.signup("pcgb")
    one = int((await world.post(ada))["id"])
    assert await _cached_twice(world, bob, ada, other) == (200, [one])
    assert await _cached_twice(world, ada, ada, other) == (200, [one])

    two = int((await world.post(ada))["id"])                           # through the first app
    assert await _grid(world, ada, ada, other) == (200, [two, one])
    assert await _grid(world, bob, ada, other) == (200, [two, one])
    assert (await client.put(f"/api/v1/users/{bob.username}/block", headers=ada.auth)).status in (200, 204)
    assert await _grid(world, bob, ada, other) == (404, [])
    assert (await client.delete(f"/api/v1/users/{bob.username}/block", headers=ada.auth)).status in (200, 204)
    assert (await client.patch("/api/v1/me", json={"private": True}, headers=ada.auth)).status == 200
    assert await _cached_twice(world, bob, ada, other) == (403, [])


async def test_the_marks_move_after_the_writes(world, client):
    """Reads store what they saw under marks read before the graph: a mark that does not move
    would keep a stale page; check that each write moves its mark in Redis."""
    ada, bob = await world.signup("pcma"), await world.signup("pcmb")
    redis = client.app[REDIS]
    author_key, pair_key = redis_keys.author_posts_mark(int(ada.id)), redis_keys.pair_mark(int(bob.id), int(ada.id))
    before = await redis.get(author_key)
    post = await world.post(ada)
    after_post = await redis.get(author_key)
    assert after_post is not None and after_post != before
    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 204
    assert await redis.get(author_key) != after_post

    marks = [await redis.get(pair_key)]
    await world.follow(bob, ada)
    marks.append(await redis.get(pair_key))
    await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth)
    marks.append(await redis.get(pair_key))
    assert len(set(marks)) == 3 and redis_keys.pair_mark(1, 2) == redis_keys.pair_mark(2, 1)
