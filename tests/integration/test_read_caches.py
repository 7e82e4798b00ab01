"""The caches behind the notification pages and the Mastodon home timeline never show what
changed: every test reads (so the page, the embedded accounts and the bookmarks are cached),
changes something through the public API, and reads again at once.

What is cached: a recipient's notification page in the gateway process under their notification
mark and hidden-authors set (usecases/notify.py); accounts as statuses and notifications embed
them (stores/user_cards.py); each account's bookmarks as a Redis set (stores/saved_post_ids.py).
"""
from __future__ import annotations

import asyncio
import io

import aiohttp
import pytest

from core import redis_keys
from gateway.keys import REDIS, SAVED, USER_CARDS
from tests import images

from .mastodon_world import mastodon_url  # noqa: F401  (fixture)
from .test_mastodon_safety import _login

pytestmark = pytest.mark.integration


async def _notes(world, who) -> list[dict]:
    return await world.all_pages("/api/v1/notifications", who)


async def _set_avatar(world, who) -> str:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("avatar", images.jpeg(200, 200), filename="me.jpg", content_type="image/jpeg")
    resp = await world.client.put("/api/v1/me/avatar", data=form, headers=who.auth)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["avatar_url"]


async def test_a_cached_notification_page_shows_every_change_at_once(world, client):
    ada, bob, carol, dan = [await world.signup(n) for n in ("nca", "ncb", "ncc", "ncd")]
    await world.follow(bob, ada)
    first = await _notes(world, ada)
    assert [(n["type"], n["actor"]["username"], n["read"]) for n in first] == [("follow", bob.username, False)]
    assert await _notes(world, ada) == first                      # served again, now from the cache
    assert await client.app[REDIS].exists(redis_keys.user_card(int(bob.id)))     # the actor too

    # A new notification.
    await world.follow(carol, ada)
    await world.follow(dan, ada)
    assert [n["actor"]["username"] for n in await _notes(world, ada)] == [dan.username, carol.username, bob.username]

    # Marked read: the flags are right on the very next read.
    newest = (await _notes(world, ada))[0]
    resp = await client.post("/api/v1/notifications/read", json={"up_to": newest["id"]}, headers=ada.auth)
    assert resp.status == 204
    assert [n["read"] for n in await _notes(world, ada)] == [True, True, True]

    # The actor renames themself and sets a photo: the page shows it at once.
    resp = await client.patch("/api/v1/me", json={"display_name": "Bob Renamed"}, headers=bob.auth)
    assert resp.status == 200
    assert {n["actor"]["display_name"] for n in await _notes(world, ada) if n["actor"]["username"] == bob.username} \
        == {"Bob Renamed"}
    photo = await _set_avatar(world, bob)
    assert [n["actor"]["avatar_url"] for n in await _notes(world, ada) if n["actor"]["username"] == bob.username] \
        == [photo]

    # A block removes the notifications between the two: gone on the next read.
    assert (await client.put(f"/api/v1/users/{dan.username}/block", headers=ada.auth)).status in (200, 204)
    assert [n["actor"]["username"] for n in await _notes(world, ada)] == [carol.username, bob.username]

    # An account deleted: its notifications leave at once (its erasure removes them later).
    resp = await client.delete("/api/v1/me", json={"password": carol.password}, headers=carol.auth)
    assert resp.status == 204
    assert [n["actor"]["username"] for n in await _notes(world, ada)] == [bob.username]


async def test_the_mastodon_home_timeline_shows_bookmarks_and_profile_changes_at_once(world, client, mastodon_url):
    ada, bob = await world.signup("mhca"), await world.signup("mhcb")
    ada_api, bob_api = await asyncio.gather(asyncio.to_thread(_login, mastodon_url, ada.username, ada.password),
                                            asyncio.to_thread(_login, mastodon_url, bob.username, bob.password))
    await asyncio.to_thread(bob_api.account_follow, ada.id)
    media = await asyncio.to_thread(ada_api.media_post, io.BytesIO(images.jpeg(32, 24)), mime_type="image/jpeg")
    status = await asyncio.to_thread(ada_api.status_post, "cached, then changed", media_ids=[media])

    async def seen() -> dict:
        home = await asyncio.to_thread(bob_api.timeline_home)
        return next(s for s in home if s.id == status.id)

    before = await seen()
    assert before.bookmarked is False and before.account.display_name == ada.username

    # Bookmarks: on, then off, each seen on the next read.
    await asyncio.to_thread(bob_api.status_bookmark, status.id)
    assert (await seen()).bookmarked is True
    await asyncio.to_thread(bob_api.status_unbookmark, status.id)
    assert (await seen()).bookmarked is False

    # A set lost (Redis emptied, or bookmarks made before it existed) is rebuilt from the graph.
    await asyncio.to_thread(bob_api.status_bookmark, status.id)
    await client.app[REDIS].delete(redis_keys.saved_posts(int(bob.id)))
    assert (await seen()).bookmarked is True
    await asyncio.to_thread(bob_api.status_unbookmark, status.id)
    assert (await seen()).bookmarked is False

    # The author's profile edits show on their statuses at once (the embedded account).
    await asyncio.to_thread(ada_api.account_update_credentials, display_name="Ada Renamed", note="new bio", locked=True)
    after = await seen()
    assert (after.account.display_name, after.account.locked) == ("Ada Renamed", True)
    assert "new bio" in after.account.note
    photo = await _set_avatar(world, ada)
    assert (await seen()).account.avatar == f"{mastodon_url}{photo}"

    # The author deletes their account: their statuses leave the timeline at once.
    resp = await client.delete("/api/v1/me", json={"password": ada.password}, headers=ada.auth)
    assert resp.status == 204
    assert [s.id for s in await asyncio.to_thread(bob_api.timeline_home) if s.id == status.id] == []


async def test_a_read_that_raced_a_change_never_writes_what_it_read(world, client):
    """Both caches filled from the graph on a miss (a profile, a bookmarks set) write only if no
    change happened since the read began: here the change lands between the read and its write."""
    redis, ada = client.app[REDIS], await world.signup("race")
    uid = int(ada.id)

    cards = client.app[USER_CARDS]
    began = await redis.get(redis_keys.user_card_gen(uid))           # a read begins...
    await cards.forget(uid)                                           # ...a profile edit lands...
    await cards._write(keys=[redis_keys.user_card(uid), redis_keys.user_card_gen(uid)],
                       args=[60, (began or b"0").decode(), b'{"display_name": "stale"}'])   # ...the read writes
    assert not await redis.exists(redis_keys.user_card(uid))
    now = await redis.get(redis_keys.user_card_gen(uid))               # a read that began after it does
    await cards._write(keys=[redis_keys.user_card(uid), redis_keys.user_card_gen(uid)],
                       args=[60, now.decode(), b'{"display_name": "fresh"}'])
    assert await redis.exists(redis_keys.user_card(uid))
    await cards.forget(uid)

    saved_ids = client.app[SAVED].saved_ids
    began = await redis.get(redis_keys.saved_posts_gen(uid))
    await saved_ids.remove(uid, 12345)                                 # an unsave lands mid-rebuild
    await saved_ids._build(keys=[redis_keys.saved_posts(uid), redis_keys.saved_posts_gen(uid)],
                           args=[(began or b"0").decode(), "built", "12345"])
    assert not await redis.exists(redis_keys.saved_posts(uid))


async def test_concurrent_reads_of_expired_counts_share_one_graph_read_and_see_the_follow(world, client):
    ada, bob = await world.signup("cnta"), await world.signup("cntb")
    cards, redis = client.app[USER_CARDS], client.app[REDIS]
    assert (await cards.get([int(ada.id)]))[int(ada.id)]["followers_count"] == 0
    await world.follow(bob, ada)
    await redis.delete(redis_keys.user_counts(int(ada.id)))           # the counts expire (2 s at most)
    seen = await asyncio.gather(*(cards.get([int(ada.id), int(bob.id)]) for _ in range(20)))
    assert {(s[int(ada.id)]["followers_count"], s[int(bob.id)]["following_count"]) for s in seen} == {(1, 1)}
    assert {s[int(ada.id)]["username"] for s in seen} == {ada.username}
