"""Real video files made in the test with PyAV (no fixtures on disk): a moving picture with a
green band at the top, a 440 Hz tone, optional rotation (display matrix) and container tags."""
from __future__ import annotations

import io
import math
import struct

import av
from PIL import Image, ImageDraw


class _Unseekable:
    """A write-only sink: a muxer that cannot seek back writes no duration (a live recording)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data) -> int:
        return self.buffer.write(data)


def make(width: int = 320, height: int = 240, seconds: float = 2, fps: int = 24, *, rotate: int | None = None,
         tags: dict[str, str] | None = None, audio: bool = True, fmt: str = "mp4", streaming: bool = False) -> bytes:
    """An MP4/MOV (H.264 + AAC) or a WebM (VP9 + Opus). ``streaming``: written without seeking."""
    sink = _Unseekable() if streaming else io.BytesIO()
    out = av.open(sink, "w", format=fmt)
    for key, value in (tags or {}).items():
        out.metadata[key] = value
    webm = fmt == "webm"
    video = out.add_stream("libvpx-vp9" if webm else "libx264", rate=fps)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    if not webm:
        video.options = {"preset": "ultrafast"}
    else:
        video.options = {"deadline": "realtime", "cpu-used": "8"}
    if rotate is not None:
        video.set_display_rotation(rotate)
    sound = out.add_stream("libopus" if webm else "aac", rate=48000, layout="mono") if audio else None
    for i in range(int(seconds * fps)):
        img = Image.new("RGB", (width, height), (20, 20, 20))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, width, height // 4), fill=(0, 200, 0))
        draw.rectangle((0, height // 2, (i * 7) % width, height), fill=(200, 0, 0))
        out.mux(video.encode(av.VideoFrame.from_image(img)))
    out.mux(video.encode(None))
    if sound is not None:
        n, t, total = 960, 0, int(seconds * 48000)
        while t < total:
            data = b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * k / 48000))) for k in range(t, t + n))
            frame = av.AudioFrame(format="s16", layout="mono", samples=n)
            frame.planes[0].update(data)
            frame.sample_rate, frame.pts = 48000, t
            out.mux(sound.encode(frame))
            t += n
        out.mux(sound.encode(None))
    out.close()
    return sink.buffer.getvalue() if streaming else sink.getvalue()
