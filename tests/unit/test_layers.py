"""The use-case layer stays a layer: use cases and stores know nothing of aiohttp or the gateway,
and routes reach the stores only through use cases (no Redis, ids, feed, search outbox or S3 of
their own), so each side effect is written in one place."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a route may not take from the app: the stores that use cases own.
STORES_OF_USE_CASES = {"REDIS", "IDS", "FEED", "SEARCH_EFFECTS", "S3", "SEARCH", "MEDIA_POOL", "SHARDS"}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file; relative modules keep their leading dots."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.append(("." * node.level + (node.module or ""), [alias.name for alias in node.names]))
    return out


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_use_cases_and_stores_depend_on_neither_aiohttp_nor_the_gateway():
    for package in ("usecases", "stores"):
        assert _modules(package), package
        for path in _modules(package):
            for module, _ in _imports(path):
                top = module.split(".")[0]
                assert top not in ("aiohttp", "gateway"), f"{path.relative_to(ROOT)} imports {module}"


def test_routes_reach_stores_only_through_use_cases():
    for path in _modules("gateway/routes"):
        for module, names in _imports(path):
            assert module != "core.redis_keys" and not (module == "core" and "redis_keys" in names), \
                f"{path.relative_to(ROOT)} writes Redis keys itself"
            if module == "..keys":
                taken = STORES_OF_USE_CASES & set(names)
                assert not taken, f"{path.relative_to(ROOT)} takes {sorted(taken)} from the app"
