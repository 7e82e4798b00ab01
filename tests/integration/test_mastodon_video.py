"""Videos through the Mastodon media API (issue 13 on top of issue 14's transcodes): the real,
unpatched Mastodon.py uploads a video, waits for it, posts it, and a follower plays it from the
home timeline and the stream; the v2 answer (202, then 206 until done), the synchronous v1
answer, refusals, a failed transcode, and a staged video finished by another gateway."""
from __future__ import annotations

import asyncio
import dataclasses
import io
import os

import aiohttp
import pytest

from gateway.app import create_app
from gateway.keys import NEO4J
from gateway.mastodon.app import build
from graph.staged_media import NOT_READY
from tests import videos

from .mastodon_http import SSE, password_token
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)
from .test_mastodon_clients import _password_login, _toot
from .world import World, eventually, fetch

pytestmark = pytest.mark.integration

# Tiny clips: the transcode takes a second, not minutes.
CLIP = dict(width=160, height=120, seconds=1, fps=24)


async def _upload(http: aiohttp.ClientSession, url: str, token: str, data: bytes, *, version: str = "v2",
                  filename: str = "clip.mp4", content_type: str = "video/mp4") -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    form.add_field("description", "a clip")
    return await http.post(f"{url}/api/{version}/media", data=form, headers={"Authorization": f"Bearer {token}"})


async def _poll(http: aiohttp.ClientSession, url: str, token: str, media_id: str, timeout: float = 120.0):
    """(status, body) of GET /api/v1/media/:id once it is no longer 206."""
    async def probe():
        async with http.get(f"{url}/api/v1/media/{media_id}", headers={"Authorization": f"Bearer {token}"}) as r:
            return None if r.status == 206 else (r.status, await r.json())
    found = await eventually(probe, timeout=timeout, interval=0.25)
    assert found, "the media never left processing"
    return found


async def _staged_count(client, user_id: str) -> int:
    records, _, _ = await client.app[NEO4J].execute_query(
        "MATCH (m:Media) WHERE m.owner_id = $id RETURN count(m) AS n", id=int(user_id))
    return records[0]["n"]


async def test_mastodon_py_uploads_waits_for_and_posts_a_video(world, mastodon_url, settings):
    url = mastodon_url
    ada_v1, bob_v1 = await world.signup("mvada"), await world.signup("mvbob")
    await world.follow(bob_v1, ada_v1)
    ada = await asyncio.to_thread(_password_login, url, ada_v1.username, ada_v1.password)
    bob = await asyncio.to_thread(_password_login, url, bob_v1.username, bob_v1.password)

    # The instance says videos are accepted, and within which limits.
    limits = (await asyncio.to_thread(ada.instance)).configuration.media_attachments
    assert {"video/mp4", "video/quicktime", "video/webm"} <= set(limits.supported_mime_types)
    assert (limits.video_size_limit, limits.video_matrix_limit) == (settings.video_max_bytes, settings.video_max_pixels)
    assert limits.video_frame_rate_limit == int(settings.video_max_fps)

    # Mastodon.py posts to /api/v2/media (202, url null) and polls GET /api/v1/media/:id until the url is set.
    media = await asyncio.to_thread(ada.media_post, io.BytesIO(videos.make(**CLIP)), "video/mp4",
                                    description="a short clip", synchronous=True)
    assert media.type == "video" and media.url and media.preview_url and media.description == "a short clip"
    assert (media.meta.original.width, media.meta.original.height) == (160, 120)
    assert abs(media.meta.original.duration - 1.0) < 0.2 and media.meta.original.frame_rate == "24/1"
    assert media.meta.fps == 24 and media.meta.small.width == 160

    # Live: the follower's user stream (read as raw server-sent events: Mastodon.py's close()
    # waits for the next heartbeat) carries the status with its video.
    async with aiohttp.ClientSession() as http:
        stream = await http.get(f"{url}/api/v1/streaming/user", headers={"Authorization": f"Bearer {bob.access_token}"})
        assert stream.status == 200
        status = await asyncio.to_thread(ada.status_post, "Moving pictures", media_ids=[media])
        assert status.media_attachments[0].type == "video" and status.media_attachments[0].id == media.id
        event = await SSE(stream).next()
        assert event and event["event"] == "update"
        live = SSE.payload(event)
        assert live["id"] == status.id and live["media_attachments"][0]["type"] == "video"
        assert live["media_attachments"][0]["url"] and live["media_attachments"][0]["meta"]["original"]["duration"]

    home = await eventually(lambda: asyncio.to_thread(bob.timeline_home))
    seen = next(s for s in home if s.id == status.id)
    clip = seen.media_attachments[0]
    assert clip.type == "video" and abs(clip.meta.original.duration - 1.0) < 0.2 and clip.preview_url
    # The url is an MP4 a player can seek in; the preview is the poster (a JPEG).
    code, data, headers = await fetch(clip.url)
    assert code == 200 and headers["Content-Type"] == "video/mp4" and data[4:8] == b"ftyp"
    code, part, headers = await fetch(clip.url, Range="bytes=0-99")
    assert code == 206 and part == data[:100] and headers["Content-Range"] == f"bytes 0-99/{len(data)}"
    code, poster, _ = await fetch(clip.preview_url)
    assert code == 200 and poster[:3] == b"\xff\xd8\xff"


async def test_toot_posts_a_video_after_polling_for_it(world, mastodon_url, unique, tmp_path):
    erin = await world.signup("mvtoot")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "160"}
    out = await _toot(env, "login_cli", "--instance", mastodon_url, "--email", erin.username, "--password", erin.password)
    assert "Successfully logged in" in out
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(videos.make(**CLIP))
    # toot uploads to /api/v2/media, sees url null, polls GET /api/v1/media/:id each second, then posts.
    out = await _toot(env, "post", "--media", str(clip), "--description", "toot's clip", f"A clip {unique}")
    assert "Waiting for media to finish processing" in out and "Toot posted" in out
    posts = await world.get(erin, f"/api/v1/users/{erin.username}/posts")
    media = posts["items"][0]["media"][0]
    assert (media["type"], media["alt"]) == ("video", "toot's clip") and media["renditions"]


async def test_v2_answers_202_then_206_until_done_and_processing_media_cannot_be_posted(world, mastodon_url):
    url = mastodon_url
    ada = await world.signup("mvcara")
    async with aiohttp.ClientSession() as http:
        token = await password_token(http, url, ada.username, ada.password)
        auth = {"Authorization": f"Bearer {token}"}
        resp = await _upload(http, url, token, videos.make(**CLIP))
        assert resp.status == 202, await resp.text()
        pending = await resp.json()
        assert (pending["type"], pending["url"], pending["description"]) == ("video", None, "a clip")
        # Still transcoding (a second at least): refused as Mastodon refuses it.
        refused = await http.post(f"{url}/api/v1/statuses", data={"status": "too soon", "media_ids[]": pending["id"]},
                                  headers=auth)
        assert refused.status == 422 and (await refused.json())["error"] == NOT_READY
        early = await http.get(f"{url}/api/v1/media/{pending['id']}", headers=auth)
        assert early.status == 206 and (await early.json())["url"] is None

        code, done = await _poll(http, url, token, pending["id"])
        assert code == 200 and done["url"] and done["preview_url"] and done["meta"]["original"]["duration"]
        posted = await http.post(f"{url}/api/v1/statuses", data={"status": "now", "media_ids[]": pending["id"]},
                                 headers=auth)
        assert posted.status == 200, await posted.text()
        attached = (await posted.json())["media_attachments"][0]
        assert (attached["id"], attached["type"]) == (pending["id"], "video") and attached["url"]

        # v1 answers once the video is transcoded (Mastodon's v1 waits too).
        resp = await _upload(http, url, token, videos.make(**CLIP), version="v1")
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert body["type"] == "video" and body["url"]

        # A text file named .mp4 is refused by its bytes, in Mastodon's error shape; nothing is kept.
        before = await _staged_count(world.client, ada.id)
        fake = await _upload(http, url, token, b"not a video, whatever its name says\n" * 50, filename="clip.mp4")
        assert fake.status == 415 and isinstance((await fake.json())["error"], str)
        truncated = videos.make(**CLIP)
        bad = await _upload(http, url, token, truncated[:len(truncated) // 2])
        assert bad.status == 422 and isinstance((await bad.json())["error"], str)
        assert await _staged_count(world.client, ada.id) == before


async def test_limits_and_a_failed_transcode(settings, aiohttp_client, aiohttp_server, unique):
    # A live-recorded WebM declares no duration: only the transcode finds it over a 1 s limit.
    live = videos.make(160, 120, seconds=2.5, fmt="webm", streaming=True)
    big = videos.make(320, 240, seconds=3)
    limit = len(live) + 1024
    assert len(big) > limit
    main = await aiohttp_client(create_app(dataclasses.replace(settings, video_max_duration_s=1.0,
                                                               video_max_bytes=limit, video_max_per_post=1)),
                                headers={"X-Forwarded-For": f"test-client-{unique}"})
    url = str((await aiohttp_server(build(main.app), host="127.0.0.1")).make_url("")).rstrip("/")
    world = World(main, unique)
    ada = await world.signup("mvdan")
    async with aiohttp.ClientSession() as http:
        token = await password_token(http, url, ada.username, ada.password)
        auth = {"Authorization": f"Bearer {token}"}
        instance = await (await http.get(f"{url}/api/v2/instance")).json()
        assert instance["configuration"]["media_attachments"]["video_size_limit"] == limit

        too_big = await _upload(http, url, token, big)
        assert too_big.status == 413 and isinstance((await too_big.json())["error"], str)
        assert await _staged_count(main, ada.id) == 0

        resp = await _upload(http, url, token, live, filename="live.webm", content_type="video/webm")
        assert resp.status == 202, await resp.text()
        media_id = (await resp.json())["id"]
        # One video in flight per account here (as many as a post may carry): the next waits its turn.
        busy = await _upload(http, url, token, live, filename="live.webm", content_type="video/webm")
        assert busy.status == 429 and "Retry-After" in busy.headers
        code, failed = await _poll(http, url, token, media_id)
        assert code == 422 and "at most 1 s" in failed["error"]
        attach = await http.post(f"{url}/api/v1/statuses", data={"status": "x", "media_ids[]": media_id}, headers=auth)
        assert attach.status == 422


async def test_a_staged_video_left_processing_by_a_stopped_gateway_is_finished_by_another(
        settings, aiohttp_client, aiohttp_server, unique):
    first = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
    first_url = str((await aiohttp_server(build(first.app), host="127.0.0.1")).make_url("")).rstrip("/")
    ada = await World(first, unique).signup("mverin")
    async with aiohttp.ClientSession() as http:
        token = await password_token(http, first_url, ada.username, ada.password)
        resp = await _upload(http, first_url, token, videos.make(**CLIP))
        assert resp.status == 202
        media_id = (await resp.json())["id"]
        await first.close()                 # stops driving it (its lease is released)
        second = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
        second_url = str((await aiohttp_server(build(second.app), host="127.0.0.1")).make_url("")).rstrip("/")
        # The second gateway's sweep (at its start) finds the staged video and transcodes it.
        code, done = await _poll(http, second_url, token, media_id)
        assert code == 200 and done["type"] == "video" and done["url"]
