from feed.sharding import SLOTS, shard_of, slot_of, slots_of_shard
from live.presence import PRESENCE_BUCKETS, bucket_of, buckets_for_slots, by_bucket


def test_every_slot_belongs_to_exactly_the_shard_whose_range_holds_it():
    for shards in (1, 2, 3, 4, 7, 64, SLOTS):
        ranges = [slots_of_shard(s, shards) for s in range(shards)]
        assert sum(len(r) for r in ranges) == SLOTS
        for s, r in enumerate(ranges):
            assert all(slot * shards // SLOTS == s for slot in (r.start, r.stop - 1))


def test_a_users_shard_owns_its_slot():
    for uid in range(10_000, 10_500):
        for shards in (3, 5):
            assert slot_of(uid) in slots_of_shard(shard_of(uid, shards), shards)


def test_a_shard_reads_only_the_presence_buckets_of_its_slots():
    for shards in (1, 3, 4, 10):
        for s in range(shards):
            r = slots_of_shard(s, shards)
            buckets = buckets_for_slots(r.start, r.stop)
            assert 1 <= len(buckets) <= PRESENCE_BUCKETS
            for uid in range(50_000, 50_300):
                if slot_of(uid) in r:
                    assert bucket_of(uid) in buckets


def test_by_bucket_groups_every_user_once():
    groups = by_bucket(range(1000))
    assert sorted(u for us in groups.values() for u in us) == list(range(1000))
    assert all(bucket_of(u) == b for b, us in groups.items() for u in us)
