"""The default extraction engine: ruled tables from vector lines, unruled ones from text alignment,
the layout model as a fallback. It combines the engines' building blocks (:mod:`.engines`) with the
unruled finder (:mod:`.unruled`), which itself stands on those blocks.
"""

from __future__ import annotations

import re

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
      (:func:`ruled_tables`, a few milliseconds a page);
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
        ruled = drop_frames(ruled_tables(ctx))
        text = unruled.find(ctx, [t.bbox for t in ruled] + chart_regions(ctx))
        for labels in [t for t in text if t.method == "labels"]:
            pair = unruled.attach_labels(labels, ruled)
            if pair is not None:  # a header drawn in a box of its own over a ruled body
                ruled = [pair[1] if t is pair[0] else t for t in ruled]
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
