"""Hostile media and a broken media pool, through the gateway: a dead Pillow worker costs at most
the upload it was working on, GIF bombs are refused from their headers, a worker's memory and CPU
are bounded, and an upload body is bounded even without a Content-Length."""
from __future__ import annotations

import asyncio
import io
import os
import signal
import time

import pytest
from PIL import Image

from core.errors import ServiceUnavailable
from gateway.keys import MEDIA_POOL
from media.pool import MediaPool, WorkerLimits
from media.process import ImageLimits, ImageRejected, process_image
from tests import images

from .world import World

BOUNDARY = "raygram-test-boundary"


def _big_jpeg() -> bytes:
    """64 MP (the largest accepted), 1 MB on disk, about a second of a worker's CPU."""
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((8000, 8000)).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


async def _gone(pid: int, timeout: float = 10.0) -> None:
    """Until ``pid`` has exited and been reaped (by the executor that owned it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} is still there")


async def _until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _media_probe(client) -> dict:
    resp = await client.get("/readyz")
    return (await resp.json())["services"]["media"]


# -- finding 2: a dead worker ------------------------------------------------------------------

async def test_a_killed_worker_is_replaced_and_the_next_upload_succeeds(client, app, world):
    ada = await world.signup("ada")
    await world.post(ada, [images.jpeg()])                 # the pool starts its workers on demand
    pool = app[MEDIA_POOL]
    victim = pool.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)                        # what the kernel's OOM killer does
    await _gone(victim)

    assert (await _media_probe(client))["status"] == "ok"      # the probe replaced the pool
    resp = await world.upload(ada, [images.jpeg()])
    assert resp.status == 201, await resp.text()
    assert pool.rebuilds == 1 and victim not in pool.worker_pids()
    assert (await _media_probe(client))["status"] == "ok"


async def test_the_upload_a_worker_dies_under_is_a_503_and_the_next_one_succeeds(client, app, world):
    ada = await world.signup("ada")
    pool = app[MEDIA_POOL]
    big = _big_jpeg()
    upload = asyncio.create_task(world.upload(ada, [big, big]))
    await _until(lambda: pool.busy >= 2)                  # both photos are being processed
    os.kill(pool.worker_pids()[0], signal.SIGKILL)
    resp = await upload
    assert resp.status == 503, await resp.text()
    assert (await resp.json())["error"]["code"] == "service_unavailable"
    assert resp.headers["Retry-After"] == "1"

    resp = await world.upload(ada, [images.jpeg()])
    assert resp.status == 201, await resp.text()
    assert (await _media_probe(client))["status"] == "ok"


async def test_a_worker_that_dies_mid_task_fails_that_task_only():
    pool = MediaPool(1, WorkerLimits(memory_bytes=0, cpu_seconds=0, recycle_after=100))
    try:
        sleeping = asyncio.create_task(pool.run(time.sleep, 30))
        await _until(lambda: pool.worker_pids() and pool.busy)
        await asyncio.sleep(0.5)                           # the worker has taken the task
        os.kill(pool.worker_pids()[0], signal.SIGKILL)
        with pytest.raises(ServiceUnavailable):
            await asyncio.wait_for(sleeping, 10)
        assert await pool.run(os.getpid) != 0
        assert pool.rebuilds == 1
    finally:
        pool.close()


# -- the worker limits ------------------------------------------------------------------------

async def test_an_image_that_needs_more_memory_than_a_worker_has_is_a_422(isolated_client, unique):
    # 300 MB: a 64 MP photo needs about 650 MB; the kernel refuses the allocation, Pillow raises
    # MemoryError, and the worker lives on.
    client = await isolated_client(media_worker_memory_bytes=300 * 1024 * 1024)
    world = World(client, unique)
    ada = await world.signup("ada")
    resp = await world.upload(ada, [_big_jpeg()])
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] == "image_too_large"
    resp = await world.upload(ada, [images.jpeg()])
    assert resp.status == 201, await resp.text()
    assert client.app[MEDIA_POOL].rebuilds == 0


async def test_a_task_over_its_cpu_budget_is_refused_and_the_worker_lives_on():
    pool = MediaPool(1, WorkerLimits(memory_bytes=0, cpu_seconds=1, recycle_after=100))
    try:
        with pytest.raises(ImageRejected) as info:
            await pool.run(exec, "while True: pass")
        assert (info.value.status, info.value.code) == (422, "image_too_complex")
        worker = pool.worker_pids()
        assert await pool.run(exec, "sum(range(1000))") is None     # a new budget for the next task
        assert pool.worker_pids() == worker and pool.rebuilds == 0
    finally:
        pool.close()


async def test_workers_are_replaced_by_fresh_ones_after_their_task_budget():
    pool = MediaPool(1, WorkerLimits(memory_bytes=0, cpu_seconds=20, recycle_after=2))
    try:
        first = await pool.run(os.getpid)
        for _ in range(3):
            await pool.probe()                             # probes spend no task budget
        assert await pool.run(os.getpid) == first
        fresh = await pool.run(os.getpid)
        assert fresh != first and pool.rebuilds == 0
        await _gone(first)                                 # the retired worker exits on its own
    finally:
        pool.close()


# -- finding 3: GIF bombs ---------------------------------------------------------------------

@pytest.mark.parametrize("bomb,code", [
    (images.gif_declaring(2000, 2000, 40), "image_too_large"),                   # 959 bytes, 160 MP
    (images.gif_declaring(8000, 8000, 400_000, delays=False), "too_many_frames"),  # 6 MB
])
async def test_gif_bombs_are_refused_and_the_pool_survives(client, app, world, bomb, code):
    ada = await world.signup("ada")
    resp = await world.upload(ada, [bomb], filename="bomb.gif", content_type="image/gif")
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] == code
    await world.post(ada, [images.gif()])
    assert app[MEDIA_POOL].rebuilds == 0


async def test_an_animation_is_encoded_frame_by_frame_in_bounded_memory(tmp_path):
    # The 959-byte bomb with the GIF limits lifted: 40 frames of 2000x2000 used to be held as RGBA
    # all at once (640 MB); streamed, a worker limited to 256 MB encodes them all.
    bomb = tmp_path / "bomb.gif"
    bomb.write_bytes(images.gif_declaring(2000, 2000, 40))
    out = tmp_path / "out"
    out.mkdir()
    lifted = ImageLimits(max_pixels=64_000_000, gif_max_frames=1000, gif_max_pixels=10**12)
    pool = MediaPool(1, WorkerLimits(memory_bytes=256 * 1024 * 1024, cpu_seconds=60, recycle_after=100))
    try:
        result = await pool.run(process_image, str(bomb), str(out), lifted)
    finally:
        pool.close()
    assert (result.frames, result.width, result.height) == (40, 2000, 2000)


# -- finding 8: bodies without a Content-Length -----------------------------------------------

def _part_head(name: str, extra: str = "") -> bytes:
    return f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n".encode()


def _part(name: str, value: bytes, extra: str = "") -> bytes:
    return _part_head(name, extra) + value + b"\r\n"


async def _chunked(client, who, parts):
    """POST /posts with a chunked body (no Content-Length): ``parts`` is an async iterator."""
    async def body():
        yield _part("media", images.jpeg(), '; filename="a.jpg"')
        async for part in parts:
            yield part
        yield f"--{BOUNDARY}--\r\n".encode()
    headers = who.auth | {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return await asyncio.wait_for(client.post("/api/v1/posts", data=body(), headers=headers), 30)


async def _endless(make):
    for i in range(10**9):
        yield make(i)
        if i % 100 == 0:
            await asyncio.sleep(0)


@pytest.mark.parametrize("make,status,code", [
    (lambda i: _part("alt", b"an alt text"), 422, "too_many_alts"),
    (lambda i: _part(f"extra{i}", b"x"), 422, "too_many_parts"),
    (lambda i: b"y" * 65536 if i else _part_head("extra"), 413, "payload_too_large"),   # one endless part
])
async def test_an_endless_chunked_body_is_cut_off(client, world, make, status, code):
    ada = await world.signup("ada")
    resp = await _chunked(client, ada, _endless(make))
    assert resp.status == status, await resp.text()
    assert (await resp.json())["error"]["code"] == code


async def test_a_chunked_upload_within_the_limits_is_a_post(client, world):
    ada = await world.signup("ada")

    async def parts():
        yield _part("caption", b"chunked #upload")
        yield _part("alt", b"a card")
        yield _part("submit", b"Post")

    resp = await _chunked(client, ada, parts())
    assert resp.status == 201, await resp.text()
    post = await resp.json()
    assert post["media"][0]["alt"] == "a card" and post["hashtags"] == ["upload"]
