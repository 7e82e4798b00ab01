"""Which hashtags are trending: a burst now against the tag's own usual rate (pure).

A tag's baseline rate is measured over the span before the window; the expected count in the
window follows from it, and the score is how far the window's count exceeds that expectation in
units of its Poisson noise, (recent - expected) / sqrt(expected + 1). An evergreen tag that is
always busy scores near zero however many posts it has; a new tag that suddenly appears scores
about its count. Tags used by fewer than ``min_authors`` accounts in the window never trend, so
one account cannot push a tag by itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TagActivity:
    tag: str
    recent_posts: int      # in the window
    recent_authors: int    # distinct accounts in the window
    span_posts: int        # in the window and the baseline span before it


def burst_score(recent: int, baseline: int, *, window_s: int, baseline_s: int) -> float:
    expected = baseline * window_s / max(baseline_s - window_s, window_s)
    return (recent - expected) / math.sqrt(expected + 1)


def rank_trending(activity: list[TagActivity], *, window_s: int, baseline_s: int, min_authors: int,
                  limit: int) -> list[dict]:
    scored = []
    for a in activity:
        if a.recent_authors < min_authors:
            continue
        score = burst_score(a.recent_posts, a.span_posts - a.recent_posts, window_s=window_s, baseline_s=baseline_s)
        if score > 0:
            scored.append((score, a))
    scored.sort(key=lambda s: (-s[0], -s[1].recent_posts, s[1].tag))
    return [{"tag": a.tag, "posts": a.recent_posts, "score": round(score, 3)} for score, a in scored[:limit]]


def activity_from_aggregation(aggregations: dict) -> list[TagActivity]:
    return [TagActivity(tag=b["key"], recent_posts=b["recent"]["doc_count"],
                        recent_authors=b["recent"]["authors"]["value"], span_posts=b["doc_count"])
            for b in aggregations["tags"]["buckets"]]
