"""The services of the local stack: how each is installed, configured, started, probed and stopped.

Each service keeps its config and data in ``<var>/<name>/``, its log in ``<var>/log/<name>.log`` and
its pid in ``<var>/run/<name>.pid``. Config files are rewritten on every start so that changed
settings (ports, heaps) take effect on the next ``raygram stack up``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from core.config import SECRET_NAMES, Settings, read_secrets

from . import installers
from .proc import StackError, http_status, port_open, read_pid, run, spawn, terminate


def ensure_secrets(settings: Settings) -> Settings:
    """Generate the local stack's credentials once (they live beside its data); return settings
    with any secret the environment did not set filled in from them."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    current = read_secrets(settings.var_dir)
    missing = [name for name in SECRET_NAMES if not current.get(name)]
    if missing:
        for name in missing:
            current[name] = ("rg" if name == "s3_access_key" else "") + secrets.token_urlsafe(24)
        path = settings.secrets_file
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(current, indent=2) + "\n")
        tmp.chmod(0o600)
        tmp.replace(path)
    return dataclasses.replace(settings, **{n: getattr(settings, n) or current[n] for n in SECRET_NAMES})


class Service:
    name: str = ""
    start_timeout: float = 120.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.var_dir / self.name
        self.log_file = settings.var_dir / "log" / f"{self.name}.log"
        self.pidfile = settings.var_dir / "run" / f"{self.name}.pid"

    @property
    def port(self) -> int:
        raise NotImplementedError

    def install(self) -> None:
        """Install binaries if missing; idempotent."""

    def healthy(self) -> bool:
        raise NotImplementedError

    def command(self) -> tuple[list[str], dict[str, str], str | None]:
        """Write config files and return (argv, env, run-as user)."""
        raise NotImplementedError

    def pid(self) -> int | None:
        return read_pid(self.pidfile)

    def start(self) -> None:
        argv, env, user = self.command()
        spawn(argv, log=self.log_file, pidfile=self.pidfile, env=env, cwd=self.home, user=user)

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            terminate(pid)
        self.pidfile.unlink(missing_ok=True)


class Redis(Service):
    name = "redis"
    start_timeout = 30.0

    @property
    def port(self) -> int:
        return self.settings.redis_port

    def install(self) -> None:
        installers.ensure_binary("redis-server", "redis-server")

    def healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self):
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        conf = self.home / "redis.conf"
        # AOF with fsync every second: a restart (or crash) keeps sessions, quotas and event logs.
        conf.write_text("\n".join([
            "bind 127.0.0.1",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            f"dir {data}",
            "appendonly yes",
            "appendfsync everysec",
            "save 900 1",
            'logfile ""',
            "",
        ]))
        return [shutil.which("redis-server") or "redis-server", str(conf)], {}, None


class Neo4j(Service):
    name = "neo4j"
    start_timeout = 180.0

    @property
    def port(self) -> int:
        return self.settings.neo4j_bolt_port

    def install(self) -> None:
        self.lib = installers.ensure_neo4j(self.settings.cache_dir)
        self.java = installers.ensure_java()

    def healthy(self) -> bool:
        return http_status(f"http://127.0.0.1:{self.settings.neo4j_http_port}/", timeout=1.0) == 200 \
            and port_open(self.port)

    def _env(self) -> dict[str, str]:
        return {"NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}

    def command(self):
        s = self.settings
        for sub in ("conf", "data", "logs", "run", "plugins", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (self.home / "conf" / "neo4j.conf").write_text("\n".join([
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{s.neo4j_bolt_port}",
            "server.http.enabled=true",
            f"server.http.listen_address=127.0.0.1:{s.neo4j_http_port}",
            "server.https.enabled=false",
            f"server.memory.pagecache.size={s.neo4j_pagecache}",
            "dbms.security.auth_enabled=true",
            "dbms.usage_report.enabled=false",
            f"server.directories.data={self.home / 'data'}",
            f"server.directories.logs={self.home / 'logs'}",
            f"server.directories.run={self.home / 'run'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            f"server.directories.import={self.home / 'import'}",
            # Transaction logs of a local stack need not be kept for days nor preallocated.
            "db.tx_log.rotation.retention_policy=2 files",
            "db.tx_log.rotation.size=64M",
            "db.tx_log.preallocate=false",
            "",
        ]))
        if not (self.home / "data" / "dbms" / "auth.ini").exists():
            # Only effective before the first start: the password then lives in the system database.
            run([self.java, "-cp", f"{self.lib}/*", "org.neo4j.cli.AdminTool", "dbms", "set-initial-password",
                 s.neo4j_password], what="setting the Neo4j password", env=self._env(), log=self.log_file)
        argv = [
            self.java, f"-Xms{s.neo4j_heap}", f"-Xmx{s.neo4j_heap}", "-XX:+UseG1GC",
            "-XX:-OmitStackTraceInFastThrow", "-XX:+DisableExplicitGC",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
            "-Djdk.nio.maxCachedBufferSize=1024", "-Dlog4j2.disable.jmx=true", "-Dfile.encoding=UTF-8",
            "-cp", f"{self.lib}/*", "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}",
        ]
        return argv, self._env(), None


class Elasticsearch(Service):
    name = "elasticsearch"
    start_timeout = 180.0

    @property
    def port(self) -> int:
        return self.settings.es_port

    def install(self) -> None:
        self.es_home = installers.ensure_elasticsearch(self.settings.cache_dir)
        self.java = installers.ensure_java()
        self.user = installers.ensure_service_user()

    def healthy(self) -> bool:
        url = f"http://127.0.0.1:{self.port}/_cluster/health?wait_for_status=yellow&timeout=1s"
        return http_status(url, timeout=3.0) == 200

    def command(self):
        s = self.settings
        conf, data, logs, tmp = (self.home / d for d in ("config", "data", "logs", "tmp"))
        for d in (conf, data, logs, tmp):
            d.mkdir(parents=True, exist_ok=True)
        for item in (self.es_home / "config").iterdir():
            if item.is_file() and not (conf / item.name).exists():
                shutil.copy(item, conf / item.name)
        # The integ-test zip has core modules only; security is off and everything stays on loopback.
        (conf / "elasticsearch.yml").write_text("\n".join([
            "cluster.name: raygram",
            "node.name: raygram-local",
            f"path.data: {data}",
            f"path.logs: {logs}",
            "network.host: 127.0.0.1",
            f"http.port: {s.es_port}",
            f"transport.port: {s.es_transport_port}",
            "discovery.type: single-node",
            "xpack.security.enabled: false",
            "action.destructive_requires_name: false",
            # A dev disk at 90% must not flip indexes read-only under the tests.
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "",
        ]))
        installers.give_to_service_user(self.home, self.user)
        env = {
            "ES_PATH_CONF": str(conf),
            "ES_TMPDIR": str(tmp),
            "ES_JAVA_HOME": installers.java_home(self.java),
            "ES_JAVA_OPTS": f"-Xms{s.es_heap} -Xmx{s.es_heap}",
        }
        return [str(self.es_home / "bin" / "elasticsearch")], env, self.user


class MinIO(Service):
    name = "minio"
    start_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.s3_port

    def install(self) -> None:
        self.binary = installers.ensure_minio(self.settings.cache_dir)

    def healthy(self) -> bool:
        return http_status(f"http://127.0.0.1:{self.port}/minio/health/live", timeout=1.0) == 200

    def command(self):
        s = self.settings
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        env = {
            "MINIO_ROOT_USER": s.s3_access_key,
            "MINIO_ROOT_PASSWORD": s.s3_secret_key,
            "MINIO_UPDATE": "off",
            "MINIO_BROWSER": "off",
        }
        argv = [str(self.binary), "server", str(data), "--quiet",
                "--address", f"127.0.0.1:{s.s3_port}", "--console-address", f"127.0.0.1:{s.s3_console_port}"]
        return argv, env, None


class Ray(Service):
    """A local Ray head; the gateway joins it as a driver, feed-shard actors live in its workers."""
    name = "ray"
    start_timeout = 90.0

    @property
    def port(self) -> int:
        return self.settings.ray_port

    @property
    def ray_bin(self) -> str:
        # The head must run the same Python and Ray as the drivers, i.e. this interpreter's.
        return str(Path(sys.executable).parent / "ray")

    def _env(self) -> dict[str, str]:
        return {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}

    def pid(self) -> int | None:
        # `ray start` daemonises; the GCS server holding our port is the head's pid.
        marker = f"--gcs_server_port={self.port}"
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"gcs_server") and marker.encode() in cmdline:
                return int(entry.name)
        return None

    def healthy(self) -> bool:
        if not port_open(self.port):
            return False
        proc = subprocess.run([self.ray_bin, "health-check", "--address", f"127.0.0.1:{self.port}"],
                              capture_output=True, env={**os.environ, **self._env()}, timeout=30)
        return proc.returncode == 0

    # Ray keeps every session's logs under its temp dir; older sessions than these are pruned.
    KEEP_SESSIONS = 2

    def _prune_sessions(self) -> None:
        sessions = sorted(self.settings.ray_temp_dir.glob("session_2*"), key=lambda p: p.stat().st_mtime)
        for old in sessions[:-self.KEEP_SESSIONS]:
            shutil.rmtree(old, ignore_errors=True)

    def start(self) -> None:
        s = self.settings
        self.home.mkdir(parents=True, exist_ok=True)
        s.ray_temp_dir.mkdir(parents=True, exist_ok=True)
        self._prune_sessions()
        run([self.ray_bin, "start", "--head", f"--port={s.ray_port}", "--node-ip-address=127.0.0.1",
             f"--num-cpus={s.ray_num_cpus}", "--include-dashboard=false", "--disable-usage-stats",
             f"--object-store-memory={s.ray_object_store_bytes}", f"--temp-dir={s.ray_temp_dir}"],
            what="ray start --head", env=self._env(), log=self.log_file, timeout=self.start_timeout)

    def stop(self) -> None:
        if self.pid() is not None:
            run([self.ray_bin, "stop", "--grace-period", "15"], what="ray stop", env=self._env(),
                log=self.log_file)


class Gateway(Service):
    """The aiohttp gateway as a background process (what `make up` leaves serving)."""
    name = "gateway"
    start_timeout = 120.0

    @property
    def port(self) -> int:
        return self.settings.port

    def healthy(self) -> bool:
        return http_status(f"http://{self.settings.host}:{self.port}/readyz", timeout=5.0) == 200

    def command(self):
        self.home.mkdir(parents=True, exist_ok=True)
        return [str(Path(sys.executable).parent / "raygram"), "serve"], {}, None


# Start order: the stores first, Ray next, the gateway (which needs them all) last.
SERVICES: tuple[type[Service], ...] = (Redis, Neo4j, Elasticsearch, MinIO, Ray, Gateway)
BACKING = tuple(cls.name for cls in SERVICES if cls is not Gateway)


def by_name(settings: Settings, names: list[str] | None = None) -> list[Service]:
    known = {cls.name: cls for cls in SERVICES}
    chosen = names or [cls.name for cls in SERVICES]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise StackError(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n](settings) for n in chosen]
