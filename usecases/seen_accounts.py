"""A user search's page of accounts as the viewer sees them, in one Redis round trip after the
index answered, without a graph read in the steady state.

- **Relationships** (the contract's flags, and "blocked either way", which leaves an account out)
  come from the viewer's relationships in Redis (stores/relations.py): exact right after any
  write, on every gateway, because every write drops the hashes of both accounts.
- **Profiles and counts** come from the index's own answer (each hit's ``card``, written by the
  indexer from the graph) for every account whose profile was not forgotten within
  ``user_cards.GEN_TTL_S`` (24 h). Every change that forgets a profile (an edit, an avatar, the
  account's deletion) also sends the account to the search outbox afterwards, so a document is
  rewritten from the graph seconds after such a change, long before its counter expires: an
  account without a counter has its current profile in the index. The others are read from
  stores/user_cards.py (exact: a deleted account is not found there and is left out). Counts in
  the card lag the graph by the indexing lag: every follow, post and deletion sends the accounts
  whose counts it moves to the outbox (about 1 s; longer while the outbox has a backlog).
"""
from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from core import relationship_bits
from search.reader import UserHit
from stores.relations import Relations
from stores.user_cards import UserCards


class SeenAccounts:
    def __init__(self, redis: Redis, cards: UserCards, relations: Relations) -> None:
        self.redis, self.cards, self.relations = redis, cards, relations

    async def page(self, viewer_id: int, hits: list[UserHit]) -> list[dict[str, Any]]:
        """The hits' accounts in order, each with the viewer's ``relationship`` (but the viewer's
        own); those in a block with the viewer, either way, and those deleted are left out."""
        ids = [h.id for h in hits]
        if not ids:
            return []
        others = [i for i in ids if i != viewer_id]
        async with self.redis.pipeline(transaction=False) as pipe:
            UserCards.queue_forgotten_lately(pipe, ids)
            if others:
                Relations.queue_toward(pipe, viewer_id, others)
            replies = await pipe.execute()
        current = {h.id: h.card for h, gen in zip(hits, replies[0]) if gen is None and h.card is not None}
        bits = await self.relations.toward_reply(viewer_id, others, replies[1]) if others else {}
        shown = [i for i in ids if not relationship_bits.blocked(bits.get(i, 0))]
        rest = [i for i in shown if i not in current]
        accounts = {**current, **(await self.cards.get(rest) if rest else {})}
        out = []
        for i in shown:
            if i not in accounts:
                continue        # deleted since it was indexed
            user = dict(accounts[i])
            if i != viewer_id:
                user["relationship"] = relationship_bits.relationship(bits.get(i, 0))
            out.append(user)
        return out
