"""The follow graph's writes: follow, unfollow, answering a request, and approving every pending
request when an account goes public.

Whatever the path to "these accounts now follow that one" (a follow of a public account, an
accepted request, going public), its consequences are written in one place, ``_now_followed``:
the followers' timelines merge the account's posts, and the counts change in search.

Every write also drops both accounts' relationships in Redis (stores/relations.py) after the
graph write, every time, changed or not: user search's flags are exact at once, and a retried
request repairs a drop a failure skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

from neo4j import AsyncDriver

from actors.feed_engine import FeedEngine
from core.clock import now_ms
from core.ids import IdGenerator
from graph import follows
from search.port import OutboxSearchEffects
from stores.profile_marks import ProfileMarks
from stores.relations import Relations

from .notify import Notifier


@dataclass(eq=False)
class Social:
    driver: AsyncDriver
    ids: IdGenerator
    feed: FeedEngine
    search: OutboxSearchEffects
    notifier: Notifier
    profile_marks: ProfileMarks
    relations: Relations

    async def follow(self, follower_id: int, username: str) -> str:
        """Follow, or ask to follow a private account. Idempotent; the resulting state."""
        change = await follows.follow(self.driver, follower_id, username, edge_id=self.ids.next_id(),
                                      now_ms=now_ms())
        await self.relations.changed(follower_id, change.target_id)
        if change.changed:
            if change.state == follows.FOLLOWING:
                await self._now_followed(change.target_id, [follower_id])
            kind = "follow" if change.state == follows.FOLLOWING else "follow_request"
            await self.notifier.notify(recipient=change.target_id, kind=kind, actor=follower_id,
                                       dedupe=f"{kind}:{follower_id}:{change.target_id}")
        return change.state

    async def unfollow(self, follower_id: int, username: str) -> None:
        """Unfollow, or withdraw a pending request. Idempotent."""
        change = await follows.unfollow(self.driver, follower_id, username)
        # Every time, not only on a change: a retry also repairs a mark a failure left unmoved.
        await self.relations.changed(follower_id, change.target_id)
        await self.profile_marks.pairs_changed([(follower_id, change.target_id)])
        if change.was_following:
            await self.feed.unfollowed([follower_id], change.target_id)
            await self.search.user_changed(change.target_id)      # follower count
            await self.search.user_changed(follower_id)           # following count

    async def answer_request(self, account_id: int, requester: str, *, accept: bool) -> None:
        """Accept or reject ``requester``'s pending request to follow ``account_id``."""
        requester_id = await follows.answer_request(self.driver, account_id, requester, accept=accept,
                                                    edge_id=self.ids.next_id(), now_ms=now_ms())
        await self.relations.changed(account_id, requester_id)
        if accept:
            await self._now_followed(account_id, [requester_id])
            await self.search.followees_changed(requester_id)      # a new private followee for search
            await self.notifier.notify(recipient=requester_id, kind="follow_accept", actor=account_id,
                                       dedupe=f"follow_accept:{account_id}:{requester_id}")

    async def approve_all_requests(self, account_id: int) -> list[int]:
        """The account went public: everyone who asked now follows it (without a notification
        each, as the owner approved no one in particular). The new followers."""
        approved = await follows.accept_all_requests(self.driver, account_id, now_ms())
        await self.relations.changed(account_id, *approved)
        await self._now_followed(account_id, approved)
        return approved

    async def _now_followed(self, account_id: int, follower_ids: list[int]) -> None:
        """The graph already says ``follower_ids`` follow ``account_id``; the rest follows."""
        if not follower_ids:
            return
        await self.profile_marks.pairs_changed((f, account_id) for f in follower_ids)   # profile grids
        await self.feed.followed(follower_ids, account_id)        # backfill their timelines
        await self.search.user_changed(account_id)                # follower count
        for follower in follower_ids:
            await self.search.user_changed(follower)              # following count
