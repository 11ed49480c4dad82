"""Tables ruled only by horizontal rules across their width, found from those rules.

Report tables are often set without vertical rules and with little or no numbers: a rule over
the column labels, one under them, one under each group of rows and one at the bottom, with
names, statutes and summaries wrapped in narrow columns (a program list, a schedule of tax
rates). The text-alignment finder (:mod:`abstab.extract.unruled`) wants value rows, and
PyMuPDF's ``lines`` strategy wants vertical edges, so neither sees them. Here the rules are the
evidence:

1. **region**: three or more horizontal rules of one extent (at least a third of the page wide,
   outside the top and bottom margins, where running heads are ruled) stacked with text between
   them (never across a ``Table 3.`` or ``Figure 2.`` caption), and no table found there
   already;
2. **columns**: the gutters that the region's lines of two or more segments leave free (a single
   label line, such as a centred group title, may cross them), each moved to the stretch the
   fewest words cross; two columns that never hold a segment each on one line are one (a
   left-aligned label over right-aligned amounts);
3. **rows**: a rule inside the region always starts a row; between rules, a baseline pitch
   clearly wider than the tightest one starts one (wrapped lines of one cell are set tight),
   and when the spacing is uniform every line is a row;
4. **cells**: per row, one cell per column, except that a word crossing gutters, or in a row of
   one line a segment crossing them, makes one cell over the columns it covers (a centred
   ``Joint Returns`` spans the table);
5. **labels on the first rule**: column labels standing right on the top rule with no rule
   over them (short, bold or larger, over two or more columns) are the first row.

The cell rectangles then go through the shared grid cleanup like any engine's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from itertools import pairwise

from abstab.extract.engines import PageContext, RawTable, Rect, chart_like
from abstab.extract.textlines import TLine
from abstab.extract.unruled import gutters, page_lines

MIN_RULES = 3
CAPTION = re.compile(r"^\s*(Table|Figure|Exhibit)\s+[A-Z]?-?\d+[A-Za-z]?\s*[.:\u2014\u2013-]")
"""A caption line: a rule stack is never continued across one (it starts another table)."""
MARGIN = 0.08  # share of the page height at top and bottom where running heads are ruled


def _overlap_share(a: Rect, b: Rect) -> float:
    """Intersection area over the area of ``a``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = max((a[2] - a[0]) * (a[3] - a[1]), 1e-6)
    return max(w, 0.0) * max(h, 0.0) / area


def rule_stacks(ctx: PageContext) -> list[tuple[Rect, list[float]]]:
    """Regions between three or more horizontal rules of one extent, with the rules' y."""
    height, width = ctx.text.height, ctx.text.width
    rules = [r for r in ctx.rules() if r[2] - r[0] >= width / 3
             and MARGIN * height <= r[1] <= (1 - MARGIN) * height]
    if len(rules) < MIN_RULES:
        return []
    captions = [(ln.y0 + ln.y1) / 2 for ln in page_lines(ctx.text, [])
                if ln.words and CAPTION.match(" ".join(w.text for w in ln.words))]
    stacks: list[list[Rect]] = []
    for r in rules:  # top to bottom
        for st in stacks:
            if abs(st[0][0] - r[0]) <= 2.5 and abs(st[0][2] - r[2]) <= 2.5 \
                    and r[1] - st[-1][3] <= 0.5 * height \
                    and not any(st[-1][3] < y < r[1] for y in captions):
                st.append(r)
                break
        else:
            stacks.append([r])
    return [((st[0][0], st[0][1], st[0][2], st[-1][3]), [(r[1] + r[3]) / 2 for r in st])
            for st in stacks if len(st) >= MIN_RULES]


def _settle(xs: list[float], lines: list[TLine], lo: float, hi: float) -> list[float]:
    """Each gutter moved to the middle of the widest stretch around it that the fewest words
    cross (a long bold label may reach into a gutter others leave wide open), and gutters
    between two columns that never hold a segment each on one line dropped: they are one column (a
    left-aligned label over right-aligned amounts)."""
    step = 0.5
    n = int((hi - lo) / step) + 2
    cover = [0] * n
    for ln in lines:
        for w in ln.words:
            for i in range(max(0, int((w.x0 - lo) / step)), min(n, int((w.x1 - lo) / step) + 1)):
                cover[i] += 1
    settled: list[float] = []
    for x in xs:
        k = min(max(int((x - lo) / step), 0), n - 1)
        a = b = k
        limit = cover[k]
        while a > 0 and cover[a - 1] <= limit:
            a -= 1
        while b < n - 1 and cover[b + 1] <= limit:
            b += 1
        least = min(cover[a:b + 1])
        best = (0, k, k)
        i = a
        while i <= b:
            if cover[i] == least:
                j = i
                while j + 1 <= b and cover[j + 1] == least:
                    j += 1
                if j - i + 1 > best[0]:
                    best = (j - i + 1, i, j)
                i = j + 1
            else:
                i += 1
        settled.append(lo + (best[1] + best[2] + 1) / 2 * step)
    bounds = [lo, *settled, hi]
    keep: list[float] = []
    for j, x in enumerate(settled, start=1):
        left_lo = keep[-1] if keep else bounds[0]
        right_hi = bounds[j + 1]
        together = any(any(left_lo <= g[0].x0 and g[-1].x1 <= x for g in ln.segs)
                       and any(x <= g[0].x0 and g[-1].x1 <= right_hi for g in ln.segs)
                       for ln in lines)
        if together:
            keep.append(x)
    return keep


def _baseline(ln: TLine) -> float:
    bases = sorted(c.oy for w in ln.words for c in w.chars)
    return bases[len(bases) // 2]


def _rows(lines: list[TLine], rules: list[float]) -> list[list[TLine]]:
    """The region's lines grouped into table rows (step 3 of the module docstring)."""
    # baseline to baseline: glyph boxes vary with fonts and links, baselines do not
    pitches = [_baseline(b) - _baseline(a) for a, b in pairwise(lines)]
    size = sorted(ln.size for ln in lines)[len(lines) // 2]
    # (lines closer than the font size overlap: a label set beside two lines, not a pitch)
    usual = [p for p in pitches if p >= 0.9 * size] or pitches
    tight = min(usual) if usual else 0.0
    uniform = not usual or max(usual) - tight < 0.3 * size
    rows: list[list[TLine]] = [[lines[0]]]
    for (a, b), pitch in zip(pairwise(lines), pitches, strict=True):
        ruled = any(a.y1 - 1 <= y <= b.y0 + 1 for y in rules)
        if ruled or uniform or pitch > tight + 0.3 * size:
            rows.append([b])
        else:
            rows[-1].append(b)
    return rows


MAX_LABEL_WORDS = 5


def _labels_over(lines: list[TLine], box: Rect, xs: list[float], region: list[TLine]
                 ) -> list[TLine]:
    """The column labels of a table whose first rule is drawn under them, not over them.

    The lines set solid right over the top rule, within the table's width, are its header
    when they read as labels over two or more of its columns: short runs of words, set apart
    from the rows (bold, or a larger size), no caption and no line of running text across
    the table. Otherwise (a title, the paragraph before the table) nothing is taken."""
    block: list[TLine] = []
    edge = box[1]
    for ln in sorted((ln for ln in lines if ln.words and ln.kind != "rule"
                      and ln.y1 <= box[1] + 1), key=lambda ln: -ln.y1):
        if edge - ln.y1 > (1.0 if not block else 0.3) * ln.size:
            break
        text = " ".join(w.text for w in ln.words)
        if ln.x0 < box[0] - 2 or ln.x1 > box[2] + 2 or CAPTION.match(text) \
                or any(len(seg) > MAX_LABEL_WORDS or seg[-1].x1 - seg[0].x0
                       > 0.7 * (box[2] - box[0]) for seg in ln.segs):
            return []
        block.append(ln)
        edge = min(edge, ln.y0)
    if not block:
        return []
    cols = set()
    for ln in block:
        for seg in ln.segs:
            cols.add(min(max(bisect.bisect_right(xs, seg[0].x0) - 1, 0), len(xs) - 2))
    if len(cols) < 2:
        return []
    ink = [c for ln in block for w in ln.words for c in w.chars if not c.c.isspace()]
    body = [c for ln in region for w in ln.words for c in w.chars if not c.c.isspace()]
    bold = sum(c.bold for c in ink) / len(ink)
    body_bold = sum(c.bold for c in body) / len(body) if body else 0.0
    sizes = sorted(ln.size for ln in region)
    if not (bold >= 0.6 > body_bold or min(ln.size for ln in block)
            > sizes[len(sizes) // 2] + 0.5):
        return []
    return sorted(block, key=lambda ln: ln.y0)


def _cells(rows: list[list[TLine]], xs: list[float], box: Rect) -> list[Rect]:
    """Cell rectangles: per row, one per column, or one over the columns a segment crosses."""
    ncols = len(xs) - 1
    ys = [box[1]] + [(a[-1].y1 + b[0].y0) / 2 for a, b in pairwise(rows)] + [box[3]]
    out: list[Rect] = []
    for r, row in enumerate(rows):
        parent = list(range(ncols))

        def root(c: int, parent: list[int] = parent) -> int:
            while parent[c] != c:
                c = parent[c]
            return c

        for ln in row:
            # a word over a gutter joins the columns; so does a whole segment in a row of
            # one line (a title centred over the table); in a row of wrapped lines, a date
            # set close to its text is not a label over both columns
            spans = ln.segs if len(row) == 1 else [[w] for w in ln.words]
            for seg in spans:
                a, b = seg[0].x0, seg[-1].x1
                cols = [c for c in range(ncols) if a < xs[c + 1] and b > xs[c]]
                for c in cols[1:]:
                    parent[root(c)] = root(cols[0])
        groups: dict[int, list[int]] = {}
        for c in range(ncols):
            groups.setdefault(root(c), []).append(c)
        for cols in groups.values():
            out.append((xs[min(cols)], ys[r], xs[max(cols) + 1], ys[r + 1]))
    return out


def find(ctx: PageContext, found: Sequence[RawTable], avoid: Sequence[Rect] = ()
         ) -> tuple[list[RawTable], list[RawTable]]:
    """Tables of the page that stacks of horizontal rules delimit (see the module docstring).

    A stack that partly overlaps a ``found`` table, or an ``avoid`` region (a chart), is left
    alone. Text-alignment tables (``method="text"``) lying inside a stack that they fill less
    than half of are the first rows of the ruled table (the rest has no values): they are
    replaced by it.

    Returns:
        The new tables, and the found tables they replace.
    """
    added: list[RawTable] = []
    replaced: list[RawTable] = []
    stacks = []
    for box, ys in rule_stacks(ctx):
        if any(_overlap_share(a, box) > 0.05 for a in avoid):
            continue
        inside = [t for t in found if _overlap_share(t.bbox, box) >= 0.8]
        partly = [t for t in found if t not in inside and _overlap_share(t.bbox, box) > 0.05]
        height = box[3] - box[1]
        if partly or any(t.method != "text" for t in inside) \
                or sum(t.bbox[3] - t.bbox[1] for t in inside) >= 0.5 * height:
            continue
        stacks.append((box, ys, inside))
    if not stacks:
        return added, replaced
    others = [t.bbox for t in found if not any(t in inside for _, _, inside in stacks)]
    for box, ys, inside in stacks:
        # only the characters over the region's width: a page set in columns has other text
        # on the same baselines
        beside = [(-1.0, box[1] - 1, box[0] - 2, box[3] + 1),
                  (box[2] + 2, box[1] - 1, ctx.text.width + 1, box[3] + 1)]
        lines = page_lines(ctx.text, others + beside)
        region = [ln for ln in lines if ln.kind != "rule" and ln.words
                  and box[0] - 2 <= ln.x0 and ln.x1 <= box[2] + 2
                  and box[1] <= (ln.y0 + ln.y1) / 2 <= box[3]]
        multi = [ln for ln in region if len(ln.segs) >= 2]
        if len(region) < 3 or len(multi) < 2:
            continue
        xs_in = gutters(multi, box[0], box[2])
        if not xs_in or chart_like(ctx, box):
            continue
        xs_in = _settle(xs_in, multi, box[0] - 0.5, box[2] + 0.5)
        if not xs_in:
            continue
        xs = [box[0] - 0.5, *xs_in, box[2] + 0.5]
        rows = _rows(region, ys)
        if len(rows) < 2:
            continue
        head = _labels_over(lines, box, xs, region)
        if head:
            rows = [head, *rows]
            box = (box[0], min(ln.y0 for ln in head) - 1.0, box[2], box[3])
        added.append(RawTable(ctx.number, box, _cells(rows, xs, box), None, "rules", 0.7))
        replaced.extend(inside)
    return added, replaced
