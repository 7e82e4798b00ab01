"""Index templates, versioned indexes and their aliases.

Readers and writers only ever name the alias (``<prefix>-posts``); the concrete index is
``<prefix>-posts-v<N>``. A mapping change bumps N, a reindex fills the new index, and the alias
moves in one atomic call: nobody sees a half-built index.

Only what the server core provides is used (the local server has no optional analysis modules):
the standard analyzer for text, keywords with case-insensitive term and prefix queries.
"""
from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import AsyncElasticsearch
from elasticsearch import BadRequestError

_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}

POSTS_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "caption": {"type": "text", "analyzer": "standard"},
        "hashtags": {"type": "keyword"},
        "author_id": {"type": "keyword"},
        "author_username": {"type": "keyword"},
        "private": {"type": "boolean"},
        "deleted": {"type": "boolean"},
        "created_at": {"type": "date"},
        "like_count": {"type": "integer"},
        "comment_count": {"type": "integer"},
    },
}

USERS_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "username": {"type": "keyword"},
        "display_name": {"type": "text", "analyzer": "standard",
                         "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "private": {"type": "boolean"},
        "followers_count": {"type": "integer"},
        "created_at": {"type": "date"},
    },
}


@dataclass(frozen=True)
class IndexSpec:
    alias: str
    version: int
    mappings: dict

    @property
    def index(self) -> str:
        return f"{self.alias}-v{self.version}"

    @property
    def template(self) -> dict:
        return {"index_patterns": [f"{self.alias}-v*"], "priority": 100,
                "template": {"settings": _SETTINGS, "mappings": self.mappings}}


def index_specs(prefix: str) -> tuple[IndexSpec, ...]:
    return (
        IndexSpec(alias=f"{prefix}-posts", version=1, mappings=POSTS_MAPPINGS),
        IndexSpec(alias=f"{prefix}-users", version=1, mappings=USERS_MAPPINGS),
    )


async def ensure_indexes(es: AsyncElasticsearch, prefix: str) -> None:
    for spec in index_specs(prefix):
        await es.indices.put_index_template(name=spec.alias, **spec.template)
        if await es.indices.exists_alias(name=spec.alias):
            continue
        try:
            await es.indices.create(index=spec.index, aliases={spec.alias: {"is_write_index": True}})
        except BadRequestError as exc:
            # Another gateway process created it first.
            if exc.error != "resource_already_exists_exception":
                raise
