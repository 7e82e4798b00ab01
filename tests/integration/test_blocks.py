"""Blocks, mutes and removing a follower through the gateway, against the real stack: the graph,
the timelines, the live stream and its replay, search and hashtag pages, notifications."""
from __future__ import annotations

import asyncio

from tests import images

from .test_stream import next_event
from .world import World, eventually

TINY = images.jpeg(16, 16)


def ids(items: list[dict]) -> list[str]:
    return [i["id"] for i in items]


async def feed_ids(world: World, who, order: str = "recent") -> list[str]:
    return ids((await world.get(who, "/api/v1/feed", order=order, limit="100"))["items"])


async def status_of(client, method: str, path: str, who, **kw) -> int:
    resp = await client.request(method, path, headers=who.auth, **kw)
    await resp.read()
    return resp.status


async def block(client, who, whom, *, undo: bool = False) -> None:
    assert await status_of(client, "DELETE" if undo else "PUT", f"/api/v1/users/{whom.username}/block", who) == 204


async def mute(client, who, whom, *, undo: bool = False) -> None:
    assert await status_of(client, "DELETE" if undo else "PUT", f"/api/v1/users/{whom.username}/mute", who) == 204


async def searchable(world: World, viewer, q: str, post_id: str) -> None:
    """Wait until ``viewer`` (who may see the post) finds it: the indexer has passed it."""
    async def probe():
        return post_id in ids(await world.search_posts(viewer, q))
    assert await eventually(probe), f"{q!r} never found {post_id}"


async def test_a_block_ends_follows_and_requests_both_ways_and_is_listed(client, world):
    ada, bob = await world.signup("ada", private=True), await world.signup("bob")
    carol = await world.signup("carol")
    await world.follow(ada, bob)
    assert await world.follow(bob, ada) == "requested"
    await world.follow(carol, bob)
    await block(client, ada, bob)
    await block(client, ada, bob)                                   # idempotent

    assert await world.all_pages("/api/v1/me/follow-requests", ada) == []
    assert (await world.profile(ada, ada.username))["following_count"] == 0
    assert (await world.profile(carol, bob.username))["followers_count"] == 1     # carol alone
    listed = await world.all_pages("/api/v1/me/blocks", ada)
    assert [u["username"] for u in listed] == [bob.username]
    assert listed[0]["relationship"] == {"following": False, "requested": False, "followed_by": False,
                                         "blocking": True, "muting": False}
    assert await world.all_pages("/api/v1/me/blocks", bob) == []    # a block is the blocker's to see

    # Neither sees the other's profile, nor can follow the other.
    assert await status_of(client, "GET", f"/api/v1/users/{bob.username}", ada) == 404
    assert await status_of(client, "GET", f"/api/v1/users/{ada.username}", bob) == 404
    resp = await client.put(f"/api/v1/users/{bob.username}/follow", headers=ada.auth)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "blocking"
    assert await status_of(client, "PUT", f"/api/v1/users/{ada.username}/follow", bob) == 404
    # Others see both.
    assert (await world.profile(carol, ada.username))["private"] is True

    # Unblocking restores nothing, but allows everything again.
    await block(client, ada, bob, undo=True)
    await block(client, ada, bob, undo=True)
    assert await world.all_pages("/api/v1/me/blocks", ada) == []
    assert (await world.profile(ada, bob.username))["relationship"]["following"] is False
    assert await world.follow(ada, bob) == "following"


async def test_blocking_oneself_or_nobody_is_refused(client, world):
    ada = await world.signup("ada")
    resp = await client.put(f"/api/v1/users/{ada.username}/block", headers=ada.auth)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "cannot_block_self"
    assert await status_of(client, "PUT", f"/api/v1/users/{world.name('ghost')}/block", ada) == 404
    assert await status_of(client, "PUT", f"/api/v1/users/{world.name('ghost')}/mute", ada) == 404
    resp = await client.put(f"/api/v1/users/{ada.username}/block")
    assert resp.status == 401


async def test_neither_side_of_a_block_sees_the_others_posts_comments_or_likes(client, world):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol")
    ada_post, bob_post, carol_post = (await world.post(ada, [TINY]), await world.post(bob, [TINY]),
                                      await world.post(carol, [TINY]))
    for who in (ada, bob):
        assert await status_of(client, "PUT", f"/api/v1/posts/{carol_post['id']}/like", who) == 200
        resp = await client.post(f"/api/v1/posts/{carol_post['id']}/comments", json={"text": f"by {who.username}"},
                                 headers=who.auth)
        assert resp.status == 201
    await block(client, bob, ada)

    for viewer, other, other_post in ((ada, bob, bob_post), (bob, ada, ada_post)):
        assert await status_of(client, "GET", f"/api/v1/posts/{other_post['id']}", viewer) == 404
        assert await status_of(client, "GET", f"/api/v1/users/{other.username}/posts", viewer) == 404
        assert await status_of(client, "GET", f"/api/v1/users/{other.username}/followers", viewer) == 404
        assert await status_of(client, "PUT", f"/api/v1/posts/{other_post['id']}/like", viewer) == 404
        assert await status_of(client, "POST", f"/api/v1/posts/{other_post['id']}/comments", viewer,
                               json={"text": "hi"}) == 404
        assert await status_of(client, "GET", f"/api/v1/posts/{other_post['id']}/likes", viewer) == 404
        # On a third person's post: the other's comment and like are not shown to the viewer.
        comments = await world.all_pages(f"/api/v1/posts/{carol_post['id']}/comments", viewer, limit=1)
        assert [c["author"]["username"] for c in comments] == [viewer.username]
        likers = await world.all_pages(f"/api/v1/posts/{carol_post['id']}/likes", viewer, limit=1)
        assert [u["username"] for u in likers] == [viewer.username]
    # Carol sees both.
    assert len(await world.all_pages(f"/api/v1/posts/{carol_post['id']}/comments", carol)) == 2
    assert len(await world.all_pages(f"/api/v1/posts/{carol_post['id']}/likes", carol)) == 2


async def test_no_notifications_either_way(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    ada_post = await world.post(ada, [TINY])
    await world.follow(bob, ada)
    await client.put(f"/api/v1/posts/{ada_post['id']}/like", headers=bob.auth)
    await world.follow(ada, bob)
    assert {n["actor"]["username"] for n in await world.all_pages("/api/v1/notifications", ada)} == {bob.username}
    async with client.ws_connect("/api/v1/stream?last_event_id=0", headers=ada.auth) as ws:
        replayed = []
        while True:
            try:
                replayed.append(await next_event(ws, timeout=1))
            except asyncio.TimeoutError:
                break
        assert any(e["type"] == "notification" for e in replayed)
        await block(client, ada, bob)
        # The notifications between the two are gone, and none can be made again.
        assert await world.all_pages("/api/v1/notifications", ada) == []
        assert await world.all_pages("/api/v1/notifications", bob) == []
        assert await status_of(client, "PUT", f"/api/v1/users/{ada.username}/follow", bob) == 404
    # A replay from the start no longer carries them.
    async with client.ws_connect("/api/v1/stream?last_event_id=0", headers=ada.auth) as ws:
        with_pending = []
        while True:
            try:
                with_pending.append(await next_event(ws, timeout=1))
            except asyncio.TimeoutError:
                break
    assert [e for e in with_pending if e["type"] == "notification"] == []


async def test_after_a_block_the_blocked_persons_next_post_reaches_neither_socket_feed_nor_search(client, world,
                                                                                                   unique):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol")
    await world.follow(ada, bob)
    await world.follow(ada, carol)
    tag = f"blk{unique}"
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        before = await world.post(bob, [TINY], caption=f"before #{tag}")
        event = await next_event(ws, timeout=10)
        assert (event["type"], event["data"]["id"]) == ("feed.post", before["id"])
        assert before["id"] in await feed_ids(world, ada)
        await searchable(world, ada, f"#{tag}", before["id"])

        await block(client, ada, bob)
        # Out of the feed at once, ranked and recent.
        assert before["id"] not in await feed_ids(world, ada)
        assert before["id"] not in await feed_ids(world, ada, "ranked")

        after = await world.post(bob, [TINY], caption=f"after #{tag}")
        marker = await world.post(carol, [TINY])
        event = await next_event(ws, timeout=10)          # carol's post is the next thing ada hears
        assert (event["type"], event["data"]["id"]) == ("feed.post", marker["id"]), event

    feed = await feed_ids(world, ada)
    assert marker["id"] in feed and after["id"] not in feed and before["id"] not in feed
    # Search and the hashtag page, once the indexer has passed the new post.
    await searchable(world, bob, f"#{tag}", after["id"])
    assert ids(await world.search_posts(ada, f"#{tag}")) == []
    assert ids(await world.search_posts(ada, f"after {tag}")) == []
    assert ids((await world.get(ada, f"/api/v1/hashtags/{tag}/posts"))["items"]) == []
    assert ids((await world.get(bob, f"/api/v1/hashtags/{tag}/posts"))["items"]) == [after["id"], before["id"]]
    # A replay of ada's log from the start skips bob's posts.
    # Read up to carol's post, the last thing logged (no quiet-period guess, which a loaded
    # machine can outlast).
    posted = []
    async with client.ws_connect("/api/v1/stream?last_event_id=0", headers=ada.auth) as ws:
        while marker["id"] not in posted:
            event = await next_event(ws, timeout=10)
            if event["type"] == "feed.post":
                posted.append(event["data"]["id"])
    assert before["id"] not in posted and after["id"] not in posted


async def test_the_blocked_person_does_not_see_the_blockers_posts_in_feed_or_search(client, world, unique):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    tag = f"blkd{unique}"
    post = await world.post(ada, [TINY], caption=f"#{tag}")
    assert post["id"] in await feed_ids(world, bob)
    await searchable(world, bob, f"#{tag}", post["id"])
    await block(client, ada, bob)
    assert post["id"] not in await feed_ids(world, bob)
    assert ids(await world.search_posts(bob, f"#{tag}")) == []
    assert ids((await world.get(bob, f"/api/v1/hashtags/{tag}/posts"))["items"]) == []


async def test_neither_finds_the_other_in_user_search(client, world):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol")

    async def finds(viewer, target) -> bool:
        items = (await world.get(viewer, "/api/v1/search/users", q=target.username))["items"]
        return target.username in [u["username"] for u in items]
    assert await eventually(lambda: finds(carol, bob)) and await eventually(lambda: finds(carol, ada))
    await block(client, bob, ada)
    assert not await finds(ada, bob) and not await finds(bob, ada)
    assert await finds(carol, bob) and await finds(carol, ada)


async def test_a_mute_hides_posts_from_feed_stream_and_search_and_nothing_else(client, world, unique):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol")
    await world.follow(ada, bob)
    await world.follow(ada, carol)
    tag = f"mut{unique}"
    before = await world.post(bob, [TINY], caption=f"#{tag}")
    assert before["id"] in await feed_ids(world, ada)
    await searchable(world, ada, f"#{tag}", before["id"])

    await mute(client, ada, bob)
    await mute(client, ada, bob)
    assert before["id"] not in await feed_ids(world, ada)
    assert ids(await world.search_posts(ada, f"#{tag}")) == []
    assert ids((await world.get(ada, f"/api/v1/hashtags/{tag}/posts"))["items"]) == []
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        muted = await world.post(bob, [TINY])
        marker = await world.post(carol, [TINY])
        event = await next_event(ws, timeout=10)
        assert event["data"]["id"] == marker["id"], event
    assert muted["id"] not in await feed_ids(world, ada)

    # Nothing else changes: still following, the profile and posts are there, and bob sees no trace.
    seen = await world.profile(ada, bob.username)
    assert seen["relationship"]["following"] and seen["relationship"]["muting"]
    assert await status_of(client, "GET", f"/api/v1/posts/{muted['id']}", ada) == 200
    assert [u["username"] for u in await world.all_pages("/api/v1/me/mutes", ada)] == [bob.username]
    seen_by_bob = await world.profile(bob, ada.username)
    assert seen_by_bob["relationship"] == {"following": False, "requested": False, "followed_by": True,
                                           "blocking": False, "muting": False}
    assert (await world.profile(bob, bob.username))["followers_count"] == 1
    # bob's likes still notify ada.
    ada_post = await world.post(ada, [TINY])
    await client.put(f"/api/v1/posts/{ada_post['id']}/like", headers=bob.auth)
    assert [n["type"] for n in await world.all_pages("/api/v1/notifications", ada)][0] == "like"

    # Unmuting brings bob's posts back.
    await mute(client, ada, bob, undo=True)
    assert await world.all_pages("/api/v1/me/mutes", ada) == []
    feed = await feed_ids(world, ada)
    assert muted["id"] in feed and before["id"] in feed


async def test_removing_a_follower(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    post = await world.post(ada, [TINY])
    assert post["id"] in await feed_ids(world, bob)
    for _ in range(2):
        assert await status_of(client, "DELETE", f"/api/v1/me/followers/{bob.username}", ada) == 204
    assert (await world.profile(ada, ada.username))["followers_count"] == 0
    assert (await world.profile(bob, ada.username))["relationship"]["following"] is False
    assert post["id"] not in await feed_ids(world, bob)
    assert await status_of(client, "DELETE", f"/api/v1/me/followers/{world.name('ghost')}", ada) == 404
    assert await world.follow(bob, ada) == "following"                 # not a block: they may follow again


async def test_saved_posts_are_private_newest_saved_first_and_drop_what_is_gone(client, world):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol", private=True)
    posts = [await world.post(bob, [TINY]) for _ in range(3)]
    hidden = await world.post(carol, [TINY])
    assert await status_of(client, "PUT", f"/api/v1/posts/{hidden['id']}/save", ada) == 404   # not visible to her
    for post in (posts[1], posts[0], posts[2]):
        resp = await client.put(f"/api/v1/posts/{post['id']}/save", headers=ada.auth)
        assert resp.status == 200 and await resp.json() == {"saved": True}
    assert await status_of(client, "PUT", f"/api/v1/posts/{posts[0]['id']}/save", ada) == 200   # idempotent
    saved = await world.all_pages("/api/v1/me/saved", ada, limit=1)
    assert ids(saved) == [posts[2]["id"], posts[0]["id"], posts[1]["id"]]
    assert await world.all_pages("/api/v1/me/saved", bob) == []                              # private to ada

    resp = await client.delete(f"/api/v1/posts/{posts[0]['id']}/save", headers=ada.auth)
    assert resp.status == 200 and await resp.json() == {"saved": False}
    assert await status_of(client, "DELETE", f"/api/v1/posts/{posts[0]['id']}/save", ada) == 200
    assert await status_of(client, "DELETE", f"/api/v1/posts/{posts[2]['id']}", bob) == 204
    assert ids(await world.all_pages("/api/v1/me/saved", ada)) == [posts[1]["id"]]
    await block(client, bob, ada)
    assert await world.all_pages("/api/v1/me/saved", ada) == []
