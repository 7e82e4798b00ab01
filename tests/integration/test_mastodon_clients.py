"""Real third-party Mastodon clients, installed from PyPI and never patched, against the
Mastodon-compatible API: Mastodon.py through a whole story, and the toot CLI."""
from __future__ import annotations

import asyncio
import io
import os
import re
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import Mastodon, StreamListener

from tests import images

from .mastodon_world import mastodon_url  # noqa: F401  (fixture)
from .world import eventually

pytestmark = pytest.mark.integration


def _app(url: str) -> tuple[str, str]:
    return Mastodon.create_app("raygram-test", api_base_url=url, scopes=["read", "write", "follow", "push"])


def _password_login(url: str, username: str, password: str) -> Mastodon:
    client_id, secret = _app(url)
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    api.log_in(username, password, allow_http=True)
    return api


def _code_login(url: str, username: str, password: str) -> Mastodon:
    """The authorization-code flow as an app runs it: the URL Mastodon.py builds, the login page
    filled in over HTTP, the out-of-band code read from the page, exchanged by Mastodon.py."""
    client_id, secret = _app(url)
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    auth_url = api.auth_request_url(scopes=["read", "write", "follow", "push"], allow_http=True)
    page = requests.get(auth_url, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    carried = dict(re.findall(r'<input type=hidden name="([^"]+)" value="([^"]*)">', page.text))
    done = requests.post(f"{url}/oauth/authorize", data={**carried, "username": username, "password": password},
                         timeout=10, allow_redirects=False)
    assert done.status_code == 200, done.text
    code = re.search(r'id=authorization_code readonly value="([^"]+)"', done.text).group(1)
    api.log_in(code=code, allow_http=True)
    return api


class Collector(StreamListener):
    def __init__(self) -> None:
        self.updates: list = []
        self.arrived = threading.Event()

    def on_update(self, status) -> None:
        self.updates.append(status)
        self.arrived.set()


async def test_mastodon_py_story(world, mastodon_url, unique):
    url = mastodon_url
    alice_v1 = await world.signup("mdalice")
    bob_v1 = await world.signup("mdbob")

    # Log in: alice with the password grant (her username where Mastodon expects an e-mail), bob
    # with the authorization-code flow through the login page.
    alice = await asyncio.to_thread(_password_login, url, alice_v1.username, alice_v1.password)
    bob = await asyncio.to_thread(_code_login, url, bob_v1.username, bob_v1.password)
    me = await asyncio.to_thread(alice.account_verify_credentials)
    assert me.username == alice_v1.username and str(me.id) == alice_v1.id
    assert (await asyncio.to_thread(bob.me)).username == bob_v1.username
    instance = await asyncio.to_thread(alice.instance)
    assert "Raygram" in instance.version and instance.configuration.urls.streaming.startswith("ws://")

    # Media first, with a description, then the post that uses it.
    media = await asyncio.to_thread(alice.media_post, io.BytesIO(images.jpeg()), "image/jpeg",
                                    description="a small test photo")
    assert media.type == "image" and media.description == "a small test photo" and media.url
    tag = f"raygramtest{unique}"
    status = await asyncio.to_thread(alice.status_post, f"First light #{tag}", media_ids=[media])
    assert status.media_attachments[0].id == media.id
    assert status.media_attachments[0].description == "a small test photo"
    assert f"/tags/{tag}" in status.content and status.account.id == me.id

    # Bob follows alice and finds the post in his home timeline and under the hashtag.
    alice_for_bob = await asyncio.to_thread(bob.account_lookup, alice_v1.username)
    relationship = await asyncio.to_thread(bob.account_follow, alice_for_bob)
    assert relationship.following
    home = await eventually(lambda: asyncio.to_thread(bob.timeline_home))
    assert status.id in [s.id for s in home]
    tagged = await eventually(lambda: asyncio.to_thread(bob.timeline_hashtag, tag))
    assert [s.id for s in tagged] == [status.id]

    # Bob favourites it and replies; alice sees both notifications.
    assert (await asyncio.to_thread(bob.status_favourite, status)).favourited
    reply = await asyncio.to_thread(bob.status_post, "Lovely!", in_reply_to_id=status)
    assert reply.in_reply_to_id == status.id
    context = await asyncio.to_thread(alice.status_context, status)
    assert [s.id for s in context.descendants] == [reply.id]
    notes = await eventually(lambda: _types(alice))
    assert {"favourite", "mention", "follow"} <= set(notes), notes
    by_type = {n.type: n for n in await asyncio.to_thread(alice.notifications)}
    assert by_type["favourite"].status.id == status.id and by_type["mention"].status.id == reply.id
    assert by_type["follow"].account.username == bob_v1.username

    # Search finds the post (by its hashtag), the account and the tag.
    found = await eventually(lambda: _search_hits(bob, f"#{tag}"))
    assert status.id in [s.id for s in found.statuses] and found.hashtags[0].name == tag
    people = await asyncio.to_thread(bob.search_v2, alice_v1.username, result_type="accounts")
    assert alice_v1.username in [a.username for a in people.accounts]

    # stream_user receives alice's next post live.
    listener = Collector()
    handle = await asyncio.to_thread(bob.stream_user, listener, run_async=True)
    try:
        await asyncio.to_thread(_wait_streaming, handle)
        second_media = await asyncio.to_thread(alice.media_post, io.BytesIO(images.png()), "image/png")
        second = await asyncio.to_thread(alice.status_post, "Second", media_ids=[second_media])
        assert await asyncio.to_thread(listener.arrived.wait, 30)
        assert listener.updates[0].id == second.id
        assert listener.updates[0].media_attachments[0].type == "image"
    finally:
        # close() blocks until the server answers the hang-up, and the server runs on this loop.
        await asyncio.to_thread(handle.close)

    # Paging: one status per page, followed with fetch_next until the end.
    third_media = await asyncio.to_thread(alice.media_post, io.BytesIO(images.gif()), "image/gif")
    third = await asyncio.to_thread(alice.status_post, "Third", media_ids=[third_media])
    seen = await asyncio.to_thread(_all_pages, bob, 1)
    assert [third.id, second.id, status.id] == [i for i in seen if i in (third.id, second.id, status.id)]
    assert len(seen) == len(set(seen))

    # Delete removes it.
    await asyncio.to_thread(alice.status_delete, status)
    after = await asyncio.to_thread(bob.timeline_home)
    assert status.id not in [s.id for s in after]


def _wait_streaming(handle) -> None:
    # Mastodon.py connects in a thread; the stream is open once it reports being alive.
    for _ in range(200):
        if handle.is_receiving():
            return
        threading.Event().wait(0.05)
    raise AssertionError("the stream never opened")


async def _types(api: Mastodon) -> list[str]:
    return [n.type for n in await asyncio.to_thread(api.notifications)]


async def _search_hits(api: Mastodon, q: str):
    found = await asyncio.to_thread(api.search_v2, q)
    return found if found.statuses else None


def _all_pages(api: Mastodon, limit: int) -> list:
    page = api.timeline_home(limit=limit)
    ids = []
    while page:
        ids += [s.id for s in page]
        page = api.fetch_next(page)
    return ids


async def _toot(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "toot"), *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode("utf-8", "replace")
    assert proc.returncode == 0, f"toot {' '.join(args)} failed:\n{text}"
    return text


async def test_toot_cli_logs_in_posts_and_reads_the_timeline(world, mastodon_url, unique, tmp_path):
    carol = await world.signup("mdcarol")
    dave = await world.signup("mddave")
    await world.follow(carol, dave)
    await world.post(dave, caption=f"From the v1 API {unique}")
    # toot keeps its configuration under XDG_CONFIG_HOME: this test's own directory.
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "160"}
    # login_cli asks for an e-mail address; a Raygram account is its username.
    out = await _toot(env, "login_cli", "--instance", mastodon_url, "--email", carol.username,
                      "--password", carol.password)
    assert "Successfully logged in" in out
    assert carol.username in await _toot(env, "whoami")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(images.jpeg())
    out = await _toot(env, "post", "--media", str(photo), "--description", "toot's photo",
                      f"Posted with toot {unique}")
    assert "Toot posted" in out
    timeline = await _toot(env, "timeline", "--once", "--count", "10")
    assert f"Posted with toot {unique}" in timeline and f"From the v1 API {unique}" in timeline
