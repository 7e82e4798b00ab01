"""Cut the part of the community Mastodon OpenAPI document that Raygram's conformance test needs.

Usage: python -m tests.contracts.extract_mastodon_openapi FULL_SCHEMA.json COMMIT

FULL_SCHEMA.json is ``dist/schema.json`` of the abraham/mastodon-openapi repository at COMMIT.
Writes ``tests/contracts/mastodon_openapi.json``: for every (path, method) Raygram serves, the
JSON schema of each documented response status (null where it has none), plus the component schemas they reach, and where
they came from (commit and SHA-256 of the full document), so the pin is reviewable and the test
needs nothing from the network.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("mastodon_openapi.json")
SOURCE = "https://github.com/abraham/mastodon-openapi (dist/schema.json), license GFDL-1.3"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def extract(full: dict[str, Any], served: list[tuple[str, str]]) -> dict[str, Any]:
    paths: dict[str, dict[str, dict[str, Any]]] = {}
    for method, path in served:
        op = full["paths"].get(path, {}).get(method.lower())
        if not op:
            continue
        for status, response in op.get("responses", {}).items():
            # null: the status is documented without a JSON schema (an empty {} or a free-form hash).
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            paths.setdefault(path, {}).setdefault(method.lower(), {})[status] = schema
    schemas = full["components"]["schemas"]
    wanted, todo = set(), _refs(paths)
    while todo:
        ref = todo.pop()
        name = ref.rsplit("/", 1)[-1]
        if ref.startswith("#/components/schemas/") and name not in wanted:
            wanted.add(name)
            todo |= _refs(schemas[name])
    return {"paths": paths, "components": {"schemas": {n: schemas[n] for n in sorted(wanted)}}}


def main() -> None:
    from tests.contracts.mastodon_routes import SERVED
    full_path, commit = Path(sys.argv[1]), sys.argv[2]
    raw = full_path.read_bytes()
    full = json.loads(raw)
    out = {"source": SOURCE, "commit": commit, "sha256": hashlib.sha256(raw).hexdigest(),
           "api_version": full["info"]["version"], **extract(full, SERVED)}
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(out['paths'])} paths, {len(out['components']['schemas'])} schemas)")


if __name__ == "__main__":
    main()
