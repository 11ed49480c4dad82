"""The default extraction engine: ruled tables from vector lines, unruled ones from text alignment,
the layout model as a fallback. It combines the engines' building blocks (:mod:`.engines`) with the
unruled finder (:mod:`.unruled`), which itself stands on those blocks.
"""

from __future__ import annotations

from abstab.extract import unruled
from abstab.extract.engines import (
    PageContext,
    PyMuPDFEngine,
    RawTable,
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
    - tables without vertical rules (most statistical tables: at most a rule above, under the
      header and at the bottom) come from the alignment of the page's text outside those
      (:mod:`abstab.extract.unruled`), again in milliseconds and without a model;
    - PyMuPDF's layout model (1-3 s a page, and some 200 MB once loaded) runs only as a
      fallback (``layout="auto"``): on a page where rows of aligned numbers remain outside
      every table and chart found, unless the page is a drawing (``max_fallback_drawings``).
      ``layout="never"`` turns it off, ``"always"`` runs it on every page and adds what it
      finds elsewhere. On ICDAR 2013 and govreports it adds no table the rest misses.

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
        found.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        mode = self.settings.layout
        if mode == "never":
            return found
        covered = [t.bbox for t in found] + chart_regions(ctx)
        if (mode == "always" or (len(ctx.drawings()) < self.max_fallback_drawings
                                 and tabular_rows(ctx.text, covered) >= self.min_tabular_rows)) \
                and PyMuPDFEngine._layout_available():
            found = [t for t in add_layout_tables(ctx, found)
                     if t.method != "layout" or not chart_like(ctx, t.bbox)]
        return found
