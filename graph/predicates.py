"""The two rules every read of posts applies, written once: is a post published ("ready"), and may
a viewer see an author's posts. Cypher fragments for the graph's queries and the same rules as
Python functions for what is decided outside Neo4j. Pure: no I/O.
"""
from __future__ import annotations

from typing import Any, Mapping

# A post carries a state only while it has a video: "processing" (transcoding, its author's
# alone), then "ready", or "failed". A post without one (every photo post) is ready.
READY_STATE = "ready"
UNREADY_STATES = ("processing", "failed")


def ready(p: str = "p") -> str:
    """Cypher: post ``p`` is published (not a video still processing, nor failed). Feeds, search
    and every reader but the author see only these."""
    return f"({p}.state IS NULL OR {p}.state = '{READY_STATE}')"


def unready_states() -> str:
    """Cypher list literal of the states that are not ready (for an index seek on them)."""
    return "[" + ", ".join(f"'{state}'" for state in UNREADY_STATES) + "]"


def shown_to(u: str = "u", v: str = "v") -> str:
    """Cypher: viewer ``v`` passes author ``u``'s privacy: a public account, themself, or an
    approved follower (blocks aside)."""
    return f"(NOT {u}.private OR {u} = {v} OR EXISTS {{ ({v})-[:FOLLOWS]->({u}) }})"


def visible(u: str = "u", v: str = "v") -> str:
    """Cypher: viewer ``v`` may see author ``u``'s posts: ``shown_to`` and never with a block
    between the two, either way (graph/blocks.py)."""
    return f"({shown_to(u, v)} AND NOT EXISTS {{ ({u})-[:BLOCKS]-({v}) }})"


# The fragments for the usual names: `p` the post, `u` its author, `v` the viewer.
READY = ready()
VISIBLE = visible()
# ... or is the viewer `v` its author `u`, who sees their post in every state.
READY_OR_OWN = f"({READY} OR u = v)"


def is_ready(post: Mapping[str, Any]) -> bool:
    """The Python side of ``ready``: a post (or body) as the graph returns it."""
    return post.get("state") in (None, READY_STATE)


def may_see(author: Mapping[str, Any], viewer_id: int, *, follows: bool, blocked: bool = False) -> bool:
    """The Python side of ``visible``: ``author`` has ``id`` and ``private``; ``follows``: the
    viewer is an approved follower; ``blocked``: a block between the two, either way."""
    if blocked:
        return False
    return not author.get("private") or author["id"] == viewer_id or follows
