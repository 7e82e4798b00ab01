"""Media URLs: the same URL for everyone during a window (so browsers and CDNs cache the bytes),
and a follower who leaves a private account keeps no way to its media past the window."""
from __future__ import annotations

import asyncio

from tests import images

from .world import World, fetch

TINY = images.jpeg(16, 16)
WINDOW_S = 2


async def test_one_url_per_object_for_every_reader_during_a_window(client, world):
    ada, bob, cy = await world.signup("ada"), await world.signup("bob"), await world.signup("cy")
    post = await world.post(ada, [TINY])
    seen_by_bob = await world.get(bob, f"/api/v1/posts/{post['id']}")
    seen_by_cy = await world.get(cy, f"/api/v1/posts/{post['id']}")
    assert seen_by_bob["media"][0]["urls"] == seen_by_cy["media"][0]["urls"]
    status, body, headers = await fetch(seen_by_bob["media"][0]["urls"]["thumb"])
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and body[:2] == b"\xff\xd8"
    assert "immutable" in headers["cache-control"] and headers["etag"]
    # A browser revalidating with the ETag is told it has the bytes already.
    status, body, _ = await fetch(seen_by_bob["media"][0]["urls"]["thumb"], **{"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""


async def test_a_former_follower_cannot_fetch_private_media_after_the_window(isolated_client, unique):
    client = await isolated_client(media_url_ttl_s=WINDOW_S)
    world = World(client, unique)
    ada, bob = await world.signup("ada", private=True), await world.signup("bob")
    assert await world.follow(bob, ada) == "requested"
    resp = await client.post(f"/api/v1/me/follow-requests/{bob.username}/accept", headers=ada.auth)
    assert resp.status in (200, 204), await resp.text()
    post = await world.post(ada, [TINY])
    urls = (await world.get(bob, f"/api/v1/posts/{post['id']}"))["media"][0]["urls"]
    assert (await fetch(urls["original"]))[0] == 200

    resp = await client.delete(f"/api/v1/users/{ada.username}/follow", headers=bob.auth)
    assert resp.status == 204
    resp = await client.get(f"/api/v1/posts/{post['id']}", headers=bob.auth)
    assert resp.status == 404, "no new URL for a non-follower"
    await asyncio.sleep(2 * WINDOW_S + 0.5)              # the longest a URL lives
    for url in urls.values():
        assert (await fetch(url))[0] == 403
