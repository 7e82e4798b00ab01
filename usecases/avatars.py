"""Profile photos: ingested exactly like post media (usecases/media_ingest.py: header check, then
decode, orient, strip every metadata, sRGB, variants in the media pool, stored in S3), then named
on the account.

Order: variants in S3 → keys on the User node (one write) → the previous photo's objects deleted →
cached post bodies of the account forgotten (they carry the author's avatar). A failure before the
write deletes what was stored; a failed delete of the old objects is logged and leaves them
unreferenced (they are never served again: their path is no longer named anywhere).
"""
from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError
from neo4j import AsyncDriver

from core.errors import NotFound
from graph import users
from media import storage
from media.avatars import AVATAR_VARIANTS, avatar_key
from media.process import ProcessedImage
from search.port import OutboxSearchEffects
from stores.post_bodies import PostBodies
from stores.user_cards import UserCards

from .media_ingest import MediaIngest, Put

log = logging.getLogger(__name__)
_MISSING = {"NoSuchKey", "404", "NotFound"}


def _variants(avatar_id: int, image: ProcessedImage) -> list[Put]:
    """The sizes a profile photo keeps (not the full-size original), under the avatar's own id."""
    variants = {v.name: v for v in image.variants}
    return [(avatar_key(avatar_id, name), variants[name].path, variants[name].content_type)
            for name in AVATAR_VARIANTS]


class Avatars:
    def __init__(self, driver: AsyncDriver, ingest: MediaIngest, s3: Any, bucket: str, bodies: PostBodies,
                 cards: UserCards, search: OutboxSearchEffects) -> None:
        self.driver, self.ingest, self.s3, self.bucket, self.bodies = driver, ingest, s3, bucket, bodies
        self.cards, self.search = cards, search

    async def set(self, user_id: int, path: str, workdir: str) -> dict[str, Any]:
        """The profile with the photo received at ``path`` as its avatar."""
        async with self.ingest.stored(user_id, [path], workdir, label=lambda *_: "Profile photo",
                                      variants=_variants, videos=False) as got:
            changed = await users.set_avatar(self.driver, user_id, got.media[0]["keys"])
            if changed is None:
                raise NotFound("This account no longer exists.", code="user_not_found")
        user, old = changed
        await self._after_change(user_id, old)
        return user

    async def remove(self, user_id: int) -> dict[str, Any]:
        """The profile without a photo (no photo already: unchanged)."""
        changed = await users.set_avatar(self.driver, user_id, None)
        if changed is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        user, old = changed
        if old:
            await self._after_change(user_id, old)
        return user

    async def open_photo(self, avatar_id: int, variant: str) -> tuple[int, Any]:
        """A stored avatar variant: its length and its body (an async stream the caller closes)."""
        if variant not in AVATAR_VARIANTS:
            raise NotFound("No such profile photo.", code="avatar_not_found")
        try:
            obj = await self.s3.get_object(Bucket=self.bucket, Key=avatar_key(avatar_id, variant))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise NotFound("No such profile photo.", code="avatar_not_found") from None
            raise
        return obj["ContentLength"], obj["Body"]

    async def _after_change(self, user_id: int, old: list[str]) -> None:
        # Embedded accounts name the avatar too: forgotten before the old objects go.
        await self.cards.forget(user_id)
        # User search shows the account from its index document (usecases/seen_accounts.py).
        await self.search.user_changed(user_id)
        await self._delete(old)
        # Cached post bodies name the author's avatar; the next read takes the new one.
        await self.bodies.forget_author(user_id)

    async def _delete(self, keys: list[str]) -> None:
        if not keys:
            return
        try:
            await storage.delete_keys(self.s3, self.bucket, keys)
        except Exception:
            log.warning("could not delete %d objects of a replaced or failed avatar", len(keys))
