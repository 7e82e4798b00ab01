"""Password hashing with argon2id (memory-hard), off the event loop.

Parameters follow OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 30-50 ms per hash
on this class of machine, which is the point.
"""
from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username does not exist, so that "no such user" takes as long as
# "wrong password" and response times do not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(check)
