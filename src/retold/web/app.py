"""The ASGI application: routes of :mod:`.pages` and :mod:`.api` behind one guard.

:class:`Guard` (pure ASGI, outermost) does, for every request:

* **Host check**: the ``Host`` header must name this server (``127.0.0.1``, ``localhost``,
  ``[::1]``, the bound host and any ``allow_hosts``; with the port when one is given),
  else 421 (a DNS-rebinding page cannot talk to the app);
* **same origin** for every request that can change something (any method but GET,
  HEAD, OPTIONS): the ``Origin`` header, or without one the ``Referer``, must be this
  server's own origin, else 403. Scripts send ``Origin: http://HOST:PORT`` (the API
  error says so);
* **body cap**: a ``Content-Length`` over the cap is refused with 413 before anything is
  read; a body without one is counted as it streams and refused at the cap (it is never
  read whole into memory);
* **headers** on every response: a Content-Security-Policy with scripts and styles from
  ``'self'`` only (no inline script), ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  same-origin``, ``Cache-Control: no-store``.

Errors are JSON ``{"error": message}`` under ``/api/`` and a small HTML page elsewhere.
No path a client sends reaches the filesystem: static files are read from the package
into memory at start and served by name from a dict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retold.errors import IndexFormatError, InputError, RetoldError
from retold.index import Index
from retold.web.service import BadInput, BodyTooLarge, NotFound, Service

#: default cap on a request body (bytes)
MAX_BODY = 16 * 1024 * 1024
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


def _split_host(value: str) -> tuple[str, int | None] | None:
    """(lowercased host name, port or None) of a Host header or URL netloc; None when malformed."""
    value = value.strip().lower()
    if not value or any(c in value for c in "/@?#\\ \t"):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, _, port = value.partition(":")
        rest = f":{port}" if _ else ""
    if rest:
        if not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6:
            return None
        return name, int(rest[1:])
    return name, None


class Guard:
    """Host check, same-origin check, body cap and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str], port: int | None, max_body: int) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.port = port
        self.max_body = max_body

    def host_ok(self, host: str | None) -> bool:
        parsed = _split_host(host or "")
        if parsed is None:
            return False
        name, port = parsed
        if name not in self.hosts:
            return False
        return port is None or self.port is None or port == self.port

    def origin_ok(self, origin: str, host: str) -> bool:
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower() and self.host_ok(parts.netloc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        api = scope["path"].startswith("/api/") or scope["path"] == "/openapi.json"

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                hs = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(SECURITY_HEADERS)]
                message = {**message, "headers": hs + SECURITY_HEADERS}
            await send(message)

        host = headers.get("host", "")
        if not self.host_ok(host):
            await _error(secured, 421, "this server does not answer to that Host name", api)
            return
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            referer = headers.get("referer")
            if origin is not None and origin != "null":
                ok = self.origin_ok(origin, host)
            elif referer:
                ok = self.origin_ok(referer, host) if urlsplit(referer).netloc else False
            else:
                ok = False
            if not ok:
                await _error(secured, 403, f"cross-origin request refused: send 'Origin: http://{host}' "
                                           "(requests that change something must come from this server's pages)", api)
                return
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _error(secured, 400, "bad Content-Length", api)
                return
            if int(length) > self.max_body:
                await _error(secured, 413, f"request body over {self.max_body} bytes", api)
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await secured(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _error(secured, 413, f"request body over {self.max_body} bytes", api)


async def _error(send: Send, status: int, message: str, api: bool) -> None:
    if api:
        body = json.dumps({"error": message}).encode()
        ctype = b"application/json"
    else:
        from html import escape

        body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title></head>"
                f"<body><h1>{status}</h1><p>{escape(message)}</p></body></html>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    from retold.web.pages import render

    return render(request, "error.html", {"status": status, "message": message}, status=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    response = error_response(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, str(exc.args[0]) if exc.args else "not found")


async def _bad_input(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, str(exc.args[0]) if exc.args else "bad request")


async def _retold_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, IndexFormatError):
        return error_response(request, 500, str(exc))
    status = 400 if isinstance(exc, InputError) else 500
    return error_response(request, status, str(exc))


async def _too_large(request: Request, exc: Exception) -> Response:
    response = error_response(request, 413, f"request body over {request.app.state.max_body} bytes")
    response.headers["connection"] = "close"
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 500, f"internal error ({type(exc).__name__})")


def build_app(service: Service, *, hosts: Iterable[str] = (), port: int | None = None, max_body: int = MAX_BODY,
              readonly: bool = False, on_close: Any = None) -> ASGIApp:
    """The guarded app over ``service`` (see :func:`create_app` for the usual way in)."""
    from retold.web.api import routes as api_routes
    from retold.web.pages import routes as page_routes

    app = Starlette(routes=[*api_routes(), *page_routes()], exception_handlers={
        HTTPException: _http_error, BodyTooLarge: _too_large, NotFound: _not_found, BadInput: _bad_input, RetoldError: _retold_error,
        Exception: _server_error})
    app.state.service = service
    app.state.readonly = readonly
    app.state.max_body = max_body
    guard = Guard(app, hosts=[*LOCAL_NAMES, *hosts], port=port, max_body=max_body)
    guard.close = on_close or (lambda: None)  # type: ignore[attr-defined]
    return guard


def create_app(db: str | Path, *, host: str = "127.0.0.1", port: int | None = None, allow_hosts: Iterable[str] = (),
               max_body: int = MAX_BODY, readonly: bool = False, workers: int = 1) -> ASGIApp:
    """Open the index at ``db`` and make the app serving it on ``host:port``.

    ``allow_hosts``: more Host names the app answers to (e.g. a LAN name when bound to
    0.0.0.0). ``readonly``: refuse additions and removals (403). The index stays open for
    the app's life (not tied to the ASGI lifespan, which test clients run once per use);
    ``app.close()`` closes it.
    """
    index = Index.open(db, readonly=readonly)
    hosts = [*allow_hosts]
    if host not in ("0.0.0.0", "::", ""):
        hosts.append(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    return build_app(Service(index, workers=workers), hosts=hosts, port=port, max_body=max_body, readonly=readonly,
                     on_close=index.close)
