"""Profile photos through the Mastodon API, driven by the real Mastodon.py: set in
update_credentials, shown on every account rendering, served from the address the app uses,
refused when too large or not an image, and removed."""
from __future__ import annotations

import asyncio
import dataclasses
import io

import pytest
import requests
from mastodon import Mastodon, MastodonAPIError

from gateway.app import create_app
from gateway.mastodon.app import build
from tests import images

from .mastodon_world import mastodon_url  # noqa: F401  (fixture)
from .world import World

pytestmark = pytest.mark.integration


def _login(url: str, username: str, password: str) -> Mastodon:
    client_id, secret = Mastodon.create_app("raygram-avatars", api_base_url=url, scopes=["read", "write", "follow"])
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    api.log_in(username, password, allow_http=True, scopes=["read", "write", "follow"])
    return api


def _jpeg_at(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/jpeg", url
    return resp.content


async def test_an_avatar_set_through_update_credentials_shows_wherever_the_account_does(world, mastodon_url):
    url = mastodon_url
    ada, bob = await world.signup("mava"), await world.signup("mavb")
    ada_api, bob_api = await asyncio.gather(asyncio.to_thread(_login, url, ada.username, ada.password),
                                            asyncio.to_thread(_login, url, bob.username, bob.password))
    before = await asyncio.to_thread(ada_api.account_verify_credentials)
    assert before.avatar.endswith("/avatars/original/missing.png")

    me = await asyncio.to_thread(ada_api.account_update_credentials, display_name="Ada L.",
                                 avatar=images.png(400, 400, alpha=False), avatar_mime_type="image/png",
                                 header=images.png(40, 30), header_mime_type="image/png")
    assert me.display_name == "Ada L." and me.avatar.startswith(f"{url}/avatars/") and me.avatar == me.avatar_static
    photo = await asyncio.to_thread(_jpeg_at, me.avatar)
    assert photo[:3] == b"\xff\xd8\xff"

    # Everyone sees it: the account itself, and the account on a status and a follow.
    await asyncio.to_thread(bob_api.account_follow, me.id)
    media = await asyncio.to_thread(ada_api.media_post, io.BytesIO(images.jpeg(320, 240)), mime_type="image/jpeg")
    status = await asyncio.to_thread(ada_api.status_post, "with my new photo", media_ids=[media])
    seen = await asyncio.to_thread(bob_api.account, me.id)
    timeline = await asyncio.to_thread(bob_api.timeline_home)
    followers = await asyncio.to_thread(ada_api.account_followers, me.id)
    assert seen.avatar == me.avatar
    assert [s.account.avatar for s in timeline if s.id == status.id] == [me.avatar]
    assert all(f.avatar.endswith("/avatars/original/missing.png") for f in followers)   # bob has none

    # Mastodon 4.2's delete: back to the placeholder everywhere.
    gone = await asyncio.to_thread(ada_api.account_delete_avatar)
    assert gone.avatar.endswith("/avatars/original/missing.png")
    assert (await asyncio.to_thread(requests.get, me.avatar, timeout=10)).status_code == 404


async def test_a_bad_or_too_large_avatar_is_refused_and_changes_nothing(settings, aiohttp_client, aiohttp_server,
                                                                         unique):
    # A 1 MB photo limit, so "too large" needs no 10 MB body.
    client = await aiohttp_client(create_app(dataclasses.replace(settings, media_max_bytes=1024 * 1024)),
                                  headers={"X-Forwarded-For": f"test-client-{unique}"})
    server = await aiohttp_server(build(client.app), host="127.0.0.1")
    url = str(server.make_url("")).rstrip("/")
    ada = await World(client, unique).signup("mavc")
    api = await asyncio.to_thread(_login, url, ada.username, ada.password)

    for photo, mime, status in ((images.jpeg(1500, 1500, noise=True, quality=100), "image/jpeg", 413),
                                (b"definitely not an image" * 10, "image/png", 415)):
        with pytest.raises(MastodonAPIError) as refused:
            await asyncio.to_thread(api.account_update_credentials, display_name="Changed", avatar=photo,
                                    avatar_mime_type=mime)
        assert refused.value.args[1] == status and isinstance(refused.value.args[2], str)
    me = await asyncio.to_thread(api.account_verify_credentials)
    assert me.display_name != "Changed" and me.avatar.endswith("/avatars/original/missing.png")
