"""Blocks and mutes: ``(:User)-[:BLOCKS]->(:User)`` and ``(:User)-[:MUTES]->(:User)``, and
removing a follower.

A block takes the write locks of *both* accounts, in id order (so two blocks of one pair cannot
deadlock). A follow locks its follower (graph/follows.py), so a follow racing a block serialises
with it on the follower's node whichever side follows: either the follow commits first and the
block removes it, or the follow sees the block and is refused. In the same transaction the block
removes follows both ways, pending requests both ways and the notifications between the two.

Edges carry their own time-ordered ``id`` and the owner's id (``blocker`` / ``muter``), indexed,
so the lists of one's blocks and mutes page like followers do (graph/follows.py ``edge_page``).
"""
from __future__ import annotations

from dataclasses import dataclass

from neo4j import AsyncDriver, AsyncManagedTransaction

from core.errors import NotFound, ValidationFailed
from core.hiding import PairEdges

_LOCK_PAIR = """MATCH (x:User) WHERE x.id IN [$a, $b]
                WITH x ORDER BY x.id SET x._lock = true REMOVE x._lock"""


@dataclass(frozen=True)
class BlockChange:
    target_id: int
    changed: bool
    was_following: bool = False        # the blocker followed the target (now removed)
    was_followed_by: bool = False      # the target followed the blocker (now removed)


@dataclass(frozen=True)
class MuteChange:
    target_id: int
    changed: bool
    following: bool = False            # the muter follows the target


async def _target_id(tx: AsyncManagedTransaction, actor_id: int, username: str, *, verb: str) -> int:
    record = await (await tx.run("MATCH (b:User {username: $username}) RETURN b.id AS id",
                                 username=username)).single()
    if record is None:
        raise NotFound("No such user.", code="user_not_found")
    if record["id"] == actor_id:
        raise ValidationFailed(f"You cannot {verb} yourself.", code=f"cannot_{verb}_self")
    return record["id"]


async def block(driver: AsyncDriver, blocker_id: int, username: str, *, edge_id: int, now_ms: int) -> BlockChange:
    """Block (idempotent); follows and requests both ways and the notifications between the two
    go in the same transaction."""
    async def work(tx: AsyncManagedTransaction) -> BlockChange:
        b = await _target_id(tx, blocker_id, username, verb="block")
        await tx.run(_LOCK_PAIR, a=blocker_id, b=b)
        state = await (await tx.run(
            """MATCH (a:User {id: $a}), (b:User {id: $b})
               RETURN EXISTS { (a)-[:BLOCKS]->(b) } AS blocking, EXISTS { (a)-[:FOLLOWS]->(b) } AS following,
                      EXISTS { (b)-[:FOLLOWS]->(a) } AS followed_by""", a=blocker_id, b=b)).single()
        if state["blocking"]:
            return BlockChange(b, changed=False)
        await tx.run(
            """MATCH (a:User {id: $a}), (b:User {id: $b})
               OPTIONAL MATCH (a)-[r:FOLLOWS|REQUESTED]-(b)
               DELETE r
               WITH DISTINCT a, b
               CREATE (a)-[:BLOCKS {id: $edge_id, since: $now, blocker: $a, blocked: $b}]->(b)""",
            a=blocker_id, b=b, edge_id=edge_id, now=now_ms)
        for recipient, actor in ((blocker_id, b), (b, blocker_id)):
            await tx.run("""MATCH (n:Notification) WHERE n.recipient_id = $recipient AND n.actor_id = $actor
                            DETACH DELETE n""", recipient=recipient, actor=actor)
        return BlockChange(b, changed=True, was_following=state["following"], was_followed_by=state["followed_by"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def unblock(driver: AsyncDriver, blocker_id: int, username: str) -> BlockChange:
    """Take a block back (idempotent). Nothing it removed comes back."""
    async def work(tx: AsyncManagedTransaction) -> BlockChange:
        b = await _target_id(tx, blocker_id, username, verb="block")
        record = await (await tx.run(
            """MATCH (:User {id: $a})-[r:BLOCKS]->(:User {id: $b}) DELETE r RETURN count(r) AS n""",
            a=blocker_id, b=b)).single()
        return BlockChange(b, changed=record["n"] > 0)

    async with driver.session() as session:
        return await session.execute_write(work)


async def mute(driver: AsyncDriver, muter_id: int, username: str, *, edge_id: int, now_ms: int) -> MuteChange:
    async def work(tx: AsyncManagedTransaction) -> MuteChange:
        b = await _target_id(tx, muter_id, username, verb="mute")
        record = await (await tx.run(
            """MATCH (a:User {id: $a}) SET a._lock = true REMOVE a._lock
               WITH a MATCH (b:User {id: $b})
               RETURN EXISTS { (a)-[:MUTES]->(b) } AS muting, EXISTS { (a)-[:FOLLOWS]->(b) } AS following""",
            a=muter_id, b=b)).single()
        if record["muting"]:
            return MuteChange(b, changed=False, following=record["following"])
        await tx.run("""MATCH (a:User {id: $a}), (b:User {id: $b})
                        CREATE (a)-[:MUTES {id: $edge_id, since: $now, muter: $a, muted: $b}]->(b)""",
                     a=muter_id, b=b, edge_id=edge_id, now=now_ms)
        return MuteChange(b, changed=True, following=record["following"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def unmute(driver: AsyncDriver, muter_id: int, username: str) -> MuteChange:
    async def work(tx: AsyncManagedTransaction) -> MuteChange:
        b = await _target_id(tx, muter_id, username, verb="mute")
        record = await (await tx.run(
            """MATCH (a:User {id: $a}), (b:User {id: $b})
               OPTIONAL MATCH (a)-[r:MUTES]->(b)
               DELETE r
               RETURN count(r) AS n, EXISTS { (a)-[:FOLLOWS]->(b) } AS following""", a=muter_id, b=b)).single()
        return MuteChange(b, changed=record["n"] > 0, following=record["following"])

    async with driver.session() as session:
        return await session.execute_write(work)


async def remove_follower(driver: AsyncDriver, account_id: int, username: str) -> tuple[int, bool]:
    """``username`` no longer follows ``account_id`` (idempotent): (their id, whether they did).
    The follower's node is locked, as for every edit of its outgoing edges."""
    async def work(tx: AsyncManagedTransaction) -> tuple[int, bool]:
        b = await _target_id(tx, account_id, username, verb="remove")
        record = await (await tx.run(
            """MATCH (f:User {id: $f}) SET f._lock = true REMOVE f._lock
               WITH f OPTIONAL MATCH (f)-[r:FOLLOWS]->(:User {id: $a})
               DELETE r RETURN count(r) AS n""", f=b, a=account_id)).single()
        return b, record["n"] > 0

    async with driver.session() as session:
        return await session.execute_write(work)


async def pair_edges(driver: AsyncDriver, a: int, b: int) -> PairEdges:
    """The block and mute edges between two accounts now (what their hidden sets must say)."""
    records, _, _ = await driver.execute_query(
        """MATCH (a:User {id: $a}), (b:User {id: $b})
           RETURN EXISTS { (a)-[:BLOCKS]->(b) } AS ab, EXISTS { (b)-[:BLOCKS]->(a) } AS ba,
                  EXISTS { (a)-[:MUTES]->(b) } AS am, EXISTS { (b)-[:MUTES]->(a) } AS bm""", a=a, b=b)
    if not records:
        return PairEdges()
    r = records[0]
    return PairEdges(a_blocks_b=r["ab"], b_blocks_a=r["ba"], a_mutes_b=r["am"], b_mutes_a=r["bm"])
