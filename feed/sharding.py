"""Users → slots → shards (pure).

A user's slot never changes (a fixed number of slots, far more than shards will ever be); which
shard owns a slot follows from the current shard count, which operators change at run time
(`raygram shards scale N`). Slots, not users, move between shards, and a shard that newly owns a
slot rebuilds those users' timelines from Neo4j on demand: feed state is a cache.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

# Invariant: SLOTS >= any shard count an operator will set; the mapping is a pure function of it.
SLOTS = 4096
_MIX = 0x9E3779B97F4A7C15   # Fibonacci hashing: ids differing only in low bits spread evenly


def slot_of(user_id: int) -> int:
    return ((user_id * _MIX) & 0xFFFFFFFFFFFFFFFF) >> 52 & (SLOTS - 1)


def shard_of(user_id: int, shards: int) -> int:
    # Contiguous slot ranges per shard: growing N moves the fewest slots a range split can.
    return slot_of(user_id) * shards // SLOTS


def slots_of_shard(shard: int, shards: int) -> range:
    """The contiguous slots ``shard`` owns: exactly those with ``slot * shards // SLOTS == shard``."""
    return range(-(-shard * SLOTS // shards), -(-(shard + 1) * SLOTS // shards))


def group_by_shard(user_ids: Iterable[int], shards: int) -> dict[int, list[int]]:
    """One batch per shard: the unit of every fan-out call."""
    groups: dict[int, list[int]] = defaultdict(list)
    for uid in user_ids:
        groups[shard_of(uid, shards)].append(uid)
    return dict(groups)
