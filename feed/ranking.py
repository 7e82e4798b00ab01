"""Ranking of feed candidates (pure): freshness × engagement × affinity.

Freshness halves every ``HALF_LIFE_H`` hours; engagement grows with the log of likes and
comments (a comment counts as three likes: it costs more to give); affinity (0..1) is how close
the reader is to the author. Ties break by recency, so the order is total and stable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

HALF_LIFE_H = 6.0
COMMENT_WEIGHT = 3.0
ENGAGEMENT_WEIGHT = 0.5


@dataclass(frozen=True)
class Candidate:
    post_id: int
    author_id: int
    created_ms: int
    likes: int = 0
    comments: int = 0
    affinity: float = 0.0


def score(c: Candidate, now_ms: int) -> float:
    age_h = max(0.0, (now_ms - c.created_ms) / 3_600_000)
    freshness = 0.5 ** (age_h / HALF_LIFE_H)
    engagement = math.log1p(c.likes + COMMENT_WEIGHT * c.comments)
    return freshness * (1 + ENGAGEMENT_WEIGHT * engagement) * (1 + min(1.0, max(0.0, c.affinity)))


def rank(candidates: list[Candidate], now_ms: int) -> list[int]:
    """Post ids, best first."""
    return [c.post_id for c in sorted(candidates, key=lambda c: (-score(c, now_ms), -c.post_id))]


def affinity(mutual: bool, likes_given: int) -> float:
    """Mutual follow is half the closeness; the reader's likes on the author's posts the rest."""
    return 0.5 * mutual + 0.5 * (1 - 1 / (1 + likes_given / 3))
