"""The layout of an account's data export (pure): which files the zip holds and what each
record says. usecases/export_task.py writes it.

```
profile.json      the account
posts.json        every post: caption (and earlier captions), hashtags, times, media with the file
                  of each in the archive
media/<post id>/<position>-<media id>.<ext>   each media item's original (a video: its largest
                  rendition; the source is not kept once transcoded)
comments.json, likes.json, followers.json, following.json, blocks.json, mutes.json
```
"""
from __future__ import annotations

import posixpath
from datetime import datetime, timezone
from typing import Any

EXPORT_PREFIX = "exports/"
# How long an archive is kept (its object and its state), from when it is ready.
KEEP_MS = 7 * 24 * 3600 * 1000
LISTS = ("comments", "likes", "followers", "following", "blocks", "mutes")


def archive_key(user_id: int, export_id: int) -> str:
    """Where the archive is stored: by ids only (a URL names no username)."""
    return f"{EXPORT_PREFIX}{user_id}/{export_id}.zip"


def account_prefix(user_id: int) -> str:
    return f"{EXPORT_PREFIX}{user_id}/"


def _time(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def original_key(media: dict[str, Any]) -> str | None:
    """The object that is the media item's original: a photo's "original" variant (the last of its
    keys), a video's first (largest) rendition."""
    if media.get("type") == "video":
        renditions = media.get("rendition_keys") or []
        return renditions[0] if renditions else None
    keys = media.get("keys") or []
    return keys[-1] if keys else None


def media_entry(post_id: int, media: dict[str, Any]) -> str | None:
    key = original_key(media)
    if key is None:
        return None
    ext = posixpath.splitext(key)[1] or ".bin"
    return f"media/{post_id}/{media.get('position', 0)}-{media['id']}{ext}"


def post_record(post: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(the post as posts.json lists it, [(S3 key, archive entry)] of its media)."""
    files, media = [], []
    for m in sorted(post.get("media") or [], key=lambda m: m.get("position", 0)):
        entry = media_entry(post["id"], m)
        if entry is not None:
            files.append((original_key(m), entry))
        media.append({"id": str(m["id"]), "type": m.get("type") or "image", "content_type": m.get("content_type"),
                      "width": m.get("width"), "height": m.get("height"), "alt": m.get("alt") or "",
                      "duration_s": m.get("duration_s"), "file": entry})
    history = [{"caption": c, "from": _time(at)} for c, at in
               zip(post.get("caption_history") or [], post.get("caption_history_at") or [])]
    record = {"id": str(post["id"]), "caption": post.get("caption") or "", "hashtags": list(post.get("hashtags") or []),
              "created_at": _time(post.get("created_at")), "edited_at": _time(post.get("edited_at")),
              "state": post.get("state") or "ready", "earlier_captions": history, "media": media}
    return record, files


def profile_record(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(user["id"]), "username": user["username"], "display_name": user.get("display_name") or "",
            "bio": user.get("bio") or "", "private": bool(user.get("private")),
            "created_at": _time(user.get("created_at"))}


def list_record(name: str, row: dict[str, Any]) -> dict[str, Any]:
    """One row of comments.json, likes.json or an account list (followers, following, blocks, mutes)."""
    if name == "comments":
        return {"id": str(row["id"]), "post_id": str(row["post_id"]), "text": row["text"],
                "created_at": _time(row.get("created_at"))}
    if name == "likes":
        return {"post_id": str(row["post_id"]), "liked_at": _time(row.get("liked_at"))}
    return {"id": str(row["user_id"]), "username": row["username"], "since": _time(row.get("since"))}
