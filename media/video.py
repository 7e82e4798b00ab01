"""Video with PyAV (FFmpeg's libraries, shipped inside the ``av`` wheel): probe and transcode.

``probe`` reads a container's headers and its first frame only; it runs in the gateway's media
process pool under that pool's memory and CPU limits, and refuses (415/422) before any real work.
``transcode`` runs in a Ray task (media/transcode_task.py): the source is decoded once and every
decoded frame is turned upright (the display matrix), scaled and encoded into each rendition:
H.264 (libx264) + AAC in MP4 with the index first (``faststart``), so a player starts before the
whole file arrives. Nothing of the source's metadata is copied: outputs get new streams and an
empty container dictionary (``bitexact`` keeps even the muxer's own ``encoder`` tag out), so GPS
(``©xyz``/``location`` in mov/mp4 ``udta``), titles, device names and creation times are gone.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import av.filter
import av.logging
from PIL import Image

from .detect import MOV, MP4, WEBM, refusal, sniff_file, sniff_video
from .video_plan import (DECODERS, FrameGuard, ProbedVideo, Rendition, VideoLimits, VideoRejected, check,
                         check_duration, check_frame_size, normalized_rotation, plan_renditions, rotation_filters)

# How much of a file FFmpeg may read to find its streams (bounded: a hostile file cannot make the
# probe read 100 MB), and how many packets the first-frame check may demux.
PROBE_BYTES = 5_000_000
PROBE_PACKETS = 500
# Which demuxer may confirm which sniffed type.
_DEMUXERS = {MP4: "mp4", MOV: "mov", WEBM: "webm"}

# Encoding: libx264's veryfast preset at CRF 23 (a good quality/CPU trade on shared cores), High
# profile (every phone and browser since 2012), 4:2:0; AAC stereo 48 kHz.
X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
AUDIO_BITRATE = {"high": 128_000, "low": 96_000}
AUDIO_RATE = 48_000
OUT_TIME_BASE = Fraction(1, 90_000)
# The poster is the frame at this second (or the first frame of a shorter video).
POSTER_AT_S = 1.0
# Audio frames buffered before the first video frame says how to build the outputs.
MAX_EARLY_AUDIO_FRAMES = 2_000
# Only our demuxers and allowed decoders may run, from the first byte read: FFmpeg's stream probing
# opens a decoder for every stream it cannot describe from headers alone (an extra PNG stream whose
# header says 16000x16000 cost the probe 770 MB), so a stream of any other codec stays unopened and
# is ignored (only video[0] and audio[0] are ever decoded).
_OPEN_OPTIONS = {"probesize": str(PROBE_BYTES), "analyzeduration": str(PROBE_BYTES),
                 "format_whitelist": "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm", "codec_whitelist": ",".join(DECODERS)}


def _corrupt(detail: str) -> VideoRejected:
    return VideoRejected(422, "corrupt_video", f"The video could not be read: {detail}.")


def _out_of_memory() -> VideoRejected:
    return VideoRejected(422, "video_too_large", "Transcoding this video needs more memory than a video may use.")


def _limit_decoder(stream, limits: VideoLimits, threads: int) -> None:
    """Before the decoder opens: frames over the pixel limit are refused by FFmpeg before it
    allocates them (``max_pixels``: a 16000x16000 keyframe costs nothing), and it decodes on as
    many threads as the task has CPUs (frame threading would otherwise use every core)."""
    ctx = stream.codec_context
    ctx.options = {**ctx.options, "max_pixels": str(limits.max_pixels), "codec_whitelist": ",".join(DECODERS)}
    ctx.thread_count = threads
    ctx.thread_type = "SLICE" if threads > 1 else "NONE"


# FFmpeg's words when ``max_pixels`` refuses a frame (PyAV appends the last error logged).
_TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count")


def _keep_error_logs() -> None:
    # PyAV drops FFmpeg's log unless asked; at ERROR, a failure's message names its cause.
    av.logging.set_level(av.logging.ERROR)


def _decode_failure(exc: BaseException, limits: VideoLimits) -> VideoRejected:
    """What a decoder error means: a frame over the size limit (refused by ``max_pixels`` before
    it was allocated), memory running out (RLIMIT_AS), or a broken file."""
    if isinstance(exc, MemoryError):
        return _out_of_memory()
    found = _TOO_MANY_PIXELS.search(str(exc))
    if found:
        try:
            check_frame_size(int(found[1]), int(found[2]), limits)
        except VideoRejected as err:
            return err
    return _corrupt(str(exc) or type(exc).__name__)


def _open(path: str):
    try:
        return av.open(path, options=_OPEN_OPTIONS, metadata_errors="ignore")
    except (av.FFmpegError, ValueError, UnicodeDecodeError, IndexError) as exc:
        raise _corrupt(str(exc) or type(exc).__name__) from None


def _fps(stream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None


def _duration_s(container, stream) -> float | None:
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def probe(path: str, limits: VideoLimits) -> ProbedVideo:
    """The video's headers checked against ``limits``, then its first frame decoded (it proves the
    stream decodes and carries the display rotation). Raises VideoRejected."""
    if os.path.getsize(path) > limits.max_bytes:
        raise VideoRejected(413, "media_too_large", f"Each video may be at most {limits.max_bytes // (1 << 20)} MB.")
    _keep_error_logs()
    content_type, head = sniff_file(path, sniff_video)
    if content_type is None:
        raise VideoRejected(415, "unsupported_media_type", refusal(head, "JPEG, PNG, GIF, MP4, MOV or WebM"))
    with _open(path) as container:
        if _DEMUXERS[content_type] not in container.format.name.split(","):
            raise _corrupt("its contents do not match its signature")
        if not container.streams.video:
            raise VideoRejected(422, "corrupt_video", "The file has no video stream.")
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        probed = ProbedVideo(
            content_type=content_type, container=container.format.name, video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            width=video.codec_context.width, height=video.codec_context.height, rotation=0, fps=_fps(video),
            duration_s=_duration_s(container, video), streams=len(container.streams))
        check(probed, limits)
        _limit_decoder(video, limits, threads=1)
        return replace(probed, rotation=_first_frame_rotation(container, video, limits))


def _first_frame_rotation(container, video, limits: VideoLimits) -> int:
    try:
        for count, packet in enumerate(container.demux(video)):
            if count >= PROBE_PACKETS:
                break
            for frame in packet.decode():
                check_frame_size(frame.width, frame.height, limits)
                return normalized_rotation(frame.rotation)
    except (av.FFmpegError, ValueError, MemoryError) as exc:
        raise _decode_failure(exc, limits) from None
    raise _corrupt("no frame of its video could be decoded")


@dataclass(frozen=True)
class TranscodedVideo:
    renditions: list[tuple[Rendition, str]]     # largest first, with the MP4's path
    poster_path: str                             # a JPEG of the upright frame, full rendition size
    duration_s: float
    rotation: int                                # what was applied
    has_audio: bool


class _Output:
    """One rendition: its filter graph (rotate, scale, 4:2:0), its encoders and its MP4."""

    def __init__(self, path: str, rendition: Rendition, rotation: int, source, fps: Fraction, audio: bool,
                 threads: int) -> None:
        self.rendition = rendition
        self.container = av.open(path, "w", format="mp4",
                                 container_options={"movflags": "+faststart", "fflags": "+bitexact"})
        self.graph = av.filter.Graph()
        self.graph.threads = threads       # scale's slice threads, else one per core
        nodes = [self.graph.add_buffer(template=source)]
        for name, args in rotation_filters(rotation):
            nodes.append(self.graph.add(name, args))
        nodes.append(self.graph.add("scale", f"{rendition.width}:{rendition.height}"))
        nodes.append(self.graph.add("format", "yuv420p"))
        nodes.append(self.graph.add("buffersink"))
        for a, b in zip(nodes, nodes[1:]):
            a.link_to(b)
        self.graph.configure()
        self.video = self.container.add_stream("libx264", rate=fps)
        self.video.width, self.video.height, self.video.pix_fmt = rendition.width, rendition.height, "yuv420p"
        self.video.time_base = OUT_TIME_BASE
        self.video.codec_context.time_base = OUT_TIME_BASE
        # libx264's threads (frame threads and lookahead), else 1.5 per core.
        self.video.options = {**X264_OPTIONS, "threads": str(threads)}
        self.last_pts = -1
        self.audio = None
        if audio:
            self.audio = self.container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            self.audio.bit_rate = AUDIO_BITRATE.get(rendition.name, 96_000)
            self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            self.samples: int | None = None

    def add_video(self, frame, seconds: float):
        """Encode one decoded frame; returns the upright, scaled frame (for the poster)."""
        self.graph.push(frame)
        out = None
        while True:
            try:
                filtered = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                break
            pts = int(round(seconds / OUT_TIME_BASE))
            if pts <= self.last_pts:      # a repeated or out-of-order timestamp: drop the frame
                continue
            self.last_pts = pts
            filtered.pts, filtered.time_base = pts, OUT_TIME_BASE
            self.container.mux(self.video.encode(filtered))
            out = filtered
        return out

    def add_audio(self, frame) -> None:
        if self.audio is None:
            return
        if self.samples is None:
            start = frame.time if frame.time is not None and frame.time > 0 else 0.0
            self.samples = int(round(start * AUDIO_RATE))
        for resampled in self.resampler.resample(frame):
            resampled.pts, resampled.time_base = self.samples, Fraction(1, AUDIO_RATE)
            self.samples += resampled.samples
            self.container.mux(self.audio.encode(resampled))

    def close(self) -> None:
        self.container.mux(self.video.encode(None))
        if self.audio is not None:
            for resampled in self.resampler.resample(None):
                resampled.pts, resampled.time_base = self.samples or 0, Fraction(1, AUDIO_RATE)
                self.samples = (self.samples or 0) + resampled.samples
                self.container.mux(self.audio.encode(resampled))
            self.container.mux(self.audio.encode(None))
        self.container.close()

    def abort(self) -> None:
        try:
            self.container.close()
        except Exception:
            pass


def transcode(src: str, out_dir: str, limits: VideoLimits, threads: int = 1) -> TranscodedVideo:
    """Every rendition of ``src`` and a poster into ``out_dir``, on ``threads`` threads (the task's
    CPUs). Raises VideoRejected for a video that turns out broken or over the limits while
    decoding: every decoded frame's size, time and rate are checked (``FrameGuard``), so a header
    that lies (or a container that did not declare its duration) is caught here."""
    _keep_error_logs()
    guard = FrameGuard(limits)
    outputs: list[_Output] = []
    early_audio: list = []
    poster: Image.Image | None = None
    first_poster: Image.Image | None = None
    rotation, last_t = 0, 0.0
    try:
        with _open(src) as container:
            video = container.streams.video[0]
            _limit_decoder(video, limits, threads)
            audio = container.streams.audio[0] if container.streams.audio else None
            if audio is not None:
                _limit_decoder(audio, limits, threads=1)
            declared = _duration_s(container, video)
            poster_at = min(POSTER_AT_S, declared / 4) if declared else 0.0
            fps = Fraction(_fps(video) or 30).limit_denominator(1001)
            for packet in container.demux(*(s for s in (video, audio) if s is not None)):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        t = guard.admit(frame.width, frame.height, frame.time)
                        if not outputs:
                            rotation = normalized_rotation(frame.rotation)
                            for r in plan_renditions(frame.width, frame.height, rotation):
                                outputs.append(_Output(os.path.join(out_dir, f"{r.name}.mp4"), r, rotation, video,
                                                       fps, audio is not None, threads))
                            for early in early_audio:
                                for out in outputs:
                                    out.add_audio(early)
                            early_audio.clear()
                        last_t = t
                        upright = [out.add_video(frame, t) for out in outputs][0]
                        if upright is not None:
                            if first_poster is None:
                                first_poster = upright.to_image()
                            if poster is None and t >= poster_at:
                                poster = upright.to_image()
                    elif frame.time is not None and frame.time > limits.max_duration_s:
                        check_duration(frame.time, limits, decoding=True)     # audio running on alone
                    elif outputs:
                        for out in outputs:
                            out.add_audio(frame)
                    else:
                        early_audio.append(frame)
                        if len(early_audio) > MAX_EARLY_AUDIO_FRAMES:
                            raise _corrupt("its audio has no video to go with it")
            if not outputs:
                raise _corrupt("no frame of its video could be decoded")
            for out in outputs:
                out.close()
    except VideoRejected:
        for out in outputs:
            out.abort()
        raise
    except (av.FFmpegError, ValueError, EOFError, MemoryError) as exc:
        for out in outputs:
            out.abort()
        raise _decode_failure(exc, limits) from None
    image = poster or first_poster
    if image is None:
        raise _corrupt("no frame of its video could be decoded")
    poster_path = os.path.join(out_dir, "poster-source.jpg")
    image.convert("RGB").save(poster_path, "JPEG", quality=92)
    duration = declared if declared else last_t
    return TranscodedVideo([(out.rendition, os.path.join(out_dir, f"{out.rendition.name}.mp4")) for out in outputs],
                           poster_path, round(duration, 3), rotation, audio is not None)
