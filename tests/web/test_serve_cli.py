"""``retold serve`` as a command: it prints the URL it bound and answers there."""

from __future__ import annotations

import subprocess
import sys

import httpx
from click.testing import CliRunner

from retold.cli.serve import serve
from serve_support import db  # noqa: F401 (fixture)

RUN = "import sys; from retold.cli.serve import serve; sys.exit(serve())"


def test_serve_prints_its_url_and_answers(db):
    proc = subprocess.Popen([sys.executable, "-c", RUN, "--db", str(db), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("retold serve: http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
        url = line.split()[2].rstrip("/")
        r = httpx.get(url + "/api/stats")
        assert r.status_code == 200 and r.json()["documents"] == 2
        assert httpx.get(url + "/").status_code == 200
    finally:
        proc.terminate()
        proc.wait()


def test_serve_refuses_a_missing_index(tmp_path):
    result = CliRunner().invoke(serve, ["--db", str(tmp_path / "none.retold")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_serve_reports_a_port_in_use(db):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        result = CliRunner().invoke(serve, ["--db", str(db), "--port", str(port)])
    assert result.exit_code != 0 and "cannot listen" in result.output


def _start_processes(db, n: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", RUN, "--db", str(db), "--port", "0", "--processes", str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("retold serve: http://127.0.0.1:") and f"{n} processes" in line, \
        (line, proc.stderr.read() if proc.poll() else "")
    return proc, line.split()[2].rstrip("/")


def _wait_gone(pids: list[int]) -> list[int]:
    import psutil

    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=20)
    return [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_serve_processes_share_the_port_and_stop_together(db):
    import psutil

    proc, url = _start_processes(db, 3)
    try:
        children = [c.pid for c in psutil.Process(proc.pid).children()]
        assert len(children) == 2
        for _ in range(12):  # a fresh connection each time: any of the three may answer
            r = httpx.get(url + "/api/stats", headers={"Connection": "close"})
            assert r.status_code == 200 and r.json()["documents"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert _wait_gone(children) == []


def test_serve_processes_die_with_a_killed_parent(db):
    import psutil
    import signal as sig

    proc, url = _start_processes(db, 2)
    children = [c.pid for c in psutil.Process(proc.pid).children()]
    assert len(children) == 1
    proc.send_signal(sig.SIGKILL)
    proc.wait(timeout=30)
    assert _wait_gone(children) == []
