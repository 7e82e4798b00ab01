"""Who hides whose posts (pure rules, no I/O): what a block or a mute between two accounts means
for what each of them is shown.

A block works both ways: the blocker and the blocked never see each other's posts, profile,
comments or likes. A mute is one way and touches only the muter's feed, live stream, search and
hashtag pages; the muted account notices nothing. Each reader's set of hidden authors (Redis,
``stores/hidden_authors.py``) is the union of the three.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PairEdges:
    """The block and mute edges between accounts ``a`` and ``b`` as the graph has them now."""
    a_blocks_b: bool = False
    b_blocks_a: bool = False
    a_mutes_b: bool = False
    b_mutes_a: bool = False

    @property
    def blocked(self) -> bool:
        """A block either way: neither may see or reach the other."""
        return self.a_blocks_b or self.b_blocks_a


def hides(edges: PairEdges) -> tuple[bool, bool]:
    """(``a`` hides ``b``'s posts, ``b`` hides ``a``'s posts)."""
    return edges.blocked or edges.a_mutes_b, edges.blocked or edges.b_mutes_a


