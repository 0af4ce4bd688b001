"""``retold serve``: a local web UI and HTTP API over an index (:mod:`retold.web`).

Registered in :mod:`retold.cli` with ``main.add_command(serve)``.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import click

from retold.cli.common import fail_cleanly
from retold.engines.local.parallel import die_with_parent
from retold.errors import MissingDependency


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), made before the server starts
    so that the URL printed is the one bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help="The index file to serve.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the index to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: a free one).")
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="Another Host name the app answers to (e.g. this machine's name when --host 0.0.0.0).")
@click.option("--readonly", is_flag=True, help="Serve without adding or removing documents.")
@click.option("--max-body", type=click.IntRange(1024), default=16 * 1024 * 1024, show_default=True,
              help="Largest request body accepted (bytes); larger ones get 413.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Worker processes for adding documents and scanning for families.")
@click.option("--processes", type=click.IntRange(1), default=1, show_default=True,
              help="Server processes answering on the same port, each with the index open (queries are "
                   "CPU-bound: one per core).")
@fail_cleanly
def serve(db: Path, host: str, port: int, allow_hosts: tuple[str, ...], readonly: bool, max_body: int,
          workers: int, processes: int) -> None:
    """Start a local web UI and HTTP API over the index at --db (Ctrl-C stops it)."""
    try:
        import uvicorn

        from retold.web import create_app
    except ImportError as exc:
        raise MissingDependency(f"retold serve needs the 'serve' extra: pip install 'retold[serve]' ({exc})") from None
    sock = bind(host, port)
    bound = sock.getsockname()[1]

    def run() -> None:
        """One server process: its own app and index connection, on the shared socket."""
        app = create_app(db, host=host, port=bound, allow_hosts=allow_hosts, max_body=max_body, readonly=readonly,
                         workers=workers)
        config = uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False,
                                h11_max_incomplete_event_size=64 * 1024)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            app.close()

    children: list[int] = []
    try:
        for _ in range(processes - 1):
            children.append(_fork_server(run))
        shown = f"[{host}]" if ":" in host else host
        more = f", {processes} processes" if processes > 1 else ""
        click.echo(f"retold serve: http://{shown}:{bound}/ ({db}{', read-only' if readonly else ''}{more}); "
                   "Ctrl-C stops it")
        run()
    finally:
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
        sock.close()


def _fork_server(run: Callable[[], None]) -> int:
    """Fork a process that runs ``run`` and exits (dying with this one); its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        die_with_parent(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        run()
    except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
        code = 1
    finally:
        os._exit(code)
