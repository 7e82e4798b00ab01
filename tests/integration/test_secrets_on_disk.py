"""Secrets stay where only the stack's user reads them: var/ closed, secret files 0600, no secret in
a log or on any command line, the Neo4j password handed over in a file rather than as an argument."""
from __future__ import annotations

import dataclasses
import hashlib
import pwd
import stat
from pathlib import Path

from stack import installers
from stack.services import Neo4j

# A password with what an argument file could split or swallow: blanks, quotes, backslash, '#'.
AWKWARD_PASSWORD = """pa ss'wo"rd\\#1"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_is_closed_to_other_users(settings):
    var = settings.var_dir
    if _mode(var) == 0o710:
        # As root, Elasticsearch's user may pass through to its own directory, and nothing more.
        assert var.stat().st_gid == pwd.getpwnam(installers.SERVICE_USER).pw_gid
    else:
        assert _mode(var) == 0o700
    assert _mode(var / "log") == 0o700
    for name in ("redis", "neo4j", "minio", "log", "run"):   # sessions, the graph store, the media
        assert _mode(var / name) == 0o700, name


def test_secret_files_and_logs_are_0600(settings):
    assert _mode(settings.secrets_file) == 0o600
    assert _mode(settings.ray_token_file) == 0o600
    logs = sorted((settings.var_dir / "log").glob("*.log"))
    assert any(log.name == "neo4j.log" for log in logs)
    for log in logs:
        assert _mode(log) & 0o077 == 0, log


def test_no_log_of_the_stack_or_of_ray_contains_a_secret(settings):
    secrets = [*settings.secret_values(), settings.ray_token_file.read_text().strip()]
    logs = [*(settings.var_dir / "log").glob("*.log"), *settings.ray_temp_dir.glob("session_latest/logs/*")]
    for log in (path for path in logs if path.is_file()):
        content = log.read_bytes()
        assert not any(s.encode() in content for s in secrets), f"a secret is in {log}"


def test_no_command_line_on_this_machine_shows_a_secret(settings):
    secrets = [*settings.secret_values(), settings.ray_token_file.read_text().strip()]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue
        assert not any(s.encode() in argv for s in secrets), f"a secret is on the command line of {cmdline.parent}"


def _neo4j_hash(password: str, salt: bytes, iterations: int) -> str:
    """Neo4j's credential hash (auth.ini: SHA-256 over salt + password, iterated)."""
    digest = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(iterations - 1):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def test_neo4j_gets_its_initial_password_from_a_file_exactly_and_logs_none_of_it(settings, tmp_path):
    scratch = dataclasses.replace(settings, var_dir=tmp_path, neo4j_password=AWKWARD_PASSWORD)
    neo4j = Neo4j(scratch)
    neo4j.install()                       # cached: the stack's own install
    (neo4j.home / "conf").mkdir(parents=True)
    neo4j.set_initial_password()

    user, credentials, _ = (neo4j.home / "data" / "dbms" / "auth.ini").read_text().split(":", 2)
    algorithm, stored, salt, iterations = credentials.split(",")
    assert (user, algorithm) == ("neo4j", "SHA-256")
    assert stored == _neo4j_hash(AWKWARD_PASSWORD, bytes.fromhex(salt), int(iterations))
    assert AWKWARD_PASSWORD not in neo4j.log_file.read_text()
    assert _mode(neo4j.log_file) == 0o600
    assert not list((neo4j.home / "conf").iterdir()), "the argument file is gone"
