from stack.proc import tail, wait_until


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


