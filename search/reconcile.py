"""Anti-entropy for the search index: recent posts that Neo4j and Elasticsearch disagree about.

The outbox entry is written right after the Neo4j commit; a process that dies between the two
leaves a post the index never hears of (or a deleted post it never forgets). Every few minutes
one gateway compares the ids of recent posts on both sides and sends each difference through the
outbox, where the indexer settles it from Neo4j like any other change.
"""
from __future__ import annotations

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver

from graph import search_source

from .outbox import POST, Outbox

PAGE = 5000


def disagreements(in_graph: set[int], in_index: set[int]) -> list[int]:
    """Posts missing from the index, and indexed posts the graph no longer has."""
    return sorted(in_graph ^ in_index)


async def indexed_ids_between(es: AsyncElasticsearch, alias: str, start_ms: int, end_ms: int) -> set[int]:
    ids: set[int] = set()
    after = None
    while True:
        body = {"query": {"range": {"created_at": {"gte": start_ms, "lt": end_ms}}},
                "sort": [{"id": "desc"}], "size": PAGE, "_source": False, "track_total_hits": False}
        if after is not None:
            body["search_after"] = [after]
        hits = (await es.search(index=alias, body=body))["hits"]["hits"]
        ids.update(h["sort"][0] for h in hits)
        if len(hits) < PAGE:
            return ids
        after = hits[-1]["sort"][0]


async def reconcile_recent(es: AsyncElasticsearch, driver: AsyncDriver, outbox: Outbox, alias: str, *,
                           start_ms: int, end_ms: int) -> int:
    """Queue every post created in [start_ms, end_ms) that the two sides disagree about; how many."""
    in_graph = set(await search_source.post_ids_between(driver, start_ms, end_ms))
    differ = disagreements(in_graph, await indexed_ids_between(es, alias, start_ms, end_ms))
    for start in range(0, len(differ), 1000):
        await outbox.add([(POST, i) for i in differ[start:start + 1000]])
    return len(differ)
