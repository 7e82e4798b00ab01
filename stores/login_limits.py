"""Who may try a password now: login limits an attacker cannot turn against the account's owner.

Failures are counted per window (``login_window_s``) three ways:

- per (account, address): one address guessing one account (``login_failures_per_user_address``);
- per account, only over addresses the account never logged in from
  (``login_failures_per_user``): slows a guess spread over many addresses;
- per address over all accounts (``login_failures_per_address``): one address trying many.

An address that logs in successfully becomes *known* for that account for
``login_known_address_ttl_s``; the per-account lock never applies to it. So however many wrong
passwords arrive from elsewhere, the owner's usual devices still get in; a stranger is slowed on
every axis. (Like a device list, without the e-mail round trip.)
"""
from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from core import redis_keys
from core.config import Settings

from . import ratelimit


def _per_user_address(username: str, address: str) -> str:
    return redis_keys.login_attempts("user-address", f"{username}:{address}")


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str
    counted: tuple[str, ...]      # the counters given back if the password is right

    @property
    def per_user_address(self) -> str:
        return _per_user_address(self.username, self.address)


class LoginLimits:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis, self.settings = redis, settings

    async def begin(self, username: str, address: str) -> Attempt:
        """Reserve this attempt on every counter that applies, or 429 if one is spent."""
        redis, settings = self.redis, self.settings
        window = settings.login_window_s
        per_address = redis_keys.login_attempts("address", address)
        per_user_address = _per_user_address(username, address)
        per_user = redis_keys.login_attempts("user", username)
        await ratelimit.reserve(redis, per_address, settings.login_failures_per_address, window,
                                "Too many failed logins from your address; try again later.")
        await ratelimit.reserve(redis, per_user_address, settings.login_failures_per_user_address, window,
                                "Too many failed logins for this account from your address; try again later.")
        if await redis.exists(redis_keys.login_known_address(username, address)):
            return Attempt(username, address, (per_address,))
        await ratelimit.reserve(redis, per_user, settings.login_failures_per_user, window,
                                "Too many failed logins for this account from new addresses; try again "
                                "later, or from a device that logged in before.")
        return Attempt(username, address, (per_address, per_user))

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: give back this attempt's reservations (never more: an owner's
        login must not reset a stranger's budget against the account), forget this address's own
        failures, and remember the address as the owner's."""
        for key in attempt.counted:
            await ratelimit.release(self.redis, key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(attempt.per_user_address)
            pipe.set(redis_keys.login_known_address(attempt.username, attempt.address), 1,
                     ex=self.settings.login_known_address_ttl_s)
            await pipe.execute()
