"""Accounts as statuses and notifications embed them (graph/users.USER_FIELDS), from Redis: the
Mastodon home timeline and a notification page show a dozen accounts each, and reading them from
Neo4j costs a few ms of CPU per page.

One JSON entry per account (``rg:user-card:<id>``), kept ``TTL_S``, with two rules:

- **What the profile says** (display name, bio, privacy, avatar; the username never changes):
  whoever changes it forgets the entry right after the graph write (profile edits in
  usecases/accounts.py, avatars in usecases/avatars.py, the deletion of an account in
  usecases/account_erasure.py), so the change shows at once. A deleted account is then not found
  again (graph reads match ``:User`` only) and whatever embeds it is left out.
- **The counts** (followers, following, posts) are not invalidated: every follow, post and
  deletion moves them, from many writers. In an embedded account they lag the graph by at most
  ``TTL_S``. An account asked for by itself (``/api/v1/accounts/:id``, verify_credentials, v1
  profiles) is still read from the graph, exact.

A read racing a profile change (its graph read before the change, its write after the forget)
may write the old profile back: that too lasts at most ``TTL_S`` (also the bound on a deleted
account appearing in that race).
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys
from graph import mastodon_reads

from .json_cache import read_through

# How far counts in an embedded account may lag the graph (and a profile, in the race above).
TTL_S = 2

Users = dict[int, dict[str, Any]]


class UserCards:
    def __init__(self, redis: Redis, driver: AsyncDriver, ttl_s: int = TTL_S) -> None:
        self.redis, self.driver, self.ttl_s = redis, driver, ttl_s

    async def get(self, user_ids: list[int]) -> Users:
        """The accounts that exist among ``user_ids`` (one MGET, misses from the graph)."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        return await self.read_through(ids, await self.redis.mget([redis_keys.user_card(i) for i in ids]))

    @staticmethod
    def queue_get(pipe: Pipeline, ids: list[int]) -> None:
        """``get``'s MGET in a caller's pipeline (``ids`` not empty); its reply goes to ``read_through``."""
        pipe.mget([redis_keys.user_card(i) for i in ids])

    async def read_through(self, ids: list[int], cached: list[bytes | None]) -> Users:
        return await read_through(self.redis, redis_keys.user_card, ids, cached,
                                  lambda missing: mastodon_reads.users_by_ids(self.driver, missing), self.ttl_s)

    async def forget(self, user_id: int) -> None:
        """The account's profile changed (or the account is gone): the next read asks the graph."""
        await self.redis.delete(redis_keys.user_card(user_id))
