"""Table engines: where a table is on a page and how its cells are laid out, nothing more.

An engine returns :class:`RawTable` objects (a bbox and cell rectangles in PyMuPDF page
coordinates); reading cell text, headers, notes and captions is shared engine-neutral logic in
:mod:`abstab.extract.tables`. Engines are found through ``abstab.registry.engines``; a new one
(e.g. camelot) subclasses :class:`TableEngine` and registers ``"module:Class"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abstab.extract.text import PageText

if TYPE_CHECKING:
    from abstab.extract.settings import ExtractSettings

Rect = tuple[float, float, float, float]


@dataclass
class RawTable:
    """A table region as an engine found it.

    Args:
        page: 1-based page number.
        bbox: the table's box (x0, y0, x1, y1, top-left origin, points).
        cells: rectangles of the cells; a merged cell is one rectangle covering several grid
            slots. Slots no rectangle covers become empty cells.
        header_guess: a function returning the engine's own guess of the number of header
            rows (called only when the text gives no answer; it may be costly), or None.
        method: how the engine found it (``lines``, ``layout``, ...), kept for diagnostics.
        score: the engine's confidence in [0, 1], if it has one.
    """

    page: int
    bbox: Rect
    cells: list[Rect]
    header_guess: Callable[[], int | None] | None = None
    method: str = ""
    score: float | None = None


@dataclass
class PageContext:
    """What an engine may look at for one page.

    Args:
        path: the PDF file.
        number: 1-based page number.
        page: the pymupdf Page.
        text: the page's characters (:func:`abstab.extract.text.read_page`).
        max_drawings: the most vector paths the page may have before only rule-like ones
            (long thin lines and boxes) are kept; if even those are more, the page's drawings
            are ignored (a chart or a map, not a table). ``capped`` then says what happened.
    """

    path: Path
    number: int  # 1-based
    page: Any  # the pymupdf Page
    text: PageText
    cache: dict[str, Any] = field(default_factory=dict)
    max_drawings: int = 5000
    capped: str | None = None  # why some or all drawings were ignored, if they were

    def drawings(self) -> list[dict[str, Any]]:
        """The page's vector paths (PyMuPDF ``get_drawings``, unrotated page space), capped."""
        if "drawings" in self.cache:
            return self.cache["drawings"]  # type: ignore[no-any-return]
        paths: list[dict[str, Any]] = []
        size = content_size(self.page)
        if size > 400 * self.max_drawings:  # ~400 bytes a path is far more than any uses
            self.capped = (f"{size // 1024} KB of page content: drawings not read "
                           f"(more than max_drawings={self.max_drawings})")
        elif size:
            paths = self.page.get_drawings()
            n = sum(len(p.get("items", ())) for p in paths)
            if n > self.max_drawings:
                paths = _rule_paths(paths)
                kept = sum(len(p["items"]) for p in paths)
                if kept > self.max_drawings:
                    self.capped = (f"{n} drawings, {kept} rule-like: more than "
                                   f"max_drawings={self.max_drawings}, drawings ignored")
                    paths = []
                else:
                    self.capped = (f"{n} drawings: only the {kept} rule-like ones kept "
                                   f"(max_drawings={self.max_drawings})")
        self.cache["drawings"] = paths
        return paths

    def rules(self) -> list[Rect]:
        """Horizontal rules (thin lines and bars at least 20 pt long) in displayed page space."""
        if "rules" in self.cache:
            return self.cache["rules"]  # type: ignore[no-any-return]
        rot = self.page.rotation_matrix if self.page.rotation else None
        out: list[Rect] = []
        for p in self.drawings():
            for item in p.get("items", ()):
                kind = item[0]
                if kind == "l":
                    a, b = item[1], item[2]
                    box = (min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y))
                elif kind == "re":
                    r = item[1]
                    box = (r.x0, r.y0, r.x1, r.y1)
                else:
                    continue
                if rot is not None:
                    box = _transform(box, rot)
                if box[3] - box[1] <= 2.5 and box[2] - box[0] >= 2:
                    out.append(box)
        # a rule drawn in pieces (one per column) is one rule
        out.sort(key=lambda b: (round((b[1] + b[3]) / 2), b[0]))
        merged: list[list[float]] = []
        for b in out:
            last = merged[-1] if merged else None
            if last is not None and abs((b[1] + b[3]) / 2 - (last[1] + last[3]) / 2) <= 1.0 \
                    and b[0] <= last[2] + 2.0:
                last[2] = max(last[2], b[2])
                last[1], last[3] = min(last[1], b[1]), max(last[3], b[3])
            else:
                merged.append(list(b))
        rules = [(b[0], b[1], b[2], b[3]) for b in merged if b[2] - b[0] >= 20]
        rules.sort(key=lambda b: (b[1], b[0]))
        self.cache["rules"] = rules
        return rules

    def shapes(self) -> list[tuple[str, Rect, bool]]:
        """The page's drawn shapes in displayed page space: (kind, box, coloured fill), kind
        ``rect`` (a box), ``line`` (a straight segment) or ``curve``."""
        if "shapes" in self.cache:
            return self.cache["shapes"]  # type: ignore[no-any-return]
        rot = self.page.rotation_matrix if self.page.rotation else None
        out: list[tuple[str, Rect, bool]] = []
        for p in self.drawings():
            fill = p.get("fill")
            coloured = fill is not None and min(fill) < 0.95
            for item in p.get("items", ()):
                kind = item[0]
                if kind == "re":
                    r = item[1]
                    box: Rect = (r.x0, r.y0, r.x1, r.y1)
                    name = "rect"
                elif kind == "l":
                    a, b = item[1], item[2]
                    box = (min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y))
                    name = "line"
                elif kind == "c":
                    pts = item[1:]
                    box = (min(q.x for q in pts), min(q.y for q in pts),
                           max(q.x for q in pts), max(q.y for q in pts))
                    name = "curve"
                else:
                    continue
                if rot is not None:
                    box = _transform(box, rot)
                out.append((name, box, coloured))
        self.cache["shapes"] = out
        return out


def content_size(page: Any) -> int:
    """Bytes of the page's content streams as stored in the file (compressed).

    The streams are not inflated: a few kilobytes of deflated data can inflate to gigabytes,
    and measuring them must not cost what reading them would.
    """
    doc = page.parent
    size = 0
    try:
        for xref in page.get_contents():
            size += len(doc.xref_stream_raw(xref) or b"")
    except Exception:  # noqa: BLE001 - no readable content stream: no drawings
        return 0
    return size


def _bar_groups(bars: list[Rect]) -> list[list[Rect]]:
    """Groups of three or more boxes that stand on one baseline with one thickness and at
    least three different lengths: the bars of a bar chart (table shading has equal lengths)."""
    out = []
    for base, thick, length in ((3, (0, 2), (1, 3)), (0, (1, 3), (0, 2))):
        groups: dict[tuple[int, int], list[Rect]] = {}
        for r in bars:
            groups.setdefault((round(r[base]), round(r[thick[1]] - r[thick[0]])), []).append(r)
        for rs in groups.values():
            rs.sort(key=lambda r: r[thick[0]])
            apart = [r for i, r in enumerate(rs) if i == 0 or r[thick[0]] >= rs[i - 1][thick[1]]]
            if len({round(r[length[1]] - r[length[0]]) for r in apart}) >= 3:
                out.append(apart)
    return out


def _marks(ctx: PageContext, bbox: Rect | None = None) -> tuple[list[Rect], list[Rect]]:
    """Slanted segments and large curves (pie wedges, not the rounded corners of a frame),
    and coloured boxes at least 3 pt thick (possible bars; thinner ones are rules), inside
    ``bbox``."""
    slanted: list[Rect] = []
    bars: list[Rect] = []
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        width, height = x1 - x0, y1 - y0
    for name, (a, b, c, d), coloured in ctx.shapes():
        if bbox is not None and (a < x0 - 2 or c > x1 + 2 or b < y0 - 2 or d > y1 + 2):
            continue
        if (name == "line" and c - a > 1 and d - b > 1) or (
                name == "curve" and c - a >= 20 and d - b >= 20):
            slanted.append((a, b, c, d))  # (small curves: rounded corners, dots, circles)
        elif name == "rect" and coloured and c - a >= 3 and d - b >= 3 and (
                bbox is None or (c - a < 0.5 * width and d - b < 0.9 * height)):
            bars.append((a, b, c, d))
    return slanted, bars


def chart_like(ctx: PageContext, bbox: Rect) -> bool:
    """Whether the drawings inside ``bbox`` are a chart rather than a table's ruling: bars
    (three or more coloured boxes on a common baseline with different lengths) or a plotted
    line (six or more slanted segments or curves)."""
    slanted, bars = _marks(ctx, bbox)
    return len(slanted) >= 6 or bool(_bar_groups(bars))


def chart_regions(ctx: PageContext) -> list[Rect]:
    """Where the page's charts are: clusters of plotted lines or bars, widened to the frame
    drawn around them (or by a few ems for the axis labels). Text there is not a table's."""
    if "charts" in ctx.cache:
        return ctx.cache["charts"]  # type: ignore[no-any-return]
    slanted, bars = _marks(ctx)
    seeds = [(r, 1) for r in slanted] + [(r, 6) for g in _bar_groups(bars) for r in g]
    clusters = _clusters(seeds, 12.0)
    frames = [b for kind, b, _ in ctx.shapes()
              if kind == "rect" and b[2] - b[0] >= 50 and b[3] - b[1] >= 30]
    out: list[Rect] = []
    for box, weight in clusters:
        if weight < 6:
            continue
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1.0)
        around = [f for f in frames if f[0] <= box[0] + 1 and f[1] <= box[1] + 1
                  and f[2] >= box[2] - 1 and f[3] >= box[3] - 1
                  and (f[2] - f[0]) * (f[3] - f[1]) <= 6 * area]
        frame = max(around, key=lambda f: (f[2] - f[0]) * (f[3] - f[1])) if around else None
        if frame is not None and frame[0] < box[0] - 15 and frame[3] > box[3] + 10:
            out.append(frame)  # a frame around the plot and its axis labels
        else:  # the plot area itself: its axis labels are left of it and under it
            b = frame or box
            out.append((b[0] - 40, b[1] - 10, b[2] + 10, b[3] + 25))
    ctx.cache["charts"] = out
    return out


def _clusters(seeds: list[tuple[Rect, int]], pad: float) -> list[list[Any]]:
    """Boxes within ``pad`` of each other, grouped: ``[box, total weight]`` per group. Boxes
    are bucketed on a grid of ``pad``-sized cells, so thousands of marks cost little."""
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (r, _) in enumerate(seeds):
        for gx in range(int((r[0] - pad / 2) // pad), int((r[2] + pad / 2) // pad) + 1):
            for gy in range(int((r[1] - pad / 2) // pad), int((r[3] + pad / 2) // pad) + 1):
                cells.setdefault((gx, gy), []).append(i)
    parent = list(range(len(seeds)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (gx, gy), members in cells.items():  # a cell joins its members and its neighbours'
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1), (1, -1)):
            other = cells.get((gx + dx, gy + dy))
            if other:
                a = root(members[0])
                for j in other + members:
                    b = root(j)
                    if a != b:
                        parent[b] = a
    groups: dict[int, list[Any]] = {}
    for i, (r, w) in enumerate(seeds):
        g = groups.setdefault(root(i), [list(r), 0])
        box = g[0]
        box[0], box[1] = min(box[0], r[0]), min(box[1], r[1])
        box[2], box[3] = max(box[2], r[2]), max(box[3], r[3])
        g[1] += w
    return list(groups.values())


def _visible(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paths without white fill-only boxes (a white box behind a line of text on a white
    page draws nothing, but PyMuPDF would read its edges as ruling)."""
    def box(p: dict[str, Any]) -> Rect:
        r = p["rect"]
        return (r.x0, r.y0, r.x1, r.y1)

    white = [i for i, p in enumerate(paths) if p.get("type") == "f"
             and p.get("fill") is not None and min(p["fill"]) >= 0.95]
    if not white:
        return paths
    # a path of several boxes (the four bars of a frame, a row of rules) covers only those
    # boxes, not the whole area they enclose
    coloured = [b for p in paths if p.get("fill") is not None and min(p["fill"]) < 0.95
                for b in _filled_boxes(p)]
    drop = set()
    for i in white:
        a = box(paths[i])
        cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
        area = (a[2] - a[0]) * (a[3] - a[1])
        # white on a coloured shape larger than itself shows its edges; white on white does not
        if not any(c[0] <= cx <= c[2] and c[1] <= cy <= c[3]
                   and (c[2] - c[0]) * (c[3] - c[1]) >= area for c in coloured):
            drop.add(i)
    return [p for i, p in enumerate(paths) if i not in drop]


def _filled_boxes(path: dict[str, Any]) -> list[Rect]:
    """The areas a filled path paints: each of its boxes when it is made of boxes only, else
    the box round the whole path (a polygon of lines and curves)."""
    items = path.get("items", ())
    if items and all(item[0] in ("re", "qu") for item in items):
        rects = [item[1].rect if item[0] == "qu" else item[1] for item in items]
        return [(r.x0, r.y0, r.x1, r.y1) for r in rects]
    r = path["rect"]
    return [(r.x0, r.y0, r.x1, r.y1)]


def _rule_paths(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paths cut down to what could be a table's ruling: straight horizontal or vertical
    lines and thin bars at least 10 pt long, and boxes at least 8 pt on each side."""
    import pymupdf

    out = []
    for p in paths:
        items = []
        for item in p.get("items", ()):
            if item[0] == "l":
                a, b = item[1], item[2]
                w, h = abs(a.x - b.x), abs(a.y - b.y)
                keep = max(w, h) >= 10 and min(w, h) <= 1
            elif item[0] in ("re", "qu"):
                r = item[1].rect if item[0] == "qu" else item[1]
                w, h = r.width, r.height
                keep = max(w, h) >= 10 and (min(w, h) <= 2.5 or min(w, h) >= 8)
            else:
                keep = False
            if keep:
                items.append(item)
        if items:
            xs: list[float] = []
            ys: list[float] = []
            for item in items:
                if item[0] == "l":
                    xs += [item[1].x, item[2].x]
                    ys += [item[1].y, item[2].y]
                else:
                    r = item[1].rect if item[0] == "qu" else item[1]
                    xs += [r.x0, r.x1]
                    ys += [r.y0, r.y1]
            out.append(dict(p, items=items, rect=pymupdf.Rect(min(xs), min(ys), max(xs),
                                                               max(ys))))
    return out


def _transform(box: Rect, m: Any) -> Rect:
    x0, y0, x1, y1 = box
    xs = [m.a * x + m.c * y + m.e for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    ys = [m.b * x + m.d * y + m.f for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    return min(xs), min(ys), max(xs), max(ys)


class TableEngine:
    """Base of table engines. Subclasses set ``name`` and implement :meth:`find`.

    Args:
        settings: the extract settings (engines read their own knobs from it).
    """

    name = "base"

    def __init__(self, settings: ExtractSettings):
        self.settings = settings

    def find(self, ctx: PageContext) -> list[RawTable]:
        """The tables on one page, top to bottom."""
        raise NotImplementedError


# ----------------------------------------------------------------------------- pymupdf

_NUM = re.compile(r"^[(\[]?[-−–+]?[$€£¥₹]?\d[\d,.\s]*%?[)\]]?$")
_DATE = re.compile(r"^\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}$")


def _overlap(a: Rect, b: Rect) -> float:
    """Intersection area over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(small, 1e-6)


def tabular_rows(text: PageText, exclude: list[Rect]) -> int:
    """How many text rows of the page look like rows of a borderless numeric table.

    A row (fragments on one baseline) counts when it has at least three segments separated by
    wide gaps and two of them are numbers or dates (or five segments and one number). Text
    inside ``exclude`` boxes is ignored.
    """
    rows: dict[int, list[tuple[float, float, str, float]]] = {}
    for f in text.fragments:
        if not f.horizontal:
            continue
        x0, y0, x1, y1 = f.bbox
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in exclude):
            continue
        # split the fragment itself at wide gaps (MuPDF keeps some aligned columns in one line)
        seg: list[Any] = []
        size = f.chars[0].size
        for c in f.chars:
            if c.c.isspace():
                continue
            if seg and c.x0 - seg[-1].x1 > 1.2 * size:
                rows.setdefault(round(seg[0].oy / 3), []).append(
                    (seg[0].x0, seg[-1].x1, "".join(s.c for s in seg), size))
                seg = []
            seg.append(c)
        if seg:
            rows.setdefault(round(seg[0].oy / 3), []).append(
                (seg[0].x0, seg[-1].x1, "".join(s.c for s in seg), size))
    count = 0
    for segs in rows.values():
        segs.sort()
        merged: list[list[Any]] = []
        for s in segs:
            if merged and s[0] - merged[-1][1] <= 1.2 * s[3]:
                merged[-1][1] = s[1]
                merged[-1][2] += " " + s[2]
            else:
                merged.append(list(s))
        numeric = sum(1 for m in merged if _NUM.match(m[2].strip()) or _DATE.match(m[2].strip())
                      or m[2].strip() in ("-", "–", "—"))
        if (len(merged) >= 3 and numeric >= 2) or (len(merged) >= 5 and numeric >= 1):
            count += 1
    return count


@contextmanager
def _light_chars() -> Iterator[None]:
    """Speed up ``find_tables`` by half: a lighter ``pymupdf.table.make_chars``.

    PyMuPDF's table finder first turns every character of the page into a dict, building
    Rect/Point/Matrix objects per character; in "lines" mode it only uses the characters to
    check that a candidate table contains text. This replacement builds the same dicts with
    plain arithmetic (same keys and values up to float rounding). It is installed only for
    the duration of our call, and only if the PyMuPDF internals look as expected; on any
    error it falls back to the original for that page.
    """
    try:
        from pymupdf import table as T

        original = T.make_chars
        ok = hasattr(T, "CHARS") and hasattr(T.CHARS, "_list") and hasattr(T, "FLAGS")
    except Exception:  # noqa: BLE001 - an unexpected PyMuPDF: run it as is
        ok = False
    if not ok:
        yield
        return

    def make_chars(page: Any, clip: Any = None) -> Any:
        try:
            return _make_chars(T, page, clip)
        except Exception:  # noqa: BLE001
            T.CHARS._list().clear()
            return original(page, clip=clip)

    T.make_chars = make_chars
    try:
        yield
    finally:
        T.make_chars = original


def _make_chars(T: Any, page: Any, clip: Any) -> Any:
    import pymupdf

    chars = T.CHARS._list()
    page_number = page.number + 1
    a, b, c, d, e, f = page.transformation_matrix
    textpage = page.get_textpage(clip=clip, flags=T.FLAGS)
    blocks = page.get_text("rawdict", textpage=textpage)["blocks"]
    doctop_base = page.rect.height * page.number
    bold_flag = pymupdf.TEXT_FONT_BOLD
    append = chars.append
    for block in blocks:
        for line in block["lines"]:
            l0, l1 = round(line["dir"][0], 4), round(line["dir"][1], 4)
            upright = l1 == 0
            for span in sorted(line["spans"], key=lambda s: s["bbox"][0]):
                font, size = span["font"], span["size"]
                bold = bool(span["flags"] & bold_flag or span["char_flags"] & 8)
                rgb = span["color"]
                color = (((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                         (rgb & 255) / 255.0)
                for ch in sorted(span["chars"], key=lambda ch: ch["bbox"][0]):
                    x0, y0, x1, y1 = ch["bbox"]
                    ys = (b * x0 + d * y0 + f, b * x1 + d * y0 + f,
                          b * x0 + d * y1 + f, b * x1 + d * y1 + f)
                    ox, oy = ch["origin"]
                    h = y1 - y0
                    append({
                        "adv": x1 - x0 if upright else h, "bottom": y1,
                        "doctop": y0 + doctop_base, "fontname": font, "height": h,
                        "matrix": (l0, -l1, l1, l0, a * ox + c * oy + e, b * ox + d * oy + f),
                        "ncs": "DeviceRGB", "non_stroking_color": color,
                        "non_stroking_pattern": None, "object_type": "char",
                        "page_number": page_number, "size": size if upright else h,
                        "stroking_color": color, "stroking_pattern": None, "bold": bold,
                        "text": ch["c"], "top": y0, "upright": upright, "width": x1 - x0,
                        "x0": x0, "x1": x1, "y0": min(ys), "y1": max(ys),
                    })
    return textpage


def drop_frames(tables: list[RawTable]) -> list[RawTable]:
    """Drop a "table" that is only a frame around another table (a box drawn around a table
    and its caption is found as a table of its own)."""
    out = []
    for t in tables:
        inner = [o for o in tables if o is not t and _area(o.bbox) < _area(t.bbox)
                 and _overlap(o.bbox, t.bbox) > 0.9]
        if not inner:
            out.append(t)
    return out


def _area(b: Rect) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


class PyMuPDFEngine(TableEngine):
    """PyMuPDF ``find_tables``: ruled tables from the page's vector lines (fast), plus
    PyMuPDF's layout model for tables without ruling lines (slow; see ``layout`` setting)."""

    name = "pymupdf"
    min_tabular_rows = 4

    def find(self, ctx: PageContext) -> list[RawTable]:
        page = ctx.page
        mode = self.settings.layout
        if mode == "always" and self._layout_available():
            return self._convert(ctx, page.find_tables(), "layout")
        found = ruled_tables(ctx)
        if (mode == "auto"
                and tabular_rows(ctx.text, [t.bbox for t in found]) >= self.min_tabular_rows
                and self._layout_available()):
            found = add_layout_tables(ctx, found)
        return drop_frames(found)

    @staticmethod
    def _layout_available() -> bool:
        from abstab.extract.pdf import layout_model

        return layout_model()

    @staticmethod
    def _convert(ctx: PageContext, finder: Any, method: str) -> list[RawTable]:
        return _convert(ctx, finder, method)


def _convert(ctx: PageContext, finder: Any, method: str) -> list[RawTable]:
    out: list[RawTable] = []
    if finder is None:  # find_tables swallows its exceptions and returns None
        return out
    for t in finder.tables:
        cells = [tuple(c) for c in t.cells if c is not None]
        if not cells:
            continue
        out.append(RawTable(ctx.number, tuple(t.bbox), cells, _header_guess(t), method,
                            0.9 if method == "lines" else 0.7))
    return out


def ruled_tables(ctx: PageContext) -> list[RawTable]:
    """Tables drawn with vector lines: PyMuPDF's ``lines`` strategy on the (capped) drawings.

    On a rotated page PyMuPDF reads the drawings itself (paths handed over would be in the
    unrotated space while it works on the derotated page); the boxes it returns are in
    displayed page space either way.
    """
    paths = ctx.drawings()
    if not any(item[0] in ("l", "re", "qu") for p in paths for item in p.get("items", ())):
        return []
    with _light_chars():
        if ctx.page.rotation:
            if ctx.capped:
                return []  # PyMuPDF would read every drawing again itself
            finder = _find_tables(ctx.page, use_layout=False)
        else:
            paths = _visible(paths)
            if not any(item[0] in ("l", "re", "qu") for p in paths for item in p.get("items", ())):
                return []
            finder = _find_tables(ctx.page, use_layout=False, paths=paths)
    return [t for t in _convert(ctx, finder, "lines") if not chart_like(ctx, t.bbox)]


def add_layout_tables(ctx: PageContext, found: list[RawTable]) -> list[RawTable]:
    """``found`` plus the tables PyMuPDF's layout model finds that overlap none of them."""
    extra = _convert(ctx, ctx.page.find_tables(), "layout")
    out = list(found)
    for t in extra:
        if all(_overlap(t.bbox, f.bbox) < 0.3 for f in found):
            out.append(t)
    out.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
    return out


def _find_tables(page: Any, **kwargs: Any) -> Any:
    """``page.find_tables`` without the layout model; PyMuPDF < 2.0 has no ``use_layout``."""
    try:
        return page.find_tables(**kwargs)
    except TypeError:
        kwargs.pop("use_layout", None)
        return page.find_tables(**kwargs)


def _header_guess(table: Any) -> Callable[[], int | None]:
    def guess() -> int | None:
        try:
            header = table.header
            if header is None or header.external:
                return None
            hy = header.bbox[3]
            return sum(1 for r in table.rows if r.bbox[3] <= hy + 1.0) or None
        except Exception:  # noqa: BLE001 - the header guess is only a hint
            return None

    return guess
