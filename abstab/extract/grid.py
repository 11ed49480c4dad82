"""From an engine's cell rectangles to a clean logical grid with the page's own text.

Steps (all engine-neutral):

1. the rectangles define a grid of x and y boundaries; a rectangle covering several slots is a
   merged cell (row_span / col_span);
2. every character of the page inside the table goes to the cell under its centre, and each
   cell's text is rebuilt line by line (:mod:`abstab.extract.text`);
3. a grid row holding several stacked table rows (a ruled band of five states, a group label
   above its sub-labels) is split into one row per text line, or after each row label a
   leader ends when the rows' values wrap;
4. a ruled column holding several unruled columns (``138  6.9  6.9``) is split at the gutters
   its words leave free (a range ``1.35 - 1.42`` is one value: its dash is a word); a merged
   cell whose single line is spread over the columns below it with wide gaps (``Permit
   Handgun  Long Gun``: the rule between them was missing) is split into those columns;
5. grid columns and rows that hold no text of their own (shading strips, padding) are dropped,
   so the grid has one column per column of text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from abstab.extract.engines import RawTable, Rect
from abstab.extract.text import Char, PageText, group_lines, join_lines, line_text

_NUMERIC = re.compile(
    r"^[*†‡]*[(\[]?[-−–+]?\s?[$€£¥₹]?\s?(\d{1,3}([,\s]\d{3})+|\d+|(?=[.,]\d))([.,]\d+)?"
    r"\s?%?[)\]]?[⁰¹²³⁴⁵⁶⁷⁸⁹*†‡]*$"
)
_PLACEHOLDER = re.compile(
    r"^([-–—‒−]+|\.{2,3}|…|n\.?a\.?|N/?A|n/a|x|X|\*|:|–|nil|NIL|none|"
    r"\((X|Z|D|S|B|NA|N|NR|\*)\))$"
)


_DATE = re.compile(
    r"^(\d{1,2}[/.\-]\d{1,2}[/.\-](\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(:\d{2})?)$"
)


def is_number(text: str) -> bool:
    return bool(_NUMERIC.match(text.strip()))


# an amount with its scale word, or a count with its share beside it: a value of the body
# (``$3.1 billion``, ``353 (93.9%)``), as the reports of US agencies print most of theirs
_AMOUNT = re.compile(
    r"^[$€£¥₹]?\s?\d[\d,]*(\.\d+)?\s?(thousand|million|billion|trillion)$"
    r"|^[$€£¥₹]?\s?\d[\d,]*(\.\d+)?\s?\([-−–+]?\d[\d,]*(\.\d+)?\s?%\)$",
    re.IGNORECASE,
)


def is_value(text: str) -> bool:
    """A number, an amount (``$3.1 billion``, ``353 (93.9%)``), a date or time, or a
    placeholder for a missing value (``-``, ``n.a.``)."""
    t = " ".join(text.split())
    return bool(_NUMERIC.match(t) or _AMOUNT.match(t) or _PLACEHOLDER.match(t)
                or _DATE.match(t))


@dataclass
class GCell:
    """A cell of the logical grid."""

    r: int
    c: int
    rs: int
    cs: int
    bbox: Rect
    lines: list[list[Char]] = field(default_factory=list)
    text: str = ""
    bold: float = 0.0
    size: float = 0.0
    page: int = 0  # 1-based page of the cell (tables continued over pages have several)
    led: bool = False  # leader dots follow its text: a row label, never a column label

    def finish(self) -> GCell:
        texts = [line_text(_without_leaders(chars))[0] for chars in self.lines]
        self.text = join_lines(texts)
        ink = [c for chars in self.lines for c in chars if not c.c.isspace()]
        self.bold = sum(1 for c in ink if c.bold) / len(ink) if ink else 0.0
        self.size = max((c.size for c in ink), default=0.0)
        return self


@dataclass
class Grid:
    nrows: int
    ncols: int
    cells: list[GCell]
    col_x: list[float]  # ncols + 1 boundaries
    row_y: list[float]  # nrows + 1 boundaries

    def at(self) -> list[list[GCell | None]]:
        """Slot → owning cell."""
        slots: list[list[GCell | None]] = [[None] * self.ncols for _ in range(self.nrows)]
        for cell in self.cells:
            for r in range(cell.r, cell.r + cell.rs):
                for c in range(cell.c, cell.c + cell.cs):
                    slots[r][c] = cell
        return slots


_LEADER_DOTS = frozenset(".·")


def _without_leaders(chars: list[Char]) -> list[Char]:
    """A line without the short run of leader dots that ends it (``verification ..``: the
    leader of a label that nearly fills its column; longer runs are left out of every cell
    already). Dots set a space after a word are filler; a dot ending a word (``No.``, ``etc.``)
    is not, nor are dots standing alone (``..``: a value not available)."""
    end = len(chars)
    while end and chars[end - 1].c.isspace():
        end -= 1
    start = end
    while start and chars[start - 1].c in _LEADER_DOTS:
        start -= 1
    if end - start < 2 or not start:
        return chars
    before = start
    while before and chars[before - 1].c.isspace():
        before -= 1
    if not before:
        return chars  # only dots: a placeholder
    last, dot = chars[before - 1], chars[start]
    if before == start and dot.x0 - last.x1 <= 0.25 * dot.size:
        return chars  # glued to the word: its own punctuation
    return chars[:before]


def _cluster(values: Sequence[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float, tol: float) -> int:
    i = bisect.bisect_left(bounds, v - tol)
    return min(i, len(bounds) - 1)


def _vr(chars: Sequence[Char]) -> tuple[float, float]:
    size = max(c.size for c in chars)
    base = max(c.oy for c in chars if c.size >= size * 0.85)
    return base - 0.75 * size, base + 0.25 * size


# ------------------------------------------------------------------------ construction


def raw_grid(raw: RawTable, page: PageText) -> Grid | None:
    """Steps 1-2: the engine's rectangles as a grid, with the page's characters in its cells."""
    tol = 1.5
    xs = _cluster([v for r in raw.cells for v in (r[0], r[2])], tol)
    ys = _cluster([v for r in raw.cells for v in (r[1], r[3])], tol)
    if len(xs) < 2 or len(ys) < 2:
        return None
    nrows, ncols = len(ys) - 1, len(xs) - 1
    owner: list[list[GCell | None]] = [[None] * ncols for _ in range(nrows)]
    cells: list[GCell] = []
    # small rectangles first: a frame drawn around a whole table must not swallow its cells
    for rect in sorted(raw.cells, key=lambda r: (r[2] - r[0]) * (r[3] - r[1])):
        c0, c1 = _index(xs, rect[0], tol), _index(xs, rect[2], tol)
        r0, r1 = _index(ys, rect[1], tol), _index(ys, rect[3], tol)
        if c1 <= c0 or r1 <= r0:
            continue
        if any(owner[r][c] is not None for r in range(r0, r1) for c in range(c0, c1)):
            continue  # overlapping rectangles: the smaller one wins
        cell = GCell(r0, c0, r1 - r0, c1 - c0, (xs[c0], ys[r0], xs[c1], ys[r1]))
        cells.append(cell)
        for r in range(r0, r1):
            for c in range(c0, c1):
                owner[r][c] = cell
    for r in range(nrows):
        for c in range(ncols):
            if owner[r][c] is None:
                cell = GCell(r, c, 1, 1, (xs[c], ys[r], xs[c + 1], ys[r + 1]))
                cells.append(cell)
                owner[r][c] = cell
    x0, y0, x1, y1 = xs[0], ys[0], xs[-1], ys[-1]
    buckets: dict[int, list[Char]] = {}
    crossing: list[list[GCell]] = []  # cells a word's characters fall in, when several

    def slot(x: float, y: float) -> GCell:
        c = min(max(bisect.bisect_right(xs, x) - 1, 0), ncols - 1)
        r = min(max(bisect.bisect_right(ys, y) - 1, 0), nrows - 1)
        cell = owner[r][c]
        assert cell is not None
        return cell

    # whole words go to the cell under their centre: a boundary through a word (a label
    # wider than its column, text spilling over a rule) never cuts it in two
    for word in page_words(page, (x0, y0, x1, y1)):
        ink = [ch for ch in word if not ch.c.isspace()] or word
        home = slot((ink[0].x0 + ink[-1].x1) / 2, ink[0].cy)
        buckets.setdefault(id(home), []).extend(word)
        over: list[GCell] = []
        for ch in ink:
            cell = slot(ch.cx, ch.cy)
            if not over or over[-1] is not cell:
                over.append(cell)
        if len(over) > 1:
            crossing.append(over)
    cells = _join_split_words(cells, buckets, crossing)
    vertical = page.vertical
    for cell in cells:
        chars = buckets.get(id(cell))
        if chars:
            cell.lines = [ln for ln in group_lines(chars, vertical)
                          if any(not c.c.isspace() for c in ln)]
    return Grid(nrows, ncols, cells, xs, ys)


def page_words(page: PageText, box: Rect) -> list[list[Char]]:
    """The words of ``page`` whose centre is inside ``box`` (leader dots and typed rules left
    out): horizontal characters split at spaces and at gaps wider than a word space; each
    character of rotated text is a word of its own. A space glyph stays with the word it
    follows (the text of a line is rebuilt from them)."""
    x0, y0, x1, y1 = box
    decoration = page.decoration
    vertical = page.vertical
    out: list[list[Char]] = []
    for f in page.fragments:
        fx0, fy0, fx1, fy1 = f.bbox
        if fx0 > x1 + 1 or fx1 < x0 - 1 or fy0 > y1 + 1 or fy1 < y0 - 1:
            continue
        chars = [c for c in f.chars if id(c) not in decoration]
        # (the gap at which a line's text gets a space: see text.line_text)
        words = [[c] for c in chars] if f.index in vertical else _words(chars, 0.25)
        for w in words:
            ink = [c for c in w if not c.c.isspace()] or w
            cx = (ink[0].x0 + ink[-1].x1) / 2 if f.index not in vertical else ink[0].cx
            if x0 <= cx <= x1 and y0 <= ink[0].cy <= y1:
                out.append(w)
    return out


def _join_split_words(cells: list[GCell], buckets: dict[int, list[Char]],
                      crossing: list[list[GCell]]) -> list[GCell]:
    """Merge side-by-side cells of one row that a word runs across (text spilling over a cell
    border: ``Flight O|peration``), so a label keeps its words together; ``crossing`` lists,
    for each such word, the cells its characters fall in, left to right."""
    parent: dict[int, GCell] = {id(c): c for c in cells}

    def find(c: GCell) -> GCell:
        while parent[id(c)] is not c:
            c = parent[id(c)]
        return c

    joined = False
    for over in crossing:
        for a, b in pairwise(over):
            ca, cb = find(a), find(b)
            if ca is cb or ca.r != cb.r or ca.rs != cb.rs or ca.c + ca.cs != cb.c:
                continue
            parent[id(cb)] = ca
            ca.cs += cb.cs
            ca.bbox = (ca.bbox[0], ca.bbox[1], cb.bbox[2], ca.bbox[3])
            joined = True
    if not joined:
        return cells
    out = []
    for cell in cells:
        root = find(cell)
        if root is not cell:
            buckets.setdefault(id(root), []).extend(buckets.pop(id(cell), []))
        else:
            out.append(cell)
    return out


# ---------------------------------------------------------------------- row splitting


def _bands(lines: list[list[Char]]) -> list[tuple[float, float]]:
    """Vertical bands of a set of lines: lines overlapping by half their height share one."""
    ranges = sorted(_vr(ln) for ln in lines)
    bands: list[list[float]] = []
    for lo, hi in ranges:
        if bands:
            b = bands[-1]
            if min(b[1], hi) - max(b[0], lo) >= 0.5 * min(b[1] - b[0], hi - lo):
                b[1] = max(b[1], hi)
                continue
        bands.append([lo, hi])
    return [(b[0], b[1]) for b in bands]


def _band_of(line: list[Char], bands: list[tuple[float, float]]) -> int:
    lo, hi = _vr(line)
    mid = (lo + hi) / 2
    best, dist = 0, float("inf")
    for i, (blo, bhi) in enumerate(bands):
        d = 0.0 if blo <= mid <= bhi else min(abs(mid - blo), abs(mid - bhi))
        if d < dist:
            best, dist = i, d
    return best


def _groups(line: list[Char]) -> list[list[Char]]:
    """Split one line at gaps wider than 0.8 em (wider than any word space); space glyphs
    stay with the group they follow (they are needed to rebuild the text)."""
    out: list[list[Char]] = []
    last: Char | None = None
    for c in line:
        if c.c.isspace():
            if out:
                out[-1].append(c)
            continue
        if last is None or c.x0 - last.x1 > max(0.8 * c.size, 3.0):
            out.append([c])
        else:
            out[-1].append(c)
        last = c
    return [_strip_spaces(g) for g in out]


def _strip_spaces(chars: list[Char]) -> list[Char]:
    while chars and chars[-1].c.isspace():
        chars = chars[:-1]
    return chars


def _distribution(cell: GCell, line: list[Char], xs: list[float]) -> dict[int, list[Char]] | None:
    """Columns (grid indices) of the word groups of ``line`` if they fall in separate columns."""
    if cell.cs < 2:
        return None
    groups = _groups(line)
    if len(groups) < 2:
        return None
    placed: dict[int, list[Char]] = {}
    for g in groups:
        ink = [c for c in g if not c.c.isspace()]
        gx0, gx1 = ink[0].x0, ink[-1].x1
        mid = (gx0 + gx1) / 2
        col = min(max(bisect.bisect_right(xs, mid) - 1, cell.c), cell.c + cell.cs - 1)
        if gx0 < xs[col] - 1.5 or gx1 > xs[col + 1] + 1.5:
            return None  # a group crosses a column boundary: a real spanning label
        placed.setdefault(col, []).extend(g)
    return placed if len(placed) >= 2 else None


def _numeric_line(line: list[Char]) -> bool:
    return is_value(line_text(line)[0])


def merge_stacked_rows(grid: Grid) -> Grid:
    """Join grid rows that cells spanning them fill with stacked table rows.

    A ruled block of 40 ages beside a block whose 34 ages end with a ruled ``Total`` row: the
    tall cells span both grid rows. When every such spanning cell holds one table row per text
    band, the grid rows become one (cells of a column merged), which :func:`split_rows` then
    cuts into one row per band. A label spanning rows of its own (one line beside three ruled
    rows) is left alone.
    """
    parent = list(range(grid.nrows))

    def root(r: int) -> int:
        while parent[r] != r:
            r = parent[r]
        return r

    for cell in grid.cells:
        if cell.rs > 1 and cell.lines:
            for r in range(cell.r + 1, cell.r + cell.rs):
                parent[root(r)] = root(cell.r)
    groups: dict[int, list[int]] = {}
    for r in range(grid.nrows):
        groups.setdefault(root(r), []).append(r)
    merge = []
    for rows in groups.values():
        if len(rows) < 2:
            continue
        lo, hi = rows[0], rows[-1]
        inside = [c for c in grid.cells if lo <= c.r and c.r + c.rs - 1 <= hi]
        by_col: dict[tuple[int, int], list[GCell]] = {}
        for c in inside:
            by_col.setdefault((c.c, c.cs), []).append(c)
        spans = sorted(by_col)
        if any(a[0] + a[1] > b[0] for a, b in pairwise(spans)):
            continue  # columns merged differently from row to row
        lines = [ln for c in inside for ln in c.lines]
        bands = _bands(lines)
        if len(bands) < 3:
            continue
        tall = [c for c in inside if c.rs > 1 and c.lines]
        if not all(len(c.lines) >= 2 and len({_band_of(ln, bands) for ln in c.lines})
                   == len(c.lines) for c in tall):
            continue
        merge.append((lo, hi, by_col))
    if not merge:
        return grid
    cells = [c for c in grid.cells
             if not any(lo <= c.r and c.r + c.rs - 1 <= hi for lo, hi, _ in merge)]
    drop: set[int] = set()
    for lo, hi, by_col in merge:
        for (c0, cs), parts in by_col.items():
            parts.sort(key=lambda c: c.r)
            x0 = min(p.bbox[0] for p in parts)
            x1 = max(p.bbox[2] for p in parts)
            cells.append(GCell(lo, c0, hi - lo + 1, cs,
                               (x0, grid.row_y[lo], x1, grid.row_y[hi + 1]),
                               [ln for p in parts for ln in p.lines]))
        drop.update(range(lo + 1, hi + 1))
    keep = [r for r in range(grid.nrows) if r not in drop]
    index = {r: i for i, r in enumerate(keep)}
    row_y = [grid.row_y[r] for r in keep] + [grid.row_y[-1]]
    out = []
    for c in cells:
        last = c.r + c.rs - 1
        while last not in index:
            last -= 1
        c.r, c.rs = index[c.r], index[last] - index[c.r] + 1
        out.append(c)
    return Grid(len(keep), grid.ncols, out, grid.col_x, row_y)


def split_rows(grid: Grid, led: Container[int] = frozenset()) -> Grid:
    """Step 3: split grid rows that stack several table rows (see module docstring); ``led``
    holds the ids of the characters leader dots follow (see :attr:`PageText.led`)."""
    grid = merge_stacked_rows(grid)
    new_ys = [grid.row_y[0]]
    splits: dict[int, list[float]] = {}
    mode: dict[int, str] = {}
    by_row: dict[int, list[GCell]] = {}
    for cell in grid.cells:
        if cell.rs == 1:
            by_row.setdefault(cell.r, []).append(cell)
    for r in range(grid.nrows):
        texty = [c for c in by_row.get(r, []) if c.lines]
        cuts: list[float] = []
        if texty:  # (cells spanning several rows stay whole and span the new rows)
            cuts, mode[r] = _row_cuts(texty, grid.col_x, led)
        splits[r] = cuts
        new_ys.extend(cuts)
        new_ys.append(grid.row_y[r + 1])
    if not any(splits.values()):
        return grid
    # old row index → new row range
    first: list[int] = []
    k = 0
    for r in range(grid.nrows):
        first.append(k)
        k += len(splits[r]) + 1
    first.append(k)
    cells: list[GCell] = []
    for cell in grid.cells:
        r0, r1 = first[cell.r], first[cell.r + cell.rs]
        cuts = splits.get(cell.r, []) if cell.rs == 1 else []
        if not cuts:
            cell.r, cell.rs = r0, r1 - r0
            cell.bbox = (cell.bbox[0], new_ys[r0], cell.bbox[2], new_ys[r1])
            cells.append(cell)
            continue
        bounds = [new_ys[r0]] + cuts + [new_ys[r1]]
        bands = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
        parts: list[list[list[Char]]] = [[] for _ in bands]
        for ln in cell.lines:
            parts[_band_of(ln, bands)].append(ln)
        if mode[cell.r] == "header" and not _is_composite(cell, grid.col_x):
            cell.r, cell.rs = r0, r1 - r0  # a label beside stacked labels spans them all
            cell.bbox = (cell.bbox[0], new_ys[r0], cell.bbox[2], new_ys[r1])
            cells.append(cell)
            continue
        for i, p in enumerate(parts):
            cells.append(GCell(r0 + i, cell.c, 1, cell.cs,
                               (cell.bbox[0], bounds[i], cell.bbox[2], bounds[i + 1]), p))
    return Grid(len(new_ys) - 1, grid.ncols, cells, grid.col_x, new_ys)


def _is_composite(cell: GCell, xs: list[float]) -> bool:
    """A merged cell holding a group label over sub-labels spread across its columns."""
    if cell.cs < 2 or len(cell.lines) < 2:
        return False
    spread = [_distribution(cell, ln, xs) is not None for ln in cell.lines]
    return any(spread) and not all(spread)


def _leader_cuts(cells: list[GCell], bands: list[tuple[float, float]], led: Container[int]
                 ) -> list[float]:
    """Cuts before each row label that follows a label a leader ends: leader dots lead from
    the last line of a row's label to its values, so the stub line after them starts the
    next row (``Stabilizer wiring change ......`` over ``AOA sensor system test ......``,
    the first row's amounts wrapped onto two lines)."""
    stub = min(cells, key=lambda c: c.c)
    if stub.c != 0 or len(stub.lines) < 2:
        return []
    lines = sorted(stub.lines, key=lambda ln: _band_of(ln, bands))
    cuts = []
    for a, b in pairwise(lines):
        ba, bb = _band_of(a, bands), _band_of(b, bands)
        if bb > ba and any(id(ch) in led for ch in a):
            cuts.append((bands[bb - 1][1] + bands[bb][0]) / 2)
    return cuts


def _row_cuts(cells: list[GCell], xs: list[float], led: Container[int] = frozenset()
              ) -> tuple[list[float], str]:
    """Where to cut one grid row into several rows, and why (``data`` / ``header``)."""
    all_lines = [ln for c in cells for ln in c.lines]
    bands = _bands(all_lines)
    if len(bands) >= 2:
        # "dense" cells: one line in (nearly) every band, never two lines in one band
        dense = []
        for c in cells:
            used = {_band_of(ln, bands) for ln in c.lines}
            if len(used) == len(c.lines) and len(used) >= max(2, 0.8 * len(bands)):
                dense.append(c)
        numeric = [c for c in dense if all(_numeric_line(ln) for ln in c.lines)]
        if (len(dense) >= 2 and len(dense) >= 0.6 * len(cells)
                and len(numeric) >= max(1, 0.5 * len(dense))):
            return [(bands[i][1] + bands[i + 1][0]) / 2 for i in range(len(bands) - 1)], "data"
        # columns of amounts, one per line, in step: the rows they set, whatever the wrapped
        # labels beside them add (a label on two lines beside one amount)
        anchors = [c for c in cells if len(c.lines) >= 2
                   and all(_numeric_line(ln) for ln in c.lines)]
        steps = _bands([ln for c in anchors for ln in c.lines])
        # ... unless every other cell sits on the first line only: then the amounts wrapped
        # (``$3.1 billion`` over ``(620%)``) in one row
        anchor_ids = {id(c) for c in anchors}
        others = [c for c in cells if id(c) not in anchor_ids and c.lines]
        one_row = bool(others) and all(
            {_band_of(ln, steps) for ln in c.lines} == {0} for c in others)
        if len(anchors) >= 2 and len(anchors) >= 0.4 * len(cells) and not one_row and all(
                len({_band_of(ln, steps) for ln in c.lines}) == len(c.lines) == len(steps)
                for c in anchors):
            return [(steps[i][1] + steps[i + 1][0]) / 2 for i in range(len(steps) - 1)], "data"
    composite = [c for c in cells if _is_composite(c, xs)]
    if composite:
        bands = _bands([ln for c in composite for ln in c.lines])
        if len(bands) >= 2:
            return [(bands[i][1] + bands[i + 1][0]) / 2 for i in range(len(bands) - 1)], "header"
    # a merged cell over the columns holding several rows whose words each line spreads over
    # the columns (the ruling between those rows and columns is missing): one row per line
    stacked = [c for c in cells if c.cs >= 2 and len(c.lines) >= 2
               and sum(1 for ln in c.lines if _distribution(c, ln, xs) is not None)
               >= max(2, 0.67 * len(c.lines))]
    if stacked:
        bands = _bands([ln for c in stacked for ln in c.lines])
        if len(bands) >= 2:
            return [(bands[i][1] + bands[i + 1][0]) / 2 for i in range(len(bands) - 1)], "data"
    all_bands = _bands(all_lines)
    if len(all_bands) >= 2 and led and (cuts := _leader_cuts(cells, all_bands, led)):
        return cuts, "data"
    return [], ""


# ------------------------------------------------------------------- column spreading


def spread_columns(grid: Grid) -> Grid:
    """Step 4: split merged single-line cells whose words sit in separate columns."""
    cells: list[GCell] = []
    for cell in grid.cells:
        if cell.cs >= 2 and len(cell.lines) == 1:
            placed = _distribution(cell, cell.lines[0], grid.col_x)
            if placed:
                for c in range(cell.c, cell.c + cell.cs):
                    chars = placed.get(c, [])
                    cells.append(GCell(cell.r, c, cell.rs, 1,
                                       (grid.col_x[c], cell.bbox[1], grid.col_x[c + 1],
                                        cell.bbox[3]),
                                       [sorted(chars, key=lambda ch: ch.x0)] if chars else []))
                continue
        cells.append(cell)
    grid.cells = cells
    return grid


# -------------------------------------------------------------------- column gutters


def _words(line: list[Char], space: float = 0.3) -> list[list[Char]]:
    """Words of a line (split at spaces and at gaps wider than ``space`` em); a word keeps the
    spaces after it."""
    out: list[list[Char]] = []
    prev: Char | None = None
    for c in line:
        if c.c.isspace():
            if out:
                out[-1].append(c)
            prev = None
            continue
        if prev is None or c.x0 - prev.x1 > space * c.size:
            out.append([c])
        else:
            out[-1].append(c)
        prev = c
    return out


def _extent(word: list[Char]) -> tuple[float, float]:
    ink = [c for c in word if not c.c.isspace()]
    return ink[0].x0, ink[-1].x1


_BULLETS = set("•●▪■◦○-–—*·")


def _gutters(lines: list[list[Char]], lo: float, hi: float) -> list[float]:
    """x positions inside [lo, hi] that (almost) no word of ``lines`` crosses and that have
    words on both sides in many of the same lines: unruled column boundaries."""
    step = 0.5
    n = int((hi - lo) / step) + 1
    if n < 4:
        return []
    cover = [0] * n
    spans: list[list[tuple[float, float]]] = []
    for ln in lines:
        # a bullet opening the line is not a column of its own; a dash further on joins the
        # values on either side ("1.35 - 1.42": a range is one value, not two columns)
        ws = [_extent(w) for k, w in enumerate(_words(ln))
              if k > 0 or not all(c.c in _BULLETS or c.c.isspace() for c in w)]
        spans.append(ws)
        for a, b in ws:
            for i in range(max(0, int((a - lo) / step)), min(n, int((b - lo) / step) + 1)):
                cover[i] += 1
    allowed = len(lines) // 10  # a few lines (group labels) may cross a gutter
    sizes = sorted(c.size for ln in lines for c in ln)
    min_gap = max(4.0, 0.6 * sizes[len(sizes) // 2])
    return gutter_positions(cover, spans, lo, step, allowed, min_gap)


def split_columns(grid: Grid) -> Grid:
    """Split a ruled column that holds several unruled columns (``138  6.9  6.9``) at the
    gutters its words leave free, and spread its cells' words over the new columns."""
    new_bounds: dict[int, list[float]] = {}
    for j in range(grid.ncols):
        lines = [ln for c in grid.cells if c.c == j and c.cs == 1 for ln in c.lines]
        if len(lines) >= 3:
            cuts = _gutters(lines, grid.col_x[j], grid.col_x[j + 1])
            if cuts:
                new_bounds[j] = cuts
    if not new_bounds:
        return grid
    col_x = [grid.col_x[0]]
    first = []
    for j in range(grid.ncols):
        first.append(len(col_x) - 1)
        col_x.extend(new_bounds.get(j, []))
        col_x.append(grid.col_x[j + 1])
    first.append(len(col_x) - 1)
    cells: list[GCell] = []
    for cell in grid.cells:
        c0, c1 = first[cell.c], first[cell.c + cell.cs]
        split = cell.cs == 1 and cell.c in new_bounds and cell.lines
        parts = _spread_words(cell, col_x, c0, c1) if split else None
        if parts is None:
            cell.c, cell.cs = c0, c1 - c0
            cells.append(cell)
            continue
        for k in range(c0, c1):
            cells.append(GCell(cell.r, k, cell.rs, 1,
                               (col_x[k], cell.bbox[1], col_x[k + 1], cell.bbox[3]),
                               parts.get(k, [])))
    return Grid(grid.nrows, len(col_x) - 1, cells, col_x, grid.row_y)


def _spread_words(cell: GCell, xs: list[float], c0: int, c1: int
                  ) -> dict[int, list[list[Char]]] | None:
    """Lines of ``cell`` cut into the columns c0..c1-1, or None if a word crosses a border."""
    parts: dict[int, list[list[Char]]] = {}
    for ln in cell.lines:
        per: dict[int, list[Char]] = {}
        for w in _words(ln):
            a, b = _extent(w)
            k = min(max(bisect.bisect_right(xs, (a + b) / 2) - 1, c0), c1 - 1)
            if a < xs[k] - 1.0 or b > xs[k + 1] + 1.0:
                return None
            per.setdefault(k, []).extend(w)
        for k, chars in per.items():
            parts.setdefault(k, []).append(chars)
    return parts


# ------------------------------------------------------------------------- collapsing


def _occupied(cells: list[GCell], n: int, axis: str) -> list[int]:
    """Grid indices (columns or rows) that hold text of their own."""
    start = (lambda c: c.c) if axis == "col" else (lambda c: c.r)
    span = (lambda c: c.cs) if axis == "col" else (lambda c: c.rs)
    occ = set()
    for cell in cells:
        if cell.lines and span(cell) == 1:
            occ.add(start(cell))
    return sorted(occ)


def _center_index(cell: GCell, bounds: list[float], axis: str) -> int:
    chars = [c for ln in cell.lines for c in ln if not c.c.isspace()]
    if axis == "col":
        v = (min(c.x0 for c in chars) + max(c.x1 for c in chars)) / 2
        lo, n = cell.c, cell.cs
    else:
        v = (min(c.cy for c in chars) + max(c.cy for c in chars)) / 2
        lo, n = cell.r, cell.rs
    i = bisect.bisect_right(bounds, v) - 1
    return min(max(i, lo), lo + n - 1)


def collapse(grid: Grid) -> Grid | None:
    """Step 5: keep only the grid columns and rows that hold text."""
    cells = [c for c in grid.cells if c.lines]
    if not cells:
        return None
    cols = set(_occupied(cells, grid.ncols, "col"))
    for cell in cells:
        if cell.cs > 1 and not any(cell.c <= c < cell.c + cell.cs for c in cols):
            cols.add(_center_index(cell, grid.col_x, "col"))
    rows = set(_occupied(cells, grid.nrows, "row"))
    for cell in cells:
        if cell.rs > 1 and not any(cell.r <= r < cell.r + cell.rs for r in rows):
            rows.add(_center_index(cell, grid.row_y, "row"))
    col_list, row_list = sorted(cols), sorted(rows)
    cmap = {g: i for i, g in enumerate(col_list)}
    rmap = {g: i for i, g in enumerate(row_list)}
    out: list[GCell] = []
    for cell in cells:
        cs_in = [cmap[c] for c in range(cell.c, cell.c + cell.cs) if c in cmap]
        rs_in = [rmap[r] for r in range(cell.r, cell.r + cell.rs) if r in rmap]
        if not cs_in or not rs_in:
            continue
        cell.c, cell.cs = cs_in[0], cs_in[-1] - cs_in[0] + 1
        cell.r, cell.rs = rs_in[0], rs_in[-1] - rs_in[0] + 1
        out.append(cell)
    # boundaries of the logical columns/rows: halfway between kept grid slots
    col_x = _bounds(grid.col_x, col_list)
    row_y = _bounds(grid.row_y, row_list)
    ncols, nrows = len(col_list), len(row_list)
    taken = [[False] * ncols for _ in range(nrows)]
    for cell in out:
        for r in range(cell.r, cell.r + cell.rs):
            for c in range(cell.c, cell.c + cell.cs):
                taken[r][c] = True
    for r in range(nrows):
        for c in range(ncols):
            if not taken[r][c]:
                out.append(GCell(r, c, 1, 1, (col_x[c], row_y[r], col_x[c + 1], row_y[r + 1])))
    out.sort(key=lambda c: (c.r, c.c))
    return Grid(nrows, ncols, out, col_x, row_y)


def _bounds(edges: list[float], kept: list[int]) -> list[float]:
    out = [edges[kept[0]]]
    for a, b in pairwise(kept):
        out.append((edges[a + 1] + edges[b]) / 2)
    out.append(edges[kept[-1] + 1])
    return out


def merge_wrapped_rows(grid: Grid) -> Grid:
    """Step 6: join a row that only continues the row above (a label wrapped onto a second
    grid row while the other cells of the row span both)."""
    r = 0
    slots = grid.at()
    while r < grid.nrows - 1:
        upper, lower = slots[r], slots[r + 1]
        spanning = False
        ok = True
        pairs: list[tuple[GCell, GCell]] = []
        for c in range(grid.ncols):
            a, b = upper[c], lower[c]
            assert a is not None and b is not None
            if a is b:
                spanning = spanning or a.rs >= 2
                continue
            if b.c != c:
                continue  # the rest of a cell already paired
            if (b.r != r + 1 or b.rs != 1 or a.c != b.c or a.cs != b.cs
                    or a.r + a.rs != r + 1):
                ok = False
                break
            if b.text and (is_value(b.text) or (a.text and is_value(a.text))):
                ok = False
                break
            pairs.append((a, b))
        if not (ok and spanning and any(b.text for _, b in pairs)):
            r += 1
            continue
        drop = set()
        for a, b in pairs:
            if b.lines:
                a.lines = a.lines + b.lines
                a.text = join_lines([a.text, b.text])
            a.bbox = (a.bbox[0], a.bbox[1], a.bbox[2], b.bbox[3])
            drop.add(id(b))
        cells = [c for c in grid.cells if id(c) not in drop]
        for cell in cells:
            if cell.r > r + 1:
                cell.r -= 1
            elif cell.r <= r and cell.r + cell.rs > r + 1:
                cell.rs -= 1
        row_y = grid.row_y[: r + 1] + grid.row_y[r + 2:]
        grid = Grid(grid.nrows - 1, grid.ncols, cells, grid.col_x, row_y)
        slots = grid.at()
    return grid


def build(raw: RawTable, page: PageText) -> Grid | None:
    """All steps: the logical grid of one raw table, with each cell's text set."""
    grid = raw_grid(raw, page)
    if grid is None:
        return None
    grid = collapse(grid)  # first drop empty strips, so a text row is one grid row
    if grid is None:
        return None
    grid = spread_columns(split_rows(split_columns(grid), page.led))
    collapsed = collapse(grid)
    if collapsed is None:
        return None
    led = page.led
    for cell in collapsed.cells:
        cell.finish()
        cell.page = raw.page
        cell.led = bool(led) and any(id(ch) in led for ln in cell.lines for ch in ln)
    return merge_wrapped_rows(collapsed)


def gutter_positions(cover: list[int], spans: list[list[tuple[float, float]]], lo: float,
                     step: float, allowed: int, min_gap: float,
                     least_crossed: bool = False) -> list[float]:
    """Centres of the column gutters in a coverage histogram.

    A gutter is a run of bins that at most ``allowed`` lines cover, at least ``min_gap`` wide,
    with words on both sides of it in several lines (values side by side on one line, not a
    header line over a value line, nor a label left of a value in one cell).

    Args:
        cover: how many lines cover each bin of width ``step`` starting at ``lo``.
        spans: each line's word spans (x0, x1).
        least_crossed: cut a gutter where the fewest lines cross it rather than at its centre
            (see :func:`_least_crossed`).
    """
    n = len(cover)
    out = []
    first = next((k for k, v in enumerate(cover) if v > allowed), n)
    last = max((k for k, v in enumerate(cover) if v > allowed), default=-1)
    i = first
    while i < last:
        if cover[i] <= allowed:
            j = i
            while j < last and cover[j] <= allowed:
                j += 1
            if (j - i) * step >= min_gap:
                x = lo + (_least_crossed(cover, i, j) if least_crossed else (i + j) / 2) * step
                both = sum(1 for ws in spans
                           if any(b <= x for _, b in ws) and any(a >= x for a, _ in ws))
                if both >= max(2, 0.3 * len(spans)):
                    out.append(x)
            i = j
        else:
            i += 1
    return out


def _least_crossed(cover: list[int], i: int, j: int) -> float:
    """The bin position (in bins, fractional) where a gutter over bins ``i``..``j - 1`` is
    best cut: its centre, unless fewer lines cross elsewhere in it, then the centre of the
    widest stretch that the fewest lines cross (a long stub label reaching into the gutter
    stays whole in its own column)."""
    least = min(cover[i:j])
    mid = (i + j) // 2
    if cover[min(mid, j - 1)] == least:
        return (i + j) / 2
    best = (0, i, i)
    k = i
    while k < j:
        if cover[k] != least:
            k += 1
            continue
        m = k
        while m < j and cover[m] == least:
            m += 1
        best = max(best, (m - k, k, m))
        k = m
    return (best[1] + best[2]) / 2
