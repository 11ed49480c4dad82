"""Exports of workspace records to other tools' formats, and of a dataset's items as the
inputs your own system receives (``abstab export items``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstab.records import Document, Table
from abstab.store import StageDir


def icdar_predictions(work: Path) -> list[dict[str, Any]]:
    """Extracted tables in the ICDAR-2013 evaluation format, one entry per table and page.

    Each entry: ``{"doc": PDF stem, "page": 1-based, "bbox": [x0, y0, x1, y1] (PyMuPDF page
    coordinates, top-left origin), "cells": [{"row", "col", "row_span", "col_span", "text"}]}``.
    A table over several pages gives one entry per page, with the cells of that page and a bbox
    around them.
    """
    ex = StageDir(work, "extract", ())
    if not ex.is_done():
        from abstab.errors import ConfigError

        raise ConfigError(f"no finished extract stage in {work}: run `abstab extract PDFS -o {work}`")
    stems = {d.doc_id: Path(d.source).stem for d in ex.read("documents", Document)}
    out = []
    for t in ex.read("tables", Table):
        if t.derived_from is not None:
            continue
        for page in t.pages:
            cells = [c for c in t.cells if (c.page or t.pages[0]) == page]
            boxes = [c.bbox for c in cells if c.bbox]
            bbox = t.bbox if len(t.pages) == 1 or not boxes else [
                min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes)]
            out.append({
                "doc": stems[t.doc_id], "page": page, "bbox": [round(v, 2) for v in bbox],
                "table_id": t.table_id,
                "cells": [{"row": c.row, "col": c.col, "row_span": c.row_span,
                           "col_span": c.col_span, "text": c.text} for c in cells],
            })
    return out


def item_inputs(dataset: Path, kind: str | None = None, split: str | None = None
                ) -> list[dict[str, Any]]:
    """Each item of a dataset as the dict a function or HTTP system receives
    (:func:`abstab.bench.own.item_inputs`): question, ids, the document's text blocks and
    tables, the PDF path when there is one; never the gold.

    Args:
        dataset: a workspace, release folder or external dataset (as ``abstab bench`` takes).
        kind: the dataset kind (default: detected).
        split: only this split.
    """
    from abstab.bench.data import load_data
    from abstab.bench.own import item_inputs as inputs
    from abstab.bench.systems import Corpus

    data = load_data(dataset, kind, split)
    corpus = Corpus(data.docs, data.tables)
    return [inputs(data, corpus, item) for item in data.items]
