"""Feed reads coalesced per shard: the reads waiting for one shard go to it as one actor call.

A Ray actor call costs about 1.4 ms of the actor's CPU and 1 ms of the caller's whatever it
carries; sixteen reads in one call cost 0.17 and 0.09 ms each (measured here). Under load many
readers of one shard are waiting at once, so each shard gets one call at a time and every read
that arrives meanwhile rides the next one: one call per shard, never per reader, as for writes.
With one reader there is no wait: its call goes at once.
"""
from __future__ import annotations

import asyncio
from typing import Any

# Calls outstanding per shard; the next batch forms while it runs. One gives the largest batches,
# and a shard answers a batch in about the time a single read takes.
MAX_IN_FLIGHT = 1
# Reads per call at most: bounds one answer's size (each read is a page of at most 200 entries).
MAX_BATCH = 64

Read = tuple[int, int | None, int]    # user id, before post id, limit


class ShardReads:
    def __init__(self) -> None:
        self._waiting: dict[Any, list[tuple[Read, asyncio.Future]]] = {}
        self._in_flight: dict[Any, int] = {}
        self._calls: set[asyncio.Task] = set()      # held so a running call is not collected

    async def read(self, shard, request: Read) -> list:
        """``shard``: the actor handle of the reader's shard (its ``read_many`` is called)."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(shard, []).append((request, future))
        if self._in_flight.get(shard, 0) < MAX_IN_FLIGHT:
            self._send(shard)
        return await future

    def _send(self, shard) -> None:
        waiting = self._waiting.get(shard)
        if not waiting:
            return
        batch, self._waiting[shard] = waiting[:MAX_BATCH], waiting[MAX_BATCH:]
        self._in_flight[shard] = self._in_flight.get(shard, 0) + 1
        call = asyncio.ensure_future(self._call(shard, batch))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)

    async def _call(self, shard, batch: list[tuple[Read, asyncio.Future]]) -> None:
        try:
            results = await shard.read_many.remote([request for request, _ in batch])
        except BaseException as exc:           # every reader of the batch gets the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
        finally:
            self._in_flight[shard] -= 1
            if not self._in_flight[shard]:
                del self._in_flight[shard]
            self._send(shard)
            if not self._waiting.get(shard):
                self._waiting.pop(shard, None)
