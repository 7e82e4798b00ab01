"""Profile photos (PUT/DELETE /api/v1/me/avatar): processed like post media, served at the path
``avatar_url`` names everywhere a user is rendered, the previous photo's objects deleted."""
from __future__ import annotations

import aiohttp

from tests import images


async def _set(world, who, data: bytes, content_type: str = "image/jpeg"):
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("avatar", data, filename="me.jpg", content_type=content_type)
    return await world.client.put("/api/v1/me/avatar", data=form, headers=who.auth)


async def test_a_profile_photo_is_stripped_served_everywhere_and_replaced_cleanly(world):
    ada = await world.signup("ada")
    bob = await world.signup("bob")
    await world.follow(bob, ada)
    post = await world.post(ada, caption="before the photo")      # a cached body that must not go stale

    resp = await _set(world, ada, images.jpeg(800, 600, gps=True))
    assert resp.status == 200, await resp.text()
    first = (await resp.json())["avatar_url"]
    assert first.startswith("/avatars/") and first.endswith("/thumb")

    photo = await world.client.get(first)                         # public: no token
    assert photo.status == 200 and photo.content_type == "image/jpeg"
    assert "immutable" in photo.headers["Cache-Control"]
    data = await photo.read()
    assert images.has_metadata(data) == []
    for variant in ("small", "medium"):
        assert (await world.client.get(first.replace("/thumb", f"/{variant}"))).status == 200

    # Everywhere a user is rendered: their profile, their posts (the cached body was forgotten),
    # comments, notifications, likers, search.
    assert (await world.profile(bob, ada.username))["avatar_url"] == first
    assert (await world.get(bob, f"/api/v1/posts/{post['id']}"))["author"]["avatar_url"] == first
    feed = await world.get(bob, "/api/v1/feed", order="recent")
    assert feed["items"][0]["author"]["avatar_url"] == first
    await world.client.put(f"/api/v1/posts/{post['id']}/like", headers=bob.auth)
    comment = await world.client.post(f"/api/v1/posts/{post['id']}/comments", json={"text": "hi"}, headers=ada.auth)
    assert (await comment.json())["author"]["avatar_url"] == first
    await _set(world, bob, images.png(64, 64))
    notes = await world.get(ada, "/api/v1/notifications")
    bob_url = (await world.get(bob, "/api/v1/me"))["avatar_url"]
    assert bob_url and all(n["actor"]["avatar_url"] == bob_url for n in notes["items"])
    likers = await world.get(ada, f"/api/v1/posts/{post['id']}/likes")
    assert likers["items"][0]["avatar_url"] == bob_url

    # Replaced: the new photo is served, the old one's objects are gone.
    resp = await _set(world, ada, images.png(300, 200))
    second = (await resp.json())["avatar_url"]
    assert second != first and (await world.client.get(second)).status == 200
    gone = await world.client.get(first)
    assert gone.status == 404 and (await gone.json())["error"]["code"] == "avatar_not_found"

    # Removed.
    assert (await world.client.delete("/api/v1/me/avatar", headers=ada.auth)).status == 204
    assert (await world.get(ada, "/api/v1/me"))["avatar_url"] is None
    assert (await world.client.get(second)).status == 404
    assert (await world.get(bob, f"/api/v1/posts/{post['id']}"))["author"]["avatar_url"] is None


async def test_a_bad_profile_photo_is_refused_with_the_contracts_errors(world):
    ada = await world.signup("ada")
    resp = await _set(world, ada, b"not a picture at all")
    assert resp.status == 415 and (await resp.json())["error"]["code"] == "unsupported_media_type"
    resp = await _set(world, ada, images.jpeg()[:200])
    assert resp.status == 422
    resp = await world.client.put("/api/v1/me/avatar", json={"avatar": "x"}, headers=ada.auth)
    assert resp.status == 415 and (await resp.json())["error"]["code"] == "multipart_required"
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("photo", images.jpeg(), filename="me.jpg", content_type="image/jpeg")
    resp = await world.client.put("/api/v1/me/avatar", data=form, headers=ada.auth)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "media_required"
    assert (await world.client.put("/api/v1/me/avatar", data=form)).status == 401
    assert (await world.client.get("/avatars/1/original")).status == 404
    assert (await world.client.get("/avatars/abc/thumb")).status == 404
    assert (await world.get(ada, "/api/v1/me"))["avatar_url"] is None
