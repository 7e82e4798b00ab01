"""Elasticsearch query bodies for the search endpoints (pure: no I/O, unit-tested).

User input only ever reaches ``match``, ``match_bool_prefix``, ``prefix`` and ``term`` queries,
which take it as data: there is no query-string syntax to inject, and text that analyses to no
tokens (``"``, ``*``) simply matches nothing. Visibility is a filter inside every query, so pages
are full pages of what the caller may see.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationFailed
from core.ids import min_id_at
from media.hashtags import parse_hashtags, split_hashtags

MAX_QUERY_CHARS = 256
# Relevance is multiplied by (RECENCY_FLOOR + decay): a week-old post keeps half its recency
# boost, and an old but exact match still outranks a fresh vague one.
RECENCY_HALF_LIFE = "7d"
RECENCY_FLOOR = 0.25
# Caption searches rank the newest CANDIDATES matching posts, not every match: common words match
# most of the index, and scoring all of them (relevance x recency cannot skip any) took seconds on
# 1M posts. The recency factor makes older posts unlikely to rank anyway; a rarer query has fewer
# matches than this and is ranked exactly. The list ends after them.
CANDIDATES = 1000


@dataclass(frozen=True)
class PostQuery:
    words: str               # free text for the caption ("" if the query was only hashtags)
    tags: tuple[str, ...]    # case-folded hashtags, each required


@dataclass(frozen=True)
class Viewer:
    id: int
    private_followees: tuple[int, ...]   # private accounts the viewer is an approved follower of


def _checked(q: str | None) -> str:
    q = (q or "").strip()
    if not q:
        raise ValidationFailed("q must contain something to search for.", code="invalid_query")
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationFailed(f"q may have at most {MAX_QUERY_CHARS} characters.", code="query_too_long")
    return q


def parse_post_query(q: str | None) -> PostQuery:
    words, tags = split_hashtags(_checked(q))
    return PostQuery(words=" ".join(words.split()), tags=tuple(tags))


def parse_user_query(q: str | None) -> str:
    # An empty prefix would match everyone: "@" alone is as empty as "".
    return _checked((q or "").strip().lstrip("@")).casefold()


def parse_tag(raw: str) -> str:
    tags = parse_hashtags("#" + raw.lstrip("#"))
    if len(tags) != 1 or tags[0] != raw.lstrip("#").casefold():
        raise ValidationFailed("Not a hashtag: letters, digits and _ with at least one letter.", code="invalid_hashtag")
    return tags[0]


def visibility_filter(viewer: Viewer) -> dict:
    """Public authors, the viewer, and private authors who approved the viewer."""
    allowed = [str(viewer.id), *(str(a) for a in viewer.private_followees)]
    return {"bool": {"should": [{"term": {"author_private": False}}, {"terms": {"author_id": allowed}}],
                     "minimum_should_match": 1}}


def search_posts(query: PostQuery, viewer: Viewer, *, origin_ms: int, after: tuple[float, int] | None,
                 size: int, floor_id: int | None = None) -> dict:
    """Best first: caption relevance x recency (decay measured from ``origin_ms``, which a
    cursor keeps, so scores do not drift while paging), newest first among equals. Only posts
    made by ``origin_ms`` and from ``floor_id`` on (the candidate window, ``caption_window``)."""
    filters = _post_filters(query, viewer)
    if query.tags and not query.words:
        # Relevance is the same for every post carrying the tags, so the blend is pure recency:
        # newest first, which the index's sort order answers without scoring every match.
        return _newest_first(filters, before=after[1] if after else None, size=size)
    must = []
    if query.words:
        must.append(_words(query))
    elif not query.tags:
        must.append({"match_none": {}})
    return _page({"function_score": {
        "query": {"bool": {"must": must, "filter": [*filters, _id_range(floor_id, origin_ms)]}},
        "functions": [
            {"exp": {"created_at": {"origin": origin_ms, "scale": RECENCY_HALF_LIFE, "decay": 0.5}}},
            {"weight": RECENCY_FLOOR},
        ],
        "score_mode": "sum",
        "boost_mode": "multiply",
    }}, BEST_FIRST, size=size, after=after, fields=POST_HIT_FIELDS)


def caption_window(query: PostQuery, viewer: Viewer, *, origin_ms: int, candidates: int = CANDIDATES) -> dict:
    """The oldest of the newest ``candidates`` posts the words match (made by ``origin_ms``, so
    every page of one search has the same window): its id is ``search_posts``' ``floor_id``; no
    hit means fewer matches, all of them candidates. Unscored and in the index's own order, so
    Elasticsearch stops after ``candidates`` matches."""
    body = _page({"bool": {"filter": [_words(query), *_post_filters(query, viewer), _id_range(None, origin_ms)]}},
                 [{"id": "desc"}], size=1, after=None)
    body["from"] = candidates - 1
    return body


def _post_filters(query: PostQuery, viewer: Viewer) -> list[dict]:
    return [visibility_filter(viewer), *({"term": {"hashtags": t}} for t in query.tags)]


def _words(query: PostQuery) -> dict:
    # Up to three words, every one is needed; longer queries need three in four.
    return {"match": {"caption": {"query": query.words, "minimum_should_match": "3<75%"}}}


def _id_range(floor_id: int | None, origin_ms: int) -> dict:
    # On ids, not created_at: ids are time-ordered and the index is sorted by them, so a range of
    # ids is a contiguous run of documents (no per-document check).
    bounds = {"lt": min_id_at(origin_ms + 1)}
    if floor_id is not None:
        bounds["gte"] = floor_id
    return {"range": {"id": bounds}}


def hashtag_posts(tag: str, viewer: Viewer, *, before: int | None, size: int) -> dict:
    return _newest_first([{"term": {"hashtags": tag}}, visibility_filter(viewer)], before=before, size=size)


def _newest_first(filters: list[dict], *, before: int | None, size: int) -> dict:
    return _page({"bool": {"filter": filters}}, [{"id": "desc"}], size=size,
                 after=None if before is None else (before,), fields=POST_HIT_FIELDS)


# Scores tie often (same words, same length); the id makes the order total for search_after.
BEST_FIRST = [{"_score": "desc"}, {"id": "desc"}]


# What a post hit carries besides its sort values: who wrote it and whether the index has them as
# private, so a search checks against the graph only the hits that may need it
# (usecases/search_reads.py). Doc values: no _source is read.
POST_HIT_FIELDS = ["author_id", "author_private"]


def _page(query: dict, sort: list[dict], *, size: int, after: tuple | None, fields: list[str] | None = None,
          source: list[str] | None = None) -> dict:
    """A page of ids (hydration fetches the rest) or of ``source`` fields, continuing after
    ``after``'s sort values."""
    body = {"query": query, "sort": sort, "size": size, "_source": source or False, "track_total_hits": False}
    if fields:
        body["docvalue_fields"] = fields
    if after is not None:
        body["search_after"] = list(after)
    return body


def search_users(prefix: str, *, after: tuple[float, int] | None, size: int) -> dict:
    """Exact username first, then username prefixes, then display-name word prefixes; more
    followers rank higher among similar matches. Each hit brings its document's ``card`` (the
    account as search shows it, search/documents.py)."""
    return _page({"function_score": {
        "query": {"bool": {"should": [
            {"term": {"username": {"value": prefix, "boost": 10}}},
            {"prefix": {"username": {"value": prefix, "boost": 4}}},
            {"match_bool_prefix": {"display_name": {"query": prefix}}},
        ], "minimum_should_match": 1}},
        "field_value_factor": {"field": "followers_count", "modifier": "log2p", "missing": 0},
        "boost_mode": "multiply",
    }}, BEST_FIRST, size=size, after=after, source=["card"])


# How many tags with recent posts are weighed against their baseline.
TRENDING_CANDIDATES = 500


def trending(*, window_s: int, baseline_s: int) -> dict:
    """Per hashtag used in public posts during the baseline span: posts in the whole span, and
    posts and distinct authors in the recent window (candidates = the most used recently)."""
    recent = {"range": {"created_at": {"gte": f"now-{window_s}s"}}}
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"term": {"author_private": False}},
                                      {"range": {"created_at": {"gte": f"now-{baseline_s}s"}}}]}},
        "aggs": {"tags": {
            "terms": {"field": "hashtags", "size": TRENDING_CANDIDATES, "order": {"recent": "desc"}},
            "aggs": {"recent": {"filter": recent,
                                "aggs": {"authors": {"cardinality": {"field": "author_id"}}}}},
        }},
    }
