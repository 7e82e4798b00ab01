"""The Mastodon API's pure parts: entity shapes (checked against toot's own entity classes, which
require every field), HTML content, paging and Link headers, OAuth rules, rate-limit headers,
streaming events."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from toot import entities as toot_entities

from core.config import load_settings
from core.errors import ValidationFailed
from core.oauth_rules import (OOB, OAuthError, allows, basic_client, grantable, parse_redirect_uris, parse_scopes,
                              pkce_ok, with_basic_client)
from gateway.mastodon import entities, pages, paging, ratelimit, stream_events
from core import live_protocol as protocol

BASE = "http://127.0.0.1:8081"
USER = {"id": 7, "username": "ana", "display_name": "Ana <b>", "bio": "hi & bye", "private": False,
        "created_at": 1_700_000_000_000, "followers_count": 2, "following_count": 3, "posts_count": 4}
POST_VIEW = {"id": "11", "author": {"id": "7", "username": "ana", "display_name": "Ana"},
             "caption": "Sun <3 #Beach\n\nnext", "hashtags": ["beach"], "created_at": "2024-01-01T00:00:00.000Z",
             "like_count": 5, "comment_count": 1, "liked_by_me": True,
             "media": [{"id": "12", "width": 640, "height": 480, "content_type": "image/jpeg", "alt": "sea",
                        "urls": {"thumb": "t", "small": "s", "medium": "m", "original": "o"}}]}


def test_account_status_notification_instance_decode_as_toot_entities():
    account = entities.account(USER, BASE)
    toot_entities.from_dict(toot_entities.Account, account)
    status = entities.status(POST_VIEW, account, BASE)
    decoded = toot_entities.from_dict(toot_entities.Status, status)
    assert decoded.media_attachments[0].preview_url == "s" and decoded.favourited is True
    reply = entities.comment_status({"id": 13, "post_id": 11, "text": "nice", "created_at": 1_700_000_000_001,
                                     "author": USER}, account, 7, False, BASE)
    assert reply["in_reply_to_id"] == "11" and reply["in_reply_to_account_id"] == "7"
    note = entities.notification({"id": 14, "type": "comment", "created_at": 1_700_000_000_002}, account, reply)
    assert toot_entities.from_dict(toot_entities.Notification, note).type == "mention"
    instance = entities.instance_v1(BASE, load_settings({}), {"users": 1, "posts": 2})
    decoded = toot_entities.from_dict(toot_entities.Instance, instance)
    assert decoded.urls.streaming_api == "ws://127.0.0.1:8081"
    assert decoded.configuration.statuses.max_media_attachments == 10
    assert entities.VERSION.startswith("4.3.0 (compatible; Raygram")


def test_account_escapes_and_locks():
    account = entities.account({**USER, "private": True}, BASE)
    assert account["locked"] is True and account["note"] == "<p>hi &amp; bye</p>"
    assert account["acct"] == "ana" and account["url"] == f"{BASE}/@ana"
    assert entities.status(POST_VIEW, account, BASE)["visibility"] == "private"


def test_an_account_shows_its_photo_from_the_apps_address_or_the_placeholder():
    with_photo = entities.account({**USER, "avatar": "avatars/42/thumb"}, BASE)
    assert with_photo["avatar"] == with_photo["avatar_static"] == f"{BASE}/avatars/42/thumb"
    assert entities.account(USER, BASE)["avatar"] == f"{BASE}{entities.PLACEHOLDER_AVATAR}"


def test_content_html_escapes_and_links_hashtags():
    html = entities.content_html('<script>x</script> #Tag #2024 a#b\nline', BASE)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f'href="{BASE}/tags/tag"' in html and "#<span>Tag</span>" in html
    assert "#2024" in html and "tags/2024" not in html and "tags/b" not in html
    assert html.count("<p>") == 1 and "<br />" in html
    assert entities.content_html("a\n\nb", BASE) == "<p>a</p><p>b</p>"
    assert entities.content_html("", BASE) == ""


def test_paging_params_and_window():
    p = paging.parse({"max_id": "100", "limit": "500"})
    assert p.max_id == 100 and p.limit == paging.MAX_LIMIT
    with pytest.raises(ValidationFailed):
        paging.parse({"max_id": "-1"})
    with pytest.raises(ValidationFailed):
        paging.parse({"limit": "ten"})
    ids = [9, 8, 7, 6, 5, 4]
    assert paging.window(ids, paging.PageParams(limit=2)) == [9, 8]
    assert paging.window(ids, paging.PageParams(max_id=7, limit=2)) == [6, 5]
    assert paging.window(ids, paging.PageParams(min_id=5, limit=2)) == [7, 6]      # right after min_id
    assert paging.window(ids, paging.PageParams(since_id=5, limit=2)) == [9, 8]    # the newest above it


def test_link_header_is_next_then_prev_and_keeps_other_params():
    link = paging.link_header(f"{BASE}/api/v1/timelines/home", {"limit": "2", "max_id": "50"}, "40", "30")
    assert link == (f'<{BASE}/api/v1/timelines/home?limit=2&max_id=30>; rel="next", '
                    f'<{BASE}/api/v1/timelines/home?limit=2&min_id=40>; rel="prev"')
    assert paging.link_header(BASE, {}, None, None) is None


def test_scopes():
    assert parse_scopes(None) == ["read"]
    assert parse_scopes("read write+follow read") == ["read", "write", "follow"]
    with pytest.raises(OAuthError):
        parse_scopes("admin")
    assert allows(["write"], "write:statuses") and allows(["follow"], "write:follows")
    assert not allows(["read"], "write:statuses") and not allows(["read:accounts"], "read:statuses")
    assert grantable(["read:statuses", "write"], ["read", "write"]) and not grantable(["push"], ["read"])


def test_redirect_uris():
    assert parse_redirect_uris(None) == [OOB]
    assert parse_redirect_uris("https://a/cb\nmyapp://cb") == ["https://a/cb", "myapp://cb"]
    for bad in ("relative/path", "https://a/cb#frag", "javascript:alert(1)", "https://"):
        with pytest.raises(ValidationFailed):
            parse_redirect_uris(bad)


def test_pkce():
    verifier = "v" * 50
    s256 = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce_ok(verifier, s256, "S256") and pkce_ok(None, None, None)
    assert not pkce_ok("w" * 50, s256, "S256") and not pkce_ok(None, s256, "S256")
    assert not pkce_ok("short", "short", "plain") and not pkce_ok(verifier, verifier, "plain")
    assert not pkce_ok(verifier, s256, "S512")


def test_rate_limit_headers():
    h = ratelimit.headers(ratelimit.Window(300, 301, 60), 1_700_000_000.0)
    assert h == {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": "2023-11-14T22:14:20.000Z"}
    assert ratelimit.Window(3, 4, 1).exceeded and not ratelimit.Window(3, 3, 1).exceeded


def test_stream_events():
    frame = protocol.frame(5, protocol.FEED_POST, {"id": "11"})
    assert stream_events.translate(frame) == (5, "update", '{"id":"11"}')
    assert stream_events.translate(protocol.frame(6, protocol.FEED_DELETE, {"post_id": "11"})) == (6, "delete", "11")
    assert stream_events.translate(protocol.frame(7, "other", {})) is None
    assert stream_events.sse(5, "update", "{}") == "id: 5\nevent: update\ndata: {}\n\n"
    message = json.loads(stream_events.ws_message(5, "delete", "11", ["user"]))
    assert message == {"stream": ["user"], "event": "delete", "payload": "11", "id": "5"}
    assert stream_events.parse_last_event_id(" 42 ") == 42
    assert stream_events.parse_last_event_id("x") is None and stream_events.parse_last_event_id("9" * 30) is None


def test_consent_page_escapes_everything():
    page = pages.consent({"client_id": '"><script>', "state": "<x>"}, "<b>App</b>", ["read"], error="<e>")
    assert "<script>" not in page and "<b>App</b>" not in page and "<e>" not in page
    assert "&lt;b&gt;App&lt;/b&gt;" in page


def test_mastodon_routes_reach_stores_only_through_use_cases():
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "gateway" / "mastodon"
    forbidden = {"REDIS", "IDS", "FEED", "SEARCH_EFFECTS", "S3", "SEARCH", "MEDIA_POOL", "SHARDS"}
    for path in sorted(root.glob("routes_*.py")) + [root / "streaming.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = {alias.name for alias in node.names}
                assert node.module != "core.redis_keys" and "redis_keys" not in names, path.name
                if node.module == "gateway.keys":
                    assert not forbidden & names, f"{path.name} takes {forbidden & names} from the app"


def test_video_attachment_uses_its_largest_rendition_and_poster():
    video = {"id": "20", "type": "video", "width": 1280, "height": 720, "content_type": "video/mp4", "alt": "",
             "duration_s": 3.5, "urls": {"thumb": "pt", "small": "ps", "medium": "pm", "original": "po"},
             "renditions": [{"name": "720p", "url": "v720"}, {"name": "360p", "url": "v360"}]}
    out = entities.media_attachment(video, BASE)
    assert (out["type"], out["url"], out["preview_url"], out["meta"]["original"]["duration"]) == \
        ("video", "v720", "ps", 3.5)
    processing = entities.media_attachment({**video, "urls": {}, "renditions": []}, BASE)
    assert processing["url"] is None and processing["preview_url"] is None


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def test_http_basic_client_credentials_are_read_and_merged_into_the_form():
    assert basic_client(None) is None and basic_client("Bearer abc") is None
    # Each half is form-urlencoded before base64 (RFC 6749 §2.3.1).
    assert basic_client(_basic(b"my%3Aapp:s+e%2Bcret")) == ("my:app", "s e+cret")
    assert with_basic_client({"grant_type": "password"}, _basic(b"id:secret")) == {
        "grant_type": "password", "client_id": "id", "client_secret": "secret"}
    assert with_basic_client({"client_id": "id"}, _basic(b"id:secret"))["client_secret"] == "secret"
    for header in ("Basic %%%", _basic(b"no-colon"), _basic(b":secret"), "Basic " + "A" * 2000,
                   "Basic " + base64.b64encode(b"\xff\xfe:x").decode()):
        with pytest.raises(OAuthError) as refused:
            basic_client(header)
        assert (refused.value.error, refused.value.status) == ("invalid_client", 401)
        assert refused.value.headers["WWW-Authenticate"].startswith("Basic")
    with pytest.raises(OAuthError):
        with_basic_client({"client_id": "other"}, _basic(b"id:secret"))
