"""Accounts in the graph: ``(:User)`` nodes, their profile and counts.

Counts are never stored: followers, following and posts are the node's relationship degrees,
which Neo4j keeps per node and type, so they are exact under any concurrency and cost O(1).
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from neo4j.exceptions import ConstraintError

from core.errors import Conflict
from media.avatars import avatar_id_of

from .erasure import username_hash
from .predicates import unready_states

# Posts that count for nobody yet (a video still transcoding) or ever (a failed one): subtracted
# from the POSTED degree with an index seek on (author_id, state), so the count stays O(1) per
# user (only posts with a video carry a state).

# The public projection of a user; `u` must be bound in the query that embeds it.
USER_FIELDS = """u {
    .id, .username, .display_name, .bio, .private, .created_at,
    avatar: u.avatar_keys[0],
    followers_count: COUNT { (u)<-[:FOLLOWS]-() },
    following_count: COUNT { (u)-[:FOLLOWS]->() },
    posts_count: COUNT { (u)-[:POSTED]->() }
        - COUNT { MATCH (p:Post) WHERE p.author_id = u.id AND p.state IN %s }
}""" % unready_states()

# The viewer's relationship to `u`; `v` (the viewer) must be bound.
RELATIONSHIP_FIELDS = """{
    following: EXISTS { (v)-[:FOLLOWS]->(u) },
    requested: EXISTS { (v)-[:REQUESTED]->(u) },
    followed_by: EXISTS { (u)-[:FOLLOWS]->(v) },
    blocking: EXISTS { (v)-[:BLOCKS]->(u) },
    muting: EXISTS { (v)-[:MUTES]->(u) }
}"""


async def create_user(driver: AsyncDriver, *, user_id: int, username: str, display_name: str,
                      password_hash: str, now_ms: int) -> dict[str, Any]:
    try:
        records, _, _ = await driver.execute_query(
            f"""OPTIONAL MATCH (t:UsernameTombstone {{username_hash: $hash}}) WHERE t.until > $now
                WITH t WHERE t IS NULL
                CREATE (u:User {{id: $id, username: $username, display_name: $display_name, bio: '',
                               private: false, created_at: $now, password_hash: $password_hash}})
                RETURN {USER_FIELDS} AS user""",
            id=user_id, username=username, display_name=display_name, password_hash=password_hash, now=now_ms,
            hash=username_hash(username))
    except ConstraintError:
        raise Conflict("That username is taken.", code="username_taken") from None
    if not records:
        # A deleted account's username rests for a while (graph/erasure.py): nobody can pose as it.
        raise Conflict("That username is taken.", code="username_taken")
    return records[0]["user"]


async def credentials_of(driver: AsyncDriver, username: str) -> tuple[int, str] | None:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User {username: $username}) RETURN u.id AS id, u.password_hash AS hash", username=username)
    return (records[0]["id"], records[0]["hash"]) if records else None


async def get_by_id(driver: AsyncDriver, user_id: int) -> dict[str, Any] | None:
    records, _, _ = await driver.execute_query(
        f"MATCH (u:User {{id: $id}}) RETURN {USER_FIELDS} AS user", id=user_id)
    return records[0]["user"] if records else None


async def get_by_username(driver: AsyncDriver, username: str, viewer_id: int) -> dict[str, Any] | None:
    """A user as ``viewer_id`` sees them (with ``relationship`` unless it is the viewer); None
    when there is a block between the two, either way (neither sees the other's profile)."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{username: $username}}), (v:User {{id: $viewer}})
            WHERE NOT EXISTS {{ (u)-[:BLOCKS]-(v) }}
            RETURN {USER_FIELDS} AS user,
                   CASE WHEN u = v THEN null ELSE {RELATIONSHIP_FIELDS} END AS relationship""",
        username=username, viewer=viewer_id)
    if not records:
        return None
    return with_relationship(records[0])


async def update_profile(driver: AsyncDriver, user_id: int, patch: dict[str, Any]) -> dict[str, Any] | None:
    records, _, _ = await driver.execute_query(
        f"MATCH (u:User {{id: $id}}) SET u += $patch RETURN {USER_FIELDS} AS user", id=user_id, patch=patch)
    return records[0]["user"] if records else None


def with_relationship(record) -> dict[str, Any]:
    user = dict(record["user"])
    if record["relationship"] is not None:
        user["relationship"] = record["relationship"]
    return user


async def set_avatar(driver: AsyncDriver, user_id: int, keys: list[str] | None) -> tuple[dict[str, Any], list[str]] | None:
    """Replace (or with None, remove) the account's avatar keys: the profile after, and the keys
    it had before, whose objects the caller deletes. The node is write-locked before it is read,
    so of two concurrent changes each gets the other's keys back and none is left behind."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (u:User {{id: $id}}) SET u._lock = true REMOVE u._lock
            WITH u, coalesce(u.avatar_keys, []) AS old
            SET u.avatar_keys = $keys, u.avatar_id = $avatar_id
            RETURN {USER_FIELDS} AS user, old""", id=user_id, keys=keys,
        avatar_id=avatar_id_of(keys[0]) if keys else None)
    return (records[0]["user"], list(records[0]["old"])) if records else None


async def known_avatar_ids(driver: AsyncDriver, avatar_ids: list[int]) -> set[int]:
    """The avatar ids some account still names (the orphan sweeper keeps their objects)."""
    records, _, _ = await driver.execute_query(
        "UNWIND $ids AS id MATCH (u:User {avatar_id: id}) RETURN id", ids=avatar_ids)
    return {r["id"] for r in records}
