"""Video decisions that need no file: the limits a probed video must meet, and the renditions it
is transcoded to (sizes, rotation). Pure functions, unit-tested without I/O (tests/unit).

A video is probed from its container headers first (media/video.py ``probe``) and checked here
before a single frame is transcoded, so an upload that would cost too much is refused with the
contract's 415/422 while its author is still waiting for the answer.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# Decoders a source may use: what phones, cameras and browsers record (PyAV's wheel has them all).
# Anything else (a raw codec, a screen-capture codec, an obscure one) is refused with 415.
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "vorbis", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s16be",
                          "pcm_s24le", "pcm_f32le", "flac", "amr_nb", "amr_wb"})

# FFmpeg's decoders for those codecs (its names differ from the codecs' own: libdav1d decodes AV1,
# amrnb AMR-NB...). Given to FFmpeg as ``codec_whitelist`` before the container is opened, so no
# other decoder can be opened at all, not even by FFmpeg's own stream probing of an extra stream.
DECODERS = ("h264", "hevc", "vp8", "vp9", "libdav1d", "av1", "mpeg4",
            "aac", "mp3float", "mp3", "opus", "libopus", "vorbis", "alac", "ac3", "ac3_fixed", "eac3", "flac",
            "amrnb", "amrwb", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_f32le")

# Frames that may crowd into one second beyond the limit (timestamps rounded to a millisecond make
# a true 120 fps video show 121 frames in some 1 s windows).
FPS_SLACK = 1.05
FPS_WINDOW_S = 1.0

# The renditions: each bounds the short side and the long side (portrait and landscape alike).
HIGH, LOW = "high", "low"
RENDITION_BOUNDS = {HIGH: (1080, 1920), LOW: (480, 854)}
RENDITIONS = (HIGH, LOW)


class VideoRejected(Exception):
    """The upload is not a video we accept; carries the contract's status and code.

    Plain positional args so that it pickles across the process pool and Ray."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class VideoLimits:
    """What one video may cost (``core.config`` holds the numbers, README "Video" says why)."""
    max_bytes: int
    max_duration_s: float
    max_side: int             # of the coded frame, either side
    max_pixels: int           # width x height of the coded frame
    max_fps: float
    max_streams: int

    @classmethod
    def from_settings(cls, settings) -> "VideoLimits":
        return cls(settings.video_max_bytes, settings.video_max_duration_s, settings.video_max_side,
                   settings.video_max_pixels, settings.video_max_fps, settings.video_max_streams)


@dataclass(frozen=True)
class ProbedVideo:
    """What a container's headers (and its first frame) say about a video."""
    content_type: str          # from the sniffed bytes, confirmed by the demuxer
    container: str             # the demuxer's name
    video_codec: str
    audio_codec: str | None    # the first audio stream's, None without audio
    width: int                 # coded, before rotation
    height: int
    rotation: int              # counter-clockwise degrees to display it upright: 0, 90, 180, 270
    fps: float | None          # average frame rate, None when the container does not say
    duration_s: float | None   # None when the container does not say (a live-recorded WebM)
    streams: int

    @property
    def upright(self) -> tuple[int, int]:
        return upright_size(self.width, self.height, self.rotation)


def normalized_rotation(degrees: float | None) -> int:
    """A display-matrix angle as one of 0/90/180/270 (the nearest quarter turn)."""
    if degrees is None:
        return 0
    return int(round(degrees / 90.0)) % 4 * 90


def upright_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, 270) else (width, height)


def check(probed: ProbedVideo, limits: VideoLimits) -> None:
    """Raises VideoRejected for a video over any limit; nothing has been decoded yet."""
    if probed.video_codec not in VIDEO_CODECS:
        raise VideoRejected(415, "unsupported_video_codec",
                            f"Videos encoded as {probed.video_codec} are not accepted; use H.264, HEVC, VP8, VP9 "
                            "or AV1.")
    if probed.audio_codec is not None and probed.audio_codec not in AUDIO_CODECS:
        raise VideoRejected(415, "unsupported_audio_codec", f"Audio encoded as {probed.audio_codec} is not accepted.")
    if probed.streams > limits.max_streams:
        raise VideoRejected(422, "too_many_streams",
                            f"A video may have at most {limits.max_streams} streams; this one has {probed.streams}.")
    if probed.width < 2 or probed.height < 2:
        raise VideoRejected(422, "corrupt_video", "The video declares no frame size.")
    check_frame_size(probed.width, probed.height, limits)
    if probed.fps is not None and probed.fps > limits.max_fps:
        raise VideoRejected(422, "frame_rate_too_high",
                            f"Videos may have at most {limits.max_fps:g} frames a second; this one has "
                            f"{probed.fps:.4g}.")
    if probed.duration_s is not None:
        if probed.duration_s <= 0:
            raise VideoRejected(422, "corrupt_video", "The video has no duration.")
        check_duration(probed.duration_s, limits)


def check_duration(seconds: float, limits: VideoLimits, *, decoding: bool = False) -> None:
    """Also applied while transcoding (``decoding``), to a container that did not declare its
    duration: there ``seconds`` is only how far the decoder got, so the message says "longer"."""
    if seconds > limits.max_duration_s:
        lasts = "longer" if decoding else f"{seconds:.1f} s"
        raise VideoRejected(422, "video_too_long",
                            f"Videos may last at most {limits.max_duration_s:g} s; this one lasts {lasts}.")


class FrameGuard:
    """The limits, enforced again on every frame the transcoder decodes: headers can lie, frames
    cannot. Each frame's size (a stream may change size mid-way), its timestamp against the longest
    duration, and the frame rate over any one-second window (a file that declares 30 fps, then
    packs frames 1 ms apart). Pure: fed sizes and times, raises VideoRejected."""

    def __init__(self, limits: VideoLimits) -> None:
        self.limits = limits
        self.per_window = int(limits.max_fps * FPS_WINDOW_S * FPS_SLACK) + 1
        self.recent: deque[float] = deque(maxlen=self.per_window + 1)
        self.latest = 0.0          # the furthest timestamp seen: going back in time buys nothing
        self.frames = 0
        # However the timestamps go, no more frames than the longest video at the highest rate.
        self.max_frames = int(limits.max_fps * FPS_SLACK * (limits.max_duration_s + FPS_WINDOW_S)) + 1

    def admit(self, width: int, height: int, seconds: float | None) -> float:
        """Checks one decoded video frame; returns its time (never before an earlier frame's)."""
        check_frame_size(width, height, self.limits)
        t = max(seconds or 0.0, self.latest)
        check_duration(t, self.limits, decoding=True)
        self.latest = t
        self.frames += 1
        self.recent.append(t)
        if (self.frames > self.max_frames
                or (len(self.recent) > self.per_window and t - self.recent[0] < FPS_WINDOW_S)):
            raise VideoRejected(422, "frame_rate_too_high",
                                f"Videos may have at most {self.limits.max_fps:g} frames a second; this one "
                                "packs more into some second than its header says.")
        return t


def check_frame_size(width: int, height: int, limits: VideoLimits) -> None:
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise VideoRejected(422, "video_too_large",
                            f"Video frames may be at most {limits.max_side} pixels a side and "
                            f"{limits.max_pixels:,} pixels; this one has a {width}x{height} frame.")


def transcode_deadline_s(duration_s: float | None, limits: VideoLimits, base_s: float, per_s: float) -> float:
    """Wall-clock seconds a transcode may take once started: a base (download, start-up, upload)
    plus so much per second of video. A video that did not declare its duration gets the longest
    one's; one that lied about it runs out of time, as it should."""
    seconds = duration_s if duration_s and duration_s > 0 else limits.max_duration_s
    return base_s + per_s * min(seconds, limits.max_duration_s)


def _even(x: float) -> int:
    """H.264 in 4:2:0 needs even dimensions."""
    return max(2, int(round(x / 2.0)) * 2)


def fit(width: int, height: int, short_max: int, long_max: int) -> tuple[int, int] | None:
    """(width, height) scaled, aspect kept, so the short side is at most ``short_max`` and the long
    side at most ``long_max``, even; None when the frame is already within (no upscaling)."""
    short, long = min(width, height), max(width, height)
    scale = min(short_max / short, long_max / long)
    if scale >= 1:
        return None
    return _even(width * scale), _even(height * scale)


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int


def plan_renditions(width: int, height: int, rotation: int = 0) -> list[Rendition]:
    """The MP4s a video becomes, largest first: ``high`` (at most 1080p, never upscaled) and, when
    the source is bigger than that, ``low`` (480p). Sizes are of the upright picture."""
    up_w, up_h = upright_size(width, height, rotation)
    high = fit(up_w, up_h, *RENDITION_BOUNDS[HIGH]) or (_even_down(up_w), _even_down(up_h))
    out = [Rendition(HIGH, *high)]
    low = fit(up_w, up_h, *RENDITION_BOUNDS[LOW])
    if low is not None and low != high:
        out.append(Rendition(LOW, *low))
    return out


def _even_down(x: int) -> int:
    # An odd source size loses one row or column rather than being stretched.
    return max(2, x - x % 2)


def rotation_filters(rotation: int) -> list[tuple[str, str]]:
    """FFmpeg filters (name, arguments) that turn a decoded frame upright for a counter-clockwise
    display rotation (the frame's display matrix)."""
    return {
        0: [],
        90: [("transpose", "cclock")],
        180: [("hflip", ""), ("vflip", "")],
        270: [("transpose", "clock")],
    }[rotation]
