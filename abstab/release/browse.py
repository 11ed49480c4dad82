"""browse.html: one static page (no server, no network) to read a release's items.

The items it shows, their tables and evidence passages are embedded in the page as JSON; the
page's script (``browse.html`` beside this module) renders them with filters by answer
location, abstraction style, split and text. The data is escaped so that nothing in it can end
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


def page_data(item_rows: dict[str, list[dict[str, Any]]],
              table_rows: dict[str, list[dict[str, Any]]], documents: dict[str, Document],
              max_items: int) -> dict[str, Any]:
    rows = [r for s in SPLITS for r in item_rows.get(s, [])]
    total = len(rows)
    rows = rows[:max_items]
    tables = {t["table_id"]: t for s in SPLITS for t in table_rows.get(s, [])}
    items, used_tables = [], set()
    for r in rows:
        doc = documents[r["doc_id"]]
        items.append({
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
        "docs": {d: documents[d].title or d for d in {i["doc"] for i in items}},
        "note": (f"This page shows the first {max_items} of {total} items; load the parquet "
                 "files for all of them.") if total > max_items else "",
    }


def write_browser(root: Path, item_rows: dict[str, list[dict[str, Any]]],
                  table_rows: dict[str, list[dict[str, Any]]], documents: dict[str, Document],
                  max_items: int, title: str) -> None:
    template = resources.files("abstab.release").joinpath("browse.html").read_text("utf-8")
    data = json.dumps(page_data(item_rows, table_rows, documents, max_items),
                      ensure_ascii=False, sort_keys=True).translate(_SCRIPT_SAFE)
    values = {"__TITLE__": html.escape(title), "__DATA__": data}
    # One pass: a value is never searched for the other placeholder (a name may hold one).
    page = _PLACEHOLDER.sub(lambda m: values[m.group()], template)
    (root / BROWSER).write_text(page, encoding="utf-8")
