"""Running the query bodies of search/queries.py, with the contract's errors for failures."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError

from core.errors import ServiceUnavailable, ValidationFailed

from . import queries

log = logging.getLogger(__name__)


async def run(es: AsyncElasticsearch, index: str, body: dict, *, cache: bool = False) -> dict:
    """``cache``: the body names no moment of its own (no "now", no origin), so Elasticsearch's
    shard request cache may answer it: a cached answer is dropped at the next refresh that changed
    the index, so it is always the answer an uncached search would give."""
    try:
        return (await es.search(index=index, body=body, request_cache=True if cache else None)).body
    except BadRequestError as exc:
        # Input only reaches safe query types, so this is a query Elasticsearch cannot run
        # (e.g. limits of its own): the caller's answer is a clean 422, never a 500.
        log.warning("search query refused: %s", exc)
        raise ValidationFailed("This query cannot be searched; try fewer or shorter words.",
                               code="invalid_query") from None
    except ApiError as exc:
        # Overloaded, failing, or its indexes not (yet) there: the search service is unavailable.
        log.warning("search failed: %s", exc)
        raise ServiceUnavailable("elasticsearch") from None


def hit_sorts(response: dict) -> list[list]:
    """The sort values of each hit (the last of them is the document id)."""
    return [hit["sort"] for hit in response["hits"]["hits"]]


@dataclass(frozen=True)
class PostHit:
    sort: list              # its sort values; the last is the post id
    author_id: int
    author_private: bool    # as the index has it (it may lag a change: search/visibility.py)

    @property
    def id(self) -> int:
        return self.sort[-1]


@dataclass(frozen=True)
class UserHit:
    sort: list                  # its sort values; the last is the account id
    card: dict | None           # the account as the index last wrote it (None: a document without one)

    @property
    def id(self) -> int:
        return self.sort[-1]


def user_hits(response: dict) -> list[UserHit]:
    """The hits of ``queries.search_users``."""
    return [UserHit(hit["sort"], (hit.get("_source") or {}).get("card")) for hit in response["hits"]["hits"]]


def post_hits(response: dict) -> list[PostHit]:
    """The hits of a body built with ``queries.POST_HIT_FIELDS``."""
    out = []
    for hit in response["hits"]["hits"]:
        fields = hit["fields"]
        out.append(PostHit(hit["sort"], int(fields["author_id"][0]), bool(fields["author_private"][0])))
    return out


async def post_search(es: AsyncElasticsearch, alias: str, query: queries.PostQuery, viewer: queries.Viewer, *,
                      origin_ms: int, after: tuple[float, int] | None, size: int) -> list[PostHit]:
    """A page of a post search: the candidate window first when there are words to rank (two
    cheap requests instead of scoring every match), then the ranked page within it."""
    floor_id = None
    if query.words:
        window = hit_sorts(await run(es, alias, queries.caption_window(query, viewer, origin_ms=origin_ms)))
        floor_id = window[0][0] if window else None
    body = queries.search_posts(query, viewer, origin_ms=origin_ms, after=after, size=size, floor_id=floor_id)
    # Tags alone: newest first, with no recency origin in the body, so repeats are cacheable.
    return post_hits(await run(es, alias, body, cache=not query.words))
