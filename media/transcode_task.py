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

The decoding itself runs in a child process under RLIMIT_AS and RLIMIT_CPU
(media/transcode_child.py), on as many threads as the task declares CPUs. Its wall-clock deadline
is the driver's to enforce (usecases/video_posts.py cancels the task with force); the task
records when each attempt starts, so time spent queued in Ray is not counted against the video,
and what the child used (peak RSS, CPU), for operators and the tests.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import ray
from botocore.exceptions import BotoCoreError, ClientError

from core import redis_keys
from core.config import Settings

from . import storage
from .process import VARIANTS, ImageLimits
from .video_plan import VideoLimits, transcode_deadline_s

# Worker loss (a killed worker, a node gone) is always retried by Ray; of the exceptions, only
# those a second attempt can cure (S3 or Redis briefly unreachable, a full disk elsewhere).
TRANSIENT = [OSError, BotoCoreError, ClientError, ConnectionError]
MAX_RETRIES = 3
ATTEMPTS_TTL_S = 24 * 3600
# The child's CPU limit over the deadline: room for the interpreter's start and the poster.
CPU_SLACK = 1.25
CPU_SLACK_S = 10
# Work directories are named after the worker's pid: one whose worker is gone (killed by a forced
# cancel, which skips every clean-up) is deleted by the next task on the node.
_WORK_PREFIX = "raygram-video-"
# Where ``python -m media.transcode_child`` finds this package.
_CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source_key(media_id: int, ext: str) -> str:
    return storage.media_key(media_id, "source", ext)


def output_keys(media_id: int, rendition_names: list[str]) -> tuple[list[str], list[str]]:
    """(poster keys in VARIANTS order, rendition keys): what the task writes."""
    return ([storage.media_key(media_id, name, "jpg") for name in VARIANTS],
            [storage.media_key(media_id, name, "mp4") for name in rendition_names])


def _record(settings: Settings, media_id: int, fields: dict[str, Any], *, new_attempt: bool = False) -> None:
    """The attempts record: which process is transcoding this video now and how many attempts
    began (the driver's deadline starts with each; the worker-kill test), what the last one used."""
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    try:
        key = redis_keys.video_attempts(media_id)
        with client.pipeline(transaction=True) as pipe:
            if new_attempt:
                pipe.hincrby(key, "attempts", 1)
            pipe.hset(key, mapping=fields)
            pipe.expire(key, ATTEMPTS_TTL_S)
            pipe.execute()
    finally:
        client.close()


def _record_attempt(settings: Settings, media_id: int) -> None:
    _record(settings, media_id, {"pid": os.getpid(), "node": socket.gethostname()}, new_attempt=True)


def cpu_limit_s(deadline_s: float, threads: int) -> int:
    """The child's RLIMIT_CPU: what ``threads`` busy threads use until the deadline, and slack; the
    driver's cancel comes first, this stops a transcode no driver is left to cancel."""
    return math.ceil(deadline_s * threads * CPU_SLACK) + CPU_SLACK_S


def _clear_dead_work_dirs() -> None:
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        if not name.startswith(_WORK_PREFIX):
            continue
        pid = name[len(_WORK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def _run_child(job: dict[str, Any], work: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the child's answer, what it used). A child the kernel killed (its CPU limit) or that
    crashed is a failure of this video, never of the worker."""
    job = {**job, "parent": os.getpid(), "answer": os.path.join(work, "answer.json")}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_CODE_ROOT, os.environ.get("PYTHONPATH")) if p)}
    started = time.monotonic()
    with open(os.path.join(work, "child.log"), "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "media.transcode_child"], stdin=subprocess.PIPE,
                                stdout=log, stderr=log, cwd=work, env=env)
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    used = {"peak_rss_bytes": usage.ru_maxrss * 1024, "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "wall_s": round(time.monotonic() - started, 3), "exit": proc.returncode}
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and used["cpu_s"] >= job["cpu_s"]:
        return ({"ok": False, "code": "video_too_slow",
                 "message": f"Transcoding this video took more than {job['cpu_s']} s of CPU time."}, used)
    if proc.returncode != 0 or not os.path.exists(job["answer"]):
        return ({"ok": False, "code": "corrupt_video",
                 "message": "The video could not be read: its decoder stopped."}, used)
    with open(job["answer"]) as fh:
        answer = json.load(fh)
    used["peak_rss_bytes"] = answer.pop("peak_rss_bytes", None) or used["peak_rss_bytes"]
    return answer, used


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
                  image_limits: ImageLimits, deadline_s: float | None = None) -> dict[str, Any]:
    """The task's body (also what the benchmark calls directly): source from S3, renditions and
    poster variants to S3; a dict describing them, or ``{"ok": False, code, message}``; either
    with ``usage``, what the transcoding child used."""
    if deadline_s is None:
        deadline_s = transcode_deadline_s(None, limits, settings.video_deadline_s, settings.video_deadline_per_s)
    threads = max(1, settings.video_task_cpus)
    _clear_dead_work_dirs()
    with tempfile.TemporaryDirectory(prefix=f"{_WORK_PREFIX}{os.getpid()}-") as work:
        src = os.path.join(work, "source")
        asyncio.run(_download(settings, key, src))
        poster_dir = os.path.join(work, "poster")
        os.mkdir(poster_dir)
        answer, used = _run_child({
            "src": src, "out_dir": work, "poster_dir": poster_dir, "limits": dataclasses.asdict(limits),
            "image_limits": dataclasses.asdict(image_limits), "threads": threads,
            "memory_bytes": settings.video_task_memory_bytes, "cpu_s": cpu_limit_s(deadline_s, threads)}, work)
        _record(settings, media_id, {f"last_{k}": v for k, v in used.items()})
        if not answer["ok"]:
            return {**answer, "media_id": media_id, "usage": used}
        renditions = answer["renditions"]
        names = [r["name"] for r, _ in renditions]
        poster_keys, rendition_keys = output_keys(media_id, names)
        by_name = {name: (path, content_type) for name, path, content_type in answer["poster"]}
        uploads = [(k, *by_name[n]) for k, n in zip(poster_keys, VARIANTS)]
        uploads += [(k, path, "video/mp4") for k, (_, path) in zip(rendition_keys, renditions)]
        asyncio.run(_upload(settings, uploads))
        high = renditions[0][0]
        return {"ok": True, "media_id": media_id, "duration_s": answer["duration_s"], "width": high["width"],
                "height": high["height"], "poster_keys": poster_keys, "rendition_keys": rendition_keys,
                "rendition_names": names, "rendition_widths": [r["width"] for r, _ in renditions],
                "rendition_heights": [r["height"] for r, _ in renditions], "pid": os.getpid(), "usage": used}


@ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=TRANSIENT)
def transcode_video(settings: Settings, media_id: int, key: str, limits: VideoLimits,
                    image_limits: ImageLimits, deadline_s: float | None = None) -> dict[str, Any]:
    node_settings = settings.with_node_secrets()
    _record_attempt(node_settings, media_id)
    return run_transcode(node_settings, media_id, key, limits, image_limits, deadline_s)


def submit(settings: Settings, media_id: int, key: str, limits: VideoLimits, image_limits: ImageLimits,
           deadline_s: float | None = None):
    """The task's ObjectRef (awaitable). Non-blocking; the caller's process must be a Ray driver."""
    return transcode_video.options(memory=settings.video_task_memory_bytes, num_cpus=settings.video_task_cpus).remote(
        settings.without_secrets(), media_id, key, limits, image_limits, deadline_s)
