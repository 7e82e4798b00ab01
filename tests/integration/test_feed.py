"""The home feed through the gateway: fan-out by Ray shard actors, pull for celebrities."""
from __future__ import annotations

import asyncio
import json
import os
import signal

from core import cursors, ids
from core.clock import now_ms
from gateway.keys import SHARDS
from tests import images

from .world import World

TINY = images.jpeg(16, 16)


async def feed_ids(world: World, who, order: str = "recent", limit: int = 20) -> list[str]:
    items = await world.all_pages(f"/api/v1/feed?order={order}", who, limit=limit)
    return [p["id"] for p in items]


async def test_a_follower_sees_a_followees_post_on_the_next_read(client, world):
    ada, bob, eve = await world.signup("ada"), await world.signup("bob"), await world.signup("eve")
    await world.follow(bob, ada)
    assert await feed_ids(world, bob) == []          # bob's timeline is now materialised
    post = await world.post(ada, [TINY], caption="hello #world")
    assert await feed_ids(world, bob) == [post["id"]]
    assert await feed_ids(world, eve) == [], "non-followers never see it"
    assert await feed_ids(world, ada) == [post["id"]], "authors see their own posts"


async def test_a_cold_reader_gets_a_timeline_rebuilt_from_the_graph(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    first = await world.post(ada, [TINY])
    second = await world.post(ada, [TINY])
    assert await feed_ids(world, bob) == [second["id"], first["id"]]


async def test_follow_backfills_and_unfollow_purges(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    older = await world.post(ada, [TINY])
    assert await feed_ids(world, bob) == []
    await world.follow(bob, ada)
    assert await feed_ids(world, bob) == [older["id"]]
    resp = await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth)
    assert resp.status == 204
    assert await feed_ids(world, bob) == []


async def test_delete_purges_the_post_from_every_timeline(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    await feed_ids(world, bob)
    keep = await world.post(ada, [TINY])
    gone = await world.post(ada, [TINY])
    assert (await client.delete(f"/api/v1/posts/{gone['id']}", headers=ada.auth)).status == 204
    assert await feed_ids(world, bob) == [keep["id"]]


async def test_only_approved_followers_get_a_private_accounts_posts(client, world):
    carol, asker, fan = await world.signup("carol", private=True), await world.signup("asker"), await world.signup("fan")
    await world.follow(asker, carol)                     # stays a request
    await world.follow(fan, carol)
    await client.post(f"/api/v1/me/follow-requests/{fan.username}/accept", headers=carol.auth)
    await feed_ids(world, asker), await feed_ids(world, fan)
    post = await world.post(carol, [TINY])
    assert await feed_ids(world, fan) == [post["id"]]
    assert await feed_ids(world, asker) == []


async def test_a_celebritys_post_reaches_followers_by_pull(isolated_client, unique):
    from core import redis_keys
    from gateway.keys import REDIS

    client = await isolated_client(feed_celebrity_threshold=2)
    world = World(client, unique)
    star = await world.signup("star")
    fans = [await world.signup(f"fan{i}") for i in range(3)]
    for fan in fans:
        await world.follow(fan, star)
        assert await feed_ids(world, fan) == []          # timelines materialised before the post
    post = await world.post(star, [TINY])
    # Kept once, for everyone: in the account's recent set, not pushed into timelines.
    assert await client.app[REDIS].zscore(redis_keys.celebrity_posts(int(star.id)), post["id"]) is not None
    for fan in fans:
        assert await feed_ids(world, fan) == [post["id"]]
        assert await feed_ids(world, fan) == [post["id"]]   # now a page the gateway may reuse
    # Nothing is pushed to the fans for a pulled post: the account's mark tells gateways that
    # every page merging it is out of date (feed/read_cache.py).
    second = await world.post(star, [TINY])
    for fan in fans:
        assert await feed_ids(world, fan) == [second["id"], post["id"]]
    late = await world.signup("late")
    await world.follow(late, star)
    assert await feed_ids(world, late) == [second["id"], post["id"]]


async def test_recent_paging_has_no_repeats_or_gaps_while_posts_arrive(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    await feed_ids(world, bob)
    posted = [(await world.post(ada, [TINY]))["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        params = {"order": "recent", "limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = await (await client.get("/api/v1/feed", params=params, headers=bob.auth)).json()
        seen += [p["id"] for p in page["items"]]
        if len(seen) == 3:
            await world.post(ada, [TINY])               # arrives mid-pass: must not shift pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(posted))


async def test_ranked_paging_covers_every_post_exactly_once(client, world):
    ada, bob, cat = await world.signup("ada"), await world.signup("bob"), await world.signup("cat")
    await world.follow(bob, ada), await world.follow(bob, cat)
    await feed_ids(world, bob)
    posted = [(await world.post(who, [TINY]))["id"] for who in (ada, cat, ada, cat, ada)]
    seen, cursor = [], None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        resp = await client.get("/api/v1/feed", params=params, headers=bob.auth)
        assert resp.status == 200
        page = await resp.json()
        seen += [p["id"] for p in page["items"]]
        if len(seen) == 2:
            await world.post(ada, [TINY])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(posted) and len(seen) == len(set(seen))


async def test_a_ranked_cursor_reads_only_its_own_viewers_snapshot(client, world):
    ada, bob, eve = await world.signup("ada"), await world.signup("bob"), await world.signup("eve")
    await world.follow(bob, ada)
    await feed_ids(world, bob)
    posted = [(await world.post(ada, [TINY]))["id"] for _ in range(3)]
    resp = await client.get("/api/v1/feed", params={"limit": "1"}, headers=bob.auth)
    bobs_cursor = (await resp.json())["next_cursor"]
    kind, snapshot, _ = cursors.decode(bobs_cursor, arity=3)
    assert kind == 1, "a ranked pass is frozen in a snapshot"
    # A random 63-bit id read as a time-ordered one lands anywhere in ~69 years, not at "now".
    assert abs(ids.timestamp_ms(snapshot) - now_ms()) > 3_600_000, "not a time-ordered (guessable) id"
    stolen = await client.get("/api/v1/feed", params={"limit": "5", "cursor": bobs_cursor}, headers=eve.auth)
    assert stolen.status == 400
    assert not set(posted) & set(json.dumps(await stolen.json()).split('"')), "none of bob's feed"
    own = await client.get("/api/v1/feed", params={"limit": "5", "cursor": bobs_cursor}, headers=bob.auth)
    assert own.status == 200 and len((await own.json())["items"]) == 2


async def test_the_feed_survives_a_shard_process_being_killed(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    await feed_ids(world, bob)
    posts = [(await world.post(ada, [TINY]))["id"] for _ in range(2)]
    handle = await client.app[SHARDS].for_user(int(bob.id))
    os.kill((await handle.ping.remote())["pid"], signal.SIGKILL)
    for _ in range(60):                                   # Ray restarts the actor
        try:
            await asyncio.wait_for(handle.ping.remote(), 2)
            break
        except Exception:
            await asyncio.sleep(0.5)
    assert await feed_ids(world, bob) == list(reversed(posts))


async def test_feed_parameters_are_validated(client, world):
    ada = await world.signup("ada")
    assert (await client.get("/api/v1/feed", params={"order": "random"}, headers=ada.auth)).status == 422
    assert (await client.get("/api/v1/feed", params={"cursor": "nope"}, headers=ada.auth)).status == 400
    assert (await client.get("/api/v1/feed")).status == 401


async def test_a_fan_out_that_never_completed_is_retried_later(aiohttp_client, isolated_client, settings, unique):
    """A post committed in Neo4j whose fan-out failed (say Neo4j went away mid-way) stays pending
    in Redis; the author's shard re-runs it and the follower gets the post."""
    import json

    from core import redis_keys
    from core.clock import now_ms
    from gateway.keys import REDIS

    client = await isolated_client(feed_pending_sweep_s=1.0)
    no_fanout = await isolated_client(feed_strategy="pull")
    world, writer = World(client, unique), World(no_fanout, unique)
    author, reader = await world.signup("author"), await world.signup("reader")
    await world.follow(reader, author)
    assert await feed_ids(world, reader) == []
    for handle in client.app[SHARDS].handles:
        await handle.ping.remote()                      # every shard's sweeper is running
    post = await writer.post(author, [TINY])            # committed, never fanned out
    assert await feed_ids(world, reader) == []
    await client.app[REDIS].hset(redis_keys.fanout_pending(), post["id"],
                                 json.dumps({"author": int(author.id), "at": now_ms() - 5000}))
    for _ in range(40):
        if await feed_ids(world, reader) == [post["id"]]:
            break
        await asyncio.sleep(0.5)
    assert await feed_ids(world, reader) == [post["id"]]
    assert not await client.app[REDIS].hexists(redis_keys.fanout_pending(), post["id"])


async def test_a_first_page_read_in_one_round_trip_shows_every_change_at_once(client, world):
    """A first page is hydrated speculatively with the marks (usecases/home_feed.first_page): the
    page this process last served, used only while the feed's marks hold. Edits, likes, deletions,
    new posts and blocks must show on the very next read, in both orders, with a resume point."""
    ada, bob, cy = await world.signup("ada"), await world.signup("bob"), await world.signup("cy")
    await world.follow(bob, ada)
    await world.follow(bob, cy)
    first = await world.post(ada, [TINY], caption="first")
    theirs = await world.post(cy, [TINY], caption="theirs")

    async def page(order: str) -> dict:
        return await world.get(bob, "/api/v1/feed", order=order, limit=5)

    for order in ("recent", "ranked", "recent", "ranked"):        # twice: the second is the guess
        body = await page(order)
        assert {p["id"] for p in body["items"]} == {first["id"], theirs["id"]}
        assert int(body["last_event_id"]) >= 0
    resp = await client.patch(f"/api/v1/posts/{first['id']}", json={"caption": "edited"}, headers=ada.auth)
    assert resp.status == 200
    assert (await client.put(f"/api/v1/posts/{first['id']}/like", headers=cy.auth)).status in (200, 204)
    for order in ("recent", "ranked"):
        shown = {p["id"]: p for p in (await page(order))["items"]}[first["id"]]
        assert (shown["caption"], shown["like_count"], shown["liked_by_me"]) == ("edited", 1, False)
    assert (await client.put(f"/api/v1/posts/{first['id']}/like", headers=bob.auth)).status in (200, 204)
    for order in ("recent", "ranked"):
        assert {p["id"]: p for p in (await page(order))["items"]}[first["id"]]["liked_by_me"] is True
    second = await world.post(ada, [TINY], caption="second")
    assert (await client.delete(f"/api/v1/posts/{first['id']}", headers=ada.auth)).status == 204
    for order in ("recent", "ranked"):
        assert {p["id"] for p in (await page(order))["items"]} == {second["id"], theirs["id"]}
    assert (await client.put(f"/api/v1/users/{cy.username}/block", headers=bob.auth)).status in (200, 204)
    for order in ("recent", "ranked"):
        assert [p["id"] for p in (await page(order))["items"]] == [second["id"]]
