"""Redis is given a memory ceiling and never evicts (issue 21)."""
from __future__ import annotations

from core.config import load_settings
from stack.services import Redis


def test_redis_refuses_writes_when_full_instead_of_evicting(tmp_path):
    settings = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path), "RAYGRAM_REDIS_MAXMEMORY_BYTES": "123456789"})
    Redis(settings).command()
    lines = (tmp_path / "redis" / "redis.conf").read_text().splitlines()
    assert "maxmemory 123456789" in lines and "maxmemory-policy noeviction" in lines


def test_the_default_ceiling_is_sized_for_the_host(tmp_path):
    assert load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)}).redis_maxmemory_bytes >= 256 * 1024 * 1024
