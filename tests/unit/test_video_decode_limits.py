"""Limits enforced while decoding (issue 21), the transcode deadline and its clock: pure, no file,
no Ray, no Redis."""
from __future__ import annotations

import pytest

from media.transcode_task import cpu_limit_s
from media.video_plan import DECODERS, FrameGuard, VideoLimits, VideoRejected, transcode_deadline_s
from usecases.transcode_clock import AttemptClock

LIMITS = VideoLimits(max_bytes=100 << 20, max_duration_s=180, max_side=4096, max_pixels=4096 * 2304,
                     max_fps=120, max_streams=8)


def feed(guard: FrameGuard, times, size=(320, 240)) -> int:
    """How many frames the guard admitted before refusing (all of them when it never did)."""
    for n, t in enumerate(times):
        try:
            guard.admit(*size, t)
        except VideoRejected:
            return n
    return len(times)


def test_a_honest_video_at_the_frame_rate_limit_passes():
    times = [i / 120 for i in range(120 * 10)]
    assert feed(FrameGuard(LIMITS), times) == len(times)


def test_millisecond_timestamps_of_120_fps_pass():
    # WebM stores milliseconds: 8 or 9 ms apart, some one-second windows hold 121 frames.
    times = [round(i * 1000 / 120) / 1000 for i in range(1200)]
    assert feed(FrameGuard(LIMITS), times) == len(times)


def test_a_header_that_says_30_fps_then_frames_1_ms_apart_is_refused_within_a_second_of_frames():
    times = [i / 30 for i in range(30)] + [1 + i / 1000 for i in range(1000)]
    admitted = feed(FrameGuard(LIMITS), times)
    assert 30 < admitted <= 30 + int(120 * 1.05) + 1


def test_repeated_or_backwards_timestamps_buy_nothing():
    assert feed(FrameGuard(LIMITS), [5.0] * 1000) <= 128
    assert feed(FrameGuard(LIMITS), [None] * 1000) <= 128
    zigzag = [(i % 2) * 3.0 for i in range(1000)]        # 0, 3, 0, 3...: all "at" 3 s
    assert feed(FrameGuard(LIMITS), zigzag) <= 128


def test_the_refusal_says_frame_rate():
    guard = FrameGuard(LIMITS)
    with pytest.raises(VideoRejected) as err:
        for i in range(500):
            guard.admit(64, 48, i / 1000)
    assert (err.value.status, err.value.code) == (422, "frame_rate_too_high")


@pytest.mark.parametrize("size", [(4400, 4400), (16000, 16000), (8000, 200), (200, 4098), (4096, 2305)])
def test_a_frame_over_the_size_limits_is_refused_even_mid_stream(size):
    guard = FrameGuard(LIMITS)
    for i in range(24):
        guard.admit(320, 240, i / 24)
    with pytest.raises(VideoRejected) as err:
        guard.admit(*size, 1.0)
    assert err.value.code == "video_too_large" and f"{size[0]}x{size[1]}" in err.value.message


def test_frames_within_the_limits_of_another_size_pass():
    guard = FrameGuard(LIMITS)
    guard.admit(320, 240, 0.0)
    assert guard.admit(4096, 2304, 0.1) == 0.1


def test_a_frame_past_the_longest_duration_is_refused():
    guard = FrameGuard(LIMITS)
    guard.admit(320, 240, 179.9)
    with pytest.raises(VideoRejected) as err:
        guard.admit(320, 240, 180.5)
    assert err.value.code == "video_too_long"


def test_the_deadline_grows_with_the_declared_duration_and_is_the_longest_when_undeclared():
    assert transcode_deadline_s(10, LIMITS, 60, 6) == 120
    assert transcode_deadline_s(None, LIMITS, 60, 6) == 60 + 6 * 180
    assert transcode_deadline_s(0, LIMITS, 60, 6) == 60 + 6 * 180
    assert transcode_deadline_s(10_000, LIMITS, 60, 6) == 60 + 6 * 180      # capped at the limit


def test_the_cpu_limit_comes_after_the_deadline_so_the_driver_cancels_first():
    assert cpu_limit_s(120, 1) > 120
    assert cpu_limit_s(120, 2) > 240


def test_the_decoder_allow_list_has_every_allowed_codec():
    for name in ("h264", "hevc", "vp8", "vp9", "libdav1d", "mpeg4", "aac", "opus", "mp3float"):
        assert name in DECODERS
    assert "png" not in DECODERS and "mjpeg" not in DECODERS


def test_the_clock_starts_when_an_attempt_begins_not_at_submission():
    clock = AttemptClock(10, begun=0)
    assert clock.wait_s(0, 0.5) == 0.5
    assert not clock.expired(0, 100.0)                     # queued for 100 s: not its fault
    assert not clock.expired(1, 100.5)                     # started now
    assert clock.wait_s(101, 0.5) == 9.5
    assert not clock.expired(1, 110.0)
    assert clock.expired(1, 110.5)


def test_a_retry_by_ray_restarts_the_clock():
    clock = AttemptClock(10, begun=2)                      # two attempts of an earlier drive
    assert not clock.expired(3, 0.0)
    assert not clock.expired(4, 9.0)                       # its worker died, Ray retried
    assert not clock.expired(4, 18.0)
    assert clock.expired(4, 19.0)


def test_an_unknown_baseline_counts_from_the_first_good_read():
    clock = AttemptClock(10, begun=None)
    assert not clock.expired(None, 0.0)
    assert not clock.expired(1, 1.0)
    assert clock.expired(None, 11.0)
