"""Posts and media through the gateway, against real MinIO and Neo4j."""
from __future__ import annotations

import io

import aiohttp
import pytest
from PIL import Image

from core import redis_keys
from core.quota_periods import periods
from gateway.keys import REDIS, S3
from tests import images


async def _fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            return resp.status, await resp.read()


async def _bucket_keys(client, settings) -> set[str]:
    s3 = client.app[S3]
    keys: set[str] = set()
    paginator = s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=settings.s3_bucket, Prefix="media/"):
        keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


async def test_jpeg_png_and_gif_make_posts_with_every_variant(client, world):
    ada = await world.signup("ada")
    post = await world.post(ada, [images.jpeg(800, 600), images.png(), images.gif()],
                            caption="Three kinds #Photos #photos #café", alts=["a red-blue card", "green"])
    assert post["author"]["username"] == ada.username
    assert post["hashtags"] == ["photos", "café"]
    assert (post["like_count"], post["comment_count"], post["liked_by_me"]) == (0, 0, False)
    kinds = [m["content_type"] for m in post["media"]]
    assert kinds == ["image/jpeg", "image/png", "image/gif"]
    assert [m["alt"] for m in post["media"]] == ["a red-blue card", "green", ""]
    assert (post["media"][0]["width"], post["media"][0]["height"]) == (800, 600)
    for m in post["media"]:
        assert set(m["urls"]) == {"thumb", "small", "medium", "original"}

    status, data = await _fetch(post["media"][2]["urls"]["original"])
    assert status == 200
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.n_frames == 3, "an animated GIF stays animated"
    status, data = await _fetch(post["media"][0]["urls"]["thumb"])
    assert status == 200 and Image.open(io.BytesIO(data)).size == (150, 150)
    assert (await world.profile(ada, ada.username))["posts_count"] == 1


async def test_presigned_urls_serve_bytes_and_unsigned_ones_do_not(client, world):
    ada = await world.signup("ada")
    url = (await world.post(ada))["media"][0]["urls"]["original"]
    assert (await _fetch(url))[0] == 200
    assert (await _fetch(url.split("?")[0]))[0] == 403


async def test_a_rotated_jpeg_is_stored_upright(client, world):
    ada = await world.signup("ada")
    post = await world.post(ada, [images.jpeg(64, 48, orientation=6)])
    assert (post["media"][0]["width"], post["media"][0]["height"]) == (48, 64)
    _, data = await _fetch(post["media"][0]["urls"]["original"])
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (48, 64)
        assert im.getpixel((24, 4))[0] > 200, "the red half is on top"


async def test_gps_never_leaks_from_any_variant(client, world):
    ada = await world.signup("ada")
    post = await world.post(ada, [images.jpeg(640, 480, gps=True)])
    for name, url in post["media"][0]["urls"].items():
        status, data = await _fetch(url)
        assert status == 200
        assert images.has_metadata(data) == [], name


BAD_UPLOADS = [
    ("text renamed .jpg", [b"hello, I am not a photo at all"], 415, "unsupported_media_type"),
    ("svg", [images.SVG], 415, "unsupported_media_type"),
    ("webp", [images.webp()], 415, "unsupported_media_type"),
    ("truncated jpeg", [images.truncated_jpeg()], 422, "corrupt_image"),
    ("50k x 50k png", [images.png_declaring(50_000, 50_000)], 422, "image_too_large"),
    ("10 MB + 1 byte", [images.jpeg() + b"\0" * (10 * 1024 * 1024 + 1 - len(images.jpeg()))], 413, "media_too_large"),
    ("11 photos", [images.jpeg()] * 11, 422, "too_many_media"),
    ("no photo", [], 422, "media_required"),
    ("good then bad", [images.jpeg(), images.SVG], 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("label,files,status,code", BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
async def test_bad_uploads_are_refused_and_leave_nothing_behind(client, world, settings, label, files, status, code):
    ada = await world.signup("ada")
    before = await _bucket_keys(client, settings)
    resp = await world.upload(ada, files)
    assert resp.status == status, await resp.text()
    assert (await resp.json())["error"]["code"] == code
    assert await _bucket_keys(client, settings) == before, "no object left in S3"
    assert (await world.profile(ada, ada.username))["posts_count"] == 0, "no post"
    day, _ = periods(__import__("core.clock", fromlist=["now_ms"]).now_ms())
    used = await client.app[REDIS].get(redis_keys.post_quota(int(ada.id), day.name))
    assert int(used or 0) == 0, "a refused upload does not use quota"


async def test_a_missing_token_is_401_before_the_body_is_read(client, world):
    resp = await world.upload(None)
    assert resp.status == 401


async def test_a_fifty_megabyte_body_is_refused_up_front(client, world):
    ada = await world.signup("ada")
    body = b"--b\r\nContent-Disposition: form-data; name=\"media\"; filename=\"x.jpg\"\r\n\r\n" + \
        b"\0" * (50 * 1024 * 1024) + b"\r\n--b--\r\n"
    try:
        resp = await client.post("/api/v1/posts", data=body, headers={
            **ada.auth, "Content-Type": "multipart/form-data; boundary=b"})
    except aiohttp.ClientOSError:
        return  # the server closed the connection without reading 50 MB: also a refusal
    assert resp.status == 413


async def test_not_multipart_is_415(client, world):
    ada = await world.signup("ada")
    resp = await client.post("/api/v1/posts", json={"caption": "no photo"}, headers=ada.auth)
    assert resp.status == 415


async def test_the_eleventh_post_of_the_day_is_refused(client, world):
    ada = await world.signup("ada")
    tiny = images.jpeg(16, 16)
    for _ in range(10):
        await world.post(ada, [tiny])
    resp = await world.upload(ada, [tiny])
    assert resp.status == 429
    assert (await resp.json())["error"]["code"] == "quota_exceeded"
    assert 0 < int(resp.headers["Retry-After"]) <= 86400


async def test_a_private_accounts_posts_are_invisible_to_non_followers(client, world):
    carol, bob, fan = await world.signup("carol", private=True), await world.signup("bob"), await world.signup("fan")
    post = await world.post(carol)
    resp = await client.get(f"/api/v1/posts/{post['id']}", headers=bob.auth)
    assert resp.status == 404
    assert "urls" not in await resp.text()
    assert (await client.get(f"/api/v1/users/{carol.username}/posts", headers=bob.auth)).status == 403

    await world.follow(fan, carol)
    await client.post(f"/api/v1/me/follow-requests/{fan.username}/accept", headers=carol.auth)
    resp = await client.get(f"/api/v1/posts/{post['id']}", headers=fan.auth)
    assert resp.status == 200
    assert (await _fetch((await resp.json())["media"][0]["urls"]["small"]))[0] == 200


async def test_an_authors_posts_page_newest_first(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    ids = [(await world.post(ada, [images.jpeg(16, 16)], caption=f"n{i}"))["id"] for i in range(5)]
    listed = await world.all_pages(f"/api/v1/users/{ada.username}/posts", bob, limit=2)
    assert [p["id"] for p in listed] == list(reversed(ids))


async def test_delete_removes_the_post_and_its_objects(client, world, settings):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    post = await world.post(ada, [images.jpeg(), images.png()])
    urls = [u for m in post["media"] for u in m["urls"].values()]

    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=bob.auth)).status == 403
    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 204
    assert (await client.get(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 404
    for url in urls:
        assert (await _fetch(url))[0] == 404
    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=ada.auth)).status == 404


async def test_unknown_post_ids_are_404(client, world):
    ada = await world.signup("ada")
    for raw in ("123", "not-a-number", "9" * 30):
        assert (await client.get(f"/api/v1/posts/{raw}", headers=ada.auth)).status == 404
