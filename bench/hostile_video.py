"""How fast the decoding limits refuse hostile videos (tests/videos.py), against transcoding an
honest clip of about the same length in the same run: a refusal should cost a fraction of real
work and stay far below the transcode deadline (``RAYGRAM_VIDEO_DEADLINE_S``). The library is
called directly (``media.video.transcode``, as the Ray task calls it), no services.

    .venv/bin/python -m bench.hostile_video

Prints each file's wall time, its refusal code, and the ratio to the honest transcode.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from core.config import load_settings
from media.video import transcode
from media.video_plan import VideoLimits
from tests import videos

CASES = {
    "header_lies_fps": (videos.header_lies_fps, "lies.webm"),
    "resolution_jump": (videos.resolution_jump, "jump.webm"),
    "giant_keyframe": (videos.giant_keyframe, "giant.webm"),
}


def _run(data: bytes, filename: str, limits: VideoLimits) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / filename
        source.write_bytes(data)
        out = Path(tmp) / "out"
        out.mkdir()
        started = time.perf_counter()
        try:
            transcode(str(source), str(out), limits)
            outcome = "transcoded"
        except Exception as exc:   # the refusal: its code is what the post's failure would say
            outcome = getattr(exc, "code", type(exc).__name__)
        return time.perf_counter() - started, outcome


def main() -> None:
    settings = load_settings()
    limits = VideoLimits.from_settings(settings)
    honest_s, honest = _run(videos.make(320, 240, seconds=2, fps=24), "honest.mp4", limits)
    print(f"deadline {settings.video_deadline_s:.0f} s; baseline: an honest 2 s 320x240 clip {honest} "
          f"in {honest_s * 1000:.0f} ms")
    print(f"{'file':<18}{'outcome':<24}{'ms':>8}   ratio to the honest transcode")
    for name, (make, filename) in CASES.items():
        elapsed, outcome = _run(make(), filename, limits)
        print(f"{name:<18}{outcome:<24}{elapsed * 1000:>8.0f}   {elapsed / honest_s:.2f}x")


if __name__ == "__main__":
    main()
