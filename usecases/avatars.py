"""Profile photos: processed exactly like post media (header check, then decode, orient, strip every
metadata, sRGB, variants, all in the media process pool), stored in S3, then named on the account.

Order: variants in S3 → keys on the User node (one write) → the previous photo's objects deleted →
cached post bodies of the account forgotten (they carry the author's avatar). A failure before the
write deletes what was stored; a failed delete of the old objects is logged and leaves them
unreferenced (they are never served again: their path is no longer named anywhere).
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from botocore.exceptions import ClientError
from neo4j import AsyncDriver

from core.errors import NotFound, RaygramError, UnsupportedMediaType, ValidationFailed
from core.ids import IdGenerator
from graph import users
from media import storage
from media.avatars import AVATAR_VARIANTS, avatar_key
from media.pool import MediaPool
from media.process import ImageLimits, ImageRejected, check_header, process_image
from stores.post_bodies import PostBodies

log = logging.getLogger(__name__)
_MISSING = {"NoSuchKey", "404", "NotFound"}


def _as_contract_error(err: ImageRejected) -> RaygramError:
    cls = UnsupportedMediaType if err.status == 415 else ValidationFailed
    return cls(f"Profile photo: {err.message}", code=err.code)


class Avatars:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, pool: MediaPool, limits: ImageLimits, s3: Any,
                 bucket: str, bodies: PostBodies) -> None:
        self.driver, self.ids, self.pool, self.limits = driver, ids, pool, limits
        self.s3, self.bucket, self.bodies = s3, bucket, bodies

    async def set(self, user_id: int, path: str, workdir: str) -> dict[str, Any]:
        """The profile with the photo received at ``path`` as its avatar."""
        try:
            await self.pool.run(check_header, path, self.limits)
            out = os.path.join(workdir, "avatar")
            os.mkdir(out)
            image = await self.pool.run(process_image, path, out, self.limits)
        except ImageRejected as err:
            raise _as_contract_error(err) from None
        avatar_id = self.ids.next_id()
        variants = {v.name: v for v in image.variants}
        uploads = [(avatar_key(avatar_id, name), variants[name].path, variants[name].content_type)
                   for name in AVATAR_VARIANTS]
        stored: list[str] = []

        async def put(key: str, file: str, content_type: str) -> None:
            await storage.put_file(self.s3, self.bucket, key, file, content_type)
            stored.append(key)

        try:
            outcomes = await asyncio.gather(*(put(*u) for u in uploads), return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            if failures:
                raise failures[0]
            changed = await users.set_avatar(self.driver, user_id, [key for key, _, _ in uploads])
            if changed is None:
                raise NotFound("This account no longer exists.", code="user_not_found")
        except BaseException:
            await asyncio.shield(self._delete(stored))
            raise
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
