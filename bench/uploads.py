"""Upload benchmark: posts/s and MB/s through the gateway beside pure-Pillow processing.

    .venv/bin/python -m bench.uploads [--images 12] [--posts 24] [--concurrency 2]

Makes ~3 MB, 12-megapixel JPEGs, then in one run measures:
  1. pure Pillow: ``media.process.process_image`` on the same files, in a pool of the same size
     the gateway uses (the processing ceiling on this machine);
  2. the gateway: multipart uploads over loopback to a gateway process of its own (stream to
     disk, validate, process, store 4 variants in MinIO, commit in Neo4j) — the ratio to (1) is the
     gateway's overhead;
  3. ``GET /posts/{id}`` latency alone, then again while the uploads of (2) run.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing as mp
import os
import random
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import aiohttp
from PIL import Image, ImageFilter

from core.config import load_settings
from media.process import ImageLimits, process_image
from stack import manager
from stack.services import ensure_secrets

from stack.gateway_process import GatewayProcess

from .common import Result, closed_loop, fmt_ratio, session


def make_photo(seed: int, target_bytes: int = 3_000_000) -> bytes:
    """A 4000x3000 JPEG of about ``target_bytes``: smooth gradients plus fine grain, like a photo."""
    rng = random.Random(seed)
    w, h = 4000, 3000
    base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    tint = Image.new("RGB", (w, h), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    grain = Image.effect_noise((w // 2, h // 2), 40 + seed % 7).resize((w, h)).convert("RGB")
    photo = Image.blend(Image.blend(base, tint, 0.5), grain, 0.35).filter(ImageFilter.SMOOTH)
    best = b""
    for quality in (70, 78, 85, 90, 94):
        buf = io.BytesIO()
        photo.save(buf, "JPEG", quality=quality)
        best = buf.getvalue()
        if len(best) >= target_bytes:
            break
    return best


def _process_one(path: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        process_image(path, out, ImageLimits.from_settings(load_settings()))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--posts", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()

    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    photos = [make_photo(i) for i in range(args.images)]
    mb = sum(len(p) for p in photos) / len(photos) / 1e6
    print(f"{len(photos)} photos, 4000x3000, mean {mb:.2f} MB")

    workdir = tempfile.mkdtemp(prefix="raygram-bench-")
    paths = []
    for i, data in enumerate(photos):
        path = os.path.join(workdir, f"p{i}.jpg")
        with open(path, "wb") as fh:
            fh.write(data)
        paths.append(path)

    # 1. Pure Pillow, same pool size as the gateway's.
    workers = settings.media_workers
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_process_one, paths[:workers]))          # warm the workers
        t0 = time.perf_counter()
        list(pool.map(_process_one, [paths[i % len(paths)] for i in range(args.posts)]))
        pillow_s = time.perf_counter() - t0
    pillow_rate = args.posts / pillow_s

    env = {"RAYGRAM_POSTS_PER_DAY": "1000000", "RAYGRAM_POSTS_PER_MONTH": "1000000",
           "RAYGRAM_SIGNUPS_PER_ADDRESS": "1000000"}
    with GatewayProcess(settings, args.port, env) as gw:
        async with session(base_url=gw.url) as http:
            tag = os.urandom(3).hex()
            tokens = []
            for i in range(args.concurrency):
                async with http.post("/api/v1/accounts", json={"username": f"bench_up{i}_{tag}",
                                                               "password": "bench-password"}) as r:
                    tokens.append((await r.json())["token"])
            auth = [{"Authorization": f"Bearer {t}"} for t in tokens]

            async def upload(i: int) -> None:
                form = aiohttp.FormData()
                form.add_field("media", photos[i % len(photos)], filename="p.jpg", content_type="image/jpeg")
                form.add_field("caption", f"bench #upload{i % 5}")
                async with http.post("/api/v1/posts", data=form, headers=auth[i % len(auth)]) as r:
                    if r.status != 201:
                        raise RuntimeError(f"{r.status} {await r.text()}")
                    posted.append((await r.json())["id"])

            posted: list[str] = []
            await upload(0)                                      # warm the gateway's pool
            target = posted[0]

            async def read(i: int) -> None:
                async with http.get(f"/api/v1/posts/{target}", headers=auth[0]) as r:
                    assert r.status == 200
                    await r.read()

            idle = await closed_loop("GET /posts/{id}, idle", read, concurrency=2, total=400)

            reads: list[float] = []
            done = asyncio.Event()

            async def reader() -> None:
                while not done.is_set():
                    t = time.perf_counter()
                    await read(0)
                    reads.append(time.perf_counter() - t)
                    await asyncio.sleep(0.01)

            reader_task = asyncio.create_task(reader())
            uploads = await closed_loop("gateway uploads", upload, concurrency=args.concurrency, total=args.posts)
            done.set()
            await reader_task
            busy = Result("GET /posts/{id}, during uploads", reads, uploads.wall_s)

    gateway_rate = uploads.throughput
    print(f"\nuploads of 1 photo ({mb:.2f} MB, 12 MP) per post, {args.concurrency} concurrent clients, "
          f"{workers} processing workers, everything on one {os.cpu_count()}-core machine")
    print(f"pure Pillow processing:  {pillow_rate:6.2f} images/s  {pillow_rate * mb:6.1f} MB/s")
    print(f"gateway uploads:         {gateway_rate:6.2f} posts/s   {gateway_rate * mb:6.1f} MB/s   "
          f"p50 {uploads.pct(50):.0f} ms  p99 {uploads.pct(99):.0f} ms  errors {uploads.errors}")
    print(f"gateway / pure Pillow:   {fmt_ratio(gateway_rate, pillow_rate)}")
    print(idle.line())
    print(busy.line())
    print(f"GET p99 during uploads vs idle: {fmt_ratio(busy.pct(99), idle.pct(99))}")


if __name__ == "__main__":
    asyncio.run(main())
