"""The search outbox: a Redis Stream of "this changed" entries, drained by indexers.

Writers append ``(kind, id)`` after the durable write (Neo4j) succeeded; an entry names what to
look at again, never the new content, so applying it twice or late is harmless. Indexers read
through one consumer group: an entry stays pending until an indexer has written it to
Elasticsearch and acknowledged it, so an outage only delays indexing. An indexer that dies leaves
its entries pending; another claims them once they have been idle long enough.

Kinds: ``post`` (a post was created, changed or deleted), ``user`` (a profile or its counts
changed), ``author`` (an account's privacy changed: its profile and every post it made).
"""
from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from core import redis_keys

POST, USER, AUTHOR = "post", "user", "author"
KINDS = (POST, USER, AUTHOR)
GROUP = "indexers"
UNREAD_COUNT_CAP = 10_000


@dataclass(frozen=True)
class Entry:
    entry_id: str       # the stream id ("<ms>-<seq>")
    kind: str
    id: int


def stream_id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


_SEQ_BITS = 20


def entry_version(entry_id: str) -> int:
    """The entry's position as an Elasticsearch external version: a write made for a later entry
    (which read Neo4j after that later change) always wins over one made for an earlier entry,
    whatever order the writes land in."""
    ms, seq = stream_id_key(entry_id)
    return (ms << _SEQ_BITS) | min(seq, (1 << _SEQ_BITS) - 1)


def _entries(raw: list) -> list[Entry]:
    out = []
    for entry_id, fields in raw:
        if not fields:      # trimmed while pending: nothing left to apply
            continue
        eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        out.append(Entry(eid, fields[b"k"].decode(), int(fields[b"id"])))
    return out


class Outbox:
    def __init__(self, redis: Redis, index_prefix: str) -> None:
        self.redis, self.prefix = redis, index_prefix
        self.key = redis_keys.search_outbox(index_prefix)

    async def add(self, changes: list[tuple[str, int]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for kind, ident in changes:
                assert kind in KINDS, kind
                pipe.xadd(self.key, {"k": kind, "id": str(ident)})
            await pipe.execute()

    async def ensure_group(self) -> None:
        try:
            # From "0": entries written before the first indexer ever started are not skipped.
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """This consumer's unacknowledged entries first (a retry), else new ones."""
        pending = await self.redis.xreadgroup(GROUP, consumer, {self.key: "0"}, count=count)
        entries = _entries(pending[0][1]) if pending else []
        if entries:
            return entries
        fresh = await self.redis.xreadgroup(GROUP, consumer, {self.key: ">"}, count=count, block=block_ms)
        return _entries(fresh[0][1]) if fresh else []

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Take over entries other consumers read but never acknowledged (they died)."""
        result = await self.redis.xautoclaim(self.key, GROUP, consumer, min_idle_time=min_idle_ms,
                                             start_id="0-0", count=count)
        return _entries(result[1])

    async def ack(self, entries: list[Entry]) -> None:
        if entries:
            await self.redis.xack(self.key, GROUP, *[e.entry_id for e in entries])

    async def leave(self, consumer: str) -> None:
        """Forget a consumer that stops, unless it still holds entries (someone will claim them)."""
        pending = await self.redis.xpending_range(self.key, GROUP, min="-", max="+", count=1, consumername=consumer)
        if not pending:
            await self.redis.xgroup_delconsumer(self.key, GROUP, consumer)

    async def since(self, start_id: str, count: int = 5000) -> list[Entry]:
        """Every entry from ``start_id`` on, acknowledged or not (a reindex replays them)."""
        out: list[Entry] = []
        cursor = start_id
        while True:
            batch = await self.redis.xrange(self.key, min=cursor, max="+", count=count)
            out.extend(_entries(batch))
            if len(batch) < count:
                return out
            cursor = "(" + batch[-1][0].decode()     # exclusive: after the last one read

    async def now_id(self) -> str:
        """A stream id at the current Redis time: entries added from now on sort after it."""
        seconds, micros = await self.redis.time()
        return f"{seconds * 1000 + micros // 1000}-0"

    async def trim(self, keep_from: list[str]) -> int:
        """Drop entries every indexer has acknowledged, except those from ``keep_from`` on."""
        groups = {g["name"].decode(): g for g in await self.redis.xinfo_groups(self.key)}
        group = groups.get(GROUP)
        if group is None:
            return 0
        floors = [group["last-delivered-id"].decode(), *keep_from]
        summary = await self.redis.xpending(self.key, GROUP)
        if summary["pending"]:
            low = summary["min"]
            floors.append(low.decode() if isinstance(low, bytes) else low)
        floor = min(floors, key=stream_id_key)
        return await self.redis.xtrim(self.key, minid=floor, approximate=False)

    async def state(self) -> dict:
        """Length, entries read but not yet acknowledged, entries not yet read (counted up to
        ``UNREAD_COUNT_CAP``; the group's own "lag" goes stale once the stream is trimmed)."""
        length = await self.redis.xlen(self.key)
        try:
            groups = {g["name"].decode(): g for g in await self.redis.xinfo_groups(self.key)}
        except ResponseError:       # no stream yet
            groups = {}
        group = groups.get(GROUP)
        if group is None:
            return {"length": length, "pending": 0, "unread": length}
        after = "(" + group["last-delivered-id"].decode()
        unread = len(await self.redis.xrange(self.key, min=after, max="+", count=UNREAD_COUNT_CAP))
        return {"length": length, "pending": group["pending"], "unread": unread}
