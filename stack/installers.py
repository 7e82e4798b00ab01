"""Installs what the local stack needs, each step idempotent and cheap when already done.

Sources are the package registries only: Debian for Redis and the JDK/Maven toolchain, Maven
Central for Neo4j and Elasticsearch, the Go module proxy for MinIO. Everything lands in the cache
directory under a versioned path, completed atomically (a half-finished install is never reused).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

from . import versions
from .proc import StackError, run

SERVICE_USER = "raygram"   # Elasticsearch refuses to run as root
_apt_updated = False
_apt_lock = threading.Lock()   # installs run in parallel threads; dpkg allows one at a time
POM = Path(__file__).parent / "maven" / "neo4j-pom.xml"


def _say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> None:
    global _apt_updated
    if not is_root():
        raise StackError(f"missing {', '.join(packages)}: install with `sudo apt-get install {' '.join(packages)}`")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    _say(f"installing {' '.join(packages)} (apt)")
    with _apt_lock:
        if not _apt_updated:
            run(["apt-get", "update", "-qq"], what="apt-get update", env=env)
            _apt_updated = True
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            what=f"apt-get install {' '.join(packages)}", env=env)


def ensure_binary(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found is None:
        apt_install(package)
        found = shutil.which(binary)
    if found is None:
        raise StackError(f"{binary} still missing after installing {package}")
    return found


# The web client's browser tests: Debian's Chromium and its matching driver, at their Debian paths.
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_PACKAGES = ("chromium", "chromium-driver")


def ensure_chromium() -> tuple[str, str]:
    """Chromium and chromedriver (apt), for tests/integration/test_web_client.py. The package
    index is refreshed only when the install cannot find the packages with the one it has."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if not is_root():
            raise StackError("the browser tests need Chromium: "
                             f"`sudo apt-get install {' '.join(CHROMIUM_PACKAGES)}`")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *CHROMIUM_PACKAGES]
        _say(f"installing {' '.join(CHROMIUM_PACKAGES)} (apt)")
        with _apt_lock:
            try:
                run(install, what="apt-get install chromium", env=env)
            except StackError:
                run(["apt-get", "update", "-qq"], what="apt-get update", env=env)
                run(install, what="apt-get install chromium", env=env)
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            raise StackError(f"{path} still missing after installing {' '.join(CHROMIUM_PACKAGES)}")
    return CHROMIUM, CHROMEDRIVER


def ensure_node_packages(folder: Path) -> str:
    """Node.js (Debian's, if the machine has none) and ``folder``'s npm packages exactly as its
    package-lock.json pins them, installed again only when the lock changed; the ``node`` to run."""
    node = ensure_binary("node", "nodejs")
    npm = ensure_binary("npm", "npm")
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".raygram-lock"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        _say(f"installing the npm packages of {folder.name} (npm ci)")
        run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], what=f"npm ci in {folder}", cwd=folder)
        stamp.write_text(wanted)
    return node


def ensure_java() -> str:
    java = shutil.which("java")
    if java is not None:
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        match = re.search(r'version "(\d+)', out)
        if match and int(match.group(1)) >= versions.MIN_JAVA:
            return java
    apt_install("openjdk-17-jre-headless")
    return ensure_binary("java", "openjdk-17-jre-headless")


def java_home(java: str) -> str:
    return str(Path(os.path.realpath(java)).parents[1])


def ensure_service_user() -> str | None:
    """The unprivileged account that runs Elasticsearch when we are root (None: run as ourselves)."""
    if not is_root():
        return None
    if subprocess.run(["id", "-u", SERVICE_USER], capture_output=True).returncode != 0:
        run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            what="creating the service user")
    return SERVICE_USER


def give_to_service_user(path: Path, user: str | None) -> None:
    if user is not None:
        run(["chown", "-R", f"{user}:{user}", str(path)], what=f"chown {path}")


def _staged(final: Path) -> tuple[Path, Path]:
    """A scratch directory beside ``final`` and the marker that says ``final`` is complete."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent)), final / ".complete"


def _publish(stage: Path, final: Path) -> None:
    (stage / ".complete").write_text("ok\n")
    if final.exists():
        shutil.rmtree(final)
    stage.rename(final)
    final.chmod(0o755)


def ensure_neo4j(cache: Path) -> Path:
    """Neo4j Community server jars (org.neo4j:neo4j and its runtime dependencies) → lib dir."""
    final = cache / f"neo4j-{versions.NEO4J}"
    if (final / ".complete").exists():
        return final / "lib"
    mvn = ensure_binary("mvn", "maven")
    ensure_java()
    _say(f"installing Neo4j {versions.NEO4J} jars (Maven Central)")
    stage, _ = _staged(final)
    try:
        run([mvn, "-B", "-q", "-f", str(POM), f"-Dneo4j.version={versions.NEO4J}",
             "dependency:copy-dependencies", "-DincludeScope=runtime",
             f"-DoutputDirectory={stage / 'lib'}"], what="downloading Neo4j jars from Maven Central")
        _publish(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return final / "lib"


def ensure_elasticsearch(cache: Path) -> Path:
    """The Elasticsearch server (integ-test-zip: core modules only) → its home directory."""
    final = cache / f"elasticsearch-{versions.ELASTICSEARCH}"
    if (final / ".complete").exists():
        return final
    mvn = ensure_binary("mvn", "maven")
    ensure_java()
    _say(f"installing Elasticsearch {versions.ELASTICSEARCH} (Maven Central)")
    stage, _ = _staged(final)
    try:
        artifact = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{versions.ELASTICSEARCH}:zip"
        run([mvn, "-B", "-q", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={stage}"],
            what="downloading Elasticsearch from Maven Central")
        archive = stage / f"elasticsearch-{versions.ELASTICSEARCH}.zip"
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                # zipfile drops Unix modes; bin/ scripts and the JDK launchers need them back.
                target = zf.extract(info, stage)
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    os.chmod(target, mode)
        archive.unlink()
        inner = stage / f"elasticsearch-{versions.ELASTICSEARCH}"
        for child in inner.iterdir():
            child.rename(stage / child.name)
        inner.rmdir()
        subprocess.run(["chmod", "-R", "a+rX", str(stage)], check=True)
        _publish(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return final


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise StackError("MinIO is built with Go >= %d.%d, which is not installed (PATH has no `go`)"
                         % versions.MIN_GO)
    out = subprocess.run([go, "version"], capture_output=True, text=True).stdout
    match = re.search(r"go(\d+)\.(\d+)", out)
    if not match or (int(match.group(1)), int(match.group(2))) < versions.MIN_GO:
        raise StackError(f"MinIO needs Go >= {versions.MIN_GO[0]}.{versions.MIN_GO[1]}; found: {out.strip()}")
    return go


def ensure_minio(cache: Path) -> Path:
    """MinIO built from the Go module proxy (takes minutes the first time; cached after)."""
    final = cache / f"minio-{versions.MINIO}"
    binary = final / "minio"
    if (final / ".complete").exists():
        return binary
    go = _go()
    _say(f"building MinIO {versions.MINIO} with go install (a few minutes, once)")
    stage, _ = _staged(final)
    try:
        run([go, "install", f"{versions.MINIO_MODULE}@{versions.MINIO}"], what="building MinIO with go install",
            env={"GOBIN": str(stage), "GOFLAGS": "-buildvcs=false"})
        _publish(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return binary
