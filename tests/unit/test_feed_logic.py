from collections import Counter

from feed.ranking import Candidate, affinity, rank, score
from feed.sharding import SLOTS, group_by_shard, shard_of, slot_of
from feed.timeline import Timeline, merge_newest
from core.ids import IdGenerator

HOUR = 3_600_000


def test_slots_spread_time_ordered_ids_evenly():
    gen = IdGenerator(worker=3, clock=lambda: 1_800_000_000_000)
    ids = [gen.next_id() for _ in range(4000)]
    per_shard = Counter(shard_of(i, 4) for i in ids)
    assert set(per_shard) == {0, 1, 2, 3}
    assert max(per_shard.values()) < 1.25 * min(per_shard.values())
    assert all(0 <= slot_of(i) < SLOTS for i in ids)


def test_growing_shards_moves_only_some_users():
    ids = range(10_000, 20_000)
    moved = sum(shard_of(i, 4) != shard_of(i, 5) for i in ids)
    assert 0 < moved < len(ids)


def test_group_by_shard_makes_one_batch_per_shard():
    groups = group_by_shard(range(1000), 3)
    assert sorted(u for users in groups.values() for u in users) == list(range(1000))
    assert all(shard_of(u, 3) == s for s, users in groups.items() for u in users)


def test_timeline_keeps_newest_first_without_duplicates_and_capped():
    t = Timeline(cap=3)
    for post in (10, 30, 20, 30, 40):
        t.push(post, author_id=post % 7)
    assert [p for p, _ in t.entries()] == [40, 30, 20]
    assert not t.push(5, 1), "older than everything kept"


def test_push_unpush_and_merge_unmerge_are_symmetric():
    t = Timeline(cap=10, entries=[(5, 1), (3, 2)])
    assert t.push(9, 2) and t.unpush(9) and not t.unpush(9)
    assert t.merge([(8, 3), (7, 3)]) == 2
    assert t.unmerge(3) == 2
    assert t.entries() == [(5, 1), (3, 2)]


def test_pages_cut_by_id_are_stable_when_newer_posts_arrive():
    t = Timeline(cap=100, entries=[(i, 1) for i in range(1, 11)])
    first = t.page(None, 4)
    t.push(50, 1)
    second = t.page(first[-1][0], 4)
    assert [p for p, _ in first + second] == [10, 9, 8, 7, 6, 5, 4, 3]


def test_merge_newest_interleaves_sources_once():
    assert merge_newest(4, [(9, 1), (5, 1)], [(8, 2), (5, 1), (1, 2)]) == [(9, 1), (8, 2), (5, 1), (1, 2)]


def test_fresher_posts_rank_higher_all_else_equal():
    now = 100 * HOUR
    old, new = Candidate(1, 1, now - 24 * HOUR), Candidate(2, 1, now - HOUR)
    assert rank([old, new], now) == [2, 1]


def test_engagement_and_affinity_can_beat_a_little_freshness():
    now = 100 * HOUR
    plain = Candidate(2, 1, now - HOUR)
    loved = Candidate(1, 2, now - 2 * HOUR, likes=200, comments=30, affinity=affinity(True, 10))
    assert score(loved, now) > score(plain, now)
    assert rank([plain, loved], now) == [1, 2]


def test_ties_break_by_recency_so_the_order_is_total():
    now = 10 * HOUR
    same = [Candidate(i, 1, now) for i in (3, 1, 2)]
    assert rank(same, now) == [3, 2, 1]


def test_affinity_stays_between_zero_and_one():
    assert affinity(False, 0) == 0
    assert 0.5 < affinity(True, 1000) <= 1


def test_a_full_timeline_costs_at_most_24_bytes_per_entry():
    t = Timeline(cap=800, entries=[(i, i % 97) for i in range(1, 1001)])
    assert len(t) == 800
    assert t.nbytes() <= 24 * 800


def test_unmerge_keeps_the_order_of_the_rest():
    t = Timeline(cap=10, entries=[(9, 1), (8, 2), (7, 1), (6, 3)])
    assert t.unmerge(1) == 2
    assert t.entries() == [(8, 2), (6, 3)]
    assert 8 in t and 9 not in t
