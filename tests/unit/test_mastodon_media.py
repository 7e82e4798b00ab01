"""Mastodon media entities and the instance documents' media limits (pure; decoded by toot's own
entity classes, which require every field)."""
from __future__ import annotations

import dataclasses

from toot import entities as toot_entities

from core.config import load_settings
from gateway.mastodon import entities
from media.process import scaled_size

BASE = "http://127.0.0.1:8081"
POSTER = {"thumb": "pt", "small": "ps", "medium": "pm", "original": "po"}
READY = {"id": "20", "type": "video", "width": 1280, "height": 720, "content_type": "video/mp4", "alt": "clip",
         "duration_s": 88.654, "fps": 29.97, "urls": POSTER,
         "renditions": [{"name": "high", "url": "vhigh"}, {"name": "low", "url": "vlow"}]}


def test_a_ready_video_has_mastodons_video_meta():
    out = entities.media_attachment(READY, BASE)
    toot_entities.from_dict(toot_entities.MediaAttachment, out)
    assert (out["type"], out["url"], out["preview_url"], out["description"]) == ("video", "vhigh", "ps", "clip")
    meta = out["meta"]
    assert meta["original"] == {"width": 1280, "height": 720, "size": "1280x720", "aspect": 1.777778,
                                "duration": 88.654, "frame_rate": "30000/1001"}
    assert (meta["width"], meta["height"], meta["duration"], meta["fps"], meta["length"]) == \
        (1280, 720, 88.654, 30, "0:01:28.65")
    assert meta["small"] == {"width": 320, "height": 180, "size": "320x180", "aspect": 1.777778}


def test_a_processing_video_has_no_urls_and_an_unknown_rate_is_left_out():
    out = entities.media_attachment({**READY, "urls": {}, "renditions": [], "fps": None, "duration_s": None}, BASE)
    assert (out["type"], out["url"], out["preview_url"]) == ("video", None, None)
    assert "frame_rate" not in out["meta"]["original"] and "fps" not in out["meta"] and "duration" not in out["meta"]


def test_a_photo_has_small_meta_and_no_video_fields():
    photo = {"id": "21", "width": 4000, "height": 3000, "content_type": "image/jpeg", "urls": POSTER}
    out = entities.media_attachment(photo, BASE)
    assert (out["type"], out["url"], out["preview_url"]) == ("image", "po", "ps")
    assert out["meta"]["small"]["size"] == "320x240" and "duration" not in out["meta"]["original"]


def test_frame_rates_are_written_as_ffmpeg_ratios():
    assert [entities._frame_rate(f) for f in (24.0, 29.97, 23.976, 59.94, 12.5)] == \
        ["24/1", "30000/1001", "24000/1001", "60000/1001", "25/2"]


def test_scaled_size_matches_the_variants():
    assert scaled_size(4000, 3000, "medium") == (1080, 810)
    assert scaled_size(4000, 3000, "small") == (320, 240)
    assert scaled_size(100, 50, "small") == (100, 50)            # never upscaled
    assert scaled_size(720, 1280, "small") == (180, 320)


def test_instance_documents_advertise_videos_and_their_limits():
    settings = dataclasses.replace(load_settings({}), video_max_bytes=50_000_000, video_max_fps=60.0,
                                   video_max_pixels=1920 * 1080)
    v1 = entities.instance_v1(BASE, settings, {})
    v2 = entities.instance_v2(BASE, settings, {})
    decoded = toot_entities.from_dict(toot_entities.Instance, v1)
    for limits in (v1["configuration"]["media_attachments"], v2["configuration"]["media_attachments"]):
        assert limits["supported_mime_types"] == ["image/jpeg", "image/png", "image/gif", "video/mp4",
                                                  "video/quicktime", "video/webm"]
        assert (limits["video_size_limit"], limits["video_frame_rate_limit"], limits["video_matrix_limit"]) == \
            (50_000_000, 60, 1920 * 1080)
        assert (limits["image_size_limit"], limits["image_matrix_limit"]) == \
            (settings.media_max_bytes, settings.media_max_pixels)
    assert decoded.configuration.media_attachments.video_size_limit == 50_000_000
    assert v2["configuration"]["media_attachments"]["description_limit"] == 1000
