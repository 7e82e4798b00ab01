"""Applying outbox entries to Elasticsearch: read the current record from Neo4j, write it (or
delete it) in every index that must have it, in bulk.

Every index that must have it: the alias, plus the target of a reindex in progress (so the new
index misses nothing that changes while it is being filled).

Writes carry the entry's stream position as an external version (``external_gte``): two
indexers racing on one post, or a slow batch landing after a fresher one, can never put an older
state (a deleted post, a post of an account that just went private) over a newer one.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver
from redis.asyncio import Redis

from graph import posts, search_source

from .documents import post_document, user_document
from .indexes import POSTS, USERS, index_specs
from . import reindex_state
from .outbox import AUTHOR, POST, USER, Entry, entry_version
from stores.search_visibility import SearchVisibility

log = logging.getLogger(__name__)

BULK_OPERATIONS = 1000
READ_CHUNK = 2000          # ids per Neo4j read (an `author` entry may name thousands of posts)
VERSIONING = "external_gte"
# Item failures that mean "try again later" rather than "this document is unindexable".
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class RetryLater(Exception):
    """Elasticsearch refused part of a batch for a transient reason; nothing was acknowledged."""


class Indexer:
    def __init__(self, es: AsyncElasticsearch, redis: Redis, driver: AsyncDriver, prefix: str) -> None:
        self.es, self.redis, self.driver = es, redis, driver
        self.prefix = prefix
        self.specs = index_specs(prefix)
        self.visibility = SearchVisibility(redis, prefix)

    async def write_targets(self) -> dict[str, list[str]]:
        targets = {kind: [spec.alias] for kind, spec in self.specs.items()}
        for alias, info in (await reindex_state.active(self.redis, self.prefix)).items():
            for kind, spec in self.specs.items():
                if spec.alias == alias:
                    targets[kind].append(info["target"])
        return targets

    async def apply(self, entries: Iterable[Entry], targets: dict[str, list[str]] | None = None) -> int:
        """Make the indexes agree with Neo4j about everything the entries name; the number of
        documents written or deleted. ``targets`` (kind -> indexes) defaults to the alias and
        any reindex target."""
        # The version of each document: its latest entry in this batch.
        post_v: dict[int, int] = {}
        user_v: dict[int, int] = {}
        author_v: dict[int, int] = {}
        announced: list[Entry] = []
        for e in entries:
            versions = {POST: post_v, USER: user_v, AUTHOR: author_v}[e.kind]
            versions[e.id] = max(versions.get(e.id, 0), entry_version(e.entry_id))
            if e.kind == AUTHOR:
                announced.append(e)
        settles = targets is None   # the live path: writes every index searches read (a replay does not)
        for author, version in author_v.items():
            user_v[author] = max(user_v.get(author, 0), version)
            for pid in await posts.ids_by_authors(self.driver, [author]):
                post_v[pid] = max(post_v.get(pid, 0), version)
        if targets is None:
            targets = await self.write_targets()
        for kind, versions, read, to_doc in ((POSTS, post_v, search_source.posts_by_id, post_document),
                                             (USERS, user_v, search_source.users_by_id, user_document)):
            if not versions or not targets.get(kind):
                continue
            ids = sorted(versions)
            for start in range(0, len(ids), READ_CHUNK):
                chunk = ids[start:start + READ_CHUNK]
                found = await read(self.driver, chunk)
                ops: list[dict[str, Any]] = []
                for index in targets[kind]:
                    ops.extend(_upserts_and_deletes(index, chunk, found, to_doc, versions))
                await bulk(self.es, ops)
        if announced and settles:
            # Searches check these authors live until their documents are searchable: written
            # (above) and refreshed (here, rather than within refresh_interval); then the marks go.
            await self.es.indices.refresh(index=targets[POSTS])
            for e in announced:
                await self.visibility.settle(e.id, e.entry_id)
        return len(post_v) + len(user_v)


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
        if status < 300 or (action == "delete" and status == 404) or status == 409:
            continue    # gone already / a write for a later change is already there
        if status in RETRYABLE_STATUSES:
            retry = True
        else:
            refused += 1
            log.error("search index refused %s %s: %s", action, result.get("_id"), result.get("error"))
    if retry:
        raise RetryLater("Elasticsearch asked to retry part of a bulk request")
    return refused


def _upserts_and_deletes(index: str, ids: Iterable[int], found: dict[int, dict], to_document,
                         versions: dict[int, int]) -> list[dict]:
    ops: list[dict] = []
    for ident in sorted(ids):
        meta = {"_index": index, "_id": str(ident), "version": versions[ident], "version_type": VERSIONING}
        if ident in found:
            ops.append({"index": meta})
            ops.append(to_document(found[ident]))
        else:
            # A versioned delete leaves a tombstone: an older write arriving late is refused.
            ops.append({"delete": meta})
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


def copy_ops(index: str, docs: list[dict[str, Any]], version: int) -> list[dict[str, Any]]:
    """A reindex copy's writes, versioned at the outbox position the copy started from: every
    change made since has a later entry, so its write wins over the copy, in either order."""
    ops: list[dict[str, Any]] = []
    for doc in docs:
        ops.append({"index": {"_index": index, "_id": str(doc["id"]), "version": version, "version_type": VERSIONING}})
        ops.append(doc)
    return ops
