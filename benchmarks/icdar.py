"""ICDAR 2013 Table Competition: ground-truth parsing and the table-extraction metrics.

Used by ``benchmarks/bench_icdar.py``; every metric here is a pure function of ground truth and
predictions, so it can score any extractor's output.

Data layout
-----------
A document ``X`` has ``X.pdf``, ``X-reg.xml`` (table regions, competition track A) and ``X-str.xml``
(cell structure, track B). A data folder either holds ``competition-dataset-<subset>/`` folders
(subsets ``eu`` and ``us`` for the official data) or is itself one folder of such files; then
the subset of a document is the part of its name before the first ``-`` (``eu-001`` → ``eu``).
Some documents come with two alternative ground truths, ``Xa-*.xml`` and ``Xb-*.xml``, that both
describe ``Xa.pdf`` (us-011, us-031, us-035 here: ambiguous tables, e.g. one table or three
side by side). By default (``variant="best"``) a document is scored against the alternative it
scores best on (the point of giving alternatives; it reproduces the reference numbers of
pdfplumber on us-035); the primary one (named like the PDF) gives the official counts
(112 tables) and breaks ties. ``variant="a"``/``"b"`` use one of them only.

Coordinates
-----------
Ground-truth boxes are PDF user space with the origin at the *bottom-left* of the page as it is
displayed (1-based page numbers). Predictions, like everything PyMuPDF returns for a page
(``page.rect``, ``find_tables`` boxes), use points with the origin at the *top-left* of the
displayed page, so ``y_top = H - y2`` and ``y_bottom = H - y1`` (checked on eu-001: the cell
"THRESHOLD FOR RELEASES", ``y1=533 y2=543``, is the PyMuPDF word box ``y 299..311`` on an 842 pt
page). ``H`` is the displayed page height, except for one quirk of the data: the *structure*
files of rotated pages (eu-015, /Rotate 90) were written with the unrotated MediaBox height, so
their cell boxes sit ``mediabox.height - rect.height`` points too high; :func:`flip_height` uses
the MediaBox height for cell boxes of rotated pages (the region files are right). No document
of the set has a CropBox different from its MediaBox, and a non-zero MediaBox origin is handled
by taking the offsets from PyMuPDF's ``page.transformation_matrix`` (unrotated pages).

Prediction format
-----------------
A JSON list of tables::

    {"doc": "eu-001", "page": 1, "bbox": [x0, y0, x1, y1],
     "cells": [{"row": 0, "col": 1, "row_span": 1, "col_span": 3, "text": "..."}, ...]}

``page`` is 1-based and ``bbox`` is in PyMuPDF page coordinates (points, top-left origin).

Metrics
-------
- **Detection** (:func:`match_tables`, :func:`score`): predicted tables are matched one-to-one
  to ground-truth regions of the same document and page, greedily by decreasing IoU, if
  IoU >= 0.5. Precision, recall and F1 over tables (regions).
- **Cell adjacency relations** (Göbel, Hassan, Oro, Orsi, "ICDAR 2013 Table Competition",
  ICDAR 2013; :func:`adjacency_relations`): per table, every non-empty cell is related to its
  nearest non-empty neighbour to the right (in each row it spans) and below (in each column it
  spans); a relation is ``(text_a, text_b, direction)``. Predicted tables are paired one-to-one
  with ground-truth tables of the same page that they overlap (greedily by IoU, any IoU > 0:
  :data:`ADJ_IOU_THRESHOLD`), and a pair's relations are compared as multisets; the relations of
  unpaired ground-truth tables are all misses and those of unpaired predictions all false
  positives. Precision, recall and F1 are micro-averaged over all relations of a subset, with
  two text comparisons
  (:func:`normalise_text`): ``normalised`` (lowercase, no whitespace, no punctuation or
  symbols: the competition's lenient comparison) and ``strict`` (lowercase, whitespace removed,
  punctuation kept).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ADJ_IOU_THRESHOLD",
    "IOU_THRESHOLD",
    "MODES",
    "VARIANTS",
    "Cell",
    "GTDocument",
    "GTTable",
    "PageGeometry",
    "adjacency_relations",
    "cells_from_boxes",
    "document_counts",
    "document_pages",
    "find_documents",
    "flip_height",
    "gt_as_predictions",
    "icdar_to_page",
    "iou",
    "load_dataset",
    "load_document",
    "match_tables",
    "normalise_text",
    "parse_region_xml",
    "parse_structure_xml",
    "prf",
    "score",
]

IOU_THRESHOLD = 0.5
"""Detection: minimum IoU for a predicted table to match a ground-truth region."""

ADJ_IOU_THRESHOLD = 0.0
"""Adjacency relations: minimum IoU to pair a predicted with a ground-truth table; 0.0 means any
overlap (IoU > 0), so a table found with loose borders or merged with a neighbour still has its
relations compared (the structure track of the competition scored structure on its own, apart
from detection)."""

MODES = ("normalised", "strict")
"""The two text comparisons of the adjacency-relation metric."""

Box = tuple[float, float, float, float]


# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One table cell: top-left grid slot, spans (>= 1) and text; ``bbox`` in page coordinates
    (top-left origin) when known."""

    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    text: str = ""
    bbox: Box | None = None


@dataclass
class GTTable:
    """One ground-truth table on one page.

    ``regions`` are the table's region boxes on the page from ``X-reg.xml`` (the detection
    targets; one per table except in a few alternative ground truths), ``bbox`` their union
    (used to match a prediction for the structure metric) and ``cells`` its structure from
    ``X-str.xml`` with grid positions made global (region row/col increments added)."""

    doc: str
    page: int
    table_id: str
    bbox: Box
    regions: list[Box] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)


@dataclass
class GTDocument:
    """A document of the benchmark: its PDF, subset, page count and ground-truth tables (the
    primary ground truth, plus any alternative ones)."""

    doc: str
    subset: str
    pdf: Path
    n_pages: int
    tables: list[GTTable]
    alternatives: list[list[GTTable]] = field(default_factory=list)
    """Tables of alternative ground truths of the same PDF (scored best-of with ``tables``)."""

    @property
    def regions(self) -> list[tuple[int, Box]]:
        """The detection targets: ``(page, box)`` for every region of every table."""
        return [(t.page, r) for t in self.tables for r in t.regions]


@dataclass(frozen=True)
class PageGeometry:
    """What converting ICDAR boxes of one page needs (all in points)."""

    height: float  # displayed page height (PyMuPDF ``page.rect.height``)
    rotation: int = 0  # /Rotate
    mediabox_height: float | None = None  # unrotated MediaBox height (defaults to ``height``)
    x_offset: float = 0.0  # MediaBox origin, subtracted so boxes are relative to the page
    y_offset: float = 0.0


# ---------------------------------------------------------------------------------------------
# Coordinates
# ---------------------------------------------------------------------------------------------

def flip_height(geom: PageGeometry, kind: str = "region") -> float:
    """The height ``H`` with which ``y_top = H - y2`` for boxes of ``kind`` (``"region"`` or
    ``"cell"``) on a page: the displayed height, except for cell boxes of rotated pages, which
    the data wrote with the unrotated MediaBox height (see the module docstring)."""
    if kind == "cell" and geom.rotation % 180 == 90 and geom.mediabox_height is not None:
        return geom.mediabox_height
    return geom.height


def icdar_to_page(box: Sequence[float], height: float, x_offset: float = 0.0,
                  y_offset: float = 0.0) -> Box:
    """ICDAR ``(x1, y1, x2, y2)`` (bottom-left origin) to ``(x0, y0, x1, y1)`` with a top-left
    origin on a page of ``height`` points; the corners may come in any order."""
    x1, y1, x2, y2 = (float(v) for v in box)
    xa, xb = sorted((x1 - x_offset, x2 - x_offset))
    ya, yb = sorted((y1 - y_offset, y2 - y_offset))
    return (xa, height - yb, xb, height - ya)


def area(b: Sequence[float]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes (0.0 if either is empty)."""
    inter = area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def union_box(boxes: Iterable[Sequence[float]]) -> Box | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------

def _int_attr(el: ET.Element, *names: str, default: int | None = None) -> int | None:
    for name in names:
        value = el.get(name)
        if value is not None and value.strip() != "":
            return int(value)
    return default


def _bbox_of(el: ET.Element) -> tuple[float, float, float, float] | None:
    bb = el.find("bounding-box")
    if bb is None:
        return None
    return tuple(float(bb.get(k)) for k in ("x1", "y1", "x2", "y2"))  # type: ignore[return-value]


def parse_region_xml(path: Path | str, geometry: Mapping[int, PageGeometry]
                     ) -> dict[str, list[tuple[int, Box]]]:
    """``X-reg.xml`` → ``{table id: [(page, box), ...]}`` (boxes in page coordinates)."""
    out: dict[str, list[tuple[int, Box]]] = {}
    root = ET.parse(path).getroot()
    for i, table in enumerate(root.iter("table")):
        tid = table.get("id") or str(i + 1)
        regions = out.setdefault(tid, [])
        for region in table.iter("region"):
            page = int(region.get("page"))
            raw = _bbox_of(region)
            if raw is None:
                continue
            g = geometry.get(page) or PageGeometry(height=0.0)
            regions.append((page, icdar_to_page(raw, flip_height(g, "region"),
                                                g.x_offset, g.y_offset)))
    return out


def parse_structure_xml(path: Path | str, geometry: Mapping[int, PageGeometry]
                        ) -> dict[str, dict[int, list[Cell]]]:
    """``X-str.xml`` → ``{table id: {page: [Cell, ...]}}``.

    Positions are 0-based and global to the table: a region's ``row-increment`` and
    ``col-increment`` are added to its cells' ``start-row``/``start-col``. A missing
    ``end-row``/``end-col`` means no span; the misspelt ``row-end``/``col-end`` found in the
    data are read too. Content keeps its line breaks (the metrics collapse whitespace)."""
    out: dict[str, dict[int, list[Cell]]] = {}
    root = ET.parse(path).getroot()
    for i, table in enumerate(root.iter("table")):
        tid = table.get("id") or str(i + 1)
        pages = out.setdefault(tid, {})
        for region in table.iter("region"):
            page = int(region.get("page"))
            g = geometry.get(page) or PageGeometry(height=0.0)
            row_inc = _int_attr(region, "row-increment", default=0)
            col_inc = _int_attr(region, "col-increment", default=0)
            cells = pages.setdefault(page, [])
            for c in region.iter("cell"):
                r0 = _int_attr(c, "start-row")
                c0 = _int_attr(c, "start-col")
                r1 = _int_attr(c, "end-row", "row-end", default=r0)
                c1 = _int_attr(c, "end-col", "col-end", default=c0)
                content = c.find("content")
                text = "".join(content.itertext()) if content is not None else ""
                raw = _bbox_of(c)
                bbox = (icdar_to_page(raw, flip_height(g, "cell"), g.x_offset, g.y_offset)
                        if raw is not None else None)
                cells.append(Cell(row=r0 + row_inc, col=c0 + col_inc,
                                  row_span=max(1, r1 - r0 + 1), col_span=max(1, c1 - c0 + 1),
                                  text=text, bbox=bbox))
    return out


def document_pages(pdf: Path | str) -> dict[int, PageGeometry]:
    """The geometry of every page of a PDF (1-based), read with PyMuPDF."""
    import pymupdf  # only ground-truth loading needs it

    out = {}
    with pymupdf.open(pdf) as doc:
        for i, page in enumerate(doc):
            x_off = y_off = 0.0
            if page.rotation % 360 == 0:
                # PDF user space → page space is (x - llx, ury - y) for a CropBox [llx lly urx ury]
                tm = page.transformation_matrix
                x_off, y_off = -tm.e, tm.f - page.rect.height
            out[i + 1] = PageGeometry(height=page.rect.height, rotation=page.rotation,
                                      mediabox_height=page.mediabox.height,
                                      x_offset=x_off, y_offset=y_off)
    return out


def load_document(pdf: Path | str, reg: Path | str, strc: Path | str, doc: str | None = None,
                  subset: str = "", geometry: Mapping[int, PageGeometry] | None = None
                  ) -> GTDocument:
    """One document's ground truth: regions and structure joined by table id, one
    :class:`GTTable` per table and page."""
    pdf = Path(pdf)
    geometry = dict(geometry) if geometry is not None else document_pages(pdf)
    regions = parse_region_xml(reg, geometry)
    structure = parse_structure_xml(strc, geometry) if Path(strc).exists() else {}
    tables: list[GTTable] = []
    ids = list(regions) + [t for t in structure if t not in regions]
    for tid in ids:
        reg_by_page: dict[int, list[Box]] = defaultdict(list)
        for page, box in regions.get(tid, []):
            reg_by_page[page].append(box)
        cells_by_page = structure.get(tid, {})
        for page in sorted(set(reg_by_page) | set(cells_by_page)):
            cells = cells_by_page.get(page, [])
            boxes = reg_by_page.get(page, [])
            bbox = union_box(boxes) or union_box(c.bbox for c in cells if c.bbox)
            if bbox is None:
                continue
            tables.append(GTTable(doc=doc or pdf.stem, page=page, table_id=tid, bbox=bbox,
                                  regions=boxes or [bbox], cells=cells))
    return GTDocument(doc=doc or pdf.stem, subset=subset, pdf=pdf, n_pages=len(geometry),
                      tables=tables)


VARIANTS = ("best", "a", "b")
"""How documents with alternative ground truths are scored (see :func:`find_documents`)."""


def _alternative_stems(pdf: Path) -> list[str]:
    """Stems of the alternative ground truths of ``Xa.pdf``: ``Xb``, ``Xc``, ... that have a
    region file next to it."""
    stem = pdf.stem
    if not stem.endswith("a"):
        return []
    return [stem[:-1] + ch for ch in "bcdefghijklmnopqrstuvwxyz"
            if (pdf.parent / f"{stem[:-1]}{ch}-reg.xml").exists()]


def find_documents(data: Path | str, subsets: Iterable[str] | None = None,
                   variant: str = "best") -> list[tuple[str, Path, list[tuple[Path, Path]]]]:
    """``(subset, pdf, [(reg_xml, str_xml), ...])`` for every document under ``data`` that has
    a region file (see the module docstring for the layouts), sorted by subset then name.

    The list holds the ground truths to score the PDF against. ``Xa.pdf`` may have alternative
    ground truths ``Xb-*.xml`` (the ambiguous tables of the competition). ``variant="best"``
    lists the primary ``Xa`` first and then the alternatives (:func:`score` keeps, per document,
    the one the prediction scores best against, as the competition did); ``"a"`` lists only the
    primary and ``"b"`` only the ``b`` alternative where there is one."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (expected one of {VARIANTS})")
    data = Path(data)
    folders = sorted(p for p in data.glob("competition-dataset-*") if p.is_dir())
    found = []
    if folders:
        for folder in folders:
            subset = folder.name.removeprefix("competition-dataset-")
            found.extend((subset, pdf) for pdf in sorted(folder.glob("*.pdf")))
    else:
        for pdf in sorted(data.glob("*.pdf")):
            subset = pdf.stem.split("-", 1)[0] if "-" in pdf.stem else data.name
            found.append((subset, pdf))
    wanted = set(subsets) if subsets else None
    out = []
    for subset, pdf in found:
        if wanted is not None and subset not in wanted:
            continue
        alternatives = _alternative_stems(pdf)
        if variant == "a":
            stems = [pdf.stem]
        elif variant == "b":
            stems = [pdf.stem[:-1] + "b"] if pdf.stem[:-1] + "b" in alternatives else [pdf.stem]
        else:
            stems = [pdf.stem, *alternatives]
        gts = [(pdf.parent / f"{st}-reg.xml", pdf.parent / f"{st}-str.xml") for st in stems
               if (pdf.parent / f"{st}-reg.xml").exists()]
        if gts:
            out.append((subset, pdf, gts))
    return sorted(out, key=lambda t: (t[0], t[1].stem))


def load_dataset(data: Path | str, subsets: Iterable[str] | None = None,
                 limit: int | None = None, variant: str = "best") -> list[GTDocument]:
    """Ground truth of the documents under ``data``; ``limit`` keeps the first N of each
    subset. With ``variant="best"`` alternative ground truths go to
    :attr:`GTDocument.alternatives`."""
    per_subset: Counter[str] = Counter()
    docs = []
    for subset, pdf, gts in find_documents(data, subsets, variant):
        if limit is not None and per_subset[subset] >= limit:
            continue
        per_subset[subset] += 1
        geometry = document_pages(pdf)
        (reg, strc), *others = gts
        doc = load_document(pdf, reg, strc, doc=pdf.stem, subset=subset, geometry=geometry)
        doc.alternatives = [load_document(pdf, r, st, doc=pdf.stem, subset=subset,
                                          geometry=geometry).tables for r, st in others]
        docs.append(doc)
    return docs


def gt_as_predictions(docs: Iterable[GTDocument]) -> list[dict]:
    """The ground truth written in the prediction format (scores 1.0 against itself)."""
    return [{"doc": t.doc, "page": t.page, "bbox": list(t.bbox),
             "cells": [{"row": c.row, "col": c.col, "row_span": c.row_span,
                        "col_span": c.col_span, "text": c.text} for c in t.cells]}
            for d in docs for t in d.tables]


# ---------------------------------------------------------------------------------------------
# Predicted cells from engine boxes
# ---------------------------------------------------------------------------------------------

def _cluster(values: Iterable[float], tol: float) -> list[float]:
    """Sorted representatives of ``values``, merging those within ``tol`` of the previous."""
    reps: list[float] = []
    for v in sorted(values):
        if not reps or v - reps[-1] > tol:
            reps.append(v)
    return reps


def _index(reps: list[float], v: float, tol: float) -> int:
    for i, r in enumerate(reps):
        if v <= r + tol:
            return i
    return len(reps) - 1


def cells_from_boxes(boxes: Sequence[Sequence[float]], texts: Sequence[str | None],
                     tol: float = 1.0) -> list[dict]:
    """Grid cells (prediction-format dicts) from cell boxes and their texts.

    The grid lines are the distinct x (resp. y) edges of all boxes, merged within ``tol``
    points; a cell's row/col is the line its top/left edge is on and its span the number of
    lines its box crosses. This recovers merged cells from engines (PyMuPDF, pdfplumber) that
    report each merged cell once with its full box."""
    xs = _cluster([v for b in boxes for v in (b[0], b[2])], tol)
    ys = _cluster([v for b in boxes for v in (b[1], b[3])], tol)
    out = []
    for b, text in zip(boxes, texts, strict=True):
        c0, c1 = _index(xs, b[0], tol), _index(xs, b[2], tol)
        r0, r1 = _index(ys, b[1], tol), _index(ys, b[3], tol)
        out.append({"row": r0, "col": c0, "row_span": max(1, r1 - r0),
                    "col_span": max(1, c1 - c0), "text": text or ""})
    return out


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def normalise_text(text: str | None, mode: str = "normalised") -> str:
    """Cell text as compared by the adjacency metric.

    Both apply Unicode NFKC (ligatures, full-width forms) and lowercase, then

    - ``"strict"``: remove whitespace (line breaks included) and keep everything else, so
      ``"4.5"`` and ``"45."`` differ, while ``"Margin of error"`` and ``"Marginof error"``
      do not (engines join a cell's lines and words with or without spaces);
    - ``"normalised"``: keep only letters and digits (whitespace, punctuation and symbols
      removed), so ``"4.5"`` and ``"45."`` are both ``"45"``.
    """
    text = text or ""
    text = unicodedata.normalize("NFKC", text).lower()
    if mode == "strict":
        return _WS.sub("", text)
    if mode == "normalised":
        return "".join(ch for ch in text if ch.isalnum())
    raise ValueError(f"unknown text mode {mode!r} (expected one of {MODES})")


def _get(cell: Cell | Mapping, key: str, default=None):
    if isinstance(cell, Mapping):
        return cell.get(key, default)
    return getattr(cell, key, default)


def adjacency_relations(cells: Iterable[Cell | Mapping], mode: str = "normalised"
                        ) -> Counter[tuple[str, str, str]]:
    """The cell-adjacency relations of one table, as a multiset of
    ``(text_a, text_b, direction)`` with direction ``"right"`` or ``"down"``.

    Cells are :class:`Cell` objects or prediction-format dicts. A cell is empty when its text is
    only whitespace; empty cells take no part (they are skipped over, not related). For every
    non-empty cell A and every row it spans, the first non-empty cell B to the right of A in that
    row gives ``(A, B, "right")``; for every column A spans, the first non-empty cell below A
    gives ``(A, B, "down")``. Each (A, B, direction) counts once even if B is reached from
    several of A's rows/columns. Texts are compared after :func:`normalise_text` with ``mode``;
    emptiness does not depend on ``mode``, so both modes relate the same cell pairs.

    Slots claimed by two cells go to the first one listed.
    """
    items = []
    for cell in cells:
        text = _get(cell, "text") or ""
        items.append((int(_get(cell, "row", 0)), int(_get(cell, "col", 0)),
                      max(1, int(_get(cell, "row_span", 1) or 1)),
                      max(1, int(_get(cell, "col_span", 1) or 1)), text))
    grid: dict[tuple[int, int], int] = {}
    for idx, (r, c, rs, cs, text) in enumerate(items):
        if not text.strip():
            continue
        for rr in range(r, r + rs):
            for cc in range(c, c + cs):
                grid.setdefault((rr, cc), idx)
    if not grid:
        return Counter()
    max_row = max(r for r, _ in grid)
    max_col = max(c for _, c in grid)
    pairs: set[tuple[int, int, str]] = set()
    for idx, (r, c, rs, cs, text) in enumerate(items):
        if not text.strip():
            continue
        for rr in range(r, r + rs):
            for cc in range(c + cs, max_col + 1):
                other = grid.get((rr, cc))
                if other is not None and other != idx:
                    pairs.add((idx, other, "right"))
                    break
        for cc in range(c, c + cs):
            for rr in range(r + rs, max_row + 1):
                other = grid.get((rr, cc))
                if other is not None and other != idx:
                    pairs.add((idx, other, "down"))
                    break
    return Counter((normalise_text(items[a][4], mode), normalise_text(items[b][4], mode), d)
                   for a, b, d in pairs)


def match_tables(gt_boxes: Sequence[Sequence[float]], pred_boxes: Sequence[Sequence[float]],
                 threshold: float = IOU_THRESHOLD) -> list[tuple[int, int, float]]:
    """One-to-one matching ``[(gt index, pred index, IoU)]``, sorted by gt index: all pairs that
    overlap (IoU > 0) with IoU >= threshold, taken greedily by decreasing IoU (ties by lower
    index) while both sides are still free."""
    pairs = []
    for gi, g in enumerate(gt_boxes):
        for pi, p in enumerate(pred_boxes):
            v = iou(g, p)
            if v > 0 and v >= threshold:
                pairs.append((-v, gi, pi))
    pairs.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for neg, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi, -neg))
    return sorted(out)


def prf(tp: int, fp: int, fn: int) -> dict:
    """Counts with precision, recall and F1 (each 0.0 when undefined, F1 = 1.0 when there is
    nothing to find and nothing was found)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    if tp + fp + fn == 0:
        p = r = 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}


def _empty_counts() -> dict:
    return {"det": [0, 0, 0], "adj": {m: [0, 0, 0] for m in MODES}, "n_pred": 0, "n_gt": 0,
            "n_gt_regions": 0, "n_docs": 0, "n_pages": 0, "n_alt": 0}


def _add(total: dict, c: dict) -> None:
    for key in ("n_pred", "n_gt", "n_gt_regions", "n_docs", "n_pages", "n_alt"):
        total[key] += c[key]
    total["det"] = [a + b for a, b in zip(total["det"], c["det"], strict=True)]
    for mode in MODES:
        total["adj"][mode] = [a + b for a, b in zip(total["adj"][mode], c["adj"][mode],
                                                    strict=True)]


def _f1(counts: Sequence[int]) -> float:
    return prf(*counts)["f1"]


def document_counts(tables: Sequence[GTTable], preds_by_page: Mapping[int, Sequence[Mapping]],
                    threshold: float = IOU_THRESHOLD,
                    adj_threshold: float = ADJ_IOU_THRESHOLD) -> dict:
    """Raw counts of one document against one ground truth: ``det`` and ``adj[mode]`` as
    ``[tp, fp, fn]`` plus table counts (see :func:`score` for the matching rules)."""
    c = _empty_counts()
    for page in sorted({t.page for t in tables} | set(preds_by_page)):
        page_preds = list(preds_by_page.get(page, []))
        page_tables = [t for t in tables if t.page == page]
        regions = [r for t in page_tables for r in t.regions]
        pboxes = [p["bbox"] for p in page_preds]
        c["n_pred"] += len(page_preds)
        c["n_gt"] += len(page_tables)
        c["n_gt_regions"] += len(regions)
        det = match_tables(regions, pboxes, threshold)
        c["det"][0] += len(det)
        c["det"][1] += len(pboxes) - len(det)
        c["det"][2] += len(regions) - len(det)
        struct = match_tables([t.bbox for t in page_tables], pboxes, adj_threshold)
        paired = {gi: pi for gi, pi, _ in struct}
        paired_preds = set(paired.values())
        for mode in MODES:
            acc = c["adj"][mode]
            for gi, t in enumerate(page_tables):
                g_rel = adjacency_relations(t.cells, mode)
                if gi in paired:
                    p_rel = adjacency_relations(page_preds[paired[gi]].get("cells", []), mode)
                    tp = sum((g_rel & p_rel).values())
                    acc[0] += tp
                    acc[1] += sum(p_rel.values()) - tp
                    acc[2] += sum(g_rel.values()) - tp
                else:
                    acc[2] += sum(g_rel.values())
            for pi, p in enumerate(page_preds):
                if pi not in paired_preds:
                    acc[1] += sum(adjacency_relations(p.get("cells", []), mode).values())
    return c


def score(docs: Sequence[GTDocument], predictions: Iterable[Mapping],
          threshold: float = IOU_THRESHOLD, adj_threshold: float = ADJ_IOU_THRESHOLD) -> dict:
    """Detection and adjacency-relation scores per subset of ``docs`` and over all of them.

    Predictions of documents not in ``docs`` are ignored. Returns
    ``{subset: {"n_docs", "n_pages", "n_gt_tables", "n_gt_regions", "n_pred_tables",
    "n_alternative_gt_used", "det": prf, "adj": {"normalised": prf, "strict": prf}}}`` with an
    ``"all"`` entry; prf is :func:`prf`'s dict (micro-averaged counts).

    Detection matches predictions one-to-one to ground-truth *regions* per (doc, page) at
    IoU >= ``threshold``. The adjacency metric pairs predictions one-to-one with ground-truth
    *tables* per (doc, page), greedily by IoU, at IoU >= ``adj_threshold`` (default: any
    overlap; a table's box is the union of its regions on the page, i.e. its region except in
    some alternative ground truths). Paired tables compare relation multisets; unpaired
    ground-truth tables count all their relations as misses and unpaired predictions all theirs
    as false positives. ``adj_threshold=0.5`` makes the pairing the detection matching.

    A document with alternative ground truths (:attr:`GTDocument.alternatives`) is counted
    against the one it scores best on: highest detection F1, then adjacency F1 normalised, then
    strict; the primary ground truth on ties.
    """
    by_doc = {d.doc: d for d in docs}
    preds: dict[str, dict[int, list[Mapping]]] = defaultdict(lambda: defaultdict(list))
    for p in predictions:
        if p.get("doc") in by_doc:
            preds[p["doc"]][int(p["page"])].append(p)
    counts: dict[str, dict] = defaultdict(_empty_counts)
    for d in docs:
        doc_preds = preds.get(d.doc, {})
        best, best_key = None, None
        for i, tables in enumerate([d.tables, *d.alternatives]):
            c = document_counts(tables, doc_preds, threshold, adj_threshold)
            key = (_f1(c["det"]), _f1(c["adj"]["normalised"]), _f1(c["adj"]["strict"]))
            if best is None or key > best_key:
                best, best_key = c, key
                best["n_alt"] = int(i > 0)
        best["n_docs"] = 1
        best["n_pages"] = d.n_pages
        _add(counts[d.subset], best)
    total = _empty_counts()
    for c in counts.values():
        _add(total, c)

    def finish(c: dict) -> dict:
        return {"n_docs": c["n_docs"], "n_pages": c["n_pages"], "n_gt_tables": c["n_gt"],
                "n_gt_regions": c["n_gt_regions"], "n_pred_tables": c["n_pred"],
                "n_alternative_gt_used": c["n_alt"],
                "det": prf(*c["det"]), "adj": {m: prf(*c["adj"][m]) for m in MODES}}

    out = {s: finish(counts[s]) for s in sorted(counts)}
    out["all"] = finish(total)
    return out
