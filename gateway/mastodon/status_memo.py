"""Finished Mastodon entities kept per gateway process, as Mastodon keeps its rendered statuses:
a Status is the same for every viewer but for two flags, so a timeline page builds each status
once per version and URL window and overlays the viewer's ``favourited`` and ``bookmarked``.

A Status is remembered under everything it is built from: the post's id, caption, hashtags,
edit time and counts, each medium's id, alt text and which variants and renditions exist (what a
media view can change by: gateway/media_urls.py), the embedded account's every field, and the
base URL. So an edited caption, a like, a deleted variant, a finished transcode or a changed
avatar (a new user card) is a new key and shows at once; a deleted post is never asked for. The
whole memo is dropped when the URL window turns (its URLs would go stale) and when it is full.

Entities are shared between responses: read-only (orjson encodes them; nothing mutates them).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import orjson

from stores.user_cards import COUNT_FIELDS, PROFILE_FIELDS

from . import entities

# A status is a few KB of Python objects (its account and media are shared with other entries).
STATUSES_MAX = 8192
ACCOUNTS_MAX = 8192
_CARD_FIELDS = PROFILE_FIELDS + COUNT_FIELDS


def account_key(user: dict[str, Any], base: str) -> tuple:
    """Everything entities.account reads of a user card (profile and counts)."""
    return (base, *(user.get(k) for k in _CARD_FIELDS))


def status_key(post: dict[str, Any], account: tuple) -> tuple:
    """Everything entities.status reads of a post but the viewer's flags, with its account's key."""
    return (post["id"], post.get("caption"), post.get("edited_at"), post.get("created_at"),
            post.get("like_count", 0), post.get("comment_count", 0), tuple(post.get("hashtags") or ()),
            tuple((m["id"], m.get("alt"), len(m.get("keys") or ()), len(m.get("rendition_keys") or ()))
                  for m in post.get("media") or ()),
            account)


class StatusMemo:
    def __init__(self, window: Callable[[], int], render: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """``window``: the current URL window (gateway/media_urls.MediaUrls.signer.window);
        ``render``: a post as its v1 view (MediaUrls.render_one), called on a miss only."""
        self._window_of, self._render = window, render
        self._window = -1
        self._statuses: dict[tuple, dict[str, Any]] = {}
        self._accounts: dict[tuple, dict[str, Any]] = {}

    def _turn(self) -> None:
        window = self._window_of()
        if window != self._window:
            self._window, self._statuses, self._accounts = window, {}, {}

    def account(self, user: dict[str, Any], base: str, key: tuple | None = None) -> dict[str, Any]:
        """The Account of a user card (shared: read-only)."""
        key = key or account_key(user, base)
        found = self._accounts.get(key)
        if found is None:
            if len(self._accounts) >= ACCOUNTS_MAX:
                self._accounts.clear()
            found = self._accounts[key] = entities.account(user, base)
        return found

    def _entry(self, post: dict[str, Any], users: dict[int, dict[str, Any]], base: str) -> list | None:
        """[the Status without the viewer's flags, its encodings by flags], or None without an author."""
        user = users.get(int(post["author"]["id"]))
        if user is None:
            return None
        akey = account_key(user, base)
        key = status_key(post, akey)
        entry = self._statuses.get(key)
        if entry is None:
            if len(self._statuses) >= STATUSES_MAX:
                self._statuses.clear()
            status = entities.status(self._render(post), self.account(user, base, akey), base)
            entry = self._statuses[key] = [status, {}]
        return entry

    def _flagged(self, posts: list[dict[str, Any]], users: dict[int, dict[str, Any]], base: str,
                 bookmarked: set[int] | frozenset) -> Iterator[tuple[list, tuple[bool, bool]]]:
        """Each post's entry (those whose author is in ``users``) with the viewer's
        (favourited, bookmarked)."""
        self._turn()
        for post in posts:
            entry = self._entry(post, users, base)
            if entry is not None:
                yield entry, (bool(post.get("liked_by_me")), int(post["id"]) in bookmarked)

    @staticmethod
    def _with_flags(status: dict[str, Any], flags: tuple[bool, bool]) -> dict[str, Any]:
        # A copy with the viewer's flags in their places (the key order stays the entity's).
        status = dict(status)
        status["favourited"], status["bookmarked"] = flags
        return status

    def statuses(self, posts: list[dict[str, Any]], users: dict[int, dict[str, Any]], base: str,
                 bookmarked: set[int] | frozenset = frozenset()) -> list[dict[str, Any]]:
        """Posts (graph records or hydrated bodies) as Statuses, their authors' cards from
        ``users`` (a post whose author is not there is left out), the viewer's flags overlaid:
        ``favourited`` from the post's ``liked_by_me``, ``bookmarked`` if its id is in ``bookmarked``."""
        return [self._with_flags(entry[0], flags) for entry, flags in self._flagged(posts, users, base, bookmarked)]

    def encoded(self, posts: list[dict[str, Any]], users: dict[int, dict[str, Any]], base: str,
                bookmarked: set[int] | frozenset = frozenset()) -> list[tuple[str, bytes]]:
        """``statuses`` as (id, JSON) pairs: each status encoded once per version, URL window and
        pair of flags; a page is their join (``json_list``), the same bytes as encoding the list."""
        out = []
        for entry, flags in self._flagged(posts, users, base, bookmarked):
            raw = entry[1].get(flags)
            if raw is None:
                raw = entry[1][flags] = orjson.dumps(self._with_flags(entry[0], flags))
            out.append((entry[0]["id"], raw))
        return out


def json_list(encoded: list[tuple[str, bytes]]) -> bytes:
    """A JSON array of already encoded values (orjson's compact form: no spaces)."""
    return b"[" + b",".join(raw for _, raw in encoded) + b"]"
