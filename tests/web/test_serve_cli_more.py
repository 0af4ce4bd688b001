"""``retold serve`` stopped with Ctrl-C as a user would: it shuts down, frees its port and
exits like every other retold command (130, ``interrupted``), read-only mode announced."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
from serve_support import db  # noqa: F401 (fixture)

RUN = "import sys; from retold.cli import main; sys.exit(main())"


def test_ctrl_c_stops_the_server_frees_the_port_and_exits_130(db):
    proc = subprocess.Popen([sys.executable, "-c", RUN, "serve", "--db", str(db), "--port", "0", "--readonly"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("retold serve: http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
        assert f"({db}, read-only)" in line
        url = line.split()[2].rstrip("/")
        port = int(url.rsplit(":", 1)[1])
        assert httpx.get(url + "/api/stats").json()["documents"] == 2
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with socket.socket() as s:  # the listening socket was closed (a listener would still refuse this bind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
