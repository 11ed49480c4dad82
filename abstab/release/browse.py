"""browse.html: one static page (no server, no network) to read a release's items.

The items it shows, their tables and evidence passages are embedded in the page as JSON; the
page's script (``browse.html`` beside this module) renders them, abstract-table items first,
with filters by answer location, abstraction style, origin, difficulty, split and text; each item
links to its PDF page (when the release ships the PDF) and to its clear/abstract twin. The data is escaped so that nothing in it can end
its script element, and the page renders it as text only (``textContent``, never ``innerHTML``).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from abstab.records import Document
from abstab.release.layout import BROWSER, SPLITS

_PLACEHOLDER = re.compile("__TITLE__|__DATA__")
# JSON escapes for the characters that could end the <script> element or change how the HTML
# parser reads it (``</script``, ``<!--``), and the line separators older JavaScript rejects:
# the embedded data then holds no ``<``, ``>`` or ``&`` at all.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _span_context(span: dict[str, Any], doc: Document) -> dict[str, Any]:
    """The block around a span, with the span's offsets inside it."""
    block = next((b for b in doc.blocks if b.block_id == span["block_id"]), None)
    if block is None:
        return {"context": span["text"], "start": 0, "end": len(span["text"])}
    return {"context": block.text, "start": span["char_start"] - block.char_start,
            "end": span["char_end"] - block.char_start}


# The page opens on the items the dataset is about: questions under abstract headers first.
_FIRST = ("table_defined", "table_implicit")


def _page(r: dict[str, Any], tables: dict[str, dict[str, Any]], doc: Document) -> int | None:
    """The PDF page of an item's evidence: its table's first page, else its first span's or
    evidence block's page."""
    if r["table_id"] and tables.get(r["table_id"], {}).get("pages"):
        return int(tables[r["table_id"]]["pages"][0])
    ids = [s["block_id"] for s in r["evidence"]["spans"] if s["block_id"]]
    ids += r["evidence"]["blocks"]
    pages = {b.block_id: b.page for b in doc.blocks}
    return next((pages[i] for i in ids if i in pages), None)


def page_data(item_rows: dict[str, list[dict[str, Any]]],
              table_rows: dict[str, list[dict[str, Any]]], documents: dict[str, Document],
              max_items: int, pdfs: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The JSON the page embeds. ``pdfs`` maps a doc_id to its PDF's path in the release (None
    when the PDF is not shipped)."""
    pdfs = pdfs or {}
    rows = [r for s in SPLITS for r in item_rows.get(s, [])]
    rows.sort(key=lambda r: r["answer_location"] not in _FIRST)  # stable: splits stay in order
    total = len(rows)
    rows = rows[:max_items]
    tables = {t["table_id"]: t for s in SPLITS for t in table_rows.get(s, [])}
    by_pair: dict[str, list[str]] = {}
    for r in rows:
        if r["pair_id"]:
            by_pair.setdefault(r["pair_id"], []).append(r["item_id"])
    items, used_tables = [], set()
    for r in rows:
        doc = documents[r["doc_id"]]
        items.append({
            "page": _page(r, tables, doc),
            "twins": [i for i in by_pair.get(r["pair_id"] or "", []) if i != r["item_id"]],
            "id": r["item_id"], "question": r["question"], "answer": r["answer"]["text"],
            "location": r["answer_location"], "style": r["abstraction"]["style"],
            "legend": r["abstraction"]["legend"], "origin": r["origin"],
            "difficulty": r["difficulty"], "split": r["split"], "license": r["license"],
            "doc": r["doc_id"], "table": r["table_id"], "cells": r["evidence"]["cells"],
            "keywords": [[k["abstract"], k["detailed"], k["category"]] for k in r["keywords"]],
            "spans": [_span_context(s, doc) for s in r["evidence"]["spans"]
                      if s["role"] == "answer"],
            "definitions": [{"role": s["role"], "text": s["text"]}
                            for s in r["evidence"]["spans"] if s["role"] != "answer"],
        })
        if r["table_id"]:
            used_tables.add(r["table_id"])
    return {
        "items": items,
        "tables": {tid: {"caption": t["caption"], "header_rows": t["header_rows"],
                         "rows": t["rows"], "n_header_rows": t["n_header_rows"],
                         "notes": [n["text"] for n in t["notes"]],
                         "abstract": [[a["row"], a["col"], a["keyword"], a["meaning"]]
                                      for a in t["abstract_headers"]]}
                   for tid, t in tables.items() if tid in used_tables},
        "docs": {d: {"title": documents[d].title or d, "pdf": pdfs.get(d)}
                 for d in {i["doc"] for i in items}},
        "note": (f"This page shows the first {max_items} of {total} items; load the parquet "
                 "files for all of them.") if total > max_items else "",
    }


def write_browser(root: Path, item_rows: dict[str, list[dict[str, Any]]],
                  table_rows: dict[str, list[dict[str, Any]]], documents: dict[str, Document],
                  max_items: int, title: str, pdfs: dict[str, str | None] | None = None) -> None:
    template = resources.files("abstab.release").joinpath("browse.html").read_text("utf-8")
    data = json.dumps(page_data(item_rows, table_rows, documents, max_items, pdfs),
                      ensure_ascii=False, sort_keys=True).translate(_SCRIPT_SAFE)
    values = {"__TITLE__": html.escape(title), "__DATA__": data}
    # One pass: a value is never searched for the other placeholder (a name may hold one).
    page = _PLACEHOLDER.sub(lambda m: values[m.group()], template)
    (root / BROWSER).write_text(page, encoding="utf-8")
