"""The transcode of one video, as a Ray task: it runs on whichever node of the cluster has a CPU
and the memory it declares free, so transcoding capacity grows with the cluster, not with the
number of gateways.

The task is idempotent on its outputs: it reads ``media/<id>/source.<ext>`` and writes
``media/<id>/{high,low}.mp4`` and the poster's ``media/<id>/{thumb,small,medium,original}.jpg``,
the same keys on every attempt, so Ray retrying it after its worker died (``max_retries``), or a
gateway's sweep submitting it again after the gateway that drove it died, only overwrites the
same objects. A video the task finds unacceptable is not an error to retry: it returns a
failure, which the driver records on the post.

Secrets never travel as task arguments: the settings arrive without them and the task reads
them on its own node (``Settings.with_node_secrets``), like the feed-shard actors.
"""
from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from typing import Any

import ray
from botocore.exceptions import BotoCoreError, ClientError

from core import redis_keys
from core.config import Settings

from . import storage
from .process import VARIANTS, ImageLimits, ImageRejected, process_image
from .video_plan import VideoLimits, VideoRejected

# Worker loss (a killed worker, a node gone) is always retried by Ray; of the exceptions, only
# those a second attempt can cure (S3 or Redis briefly unreachable, a full disk elsewhere).
TRANSIENT = [OSError, BotoCoreError, ClientError, ConnectionError]
MAX_RETRIES = 3
ATTEMPTS_TTL_S = 24 * 3600


def source_key(media_id: int, ext: str) -> str:
    return storage.media_key(media_id, "source", ext)


def output_keys(media_id: int, rendition_names: list[str]) -> tuple[list[str], list[str]]:
    """(poster keys in VARIANTS order, rendition keys): what the task writes."""
    return ([storage.media_key(media_id, name, "jpg") for name in VARIANTS],
            [storage.media_key(media_id, name, "mp4") for name in rendition_names])


def _record_attempt(settings: Settings, media_id: int) -> None:
    """Which process is transcoding this video now (operators; the worker-kill test)."""
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    try:
        key = redis_keys.video_attempts(media_id)
        with client.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "attempts", 1)
            pipe.hset(key, mapping={"pid": os.getpid(), "node": socket.gethostname()})
            pipe.expire(key, ATTEMPTS_TTL_S)
            pipe.execute()
    finally:
        client.close()


async def _download(settings: Settings, key: str, path: str) -> None:
    async with storage.open_s3(settings) as s3:
        response = await s3.get_object(Bucket=settings.s3_bucket, Key=key)
        async with response["Body"] as body:
            with open(path, "wb") as out:
                while chunk := await body.read(1 << 20):
                    out.write(chunk)


async def _upload(settings: Settings, uploads: list[tuple[str, str, str]]) -> None:
    async with storage.open_s3(settings) as s3:
        await asyncio.gather(*(storage.put_file(s3, settings.s3_bucket, key, path, content_type)
                               for key, path, content_type in uploads))


def run_transcode(settings: Settings, media_id: int, key: str, limits: VideoLimits,
                  image_limits: ImageLimits) -> dict[str, Any]:
    """The task's body (also what the benchmark calls directly): source from S3, renditions and
    poster variants to S3; a dict describing them, or ``{"ok": False, code, message}``."""
    from .video import transcode     # PyAV is imported in the worker, not by whoever submits

    with tempfile.TemporaryDirectory(prefix="raygram-video-") as work:
        src = os.path.join(work, "source")
        asyncio.run(_download(settings, key, src))
        poster_dir = os.path.join(work, "poster")
        os.mkdir(poster_dir)
        try:
            video = transcode(src, work, limits)
            poster = process_image(video.poster_path, poster_dir, image_limits)
        except (VideoRejected, ImageRejected) as err:
            return {"ok": False, "media_id": media_id, "code": err.code, "message": err.message}
        names = [r.name for r, _ in video.renditions]
        poster_keys, rendition_keys = output_keys(media_id, names)
        by_name = {v.name: v for v in poster.variants}
        uploads = [(k, by_name[n].path, by_name[n].content_type) for k, n in zip(poster_keys, VARIANTS)]
        uploads += [(k, path, "video/mp4") for k, (_, path) in zip(rendition_keys, video.renditions)]
        asyncio.run(_upload(settings, uploads))
        high = video.renditions[0][0]
        return {"ok": True, "media_id": media_id, "duration_s": video.duration_s, "width": high.width,
                "height": high.height, "poster_keys": poster_keys, "rendition_keys": rendition_keys,
                "rendition_names": names, "rendition_widths": [r.width for r, _ in video.renditions],
                "rendition_heights": [r.height for r, _ in video.renditions], "pid": os.getpid()}


@ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=TRANSIENT)
def transcode_video(settings: Settings, media_id: int, key: str, limits: VideoLimits,
                    image_limits: ImageLimits) -> dict[str, Any]:
    node_settings = settings.with_node_secrets()
    _record_attempt(node_settings, media_id)
    return run_transcode(node_settings, media_id, key, limits, image_limits)


def submit(settings: Settings, media_id: int, key: str, limits: VideoLimits, image_limits: ImageLimits):
    """The task's ObjectRef (awaitable). Non-blocking; the caller's process must be a Ray driver."""
    return transcode_video.options(memory=settings.video_task_memory_bytes).remote(
        settings.without_secrets(), media_id, key, limits, image_limits)
