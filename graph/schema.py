"""Constraints and indexes of the graph; applied on every gateway start (all are IF NOT EXISTS).

Uniqueness constraints double as the lookup indexes: a user by id or by (lower-cased) username, a
post, comment or media item by id.
"""
from __future__ import annotations

from neo4j import AsyncDriver

STATEMENTS: tuple[str, ...] = (
    "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
    # Usernames are stored lower-cased, so this is case-insensitive uniqueness.
    "CREATE CONSTRAINT user_username IF NOT EXISTS FOR (u:User) REQUIRE u.username IS UNIQUE",
    "CREATE CONSTRAINT post_id IF NOT EXISTS FOR (p:Post) REQUIRE p.id IS UNIQUE",
    "CREATE CONSTRAINT comment_id IF NOT EXISTS FOR (c:Comment) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT media_id IF NOT EXISTS FOR (m:Media) REQUIRE m.id IS UNIQUE",
    "CREATE INDEX post_created_at IF NOT EXISTS FOR (p:Post) ON (p.created_at)",
    # An author's posts newest first, one index range per page.
    "CREATE INDEX post_author IF NOT EXISTS FOR (p:Post) ON (p.author_id, p.id)",
    # Video posts still transcoding: what a gateway's sweep finishes when their driver died. Only
    # posts with a video have the property, so the index stays small.
    "CREATE INDEX post_state IF NOT EXISTS FOR (p:Post) ON (p.state)",
    # A profile's posts_count leaves out the author's processing and failed posts (graph/users.py).
    "CREATE INDEX post_author_state IF NOT EXISTS FOR (p:Post) ON (p.author_id, p.state)",
    # The same for videos uploaded before their post (graph/staged_media.py).
    "CREATE INDEX media_state IF NOT EXISTS FOR (m:Media) ON (m.state)",
    # The orphan sweeper asks which avatar ids an account names.
    "CREATE INDEX user_avatar IF NOT EXISTS FOR (u:User) ON (u.avatar_id)",
    # Paging an account's followers / following / requests newest first is a range scan of these.
    "CREATE INDEX follows_followee IF NOT EXISTS FOR ()-[r:FOLLOWS]-() ON (r.followee, r.id)",
    "CREATE INDEX follows_follower IF NOT EXISTS FOR ()-[r:FOLLOWS]-() ON (r.follower, r.id)",
    "CREATE INDEX requested_followee IF NOT EXISTS FOR ()-[r:REQUESTED]-() ON (r.followee, r.id)",
    # One's blocks and mutes, newest first (graph/blocks.py).
    "CREATE INDEX blocks_blocker IF NOT EXISTS FOR ()-[r:BLOCKS]-() ON (r.blocker, r.id)",
    "CREATE INDEX mutes_muter IF NOT EXISTS FOR ()-[r:MUTES]-() ON (r.muter, r.id)",
    # One's saved posts, newest saved first (graph/saved.py).
    "CREATE INDEX saved_user IF NOT EXISTS FOR ()-[r:SAVED]-() ON (r.user_id, r.id)",
    # Who liked a post, newest first; a post's comments, oldest first.
    "CREATE INDEX liked_post IF NOT EXISTS FOR ()-[r:LIKED]-() ON (r.post_id, r.id)",
    "CREATE INDEX comment_post IF NOT EXISTS FOR (c:Comment) ON (c.post_id, c.id)",
    # Notifications: one recipient's, newest first; at most one per (kind, actor, object).
    "CREATE CONSTRAINT notification_id IF NOT EXISTS FOR (n:Notification) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT notification_dedupe IF NOT EXISTS FOR (n:Notification) REQUIRE n.dedupe_key IS UNIQUE",
    "CREATE INDEX notification_recipient IF NOT EXISTS FOR (n:Notification) ON (n.recipient_id, n.id)",
    # Account erasure (graph/erasure.py): the accounts being erased, what they leave behind.
    "CREATE INDEX erasing_user_id IF NOT EXISTS FOR (u:ErasingUser) ON (u.id)",
    "CREATE CONSTRAINT username_tombstone IF NOT EXISTS FOR (t:UsernameTombstone) REQUIRE t.username_hash IS UNIQUE",
    "CREATE INDEX notification_actor IF NOT EXISTS FOR (n:Notification) ON (n.actor_id)",
    "CREATE INDEX media_owner IF NOT EXISTS FOR (m:Media) ON (m.owner_id)",
    "CREATE CONSTRAINT migration_name IF NOT EXISTS FOR (m:Migration) REQUIRE m.name IS UNIQUE",
)

# Data migrations: each runs until a (:Migration {name}) records it, so a start-up pays for a
# scan once per database, not once per gateway start. Each is idempotent (two gateways starting
# together may both run it).
MIGRATIONS: tuple[tuple[str, str], ...] = (
    # Accounts given a photo before avatar_id existed get it from their keys (the orphan sweeper
    # would otherwise take their photo for an orphan).
    ("user-avatar-id", """MATCH (u:User) WHERE u.avatar_keys IS NOT NULL AND size(u.avatar_keys) > 0
                          AND u.avatar_id IS NULL
                          SET u.avatar_id = toInteger(split(u.avatar_keys[0], '/')[1])"""),
)


async def apply_schema(driver: AsyncDriver) -> None:
    for statement in STATEMENTS:
        await driver.execute_query(statement)
    records, _, _ = await driver.execute_query("MATCH (m:Migration) RETURN collect(m.name) AS done")
    done = set(records[0]["done"])
    for name, statement in MIGRATIONS:
        if name not in done:
            await driver.execute_query(statement)
            await driver.execute_query("MERGE (:Migration {name: $name})", name=name)
