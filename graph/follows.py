"""The follow graph: ``(:User)-[:FOLLOWS]->(:User)`` and ``(:User)-[:REQUESTED]->(:User)``.

Every edit of a user's outgoing edges first takes the write lock on the *follower's* node, so two
concurrent follows of the same pair serialise and the second sees the first (no duplicate edge).
Locks are always taken on the follower, never the followee, so a celebrity gaining thousands of
followers at once is not a lock hot spot, and no two edits can deadlock.

Each edge carries its own time-ordered ``id`` and the ids of both ends, indexed as
``(followee, id)`` and ``(follower, id)``: a page of an account's followers is an index range
scan, not a sort of all 100,000 of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import Forbidden, NotFound, ValidationFailed

from .predicates import shown_to
from .users import RELATIONSHIP_FIELDS, USER_FIELDS

# Written on the follower to take its node's write lock for the rest of the transaction.
_LOCK_FOLLOWER = "MATCH (a:User {id: $a}) SET a._lock = true REMOVE a._lock"

FOLLOWING, REQUESTED = "following", "requested"


@dataclass(frozen=True)
class FollowChange:
    """What a follow edit did: the target, the resulting state, and whether anything changed."""
    target_id: int
    state: str | None          # "following", "requested" or None (no edge now)
    changed: bool
    was_following: bool = False


async def _target(tx: AsyncManagedTransaction, a: int, username: str) -> dict[str, Any]:
    result = await tx.run(
        _LOCK_FOLLOWER + """
        WITH a MATCH (b:User {username: $username})
        RETURN b.id AS id, b.private AS private,
               EXISTS { (a)-[:FOLLOWS]->(b) } AS following,
               EXISTS { (a)-[:REQUESTED]->(b) } AS requested,
               EXISTS { (a)-[:BLOCKS]->(b) } AS blocking, EXISTS { (b)-[:BLOCKS]->(a) } AS blocked_by""",
        a=a, username=username)
    record = await result.single()
    if record is None:
        raise NotFound("No such user.", code="user_not_found")
    return dict(record)


async def follow(driver: AsyncDriver, follower_id: int, username: str, *, edge_id: int, now_ms: int) -> FollowChange:
    async def work(tx: AsyncManagedTransaction) -> FollowChange:
        b = await _target(tx, follower_id, username)
        if b["id"] == follower_id:
            raise ValidationFailed("You cannot follow yourself.", code="cannot_follow_self")
        if b["blocked_by"]:
            raise NotFound("No such user.", code="user_not_found")     # the blocked see nothing of them
        if b["blocking"]:
            raise Forbidden("You block this account; unblock it first.", code="blocking")
        if b["following"]:
            return FollowChange(b["id"], FOLLOWING, changed=False, was_following=True)
        if b["requested"]:
            return FollowChange(b["id"], REQUESTED, changed=False)
        edge = "REQUESTED" if b["private"] else "FOLLOWS"
        await tx.run(
            f"""MATCH (a:User {{id: $a}}), (b:User {{id: $b}})
                CREATE (a)-[:{edge} {{id: $edge_id, since: $now, follower: $a, followee: $b}}]->(b)""",
            a=follower_id, b=b["id"], edge_id=edge_id, now=now_ms)
        return FollowChange(b["id"], REQUESTED if b["private"] else FOLLOWING, changed=True)

    async with driver.session() as session:
        return await session.execute_write(work)


async def unfollow(driver: AsyncDriver, follower_id: int, username: str) -> FollowChange:
    """Unfollow, or withdraw a pending request. Idempotent; unknown user → NotFound."""
    async def work(tx: AsyncManagedTransaction) -> FollowChange:
        b = await _target(tx, follower_id, username)
        if not (b["following"] or b["requested"]):
            return FollowChange(b["id"], None, changed=False)
        await tx.run(
            """MATCH (a:User {id: $a})-[r:FOLLOWS|REQUESTED]->(b:User {id: $b}) DELETE r""",
            a=follower_id, b=b["id"])
        return FollowChange(b["id"], None, changed=True, was_following=b["following"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def answer_request(driver: AsyncDriver, target_id: int, requester: str, *, accept: bool,
                         edge_id: int, now_ms: int) -> int:
    """Accept or reject ``requester``'s pending request to follow ``target_id``; their id."""
    create = ("CREATE (a)-[:FOLLOWS {id: $edge_id, since: $now, follower: a.id, followee: b.id}]->(b)"
              if accept else "")

    async def work(tx: AsyncManagedTransaction) -> int:
        result = await tx.run(
            f"""MATCH (a:User {{username: $requester}}) SET a._lock = true REMOVE a._lock
                WITH a MATCH (a)-[r:REQUESTED]->(b:User {{id: $b}})
                DELETE r
                {create}
                RETURN a.id AS id""",
            requester=requester, b=target_id, edge_id=edge_id, now=now_ms)
        record = await result.single()
        if record is None:
            raise NotFound("There is no pending follow request from that user.", code="no_follow_request")
        return record["id"]

    async with driver.session() as session:
        return await session.execute_write(work)


async def accept_all_requests(driver: AsyncDriver, target_id: int, now_ms: int) -> list[int]:
    """Turn every pending request into a follow (an account went public); the new followers."""
    records, _, _ = await driver.execute_query(
        """MATCH (a:User)-[r:REQUESTED]->(b:User {id: $b})
           CREATE (a)-[:FOLLOWS {id: r.id, since: $now, follower: a.id, followee: b.id}]->(b)
           DELETE r
           RETURN a.id AS id""", b=target_id, now=now_ms)
    return [r["id"] for r in records]


async def can_see_connections(driver: AsyncDriver, owner_username: str, viewer_id: int) -> int | None:
    """The owner's id if the viewer may list the owner's followers/following (public account,
    the owner themself, or an approved follower); raises NotFound for an unknown owner."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{username: $username}})
           OPTIONAL MATCH (v:User {{id: $viewer}})
           RETURN u.id AS id, {shown_to()} AS allowed,
                  EXISTS {{ (u)-[:BLOCKS]-(v) }} AS blocked""",
        username=owner_username, viewer=viewer_id)
    if not records or records[0]["blocked"]:
        raise NotFound("No such user.", code="user_not_found")
    return records[0]["id"] if records[0]["allowed"] else None


# Pages of users reached over edges of one account, newest edge first, with the viewer's
# relationship to each. `side` names the edge property that holds the account's id; ordering by
# (side, id) lets Neo4j read the composite index backwards and stop after one page.
_PAGE_PATTERNS = {
    ("FOLLOWS", "followee"): "(u:User)-[r:FOLLOWS]->(:User)",
    ("FOLLOWS", "follower"): "(:User)-[r:FOLLOWS]->(u:User)",
    ("REQUESTED", "followee"): "(u:User)-[r:REQUESTED]->(:User)",
    ("BLOCKS", "blocker"): "(:User)-[r:BLOCKS]->(u:User)",
    ("MUTES", "muter"): "(:User)-[r:MUTES]->(u:User)",
}
# Accounts in a block with the viewer are left out of others' follower and following lists.
_NOT_BLOCKED = {"FOLLOWS": "AND NOT u.id IN blocked", "REQUESTED": "", "BLOCKS": "", "MUTES": ""}


async def edge_page(driver: AsyncDriver, edge: str, side: str, owner_id: int, viewer_id: int,
                    before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` users (plus one, to tell whether more exist), each with ``_edge_id``."""
    records, _, _ = await driver.execute_query(
        f"""OPTIONAL MATCH (:User {{id: $viewer}})-[:BLOCKS]-(x:User)
        WITH collect(x.id) AS blocked
        MATCH {_PAGE_PATTERNS[(edge, side)]} WHERE r.{side} = $owner AND r.id < $before {_NOT_BLOCKED[edge]}
        WITH u, r ORDER BY r.{side} DESC, r.id DESC LIMIT $limit
        MATCH (v:User {{id: $viewer}})
        RETURN {USER_FIELDS} AS user, r.id AS edge_id,
               CASE WHEN u = v THEN null ELSE {RELATIONSHIP_FIELDS} END AS relationship
        ORDER BY edge_id DESC""",
        owner=owner_id, viewer=viewer_id, before=before if before is not None else 2**63 - 1, limit=limit + 1)
    out = []
    for record in records:
        user = dict(record["user"])
        if record["relationship"] is not None:
            user["relationship"] = record["relationship"]
        user["_edge_id"] = record["edge_id"]
        out.append(user)
    return out
