"""Engine-neutral table logic: header rows, titles, captions, nearby text, continuation (the
notes under a table are read in :mod:`abstab.extract.notes`).

Input: the clean logical grid of each table (:mod:`abstab.extract.grid`) and the document's
blocks and lines (:mod:`abstab.extract.layout`). Output: :class:`abstab.records.Table` records.

Header rows are the rows above the first row that looks like data (mostly numbers or
missing-value placeholders outside the stub column). Rows of years (``2012 2013``) and rows
that number the columns (``(1) (2) (3)``) are header rows too; the latter are left out of the
flattened column names. Tables without numeric rows fall back on text style (bold rows, merged
cells in the top rows) and the engine's own guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise

from abstab.core.normalize import squash
from abstab.extract.engines import RawTable, Rect
from abstab.extract.grid import GCell, Grid, _words, is_number, is_value
from abstab.extract.layout import (
    CAPTION_RE,
    FIGURE_CAPTION_RE,
    TABLE_CAPTION_RE,
    BlockDraft,
    Layout,
)
from abstab.extract.notes import (
    NOTE_LABEL,
    NOTE_MARKER,
    SOURCE_LINE,
    SYMBOL_LEGEND,
    NoteDraft,
    legend_line,
    legend_parts,
    parse_note_text,
    set_targets,
)
from abstab.extract.settings import ExtractSettings
from abstab.extract.text import SUPERSCRIPTS, Char, Line, join_lines
from abstab.records import Cell, Note, Provenance, Table

_YEAR = re.compile(r"^(FY\s?)?(19|20)\d\d([-–/](\d\d|(19|20)\d\d))?[*†¹²³]?$|^(Q[1-4]|H[12])"
                   r"\s?(19|20)?\d\d$", re.IGNORECASE)
_NUMBERING = re.compile(r"^\(?(\d{1,2})\)?(\s*=.*)?$")


@dataclass
class TableDraft:
    """A table between its grid and its record."""

    raw: RawTable
    grid: Grid
    pages: list[int]
    bbox: Rect
    n_header: int = 0
    numbering: set[int] = field(default_factory=set)
    title: str | None = None
    caption: str | None = None
    caption_blocks: list[BlockDraft] = field(default_factory=list)
    notes: list[NoteDraft] = field(default_factory=list)
    nearby: list[BlockDraft] = field(default_factory=list)
    last_page: int = 0
    last_bbox: Rect = (0.0, 0.0, 0.0, 0.0)
    figure: bool = False  # boxes of a figure (its caption says Figure N), not a table
    base: Grid | None = None  # the grid before its header rows were found (see shape)

    @property
    def page(self) -> int:
        return self.pages[0]


# ------------------------------------------------------------------------------ shape


def _drop_row(grid: Grid, r: int) -> Grid:
    cells = []
    for c in grid.cells:
        if c.r == r and c.rs == 1:
            continue
        if c.r > r:
            c.r -= 1
        elif c.r <= r < c.r + c.rs:
            c.rs -= 1
        cells.append(c)
    drop = 0 if r == 0 else r + 1  # the first row gives up its top edge, others their bottom
    row_y = grid.row_y[:drop] + grid.row_y[drop + 1:]
    return Grid(grid.nrows - 1, grid.ncols, cells, grid.col_x, row_y)


def _row_cells(grid: Grid, r: int) -> list[GCell]:
    return sorted((c for c in grid.cells if c.r == r), key=lambda c: c.c)


def _single_wide(grid: Grid, r: int) -> GCell | None:
    """The only non-empty cell of row r if it spans (almost) the whole table."""
    texts = [c for c in _row_cells(grid, r) if c.text]
    covering = [c for c in grid.cells if c.r < r < c.r + c.rs and c.text]
    if len(texts) != 1 or covering:
        return None
    cell = texts[0]
    if grid.ncols >= 3 and cell.cs >= max(2, math.ceil(0.8 * grid.ncols)):
        return cell
    return None


def _subtitle(grid: Grid) -> GCell | None:
    """The only text of the top row when it is one line centred on the whole table, over a row
    of two or more labels (``FY2018-FY2026`` under a caption): the caption's second line, not
    a label grouping columns (a group label is centred on the columns it groups, not on the
    stub as well)."""
    texts = [c for c in _row_cells(grid, 0) if c.text]
    if len(texts) != 1 or len(texts[0].lines) != 1 or grid.ncols < 2 \
            or len([c for c in _row_cells(grid, 1) if c.text]) < 2:
        return None
    chars = [ch for ch in texts[0].lines[0] if not ch.c.isspace()]
    if not chars:
        return None
    mid = (min(ch.x0 for ch in chars) + max(ch.x1 for ch in chars)) / 2
    x0, x1 = grid.col_x[0], grid.col_x[-1]
    return texts[0] if abs(mid - (x0 + x1) / 2) <= 0.04 * (x1 - x0) else None


def shape(grid: Grid, raw: RawTable, settings: ExtractSettings) -> TableDraft | None:
    """Title rows off the top, note rows off the bottom, header rows found; None if junk."""
    draft = TableDraft(raw, grid, [raw.page], raw.bbox)
    # a title row: one wide cell with a sentence-like text
    while grid.nrows > 2:
        sub = _subtitle(grid)  # (a centred second line of the caption: a title in any case)
        cell = _single_wide(grid, 0) or sub
        if cell is None or cell is not sub and (
                is_value(cell.text) or not (draft.title or len(cell.text.split()) >= 4
                                            or CAPTION_RE.match(cell.text))):
            break  # (a wide row right under a title row continues the title)
        draft.title = join_lines([draft.title or "", cell.text]) if draft.title else cell.text
        grid = _drop_row(grid, 0)
    # trailing note rows: one wide cell starting with a marker, "Source:", "Note:" or a
    # legend entry ("Chronic illness: any person with ...")
    while grid.nrows > 2:
        last = [c for c in _row_cells(grid, grid.nrows - 1) if c.text]
        label = len(last) == 1 and re.fullmatch(r"(key|notes?|legend|sources?)\s*[:.]?",
                                                last[0].text.strip(), re.IGNORECASE)
        cell = _single_wide(grid, grid.nrows - 1)
        if not label and (cell is None or not (
                NOTE_MARKER.match(cell.text) or SOURCE_LINE.match(cell.text)
                or NOTE_LABEL.match(cell.text) or SYMBOL_LEGEND.match(cell.text)
                or legend_parts(cell.text))):
            break
        grid = _drop_row(grid, grid.nrows - 1)
    draft.grid = grid
    # the table's box loses its title and note rows: their text becomes blocks, and notes
    # are then read line by line like any note under a table
    x0, y0, x1, y1 = draft.bbox
    draft.bbox = (x0, max(y0, grid.row_y[0]), x1, min(y1, grid.row_y[-1]))
    if grid.nrows < settings.min_rows or grid.ncols < settings.min_cols:
        return None
    if empty_ratio(grid) > settings.max_empty_ratio:
        return None
    filled = sum(1 for c in grid.cells if c.text)
    if filled < 4:
        return None
    # (the grid as read, before header rows are joined and spread: a page header on its top
    # row, found once every page is read, is taken off this one)
    draft.base = _copy(grid)
    _find_header(draft, grid, settings.max_header_rows)
    draft.last_page, draft.last_bbox = raw.page, raw.bbox
    return draft


def _copy(grid: Grid) -> Grid:
    return Grid(grid.nrows, grid.ncols, [replace(c) for c in grid.cells], list(grid.col_x),
                list(grid.row_y))


def _find_header(draft: TableDraft, grid: Grid, max_rows: int) -> None:
    """Header rows of ``grid`` found, split, joined and spread into ``draft``."""
    draft.grid = grid
    draft.n_header, draft.numbering = detect_header(grid, draft.raw.header_guess, max_rows)
    draft.grid = grid = split_sublabels(grid, draft.n_header)
    while draft.n_header >= 2 and (joined := join_wrapped_labels(grid, draft.n_header)):
        draft.grid = grid = joined
        draft.n_header -= 1
    if draft.n_header >= 2:
        draft.grid = infer_header_spans(grid, draft.n_header)


def _off_columns(grid: Grid, cells: list[GCell]) -> bool:
    """Whether a piece of the top row crosses column lines without being centred on the
    columns it spans (on the ink of the cells under it): set by the page, at its left, centre
    and right, not by the table. A label that groups columns is centred on them."""
    def ink(cs: list[GCell]) -> list[Char]:
        return [ch for c in cs for chars in c.lines for ch in chars if not ch.c.isspace()]

    for piece in cells:
        mine = ink([piece])
        under = ink([c for c in grid.cells if c.r > 0 and c.cs == 1
                     and piece.c <= c.c < piece.c + piece.cs])
        if piece.cs < 2 or not mine or not under:
            continue
        x0, x1 = min(ch.x0 for ch in under), max(ch.x1 for ch in under)
        mid = (min(ch.x0 for ch in mine) + max(ch.x1 for ch in mine)) / 2
        if abs(mid - (x0 + x1) / 2) > 0.25 * (x1 - x0) / piece.cs:
            return True
    return False


def drop_running_rows(drafts: list[TableDraft], heights: dict[int, float], margin: float,
                      share: float, max_header_rows: int) -> None:
    """Take a running title or page header off the tables that read it as their first row.

    A line repeated at the top of most pages (``2007 Tax Table-Continued``) right over a
    table is taken in as its first row, then as a header row. When the first row of a table
    sits in the page's top margin and is the first row of tables on at least ``share`` of the
    pages (and two), it is running text: the row is dropped, and layout then reads its lines
    as a running header. The row must hold one text, or several pieces (a page header at the
    left, centre and right of the page) that do not line up with the table's columns: column
    and group labels repeated over a long table, each centred on its columns, stay.
    """
    def top(d: TableDraft) -> tuple[str, ...] | None:
        grid = d.base
        if grid is None or grid.nrows < 3:
            return None
        cells = [c for c in _row_cells(grid, 0) if c.rs == 1 and c.text]
        if not cells:
            return None
        texts = tuple(" ".join(c.text.split()).casefold() for c in cells)
        limit = margin * heights.get(d.page, 0.0)
        if min(c.bbox[1] for c in cells) > limit:
            return None
        if len(set(texts)) == 1:
            return texts[:1]
        ink = [ch for c in cells for chars in c.lines for ch in chars if not ch.c.isspace()]
        if not ink or max(ch.y1 for ch in ink) > limit or not _off_columns(grid, cells):
            return None
        return texts

    pages: dict[tuple[str, ...], set[int]] = {}
    for d in drafts:
        t = top(d)
        if t is not None:
            pages.setdefault(t, set()).add(d.page)
    need = max(2.0, share * len(heights))
    for d in drafts:
        t = top(d)
        if t is None or len(pages[t]) < need:
            continue
        # (a piece of several lines may reach below the row's bottom line: the box ends
        # under its ink, so layout reads all its lines)
        base = d.base
        assert base is not None  # (top found a row on it)
        ink = max((ch.y1 for c in _row_cells(base, 0) if c.rs == 1 for chars in c.lines
                   for ch in chars if not ch.c.isspace()), default=0.0)
        d.base = _drop_row(base, 0)
        _find_header(d, _copy(d.base), max_header_rows)
        x0, y0, x1, y1 = d.bbox
        d.bbox = (x0, max(y0, d.base.row_y[0], ink), x1, y1)


def empty_ratio(grid: Grid) -> float:
    slots = grid.nrows * grid.ncols
    empty = sum(c.rs * c.cs for c in grid.cells if not c.text)
    return empty / slots if slots else 1.0


# ----------------------------------------------------------------------------- header


def _numbering_row(texts: list[str]) -> bool:
    nums = []
    for t in texts:
        m = _NUMBERING.match(t.strip())
        if m:
            nums.append(int(m.group(1)))
    if len(nums) < 3 or len(nums) < 0.7 * len(texts):
        return False
    steps = sum(1 for a, b in pairwise(nums) if b == a + 1)
    return nums[0] <= 2 and steps >= 0.7 * (len(nums) - 1)


def _row_kind(grid: Grid, r: int) -> str:
    """``data``, ``numbering``, ``years``, ``stub`` (text in the first column only),
    ``empty`` or ``text``."""
    cells = [c for c in _row_cells(grid, r) if c.text]
    if not cells:
        return "empty"
    texts = [c.text for c in cells]
    if _numbering_row(texts):
        return "numbering"
    vals = [c.text for c in cells if c.c > 0] if grid.ncols >= 2 else texts
    if not vals:
        return "stub"
    values = [v for v in vals if is_value(v)]
    numbers = [v for v in vals if is_number(v)]
    if numbers and len(numbers) >= 2 and all(_YEAR.match(v.strip()) for v in numbers):
        return "years"
    if len(values) >= 0.5 * len(vals) and (numbers or len(values) >= 2):
        return "data"
    return "text"


def detect_header(grid: Grid, hint: Callable[[], int | None] | None,
                  max_rows: int) -> tuple[int, set[int]]:
    """Number of header rows and which of them number the columns.

    A row whose label a leader ends (``AOA sensor system test .......``) is a body row, and
    so are the rows under it."""
    n, numbering = _header_rows(grid, hint, max_rows)
    led = next((r for r in range(1, n) if any(c.led and c.c == 0 for c in _row_cells(grid, r))),
               n)
    return led, {r for r in numbering if r < led}


def _header_rows(grid: Grid, hint: Callable[[], int | None] | None,
                 max_rows: int) -> tuple[int, set[int]]:
    """Number of header rows and which of them number the columns (see detect_header)."""
    kinds = [_row_kind(grid, r) for r in range(grid.nrows)]
    numbering = {r for r, k in enumerate(kinds[: max_rows + 1]) if k == "numbering"}
    limit = min(max_rows, grid.nrows - 1)
    first_data = next((r for r, k in enumerate(kinds) if k == "data"), None)
    if first_data is not None and first_data <= limit and any(k == "data" for k in kinds[1:]):
        n = _first_body_like(grid, kinds, first_data)
        # a stub-only row just above the data is a section label of the body, not a header
        while n > 1 and kinds[n - 1] == "stub":
            n -= 1
        if grid.ncols == 2 and n > 1:
            # a key-value table: "Country | China" rows are body rows, not a deep header
            full = next((r for r in range(n) if len([c for c in _row_cells(grid, r)
                                                     if c.text]) == 2), n)
            n = max(1, full)
        # the stub's label spanning the top rows: they are all header rows ("Proportion"
        # beside "Design effect" over a row of design-effect values)
        corner = next((c for c in grid.cells if c.r == 0 and c.c == 0), None)
        if corner is not None and corner.text and 1 < corner.rs <= limit and grid.ncols > 2:
            n = max(n, corner.rs)
        return n, {r for r in numbering if r < n}
    # text tables: bold top rows, merged cells at the top, the engine's guess
    n_style = 0
    # (a stub set bold in every row, ``RoHS`` | ``REACH``, sets no row apart)
    plain = _plain_columns(grid)
    body_bold = [_bold(grid, r, plain) for r in range(grid.nrows)]
    rest = sorted(body_bold[1:])
    median_rest = rest[len(rest) // 2] if rest else 0.0
    while n_style < limit and body_bold[n_style] >= 0.6 and median_rest < 0.3:
        n_style += 1
    n_span = 0
    # a label over the stub column and the next is no group label over columns below
    while n_span < limit and any(c.cs >= 2 and c.text and (c.c > 0 or not n_style)
                                 for c in _row_cells(grid, n_span)) \
            and _single_wide(grid, n_span) is None:
        n_span += 1
    n = max(n_style, n_span + 1 if n_span else 0)
    if n == 0:
        # the engine's guess can be slow (PyMuPDF re-reads the table): small tables only
        guess = hint() if hint and grid.nrows <= 40 else None
        n = guess if guess and 0 < guess <= limit else 1
    n = min(n, limit)
    # a bold row with text in the stub only is a section label of the body ("Ethanol ($/gal)"
    # over its states), as in tables of numbers above
    while n > 1 and kinds[n - 1] == "stub":
        n -= 1
    return n, {r for r in numbering if r < n}


def _first_body_like(grid: Grid, kinds: list[str], first_data: int) -> int:
    """The first row, from the second on and above ``first_data``, that is a body row although
    its text cells keep it from reading as data (``Alabama | Bridge repair | Active | 12.5``
    over rows with ``-`` in the text columns): it holds a number, not a year, in a column
    where the data rows hold numbers, and no bold sets it apart. Without such evidence of a
    body row, the rows above the first data row are header rows."""
    data = [r for r, k in enumerate(kinds) if k == "data" and r >= first_data]
    counts: dict[int, int] = {}
    for r in data:
        for c in _row_cells(grid, r):
            if c.cs == 1 and is_number(c.text):
                counts[c.c] = counts.get(c.c, 0) + 1
    numeric = {col for col, k in counts.items() if k >= 0.6 * len(data)}
    for r in range(1, first_data):
        if kinds[r] != "text" or _bold(grid, r) >= 0.6:
            continue
        if any(c.cs == 1 and c.c in numeric and c.c > 0 and is_number(c.text)
               and not _YEAR.match(c.text.strip()) for c in _row_cells(grid, r)):
            return r
    return first_data


def _bold(grid: Grid, r: int, cols: set[int] | None = None) -> float:
    """Share of bold text in row ``r``'s cells (those over ``cols`` when it is given and the
    row has text there)."""
    cells = [c for c in _row_cells(grid, r) if c.text]
    mine = [c for c in cells if cols is not None and not cols.isdisjoint(range(c.c, c.c + c.cs))]
    cells = mine or cells
    if not cells:
        return 0.0
    return sum(c.bold for c in cells) / len(cells)


def _plain_columns(grid: Grid) -> set[int]:
    """The columns that are not bold in most rows below the first."""
    bold: dict[int, list[float]] = {}
    for c in grid.cells:
        if c.r >= 1 and c.cs == 1 and c.text:
            bold.setdefault(c.c, []).append(c.bold)
    return {col for col, bs in bold.items() if sorted(bs)[len(bs) // 2] < 0.6}


def _body_edges(grid: Grid, n_header: int) -> dict[int, tuple[float, float, float, float]]:
    """Per column, the ink of its body cells: the usual left and right edge of a line (where
    its values are aligned) and the outermost ones."""
    lefts: dict[int, list[float]] = {}
    rights: dict[int, list[float]] = {}
    for cell in grid.cells:
        if cell.r < n_header or cell.cs != 1:
            continue
        for ln in cell.lines:
            ink = [ch for ch in ln if not ch.c.isspace()]
            if ink:
                lefts.setdefault(cell.c, []).append(min(ch.x0 for ch in ink))
                rights.setdefault(cell.c, []).append(max(ch.x1 for ch in ink))
    out = {}
    for c, xs in lefts.items():
        ls, rs = sorted(xs), sorted(rights[c])
        out[c] = (ls[len(ls) // 2], rs[len(rs) // 2], ls[0], rs[-1])
    return out


def _aligned_segments(words: list[list[Char]], cols: list[int],
                      edges: dict[int, tuple[float, float, float, float]], side: int,
                      tol: float, gap: float) -> list[tuple[int, list[Char]]] | None:
    """The words of one header line cut into labels, each flush (``side`` 1: right, 0: left)
    with the values of one of ``cols``, in distinct columns, more than ``gap`` apart and none
    reaching over a neighbouring column's values; None when some word belongs to no such
    label."""
    out: list[tuple[int, list[Char]]] = []
    order = words if side == 1 else words[::-1]
    run: list[list[Char]] = []
    last = -1 if side == 1 else len(cols)
    for w in order:
        run.append(w)
        ink = [ch for word in run for ch in word if not ch.c.isspace()]
        x0, x1 = min(ch.x0 for ch in ink), max(ch.x1 for ch in ink)
        edge = x1 if side == 1 else x0
        k = next((i for i, c in enumerate(cols) if (i > last if side == 1 else i < last)
                  and c in edges and abs(edges[c][side] - edge) <= tol), None)
        if k is None:
            continue
        before, after = edges.get(cols[k] - 1), edges.get(cols[k] + 1)
        if (before is not None and x0 < before[3] - 0.5) or (after is not None
                                                             and x1 > after[2] + 0.5):
            return None  # over another column's values: a label spanning them
        if out and (x0 - out[-1][1][-1].x1 if side == 1 else out[-1][1][0].x0 - x1) < gap:
            return None  # a word space apart: one label over both columns
        chars = [ch for word in (run if side == 1 else run[::-1]) for ch in word]
        while chars and chars[-1].c.isspace():
            chars.pop()
        out.append((cols[k], chars))
        last, run = k, []
    if run:
        return None
    return out if side == 1 else out[::-1]


def split_sublabels(grid: Grid, n_header: int) -> Grid:
    """Header cells over several columns that hold one label per column, split by column.

    Column labels wider than their columns' numbers, wrapped and set flush right (or left)
    with them (``Under 18`` / ``years`` over amounts in a ruled band holding three columns),
    cross the gutters between the columns, so the grid keeps them in one cell. When every
    line of such a cell cuts into runs of words each flush with the values of a different
    column under it, and none reaching over another column's values, the runs are the
    columns' labels; a group label centred over its columns is flush with none of them."""
    if n_header < 1:
        return grid
    edges = _body_edges(grid, n_header)
    out: list[GCell] = []
    changed = False
    for cell in grid.cells:
        parts = None
        if cell.r < n_header and cell.cs >= 2 and cell.lines:
            cols = list(range(cell.c, cell.c + cell.cs))
            size = max(cell.size, 1.0)
            lines = [_words(ln) for ln in cell.lines]
            for side in (1, 0):
                cut = [_aligned_segments(ws, cols, edges, side, max(1.0, 0.2 * size),
                                         0.4 * size) for ws in lines if ws]
                if all(c is not None for c in cut) and any(len(c) >= 2 for c in cut
                                                          if c is not None):
                    parts = cut
                    break
        if parts is None:
            out.append(cell)
            continue
        changed = True
        for col in range(cell.c, cell.c + cell.cs):
            mine = [chars for line in parts if line is not None
                    for c, chars in line if c == col]
            piece = GCell(cell.r, col, cell.rs, 1,
                          (grid.col_x[col], cell.bbox[1], grid.col_x[col + 1], cell.bbox[3]),
                          mine).finish()
            piece.page = cell.page
            out.append(piece)
    if changed:
        grid.cells = out
    return grid


def join_wrapped_labels(grid: Grid, n_header: int) -> Grid | None:
    """The grid with its first two header rows joined when the upper one only holds the first
    lines of labels wrapped onto the lower (``SCN`` over ``Resist.``, ``Yield`` over
    ``Bu/A``); None when they are two rows of labels.

    The upper row is then sparse (some columns have no label there), each of its labels sits
    over a label of one column in the lower row, set solid with it (less than half a line
    apart): a label over several columns, or set apart, is a group label of its own row."""
    upper = [c for c in _row_cells(grid, 0) if c.rs == 1]
    lower = {c.c: c for c in _row_cells(grid, 1) if c.rs == 1}
    labels = [c for c in upper if c.text]
    if n_header < 2 or not labels or len(labels) == grid.ncols or len(lower) < 3:
        return None
    pairs = []
    for u in labels:
        under = lower.get(u.c)
        if u.cs != 1 or under is None or under.cs != 1 or not under.text:
            return None
        bottom = max(ch.y1 for ln in u.lines for ch in ln)
        top = min(ch.y0 for ln in under.lines for ch in ln)
        if top - bottom > 0.5 * max(u.size, under.size):
            return None
        pairs.append((u, under))
    for u, under in pairs:
        under.lines = u.lines + under.lines
        under.finish()
        under.page = u.page
    gone = {id(c) for c in upper}
    grid.cells = [c for c in grid.cells if id(c) not in gone]
    return _drop_row(grid, 0)


def infer_header_spans(grid: Grid, n_header: int) -> Grid:
    """Widen a group label over the empty header cells it is centred above.

    Without ruling lines an engine leaves ``Total`` (centred over ``PK–12 PK–8 9–12``) in one
    column and its neighbours empty; the label then spans the columns it is centred on.
    """
    alive = {id(c) for c in grid.cells}
    for r in range(n_header - 1):
        row = {c.c: c for c in _row_cells(grid, r)}
        for cell in sorted(row.values(), key=lambda c: c.c):
            if not cell.text or cell.rs != 1 or id(cell) not in alive:
                continue
            ink = [ch for ln in cell.lines for ch in ln if not ch.c.isspace()]
            if not ink:
                continue
            mid = (min(ch.x0 for ch in ink) + max(ch.x1 for ch in ink)) / 2

            def free(col: int, row: dict[int, GCell] = row, alive: set[int] = alive) -> bool:
                other = row.get(col)
                return other is not None and not other.text and other.rs == 1 \
                    and other.cs == 1 and id(other) in alive

            below = {c.c: c for c in _row_cells(grid, r + 1)}
            covered = {col for c in grid.cells if c.r <= r + 1 < c.r + c.rs and c.text
                       for col in range(c.c, c.c + c.cs)} | {c.c for c in below.values() if c.text}
            a = 0
            while free(cell.c - a - 1):
                a += 1
            b = 0
            while free(cell.c + cell.cs + b):
                b += 1
            best = (0, 0.0, 0, 0)  # (span, -offset, left, right)
            for left in range(a + 1):
                for right in range(b + 1):
                    if left + right == 0:
                        continue
                    lo_c, hi_c = cell.c - left, cell.c + cell.cs + right
                    lo, hi = grid.col_x[lo_c], grid.col_x[hi_c]
                    off = abs(mid - (lo + hi) / 2)
                    if off > 0.12 * (hi - lo) or not all(c in covered
                                                         for c in range(lo_c, hi_c)):
                        continue
                    cand = (hi_c - lo_c, -off, left, right)
                    best = max(best, cand)
            _, _, left, right = best
            if left or right:
                gone = {id(row[c]) for c in range(cell.c - left, cell.c)} | \
                       {id(row[c]) for c in range(cell.c + cell.cs, cell.c + cell.cs + right)}
                grid.cells = [c for c in grid.cells if id(c) not in gone]
                alive -= gone
                cell.c -= left
                cell.cs += left + right
                cell.bbox = (grid.col_x[cell.c], cell.bbox[1], grid.col_x[cell.c + cell.cs],
                             cell.bbox[3])
    return grid


# ------------------------------------------------------------------------ text views


def header_rows(grid: Grid, n: int) -> list[list[str]]:
    """Header rows as text, a merged cell repeated in every slot it covers."""
    slots = grid.at()
    return [[_text(slots[r][c]) for c in range(grid.ncols)] for r in range(n)]


def _text(cell: GCell | None) -> str:
    return cell.text if cell is not None else ""


# ------------------------------------------------------------------------------ notes


# ------------------------------------------------------------------- context on page


def _hoverlap(a: Rect, b: Rect) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def attach_context(drafts: list[TableDraft], layout: Layout, settings: ExtractSettings) -> None:
    """Captions, notes and nearby paragraphs of every table (notes mark blocks as footnotes)."""
    by_page: dict[int, list[TableDraft]] = {}
    for d in drafts:
        by_page.setdefault(d.page, []).append(d)
    used: set[int] = set()
    for page, ds in by_page.items():
        p = layout.pages.get(page)
        if p is None:
            continue
        for d in ds:
            _notes_under(d, p.lines, layout, [o.bbox for o in ds if o is not d])
        for d in ds:
            _caption_above(d, p.blocks, used, layout.body_size)
        for d in ds:
            if d.caption is None:
                _caption_below(d, p.blocks, used)
            if d.caption is None:
                d.figure = _figure_next_to(d, p.blocks)
    for d in drafts:
        if d.caption is None and d.title:
            d.caption = d.title
        elif d.caption and d.title and d.title not in d.caption:
            d.caption = f"{d.caption}\n{d.title}"


def _caption_above(d: TableDraft, blocks: list[BlockDraft], used: set[int],
                   body: float) -> None:
    top = d.bbox[1]
    above = sorted((b for b in blocks if b.running is None and b.bbox[3] <= top + 2
                    and _hoverlap(b.bbox, d.bbox) > 0), key=lambda b: -b.bbox[3])
    between: list[BlockDraft] = []
    edge = top
    for b in above[:4]:
        gap = edge - b.bbox[3]
        if gap > max(30.0, 2.5 * b.size) or id(b) in used:
            return
        if TABLE_CAPTION_RE.match(b.text):
            used.add(id(b))
            # a legend between the caption and the table is the table's legend, not caption
            for x in [x for x in between if legend_line(x.text)]:
                between.remove(x)
                d.notes.extend(parse_note_text(x.text, x))
                x.kind = "footnote"
            d.caption_blocks = [b] + list(reversed(between))
            d.caption = join_lines([x.text for x in d.caption_blocks])
            for x in d.caption_blocks:
                x.kind = "caption"
            return
        headnote = b.text.startswith(("[", "(")) and b.words <= 120  # "[In thousands ...]"
        if FIGURE_CAPTION_RE.match(b.text) or (b.words > 15 and not headnote) \
                or b.size > body * 1.12:
            return
        between.append(b)
        edge = b.bbox[1]


def _caption_below(d: TableDraft, blocks: list[BlockDraft], used: set[int]) -> None:
    bottom = d.bbox[3]
    below = sorted((b for b in blocks if b.running is None and b.bbox[1] >= bottom - 2
                    and _hoverlap(b.bbox, d.bbox) > 0 and b.kind != "footnote"),
                   key=lambda b: b.bbox[1])
    for b in below[:1]:
        if b.bbox[1] - bottom <= 30 and TABLE_CAPTION_RE.match(b.text) and id(b) not in used:
            used.add(id(b))
            b.kind = "caption"
            d.caption_blocks = [b]
            d.caption = b.text


def _figure_next_to(d: TableDraft, blocks: list[BlockDraft]) -> bool:
    """A figure caption right above or below the boxes, and no table caption."""
    for b in blocks:
        if b.running or not FIGURE_CAPTION_RE.match(b.text) or _hoverlap(b.bbox, d.bbox) <= 0:
            continue
        if 0 <= d.bbox[1] - b.bbox[3] <= 30 or 0 <= b.bbox[1] - d.bbox[3] <= 30:
            return True
    return False


def _is_note_start(ln: Line) -> bool:
    t = ln.text
    return bool(ln.marker_sup or NOTE_MARKER.match(t) or SOURCE_LINE.match(t) or NOTE_LABEL.match(t)
                or legend_parts(t) or SYMBOL_LEGEND.match(t.split(". ")[0] + "."))


def _notes_under(d: TableDraft, lines: list[Line], layout: Layout,
                 others: list[Rect]) -> None:
    """Collect the note lines right under the table, up to the next paragraph or heading."""
    x0, _, x1, bottom = d.bbox
    body = layout.body_size
    cands = sorted((ln for ln in lines if ln.y0 >= bottom - 2 and ln.x0 < x1 and ln.x1 > x0
                    and layout.blocks[ln.block].running is None),
                   key=lambda ln: (ln.y0, ln.x0))
    groups: list[list[Line]] = []
    edge = bottom
    prev: Line | None = None
    for ln in cands:
        if any(o[1] - 2 <= ln.y0 <= o[3] and o[1] > bottom for o in others):
            break  # the next table
        gap = ln.y0 - edge
        starts = _is_note_start(ln) and not _goes_on(prev, ln, x1)
        if prev is None:
            limit = max(14.0, 1.8 * ln.size)
        elif starts:
            limit = max(8.0, 2.0 * ln.size)  # the next note may sit a little apart
        elif ln.block == prev.block:
            limit = max(4.0, 1.0 * ln.size)  # a wrapped note goes on in its block
        else:
            limit = 0.6 * ln.size
        if gap > limit:
            break
        text = ln.text.strip()
        if CAPTION_RE.match(text) or (ln.size > body * 1.1 and ln.bold >= 0.6):
            break
        if NOTE_LABEL.fullmatch(text) or re.fullmatch(r"(notes?|sources?)\s*:?", text, re.IGNORECASE):
            edge = max(edge, ln.y1) if prev is None else edge
            continue  # a bare "NOTES:" label beside the notes
        small = ln.size <= body * 0.95
        if starts:
            groups.append([ln])
        elif prev is not None and groups and abs(ln.size - prev.size) < 0.6:
            groups[-1].append(ln)  # continuation of the note above
        elif prev is None and small:
            groups.append([ln])  # an unmarked note in small print
        else:
            break
        prev = ln
        edge = max(edge, ln.y1)
    for g in groups:
        block = layout.blocks[g[0].block]
        text = join_lines([_line_text_for_note(ln) for ln in g])
        for note in parse_note_text(text, block):
            d.notes.append(note)
        for ln in g:
            b = layout.blocks[ln.block]
            if b.kind is None:
                b.kind = "footnote"


def _goes_on(prev: Line | None, ln: Line, right: float) -> bool:
    """Whether ``ln`` continues the note line ``prev`` although it reads like a note's start
    ("memorandum of" / "understanding; MOA = …", "… EPA 2012, ENERGY" / "STAR: Celebrating
    20 Years"): ``prev`` has not ended (no closing punctuation), and ``ln`` starts in lower
    case, or ``prev`` was wrapped (it reaches the table's right edge) and ``ln`` starts with no
    marker or label of its own."""
    if prev is None or prev.text.rstrip().endswith((".", ";", ":")):
        return False
    if ln.text[:1].islower():
        return True
    t = ln.text
    own = ln.marker_sup or NOTE_MARKER.match(t) or SOURCE_LINE.match(t) or NOTE_LABEL.match(t)
    return prev.x1 >= right - 3 * prev.size and not own


def _line_text_for_note(ln: Line) -> str:
    return ln.text


def attach_nearby(drafts: list[TableDraft], layout: Layout, words: int) -> None:
    """Paragraphs just before and after each table on its page, within a word budget.

    Before the table: back to the heading that opens its section; after it: up to the next
    heading. Captions and the table's own notes are not nearby text.
    """
    for d in drafts:
        page_blocks = layout.page_blocks(d.page)
        before: list[BlockDraft] = []
        after: list[BlockDraft] = []
        for b in sorted(page_blocks, key=lambda b: -b.order):
            if b.bbox[3] > d.bbox[1] + 2:
                continue
            if b.kind == "heading":
                break
            if b.kind in ("paragraph", "list") and b not in d.caption_blocks:
                before.append(b)
        last = d.last_page
        for b in sorted(layout.page_blocks(last), key=lambda b: b.order):
            if b.bbox[1] < d.last_bbox[3] - 2:
                continue
            if b.kind == "heading" or (b.kind == "caption" and b not in d.caption_blocks):
                break
            if b.kind in ("paragraph", "list") and b not in d.caption_blocks:
                after.append(b)
        picked: list[BlockDraft] = []
        budget = words
        for side, share in ((before, words // 2), (after, words)):
            room = min(share, budget)
            for b in side:
                n = b.words
                if n > room and (picked or room < words // 4):
                    break
                picked.append(b)
                room -= n
                budget -= n
                if room <= 0:
                    break
        d.nearby = sorted(picked, key=lambda b: b.order)


# -------------------------------------------------------------------------- continued


def _norm_row(row: list[str]) -> list[str]:
    return [squash(t).lower() for t in row]


def merge_continued(drafts: list[TableDraft], layout: Layout) -> list[TableDraft]:
    """Merge a table continued at the top of the next page into the table before it."""
    out: list[TableDraft] = []
    for d in sorted(drafts, key=lambda d: (d.page, d.bbox[1])):
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, d, layout):
            _append(prev, d)
        else:
            out.append(d)
    return out


def _continues(prev: TableDraft, d: TableDraft, layout: Layout) -> bool:
    if d.page != prev.last_page + 1 or d.grid.ncols != prev.grid.ncols:
        return False
    if d.caption and not re.search(r"cont(inue)?d|\(cont", d.caption, re.IGNORECASE):
        return False
    if d.title and d.caption is None and prev.title and d.title != prev.title:
        return False
    # nothing but running text above the new piece, nothing but notes/footers below the old one
    for b in layout.page_blocks(d.page):
        if b.bbox[3] <= d.bbox[1] + 2 and b.kind not in (
                "running_header", "running_footer", "page_number"):
            if b in d.caption_blocks:
                continue
            return False
    for b in layout.page_blocks(prev.last_page):
        if b.bbox[1] >= prev.last_bbox[3] - 2 and b.kind not in (
                "running_header", "running_footer", "page_number", "footnote"):
            return False
    return True


def _repeated_header(grid: Grid, head: list[list[str]]) -> int:
    """How many top rows of a continued piece repeat the table's header rows ``head``: all of
    them or none.

    A body cell wrapped over several lines can be read into the repeated labels' row
    (``PREMISE ADDRESS`` over ``1831 NORTHWEST CACHE``): when the other labels repeat exactly
    (two at least, and half of the labels) and such a cell starts with its column's label
    on whole lines, its later lines go down to the body cell under it and the row repeats.
    """
    n = len(head)
    if not n or grid.nrows <= n:
        return 0
    mine = header_rows(grid, n)
    if [_norm_row(r) for r in mine[:-1]] != [_norm_row(r) for r in head[:-1]]:
        return 0
    if _norm_row(mine[-1]) == _norm_row(head[-1]):
        return n
    below = {(c.c, c.cs): c for c in _row_cells(grid, n) if c.rs == 1}
    moves: list[tuple[GCell, GCell, int]] = []
    same = 0
    for cell in _row_cells(grid, n - 1):
        label = squash(head[-1][cell.c]).lower()
        if squash(cell.text).lower() == label:
            same += bool(label)
            continue
        k = next((k for k in range(1, len(cell.lines)) if squash(GCell(
            cell.r, cell.c, cell.rs, cell.cs, cell.bbox, cell.lines[:k]).finish().text
            ).lower() == label), None)
        target = below.get((cell.c, cell.cs))
        if not label or k is None or target is None or cell.rs != 1:
            return 0
        moves.append((cell, target, k))
    if same < max(2, 0.5 * sum(1 for t in head[-1] if t.strip())):
        return 0
    for cell, target, k in moves:
        target.lines = cell.lines[k:] + target.lines
        cell.lines = cell.lines[:k]
        cell.finish()
        target.finish()
    return n


def _append(prev: TableDraft, d: TableDraft) -> None:
    head = header_rows(prev.grid, prev.n_header)
    grid = d.grid
    skip = _repeated_header(grid, head)
    if not skip and d.n_header:
        mine = header_rows(grid, d.n_header)
        if [_norm_row(r) for r in mine] == [_norm_row(r) for r in head[-d.n_header:]]:
            skip = d.n_header
    for _ in range(skip):
        grid = _drop_row(grid, 0)
    offset = prev.grid.nrows
    for c in grid.cells:
        c.r += offset
    prev.grid = Grid(prev.grid.nrows + grid.nrows, prev.grid.ncols,
                     prev.grid.cells + grid.cells, prev.grid.col_x,
                     prev.grid.row_y + grid.row_y[1:])
    prev.pages.append(d.page)
    prev.notes.extend(d.notes)
    prev.nearby.extend(b for b in d.nearby if b not in prev.nearby)
    prev.last_page, prev.last_bbox = d.page, d.bbox


# ---------------------------------------------------------------------------- records


def _confidence(d: TableDraft, empty: float, numeric_header: float) -> float:
    score = d.raw.score if d.raw.score is not None else 0.8
    if empty > 0.4:
        score -= (empty - 0.4)
    if d.n_header == 0:
        score -= 0.2
    if d.grid.nrows - d.n_header < 2:
        score -= 0.15
    if numeric_header > 0.5:
        score -= 0.15
    if d.caption is None:
        score -= 0.05
    return round(min(1.0, max(0.0, score)), 3)


def to_record(d: TableDraft, doc_id: str, n: int, provenance: Provenance,
              engine: str) -> Table:
    grid = d.grid
    set_targets(d.notes, grid, d.n_header)
    cells = [
        Cell(row=c.r, col=c.c, row_span=c.rs, col_span=c.cs, text=c.text,
             bbox=[round(v, 2) for v in c.bbox], page=c.page or None,
             header=c.r < d.n_header)
        for c in sorted(grid.cells, key=lambda c: (c.r, c.c))
    ]
    head_texts = {c.text for c in grid.cells if c.r < d.n_header and c.text
                  and c.r not in d.numbering}
    numeric_header = (sum(1 for t in head_texts if is_number(t)) / len(head_texts)
                      if head_texts else 0.0)
    empty = empty_ratio(grid)
    nearby_text = "\n\n".join(b.text for b in d.nearby)
    return Table.from_cells(
        cells, d.n_header,
        empty_ratio=round(empty, 4), numeric_header_ratio=round(numeric_header, 4),
        confidence=_confidence(d, empty, numeric_header),
        column_skip_rows=frozenset(d.numbering),
        provenance=provenance,
        table_id=f"{doc_id}:t{n}",
        doc_id=doc_id,
        pages=d.pages,
        bbox=[round(v, 2) for v in d.bbox],
        engine=engine,
        caption=d.caption,
        notes=[Note(kind=nd.kind, marker=nd.marker, text=nd.text,  # type: ignore[arg-type]
                    block_id=nd.block.block_id if nd.block else None, targets=nd.targets)
               for nd in d.notes],
        nearby_block_ids=[b.block_id for b in d.nearby],
        nearby_text=nearby_text,
        derived_from=None,
    )


__all__ = [
    "SUPERSCRIPTS",
    "TableDraft",
    "attach_context",
    "attach_nearby",
    "merge_continued",
    "shape",
    "to_record",
]
