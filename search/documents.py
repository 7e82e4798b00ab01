"""Index documents from graph records (pure)."""
from __future__ import annotations

from typing import Any


def post_document(post: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": post["id"],
        "caption": post.get("caption") or "",
        "hashtags": list(post.get("hashtags") or []),
        # A keyword: visibility filters match it against lists of ids as strings.
        "author_id": str(post["author_id"]),
        "author_username": post["author_username"],
        "author_private": bool(post.get("author_private")),
        "created_at": post["created_at"],
        "like_count": post.get("like_count", 0),
        "comment_count": post.get("comment_count", 0),
    }


# The account as user search shows it (graph/users.USER_FIELDS), kept in the document's source but
# not indexed (the mapping is `dynamic: false`): a user search reads its page's profiles and
# counts from its own answer instead of the graph (usecases/seen_accounts.py says when it may).
CARD_FIELDS = ("id", "username", "display_name", "bio", "private", "created_at", "avatar",
               "followers_count", "following_count", "posts_count")


def user_document(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "username": user["username"],
        "display_name": user.get("display_name") or user["username"],
        "private": bool(user.get("private")),
        "followers_count": user.get("followers_count", 0),
        "created_at": user["created_at"],
        "card": {k: user.get(k) for k in CARD_FIELDS},
    }
