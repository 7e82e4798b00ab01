"""The real stack, once per run, and a gateway app per test.

Isolation without restarts: services are shared, so each test builds its own small world with
unique names (``unique``) instead of wiping stores between tests. That also keeps a developer's
running `make up` data intact while the suite runs.
"""
from __future__ import annotations

import secrets

import pytest

from core.config import Settings, load_settings
from gateway.app import create_app
from stack import manager
from stack.services import ensure_secrets


@pytest.fixture(scope="session")
def settings() -> Settings:
    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    return settings


@pytest.fixture
def unique() -> str:
    """A short random token for names that must not collide across tests or runs."""
    return secrets.token_hex(4)


@pytest.fixture
async def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)
