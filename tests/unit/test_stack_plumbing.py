import os
import stat

import pytest

from stack.private_files import make_private_dir, scrub, write_private
from stack.proc import REDACTED, StackError, pid_alive, redact, run, spawn, tail, wait_until
from stack.services import picocli_quoted


def test_tail_returns_the_last_lines_of_a_log(tmp_path):
    log = tmp_path / "svc.log"
    log.write_text("\n".join(f"line {i}" for i in range(100)))
    assert tail(log, 3).splitlines() == ["line 97", "line 98", "line 99"]


def test_tail_of_a_missing_log_says_so(tmp_path):
    assert "no log" in tail(tmp_path / "absent.log")


def test_wait_until_gives_up_early_when_the_process_died():
    calls = []
    assert wait_until(lambda: calls.append(1) and False, timeout=30, interval=0.01, alive=lambda: False) is False
    assert len(calls) <= 2




def test_redact_masks_every_secret_in_a_command_line():
    line = redact("java AdminTool set-initial-password hunter22 --key s3cr3t", ["hunter22", "s3cr3t", ""])
    assert "hunter22" not in line and "s3cr3t" not in line and line.count(REDACTED) == 2


def test_run_writes_no_secret_to_its_log_nor_its_error(tmp_path):
    log = tmp_path / "log" / "svc.log"
    run(["echo", "pw=hunter22"], what="echo", log=log, secrets=["hunter22"])
    with pytest.raises(StackError) as failed:
        run(["sh", "-c", "echo hunter22; exit 3", "hunter22"], what="failing", log=log, secrets=["hunter22"])
    assert "hunter22" not in log.read_text() and "hunter22" not in str(failed.value)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_spawn_writes_no_secret_to_its_log(tmp_path):
    log, pidfile = tmp_path / "svc.log", tmp_path / "svc.pid"
    pid = spawn(["sh", "-c", "exit 0", "hunter22"], log=log, pidfile=pidfile, secrets=["hunter22"])
    # Not os.waitpid: the subprocess module may reap the child first (spawn drops its Popen).
    assert wait_until(lambda: not pid_alive(pid), timeout=10, interval=0.01)
    assert "starting:" in log.read_text() and "hunter22" not in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_private_file_is_0600_and_an_existing_one_can_win(tmp_path):
    assert write_private(tmp_path / "token", b"first", replace=False)
    assert not write_private(tmp_path / "token", b"second", replace=False)
    assert (tmp_path / "token").read_bytes() == b"first"
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
    assert write_private(tmp_path / "secrets.json", b"{}")
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.json", "token"]   # no temporary file left


def test_a_private_dir_is_tightened_to_0700(tmp_path):
    loose = tmp_path / "var"
    loose.mkdir(mode=0o755)
    make_private_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_scrub_masks_secrets_in_place_keeping_the_log_length(tmp_path):
    log = tmp_path / "neo4j.log"
    log.write_text("$ java AdminTool set-initial-password hunter22\nok hunter22\n")
    size = log.stat().st_size
    assert scrub(log, ["hunter22"]) == 2
    assert "hunter22" not in log.read_text() and log.stat().st_size == size


def test_the_neo4j_password_argument_file_quotes_what_picocli_would_split():
    assert picocli_quoted('pl ain') == '"pl ain"'
    assert picocli_quoted('a"b\\c#d') == '"a\\"b\\\\c#d"'


def test_a_daemon_started_by_run_leaves_the_callers_process_group(tmp_path):
    """`ray start` leaves daemons behind; a Ctrl-C or `timeout` ending `make test` must not take
    them along (it once stopped the Ray head mid-suite)."""
    pidfile = tmp_path / "daemon.pid"
    run(["sh", "-c", f"sleep 30 >/dev/null 2>&1 & echo $! > {pidfile}"], what="daemon", new_session=True)
    pid = int(pidfile.read_text())
    try:
        assert os.getpgid(pid) != os.getpgid(0)
    finally:
        os.kill(pid, 9)


def test_a_service_whose_port_never_opens_is_replaced(tmp_path, capsys):
    import subprocess
    import sys

    from stack import manager
    from stack.gateway_process import free_port
    from stack.proc import port_open
    from stack.services import Service

    port = free_port()

    class Stuck(Service):
        """A process that holds no port (like a head hung in shutdown) until it is restarted."""
        name, stuck_after_s, start_timeout = "stuck", 0.5, 10.0
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

        @property
        def port(self):
            return port

        def pid(self):
            return self.proc.pid if self.proc.poll() is None else None

        def healthy(self):
            return port_open(port)

        def stop(self):
            self.proc.kill()
            self.proc.wait()

        def start(self):
            Stuck.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    svc = Stuck.__new__(Stuck)
    svc.name, svc.log_file = "stuck", tmp_path / "stuck.log"
    waiting: list = []
    try:
        manager._start_if_needed(svc, waiting)
        manager._wait_healthy(svc)
        assert "holds no port; replacing it" in capsys.readouterr().out
    finally:
        Stuck.proc.kill()


def test_the_supervisor_heals_a_service_only_after_it_failed_rounds_in_a_row():
    from stack.supervisor import due

    strikes, heal = due({}, {"redis": True, "minio": False})
    assert strikes == {"redis": 0, "minio": 1} and heal == []
    strikes, heal = due(strikes, {"redis": True, "minio": False})
    assert heal == ["minio"]
    # A probe that failed once, then passed, starts counting again.
    strikes, heal = due({"redis": 1}, {"redis": True})
    assert strikes == {"redis": 0} and heal == []
