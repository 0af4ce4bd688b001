"""``retold serve``: a local web UI and HTTP API over an index (:mod:`retold.web`).

Registered in :mod:`retold.cli` with ``main.add_command(serve)``.
"""

from __future__ import annotations

import socket
from pathlib import Path

import click

from retold.cli.common import fail_cleanly
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
@fail_cleanly
def serve(db: Path, host: str, port: int, allow_hosts: tuple[str, ...], readonly: bool, max_body: int,
          workers: int) -> None:
    """Start a local web UI and HTTP API over the index at --db (Ctrl-C stops it)."""
    try:
        import uvicorn

        from retold.web import create_app
    except ImportError as exc:
        raise MissingDependency(f"retold serve needs the 'serve' extra: pip install 'retold[serve]' ({exc})") from None
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    app = create_app(db, host=host, port=bound, allow_hosts=allow_hosts, max_body=max_body, readonly=readonly,
                     workers=workers)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"retold serve: http://{shown}:{bound}/ ({db}{', read-only' if readonly else ''}); Ctrl-C stops it")
    config = uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False,
                            h11_max_incomplete_event_size=64 * 1024)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.close()
