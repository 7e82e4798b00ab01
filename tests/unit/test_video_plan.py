"""Video sniffing, limits and rendition planning: pure, no file is opened."""
from __future__ import annotations

import pytest

from media.detect import MOV, MP4, WEBM, describe_unaccepted, sniff, sniff_video
from media.video_plan import (HIGH, LOW, ProbedVideo, Rendition, VideoLimits, VideoRejected, check, fit,
                              normalized_rotation, plan_renditions, rotation_filters, upright_size)

LIMITS = VideoLimits(max_bytes=100 << 20, max_duration_s=180, max_side=4096, max_pixels=4096 * 2304,
                     max_fps=120, max_streams=8)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\2\0" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0\0\0\x08free"


def webm(doctype: bytes) -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82" + \
        bytes([0x80 | len(doctype)]) + doctype + b"\x42\x87\x81\x04"


@pytest.mark.parametrize("head, expected", [
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), MP4),
    (ftyp(b"mp42", b"mp41"), MP4),
    (ftyp(b"qt  ", b"qt  "), MOV),
    (ftyp(b"XYZW", b"iso5", b"dash"), MP4),              # unknown major, known compatible brand
    (ftyp(b"heic", b"mif1", b"heic"), None),             # a HEIF photo is no video
    (ftyp(b"avif", b"avif", b"mif1"), None),
    (ftyp(b"XYZW", b"XYZW"), None),
    (b"\0\0\0\x08wide\0\0\x59\x6emdat", MOV),             # QuickTime without ftyp
    (webm(b"webm"), WEBM),
    (webm(b"matroska"), None),                           # generic Matroska is not accepted
    (b"\xff\xd8\xff\xe0" + b"\0" * 60, None),            # a JPEG
    (b"this is not a video, even if it is named .mp4", None),
    (b"", None),
])
def test_sniff_video(head, expected):
    assert sniff_video(head) == expected


def test_photo_sniffing_unchanged_by_longer_heads():
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 56) == "image/png"
    assert sniff(ftyp(b"isom", b"isom")) is None
    assert describe_unaccepted(webm(b"matroska")).startswith("Matroska")


def probed(**changes) -> ProbedVideo:
    base = dict(content_type=MP4, container="mov,mp4", video_codec="h264", audio_codec="aac", width=1920,
                height=1080, rotation=0, fps=30.0, duration_s=10.0, streams=2)
    return ProbedVideo(**{**base, **changes})


def test_within_limits_passes():
    check(probed(), LIMITS)
    check(probed(duration_s=None, fps=None, audio_codec=None), LIMITS)   # a live-recorded WebM


@pytest.mark.parametrize("changes, status, code", [
    ({"duration_s": 180.5}, 422, "video_too_long"),
    ({"duration_s": 0.0}, 422, "corrupt_video"),
    ({"width": 8192, "height": 4320}, 422, "video_too_large"),
    ({"width": 4096, "height": 4096}, 422, "video_too_large"),
    ({"width": 0, "height": 0}, 422, "corrupt_video"),
    ({"fps": 240.0}, 422, "frame_rate_too_high"),
    ({"streams": 9}, 422, "too_many_streams"),
    ({"video_codec": "rawvideo"}, 415, "unsupported_video_codec"),
    ({"audio_codec": "dts"}, 415, "unsupported_audio_codec"),
])
def test_limits_refuse(changes, status, code):
    with pytest.raises(VideoRejected) as info:
        check(probed(**changes), LIMITS)
    assert (info.value.status, info.value.code) == (status, code)


@pytest.mark.parametrize("degrees, expected", [(None, 0), (0, 0), (90.0, 90), (-90.0, 270), (180, 180),
                                               (-180, 180), (270, 270), (89.6, 90), (360, 0)])
def test_normalized_rotation(degrees, expected):
    assert normalized_rotation(degrees) == expected


def test_upright_size_swaps_for_quarter_turns():
    assert upright_size(1920, 1080, 90) == (1080, 1920)
    assert upright_size(1920, 1080, 270) == (1080, 1920)
    assert upright_size(1920, 1080, 180) == (1920, 1080)


@pytest.mark.parametrize("size, rotation, expected", [
    ((1920, 1080), 0, [Rendition(HIGH, 1920, 1080), Rendition(LOW, 854, 480)]),
    ((3840, 2160), 0, [Rendition(HIGH, 1920, 1080), Rendition(LOW, 854, 480)]),
    ((1920, 1080), 90, [Rendition(HIGH, 1080, 1920), Rendition(LOW, 480, 854)]),     # portrait phone video
    ((1280, 720), 0, [Rendition(HIGH, 1280, 720), Rendition(LOW, 854, 480)]),
    ((640, 360), 0, [Rendition(HIGH, 640, 360)]),                                       # never upscaled
    ((854, 480), 0, [Rendition(HIGH, 854, 480)]),
    ((641, 361), 0, [Rendition(HIGH, 640, 360)]),                                       # odd sizes made even
    ((1000, 1000), 0, [Rendition(HIGH, 1000, 1000), Rendition(LOW, 480, 480)]),
    ((4000, 1000), 0, [Rendition(HIGH, 1920, 480), Rendition(LOW, 854, 214)]),          # panorama: long side binds
])
def test_plan_renditions(size, rotation, expected):
    plan = plan_renditions(*size, rotation)
    assert plan == expected
    for r in plan:
        assert r.width % 2 == 0 and r.height % 2 == 0


def test_fit_keeps_aspect():
    w, h = fit(1440, 1080, 480, 854)
    assert (w, h) == (640, 480)
    assert fit(320, 240, 480, 854) is None


def test_rotation_filters():
    assert rotation_filters(0) == []
    assert rotation_filters(90) == [("transpose", "cclock")]
    assert rotation_filters(270) == [("transpose", "clock")]
    assert len(rotation_filters(180)) == 2
