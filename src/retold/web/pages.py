"""The HTML pages: search, families, a family, a document, a pair, the index.

Rendered server-side with Jinja2, autoescaping every value: texts are cut into pieces
(:func:`retold.web.service.segments`) and each piece is written as escaped text inside a
``<span>``/``<a>``, so no document text, id, title or file name is ever markup. The only
script is ``/static/app.js`` (the family graph, drawn from ``/api/families/{id}`` with DOM
text nodes); the pages work without it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from retold.models import Pair
from retold.web.api import MAX_FIELD_CHARS, MAX_ID_CHARS, MAX_QUERY_CHARS, add_report, check_int, check_string
from retold.web.service import BadInput, BodyTooLarge, Service, change_list, marked_pair, pair_data, segments

_PKG = resources.files("retold.web")
#: static files, read once: name -> (bytes, media type); the only files a client can reach
STATIC: dict[str, tuple[bytes, str]] = {
    "app.css": ((_PKG / "static" / "app.css").read_bytes(), "text/css; charset=utf-8"),
    "app.js": ((_PKG / "static" / "app.js").read_bytes(), "text/javascript; charset=utf-8"),
}


def doc_url(doc_id: str) -> str:
    """The page of a document (ids that are dot segments go through a query string)."""
    if doc_id in (".", ".."):
        return "/document?" + urlencode({"id": doc_id})
    return "/documents/" + quote(doc_id, safe="")


def pair_url(a: str, b: str) -> str:
    return "/pairs?" + urlencode({"a": a, "b": b})


_ENV = jinja2.Environment(loader=jinja2.DictLoader({
    name.name: name.read_text(encoding="utf-8") for name in (_PKG / "templates").iterdir() if name.name.endswith(".html")
}), autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.globals.update(doc_url=doc_url, pair_url=pair_url)
_ENV.filters["pct"] = lambda x: "" if x is None else f"{100 * x:.1f}%"


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    html = _ENV.get_template(template).render(**context, path=request.url.path)
    return HTMLResponse(html, status_code=status)


def _service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- search

QUERY_KEY = "your text"


def search_results(service: Service, text: str, limit: int = 10) -> list[dict[str, Any]]:
    """Matches of ``text`` with both sides marked (one rendering of a pair, as on /pairs)."""
    out = []
    matches = service.query(text, limit=limit)
    meta = service.meta([m.id for m in matches])
    for m in matches:
        qkey = QUERY_KEY if m.id != QUERY_KEY else QUERY_KEY + " "
        doc_text = service.text(m.id)
        known = Pair(qkey, m.id, m.jaccard, m.containment_query, m.containment_doc, m.relation, m.shared,
                     m.passages)
        data = pair_data(text, doc_text, qkey, m.id, service.index, None, meta.get(m.id), known)
        left, right = marked_pair(text, doc_text, data, doc_url(m.id), doc_url(m.id))
        out.append({"match": m, "data": data, "left": left, "right": right,
                    "changes": change_list(text, doc_text, data["changes"], limit=40),
                    "n_changes": len(data["changes"] or ())})
    return out


async def _search_page(request: Request, text: str | None, error: str | None = None) -> Response:
    results = None
    if text is not None and error is None:
        if not text.strip():
            error = "paste a text or choose a file"
        else:
            results = await run_in_threadpool(search_results, _service(request), text)
    return render(request, "search.html", {"text": text or "", "results": results, "error": error},
                  status=400 if error and text is not None else 200)


async def home(request: Request) -> Response:
    return await _search_page(request, None)


async def search_get(request: Request) -> Response:
    q = request.query_params.get("q")
    if q is None:
        return await _search_page(request, None)
    try:
        text = check_string(q, "q", limit=MAX_QUERY_CHARS)
    except BadInput as exc:
        return await _search_page(request, "", str(exc))
    return await _search_page(request, text)


async def _form(request: Request) -> Any:
    max_body = request.app.state.max_body
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise HTTPException(415, "send a form (multipart/form-data or application/x-www-form-urlencoded)")
    try:
        return await request.form(max_files=1, max_fields=10, max_part_size=max_body)
    except (HTTPException, BodyTooLarge):
        raise
    except Exception as exc:  # a malformed multipart body
        raise BadInput(f"the form cannot be read ({type(exc).__name__})") from None


async def _file_text(upload: UploadFile) -> str:
    data = await upload.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the file is not UTF-8 text") from None


async def search_post(request: Request) -> Response:
    form = await _form(request)
    upload = form.get("file")
    text = form.get("q")
    if isinstance(upload, UploadFile) and upload.filename:
        text = await _file_text(upload)
    if not isinstance(text, str):
        text = ""
    try:
        check_string(text, "the text", limit=MAX_QUERY_CHARS)
    except BadInput as exc:
        return await _search_page(request, "", str(exc))
    return await _search_page(request, text)


# ---------------------------------------------------------------------------- families, documents, pairs


async def families_page(request: Request) -> Response:
    page = check_int(request.query_params.get("page"), "page", default=1, lo=1, hi=10**6)
    size = 50
    data = await run_in_threadpool(_service(request).families, (page - 1) * size, size)
    pages = max(1, -(-data["total"] // size))
    return render(request, "families.html", {"data": data, "page": page, "pages": pages})


async def family_page(request: Request) -> Response:
    fid = request.path_params["id"]
    if fid > 2**62:
        raise BadInput("a family id is an integer")
    data = await run_in_threadpool(_service(request).family, fid)
    return render(request, "family.html", {"f": data})


def document_view(service: Service, doc_id: str) -> dict[str, Any]:
    data = service.document(doc_id)
    text = data["text"]
    spans: list[tuple[int, int, str, str | None]] = []
    for k, m in enumerate(data["matches"]):
        for p in m["passages"] or ():
            spans.append((p["query_start"], p["query_end"], f"p p{k % 8}", pair_url(doc_id, m["id"])))
    for a in data["attributions"]:
        spans.append((a["start"], a["end"], "attr", None))
    return {"d": data, "segments": segments(text, spans)}


async def document_page(request: Request) -> Response:
    doc_id = check_string(request.path_params["id"], "id", limit=MAX_ID_CHARS) or ""
    return render(request, "document.html", await run_in_threadpool(document_view, _service(request), doc_id))


async def document_by_query(request: Request) -> Response:
    doc_id = check_string(request.query_params.get("id"), "id", limit=MAX_ID_CHARS) or ""
    return render(request, "document.html", await run_in_threadpool(document_view, _service(request), doc_id))


def pair_view(service: Service, a: str, b: str) -> dict[str, Any]:
    data = service.pair(a, b)
    ta, tb = service.text(a), service.text(b)
    left, right = marked_pair(ta, tb, data, doc_url(b), doc_url(a))
    meta = service.meta([a, b])
    return {"p": data, "left": left, "right": right, "ma": meta[a], "mb": meta[b],
            "changes": change_list(ta, tb, data["changes"]), "n_changes": len(data["changes"] or ())}


async def pair_page(request: Request) -> Response:
    a = check_string(request.query_params.get("a"), "a", limit=MAX_ID_CHARS) or ""
    b = check_string(request.query_params.get("b"), "b", limit=MAX_ID_CHARS) or ""
    return render(request, "pair.html", await run_in_threadpool(pair_view, _service(request), a, b))


# ---------------------------------------------------------------------------- the index


async def index_page(request: Request) -> Response:
    stats = await run_in_threadpool(_service(request).overview)
    return render(request, "index.html", {"s": stats, "added": None, "readonly": request.app.state.readonly,
                                          "histogram": _histogram(stats["scan"])})


def _histogram(scan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Bars of the Jaccard histogram as SVG geometry (no inline style: the CSP forbids it)."""
    if not scan:
        return []
    bins = scan["jaccard_histogram"]
    top = max(bins) or 1
    return [{"x": 10 + 40 * k, "h": round(120 * n / top), "y": 130 - round(120 * n / top), "n": n,
             "label": f"{k / 10:.1f}"} for k, n in enumerate(bins)]


def upload_records(name: str, body: str) -> list[dict[str, Any]]:
    """Records of an uploaded file: JSON Lines (``.jsonl``), else one text whose id is the file name.

    A file name is only ever an id (never a path here); JSONL fields other than id, text,
    date, source, title and url are dropped.
    """
    if name.lower().endswith((".jsonl", ".ndjson")):
        out = []
        for n, line in enumerate(body.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (ValueError, RecursionError):
                raise BadInput(f"line {n} is not JSON") from None
            if not isinstance(item, dict):
                raise BadInput(f"line {n} is not a JSON object")
            rec: dict[str, Any] = {"id": check_string(item.get("id"), f"line {n}: id", limit=MAX_ID_CHARS,
                                                       empty=False),
                                   "text": check_string(item.get("text"), f"line {n}: text", limit=MAX_QUERY_CHARS)}
            for k in ("date", "source", "title", "url"):
                v = item.get(k)
                if v is not None:
                    rec[k] = check_string(v, f"line {n}: {k}", limit=MAX_FIELD_CHARS)
            out.append(rec)
        if not out:
            raise BadInput("the file holds no records")
        return out
    doc_id = name.replace("\\", "/").rsplit("/", 1)[-1]
    check_string(doc_id, "the file name", limit=MAX_ID_CHARS, empty=False)
    return [{"id": doc_id, "text": check_string(body, "the text", limit=MAX_QUERY_CHARS)}]


async def index_add(request: Request) -> Response:
    if request.app.state.readonly:
        raise HTTPException(403, "this server is read-only (started with --readonly)")
    form = await _form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadInput("choose a .jsonl or .txt file to add")
    records = upload_records(upload.filename, await _file_text(upload))
    service = _service(request)
    report = await run_in_threadpool(service.add, records)
    stats = await run_in_threadpool(service.overview)
    return render(request, "index.html", {"s": stats, "added": add_report(report), "file": upload.filename,
                                          "readonly": request.app.state.readonly,
                                          "histogram": _histogram(stats["scan"])})


async def static(request: Request) -> Response:
    found = STATIC.get(request.path_params["name"])
    if found is None:
        raise HTTPException(404, "no such file")
    return Response(found[0], media_type=found[1])


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/search", search_get, methods=["GET"]),
        Route("/search", search_post, methods=["POST"]),
        Route("/families", families_page, methods=["GET"]),
        Route("/families/{id:int}", family_page, methods=["GET"]),
        Route("/documents/{id:path}", document_page, methods=["GET"]),
        Route("/document", document_by_query, methods=["GET"]),
        Route("/pairs", pair_page, methods=["GET"]),
        Route("/index", index_page, methods=["GET"]),
        Route("/index/add", index_add, methods=["POST"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]
