"""Pure parts of the profile grid's cache (usecases/author_posts.py, core/redis_keys.py)."""
from __future__ import annotations

from core import redis_keys
from feed.read_cache import MarkedCache
from usecases.author_posts import with_liked


def test_a_pair_mark_is_the_same_key_whichever_way_round():
    assert redis_keys.pair_mark(7, 3) == redis_keys.pair_mark(3, 7) == "rg:pair-mark:3:7"
    assert redis_keys.pair_mark(3, 7) != redis_keys.pair_mark(3, 8)
    assert redis_keys.author_posts_mark(5) != redis_keys.author_posts_mark(6)


def test_liked_flags_go_to_their_posts_in_order():
    bodies = [{"id": 2}, {"id": 1}]
    assert with_liked(bodies, [True, False]) == [{"id": 2, "liked_by_me": True}, {"id": 1, "liked_by_me": False}]


def test_a_visibility_entry_is_served_only_under_both_marks_it_was_read_under():
    cache: MarkedCache[tuple[int, bool]] = MarkedCache(4, 60.0)
    cache.put(("ada", 2), (b"author-1", b"pair-1"), (1, True), now=0.0)
    assert cache.get(("ada", 2), (b"author-1", b"pair-1"), now=1.0) == (1, True)
    assert cache.get(("ada", 2), (b"author-1", b"pair-2"), now=1.0) is None       # a follow or block moved it
    cache.put(("ada", 2), (b"author-1", None), (1, True), now=0.0)
    assert cache.get(("ada", 2), (b"author-2", None), now=1.0) is None             # a post or privacy change
