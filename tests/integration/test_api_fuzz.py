"""The suite attacks the API: schemathesis fuzzes every operation of the OpenAPI document that a
real `raygram serve` process publishes, with a valid token and every check it has (server errors,
response schema, status code, content type and header conformance, negative data refused,
positive data accepted, auth not ignored, 405 with Allow, deleted things gone).

The document is the contract (gateway/schemas.py): a drift between what the server renders or
accepts and what the document says fails this test just like a 500 does.
"""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import aiohttp

from stack.gateway_process import GatewayProcess, free_port
from tests import images

from .world import World

# Test cases per operation and phase. With 33 operations this keeps the whole run near 2 minutes on
# a 2-core machine (the coverage phase adds its deterministic boundary cases on top).
MAX_EXAMPLES = 200
PHASES = "examples,coverage,fuzzing,stateful"
RUN_TIMEOUT_S = 8 * 60
# Sign-ups the fuzzer may make in its run (each costs an argon2 hash, ~0.1 s of CPU).
FUZZ_SIGNUPS = 40

# Not fuzzed, and why:
# - the WebSocket stream: an HTTP fuzzer cannot speak the protocol after the upgrade (its input
#   checks are in test_stream.py);
# - logout (DELETE /sessions/current): it would revoke the token the rest of the run uses (tested
#   in test_accounts.py).
EXCLUDED = ["--exclude-path", "/api/v1/stream", "--exclude-path", "/api/v1/sessions/current"]

# Strings that broke or nearly broke input handling before (issue 11): digits that str.isdigit
# takes but int() refuses or reads otherwise, ids just past int64, signs, spaces and exponents,
# NUL and control bytes, path tricks, very long values. Mixed into a tenth of generated strings and
# integers wherever they fit the mode: as valid values in positive cases, invalid ones in negative.
HOSTILE = ["\u00b2", "\u0663", "\uff11", "\u00b2\u00b3", "9223372036854775807", "9223372036854775808",
           "99999999999999999999", "-1", "+1", " 1", "1 ", "1_000", "1e3", "0x10", "007", "0", "",
           "\u0000", "a\u0000b", "\u001f", "\ud7ff\ue000", "..", "../..", "%00", "%2F", "null", "[]", "{}",
           "x" * 300, "9" * 5000, "@", "#", "##", "\u200b", "\ufeff"]
HOSTILE_INTEGERS = [0, -1, 101, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1]

WARNINGS = ["missing_auth", "missing_test_data", "base_url_mismatch", "validation_mismatch", "missing_deserializer",
            "unused_openapi_auth", "unsupported_regex", "method_not_allowed", "constants_extraction",
            "unmatched_filter", "unresolvable_reference", "low_valid_rate", "rate_limited", "dictionary_mismatch",
            "timeout_units"]

# schemathesis.toml: the hostile values, the warnings, and per-operation expectations where a
# schema cannot say everything.
CONFIG = f"""
[dictionaries.hostile]
values = {json.dumps(HOSTILE)}

[dictionaries.hostile_integers]
values = {json.dumps(HOSTILE_INTEGERS)}

[generation.dictionaries]
string = {{ dictionary = "hostile", probability = 0.1 }}
integer = {{ dictionary = "hostile_integers", probability = 0.1 }}

[warnings]
# Every warning but the one saying that hostile values mostly miss a schema (that is their point).
display = {json.dumps(sorted(set(WARNINGS) - {"dictionary_mismatch"}))}
# A regex schemathesis cannot read, a dangling $ref, a token the API ignores: the contract is broken.
fail-on = ["missing_auth", "unresolvable_reference", "unsupported_regex"]

[[operations]]
# Cursors are opaque: a well-formed one this server did not issue is 400 invalid_cursor, which no
# schema can tell apart from one it did issue.
include-method = "GET"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# Random bytes are not JPEG, PNG or GIF (415), and a file that claims to be one but does not decode
# is 422; both are "valid" multipart bodies as far as a schema goes.
include-operation-id = "create_post"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "415", "422", "429"]

[[operations]]
# The same for a profile photo (issue 12); an empty file part is 422 empty_media too.
include-operation-id = "put_avatar"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "415", "422", "429"]

[[operations]]
# No schema can say "not your own username": following yourself is 422 cannot_follow_self.
include-operation-id = "follow"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# The same for blocking, muting or removing oneself (issue 23): 422 cannot_block_self, cannot_mute_self, cannot_remove_self.
include-operation-id = "block"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# The same for blocking, muting or removing oneself (issue 23): 422 cannot_block_self, cannot_mute_self, cannot_remove_self.
include-operation-id = "unblock"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# The same for blocking, muting or removing oneself (issue 23): 422 cannot_block_self, cannot_mute_self, cannot_remove_self.
include-operation-id = "mute"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# The same for blocking, muting or removing oneself (issue 23): 422 cannot_block_self, cannot_mute_self, cannot_remove_self.
include-operation-id = "unmute"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# The same for blocking, muting or removing oneself (issue 23): 422 cannot_block_self, cannot_mute_self, cannot_remove_self.
include-operation-id = "remove_follower"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
# schemathesis reads /like and /likes as one resource (singular and plural), but DELETE .../like only
# takes the caller's like back: the list of those who like the post is still there.
include-operation-id = "likes"
checks.use_after_free.enabled = false

[[operations]]
# JSON Schema cannot tell 5.0 from 5, but an id is an exact integer: up_to 5.0 is 422 invalid_up_to.
include-operation-id = "mark_read"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""


async def _world(url: str, unique: str) -> dict:
    """Accounts, posts and a comment, so that the examples phase reaches real resources."""
    async with aiohttp.ClientSession(base_url=url, headers={"X-Forwarded-For": f"fuzz-setup-{unique}"}) as http:
        world = World(http, unique)
        me, other = await world.signup("fz"), await world.signup("fy")
        await world.follow(other, me)
        # Two pending requests to follow the fuzzer's account: one to accept, one to reject.
        await http.patch("/api/v1/me", json={"private": True}, headers=me.auth)
        accepted, rejected = await world.signup("fx"), await world.signup("fw")
        # Blocking someone ends follows both ways and refuses new ones (403): the block and mute
        # operations get an account of their own, or every follow after them would be refused.
        shunned = await world.signup("fv")
        assert await world.follow(accepted, me) == await world.follow(rejected, me) == "requested"
        kept = await world.post(me, [images.jpeg(32, 24)], caption=f"fuzzing #fz{unique} target")
        doomed = await world.post(me, [images.jpeg(16, 16)], caption="to be deleted by the fuzzer")
        resp = await http.post(f"/api/v1/posts/{kept['id']}/comments", json={"text": "first"}, headers=other.auth)
        assert resp.status == 201, await resp.text()
        comment = await resp.json()
        return {"token": me.token, "other": other.username, "kept": kept["id"], "doomed": doomed["id"],
                "comment": comment["id"], "tag": f"fz{unique}", "accept": accepted.username,
                "reject": rejected.username, "shunned": shunned.username}


def _with_examples(spec: dict, world: dict) -> dict:
    """The served document plus path-parameter examples that exist (the examples phase then
    exercises success answers and their schemas, not only 404s)."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] != "path":
                    continue
                name = param["name"]
                if name == "post_id":
                    # The one deletion the fuzzer may do succeeds on a post of its own.
                    param["example"] = world["doomed"] if method == "delete" and path.endswith("{post_id}") \
                        else world["kept"]
                elif name == "comment_id":
                    param["example"] = world["comment"]
                elif name == "username" and path.endswith(("/accept", "/reject")):
                    param["example"] = world[path.rsplit("/", 1)[1]]
                elif name == "username" and path.endswith(("/block", "/mute")):
                    param["example"] = world["shunned"]
                elif name == "username":
                    param["example"] = world["other"]
                elif name == "tag":
                    param["example"] = world["tag"]
    return spec


def _summary(output: str) -> str:
    """Schemathesis' closing lines: its test case count, and its final tally with the duration."""
    lines = [line.strip() for line in output.splitlines()]
    cases = [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == "Test cases:"]
    tally = [line.strip("= ") for line in lines if re.fullmatch(r"=+ .* in [\d.]+s =+", line)]
    return "; ".join(cases[-1:] + tally[-1:]) or "(no summary line)"


async def test_schemathesis_finds_nothing(settings, unique, tmp_path: Path):
    loop = asyncio.get_running_loop()
    # The gateway trusts this machine as a proxy, so set-up and fuzzer each speak for an address of
    # their own (X-Forwarded-For) and the per-address sign-up and login limits of one run never
    # reach another. The fuzzer may sign up more often than a person (5 an hour), so that its
    # valid sign-ups reach 201 and the session schema rather than only 429 (still documented).
    gateway = GatewayProcess(settings, free_port(), env={"RAYGRAM_TRUSTED_PROXIES": "127.0.0.1",
                                                          "RAYGRAM_SIGNUPS_PER_ADDRESS": str(FUZZ_SIGNUPS)})
    await loop.run_in_executor(None, gateway.__enter__)
    try:
        world = await _world(gateway.url, unique)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{gateway.url}/api/v1/openapi.json") as resp:
                spec = _with_examples(await resp.json(), world)
        schema_path = tmp_path / "openapi.json"
        schema_path.write_text(json.dumps(spec))
        config_path = tmp_path / "schemathesis.toml"
        config_path.write_text(CONFIG)
        cmd = [str(Path(sys.executable).parent / "schemathesis"), "--no-color", "--config-file", str(config_path),
               "run", str(schema_path), "--url", gateway.url,
               "--checks", "all", "--phases", PHASES, "--max-examples", str(MAX_EXAMPLES),
               "--header", f"Authorization: Bearer {world['token']}",
               "--header", f"X-Forwarded-For: fuzz-{unique}",
               "--workers", "1", "--request-timeout", "30", "--generation-database", "none",
               *EXCLUDED]
        result = await loop.run_in_executor(None, lambda: subprocess.run(
            cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=tmp_path))
    finally:
        await loop.run_in_executor(None, gateway.__exit__, None, None, None)
    output = result.stdout + result.stderr
    print(output[-20000:])
    print("schemathesis:", _summary(output))
    assert result.returncode == 0, f"schemathesis found problems: {_summary(output)} (full output above)"
