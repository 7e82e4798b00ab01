"""Accounts: sign-up, login, and profile edits (a privacy change reaches timelines, cached post
bodies and search). Sessions are the gateway's: a route issues the token once a use case here
has said who the caller is."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from core.errors import InvalidCredentials, NotFound
from core.ids import IdGenerator
from core.passwords import hash_password, verify_password
from graph import users
from search.port import OutboxSearchEffects
from stores.login_limits import LoginLimits
from stores.post_bodies import PostBodies
from stores.profile_marks import ProfileMarks
from stores.user_cards import UserCards
from stores.ratelimit import AttemptLimit

from .social import Social


class Accounts:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, search: OutboxSearchEffects, social: Social,
                 bodies: PostBodies, signups: AttemptLimit, logins: LoginLimits, cards: UserCards,
                 profile_marks: ProfileMarks) -> None:
        self.driver, self.ids, self.search, self.social, self.bodies = driver, ids, search, social, bodies
        self.signups, self.logins, self.cards, self.profile_marks = signups, logins, cards, profile_marks

    async def sign_up(self, *, username: str, password: str, display_name: str, address: str) -> dict[str, Any]:
        """The new account (input already valid); 409 if the username is taken."""
        # Counted before the password hash: every attempt costs argon2 time.
        await self.signups.reserve(address)
        user = await users.create_user(self.driver, user_id=self.ids.next_id(), username=username,
                                       display_name=display_name, password_hash=await hash_password(password),
                                       now_ms=now_ms())
        await self.search.user_changed(user["id"])
        return user

    async def log_in(self, *, username: str, password: str, address: str) -> dict[str, Any]:
        """The account the password opens, or 401 (the same whatever was wrong); 429 past a limit."""
        attempt = await self.logins.begin(username, address)
        found = await users.credentials_of(self.driver, username)
        if not await verify_password(found[1] if found else None, password):
            raise InvalidCredentials()
        await self.logins.succeeded(attempt)
        return await users.get_by_id(self.driver, found[0])

    async def edit_profile(self, user_id: int, patch: dict[str, Any]) -> dict[str, Any]:
        """The profile after a (validated) patch of display_name, bio, private."""
        if "private" in patch:
            # Before the write: search checks the account's posts live until its index catches up.
            await self.search.visibility_changing(user_id)
        user = await users.update_profile(self.driver, user_id, patch)
        if user is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        # Going public approves everyone who asked, as followers would expect.
        if patch.get("private") is False and await self.social.approve_all_requests(user_id):
            user = await users.get_by_id(self.driver, user_id)     # their follower count
        if "private" in patch:
            await self.profile_marks.author_changed(user_id)      # who may see the grid
        await self.cards.forget(user_id)      # accounts embedded in statuses and notifications
        if "private" in patch:
            # Every post of the account changes who may see and find it.
            await self.bodies.forget_author(user_id)
            await self.search.visibility_changed(user_id)
        else:
            # Its document: user search shows the account from it (usecases/seen_accounts.py).
            await self.search.user_changed(user_id)
        return user
