"""Running the query bodies of search/queries.py, with the contract's errors for failures."""
from __future__ import annotations

import logging

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError

from core.errors import ServiceUnavailable, ValidationFailed

from . import queries

log = logging.getLogger(__name__)


async def run(es: AsyncElasticsearch, index: str, body: dict) -> dict:
    try:
        return (await es.search(index=index, body=body)).body
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


async def post_search_sorts(es: AsyncElasticsearch, alias: str, query: queries.PostQuery, viewer: queries.Viewer, *,
                            origin_ms: int, after: tuple[float, int] | None, size: int) -> list[list]:
    """A page of a post search: the candidate window first when there are words to rank (two
    cheap requests instead of scoring every match), then the ranked page within it."""
    floor_id = None
    if query.words:
        window = hit_sorts(await run(es, alias, queries.caption_window(query, viewer, origin_ms=origin_ms)))
        floor_id = window[0][0] if window else None
    body = queries.search_posts(query, viewer, origin_ms=origin_ms, after=after, size=size, floor_id=floor_id)
    return hit_sorts(await run(es, alias, body))
