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
    """What an engine may look at for one page."""

    path: Path
    number: int  # 1-based
    page: Any  # the pymupdf Page
    text: PageText
    cache: dict[str, Any] = field(default_factory=dict)


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
        found: list[RawTable] = []
        if mode == "always":
            return self._convert(ctx, page.find_tables(), "layout")
        paths = page.get_drawings()
        if any(item[0] in ("l", "re", "qu") for p in paths for item in p.get("items", ())):
            with _light_chars():
                finder = _find_tables(page, use_layout=False, paths=paths)
            found = self._convert(ctx, finder, "lines")
        if (mode == "auto" and self._layout_available()
                and tabular_rows(ctx.text, [t.bbox for t in found]) >= self.min_tabular_rows):
            extra = self._convert(ctx, page.find_tables(), "layout")
            for t in extra:
                if all(_overlap(t.bbox, f.bbox) < 0.3 for f in found):
                    found.append(t)
            found.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        return drop_frames(found)

    @staticmethod
    def _layout_available() -> bool:
        import pymupdf

        return getattr(pymupdf, "_get_layout", None) is not None

    @staticmethod
    def _convert(ctx: PageContext, finder: Any, method: str) -> list[RawTable]:
        out = []
        for t in finder.tables:
            cells = [tuple(c) for c in t.cells if c is not None]
            if not cells:
                continue
            out.append(RawTable(ctx.number, tuple(t.bbox), cells, _header_guess(t), method,
                                0.9 if method == "lines" else 0.7))
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
