"""camelot as a table engine: ``camelot-lattice`` (ruled tables, from an image of the page's
lines) and ``camelot-stream`` (tables from the gaps between text).

camelot finds the regions and the cell grid; the cell text is then read from the page's own
characters by the shared cleanup (:mod:`abstab.extract.grid`), as for every engine. camelot
reports boxes with a bottom-left origin on the displayed page; they are flipped here to PyMuPDF
page space (top-left origin). Merged cells of a lattice table are rebuilt from the edges camelot
found missing between neighbouring cells.

camelot is optional: ``pip install 'abstab[camelot]'`` (camelot-py, which brings OpenCV).
It parses the PDF again for every page (with pdfminer), so it is several times slower than the
default ``auto`` engine.
"""

from __future__ import annotations

import warnings
from typing import Any

from abstab.errors import ConfigError
from abstab.extract.engines import PageContext, RawTable, Rect, TableEngine


def _camelot() -> Any:
    try:
        import camelot
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the camelot engines need camelot-py: pip install 'abstab[camelot]' "
            "(or use --engine auto)"
        ) from exc
    return camelot


class CamelotEngine(TableEngine):
    """Base of the camelot engines; ``flavor`` is camelot's."""

    name = "camelot"
    flavor = "lattice"

    def find(self, ctx: PageContext) -> list[RawTable]:
        camelot = _camelot()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "No tables found on page-N" and the like
            try:
                tables = camelot.read_pdf(str(ctx.path), pages=str(ctx.number),
                                          flavor=self.flavor, suppress_stdout=True)
            except Exception:  # noqa: BLE001 - one page camelot cannot read has no tables
                return []
        out = []
        for t in tables:
            height = t.pdf_size[1] if getattr(t, "pdf_size", None) else ctx.text.height
            cells = _cells(t, height)
            if not cells:
                continue
            x1, y1, x2, y2 = t._bbox
            bbox = (min(x1, x2), height - max(y1, y2), max(x1, x2), height - min(y1, y2))
            score = getattr(t, "accuracy", None)
            out.append(RawTable(ctx.number, bbox, cells, None, f"camelot-{self.flavor}",
                                round(score / 100, 3) if isinstance(score, (int, float))
                                else None))
        out.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
        return out


def _cells(table: Any, height: float) -> list[Rect]:
    """Cell rectangles (top-left origin); lattice cells with a missing edge are merged."""
    grid = table.cells
    n_rows = len(grid)
    n_cols = len(grid[0]) if grid else 0
    parent = {(r, c): (r, c) for r in range(n_rows) for c in range(n_cols)}

    def root(k: tuple[int, int]) -> tuple[int, int]:
        while parent[k] != k:
            k = parent[k]
        return k

    if getattr(table, "flavor", "") == "lattice":
        for r in range(n_rows):
            for c in range(n_cols):
                cell = grid[r][c]
                if c + 1 < n_cols and not cell.right and not grid[r][c + 1].left:
                    parent[root((r, c + 1))] = root((r, c))
                if r + 1 < n_rows and not cell.bottom and not grid[r + 1][c].top:
                    parent[root((r + 1, c))] = root((r, c))
    boxes: dict[tuple[int, int], list[float]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            cell = grid[r][c]
            k = root((r, c))
            x0, x1 = min(cell.x1, cell.x2), max(cell.x1, cell.x2)
            top, bottom = height - max(cell.y1, cell.y2), height - min(cell.y1, cell.y2)
            b = boxes.get(k)
            if b is None:
                boxes[k] = [x0, top, x1, bottom]
            else:
                b[0], b[1], b[2], b[3] = min(b[0], x0), min(b[1], top), max(b[2], x1), \
                    max(b[3], bottom)
    return [(b[0], b[1], b[2], b[3]) for b in boxes.values() if b[2] > b[0] and b[3] > b[1]]


class CamelotLatticeEngine(CamelotEngine):
    """camelot ``lattice``: ruled tables, from the page's lines found in a rendered image."""

    name = "camelot-lattice"
    flavor = "lattice"


class CamelotStreamEngine(CamelotEngine):
    """camelot ``stream``: tables from the whitespace between text (Nurminen's method)."""

    name = "camelot-stream"
    flavor = "stream"
