"""``retold serve``: a local web UI and HTTP API over an index.

- :mod:`.service`: what the app does with an open :class:`~retold.index.Index` (query,
  documents, families from a scan cached per index state, pairs through
  :mod:`retold.report.data`), independent of HTTP;
- :mod:`.api`: the JSON API and its OpenAPI document;
- :mod:`.pages`: the HTML pages (Jinja2, autoescaped; templates/ and static/ beside it);
- :mod:`.app`: the Starlette app behind a guard (Host check, same-origin check for
  writes, body cap, security headers): :func:`create_app`.

Needs the ``serve`` extra (``pip install retold[serve]``).
"""

from __future__ import annotations

from retold.web.app import build_app, create_app

__all__ = ["create_app", "build_app"]
