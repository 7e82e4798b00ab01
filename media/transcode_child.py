"""One transcode in a process of its own, under limits the kernel enforces.

The Ray task (media/transcode_task.py) starts this module as a child process for every video:
``python -m media.transcode_child`` reads its job as JSON on stdin, sets its limits before PyAV is
even imported, transcodes, makes the poster's variants, and writes its answer as JSON to the file
the job names. Why a child and not the Ray worker itself: Ray reuses workers, and RLIMIT_AS and a
hard RLIMIT_CPU cannot be raised again once lowered, so limits set in a worker would outlive the
task and starve the next one; a child's limits die with it. A child that the kernel kills (the
CPU limit) or that crashes in a decoder costs that video, never the worker, so Ray does not retry
a hostile file three times.

* ``RLIMIT_AS``: the memory the task declares to Ray, now enforced (Ray's ``memory=`` only
  schedules). A decoder asking for more gets ENOMEM (``video_too_large``), not the OOM killer.
* ``RLIMIT_CPU``: the task's wall-clock deadline times its threads, plus slack. The driver cancels
  at the deadline; this is the backstop when no driver is left to do it (SIGXCPU, then SIGKILL).
* The parent's death kills the child (``PR_SET_PDEATHSIG``): ``ray.cancel(force=True)`` kills the
  worker, and its transcode must not run on as an orphan.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from dataclasses import asdict

_PR_SET_PDEATHSIG = 1
# CPU seconds past the soft limit before the kernel's SIGKILL (SIGXCPU first, which kills too).
_CPU_HARD_SLACK_S = 5


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass            # not Linux: the worker's own kill of its children is all there is
    if os.getppid() != parent:
        os._exit(1)     # the parent died before the call above


def _limit(memory_bytes: int, cpu_s: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))      # SIGXCPU would dump a core
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_s:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + _CPU_HARD_SLACK_S))


def run(job: dict) -> dict:
    from .process import ImageLimits, ImageRejected, process_image
    from .video import transcode
    from .video_plan import VideoLimits, VideoRejected

    try:
        video = transcode(job["src"], job["out_dir"], VideoLimits(**job["limits"]), threads=job["threads"])
        poster = process_image(video.poster_path, job["poster_dir"], ImageLimits(**job["image_limits"]))
    except (VideoRejected, ImageRejected) as err:
        return {"ok": False, "code": err.code, "message": err.message}
    except MemoryError:
        return {"ok": False, "code": "video_too_large",
                "message": "Transcoding this video needs more memory than a video may use."}
    return {"ok": True, "duration_s": video.duration_s,
            "renditions": [[asdict(r), path] for r, path in video.renditions],
            "poster": [[v.name, v.path, v.content_type] for v in poster.variants]}


def _peak_rss_bytes() -> int | None:
    """This image's own peak (VmHWM): ru_maxrss would also count the parent's pages before exec."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def main() -> None:
    job = json.load(sys.stdin)
    _die_with_parent(job["parent"])
    _limit(job["memory_bytes"], job["cpu_s"])
    answer = {**run(job), "peak_rss_bytes": _peak_rss_bytes()}
    with open(job["answer"], "w") as out:
        json.dump(answer, out)


if __name__ == "__main__":
    main()
