"""The default extraction engine: ruled tables from vector lines, unruled ones from text alignment,
the layout model as a fallback. It combines the engines' building blocks (:mod:`.engines`) with the
unruled finder (:mod:`.unruled`), which itself stands on those blocks.
"""

from __future__ import annotations

import bisect
import re
from itertools import pairwise

from abstab.extract import banded, unruled
from abstab.extract.engines import (
    PageContext,
    PyMuPDFEngine,
    RawTable,
    Rect,
    TableEngine,
    add_layout_tables,
    chart_like,
    chart_regions,
    drop_frames,
    ruled_tables,
    tabular_rows,
)


class AutoEngine(TableEngine):
    """The default: each table read by the method that fits it.

    - Ruled tables (vector lines around the cells) come from PyMuPDF's ``lines`` strategy
      (:func:`ruled_tables`, a few milliseconds a page); a table shaded on every other row
      comes out as one table per stripe and is joined again (:func:`join_striped`);
    - tables ruled only by horizontal rules across their width, with text between them and
      little or no numbers (program lists, tax schedules), come from those rules
      (:mod:`abstab.extract.banded`);
    - tables without vertical rules (most statistical tables: at most a rule above, under the
      header and at the bottom) come from the alignment of the page's text outside those
      (:mod:`abstab.extract.unruled`), again in milliseconds and without a model;
    - PyMuPDF's layout model (1-3 s a page, and some 200 MB once loaded) runs only as a
      fallback (``layout="auto"``): on a page where rows of aligned numbers remain outside
      every table and chart found, unless the page is a drawing (``max_fallback_drawings``).
      ``layout="never"`` turns it off, ``"always"`` runs it on every page and adds what it
      finds elsewhere. On ICDAR 2013 and govreports it adds no table the rest misses.
      It also runs on a page where a table caption (``Table 3. …``) heads no table found so
      far: a table of text set without vertical rules (a program list: names, statutes and
      summaries in wrapped lines) has no aligned numbers, but its caption promises it; only
      what it finds under such a caption is kept, without the caption line itself.

    Every region is then read into a grid by the same engine-neutral cleanup.
    """

    name = "auto"
    min_tabular_rows = 4
    max_fallback_drawings = 300
    """A page with more vector paths is a drawing (a schematic, a map) whose scattered labels
    look like rows of numbers; the layout model is not run there."""

    def find(self, ctx: PageContext) -> list[RawTable]:
        ruled = join_striped(ctx, drop_frames(ruled_tables(ctx)))
        text = unruled.find(ctx, [t.bbox for t in ruled] + chart_regions(ctx))
        headed: set[int] = set()
        lines = unruled.page_lines(ctx.text, []) if any(
            t.method == "labels" for t in text) else []
        for labels in [t for t in text if t.method == "labels"]:
            pair = unruled.attach_labels(labels, ruled, lines)
            if pair is not None:  # a header drawn in a box of its own over a ruled body
                ruled = [pair[1] if t is pair[0] else t for t in ruled]
                headed.add(id(pair[1]))
        others = [t.bbox for t in ruled + text] + chart_regions(ctx)
        for i, t in enumerate(ruled):
            # a header standing unruled over a frame drawn round the body only
            headed_t = None if id(t) in headed or t.method != "lines" else unruled.labels_above(
                ctx, t, [b for b in others if b != t.bbox])
            if headed_t is not None:
                ruled[i] = headed_t
        found = ruled + [t for t in text if t.method != "labels"]
        added, replaced = banded.find(ctx, found, chart_regions(ctx))
        found = [t for t in found if t not in replaced] + added
        found.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        mode = self.settings.layout
        if mode == "never":
            return found
        covered = [t.bbox for t in found] + chart_regions(ctx)
        plain = len(ctx.drawings()) < self.max_fallback_drawings
        # (a page whose drawings were capped is a chart or a map: no model run for a caption)
        promised = unclaimed_captions(ctx, found) if plain and not ctx.capped else []
        numeric = mode == "always" or (plain and tabular_rows(ctx.text, covered)
                                       >= self.min_tabular_rows)
        if (numeric or promised) and PyMuPDFEngine._layout_available():
            kept = []
            for t in add_layout_tables(ctx, found):
                if t.method != "layout":
                    kept.append(t)
                    continue
                if not numeric:
                    t = under_caption(t, promised)  # type: ignore[assignment]
                if t is not None and not chart_like(ctx, t.bbox):
                    kept.append(t)
            found = kept
        return found


_TABLE_CAPTION = re.compile(r"^\s*Table\s+[A-Z]?-?\d+[A-Za-z]?\s*[.:—–-]")
_LEADERS = re.compile(r"(\.\s?){4,}|…")


def _edges(t: RawTable) -> list[float]:
    return sorted({round(v) for c in t.cells for v in (c[0], c[2])})


def _one_row(t: RawTable) -> bool:
    """Whether every cell of ``t`` spans its whole height (a single shaded stripe)."""
    return all(abs(c[1] - t.bbox[1]) <= 1.5 and abs(c[3] - t.bbox[3]) <= 1.5 for c in t.cells)


def join_striped(ctx: PageContext, tables: list[RawTable]) -> list[RawTable]:
    """Ruled tables that are the shaded stripes of one table, joined with the rows between.

    A table shaded on every other row and otherwise unruled is read by the ``lines`` strategy
    as one table per shaded row; the unshaded rows between are lost. Tables stacked with the
    same column edges, each a single row, apart by half to two of their heights with text
    between them, are one table: the text between gets a row of cells on the same column edges."""
    if len(tables) < 2:
        return tables
    out: list[RawTable] = []
    joined: dict[int, float] = {}  # id of a joined table → the height of its unshaded rows
    for t in sorted(tables, key=lambda t: (t.bbox[1], t.bbox[0])):
        last = out[-1] if out else None
        if last is not None and t.method == last.method == "lines" \
                and _one_row(t) and (id(last) in joined or _one_row(last)):
            edges, height = _edges(t), t.bbox[3] - t.bbox[1]
            gap = (last.bbox[3], t.bbox[1])
            close = len(edges) >= 3 and 0.5 * height <= gap[1] - gap[0] <= 2 * height \
                and len(edges) == len(_edges(last)) \
                and all(abs(a - b) <= 2 for a, b in zip(edges, _edges(last), strict=True))
            text = close and any(t.bbox[0] <= c.cx <= t.bbox[2] and gap[0] < c.cy < gap[1]
                                 and not c.c.isspace() for c in ctx.text.chars)
            if text:
                between = [(a, gap[0], b, gap[1]) for a, b in pairwise(edges)]
                cells = last.cells + between + t.cells
                bbox = (min(last.bbox[0], t.bbox[0]), last.bbox[1],
                        max(last.bbox[2], t.bbox[2]), t.bbox[3])
                out[-1] = RawTable(t.page, bbox, cells, None, "lines", last.score)
                joined[id(out[-1])] = gap[1] - gap[0]
                continue
        out.append(t)
    return [_unshaded_ends(ctx, t, joined[id(t)]) if id(t) in joined else t for t in out]


_NOT_A_ROW = re.compile(r"^(Sources?|Notes?|Table|Figure)\b", re.IGNORECASE)


def _unshaded_ends(ctx: PageContext, t: RawTable, pitch: float) -> RawTable:
    """A joined striped table with its unshaded first and last rows (one unshaded row's
    height above the first stripe and under the last), when they hold text."""
    edges = _edges(t)
    x0, y0, x1, y1 = t.bbox
    cells = list(t.cells)
    filled = {bisect.bisect_right(edges, c.cx) for c in ctx.text.chars
              if x0 <= c.cx <= x1 and y0 < c.cy < y1 and not c.c.isspace()}
    for top, bottom in ((y0 - pitch, y0), (y1, y1 + pitch)):
        ink = sorted((c for c in ctx.text.chars if x0 <= c.cx <= x1 and top < c.cy < bottom
                      and not c.c.isspace()), key=lambda c: c.x0)
        used = {bisect.bisect_right(edges, c.cx) for c in ink}
        # a row of the table fills most columns; a source line or a note does not belong
        if len(used) >= 0.5 * len(filled) and not _NOT_A_ROW.match(
                "".join(c.c for c in ink)):
            cells += [(a, top, b, bottom) for a, b in pairwise(edges)]
            y0, y1 = min(y0, top), max(y1, bottom)
    return RawTable(t.page, (x0, y0, x1, y1), cells, None, t.method, t.score)


def unclaimed_captions(ctx: PageContext, found: list[RawTable]) -> list[Rect]:
    """Table captions of the page (``Table 3. …`` starting a line, not a contents entry with
    leader dots) with no table found right under them (or around them)."""
    out: list[Rect] = []
    for ln in unruled.page_lines(ctx.text, []):
        text = " ".join(w.text for w in ln.words)
        if not _TABLE_CAPTION.match(text) or _LEADERS.search(text) or ln.leaders:
            continue
        box = (ln.x0, ln.y0, ln.x1, ln.y1)
        if any(t.bbox[1] >= box[1] - 4 * ln.size and t.bbox[1] <= box[3] + 6 * ln.size
               and min(t.bbox[2], ctx.text.width) > box[0] - 50 and t.bbox[0] < box[2] + 50
               for t in found):
            continue
        out.append(box)
    return out


def under_caption(table: RawTable, captions: list[Rect]) -> RawTable | None:
    """``table`` if it starts right under (or at) one of ``captions``, with the cells above the
    caption's last line dropped (the layout model may take the caption in); else None."""
    for cap in captions:
        size = cap[3] - cap[1]
        if not (cap[1] - size <= table.bbox[1] <= cap[3] + 8 * size):
            continue
        cells = [c for c in table.cells if (c[1] + c[3]) / 2 > cap[3]]
        if len(cells) < 4:
            return None
        top = min(c[1] for c in cells)
        bbox = (table.bbox[0], max(table.bbox[1], top), table.bbox[2], table.bbox[3])
        return RawTable(table.page, bbox, cells, None, table.method, table.score)
    return None
