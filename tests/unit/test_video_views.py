"""The post JSON of video posts (gateway/views.py), pure."""
from __future__ import annotations

from gateway.views import post_view

AUTHOR = {"id": 1, "username": "ada", "display_name": "Ada"}


def post(**changes) -> dict:
    base = {"id": 7, "author": AUTHOR, "caption": "", "hashtags": [], "created_at": 0, "media": []}
    return {**base, **changes}


def test_a_photo_post_is_ready_and_its_media_are_images():
    photo = {"id": 3, "position": 0, "width": 10, "height": 8, "content_type": "image/jpeg", "alt": "",
             "keys": ["t", "s", "m", "o"]}
    view = post_view(post(media=[photo]), {k: f"u-{k}" for k in "tsmo"})
    assert (view["state"], view["failure"]) == ("ready", None)
    assert view["media"][0]["type"] == "image" and view["media"][0]["renditions"] == []
    assert view["media"][0]["duration_s"] is None


def test_a_processing_video_has_no_urls_yet():
    video = {"id": 3, "position": 0, "type": "video", "width": 240, "height": 320,
             "content_type": "video/quicktime", "keys": [], "duration_s": 2.0}
    view = post_view(post(state="processing", media=[video]), {})
    assert view["state"] == "processing"
    assert view["media"][0]["urls"] == {} and view["media"][0]["renditions"] == []


def test_a_ready_video_lists_its_renditions_largest_first():
    video = {"id": 3, "position": 0, "type": "video", "width": 1920, "height": 1080, "content_type": "video/mp4",
             "keys": ["t", "s", "m", "o"], "duration_s": 12.5, "rendition_names": ["high", "low"],
             "rendition_keys": ["h", "l"], "rendition_widths": [1920, 854], "rendition_heights": [1080, 480]}
    urls = {k: f"u-{k}" for k in "tsmohl"}
    media = post_view(post(state="ready", media=[video]), urls)["media"][0]
    assert media["urls"] == {"thumb": "u-t", "small": "u-s", "medium": "u-m", "original": "u-o"}
    assert media["renditions"] == [
        {"name": "high", "width": 1920, "height": 1080, "content_type": "video/mp4", "url": "u-h"},
        {"name": "low", "width": 854, "height": 480, "content_type": "video/mp4", "url": "u-l"}]


def test_a_failed_post_says_why():
    view = post_view(post(state="failed", failure_code="video_too_long", failure_message="Too long."), {})
    assert view["failure"] == {"code": "video_too_long", "message": "Too long."}
