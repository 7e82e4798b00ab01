"""Accounts as statuses and notifications embed them (graph/users.USER_FIELDS), from Redis: the
Mastodon home timeline and a notification page show a dozen accounts each, and reading them from
Neo4j costs a few ms of CPU per page.

Two entries per account, with two rules:

- **The profile** (username, display name, bio, privacy, avatar, creation time),
  ``rg:user-card:<id>``. Exact: whoever changes what it says forgets it right after the graph
  write (profile edits in usecases/accounts.py, avatars in usecases/avatars.py, the deletion of
  an account in usecases/account_erasure.py), so a change shows at once, and a deleted account is
  not found again (graph reads match ``:User`` only): whatever embeds it is left out. A read that
  fetched a profile from the graph writes it back only if no forget happened since the read began
  (``rg:user-card-gen:<id>``, a counter every forget moves), so a read racing a change never
  writes the old profile back. ``PROFILE_TTL_S`` is a backstop only.
- **The counts** (followers, following, posts), ``rg:user-counts:<id>``, kept ``COUNTS_TTL_S``
  and not invalidated: every follow, post and deletion moves them, from many writers. In an
  embedded account they lag the graph by at most that. Notifications do not show counts and do
  not read them. An account asked for by itself (``/api/v1/accounts/:id``, verify_credentials,
  v1 profiles) is still read from the graph, exact.
"""
from __future__ import annotations

import asyncio
from typing import Any

import orjson
from neo4j import AsyncDriver
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys
from graph import mastodon_reads

PROFILE_FIELDS = ("id", "username", "display_name", "bio", "private", "created_at", "avatar")
COUNT_FIELDS = ("followers_count", "following_count", "posts_count")
# A backstop only (every change forgets the profile).
PROFILE_TTL_S = 3600
# How far counts in an embedded account may lag the graph.
COUNTS_TTL_S = 2
# Far longer than any read: a counter that expired only makes a racing read skip its write.
GEN_TTL_S = 24 * 3600

# Write each profile read from the graph only if its counter is still the one read before the
# graph read. KEYS: n profile keys, then their n counters; ARGV: ttl, n counters, n profiles.
_WRITE_IF_UNCHANGED = """
local n = #KEYS / 2
for i = 1, n do
    if (redis.call('GET', KEYS[n + i]) or '0') == ARGV[1 + i] then
        redis.call('SET', KEYS[i], ARGV[1 + n + i], 'EX', ARGV[1])
    end
end
return 0
"""

Users = dict[int, dict[str, Any]]


class UserCards:
    def __init__(self, redis: Redis, driver: AsyncDriver, *, profile_ttl_s: int = PROFILE_TTL_S,
                 counts_ttl_s: int = COUNTS_TTL_S) -> None:
        self.redis, self.driver = redis, driver
        self.profile_ttl_s, self.counts_ttl_s = profile_ttl_s, counts_ttl_s
        self._write = redis.register_script(_WRITE_IF_UNCHANGED)
        self._counting: dict[int, asyncio.Future] = {}      # account -> the counts read under way

    async def get(self, user_ids: list[int], *, counts: bool = True) -> Users:
        """The accounts that exist among ``user_ids`` (one round trip when cached); without
        ``counts``, profiles only."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_get(pipe, ids, counts=counts)
            replies = await pipe.execute()
        return await self.read_through(ids, replies, counts=counts)

    @staticmethod
    def queue_get(pipe: Pipeline, ids: list[int], *, counts: bool = True) -> int:
        """``get``'s reads in a caller's pipeline (``ids`` sorted, distinct, not empty); returns
        how many replies they add, which go (in order, as a list) to ``read_through``."""
        pipe.mget([redis_keys.user_card(i) for i in ids])
        if counts:
            pipe.mget([redis_keys.user_counts(i) for i in ids])
        return 2 if counts else 1

    @staticmethod
    def queue_forgotten_lately(pipe: Pipeline, ids: list[int]) -> None:
        """Whether each of ``ids`` had its profile forgotten (changed) within ``GEN_TTL_S``, in a
        caller's pipeline: one reply, a list with None for each account that had not."""
        pipe.mget([redis_keys.user_card_gen(i) for i in ids])

    async def read_through(self, ids: list[int], replies: list, *, counts: bool = True) -> Users:
        profiles = replies[0]
        tallies = replies[1] if counts else [b"{}"] * len(ids)
        found: Users = {}
        no_profile, only_counts = [], {}
        for user_id, profile, tally in zip(ids, profiles, tallies):
            if profile is None:
                no_profile.append(user_id)
            elif tally is None:
                only_counts[user_id] = orjson.loads(profile)
            else:
                found[user_id] = {**orjson.loads(profile), **orjson.loads(tally)}
        if no_profile:
            fetched = await self._profiles_from_graph(no_profile)
            found.update((i, u if counts else profile_of(u)) for i, u in fetched.items())
        if only_counts:
            tallied = await self._shared_counts(sorted(only_counts))
            # Those the graph no longer has are gone, whatever was cached of them.
            found.update((i, {**profile, **tallied[i]}) for i, profile in only_counts.items() if i in tallied)
        return found

    async def _profiles_from_graph(self, ids: list[int]) -> Users:
        """Whole accounts from the graph; each profile written back only if not forgotten since
        this read began, and its counts for ``counts_ttl_s``."""
        gens = await self.redis.mget([redis_keys.user_card_gen(i) for i in ids])
        fetched = await mastodon_reads.users_by_ids(self.driver, ids)
        written = [(i, gen) for i, gen in zip(ids, gens) if i in fetched]
        if written:
            async with self.redis.pipeline(transaction=False) as pipe:
                await self._write(keys=[*(redis_keys.user_card(i) for i, _ in written),
                                        *(redis_keys.user_card_gen(i) for i, _ in written)],
                                  args=[self.profile_ttl_s, *((gen or b"0").decode() for _, gen in written),
                                        *(orjson.dumps(profile_of(fetched[i])) for i, _ in written)], client=pipe)
                self._queue_counts(pipe, fetched)
                await pipe.execute()
        return fetched

    async def _shared_counts(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Counts from the graph, one query per account at a time in this process: when an entry
        expires, every request that finds it missing meanwhile shares the one read (counts may lag
        anyway; profiles are never shared this way, so a profile read never predates its forget)."""
        waits = {self._counting[i] for i in ids if i in self._counting}
        mine = [i for i in ids if i not in self._counting]
        if mine:
            task = asyncio.ensure_future(self._counts_from_graph(mine))
            for i in mine:
                self._counting[i] = task

            def done(finished: asyncio.Future, mine: list[int] = mine) -> None:
                for i in mine:
                    if self._counting.get(i) is finished:
                        del self._counting[i]
            task.add_done_callback(done)
            waits.add(task)
        out: dict[int, dict[str, Any]] = {}
        for waited in waits:
            out.update(await asyncio.shield(waited))     # one caller giving up ends nobody's read
        return out

    async def _counts_from_graph(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        fetched = await mastodon_reads.users_by_ids(self.driver, ids)
        if fetched:
            async with self.redis.pipeline(transaction=False) as pipe:
                self._queue_counts(pipe, fetched)
                await pipe.execute()
        return {i: counts_of(u) for i, u in fetched.items()}

    def _queue_counts(self, pipe: Pipeline, fetched: Users) -> None:
        for i, user in fetched.items():
            pipe.set(redis_keys.user_counts(i), orjson.dumps(counts_of(user)), ex=self.counts_ttl_s)

    async def forget(self, user_id: int) -> None:
        """The account's profile changed (or the account is gone): the next read asks the graph,
        and a read already under way does not write back what it read."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(redis_keys.user_card_gen(user_id))
            pipe.expire(redis_keys.user_card_gen(user_id), GEN_TTL_S)
            pipe.delete(redis_keys.user_card(user_id), redis_keys.user_counts(user_id))
            await pipe.execute()


def profile_of(user: dict[str, Any]) -> dict[str, Any]:
    """The profile part of a USER_FIELDS record (pure)."""
    return {k: user.get(k) for k in PROFILE_FIELDS}


def counts_of(user: dict[str, Any]) -> dict[str, Any]:
    """The counts part of a USER_FIELDS record (pure)."""
    return {k: user.get(k, 0) for k in COUNT_FIELDS}
