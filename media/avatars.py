"""Where profile photos live in S3 and at which gateway path they are served (pure).

Avatars are public, as on every photo network: a private account's photo is shown to anyone who
sees its name (in search, a follow request, a comment), so unlike post media they need no signed
URL. Keys are built from the avatar's own id, fresh per upload, which makes the content behind a
path immutable (cached for a year); the orphan sweeper deletes objects under ``avatars/`` whose
id no account names (usecases/orphan_sweep.py).
"""
from __future__ import annotations

AVATAR_PREFIX = "avatars/"
# The variants kept, in media/process.py's order: thumb (a 150 px square) is what avatar_url names;
# small and medium serve bigger screens. The full-size original is not kept for a profile photo.
AVATAR_VARIANTS = ("thumb", "small", "medium")
PATH_PREFIX = "/"


def avatar_key(avatar_id: int, variant: str) -> str:
    return f"{AVATAR_PREFIX}{avatar_id}/{variant}"


def avatar_id_of(key: str) -> int | None:
    """The avatar id in a key built by ``avatar_key`` (None for any other key)."""
    if not key.startswith(AVATAR_PREFIX):
        return None
    head = key[len(AVATAR_PREFIX):].split("/", 1)[0]
    return int(head) if head.isascii() and head.isdigit() else None


def avatar_path(key: str | None) -> str | None:
    """The gateway path serving an avatar key (``/avatars/<id>/<variant>``), or None."""
    if not key or not key.startswith(AVATAR_PREFIX):
        return None
    return PATH_PREFIX + key
