"""Rendering of graph records into the contract's JSON shapes (pure functions)."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from media.avatars import avatar_path


# Memoised: every page renders two timestamps per post, and a post's never change (an edit sets
# a new edited_at); formatting one through datetime costs more than the rest of the post's view.
@lru_cache(maxsize=65536)
def rfc3339(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_view(user: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": str(user["id"]),
        "username": user["username"],
        "display_name": user.get("display_name") or user["username"],
        "bio": user.get("bio") or "",
        "private": bool(user.get("private")),
        "followers_count": user.get("followers_count", 0),
        "following_count": user.get("following_count", 0),
        "posts_count": user.get("posts_count", 0),
        "avatar_url": avatar_path(user.get("avatar")),
        "created_at": rfc3339(user.get("created_at")),
    }
    if "relationship" in user:
        rel = user["relationship"]
        out["relationship"] = {k: bool(rel.get(k)) for k in ("following", "requested", "followed_by", "blocking",
                                                             "muting")}
    return out


def user_summary(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(user["id"]), "username": user["username"],
            "display_name": user.get("display_name") or user["username"],
            "avatar_url": avatar_path(user.get("avatar"))}


VARIANT_ORDER = ("thumb", "small", "medium", "original")


def media_view(m: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    """A photo, or a video: for a video ``urls`` are its poster's JPEG variants (what an image-only
    client shows) and ``renditions`` the H.264/AAC MP4s, largest first; both are empty until the
    video is transcoded (only its author sees it then)."""
    return {
        "id": str(m["id"]),
        "type": m.get("type") or "image",
        "width": m["width"],
        "height": m["height"],
        "content_type": m["content_type"],
        "alt": m.get("alt") or "",
        "urls": {name: urls[key] for name, key in zip(VARIANT_ORDER, m["keys"])},
        "duration_s": m.get("duration_s"),
        "renditions": [
            {"name": name, "width": width, "height": height, "content_type": "video/mp4", "url": urls[key]}
            for name, key, width, height in zip(m.get("rendition_names") or [], m.get("rendition_keys") or [],
                                                m.get("rendition_widths") or [], m.get("rendition_heights") or [])
        ],
    }


def post_view(post: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    """``urls`` maps each S3 key of the post's media to a URL the caller may use."""
    return post_view_with(post, [media_view(m, urls) for m in post["media"]])


def post_view_with(post: dict[str, Any], media: list[dict[str, Any]]) -> dict[str, Any]:
    """The post with its media already viewed (``media_view``, in the post's order)."""
    state = post.get("state") or "ready"
    return {
        "id": str(post["id"]),
        "author": user_summary(post["author"]),
        "caption": post.get("caption") or "",
        "hashtags": list(post.get("hashtags") or []),
        "created_at": rfc3339(post.get("created_at")),
        # When the caption was last edited (an extension: README, "Editing a caption"); null until then.
        "edited_at": rfc3339(post.get("edited_at")),
        "like_count": post.get("like_count", 0),
        "comment_count": post.get("comment_count", 0),
        "liked_by_me": bool(post.get("liked_by_me")),
        "media": media,
        # A post with a video is "processing" until every video is transcoded; only its author
        # sees it before it is "ready" (and a "failed" one, with the reason, until deleted).
        "state": state,
        "failure": ({"code": post.get("failure_code") or "transcode_failed",
                     "message": post.get("failure_message") or "The video could not be processed."}
                    if state == "failed" else None),
    }


def notification_view(n: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(n["id"]),
        "type": n["type"],
        "actor": user_summary(n["actor"]),
        "post_id": str(n["post_id"]) if n.get("post_id") is not None else None,
        "comment_id": str(n["comment_id"]) if n.get("comment_id") is not None else None,
        "created_at": rfc3339(n.get("created_at")),
        "read": bool(n.get("read")),
    }


def comment_view(c: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(c["id"]), "post_id": str(c["post_id"]), "author": user_summary(c["author"]),
            "text": c["text"], "created_at": rfc3339(c.get("created_at"))}
