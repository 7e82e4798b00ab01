"""Data export (issue 23): POST/GET /api/v1/me/export, built as a Ray task, with real services."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from gateway.keys import EXPORTS
from tests import images

from .world import fetch

pytestmark = pytest.mark.integration


async def test_the_export_zip_holds_the_account_and_every_posts_original_bytes(client, world):
    ada, bob = await world.signup("exada"), await world.signup("exbob")
    carol, dave = await world.signup("excarol"), await world.signup("exdave")
    assert (await world.get(ada, "/api/v1/me/export")) == {"state": "none"} | {
        k: None for k in ("requested_at", "ready_at", "expires_at", "size_bytes", "url")}
    posts = [await world.post(ada, [images.jpeg(40, 30), images.png(20, 20)], caption="two #photos"),
             await world.post(ada, [images.jpeg(64, 48)], caption="one")]
    resp = await client.patch(f"/api/v1/posts/{posts[1]['id']}", json={"caption": "one, edited"}, headers=ada.auth)
    assert resp.status == 200
    theirs = await world.post(bob, [images.jpeg(16, 16)], caption="bob's")
    await world.follow(ada, bob)
    await world.follow(bob, ada)
    assert (await client.put(f"/api/v1/posts/{theirs['id']}/like", headers=ada.auth)).status == 200
    assert (await client.post(f"/api/v1/posts/{theirs['id']}/comments", json={"text": "nice"},
                              headers=ada.auth)).status == 201
    assert (await client.put(f"/api/v1/users/{carol.username}/block", headers=ada.auth)).status == 204
    assert (await client.put(f"/api/v1/users/{dave.username}/mute", headers=ada.auth)).status == 204

    resp = await client.post("/api/v1/me/export", headers=ada.auth)
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["state"] == "building"
    await client.app[EXPORTS].wait(int(ada.id))
    state = await world.get(ada, "/api/v1/me/export")
    assert state["state"] == "ready", state
    assert state["url"].startswith("http") and state["expires_at"] > state["ready_at"]
    # Nobody else sees it.
    assert (await world.get(bob, "/api/v1/me/export"))["state"] == "none"

    status, data, _ = await fetch(state["url"])      # without the bearer token, as a browser
    assert status == 200 and len(data) == state["size_bytes"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        read = lambda name: json.loads(archive.read(name))       # noqa: E731
        assert read("profile.json")["username"] == ada.username
        exported = {p["id"]: p for p in read("posts.json")}
        assert set(exported) == {p["id"] for p in posts}
        assert exported[posts[1]["id"]]["caption"] == "one, edited"
        assert [h["caption"] for h in exported[posts[1]["id"]]["earlier_captions"]] == ["one"]
        for post in posts:
            files = [m["file"] for m in exported[post["id"]]["media"]]
            assert len(files) == len(post["media"])
            for media, name in zip(post["media"], files):
                _, original, _ = await fetch(media["urls"]["original"])
                assert archive.read(name) == original
        assert [c["text"] for c in read("comments.json")] == ["nice"]
        assert [like["post_id"] for like in read("likes.json")] == [theirs["id"]]
        assert [u["username"] for u in read("followers.json")] == [bob.username]
        assert [u["username"] for u in read("following.json")] == [bob.username]
        assert [u["username"] for u in read("blocks.json")] == [carol.username]
        assert [u["username"] for u in read("mutes.json")] == [dave.username]
