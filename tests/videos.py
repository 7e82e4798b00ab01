"""Real video files made in the test with PyAV (no fixtures on disk): a moving picture with a
green band at the top, a 440 Hz tone, optional rotation (display matrix) and container tags."""
from __future__ import annotations

import io
import math
import struct
from fractions import Fraction

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


# --- hostile files (issue 21): each small, each built from tiny encodes so the test stays cheap ---

def _flat_frame(width: int, height: int, shade: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([shade % 256]) * plane.buffer_size)
    return frame


def _vp8(width: int, height: int) -> av.codec.CodecContext:
    """A standalone VP8 encoder: its packets are muxed into another stream (a size change mid-stream)."""
    cc = av.codec.CodecContext.create("libvpx", "w")
    cc.width, cc.height, cc.pix_fmt = width, height, "yuv420p"
    cc.time_base = Fraction(1, 1000)
    cc.options = {"deadline": "realtime", "cpu-used": "16"}
    return cc


def _webm_of(packets_ms: list[tuple[int, bytes]], width: int, height: int, fps: int) -> bytes:
    """A WebM whose one VP8 stream declares ``width`` x ``height`` at ``fps`` and carries the given
    (pts in ms, packet bytes) as they are."""
    sink = io.BytesIO()
    out = av.open(sink, "w", format="webm")
    stream = out.add_stream("libvpx", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = Fraction(1, 1000)
    for pts, data in packets_ms:
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = Fraction(1, 1000)
        packet.stream = stream
        out.mux(packet)
    out.close()
    return sink.getvalue()


def _encode(cc: av.codec.CodecContext, count: int, start: int = 0, keyframes: bool = False) -> list[bytes]:
    packets = []
    for i in range(count):
        frame = _flat_frame(cc.width, cc.height, 40 + (start + i) * 3)
        frame.pts, frame.time_base = start + i, cc.time_base
        if keyframes:
            frame.pict_type = av.video.frame.PictureType.I
        packets += [bytes(p) for p in cc.encode(frame)]
    packets += [bytes(p) for p in cc.encode(None)]
    return packets


def header_lies_fps(honest_s: float = 1.0, dense_frames: int = 1000, fps: int = 30) -> bytes:
    """Says (and for its first second shows) ``fps``, then packs frames 1 ms apart."""
    honest = int(honest_s * fps)
    packets = _encode(_vp8(64, 48), honest + dense_frames)
    step = 1000 // fps
    times = [i * step for i in range(honest)] + [honest * step + i for i in range(dense_frames)]
    return _webm_of(list(zip(times, packets)), 64, 48, fps)


def resolution_jump(small: tuple[int, int] = (320, 240), big: int = 4400, small_frames: int = 24,
                    big_frames: int = 2, fps: int = 24) -> bytes:
    """Declares and starts at ``small``, then switches to ``big`` x ``big`` keyframes (honestly encoded)."""
    first = _encode(_vp8(*small), small_frames)
    then = _encode(_vp8(big, big), big_frames, keyframes=True)
    step = 1000 // fps
    return _webm_of([(i * step, p) for i, p in enumerate(first + then)], small[0], small[1], fps)


def giant_keyframe(side: int = 16000, small_frames: int = 24, giant_frames: int = 3, fps: int = 24) -> bytes:
    """320x240, then keyframes whose headers say ``side`` x ``side``: tiny 320x240 keyframes with
    their VP8 size fields rewritten, so making the file costs nothing, while a decoder that
    believes them allocates side x side frames (FFmpeg's vp8 decoder does)."""
    first = _encode(_vp8(320, 240), small_frames)
    keys = _encode(_vp8(320, 240), giant_frames, start=small_frames, keyframes=True)
    giant = []
    for data in keys:
        assert data[3:6] == b"\x9d\x01\x2a", "not a VP8 keyframe"
        giant.append(data[:6] + struct.pack("<HH", side, side) + data[10:])
    step = 1000 // fps
    return _webm_of([(i * step, p) for i, p in enumerate(first + giant)], 320, 240, fps)


def odd_extra_stream(seconds: float = 1, side: int = 16000) -> bytes:
    """A normal MOV (H.264 + AAC) with one more stream: PNG pictures whose header says ``side`` x
    ``side`` (a decoder that opened it would allocate side x side RGB frames)."""
    sink = io.BytesIO()
    out = av.open(sink, "w", format="mov")
    video = out.add_stream("libx264", rate=24)
    video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
    video.options = {"preset": "ultrafast"}
    odd = out.add_stream("png", rate=1)
    odd.width, odd.height, odd.pix_fmt = 16, 16, "rgb24"
    pictures = [bytes(p) for p in odd.codec_context.encode(_flat_frame(16, 16, 90).reformat(format="rgb24"))]
    for i in range(int(seconds * 24)):
        out.mux(video.encode(_flat_frame(160, 120, 30 + i)))
    out.mux(video.encode(None))
    for i, data in enumerate(pictures):
        assert data[12:16] == b"IHDR"
        packet = av.Packet(data[:16] + struct.pack(">II", side, side) + data[24:])
        packet.pts = packet.dts = i
        packet.time_base = Fraction(1, 1)
        packet.stream = odd
        out.mux(packet)
    out.close()
    return sink.getvalue()
