"""A feed answer is reused only while its marks are unchanged and it is young enough."""
from feed.read_cache import MarkedCache


def test_a_value_is_reused_while_its_marks_hold():
    cache = MarkedCache(capacity=4, ttl_s=60)
    cache.put("bob", (b"m1",), [1, 2], now=0)
    assert cache.get("bob", (b"m1",), now=1) == [1, 2]


def test_a_changed_mark_or_a_new_pulled_account_is_a_miss():
    cache = MarkedCache(capacity=4, ttl_s=60)
    cache.put("bob", (b"m1", None), [1], now=0)
    assert cache.get("bob", (b"m2", None), now=1) is None
    cache.put("bob", (b"m1", None), [1], now=0)
    assert cache.get("bob", (b"m1", b"star"), now=1) is None
    assert cache.get("bob", (b"m1",), now=1) is None


def test_a_missing_mark_is_a_mark_too():
    # A feed nobody changed yet has no mark; the first change gives it one.
    cache = MarkedCache(capacity=4, ttl_s=60)
    cache.put("bob", (None,), [1], now=0)
    assert cache.get("bob", (None,), now=1) == [1]
    assert cache.get("bob", (b"m1",), now=2) is None


def test_the_ttl_bounds_how_long_a_value_lives_whatever_the_marks():
    cache = MarkedCache(capacity=4, ttl_s=60)
    cache.put("bob", (b"m1",), [1], now=0)
    assert cache.get("bob", (b"m1",), now=60) is None


def test_the_least_recently_used_value_goes_first():
    cache = MarkedCache(capacity=2, ttl_s=60)
    cache.put("a", (), 1, now=0)
    cache.put("b", (), 2, now=0)
    assert cache.get("a", (), now=1) == 1
    cache.put("c", (), 3, now=1)
    assert cache.get("b", (), now=1) is None
    assert (cache.get("a", (), now=1), cache.get("c", (), now=1), len(cache)) == (1, 3, 2)


def test_peek_shows_the_value_and_its_marks_unchecked_within_the_ttl_only():
    cache = MarkedCache(capacity=4, ttl_s=60)
    assert cache.peek("bob", now=0) is None
    cache.put("bob", (b"m1",), [1], now=0)
    assert cache.peek("bob", now=59) == ((b"m1",), [1])
    assert cache.peek("bob", now=60) is None
    # A peek is no use: the value is still dropped by a get with other marks.
    assert cache.get("bob", (b"m2",), now=1) is None and cache.peek("bob", now=1) is None
