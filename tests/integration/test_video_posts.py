"""Video posts end to end (issue 14): real files made here with PyAV, uploaded through the gateway,
transcoded by Ray tasks, decoded back; states, visibility, live delivery, failures, a killed worker."""
from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import signal

import aiohttp
import av
import pytest

from core import redis_keys
from core.clock import now_ms
from core.quota_periods import periods
from gateway.app import create_app
from gateway.keys import REDIS
from stack.gateway_process import GatewayProcess, free_port
from tests import images, videos

from .test_stream import next_event
from .world import World, eventually, fetch

GPS = "+48.8584+002.2945/"


async def upload_video(world: World, who, data: bytes, *, filename="clip.mp4", content_type="video/mp4",
                       extra: list[bytes] | None = None, caption: str = "a clip"):
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("media", data, filename=filename, content_type=content_type)
    for photo in extra or []:
        form.add_field("media", photo, filename="photo.jpg", content_type="image/jpeg")
    form.add_field("caption", caption)
    return await world.client.post("/api/v1/posts", data=form, headers=who.auth)


async def ready(world: World, who, post_id: str, timeout: float = 120.0) -> dict:
    async def probe():
        post = await world.get(who, f"/api/v1/posts/{post_id}")
        return post if post["state"] != "processing" else None
    post = await eventually(probe, timeout=timeout, interval=0.5)
    assert post, "the video post never left processing"
    return post


def decoded(data: bytes) -> dict:
    """What a player finds in an MP4: codecs, sizes, the first frame's rotation, tags, frames."""
    with av.open(io.BytesIO(data)) as c:
        v = c.streams.video[0]
        first = next(c.decode(video=0))
        out = {"format": c.format.name, "video": v.codec_context.name, "width": v.width, "height": v.height,
               "audio": [a.codec_context.name for a in c.streams.audio], "tags": dict(c.metadata),
               "stream_tags": [dict(s.metadata) for s in c.streams], "rotation": first.rotation,
               "duration": c.duration / 1e6}
    with av.open(io.BytesIO(data)) as c:
        out["frames"] = sum(1 for _ in c.decode(video=0))
    return out


def top_level_boxes(data: bytes) -> list[bytes]:
    boxes, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        boxes.append(data[at + 4:at + 8])
        if size < 8:
            break
        at += size
    return boxes


async def test_a_video_post_is_processing_then_ready_for_followers_with_a_live_event(client, world):
    ada, bob, eve = await world.signup("ada"), await world.signup("bob"), await world.signup("eve")
    await world.follow(bob, ada)
    async with client.ws_connect("/api/v1/stream", headers=bob.auth) as ws:
        resp = await upload_video(world, ada, videos.make(320, 240, seconds=2), extra=[images.jpeg(64, 48)],
                                  caption="first clip #video")
        assert resp.status == 202, await resp.text()
        post = await resp.json()
        assert post["state"] == "processing" and post["failure"] is None
        clip, photo = post["media"]
        assert (clip["type"], clip["width"], clip["height"], clip["renditions"], clip["urls"]) == \
            ("video", 320, 240, [], {})
        assert photo["type"] == "image" and set(photo["urls"]) == {"thumb", "small", "medium", "original"}
        # Nobody but its author sees it before it is ready: not by id, not in lists or feeds.
        for viewer in (bob, eve):
            assert (await client.get(f"/api/v1/posts/{post['id']}", headers=viewer.auth)).status == 404
            assert post["id"] not in [p["id"] for p in (await world.get(viewer, f"/api/v1/users/{ada.username}/posts"))["items"]]
        assert post["id"] not in [p["id"] for p in (await world.get(bob, "/api/v1/feed"))["items"]]
        assert (await client.put(f"/api/v1/posts/{post['id']}/like", headers=bob.auth)).status == 404
        mine = await world.get(ada, f"/api/v1/users/{ada.username}/posts")
        assert mine["items"][0]["id"] == post["id"] and mine["items"][0]["state"] in ("processing", "ready")
        # Nor does it count yet, or it would promise visitors a post they cannot find. (Read the
        # count first: a post still processing after it was processing when it was read.)
        count = (await world.profile(eve, ada.username))["posts_count"]
        if (await world.get(ada, f"/api/v1/posts/{post['id']}"))["state"] == "processing":
            assert count == 0

        event = await next_event(ws, timeout=120)
        while event["type"] != "feed.post":
            event = await next_event(ws, timeout=120)
    assert event["data"]["id"] == post["id"] and event["data"]["state"] == "ready"
    live_clip = event["data"]["media"][0]
    assert live_clip["type"] == "video" and live_clip["renditions"]

    seen = await world.get(bob, f"/api/v1/posts/{post['id']}")
    assert seen["state"] == "ready"
    clip = seen["media"][0]
    assert clip["content_type"] == "video/mp4" and abs(clip["duration_s"] - 2.0) < 0.2
    assert [r["name"] for r in clip["renditions"]] == ["high"]          # 240p: nothing smaller to make
    assert (clip["renditions"][0]["width"], clip["renditions"][0]["height"]) == (320, 240)
    assert [p["id"] for p in (await world.get(bob, "/api/v1/feed"))["items"]][0] == post["id"]
    assert (await world.get(eve, f"/api/v1/users/{ada.username}/posts"))["items"][0]["id"] == post["id"]
    assert (await world.profile(eve, ada.username))["posts_count"] == 1

    # Playable: H.264 + AAC in MP4, the index (moov) before the media data, every frame there.
    status, data, headers = await fetch(clip["renditions"][0]["url"])
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    boxes = top_level_boxes(data)
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    info = decoded(data)
    assert (info["video"], info["audio"], info["width"], info["height"]) == ("h264", ["aac"], 320, 240)
    assert info["frames"] == 48
    # Players seek with range requests.
    status, part, headers = await fetch(clip["renditions"][0]["url"], Range="bytes=100-1099")
    assert status == 206 and part == data[100:1100]
    assert headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
    # The poster and its variants are JPEGs.
    for name in ("thumb", "small", "medium", "original"):
        status, jpeg, _ = await fetch(clip["urls"][name])
        assert status == 200 and jpeg[:3] == b"\xff\xd8\xff"


async def test_rotation_is_applied_and_metadata_is_gone(client, world):
    ada = await world.signup("ada")
    rotated = await upload_video(world, ada, videos.make(320, 240, rotate=90))
    tagged = await upload_video(world, ada, videos.make(320, 240, fmt="mov", tags={"location": GPS, "title": "home"}),
                                filename="clip.mov", content_type="video/quicktime")
    assert rotated.status == tagged.status == 202
    rotated, tagged = await rotated.json(), await tagged.json()
    # The upright size is known (and shown to its author) from the upload on.
    assert (rotated["media"][0]["width"], rotated["media"][0]["height"]) == (240, 320)
    assert tagged["media"][0]["content_type"] == "video/quicktime"

    post = await ready(world, ada, rotated["id"])
    rendition = post["media"][0]["renditions"][0]
    assert (rendition["width"], rendition["height"]) == (240, 320)
    _, data, _ = await fetch(rendition["url"])
    info = decoded(data)
    assert (info["width"], info["height"], info["rotation"]) == (240, 320, 0)   # turned, not flagged
    _, poster, _ = await fetch(post["media"][0]["urls"]["original"])
    from PIL import Image
    with Image.open(io.BytesIO(poster)) as im:
        assert im.size == (240, 320)
        # The source's green band at the top is on the left once turned a quarter counter-clockwise.
        r, g, b = im.convert("RGB").getpixel((10, 160))
        assert g > 150 and r < 80

    post = await ready(world, ada, tagged["id"])
    _, data, _ = await fetch(post["media"][0]["renditions"][0]["url"])
    info = decoded(data)
    assert "location" not in info["tags"] and "title" not in info["tags"] and "encoder" not in info["tags"]
    assert GPS.encode() not in data and b"\xa9xyz" not in data and b"home" not in data


async def test_refused_uploads_leave_nothing_behind(client, world, settings, aiohttp_client, unique):
    ada = await world.signup("ada")
    day, _ = periods(now_ms())
    quota = redis_keys.post_quota(int(ada.id), day.name)

    whole = videos.make(320, 240, seconds=2)
    truncated = await upload_video(world, ada, whole[:len(whole) // 2])         # moov (at the end) cut off
    assert truncated.status == 422 and (await truncated.json())["error"]["code"] == "corrupt_video"
    fake = await upload_video(world, ada, b"this is not a video at all, whatever its name says" * 20)
    assert fake.status == 415 and (await fake.json())["error"]["code"] == "unsupported_media_type"
    heif_brand = (24).to_bytes(4, "big") + b"ftypheic\0\0\0\0mif1heic" + b"\0" * 200
    assert (await upload_video(world, ada, heif_brand)).status == 415

    short = await aiohttp_client(create_app(dataclasses.replace(settings, video_max_duration_s=1.0)),
                                 headers={"X-Forwarded-For": f"test-client-{unique}"})
    too_long = await upload_video(World(short, unique), ada, videos.make(160, 120, seconds=2))
    assert too_long.status == 422 and (await too_long.json())["error"]["code"] == "video_too_long"

    assert (await world.get(ada, f"/api/v1/users/{ada.username}/posts"))["items"] == []
    assert int(await client.app[REDIS].get(quota) or 0) == 0


async def test_a_video_that_fails_to_transcode_fails_its_post_and_gives_the_quota_back(settings, aiohttp_client,
                                                                                      unique):
    # A live-recorded WebM declares no duration, so only the transcode can find it too long.
    client = await aiohttp_client(create_app(dataclasses.replace(settings, video_max_duration_s=1.0)),
                                  headers={"X-Forwarded-For": f"test-client-{unique}"})
    world = World(client, unique)
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(bob, ada)
    day, _ = periods(now_ms())
    quota = redis_keys.post_quota(int(ada.id), day.name)
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        resp = await upload_video(world, ada, videos.make(160, 120, seconds=2.5, fmt="webm", streaming=True),
                                  filename="live.webm", content_type="video/webm")
        assert resp.status == 202, await resp.text()
        post = await resp.json()
        assert post["media"][0]["duration_s"] is None
        assert int(await client.app[REDIS].get(quota)) == 1
        # The author's app, showing the post as processing, hears that it failed and why.
        event = await next_event(ws, timeout=120)
    assert event["type"] == "post.failed" and event["data"]["post_id"] == post["id"]
    assert event["data"]["failure"]["code"] == "video_too_long"
    failed = await world.get(ada, f"/api/v1/posts/{post['id']}")
    assert failed["state"] == "failed" and failed["failure"] == event["data"]["failure"]
    assert (await world.profile(ada, ada.username))["posts_count"] == 0     # a failed post never counts
    assert int(await client.app[REDIS].get(quota)) == 0
    assert (await client.get(f"/api/v1/posts/{post['id']}", headers=bob.auth)).status == 404
    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 204


async def test_killing_the_transcoding_worker_retries_the_task(client, world):
    ada = await world.signup("ada")
    resp = await upload_video(world, ada, videos.make(640, 360, seconds=12, fps=30))
    assert resp.status == 202, await resp.text()
    post = await resp.json()
    attempts = redis_keys.video_attempts(int(post["media"][0]["id"]))
    redis = client.app[REDIS]
    pid = await eventually(lambda: redis.hget(attempts, "pid"), timeout=60, interval=0.02)
    assert pid, "no transcode attempt started"
    os.kill(int(pid), signal.SIGKILL)
    done = await ready(world, ada, post["id"], timeout=180)
    assert done["state"] == "ready"
    assert int(await redis.hget(attempts, "attempts")) >= 2
    assert int(await redis.hget(attempts, "pid")) != int(pid)
    _, data, _ = await fetch(done["media"][0]["renditions"][0]["url"])
    assert decoded(data)["frames"] == 360


async def test_a_restarted_gateway_finishes_what_a_stopped_one_left_processing(settings, aiohttp_client, unique):
    first = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
    world = World(first, unique)
    ada = await world.signup("ada")
    resp = await upload_video(world, ada, videos.make(320, 240, seconds=2))
    assert resp.status == 202
    post = await resp.json()
    await first.close()                     # stops driving it (its lease is released)
    second = await aiohttp_client(create_app(settings), headers={"X-Forwarded-For": f"test-client-{unique}"})
    done = await ready(World(second, unique), ada, post["id"])
    assert done["state"] == "ready" and done["media"][0]["renditions"]


async def test_a_video_acknowledged_by_a_gateway_killed_with_sigkill_still_becomes_ready(settings, aiohttp_client,
                                                                                       unique):
    """The 202 is a promise: the processing post in Neo4j outlives the gateway that took it (and
    its transcode, cancelled with its Ray driver); another gateway's sweep finishes it once the
    dead one's lease lapses."""
    env = {"RAYGRAM_VIDEO_LEASE_S": "3", "RAYGRAM_SIGNUPS_PER_ADDRESS": "1000"}
    gateway = await asyncio.to_thread(GatewayProcess(settings, free_port(), env).__enter__)
    try:
        async with aiohttp.ClientSession(gateway.url) as http:
            world = World(http, unique)
            ada = await world.signup("ada")
            resp = await upload_video(world, ada, videos.make(320, 240, seconds=2))
            assert resp.status == 202, await resp.text()
            post = await resp.json()
        os.kill(gateway.proc.pid, signal.SIGKILL)
        await asyncio.to_thread(gateway.proc.wait, 10)
    finally:
        await asyncio.to_thread(gateway.__exit__, None, None, None)
    survivor = await aiohttp_client(create_app(dataclasses.replace(settings, video_sweep_s=1.0)),
                                    headers={"X-Forwarded-For": f"test-client-{unique}"})
    # Killed mid-transcode (a transcode takes seconds; the kill came milliseconds after the 202),
    # and the dead gateway's lease still holds the post for a few seconds.
    assert (await World(survivor, unique).get(ada, f"/api/v1/posts/{post['id']}"))["state"] == "processing"
    done = await ready(World(survivor, unique), ada, post["id"])
    assert done["state"] == "ready" and done["media"][0]["renditions"]
    _, data, _ = await fetch(done["media"][0]["renditions"][0]["url"])
    assert decoded(data)["frames"] == 48


async def test_a_webm_hd_source_gets_both_renditions(client, world):
    ada = await world.signup("ada")
    resp = await upload_video(world, ada, videos.make(1280, 720, seconds=1, fmt="webm"), filename="clip.webm",
                              content_type="video/webm")
    assert resp.status == 202, await resp.text()
    post = await ready(world, ada, (await resp.json())["id"])
    clip = post["media"][0]
    assert [(r["name"], r["width"], r["height"]) for r in clip["renditions"]] == [("high", 1280, 720),
                                                                                ("low", 854, 480)]
    assert (clip["width"], clip["height"], clip["content_type"]) == (1280, 720, "video/mp4")
    for rendition in clip["renditions"]:
        _, data, _ = await fetch(rendition["url"])
        info = decoded(data)
        assert (info["video"], info["audio"]) == ("h264", ["aac"])
        assert (info["width"], info["height"]) == (rendition["width"], rendition["height"])
        assert info["frames"] == 24
