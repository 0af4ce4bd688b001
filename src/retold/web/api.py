"""The HTTP API (JSON): query, documents, families, pairs, stats, and its OpenAPI document.

Every input is checked before it reaches the index: a body must be a UTF-8 JSON object
of the documented shape (unknown fields refused), strings may not hold lone surrogates,
numbers are bounded; anything else is a 4xx with ``{"error": message}``. Offsets are code
points (Python string indices), as everywhere in retold's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from retold.web.service import BadInput, Service

#: the longest query text (characters)
MAX_QUERY_CHARS = 2_000_000
#: the most documents in one POST /api/documents
MAX_DOCUMENTS = 10_000
MAX_ID_CHARS = 1_000
MAX_FIELD_CHARS = 10_000
DOC_FIELDS = ("id", "text", "date", "source", "title", "url")


def service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


def check_string(value: Any, name: str, *, limit: int, required: bool = True, empty: bool = True) -> str | None:
    """``value`` as a string field: present (or None when not ``required``), not over ``limit``."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string")
    if len(value) > limit:
        raise BadInput(f"{name} is longer than {limit} characters")
    if not empty and not value.strip():
        raise BadInput(f"{name} must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{name} holds a lone surrogate (not valid Unicode text)") from None
    return value


def check_int(value: Any, name: str, *, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        if not value.strip().lstrip("-").isdigit() or len(value) > 12:
            raise BadInput(f"{name} must be an integer")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be an integer")
    if not lo <= value <= hi:
        raise BadInput(f"{name} must be between {lo} and {hi}")
    return value


def _no_constants(name: str) -> Any:
    raise BadInput(f"{name} is not JSON")


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (415 for another media type, 400 when malformed)."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _raise_unsupported(ctype)
    raw = await request.body()
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    return data


def _raise_unsupported(ctype: str) -> Any:
    from starlette.exceptions import HTTPException

    raise HTTPException(415, f"send application/json, not {ctype}")


def _only(data: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise BadInput(f"unknown field{'s' if len(extra) > 1 else ''} in {what}: {', '.join(map(repr, extra[:5]))}")


def _writable(request: Request) -> None:
    if request.app.state.readonly:
        from starlette.exceptions import HTTPException

        raise HTTPException(403, "this server is read-only (started with --readonly)")


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


# ---------------------------------------------------------------------------- endpoints


async def api_query(request: Request) -> Response:
    data = await json_body(request)
    _only(data, ("text", "limit"), "the query")
    text = check_string(data.get("text"), "text", limit=MAX_QUERY_CHARS)
    limit = check_int(data.get("limit"), "limit", default=10, lo=1, hi=100)
    matches = await run_in_threadpool(service(request).query, text or "", limit)
    return _json({"matches": [m.to_dict() for m in matches]})


def parse_documents(items: Any) -> list[dict[str, Any]]:
    """Records for :meth:`Service.add` from a JSON list (every field checked)."""
    if not isinstance(items, list):
        raise BadInput("documents must be a list")
    if not 1 <= len(items) <= MAX_DOCUMENTS:
        raise BadInput(f"send 1 to {MAX_DOCUMENTS} documents")
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadInput(f"documents[{k}] must be an object")
        _only(item, DOC_FIELDS, f"documents[{k}]")
        rec: dict[str, Any] = {"id": check_string(item.get("id"), f"documents[{k}].id", limit=MAX_ID_CHARS,
                                                   empty=False),
                               "text": check_string(item.get("text"), f"documents[{k}].text", limit=MAX_QUERY_CHARS)}
        for name in ("date", "source", "title", "url"):
            value = check_string(item.get(name), f"documents[{k}].{name}", limit=MAX_FIELD_CHARS, required=False)
            if value is not None:
                rec[name] = value
        out.append(rec)
    return out


def add_report(report: Any) -> dict[str, Any]:
    return {"added": report.added, "replaced": list(report.replaced), "unchanged": report.unchanged,
            "problems": [{"origin": p.origin, "reason": p.reason, "message": p.message} for p in report.problems],
            "documents": report.documents}


async def api_add(request: Request) -> Response:
    _writable(request)
    data = await json_body(request)
    _only(data, ("documents",), "the body")
    records = parse_documents(data.get("documents"))
    report = await run_in_threadpool(service(request).add, records)
    return _json(add_report(report), 201 if report.added or report.replaced else 200)


def _doc_id(request: Request) -> str:
    return check_string(request.path_params["id"], "id", limit=MAX_ID_CHARS) or ""


async def api_document(request: Request) -> Response:
    doc_id = _doc_id(request)
    return _json(await run_in_threadpool(service(request).document, doc_id))


async def api_remove(request: Request) -> Response:
    _writable(request)
    doc_id = _doc_id(request)
    removed = await run_in_threadpool(service(request).remove, doc_id)
    if not removed:
        return _json({"error": f"no document with id {doc_id!r}"}, 404)
    return _json({"removed": removed})


async def api_families(request: Request) -> Response:
    offset = check_int(request.query_params.get("offset"), "offset", default=0, lo=0, hi=10**9)
    limit = check_int(request.query_params.get("limit"), "limit", default=100, lo=1, hi=1000)
    return _json(await run_in_threadpool(service(request).families, offset, limit))


async def api_family(request: Request) -> Response:
    fid = request.path_params["id"]
    if not isinstance(fid, int) or fid > 2**62:
        raise BadInput("a family id is an integer")
    return _json(await run_in_threadpool(service(request).family, fid))


async def api_pair(request: Request) -> Response:
    a = check_string(request.query_params.get("a"), "a", limit=MAX_ID_CHARS)
    b = check_string(request.query_params.get("b"), "b", limit=MAX_ID_CHARS)
    return _json(await run_in_threadpool(service(request).pair, a or "", b or ""))


async def api_stats(request: Request) -> Response:
    return _json(await run_in_threadpool(service(request).stats))


async def openapi(request: Request) -> Response:
    return _json(OPENAPI)


def routes() -> list[Route]:
    return [
        Route("/api/query", api_query, methods=["POST"]),
        Route("/api/documents", api_add, methods=["POST"]),
        Route("/api/documents/{id:path}", api_document, methods=["GET"]),
        Route("/api/documents/{id:path}", api_remove, methods=["DELETE"]),
        Route("/api/families", api_families, methods=["GET"]),
        Route("/api/families/{id:int}", api_family, methods=["GET"]),
        Route("/api/pairs", api_pair, methods=["GET"]),
        Route("/api/stats", api_stats, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


# ---------------------------------------------------------------------------- OpenAPI

_S = {"type": "string"}
_NS = {"type": "string", "nullable": True}
_ERR = {"description": "the request was refused", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_ERRORS = {str(code): _ERR for code in (400, 403, 404, 413, 415, 421)}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{schema}"}}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                      "maxLength": MAX_ID_CHARS}}
_PASSAGE = {"type": "object", "required": ["query_start", "query_end", "doc_start", "doc_end", "score"],
            "properties": {k: {"type": "integer"} for k in ("query_start", "query_end", "doc_start", "doc_end")}
            | {"score": {"type": "number"}}}
_MATCH = {"type": "object", "required": ["id", "relation", "jaccard", "containment_query", "containment_doc",
                                         "shared", "intersection", "chars", "date", "source", "title", "origin",
                                         "passages"],
          "properties": {"id": _S, "relation": _S, "jaccard": {"type": "number"},
                         "containment_query": {"type": "number"}, "containment_doc": {"type": "number"},
                         "shared": {"type": "integer"}, "intersection": {"type": "integer"},
                         "chars": {"type": "integer"}, "date": _NS, "source": _NS, "title": _NS, "origin": _S,
                         "passages": {"type": "array", "nullable": True, "items": _PASSAGE}}}
_DOC_IN = {"type": "object", "required": ["id", "text"], "additionalProperties": False,
           "properties": {"id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS},
                          "text": {"type": "string", "maxLength": MAX_QUERY_CHARS},
                          **{k: {"type": "string", "nullable": True, "maxLength": MAX_FIELD_CHARS}
                             for k in ("date", "source", "title", "url")}}}
_HISTORY = {"type": "object", "properties": {"batch": {"type": "integer"}, "kind": _S, "committed_at": _S,
                                             "added": {"type": "integer"}, "replaced": {"type": "integer"},
                                             "removed": {"type": "integer"}}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "retold serve", "version": "1",
             "description": "Where has this text appeared before? Query, browse and grow a retold index. "
                            "Requests that change something must carry this server's own Origin."},
    "paths": {
        "/api/query": {"post": {
            "summary": "Indexed documents that share text with a text, best first, with aligned passages",
            "requestBody": _body("Query"), "responses": {"200": _ok("Matches"), **_ERRORS}}},
        "/api/documents": {"post": {
            "summary": "Add or replace documents (one transaction per batch)",
            "requestBody": _body("NewDocuments"),
            "responses": {"200": _ok("AddReport", "nothing changed"), "201": _ok("AddReport", "added"),
                          **_ERRORS}}},
        "/api/documents/{id}": {
            "get": {"summary": "A document: fields, text, attributions, documents sharing text with it",
                    "parameters": [_ID_PARAM], "responses": {"200": _ok("Document"), **_ERRORS}},
            "delete": {"summary": "Remove a document", "parameters": [_ID_PARAM],
                       "responses": {"200": _ok("Removed"), **_ERRORS}}},
        "/api/families": {"get": {
            "summary": "Families of reprints, largest first (from a scan cached per index state)",
            "parameters": [
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10**9}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": {"200": _ok("Families"), **_ERRORS}}},
        "/api/families/{id}": {"get": {
            "summary": "One family: members, representative, pairs with directions, lineage",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 2**62}}],
            "responses": {"200": _ok("Family"), **_ERRORS}}},
        "/api/pairs": {"get": {
            "summary": "Two indexed documents compared: scores, passages, word changes",
            "parameters": [{"name": k, "in": "query", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS}}
                           for k in ("a", "b")],
            "responses": {"200": _ok("Pair"), **_ERRORS}}},
        "/api/stats": {"get": {"summary": "Counts, parameters, ingestion history",
                               "responses": {"200": _ok("Stats"), **_ERRORS}}},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": _S}},
        "Query": {"type": "object", "required": ["text"], "additionalProperties": False,
                  "properties": {"text": {"type": "string", "maxLength": MAX_QUERY_CHARS},
                                 "limit": {"type": "integer", "minimum": 1, "maximum": 100}}},
        "Matches": {"type": "object", "required": ["matches"],
                    "properties": {"matches": {"type": "array", "items": _MATCH}}},
        "NewDocuments": {"type": "object", "required": ["documents"], "additionalProperties": False,
                         "properties": {"documents": {"type": "array", "minItems": 1, "maxItems": MAX_DOCUMENTS,
                                                      "items": _DOC_IN}}},
        "AddReport": {"type": "object", "required": ["added", "replaced", "unchanged", "problems", "documents"],
                      "properties": {"added": {"type": "integer"}, "replaced": {"type": "array", "items": _S},
                                     "unchanged": {"type": "integer"}, "documents": {"type": "integer"},
                                     "problems": {"type": "array", "items": {"type": "object", "properties": {
                                         "origin": _S, "reason": _S, "message": _S}}}}},
        "Removed": {"type": "object", "required": ["removed"], "properties": {"removed": {"type": "integer"}}},
        "Document": {"type": "object", "required": ["id", "text", "chars", "attributions", "matches"],
                     "properties": {"id": _S, "text": _S, "chars": {"type": "integer"}, "date": _NS, "source": _NS,
                                    "url": _NS, "title": _NS, "origin": _S, "status": _S,
                                    "batch": {"type": "integer"},
                                    "family": {"type": "integer", "nullable": True},
                                    "attributions": {"type": "array", "items": {"type": "object", "properties": {
                                        "start": {"type": "integer"}, "end": {"type": "integer"},
                                        "source": _S, "cue": _S, "key": _S}}},
                                    "matches": {"type": "array", "items": _MATCH}}},
        "Families": {"type": "object", "required": ["state", "total", "families"],
                     "properties": {"state": {"type": "integer"}, "total": {"type": "integer"},
                                    "offset": {"type": "integer"}, "limit": {"type": "integer"},
                                    "families": {"type": "array", "items": {"type": "object", "properties": {
                                        "id": {"type": "integer"}, "size": {"type": "integer"},
                                        "representative": _S, "representative_title": _NS,
                                        "first_date": _NS, "last_date": _NS,
                                        "sources": {"type": "array", "items": _S},
                                        "titles": {"type": "array", "items": _S}}}}}},
        "Family": {"type": "object", "required": ["id", "representative", "origin", "members", "pairs", "lineage"],
                   "properties": {"state": {"type": "integer"}, "id": {"type": "integer"}, "representative": _S,
                                  "origin": _S,
                                  "members": {"type": "array", "items": {"type": "object", "properties": {
                                      "id": _S, "title": _NS, "date": _NS, "source": _NS,
                                      "chars": {"type": "integer"}, "representative": {"type": "boolean"},
                                      "origin": {"type": "boolean"}, "parent": _NS,
                                      "confidence": {"type": "number", "nullable": True}}}},
                                  "pairs": {"type": "array", "items": {"type": "object"}},
                                  "lineage": {"type": "array", "items": {"type": "object", "properties": {
                                      "parent": _S, "child": _S, "confidence": {"type": "number"}}}}}},
        "Pair": {"type": "object", "required": ["a", "b", "jaccard", "relation", "passages", "changes"],
                 "properties": {"a": _S, "b": _S, "jaccard": {"type": "number"},
                                "containment_a": {"type": "number"}, "containment_b": {"type": "number"},
                                "relation": _S, "shared": {"type": "integer"},
                                "passages": {"type": "array", "items": {"type": "object"}},
                                "changes": {"type": "array", "nullable": True, "items": {"type": "object"}}}},
        "Stats": {"type": "object", "required": ["documents", "batches", "history", "state"],
                  "properties": {"documents": {"type": "integer"}, "batches": {"type": "integer"},
                                 "state": {"type": "integer"},
                                 "history": {"type": "array", "items": _HISTORY},
                                 "scan": {"type": "object", "nullable": True}}},
    }},
}
