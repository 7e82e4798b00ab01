"""Index templates, versioned indexes and their aliases.

Readers and writers only ever name the alias (``<prefix>-posts``); concrete indexes are
``<prefix>-posts-v<N>-<stamp>``: N is the mapping version, the stamp tells rebuilds of the same
version apart. A mapping change bumps N; a reindex (search/reindex.py) fills a new index and moves
the alias in one atomic call, so nobody ever sees a half-built index.

Only what the server core provides is used (the local server has no optional analysis or script
modules): the standard analyzer (Unicode word segmentation, emoji as tokens, lower-casing),
keywords, dates, numbers. ``dynamic: false`` lets a newer writer add fields to an older index
during a migration without being refused; they are simply not indexed there.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from elasticsearch import AsyncElasticsearch, BadRequestError

# gc_deletes: how long a versioned delete's tombstone refuses older writes (an indexer retrying
# through an outage may land late; the default minute is short for that).
_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s", "gc_deletes": "1h"}

POSTS_MAPPINGS = {
    "dynamic": False,
    "properties": {
        "id": {"type": "long"},
        "caption": {"type": "text", "analyzer": "standard"},
        "hashtags": {"type": "keyword"},
        "author_id": {"type": "keyword"},
        "author_username": {"type": "keyword"},
        "author_private": {"type": "boolean"},
        "created_at": {"type": "date", "format": "epoch_millis"},
        "like_count": {"type": "integer"},
        "comment_count": {"type": "integer"},
    },
}

USERS_MAPPINGS = {
    "dynamic": False,
    "properties": {
        "id": {"type": "long"},
        # Stored lower-cased (the contract's charset), so a lower-cased prefix query is exact.
        "username": {"type": "keyword"},
        "display_name": {"type": "text", "analyzer": "standard"},
        "private": {"type": "boolean"},
        "followers_count": {"type": "integer"},
        "created_at": {"type": "date", "format": "epoch_millis"},
    },
}

# Segments kept newest first: "newest first" lists (a hashtag's page, hashtag-only searches) stop
# after the first page's worth of hits instead of sorting every match.
POSTS_SORT = {"sort.field": "id", "sort.order": "desc"}

POSTS, USERS = "posts", "users"


@dataclass(frozen=True)
class IndexSpec:
    kind: str          # POSTS or USERS
    alias: str
    version: int
    mappings: dict
    settings: dict = field(default_factory=dict)

    def new_index_name(self) -> str:
        return f"{self.alias}-v{self.version}-{time.time_ns() // 1_000_000}"

    @property
    def first_index_name(self) -> str:
        # Fixed, so gateways starting together on an empty cluster race to create the same index.
        return f"{self.alias}-v{self.version}-0"

    @property
    def template(self) -> dict:
        return {"index_patterns": [f"{self.alias}-v*"], "priority": 100,
                "template": {"settings": {**_SETTINGS, **self.settings}, "mappings": self.mappings}}


def index_specs(prefix: str) -> dict[str, IndexSpec]:
    return {
        POSTS: IndexSpec(POSTS, alias=f"{prefix}-posts", version=3, mappings=POSTS_MAPPINGS, settings=POSTS_SORT),
        # Version 3: the same mapping, but every document carries its card (search/documents.py),
        # so a release rewrites the older documents (their searches fall back to the graph until then).
        USERS: IndexSpec(USERS, alias=f"{prefix}-users", version=3, mappings=USERS_MAPPINGS),
    }


_VERSION = re.compile(r"-v(\d+)(?:-\d+)?$")


def version_of(index: str) -> int:
    match = _VERSION.search(index)
    return int(match.group(1)) if match else 0


async def indexes_behind(es: AsyncElasticsearch, alias: str) -> list[str]:
    if not await es.indices.exists_alias(name=alias):
        return []
    return sorted((await es.indices.get_alias(name=alias)).keys())


async def ensure_indexes(es: AsyncElasticsearch, prefix: str) -> list[IndexSpec]:
    """Create what is missing; return the specs whose alias still points at an older mapping
    version (they need a reindex, which the caller schedules)."""
    outdated = []
    for spec in index_specs(prefix).values():
        await es.indices.put_index_template(name=spec.alias, **spec.template)
        current = await indexes_behind(es, spec.alias)
        if current:
            if max(version_of(i) for i in current) < spec.version:
                outdated.append(spec)
            continue
        try:
            await es.indices.create(index=spec.first_index_name, aliases={spec.alias: {"is_write_index": True}})
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
    return outdated


async def swap_alias(es: AsyncElasticsearch, alias: str, target: str) -> list[str]:
    """Point ``alias`` at ``target`` alone, atomically; return the indexes it left."""
    previous = [i for i in await indexes_behind(es, alias) if i != target]
    actions = [{"remove": {"index": i, "alias": alias}} for i in previous]
    actions.append({"add": {"index": target, "alias": alias, "is_write_index": True}})
    await es.indices.update_aliases(actions=actions)
    return previous
