"""The services of the local stack: how each is installed, configured, started, probed and stopped.

Each service keeps its config and data in ``<var>/<name>/``, its log in ``<var>/log/<name>.log`` and
its pid in ``<var>/run/<name>.pid``. Config files are rewritten on every start so that changed
settings (ports, heaps) take effect on the next ``raygram stack up``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from core import ray_env
from core.config import SECRET_NAMES, Settings, read_secrets

from . import installers, ray_procs
from .private_files import PRIVATE_FILE, make_private_dir, write_private
from .proc import StackError, http_status, port_open, read_pid, run, spawn, terminate


def secure_var_dir(settings: Settings) -> None:
    """``var/`` and its logs readable by the stack's user only. As root, the user Elasticsearch
    runs as (once it exists) may pass through ``var/`` to its own directory, so every other
    directory of ours in there is closed too (Redis' sessions, Neo4j's store, the media)."""
    service_user = installers.SERVICE_USER if installers.is_root() else None
    make_private_dir(settings.var_dir, group_of=service_user)
    make_private_dir(settings.var_dir / "log")
    for child in settings.var_dir.iterdir():
        # Ray opens its temp dir to everyone (0777) on every start; the others stay as set here.
        if child.is_dir() and not child.is_symlink() and child.stat().st_uid == os.geteuid():
            child.chmod(0o700)


def ensure_secrets(settings: Settings) -> Settings:
    """Generate the local stack's credentials once (they live beside its data, 0600) and Ray's
    token; return settings with any secret the environment did not set filled in from them."""
    secure_var_dir(settings)
    current = read_secrets(settings.var_dir)
    missing = [name for name in SECRET_NAMES if not current.get(name)]
    if missing:
        for name in missing:
            current[name] = ("rg" if name == "s3_access_key" else "") + secrets.token_urlsafe(24)
        write_private(settings.secrets_file, (json.dumps(current, indent=2) + "\n").encode())
    else:
        settings.secrets_file.chmod(PRIVATE_FILE)   # one written by an older Raygram
    ensure_ray_token(settings)
    return dataclasses.replace(settings, **{n: getattr(settings, n) or current[n] for n in SECRET_NAMES})


def ensure_ray_token(settings: Settings) -> None:
    """Ray's cluster token, generated on first start (256 random bits, as `ray get-auth-token
    --generate` makes them) straight into a 0600 file; never printed."""
    path = settings.ray_token_file
    if path.exists():
        path.chmod(PRIVATE_FILE)
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(path, secrets.token_hex(32).encode(), replace=False)


def picocli_quoted(value: str) -> str:
    """``value`` as one argument of a picocli argument file (what Neo4j's admin tool reads
    ``@file`` arguments with): double-quoted, backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Service:
    name: str = ""
    start_timeout: float = 120.0
    # A running process whose port is still closed this long after `stack up` looks is stuck
    # and replaced; None for services whose port legitimately opens late (JVMs warming up).
    stuck_after_s: float | None = None

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

    def outdated(self) -> str | None:
        """Why the running instance must be restarted to match this code (None: it need not)."""
        return None

    def start(self) -> None:
        argv, env, user = self.command()
        spawn(argv, log=self.log_file, pidfile=self.pidfile, env=env, cwd=self.home, user=user,
              secrets=self.settings.secret_values())

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
            # Full means refusing writes (a 503 naming redis), never evicting: every key here is
            # durable or bounded by its own TTL, and a volatile-* policy would drop sessions,
            # tokens and event logs first since they carry TTLs (README "Configuration").
            f"maxmemory {self.settings.redis_maxmemory_bytes}",
            "maxmemory-policy noeviction",
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
            self.set_initial_password()
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

    def set_initial_password(self) -> None:
        """The admin tool reads the password from a 0600 argument file (picocli expands
        ``@file``), so it is on no command line that `ps` or a log would show."""
        argfile = self.home / "conf" / ".initial-password"
        write_private(argfile, (picocli_quoted(self.settings.neo4j_password) + "\n").encode())
        try:
            run([self.java, "-cp", f"{self.lib}/*", "org.neo4j.cli.AdminTool", "dbms", "set-initial-password",
                 f"@{argfile}"], what="setting the Neo4j password", env=self._env(), log=self.log_file,
                secrets=self.settings.secret_values())
        finally:
            argfile.unlink(missing_ok=True)


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
        secure_var_dir(self.settings)   # the service user exists now: let it reach its directory
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


# Every port a Ray head listens on, as its offset from RAYGRAM_RAY_PORT (the GCS): one block of
# ten, so a firewall rule or a port scan knows exactly what is Ray's. Worker processes (each
# actor, task worker and driver) take one port each from RAYGRAM_RAY_MIN/MAX_WORKER_PORT.
RAY_HEAD_PORTS = {"--port": 0, "--ray-client-server-port": 3}
RAY_NODE_PORTS = {                        # every node has these (a worker node too)
    "--node-manager-port": 1,             # the raylet
    "--object-manager-port": 2,
    "--dashboard-agent-listen-port": 4,   # HTTP: the job API lives here
    "--dashboard-agent-grpc-port": 5,
    "--metrics-export-port": 6,
    "--runtime-env-agent-port": 7,
}
RAY_HEAD_ENV_PORTS = {"AUTOSCALER_METRIC_PORT": 8, "DASHBOARD_METRIC_PORT": 9}   # no flags for these
RAY_PORT_BLOCK = 10


def ray_node_port_flags(base: int, min_worker_port: int, max_worker_port: int) -> list[str]:
    """`ray start` flags pinning one node's ports to ``base``+offset and its workers' range."""
    return [f"{flag}={base + offset}" for flag, offset in RAY_NODE_PORTS.items()] + \
        [f"--min-worker-port={min_worker_port}", f"--max-worker-port={max_worker_port}"]


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def ray_head_argv(settings: Settings, ray_bin: str = "ray") -> list[str]:
    s = settings
    return [ray_bin, "start", "--head", *(f"{flag}={s.ray_port + offset}" for flag, offset in RAY_HEAD_PORTS.items()),
            *ray_node_port_flags(s.ray_port, s.ray_min_worker_port, s.ray_max_worker_port),
            f"--node-ip-address={s.ray_node_ip}", f"--num-cpus={s.ray_num_cpus}", "--include-dashboard=false",
            "--disable-usage-stats", f"--object-store-memory={s.ray_object_store_bytes}",
            f"--temp-dir={s.ray_temp_dir}"]


def ray_head_env(settings: Settings) -> dict[str, str]:
    """The head's variables: token auth, the ports without flags, and loopback taken literally
    when the head is to stay on it (see core.ray_env.LITERAL_LOOPBACK)."""
    return {
        **ray_env.node_env(settings),
        "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
        **{var: str(settings.ray_port + offset) for var, offset in RAY_HEAD_ENV_PORTS.items()},
        ray_env.LITERAL_LOOPBACK: "0" if is_loopback(settings.ray_node_ip) else "1",
    }


def _proc_strings(pid: int, name: str) -> list[bytes]:
    try:
        return (Path("/proc") / str(pid) / name).read_bytes().split(b"\0")
    except OSError:
        return []


class Ray(Service):
    """A local Ray head; the gateway joins it as a driver, feed-shard actors live in its workers."""
    name = "ray"
    # `ray start` returns only once the GCS listens: a head process without its port is stuck.
    stuck_after_s = 20.0
    start_timeout = 90.0

    @property
    def port(self) -> int:
        return self.settings.ray_port

    @property
    def ray_bin(self) -> str:
        # The head must run the same Python and Ray as the drivers, i.e. this interpreter's.
        return str(Path(sys.executable).parent / "ray")

    def _env(self) -> dict[str, str]:
        return ray_head_env(self.settings)

    def pid(self) -> int | None:
        # `ray start` daemonises; the GCS server holding our port is the head's pid.
        marker = f"--gcs_server_port={self.port}"
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            cmdline = _proc_strings(int(entry.name), "cmdline")
            if cmdline and cmdline[0].endswith(b"gcs_server") and marker.encode() in cmdline:
                return int(entry.name)
        return None

    def healthy(self) -> bool:
        if not port_open(self.port):
            return False
        proc = subprocess.run([self.ray_bin, "health-check", "--address", f"127.0.0.1:{self.port}"],
                              capture_output=True, env=ray_env.client_environ(self.settings), timeout=30)
        return proc.returncode == 0

    def outdated(self) -> str | None:
        """A head started without token authentication (by an older Raygram) is replaced. (One
        started by the cluster launcher with the token, on the host's address, is kept.)"""
        pid = self.pid()
        if pid is not None and b"RAY_AUTH_MODE=token" not in _proc_strings(pid, "environ"):
            return "running without token authentication"
        return None

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
        if self.pid() is None:
            # A head whose GCS was killed leaves its raylet and workers behind for up to a minute,
            # and `ray start` refuses to start beside them ("already running"). Only this stack's
            # (stack/ray_procs.py): `ray stop --force` would kill every Ray process of the user.
            ray_procs.kill(ray_procs.stack_ray_pids(s.ray_temp_dir))
        run(ray_head_argv(s, self.ray_bin), what="ray start --head", env=self._env(), log=self.log_file,
            timeout=self.start_timeout, secrets=s.secret_values(), new_session=True)

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
        # /readyz covers the backing services and whether the Mastodon listener holds its address;
        # asking that address too proves it answers.
        s = self.settings
        if http_status(f"http://{s.host}:{self.port}/readyz", timeout=5.0) != 200:
            return False
        return not s.mastodon_port or http_status(f"http://{s.mastodon_host}:{s.mastodon_port}/health") == 200

    def command(self):
        self.home.mkdir(parents=True, exist_ok=True)
        return [str(Path(sys.executable).parent / "raygram"), "serve"], {}, None


# Start order: the stores first, Ray next, the gateway (which needs them all) last.
SERVICES: tuple[type[Service], ...] = (Redis, Neo4j, Elasticsearch, MinIO, Ray, Gateway)
BACKING = tuple(cls.name for cls in SERVICES if cls is not Gateway)
ALL = tuple(cls.name for cls in SERVICES)


def by_name(settings: Settings, names: list[str] | None = None) -> list[Service]:
    known = {cls.name: cls for cls in SERVICES}
    chosen = names or [cls.name for cls in SERVICES]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise StackError(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n](settings) for n in chosen]
