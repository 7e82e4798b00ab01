"""Video transcode throughput through Raygram vs the same transcode done directly, same run; and
photo processing in the gateway's process pool vs as Ray tasks (the "do photos move to Ray?"
measurement).

    .venv/bin/python -m bench.video_transcode [--videos 4] [--seconds 5] [--photos 8]

Videos (made here with PyAV: 640x360, 30 fps, H.264 + AAC, ``--seconds`` each):
  1. direct: ``media.video.transcode`` + the poster's variants (``process_image``) on local files,
     in a process pool as wide as the Ray cluster's CPUs (the same library, no network, no S3);
  2. Raygram: multipart uploads to a gateway process of its own, timed from the first upload to
     the last post ``ready`` (probe, source to S3, Neo4j, Ray task: download, transcode, poster,
     upload, then ready + fan-out); the ratio to (1) is everything Raygram adds.
Throughput is seconds of video per wall-clock second.

Photos (12 MP JPEGs, as bench.uploads): ``process_image`` in a spawn process pool of
``RAYGRAM_MEDIA_WORKERS`` (what the gateway does today) vs the same function as Ray tasks
(``num_cpus=1``) given the photo through the object store and returning the variants' bytes.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import aiohttp
import ray

from actors.shards import connect
from core.config import load_settings
from media.process import ImageLimits, process_image
from media.video_plan import VideoLimits
from stack import manager
from stack.gateway_process import GatewayProcess
from stack.services import ensure_secrets
from tests import videos

from .common import fmt_ratio, session
from .uploads import make_photo


def _transcode_one(path: str) -> float:
    from media.video import transcode

    settings = load_settings()
    with tempfile.TemporaryDirectory() as out:
        video = transcode(path, out, VideoLimits.from_settings(settings))
        poster = os.path.join(out, "poster")
        os.mkdir(poster)
        process_image(video.poster_path, poster, ImageLimits.from_settings(settings))
        return video.duration_s


def _photo_local(path: str) -> float:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        process_image(path, out, ImageLimits.from_settings(load_settings()))
    return time.perf_counter() - t0


@ray.remote(num_cpus=1)
def _photo_task(data: bytes) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as work:
        src = os.path.join(work, "src")
        with open(src, "wb") as fh:
            fh.write(data)
        out = os.path.join(work, "out")
        os.mkdir(out)
        image = process_image(src, out, ImageLimits(64_000_000, 1000, 100_000_000))
        result = {}
        for v in image.variants:
            with open(v.path, "rb") as fh:
                result[v.name] = fh.read()
        return result


async def bench_videos(settings, args, workdir: str) -> None:
    clips = [videos.make(640, 360, seconds=args.seconds, fps=30) for _ in range(args.videos)]
    paths = []
    for i, data in enumerate(clips):
        path = os.path.join(workdir, f"v{i}.mp4")
        with open(path, "wb") as fh:
            fh.write(data)
        paths.append(path)
    total_s = args.videos * args.seconds
    print(f"{args.videos} videos of {args.seconds} s, 640x360 30 fps H.264+AAC, mean {sum(map(len, clips)) / len(clips) / 1e6:.2f} MB")

    workers = settings.ray_num_cpus
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_transcode_one, paths[:workers]))                  # warm the workers
        t0 = time.perf_counter()
        list(pool.map(_transcode_one, paths))
        direct_s = time.perf_counter() - t0
    direct = total_s / direct_s

    env = {"RAYGRAM_POSTS_PER_DAY": "1000000", "RAYGRAM_POSTS_PER_MONTH": "1000000",
           "RAYGRAM_SIGNUPS_PER_ADDRESS": "1000000"}
    with GatewayProcess(settings, args.port, env) as gw:
        async with session(base_url=gw.url) as http:
            tag = os.urandom(3).hex()
            async with http.post("/api/v1/accounts", json={"username": f"bench_video_{tag}",
                                                           "password": "bench-password"}) as r:
                auth = {"Authorization": f"Bearer {(await r.json())['token']}"}

            async def publish(data: bytes) -> float:
                """Upload to ready; returns the post's latency."""
                t = time.perf_counter()
                form = aiohttp.FormData()
                form.add_field("media", data, filename="clip.mp4", content_type="video/mp4")
                async with http.post("/api/v1/posts", data=form, headers=auth) as r:
                    if r.status != 202:
                        raise RuntimeError(f"{r.status} {await r.text()}")
                    post_id = (await r.json())["id"]
                while True:
                    async with http.get(f"/api/v1/posts/{post_id}", headers=auth) as r:
                        state = (await r.json())["state"]
                    if state == "ready":
                        return time.perf_counter() - t
                    if state == "failed":
                        raise RuntimeError("transcode failed")
                    await asyncio.sleep(0.05)

            await publish(clips[0])                                       # warm the Ray workers
            t0 = time.perf_counter()
            latencies = await asyncio.gather(*(publish(c) for c in clips))
            raygram_s = time.perf_counter() - t0
    raygram = total_s / raygram_s
    print(f"direct PyAV ({workers} processes):   {direct:6.2f} s of video/s  ({total_s} s in {direct_s:.2f} s)")
    print(f"Raygram upload -> ready:         {raygram:6.2f} s of video/s  ({total_s} s in {raygram_s:.2f} s; "
          f"per post p50 {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s)")
    print(f"Raygram / direct:                {fmt_ratio(raygram, direct)}")


def bench_photos(settings, args, workdir: str) -> None:
    photos = [make_photo(i) for i in range(min(args.photos, 4))]
    paths = []
    for i, data in enumerate(photos):
        path = os.path.join(workdir, f"p{i}.jpg")
        with open(path, "wb") as fh:
            fh.write(data)
        paths.append(path)
    jobs = [paths[i % len(paths)] for i in range(args.photos)]
    workers = settings.media_workers
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_photo_local, paths[:workers]))
        one_local = statistics.median(pool.submit(_photo_local, paths[0]).result() for _ in range(3))
        t0 = time.perf_counter()
        list(pool.map(_photo_local, jobs))
        local_rate = len(jobs) / (time.perf_counter() - t0)

    connect(settings)
    by_path = {p: open(p, "rb").read() for p in paths}
    ray.get([_photo_task.remote(by_path[p]) for p in paths[:2]])     # warm
    singles = []
    for _ in range(3):
        t = time.perf_counter()
        ray.get(_photo_task.remote(by_path[paths[0]]))
        singles.append(time.perf_counter() - t)
    t0 = time.perf_counter()
    ray.get([_photo_task.remote(by_path[p]) for p in jobs])
    ray_rate = len(jobs) / (time.perf_counter() - t0)
    one_ray = statistics.median(singles)
    print(f"\n{len(jobs)} photos, 12 MP JPEG, mean {sum(map(len, photos)) / len(photos) / 1e6:.2f} MB")
    print(f"process pool ({workers}):  {local_rate:5.2f} photos/s, one photo p50 {one_local * 1000:6.0f} ms")
    print(f"Ray tasks:          {ray_rate:5.2f} photos/s, one photo p50 {one_ray * 1000:6.0f} ms")
    print(f"Ray / pool:         throughput {fmt_ratio(ray_rate, local_rate)}, one photo's latency "
          f"{fmt_ratio(one_ray, one_local)}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--port", type=int, default=8093)
    args = parser.parse_args()
    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    with tempfile.TemporaryDirectory(prefix="raygram-bench-") as workdir:
        await bench_videos(settings, args, workdir)
        if args.photos:
            bench_photos(settings, args, workdir)


if __name__ == "__main__":
    asyncio.run(main())
