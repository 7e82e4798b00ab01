"""Nothing half-written: failures midway leave no post, no quota used, and no lasting objects."""
from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
import pytest
from botocore.exceptions import ClientError

from core import redis_keys
from core.clock import now_ms
from core.ids import EPOCH_MS, TIMESTAMP_SHIFT
from core.quota_periods import periods
from gateway.app import create_app
from gateway.keys import NEO4J, REDIS, S3
from media.avatars import avatar_key
from media.storage import media_key
from usecases.orphan_sweep import sweep_orphans
from tests import images

from .world import World


async def test_a_storage_failure_midway_leaves_no_post_and_no_used_quota(aiohttp_client, settings, unique):
    # A bucket of this test's own, removed after the app started: every S3 write then fails.
    app = create_app(dataclasses.replace(settings, s3_bucket=f"rg-broken-{unique}"))
    client = await aiohttp_client(app, headers={"X-Forwarded-For": f"test-client-{unique}"})
    world = World(client, unique)
    ada = await world.signup("ada")
    await client.app[S3].delete_bucket(Bucket=f"rg-broken-{unique}")

    resp = await world.upload(ada, [images.jpeg()])
    assert resp.status == 503
    assert resp.headers["Retry-After"]
    assert (await resp.json())["error"]["code"] == "service_unavailable"
    assert (await world.profile(ada, ada.username))["posts_count"] == 0
    day, month = periods(now_ms())
    for period in (day, month):
        assert int(await client.app[REDIS].get(redis_keys.post_quota(int(ada.id), period.name)) or 0) == 0


async def test_parallel_uploads_cannot_exceed_the_daily_quota(client, world, settings):
    ada = await world.signup("ada")
    tiny = images.jpeg(16, 16)
    responses = await asyncio.gather(*(world.upload(ada, [tiny]) for _ in range(settings.posts_per_day + 3)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(201) == settings.posts_per_day
    assert statuses.count(429) == 3
    assert (await world.profile(ada, ada.username))["posts_count"] == settings.posts_per_day


async def test_the_sweeper_removes_orphans_and_keeps_live_media(client, world, settings):
    ada = await world.signup("ada")
    post = await world.post(ada)
    s3, bucket = client.app[S3], settings.s3_bucket
    # An object from an upload that died an hour ago (its id says when), and a fresh one that
    # may still be committing.
    old_id = ((now_ms() - 2 * 3600 * 1000 - EPOCH_MS) << TIMESTAMP_SHIFT) | 12345
    fresh_id = ((now_ms() - EPOCH_MS) << TIMESTAMP_SHIFT) | 12345
    for media_id in (old_id, fresh_id):
        await s3.put_object(Bucket=bucket, Key=media_key(media_id, "original", "jpg"), Body=b"orphan")

    await sweep_orphans(s3, bucket, client.app[NEO4J], now_ms=now_ms(), grace_ms=3600 * 1000)

    async def exists(key: str) -> bool:
        try:
            await s3.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError:
            return False

    assert not await exists(media_key(old_id, "original", "jpg"))
    assert await exists(media_key(fresh_id, "original", "jpg"))
    live = await client.get(f"/api/v1/posts/{post['id']}", headers=ada.auth)
    url = (await live.json())["media"][0]["urls"]["original"]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200, "media of a live post survive the sweep"
    await s3.delete_object(Bucket=bucket, Key=media_key(fresh_id, "original", "jpg"))


async def test_the_sweeper_removes_orphaned_profile_photos_and_keeps_the_ones_in_use(client, world, settings):
    ada = await world.signup("ada")
    form = aiohttp.FormData()
    form.add_field("avatar", images.jpeg(200, 200), filename="me.jpg", content_type="image/jpeg")
    resp = await client.put("/api/v1/me/avatar", data=form, headers=ada.auth)
    in_use = (await resp.json())["avatar_url"]
    s3, bucket = client.app[S3], settings.s3_bucket
    # A photo stored by an upload that died two hours ago, before the account named it.
    orphan_id = ((now_ms() - 2 * 3600 * 1000 - EPOCH_MS) << TIMESTAMP_SHIFT) | 54321
    await s3.put_object(Bucket=bucket, Key=avatar_key(orphan_id, "thumb"), Body=b"orphan")

    deleted = await sweep_orphans(s3, bucket, client.app[NEO4J], now_ms=now_ms() + 2 * 3600 * 1000,
                                  grace_ms=3600 * 1000)

    assert deleted >= 1
    with pytest.raises(ClientError):
        await s3.head_object(Bucket=bucket, Key=avatar_key(orphan_id, "thumb"))
    # Ada's photo is two hours "old" at that sweep's clock, and named by her account: kept.
    assert (await client.get(in_use)).status == 200
