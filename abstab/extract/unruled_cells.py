"""Cells of a table found by text alignment (step 5 of :mod:`abstab.extract.unruled`).

One row per body line (a wrapped label joins the row it continues), one cell per column. In
the header, a label over two or more columns' text, over a spanner rule, or centred over the
gutter between the columns it groups, is a group label with a row of its own, centred labels widen to the columns they are centred on, and the column
labels under them span up to the group label over their column.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from abstab.extract.engines import Rect
from abstab.extract.textlines import Candidate, TLine, Word, is_value_text


@dataclass
class Piece:
    """A run of words of one line in one column, or spanning several (a group label)."""

    line: TLine
    words: list[Word]
    c0: int
    c1: int  # inclusive
    ruled: bool = False  # its span comes from a spanner rule under it

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


def _extents(rows: list[TLine], xs: list[float]) -> list[tuple[float, float] | None]:
    """The x extent of the body's words in each column."""
    ext: list[list[float] | None] = [None] * (len(xs) - 1)
    for ln in rows:
        for w in ln.words:
            c = min(max(bisect.bisect_right(xs, (w.x0 + w.x1) / 2) - 1, 0), len(xs) - 2)
            e = ext[c]
            if e is None:
                ext[c] = [w.x0, w.x1]
            else:
                e[0], e[1] = min(e[0], w.x0), max(e[1], w.x1)
    return [(e[0], e[1]) if e else None for e in ext]


def _space(ln: TLine) -> float:
    """The width of an ordinary word space in the line: a quarter em, or one character of a
    monospaced font."""
    chars = [c for w in ln.words for c in w.chars]
    if chars and sum(1 for c in chars if c.mono) > 0.5 * len(chars):
        widths = sorted(c.x1 - c.x0 for c in chars)
        return widths[len(widths) // 2]
    return 0.28 * ln.size


def _pieces(ln: TLine, xs: list[float], ext: list[tuple[float, float] | None],
            rules: Sequence[Rect] = ()) -> list[Piece]:
    """The line cut into pieces: at wide gaps, and at gaps wider than two spaces over a column
    gutter. A piece over two or more columns' text (or over a rule that spans them) is a
    group label."""
    split_gap = max(0.45 * ln.size, 1.6 * _space(ln))
    merged: list[list[Word]] = []
    for w in ln.words:
        if merged:
            last = merged[-1][-1]
            gap = w.x0 - last.x1
            if gap <= 0.9 * ln.size and not (
                    gap > split_gap and is_value_text(last.text) and is_value_text(w.text)):
                merged[-1].append(w)
                continue
        merged.append([w])
    groups: list[list[Word]] = []
    for g in merged:
        groups.extend(_split_aligned(g, xs, ext, ln.size))
    out = []
    for g in groups:
        x0, x1 = g[0].x0, g[-1].x1
        covered = _covered(x0, x1, ext)
        ruled = False
        if rules:
            # a spanner rule right under the label: it spans the columns the rule covers
            cx = (x0 + x1) / 2
            for r in rules:
                if r[0] <= cx <= r[2] and ln.y1 - 1 <= r[1] <= ln.y1 + 1.2 * ln.size:
                    under = _covered(r[0], r[2], ext)
                    if 2 <= len(under) < len(ext) - 1 and set(covered) <= set(under):
                        covered, ruled = under, True
                        break
        mid = (x0 + x1) / 2
        home = min(max(bisect.bisect_right(xs, mid) - 1, 0), len(xs) - 2)
        if len(covered) >= 2:
            out.append(Piece(ln, g, covered[0], covered[-1], ruled))
        else:
            c = covered[0] if covered else home
            out.append(Piece(ln, g, c, c))
    _share_rules(out, ext)
    return out


def _share_rules(pieces: list[Piece], ext: list[tuple[float, float] | None]) -> None:
    """Labels of one line over the same rule share its columns, each the columns nearer to it,
    when each is then centred over two or more of them.

    Two spanner rules drawn end to end (``Plan`` over three columns, ``Non-Plan`` over the
    next three) read as one rule: each label would claim all six columns."""
    shared: dict[tuple[int, int], list[Piece]] = {}
    for p in pieces:
        if p.ruled:
            shared.setdefault((p.c0, p.c1), []).append(p)
    for (c0, c1), ps in shared.items():
        if len(ps) < 2:
            continue
        centres = [(p.x0 + p.x1) / 2 for p in ps]
        owner: dict[int, int] = {}
        for c in range(c0, c1 + 1):
            e = ext[c]
            if e is not None:
                owner[c] = min(range(len(ps)), key=lambda k: abs(centres[k] - (e[0] + e[1]) / 2))
        spans = []
        for k, p in enumerate(ps):
            mine = [c for c, o in owner.items() if o == k]
            if len(mine) < 2:
                break  # a label cut in pieces ("Average" | "amount borrowed"): one group
            lo, hi = ext[min(mine)][0], ext[max(mine)][1]  # type: ignore[index]
            if abs(centres[k] - (lo + hi) / 2) > 0.15 * (hi - lo):
                break  # not centred over its share: not a group label of its own
            spans.append((min(mine), max(mine)))
        else:
            for p, (a, b) in zip(ps, spans, strict=True):
                p.c0, p.c1 = a, b


def _split_aligned(words: list[Word], xs: list[float], ext: list[tuple[float, float] | None],
                   size: float) -> list[list[Word]]:
    """Labels of neighbouring columns set one ordinary space apart (``Less than $10,000–
    $15,000–``): split the words by column when every part lines up with its column's text
    (left, right or centre), which a group label centred over several columns does not."""
    if len(words) < 2:
        return [words]
    runs: list[list[Word]] = []
    last_col = -1
    for w in words:
        c = min(max(bisect.bisect_right(xs, (w.x0 + w.x1) / 2) - 1, 0), len(xs) - 2)
        if runs and c == last_col:
            runs[-1].append(w)
        else:
            runs.append([w])
        last_col = c
    if len(runs) < 2:
        return [words]
    tol = max(1.5, 0.25 * size)
    aligned = 0
    for run in runs:
        c = min(max(bisect.bisect_right(xs, (run[0].x0 + run[-1].x1) / 2) - 1, 0), len(xs) - 2)
        e = ext[c]
        a, b = run[0].x0, run[-1].x1
        if e is not None and (abs(a - e[0]) <= tol or abs(b - e[1]) <= tol
                              or abs((a + b) / 2 - (e[0] + e[1]) / 2) <= tol):
            aligned += 1
    if aligned < 2 or aligned < 2 / 3 * len(runs):
        return [words]
    return runs


def _covered(x0: float, x1: float, ext: list[tuple[float, float] | None]) -> list[int]:
    """Columns whose text extent [x0, x1] covers at least half of (or half of it)."""
    out = []
    for c, e in enumerate(ext):
        if e is None:
            continue
        ov = min(x1, e[1]) - max(x0, e[0])
        if ov > 0 and ov >= 0.5 * min(e[1] - e[0], x1 - x0):
            out.append(c)
    return out


def _continues(first: TLine, prev: TLine, ln: TLine, nxt: TLine | None, pieces: list[Piece],
               prev_pieces: list[Piece], pitch: float) -> bool:
    """Whether body line ``ln`` only continues the row above (a wrapped label; ``first`` is
    that row's first line): no values, in columns the row above uses, not left of where the
    row starts, and starting in lower case, set tighter than the rows are, or with a hanging
    indent."""
    gap = ln.y0 - prev.y1
    if not pieces or ln.values or gap > 0.6 * ln.size or ln.x0 < first.x0 - 1:
        return False
    cols = {p.c0 for p in pieces}
    prev_cols = {p.c0 for p in prev_pieces}
    if any(p.c0 != p.c1 for p in pieces) or not cols <= prev_cols:
        return False
    if pieces[0].words[0].text[:1].islower():
        return True
    if ln.y0 - prev.y0 < pitch - 0.2 * ln.size:
        return True  # set tighter than the rows: second lines of the same cells
    if cols == {0} and prev.values:
        indent = ln.x0 - prev.x0
        return indent > 0.5 * ln.size and nxt is not None and nxt.x0 < ln.x0 - 0.5 * ln.size
    return False


def _within_row(body: list[TLine], band: list[int], pieces: list[list[Piece]], i: int,
                usual: float) -> bool:
    """Whether line ``i`` belongs to the row ``band`` starts although :func:`_continues` does
    not say so: amounts set level with the middle of a two- or three-line label are read as a
    line of their own, or with one of the label's lines, and their box then overlaps the
    label lines' boxes by more than a quarter of a line, and more than lines of the body
    usually overlap (``usual``):
    ``Courts of Appeals, District Courts,`` / ``$534.7  $542.9`` / ``and Other Judicial
    Services``. The row has one set of amounts, and its other lines are the label's."""
    ln, prev = body[i], body[i - 1]
    if prev.y1 - ln.y0 <= max(usual, 0.0) + 0.25 * ln.size:
        return False
    labels = [j for j in [*band, i] if not body[j].values]
    valued = [j for j in [*band, i] if body[j].values]
    return len(valued) <= 1 and bool(labels) and all(
        all(p.c0 == p.c1 == 0 for p in pieces[j]) for j in labels)


def _spaced_bands(body: list[TLine], pieces: list[list[Piece]]) -> list[list[int]] | None:
    """Rows told apart by the space between them, when cells wrap onto lines set solid under
    their row (``$3.1 billion`` over ``(620%)``): the lines of each block set solid are one
    row. None unless the body reads that way throughout: blocks parted by a clear gap, every
    later line of a block filling fewer of the columns its first line fills, and at least two
    blocks whose later lines leave the stub empty (values wrapped, not rows of their own)."""
    if len(body) < 4:
        return None
    sizes = sorted(ln.size for ln in body)
    size = sizes[len(sizes) // 2]
    # line boxes depend on the font's metrics: compare the steps from line to line instead
    steps = [b.y0 - a.y0 for a, b in pairwise(body)]
    solid = min(steps)
    blocks: list[list[int]] = [[0]]
    for i, step in enumerate(steps, start=1):
        if step >= solid + 0.35 * size:
            blocks.append([i])
        elif step <= solid + 0.1 * size:
            blocks[-1].append(i)
        else:
            return None  # neither set solid nor set apart: no such reading
    wrapped = 0
    for block in blocks:
        first = {c for p in pieces[block[0]] for c in range(p.c0, p.c1 + 1)}
        for i in block[1:]:
            cols = {c for p in pieces[i] for c in range(p.c0, p.c1 + 1)}
            if not cols < first:
                return None
        if len(block) > 1 and all(0 not in {p.c0 for p in pieces[i]} for i in block[1:]):
            wrapped += 1
    if len(blocks) < 3 or wrapped < 2:
        return None
    return blocks


def _split_ungrouped(pieces: list[list[Piece]], ext: list[tuple[float, float] | None]
                     ) -> list[list[Piece]]:
    """Labels over several columns that group nothing are cut back into column labels.

    A multi-line header set tight (``Annual Average  Program Total`` over ``(FY2022-FY2026)
    (FY2022-FY2026)``) reads as one label over two columns per line. A real group label has
    labels of single columns under it; one without them is cut at the word gap that falls in
    the white space between two columns' body text, so no word is shared by two cells."""
    out: list[list[Piece]] = []
    for i, ps in enumerate(pieces):
        line: list[Piece] = []
        for p in ps:
            if p.c1 == p.c0 or p.ruled:
                line.append(p)
                continue
            under = {q.c0 for qs in pieces[i + 1:] for q in qs
                     if q.c0 == q.c1 and p.c0 <= q.c0 <= p.c1}
            if len(under) >= 2:
                line.append(p)
                continue
            parts: list[list[Word]] = [[p.words[0]]]
            for u, v in pairwise(p.words):
                cut = False
                for j in range(p.c0 + 1, p.c1 + 1):
                    left, right = ext[j - 1], ext[j]
                    if left is not None and right is not None and left[1] < right[0] \
                            and u.x1 < right[0] and v.x0 > left[1] and u.x1 <= v.x0:
                        cut = True
                        break
                if cut:
                    parts.append([v])
                else:
                    parts[-1].append(v)
            if len(parts) == 1:
                line.append(p)
                continue
            for ws in parts:
                covered = _covered(ws[0].x0, ws[-1].x1, ext)
                if not covered:
                    mid = (ws[0].x0 + ws[-1].x1) / 2
                    near = [c for c, e in enumerate(ext) if e is not None]
                    covered = [min(near, key=lambda c: abs((ext[c][0] + ext[c][1]) / 2 - mid))]  # type: ignore[index]
                line.append(Piece(p.line, ws, covered[0], covered[-1]))
        out.append(line)
    return out


def _gutter_groups(pieces: list[list[Piece]], ext: list[tuple[float, float] | None]) -> None:
    """A header label over no column's text, centred over the labels and values of two or more
    neighbouring columns (``2012`` over ``Number  Percentage``), groups those columns.

    Set over the gutter between the columns it groups, such a label is in no column's text;
    it is not the first line of the label of the column its middle happens to fall in. A label
    flush with or centred on one column's label (``FIPS`` over ``Geographic``) is that
    column's."""
    for i, ps in enumerate(pieces):
        under = [q for qs in pieces[i + 1:] for q in qs if q.c0 == q.c1]
        wide = [list(e) if e is not None else None for e in ext]
        for q in under:  # the column labels under it widen their columns
            e = wide[q.c0]
            if e is not None:
                e[0], e[1] = min(e[0], q.x0), max(e[1], q.x1)
        for p in ps:
            if p.c0 != p.c1 or p.ruled or _covered(p.x0, p.x1, ext):
                continue
            mid = (p.x0 + p.x1) / 2
            tol = max(1.5, 0.25 * p.line.size)
            if any(e is not None and (abs(p.x0 - e[0]) <= tol or abs(p.x1 - e[1]) <= tol
                                      or abs(mid - (e[0] + e[1]) / 2) <= tol) for e in wide):
                continue  # flush with or centred on one column: that column's label
            best = None
            for a in range(len(wide)):
                for b in range(a + 1, len(wide)):
                    lo_e, hi_e = wide[a], wide[b]
                    if lo_e is None or hi_e is None or (best and b - a >= best[1] - best[0]):
                        continue
                    lo, hi = lo_e[0], hi_e[1]
                    if not (lo <= p.x0 and p.x1 <= hi) or abs(mid - (lo + hi) / 2) > 0.1 * (hi - lo):
                        continue
                    if any(q is not p and q.x1 > lo and q.x0 < hi for q in ps):
                        continue  # another label of the line over these columns
                    if len({q.c0 for q in under if a <= q.c0 <= b}) >= 2:
                        best = (a, b)
            if best is not None:
                p.c0, p.c1 = best


def _levels(header: list[TLine], pieces: list[list[Piece]]) -> list[int]:
    """Indices of the header lines that start a header row of their own: lines with a group
    label, and lines above one with a label over the columns it groups."""
    levels: list[int] = []
    below: set[int] = set()
    for i in range(len(header) - 1, -1, -1):
        ps = pieces[i]
        groups = [p for p in ps if p.c1 > p.c0]
        if groups or any(p.c0 in below for p in ps):
            levels.insert(0, i)
        for p in groups:
            below.update(range(p.c0, p.c1 + 1))
    return levels


def _widen(p: Piece, line: list[Piece], xs: list[float]) -> None:
    """Widen a header label to the widest run of columns it is centred over that no other
    label of its line reaches into (``Design effect`` over all seven value columns); the stub
    column is never added."""
    if p.ruled:
        return  # the rule under it says how far it reaches
    cx = (p.x0 + p.x1) / 2
    others = [q for q in line if q is not p]
    best = (p.c1 - p.c0, 0.0, p.c0, p.c1)
    lo = 1 if p.c0 >= 1 else 0
    for a in range(lo, p.c0 + 1):
        for b in range(p.c1, len(xs) - 1):
            if any(q.c1 >= a and q.c0 <= b for q in others):
                continue
            width = xs[b + 1] - xs[a]
            off = abs(cx - (xs[a] + xs[b + 1]) / 2)
            if off <= 0.1 * width and (b - a, -off) > best[:2]:
                best = (b - a, -off, a, b)
    p.c0, p.c1 = best[2], best[3]


def _fit_bounds(xs: list[float], ext: list[tuple[float, float] | None],
                pieces: list[Piece]) -> list[float]:
    """Column boundaries moved, within the white space between the columns' body text, off the
    header labels (a right-aligned ``Samples`` reaches left beyond its numbers): a boundary
    through a label would cut it in two."""
    out = list(xs)
    for j in range(1, len(xs) - 1):
        left, right = ext[j - 1], ext[j]
        lo = left[1] if left else xs[j] - 2
        hi = right[0] if right else xs[j] + 2
        if hi <= lo:
            continue
        blocked = sorted((max(p.x0, lo), min(p.x1, hi)) for p in pieces
                         if p.c0 == p.c1 and p.c0 in (j - 1, j) and p.x1 > lo and p.x0 < hi)
        if not blocked or not any(a <= xs[j] <= b for a, b in blocked):
            continue
        free: list[tuple[float, float]] = []
        edge = lo
        for a, b in blocked:
            if a > edge:
                free.append((edge, a))
            edge = max(edge, b)
        if edge < hi:
            free.append((edge, hi))
        if free:
            a, b = max(free, key=lambda f: f[1] - f[0])
            out[j] = (a + b) / 2
    return out


def _leaf_cuts(leaf: list[TLine], rules: Sequence[Rect], width: float) -> list[float]:
    """Where the column-label lines split into separate header rows: at a rule across half the
    table or a gap clearly wider than the labels' own line spacing."""
    if len(leaf) < 2:
        return []
    gaps = sorted(b.y0 - a.y1 for a, b in pairwise(leaf))
    usual = gaps[len(gaps) // 2] if len(gaps) >= 3 else min(gaps)
    cuts = []
    for a, b in pairwise(leaf):
        gap = b.y0 - a.y1
        ruled = any(a.y1 - 1 <= r[1] <= b.y0 + 1 and r[2] - r[0] >= 0.5 * width for r in rules)
        if ruled or gap > max(0.6 * a.size, usual + 0.5 * a.size):
            cuts.append((a.y1 + b.y0) / 2)
    return cuts


def to_cells(cand: Candidate) -> list[Rect]:
    """Cell rectangles of a candidate (see the module docstring, step 5)."""
    xs = cand.cols
    rows = cand.body.rows
    ext = _extents(rows, xs)
    ncols = len(xs) - 1
    cells: list[Rect] = []
    body = cand.body.lines
    body_top = body[0].y0
    start = body_top - 1.0
    if cand.header:
        header = cand.header
        pieces = [_pieces(ln, xs, ext, cand.rules) for ln in header]
        _gutter_groups(pieces, ext)
        pieces = _split_ungrouped(pieces, ext)
        xs = _fit_bounds(xs, ext, [p for ps in pieces for p in ps])
        # the outer edges reach the header's words too: a label wider than its column's
        # numbers (``Program Total`` over right-aligned amounts) is not cut at the table edge
        words = [w for ps in pieces for p in ps for w in p.words]
        xs[0] = min(xs[0], min(w.x0 for w in words) - 0.5)
        xs[-1] = max(xs[-1], max(w.x1 for w in words) + 0.5)
        levels = _levels(header, pieces)
        top = header[0].y0 - 1.0
        bottom = (header[-1].y1 + body_top) / 2
        bounds = [top] + [header[i].y0 - 0.5 for i in levels[1:]]
        leaf_top = header[levels[-1]].y1 + 0.5 if levels else top
        bounds.append(leaf_top)
        if levels and levels[0] > 0:
            bounds[0] = top  # lines above the first level line join its row
        label_at: dict[int, int] = {}  # column → lowest header row with a label over it
        below: set[int] = set()
        for k in range(len(levels) - 1, -1, -1):
            ps = pieces[levels[k]]
            for p in ps:
                if p.c1 > p.c0 or p.c0 in below:
                    _widen(p, ps, xs)
                    cells.append((xs[p.c0], bounds[k], xs[p.c1 + 1], bounds[k + 1]))
                    for c in range(p.c0, p.c1 + 1):
                        label_at.setdefault(c, k)
            for p in ps:
                if p.c1 > p.c0:
                    below.update(range(p.c0, p.c1 + 1))
        # the column labels under the group labels; a gap or a rule starts another row of
        # them (a row numbering the columns under the labels)
        leaf = header[levels[-1] + 1:] if levels else header
        cuts = _leaf_cuts(leaf, cand.rules, xs[-1] - xs[0])
        for c in range(ncols):
            level = label_at.get(c)
            edges = [bounds[level + 1] if level is not None else top] + cuts + [bottom]
            for i in range(len(edges) - 1):
                cells.append((xs[c], edges[i], xs[c + 1], edges[i + 1]))
        start = bottom
    # --- body: one row per line, wrapped labels joined to the row they continue
    pieces = [_pieces(ln, xs, ext) for ln in body]
    steps = sorted(b.y0 - a.y0 for a, b in pairwise(rows))
    pitch = steps[len(steps) // 2] if steps else 0.0
    overlaps = sorted(a.y1 - b.y0 for a, b in pairwise(body))
    usual = overlaps[len(overlaps) // 2] if overlaps else 0.0
    bands: list[list[int]] = []
    for i, ln in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        if bands and (_continues(body[bands[-1][0]], body[i - 1], ln, nxt, pieces[i],
                                 pieces[i - 1], pitch)
                      or _within_row(body, bands[-1], pieces, i, usual)):
            bands[-1].append(i)
        else:
            bands.append([i])
    bands = _spaced_bands(body, pieces) or bands
    ys = [start]
    for a, b in pairwise(bands):
        ys.append((body[a[-1]].y1 + body[b[0]].y0) / 2)
    ys.append(body[-1].y1 + 1.0)
    for r, band in enumerate(bands):
        y0, y1 = ys[r], ys[r + 1]
        taken: set[int] = set()
        for p in (p for i in band for p in pieces[i] if p.c1 > p.c0):
            if any(c in taken for c in range(p.c0, p.c1 + 1)):
                continue
            cells.append((xs[p.c0], y0, xs[p.c1 + 1], y1))
            taken.update(range(p.c0, p.c1 + 1))
        for c in range(ncols):
            if c not in taken:
                cells.append((xs[c], y0, xs[c + 1], y1))
    return cells
