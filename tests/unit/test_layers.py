"""The layers stay layers, so each side effect is written in one place:

- use cases, stores and every package below the gateway know nothing of aiohttp or the gateway;
- routes (gateway/routes/ and the Mastodon API's gateway/mastodon/) reach the stores only through
  use cases: no Redis keys, ids, feed, search outbox or S3 of their own, however they import the
  app keys (``..keys``, ``.keys``, ``gateway.keys`` or ``gateway import keys``), and no graph
  writes (they may read);
- feed/ is pure logic: no service client, no package that holds one;
- the Redis key space is used by stores/ and by the packages that are stores of their own service
  (graph/ for Neo4j, search/ for Elasticsearch and its outbox, actors/ for the shard actors'
  state), and nowhere else beyond the few named below; Redis scripts are written in stores/ only;
- no two packages import each other, directly or round a longer cycle.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("actors", "core", "feed", "gateway", "graph", "live", "media", "search", "stack", "stores", "usecases")
# What a route may not take from the app: the stores that use cases own.
STORES_OF_USE_CASES = {"REDIS", "IDS", "FEED", "SEARCH_EFFECTS", "S3", "SEARCH", "MEDIA_POOL", "SHARDS"}
# Modules that compose the app (open clients, build use cases), not routes.
ASSEMBLY = {"gateway/mastodon/app.py", "gateway/mastodon/keys.py"}
# Redis keys used outside the store packages today; a new one belongs in stores/.
REDIS_KEYS_ELSEWHERE = {
    "gateway/resources.py", "gateway/wiring.py",    # composing the app
    "media/transcode_task.py",              # a Ray task's own lease
    "usecases/video_posts.py", "usecases/account_erasure.py",   # naming their leases, an account's keys
    # The live transport: the pub/sub channels every socket listens on, presence and resume points.
    "live/hub.py", "live/presence.py", "live/resume_points.py",
}
STORE_PACKAGES = ("stores", "graph", "search", "actors")
GRAPH_WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|execute_write)\b")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _resolved(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module of a (possibly relative) ``from`` import."""
    if not node.level:
        return node.module or ""
    base = path.relative_to(ROOT).parent.parts
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ((node.module,) if node.module else ()))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, names) of every import in a file, those inside functions too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.append((_resolved(path, node), [alias.name for alias in node.names]))
    return out


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _routes() -> list[Path]:
    return [p for p in _modules("gateway/routes") + _modules("gateway/mastodon") if _rel(p) not in ASSEMBLY]


def test_packages_below_the_gateway_depend_on_neither_aiohttp_nor_the_gateway():
    for package in PACKAGES:
        if package == "gateway":
            continue
        for path in _modules(package):
            for module, _ in _imports(path):
                top = module.split(".")[0]
                assert top not in ("aiohttp", "gateway"), f"{_rel(path)} imports {module}"


def test_routes_reach_stores_only_through_use_cases():
    routes = _routes()
    assert any("mastodon" in _rel(p) for p in routes)
    for path in routes:
        keys_modules = set()     # local names bound to gateway.keys (``from gateway import keys as shared``)
        for module, names in _imports(path):
            assert module != "core.redis_keys" and not (module == "core" and "redis_keys" in names), \
                f"{_rel(path)} writes Redis keys itself"
            if module == "gateway.keys":
                taken = STORES_OF_USE_CASES & set(names)
                assert not taken, f"{_rel(path)} takes {sorted(taken)} from the app"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and _resolved(path, node) == "gateway":
                keys_modules |= {alias.asname or alias.name for alias in node.names if alias.name == "keys"}
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in keys_modules:
                assert node.attr not in STORES_OF_USE_CASES, f"{_rel(path)} takes {node.attr} from the app"


def _graph_writers() -> set[tuple[str, str]]:
    """(module, function) of every graph function that writes, its module's constants included."""
    out = set()
    for path in _modules("graph"):
        text = path.read_text()
        tree = ast.parse(text)
        constants = {target.id: ast.get_source_segment(text, node.value) for node in tree.body
                     if isinstance(node, ast.Assign) for target in node.targets if isinstance(target, ast.Name)}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = ast.get_source_segment(text, node)
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                if GRAPH_WRITE.search(body + "".join(constants[name] for name in used & constants.keys())):
                    out.add((path.stem, node.name))
    return out


def test_routes_write_the_graph_only_through_use_cases():
    writers = _graph_writers()
    assert ("notifications", "mark_read") in writers and ("notifications", "page") not in writers
    for path in _routes():
        tree = ast.parse(path.read_text())
        modules, functions = {}, {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _resolved(path, node) == "graph":
                modules.update({alias.asname or alias.name: alias.name for alias in node.names})
            elif isinstance(node, ast.ImportFrom) and _resolved(path, node).startswith("graph."):
                stem = _resolved(path, node).split(".")[1]
                functions.update({alias.asname or alias.name: (stem, alias.name) for alias in node.names})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                called = (modules[node.value.id], node.attr)
            elif isinstance(node, ast.Name) and node.id in functions:
                called = functions[node.id]
            else:
                continue
            assert called not in writers, f"{_rel(path)} writes the graph itself ({'.'.join(called)})"


def test_feed_is_pure_logic():
    allowed = {"feed", "core"}
    services = {"redis", "neo4j", "ray", "aiohttp", "elasticsearch", "aioboto3", "botocore"}
    for path in _modules("feed"):
        for module, _ in _imports(path):
            top = module.split(".")[0]
            assert top not in services and (top not in PACKAGES or top in allowed), f"{_rel(path)} imports {module}"
            assert module != "core.redis_client", f"{_rel(path)} opens Redis"


def test_redis_keys_only_in_stores():
    for package in PACKAGES:
        if package in STORE_PACKAGES:
            continue
        for path in _modules(package):
            if _rel(path) in REDIS_KEYS_ELSEWHERE or _rel(path) == "core/redis_keys.py":
                continue
            for module, names in _imports(path):
                uses = module == "core.redis_keys" or (module == "core" and "redis_keys" in names)
                assert not uses, f"{_rel(path)} uses Redis keys itself: a store in stores/ should"


def test_redis_scripts_only_in_stores():
    for package in PACKAGES:
        if package == "stores":
            continue
        for path in _modules(package):
            assert "redis.call(" not in path.read_text(), f"{_rel(path)} writes a Redis script: a store in stores/ should"


def test_no_package_cycles():
    edges: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in _modules(package):
            for module, _ in _imports(path):
                top = module.split(".")[0]
                if top in PACKAGES and top != package:
                    edges[package].add(top)
    # Depth-first search; a package met again while still on the path closes a cycle.
    state: dict[str, int] = {}

    def visit(package: str, path: list[str]) -> None:
        state[package] = 1
        for after in sorted(edges[package]):
            assert state.get(after) != 1, "package cycle: " + " -> ".join(path[path.index(after):] + [after])
            if after not in state:
                visit(after, path + [after])
        state[package] = 2

    for package in PACKAGES:
        if package not in state:
            visit(package, [package])
