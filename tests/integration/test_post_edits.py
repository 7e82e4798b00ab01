"""Editing a caption (issue 23): PATCH /api/v1/posts/{id}, with real services."""
from __future__ import annotations

import pytest

from tests import images

from .test_stream import next_event
from .world import eventually

pytestmark = pytest.mark.integration

TINY = images.jpeg(16, 16)


async def test_the_author_edits_a_caption_everywhere_it_shows(client, world, unique):
    ada, bob = await world.signup("edada"), await world.signup("edbob")
    await world.follow(bob, ada)
    post = await world.post(ada, [TINY], caption=f"first #old{unique}")
    assert post["edited_at"] is None
    # Cached bodies (feed, post page) and the search index hold the first caption.
    assert (await world.get(bob, f"/api/v1/posts/{post['id']}"))["caption"] == f"first #old{unique}"
    assert await eventually(lambda: world.search_posts(bob, f"#old{unique}"))

    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        resp = await client.patch(f"/api/v1/posts/{post['id']}", json={"caption": f"  second #New{unique} "},
                                  headers=ada.auth)
        assert resp.status == 200, await resp.text()
        edited = await resp.json()
        event = await next_event(ws)
    assert edited["caption"] == f"second #New{unique}" and edited["hashtags"] == [f"new{unique}"]
    assert edited["edited_at"] is not None and edited["created_at"] == post["created_at"]
    # The follower's open socket gets the post again, rendered for them.
    assert event["type"] == "feed.update" and event["data"]["id"] == post["id"]
    assert event["data"]["caption"] == f"second #New{unique}" and event["data"]["liked_by_me"] is False

    # Reads: the post page, the feed, the author's posts; search by the new words and hashtag only.
    assert (await world.get(bob, f"/api/v1/posts/{post['id']}"))["caption"] == f"second #New{unique}"
    feed = await world.get(bob, "/api/v1/feed", order="recent")
    assert [p["caption"] for p in feed["items"] if p["id"] == post["id"]] == [f"second #New{unique}"]
    found = await eventually(lambda: world.search_posts(bob, f"#new{unique}"))
    assert [p["id"] for p in found] == [post["id"]]
    assert await eventually(lambda: _none(world.search_posts(bob, f"#old{unique}")))


async def _none(coro) -> bool:
    return not await coro


async def test_only_the_author_edits_and_captions_are_checked_as_at_upload(client, world):
    ada, bob = await world.signup("edada2"), await world.signup("edbob2")
    carol = await world.signup("edcarol2", private=True)
    post = await world.post(ada, [TINY], caption="mine")
    secret = await world.post(carol, [TINY], caption="hidden")
    path = f"/api/v1/posts/{post['id']}"
    assert (await client.patch(path, json={"caption": "theirs"}, headers=bob.auth)).status == 403
    assert (await client.patch(f"/api/v1/posts/{secret['id']}", json={"caption": "x"},
                               headers=bob.auth)).status == 404
    assert (await client.patch("/api/v1/posts/123456789", json={"caption": "x"}, headers=ada.auth)).status == 404
    assert (await client.patch(path, json={"caption": "x"})).status == 401
    for body, status in (({"caption": "x" * 2201}, 422), ({"caption": 5}, 422), ({}, 422), ([], 400),
                         ({"caption": " ".join(f"#t{i}" for i in range(31))}, 422)):
        resp = await client.patch(path, json=body, headers=ada.auth)
        assert resp.status == status, (body, await resp.text())
    assert (await world.get(ada, path))["caption"] == "mine"
    # An empty caption is allowed, as at upload.
    resp = await client.patch(path, json={"caption": ""}, headers=ada.auth)
    assert resp.status == 200 and (await resp.json())["caption"] == ""
