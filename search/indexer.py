"""Applying outbox entries to Elasticsearch: read the current record from Neo4j, write it (or
delete it) in every index that must have it, in bulk.

Every index that must have it: the alias, plus the target of a reindex in progress (so the new
index misses nothing that changes while it is being filled).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from graph import posts, search_source

from .documents import post_document, user_document
from .indexes import POSTS, USERS, index_specs
from .outbox import AUTHOR, POST, USER, Entry

log = logging.getLogger(__name__)

BULK_OPERATIONS = 1000
# Item failures that mean "try again later" rather than "this document is unindexable".
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class RetryLater(Exception):
    """Elasticsearch refused part of a batch for a transient reason; nothing was acknowledged."""


class Indexer:
    def __init__(self, es: AsyncElasticsearch, redis: Redis, driver: AsyncDriver, prefix: str) -> None:
        self.es, self.redis, self.driver = es, redis, driver
        self.specs = index_specs(prefix)

    async def write_targets(self) -> dict[str, list[str]]:
        targets = {kind: [spec.alias] for kind, spec in self.specs.items()}
        for alias, raw in (await self.redis.hgetall(redis_keys.search_reindex())).items():
            target = json.loads(raw)["target"]
            for kind, spec in self.specs.items():
                if spec.alias == alias.decode():
                    targets[kind].append(target)
        return targets

    async def apply(self, entries: Iterable[Entry], targets: dict[str, list[str]] | None = None) -> int:
        """Make the indexes agree with Neo4j about everything the entries name; the number of
        documents written or deleted. ``targets`` (kind -> indexes) defaults to the alias and
        any reindex target."""
        post_ids: set[int] = set()
        user_ids: set[int] = set()
        authors: set[int] = set()
        for e in entries:
            {POST: post_ids, USER: user_ids, AUTHOR: authors}[e.kind].add(e.id)
        if authors:
            post_ids.update(await posts.ids_by_authors(self.driver, sorted(authors)))
            user_ids.update(authors)
        if targets is None:
            targets = await self.write_targets()
        ops: list[dict[str, Any]] = []
        if post_ids and targets.get(POSTS):
            found = await search_source.posts_by_id(self.driver, sorted(post_ids))
            for index in targets[POSTS]:
                ops.extend(_upserts_and_deletes(index, post_ids, found, post_document))
        if user_ids and targets.get(USERS):
            found = await search_source.users_by_id(self.driver, sorted(user_ids))
            for index in targets[USERS]:
                ops.extend(_upserts_and_deletes(index, user_ids, found, user_document))
        await bulk(self.es, ops)
        return len(post_ids) + len(user_ids)


async def bulk(es: AsyncElasticsearch, ops: list[dict[str, Any]]) -> int:
    """Send ``ops`` (action and source lines, as the bulk API takes them) in chunks; the number
    of documents refused for good (logged). Transient refusals raise ``RetryLater``."""
    refused = 0
    i = 0
    while i < len(ops):
        chunk, i = _chunk(ops, i, BULK_OPERATIONS)
        response = await es.bulk(operations=chunk)
        if response.get("errors"):
            refused += _check_items(response["items"])
    return refused


def _check_items(items: list[dict]) -> int:
    retry, refused = False, 0
    for item in items:
        (action, result), = item.items()
        status = result.get("status", 200)
        if status < 300 or (action == "delete" and status == 404) or (action == "create" and status == 409):
            continue    # gone already / a fresher copy is already there
        if status in RETRYABLE_STATUSES:
            retry = True
        else:
            refused += 1
            log.error("search index refused %s %s: %s", action, result.get("_id"), result.get("error"))
    if retry:
        raise RetryLater("Elasticsearch asked to retry part of a bulk request")
    return refused


def _upserts_and_deletes(index: str, ids: set[int], found: dict[int, dict], to_document) -> list[dict]:
    ops: list[dict] = []
    for ident in sorted(ids):
        if ident in found:
            ops.append({"index": {"_index": index, "_id": str(ident)}})
            ops.append(to_document(found[ident]))
        else:
            ops.append({"delete": {"_index": index, "_id": str(ident)}})
    return ops


def _chunk(ops: list[dict], start: int, max_actions: int) -> tuple[list[dict], int]:
    """Up to ``max_actions`` actions from ``start`` (a delete has no source line)."""
    out, i, actions = [], start, 0
    while i < len(ops) and actions < max_actions:
        action = ops[i]
        out.append(action)
        i += 1
        if "delete" not in action:
            out.append(ops[i])
            i += 1
        actions += 1
    return out, i


def create_ops(index: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create-only actions: a reindex copy never overwrites what an indexer wrote meanwhile."""
    ops: list[dict[str, Any]] = []
    for doc in docs:
        ops.append({"create": {"_index": index, "_id": str(doc["id"])}})
        ops.append(doc)
    return ops
