"""The review page's local server: 127.0.0.1 only, one static page and a small JSON API.

Routes (anything else is 404; no path in a request ever names a file):

- ``GET /``, ``/review.js``, ``/review.css``: the page, packaged with abstab;
- ``GET /api/state``: reviewer, tables (queue fields, reviewed or not), documents, where to resume;
- ``GET /api/table?id=TABLE_ID``: one table with everything the machine said about it and the
  decisions standing on its units;
- ``GET /api/image?table=TABLE_ID&page=N``: the table's region of page N (rendered once into
  ``WORK/review/cache/``); ``GET /api/evidence?table=TABLE_ID&meaning=ROW,COL&n=K``: the text
  block of that meaning's K-th evidence on its page;
- ``POST /api/decide`` ``{"unit", "id", "decision", "value"}`` and ``POST /api/undo`` ``{}``.

Records are data: the page renders them as text only. Requests must name this server as
``Host`` (a rebound DNS name cannot reach it), and a POST must be JSON from this origin.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import ValidationError

from abstab.decisions import DecisionLog, Key, apply, replay
from abstab.errors import AbstabError
from abstab.records import Decision, Document, Resolution, Table, split_cell_unit
from abstab.release.build import find_pdf
from abstab.review.render import Region, block_region, cache_dir, regions, render
from abstab.review.workspace import ReviewWorkspace, cell_id

STATIC: Final = {"/": ("review.html", "text/html; charset=utf-8"),
                 "/review.js": ("review.js", "text/javascript; charset=utf-8"),
                 "/review.css": ("review.css", "text/css; charset=utf-8")}
MAX_BODY: Final = 64 * 1024
CONTEXT_CHARS: Final = 300  # of the evidence's block shown around the evidence
HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class ReviewApp:
    """The review's state behind the API: the workspace, the decisions standing, and this
    reviewer's order of decisions (for undo)."""

    def __init__(self, work: Path, reviewer: str):
        self.work = Path(work)
        self.reviewer = reviewer
        self.ws = ReviewWorkspace(self.work)
        self.log = DecisionLog(self.work)
        self._lock = threading.Lock()
        decisions = self.log.read()
        self.live = replay(decisions)
        self.history = [d for d in decisions if d.reviewer == reviewer and d.decision != "undo"]
        self.summaries = self.ws.summaries()
        self._pdfs: dict[str, Path | None] = {}

    # -- reading --------------------------------------------------------------------------

    def _standing(self, key: Key) -> Decision | None:
        stack = self.live.get(key)
        return stack[-1] if stack else None

    def reviewed(self, table_id: str) -> bool:
        return self._standing(("table", table_id)) is not None

    def state(self) -> dict[str, Any]:
        with self._lock:
            last = next((d for d in reversed(self.history) if self._is_live(d)), None)
            return {
                "reviewer": self.reviewer,
                "tables": [{"id": s.table_id, "doc": s.doc_id, "label": s.label,
                            "confidence": s.confidence, "abstract": s.n_abstract,
                            "reviewed": self.reviewed(s.table_id)} for s in self.summaries],
                "docs": {d: self._doc_title(d) for d in self.ws.doc_order},
                "resume": self.ws.table_of(*last.key) if last else None,
            }

    def _doc_title(self, doc_id: str) -> str:
        doc: Document = self.ws.documents[doc_id]
        return doc.title or Path(doc.source.replace("\\", "/")).name or doc_id

    def _pdf(self, doc: Document) -> Path | None:
        if doc.doc_id not in self._pdfs:
            self._pdfs[doc.doc_id] = find_pdf(doc, self.work)
        return self._pdfs[doc.doc_id]

    def table(self, table_id: str) -> dict[str, Any]:
        if table_id not in self.ws.tables:
            raise ApiError(HTTPStatus.NOT_FOUND, "no such table")
        t: Table = self.ws.tables[table_id]
        doc: Document = self.ws.documents[t.doc_id]
        j = self.ws.judgments.get(table_id)
        pdf = self._pdf(doc)
        units = list(self.ws.units(table_id))
        with self._lock:
            decisions = {f"{u}|{uid}": _decision_json(d) for u, uid, _ in units
                         if (d := self._standing((u, uid))) is not None}
        headers = self.ws.header_proposals(table_id)
        meanings = self.ws.meaning_proposals(table_id)
        return {
            "id": table_id, "doc": t.doc_id, "doc_title": self._doc_title(t.doc_id),
            "pages": t.pages, "caption": t.caption,
            "notes": [n.text for n in t.notes],
            "label": j.label if j else None, "confidence": j.confidence if j else None,
            "reasons": j.reasons if j else [],
            "pdf": pdf is not None, "source": Path(doc.source.replace("\\", "/")).name,
            "images": [{"url": f"/api/image?table={quote(table_id, safe='')}&page={r.page}",
                        "page": r.page, "clip": r.clip, "scale": r.scale}
                       for r in regions(t, doc)]
            if pdf is not None else [],
            "cells": [{"row": c.row, "col": c.col, "row_span": c.row_span,
                       "col_span": c.col_span, "text": c.text, "header": c.header,
                       "bbox": c.bbox, "page": c.page or t.pages[0]} for c in t.cells],
            "headers": [{"id": uid, **p, "row": c.row, "col": c.col}
                        for c in self.ws.label_cells(table_id)
                        for uid in [cell_id(table_id, c.row, c.col)] for p in [headers[uid]]],
            "meanings": [{"id": uid, **p, "evidence": self._evidence(uid, doc, pdf is not None)}
                         for uid, p in meanings.items()],
            "items": [{"id": iid, **p} for iid, p in self.ws.item_proposals(table_id).items()],
            "decisions": decisions,
        }

    def image(self, table_id: str, page: int) -> bytes:
        """The table's region of one page."""
        if table_id not in self.ws.tables:
            raise ApiError(HTTPStatus.NOT_FOUND, "no such table")
        t: Table = self.ws.tables[table_id]
        doc: Document = self.ws.documents[t.doc_id]
        return self._render(doc, next((r for r in regions(t, doc) if r.page == page), None))

    def evidence_image(self, table_id: str, meaning: str, k: int) -> bytes:
        """The block of a meaning's k-th evidence, where it stands on its page."""
        found = self._resolution(f"{table_id}#{meaning}")
        if found is None or not 0 <= k < len(found.evidence):
            raise ApiError(HTTPStatus.NOT_FOUND, "no such evidence")
        doc: Document = self.ws.documents[found.doc_id]
        return self._render(doc, block_region(doc, found.evidence[k].block_id))

    def _evidence(self, uid: str, doc: Document, pdf: bool) -> list[dict[str, Any]]:
        """A meaning's evidence where it stands: page, section, the text around it, and the
        URL of its block's image when the PDF is there."""
        found = self._resolution(uid)
        return [{**_evidence(e, doc), "image": _evidence_url(uid, k)
                 if pdf and block_region(doc, e.block_id) is not None else None}
                for k, e in enumerate(found.evidence if found else [])]

    def _resolution(self, uid: str) -> Resolution | None:
        where = split_cell_unit(uid)
        if where is None:
            return None
        return self.ws.resolutions_at(where[0]).get(where[1:]) \
            if where[0] in self.ws.tables else None

    def _render(self, doc: Document, region: Region | None) -> bytes:
        pdf = self._pdf(doc)
        if region is None or pdf is None:
            raise ApiError(HTTPStatus.NOT_FOUND, "no image of that")
        return render(pdf, region, cache_dir(self.work)).read_bytes()

    # -- deciding -------------------------------------------------------------------------

    def _is_live(self, d: Decision) -> bool:
        return any(x is d for x in self.live.get(d.key, ()))

    def decide(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"unit", "id", "decision", "value"}:
            raise ApiError(HTTPStatus.BAD_REQUEST, "send {unit, id, decision, value}")
        unit, uid = body.get("unit"), body.get("id")
        if body.get("decision") not in ("accept", "reject", "edit"):
            raise ApiError(HTTPStatus.BAD_REQUEST, "decision is accept, reject or edit")
        try:
            proposal = self.ws.proposal(str(unit), str(uid))
        except KeyError:
            raise ApiError(HTTPStatus.NOT_FOUND, f"no {unit} {uid}") from None
        if proposal is None and body["decision"] != "edit":
            raise ApiError(HTTPStatus.BAD_REQUEST, "nothing proposed to accept or reject")
        try:
            d = Decision.now(unit=unit, id=uid, decision=body["decision"],
                             value=body.get("value"), proposal=proposal, reviewer=self.reviewer)
        except ValidationError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, exc.errors()[0]["msg"]) from None
        with self._lock:
            self.log.append(d)
            apply(self.live, d)
            self.history.append(d)
            return self._after(d.key)

    def undo(self) -> dict[str, Any]:
        """Withdraw this reviewer's latest decision still standing."""
        with self._lock:
            while self.history and not self._is_live(self.history[-1]):
                self.history.pop()
            if not self.history:
                raise ApiError(HTTPStatus.CONFLICT, "nothing to undo")
            last = self.history.pop()
            d = Decision.now(unit=last.unit, id=last.id, decision="undo",
                             reviewer=self.reviewer)
            self.log.append(d)
            apply(self.live, d)
            return self._after(d.key)

    def _after(self, key: Key) -> dict[str, Any]:
        standing = self._standing(key)
        table_id = self.ws.table_of(*key)
        return {"unit": key[0], "id": key[1], "table": table_id,
                "decision": _decision_json(standing) if standing else None,
                "reviewed": self.reviewed(table_id)}


def _evidence_url(uid: str, k: int) -> str:
    table_id, _, cell = uid.rpartition("#")
    return f"/api/evidence?table={quote(table_id, safe='')}&meaning={quote(cell)}&n={k}"


def _decision_json(d: Decision) -> dict[str, Any]:
    return d.model_dump(mode="json", include={"decision", "value", "reviewer", "time"})


def _evidence(e: Any, doc: Document) -> dict[str, Any]:
    """An evidence passage where it stands: its page and section, with the block's text
    around it."""
    block = next((b for b in doc.blocks if b.block_id == e.block_id), None)
    out = {"text": e.text, "page": e.page, "source": e.source, "section": [],
           "before": "", "after": ""}
    if block is not None:
        out.update(page=e.page or block.page, section=block.section)
        if e.char_start is not None and e.char_end is not None and \
                block.char_start <= e.char_start <= e.char_end <= block.char_end:
            start, end = e.char_start - block.char_start, e.char_end - block.char_start
            out.update(text=block.text[start:end],
                       before=block.text[max(0, start - CONTEXT_CHARS):start],
                       after=block.text[end:end + CONTEXT_CHARS])
    return out


def _handler(app: ReviewApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "abstab-review"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows the URL, not every request

        def _send(self, status: HTTPStatus, body: bytes, ctype: str,
                  cache: str | None = None) -> None:
            self.send_response(status)
            for k, v in HEADERS.items():
                self.send_header(k, cache if k == "Cache-Control" and cache else v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: HTTPStatus, data: Any) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode(),
                       "application/json; charset=utf-8")

        def _host_ok(self) -> bool:
            port = self.server.server_address[1]  # type: ignore[index]
            return self.headers.get("Host") in (f"127.0.0.1:{port}", f"localhost:{port}")

        def _run(self, fn: Callable[[], None]) -> None:
            if not self._host_ok():
                self._json(HTTPStatus.FORBIDDEN, {"error": "wrong Host"})
                return
            try:
                fn()
            except ApiError as exc:
                self._json(exc.status, {"error": str(exc)})
            except AbstabError as exc:  # a damaged record: say which, keep serving
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})

        def do_GET(self) -> None:
            self._run(self._get)

        def do_POST(self) -> None:
            self._run(self._post)

        def _get(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path in STATIC and not url.query:
                name, ctype = STATIC[url.path]
                data = resources.files("abstab.review").joinpath(name).read_bytes()
                self._send(HTTPStatus.OK, data, ctype)
            elif url.path == "/api/state":
                self._json(HTTPStatus.OK, app.state())
            elif url.path == "/api/table" and "id" in query:
                self._json(HTTPStatus.OK, app.table(query["id"]))
            elif url.path == "/api/image" and "table" in query and \
                    query.get("page", "").isdigit():
                self._send(HTTPStatus.OK, app.image(query["table"], int(query["page"])),
                           "image/png", cache="private, max-age=86400")
            elif url.path == "/api/evidence" and {"table", "meaning"} <= set(query) and \
                    query.get("n", "").isdigit():
                self._send(HTTPStatus.OK, app.evidence_image(query["table"], query["meaning"],
                                                             int(query["n"])),
                           "image/png", cache="private, max-age=86400")
            else:
                raise ApiError(HTTPStatus.NOT_FOUND, "not found")

        def _post(self) -> None:
            url = urlsplit(self.path)
            origin = self.headers.get("Origin")
            if origin is not None and origin != f"http://{self.headers.get('Host')}":
                raise ApiError(HTTPStatus.FORBIDDEN, "wrong Origin")
            if (self.headers.get("Content-Type") or "").split(";")[0] != "application/json":
                raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json")
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large or empty")
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                raise ApiError(HTTPStatus.BAD_REQUEST, "not JSON") from None
            if url.path == "/api/decide":
                self._json(HTTPStatus.OK, app.decide(body))
            elif url.path == "/api/undo":
                self._json(HTTPStatus.OK, app.undo())
            else:
                raise ApiError(HTTPStatus.NOT_FOUND, "not found")

    return Handler


class ReviewServer(ThreadingHTTPServer):
    """The HTTP server, with the app it serves."""

    daemon_threads = True

    def __init__(self, app: ReviewApp, port: int):
        self.app = app
        super().__init__(("127.0.0.1", port), _handler(app))


def make_server(work: Path, reviewer: str, port: int = 0) -> ReviewServer:
    """The review server of ``work`` on 127.0.0.1:``port`` (0: a free port), not yet serving."""
    server = ReviewServer(ReviewApp(work, reviewer), port)
    # Load the PDF library now, not when the first table asks for its image.
    threading.Thread(target=importlib.import_module, args=("pymupdf",), daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"
