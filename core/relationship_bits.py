"""A viewer's relationship to one account packed in bits (pure, no I/O): how the viewer's
relationships are kept in Redis (stores/relations.py) and read from the graph (graph/relations.py).

Each kind is one edge between the viewer ``v`` and the account ``u``; the first five are the
contract's ``relationship`` object, ``blocked_by`` only decides that ``u`` is left out.
"""
from __future__ import annotations

from typing import Iterable

# (name, bit): the graph's edge for each is in graph/relations.py.
FOLLOWING = 1       # (v)-[:FOLLOWS]->(u)
REQUESTED = 2       # (v)-[:REQUESTED]->(u)
FOLLOWED_BY = 4     # (u)-[:FOLLOWS]->(v)
BLOCKING = 8        # (v)-[:BLOCKS]->(u)
MUTING = 16         # (v)-[:MUTES]->(u)
BLOCKED_BY = 32     # (u)-[:BLOCKS]->(v)

KINDS = (("following", FOLLOWING), ("requested", REQUESTED), ("followed_by", FOLLOWED_BY),
         ("blocking", BLOCKING), ("muting", MUTING), ("blocked_by", BLOCKED_BY))
SHOWN = KINDS[:5]      # what the contract's relationship object says


def relationship(bits: int) -> dict[str, bool]:
    """The contract's relationship object."""
    return {name: bool(bits & bit) for name, bit in SHOWN}


def blocked(bits: int) -> bool:
    """A block either way: neither sees the other, in search as anywhere."""
    return bool(bits & (BLOCKING | BLOCKED_BY))


def packed(edges: dict[str, Iterable[int]], cap: int) -> tuple[dict[int, int], int]:
    """Accounts -> bits from the viewer's edges per kind name (each list read with a limit of
    ``cap + 1``), and the kinds whose list went past ``cap`` (bits): only their first ``cap``
    accounts are kept, so for those kinds an account absent from the map is unknown, not "no"."""
    out: dict[int, int] = {}
    partial = 0
    for name, bit in KINDS:
        ids = list(edges.get(name) or ())
        if len(ids) > cap:
            partial |= bit
            ids = ids[:cap]
        for i in ids:
            out[i] = out.get(i, 0) | bit
    return out, partial


def unsettled(bits: dict[int, int], partial: int) -> list[int]:
    """The accounts whose bits a capped hash cannot settle: for a kind past the cap (``partial``),
    an account without that bit may still have it (it was not among those kept), whether or not
    another kind put it in the hash. Only the graph knows them."""
    if not partial:
        return []
    return [i for i, b in bits.items() if b & partial != partial]
