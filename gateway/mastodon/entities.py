"""Raygram records rendered as Mastodon API entities (pure functions, no I/O).

Field sets follow docs.joinmastodon.org/entities; clients such as toot decode them into classes
that require every field, so fields Raygram has no notion of are present with their neutral
value (no emojis, no reblogs, no polls...) rather than left out.
"""
from __future__ import annotations

import functools
import html
import re
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from gateway.views import rfc3339
from media.avatars import avatar_path
from media.process import scaled_size

VERSION = "4.3.0 (compatible; Raygram 0.1.0)"
# A flat grey: the blurhash of a 1x1-component image (clients decode it as a placeholder).
BLURHASH = "00Eyb["
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "video/mp4", "video/quicktime", "video/webm"]

# Served by routes_misc for accounts without a photo (a grey pixel, as Mastodon's missing.png).
PLACEHOLDER_AVATAR = "/avatars/original/missing.png"
_TAG_IN_TEXT = re.compile(r"(?<![\w#&])#(\w{1,100})")
_VARIANT_PREVIEW = "small"


def account(user: dict[str, Any], base: str) -> dict[str, Any]:
    """A Mastodon Account from a graph user (users.USER_FIELDS, or a summary of id/username/display_name)."""
    username = user["username"]
    created = rfc3339(user.get("created_at")) or "1970-01-01T00:00:00.000Z"
    photo = avatar_path(user.get("avatar"))
    avatar = f"{base}{photo}" if photo else f"{base}{PLACEHOLDER_AVATAR}"
    return {
        "id": str(user["id"]),
        "username": username,
        "acct": username,
        "url": f"{base}/@{quote(username)}",
        "uri": f"{base}/users/{quote(username)}",
        "display_name": user.get("display_name") or username,
        "note": plain_html(user.get("bio") or ""),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": f"{base}/headers/original/missing.png",
        "header_static": f"{base}/headers/original/missing.png",
        "locked": bool(user.get("private")),
        "fields": [],
        "emojis": [],
        "bot": False,
        "group": False,
        "discoverable": True,
        "indexable": True,
        "noindex": False,
        "moved": None,
        "suspended": False,
        "limited": False,
        "created_at": created,
        "last_status_at": None,
        "statuses_count": int(user.get("posts_count", 0)),
        "followers_count": int(user.get("followers_count", 0)),
        "following_count": int(user.get("following_count", 0)),
    }


def credential_account(user: dict[str, Any], base: str) -> dict[str, Any]:
    """The caller's own Account, with ``source`` (what update_credentials edits)."""
    out = account(user, base)
    out["source"] = {"privacy": "private" if user.get("private") else "public", "sensitive": False,
                     "language": None, "note": user.get("bio") or "", "fields": [], "indexable": True,
                     "discoverable": True, "hide_collections": False, "attribution_domains": [],
                     "follow_requests_count": int(user.get("follow_requests_count", 0))}
    out["role"] = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}
    return out


def validation_error(message: str, code: str) -> dict[str, Any]:
    """Mastodon's 422 body: the message, and ``details`` by attribute (Raygram's error code names
    the attribute: ``invalid_redirect_uri`` -> ``redirect_uri``; others are the record's, ``base``)."""
    attribute = code[len("invalid_"):] if code.startswith("invalid_") and len(code) > len("invalid_") else "base"
    return {"error": message, "details": {attribute: [{"error": "ERR_INVALID", "description": message}]}}


def relationship(user_id: int, rel: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(user_id), "following": bool(rel.get("following")), "showing_reblogs": bool(rel.get("following")),
            "notifying": False, "languages": None, "followed_by": bool(rel.get("followed_by")),
            "blocking": bool(rel.get("blocking")), "blocked_by": bool(rel.get("blocked_by")),
            "muting": bool(rel.get("muting")), "muting_notifications": False,
            "requested": bool(rel.get("requested")), "requested_by": bool(rel.get("requested_by")),
            "domain_blocking": False, "endorsed": False, "note": ""}


def plain_html(text: str) -> str:
    """Text as Mastodon's HTML: escaped, one paragraph per blank-line block, <br> per newline."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(f"<p>{'<br />'.join(html.escape(line) for line in p.split(chr(10)))}</p>" for p in paragraphs)


# Remembered per (text, base): a timeline renders the same captions page after page, and this is
# a tenth of a Mastodon home page's CPU (py-spy). Pure, so a bounded memo is always right.
@functools.lru_cache(maxsize=2048)
def content_html(text: str, base: str) -> str:
    """A caption or comment as escaped HTML whose hashtags link to the tag's page."""
    if not text:
        return ""

    def line_html(line: str) -> str:
        out, last = [], 0
        for m in _TAG_IN_TEXT.finditer(line):
            tag = m.group(1)
            if not any(ch.isalpha() for ch in tag):
                continue
            out.append(html.escape(line[last:m.start()]))
            href = html.escape(f"{base}/tags/{quote(tag.casefold())}")
            out.append(f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>')
            last = m.end()
        out.append(html.escape(line[last:]))
        return "".join(out)

    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(f"<p>{'<br />'.join(line_html(line) for line in p.split(chr(10)))}</p>" for p in paragraphs)


def tag(name: str, base: str, following: bool = False) -> dict[str, Any]:
    # Raygram keeps no hashtag records: the (case-folded) name is the id.
    return {"id": name, "name": name, "url": f"{base}/tags/{quote(name)}", "history": [], "following": following}


def _dimensions(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}",
            "aspect": round(width / height, 6) if height else 1.0}


def _length(seconds: float) -> str:
    """Mastodon's ``meta.length``: H:MM:SS.ss."""
    whole, frac = divmod(round(seconds * 100), 100)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}.{frac:02d}"


def _frame_rate(fps: float) -> str:
    """As FFmpeg (and so Mastodon) writes a frame rate: a ratio, "30/1" or "30000/1001" (the
    probed rate is stored rounded, so the NTSC family is recognised within a hair)."""
    for den in (1, 1001):
        if abs(round(fps * den) / den - fps) < 1e-4:
            return f"{round(fps * den)}/{den}"
    ratio = Fraction(fps).limit_denominator(1000)
    return f"{ratio.numerator}/{ratio.denominator}"


def media_attachment(media: dict[str, Any], base: str) -> dict[str, Any]:
    """From a v1 media view (gateway/views.media_view: ``urls`` by variant name, a video's
    ``renditions`` largest first, and ``fps`` where known) or a staged upload rendered the same way.
    A video still being transcoded has no URLs yet: null, as Mastodon's own processing media; its
    ``preview_url`` is the poster's small variant, ``meta`` Mastodon's video fields."""
    urls = media.get("urls") or {}
    width, height = int(media["width"]), int(media["height"])
    original = _dimensions(width, height)
    meta: dict[str, Any] = {"original": original, "small": _dimensions(*scaled_size(width, height, "small"))}
    preview = urls.get(_VARIANT_PREVIEW) or urls.get("thumb") or urls.get("original")
    renditions = media.get("renditions") or []
    if media.get("type") == "video":
        url = renditions[0]["url"] if renditions else None
        kind = "video"
        meta.update(original)
        if media.get("duration_s") is not None:
            duration = float(media["duration_s"])
            original["duration"] = meta["duration"] = duration
            meta["length"] = _length(duration)
        if media.get("fps"):
            original["frame_rate"] = _frame_rate(float(media["fps"]))
            meta["fps"] = round(float(media["fps"]))
    else:
        # An animated GIF is still a photo here, as Raygram shows it.
        url, kind = urls.get("original") or preview, "image"
    meta["focus"] = {"x": 0.0, "y": 0.0}
    return {
        "id": str(media["id"]),
        "type": kind,
        "url": url,
        "preview_url": preview,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.get("alt") or None,
        "blurhash": BLURHASH,
    }


def status(post: dict[str, Any], author: dict[str, Any], base: str, *, bookmarked: bool = False) -> dict[str, Any]:
    """A post (a v1 post view: gateway/views.post_view) as a Status; ``author`` is its Account."""
    caption = post.get("caption") or ""
    return _status(
        status_id=post["id"], author=author, base=base, text=caption, created_at=post.get("created_at"),
        private=bool(author.get("locked")), media=[media_attachment(m, base) for m in post.get("media", [])],
        tags=[tag(t, base) for t in post.get("hashtags", [])], favourites=post.get("like_count", 0),
        replies=post.get("comment_count", 0), favourited=bool(post.get("liked_by_me")), reply_to=None,
        bookmarked=bookmarked, edited_at=post.get("edited_at"))


def status_edit(status_json: dict[str, Any], text: str, created_at: str | None, base: str) -> dict[str, Any]:
    """One version of a status (a StatusEdit): the caption it had from ``created_at`` on, with
    the status's account and media (a caption edit leaves the media as they are)."""
    return {"content": content_html(text, base), "spoiler_text": "", "sensitive": False,
            "created_at": created_at or status_json["created_at"], "account": status_json["account"],
            "poll": None, "media_attachments": status_json["media_attachments"], "emojis": []}


def comment_status(comment: dict[str, Any], author: dict[str, Any], post_author_id: int, private: bool,
                   base: str) -> dict[str, Any]:
    """A comment as a reply Status to its post (comment ids are snowflakes from the same
    generator as post ids, so the two never collide)."""
    return _status(
        status_id=comment["id"], author=author, base=base, text=comment.get("text") or "",
        created_at=rfc3339(comment.get("created_at")) if isinstance(comment.get("created_at"), int)
        else comment.get("created_at"),
        private=private, media=[], tags=[], favourites=0, replies=0, favourited=False,
        reply_to=(str(comment["post_id"]), str(post_author_id)))


def _status(*, status_id, author, base, text, created_at, private, media, tags, favourites, replies, favourited,
            reply_to, bookmarked: bool = False, edited_at: str | None = None) -> dict[str, Any]:
    sid = str(status_id)
    url = f"{author['url']}/{sid}"
    return {
        "id": sid,
        "uri": f"{author['uri']}/statuses/{sid}",
        "url": url,
        "created_at": created_at or "1970-01-01T00:00:00.000Z",
        "edited_at": edited_at,
        "account": author,
        "content": content_html(text, base),
        "text": text,
        "visibility": "private" if private else "public",
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": media,
        "application": None,
        "mentions": [],
        "tags": tags,
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": int(favourites),
        "replies_count": int(replies),
        "quotes_count": 0,
        "in_reply_to_id": reply_to[0] if reply_to else None,
        "in_reply_to_account_id": reply_to[1] if reply_to else None,
        "reblog": None,
        "quote": None,
        "poll": None,
        "card": None,
        "language": None,
        "favourited": favourited,
        "reblogged": False,
        "muted": False,
        "bookmarked": bookmarked,
        "pinned": False,
        "filtered": [],
    }


# Raygram notification kinds -> Mastodon's; a comment on your post is a reply that mentions you.
NOTIFICATION_TYPES = {"like": "favourite", "comment": "mention", "follow": "follow",
                      "follow_request": "follow_request"}


def notification(n: dict[str, Any], actor: dict[str, Any], status_json: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": str(n["id"]), "type": NOTIFICATION_TYPES[n["type"]], "created_at": rfc3339(n.get("created_at")),
            "group_key": f"ungrouped-{n['id']}", "account": actor, "status": status_json, "report": None}


def instance_v1(base: str, settings, stats: dict[str, int]) -> dict[str, Any]:
    host = base.split("://", 1)[-1]
    return {
        "uri": host,
        "title": "Raygram",
        "short_description": "Photo sharing on Raygram.",
        "description": "Photo sharing on Raygram, through the Mastodon client API.",
        "email": "",
        "version": VERSION,
        "urls": {"streaming_api": _ws(base)},
        "stats": {"user_count": stats.get("users", 0), "status_count": stats.get("posts", 0), "domain_count": 0},
        "thumbnail": None,
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 0},
            "statuses": _status_limits(settings),
            "media_attachments": _media_limits(settings),
            "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
        },
        "contact_account": None,
        "rules": [],
    }


def instance_v2(base: str, settings, stats: dict[str, int]) -> dict[str, Any]:
    host = base.split("://", 1)[-1]
    return {
        "domain": host,
        "title": "Raygram",
        "version": VERSION,
        "source_url": "https://github.com/raygram/raygram",
        "description": "Photo sharing on Raygram, through the Mastodon client API.",
        "usage": {"users": {"active_month": stats.get("users", 0)}},
        "thumbnail": {"url": f"{base}/thumbnail.png", "blurhash": BLURHASH, "versions": {}},
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": _ws(base), "status": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
            "statuses": _status_limits(settings),
            "media_attachments": {**_media_limits(settings), "description_limit": 1000},
            "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
            "translation": {"enabled": False},
            "timelines_access": {"live_feeds": {"local": "disabled", "remote": "disabled"},
                                 "hashtag_feeds": {"local": "authenticated", "remote": "disabled"},
                                 "trending_link_feeds": {"local": "disabled", "remote": "disabled"}},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None, "url": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": None},
        "rules": [],
    }


def _ws(base: str) -> str:
    return "ws" + base[4:] if base.startswith("http") else base


def _status_limits(settings) -> dict[str, int]:
    return {"max_characters": 2200, "max_media_attachments": settings.media_max_parts,
            "characters_reserved_per_url": 23}


def _media_limits(settings) -> dict[str, Any]:
    """What an app checks before uploading: the probe's limits (README "Video"), from core/config."""
    return {"supported_mime_types": SUPPORTED_MIME_TYPES, "image_size_limit": settings.media_max_bytes,
            "image_matrix_limit": settings.media_max_pixels, "video_size_limit": settings.video_max_bytes,
            "video_frame_rate_limit": int(settings.video_max_fps), "video_matrix_limit": settings.video_max_pixels}
