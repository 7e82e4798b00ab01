"""Files only the stack's user may read: ``var/`` itself, the secret files, the service logs.

A secret file never exists with a wider mode, not even for a moment: it is written to a new file
created 0600 (``mkstemp``: O_CREAT|O_EXCL) and renamed into place.
"""
from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path
from typing import Iterable

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
# var/ when a service runs as another user (Elasticsearch refuses root): that user's group may
# pass through to its own directory, nobody may list or read var/.
TRAVERSE_DIR = 0o710


def write_private(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write ``data`` to ``path`` with mode 0600 atomically. With ``replace=False`` an existing
    file wins (two concurrent first starts agree on one value); return whether we wrote it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def make_private_dir(path: Path, *, group_of: str | None = None) -> None:
    """Create ``path`` (0700), or tighten it if it exists. ``group_of``: a user whose group may
    traverse it (0710)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    mode = PRIVATE_DIR
    if group_of is not None:
        try:
            gid = pwd.getpwnam(group_of).pw_gid
        except KeyError:
            gid = None
        if gid is not None:
            os.chown(path, -1, gid)
            mode = TRAVERSE_DIR
    os.chmod(path, mode)


def open_private_log(path: Path):
    """``path`` opened for appending, created 0600 (and an older, wider one narrowed)."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "ab")


def scrub(path: Path, secrets: Iterable[str]) -> int:
    """Overwrite every occurrence of a secret in ``path`` with asterisks of the same length, in
    place (processes appending to the log keep their file and offsets). Return how many."""
    needles = [s.encode() for s in secrets if s]
    if not needles:
        return 0
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    found = 0
    with open(path, "r+b") as fh:
        for needle in needles:
            start = data.find(needle)
            while start != -1:
                fh.seek(start)
                fh.write(b"*" * len(needle))
                found += 1
                start = data.find(needle, start + len(needle))
    return found
