"""Tables without vertical ruling, found from how the page's text is aligned.

Ruled tables come from the page's vector lines (:func:`abstab.extract.engines.ruled_tables`);
most statistical tables have no vertical rules at all (at most a rule above the header, one
under it and one at the bottom). This finder works on the characters already read for the page
(:mod:`abstab.extract.text`), with no model, in a few milliseconds a page:

1. **rows**: the page's visual lines (outside ruled tables and charts) are cut into words
   (leader dots and rules typed as text dropped) and *segments* (words closer than ~1 em). A
   line is *row-like* when it has two or more segments and one of them is a value (a number, a
   range, a placeholder such as ``—``, a date), or three or more segments, and none of its
   segments reads like prose;
2. **bodies**: consecutive row-like lines, allowing short labels between them (``Male``,
   ``Projected``) and blank space of about two lines, form a candidate body; a body is cut
   where its lines move to another framed box and where the table's header comes again;
3. **columns**: x positions that no word of the body crosses but that have words on both sides
   in many lines are the column gutters, cut where the fewest words cross; columns set only a
   space apart are told apart by flush edges on both sides down the whole column and a label
   over each (:func:`narrow_gutters`); a body needs a gutter most of its rows use, at least
   two rows with values, and no two columns of running text (a page set in columns);
4. **header**: lines right above the body whose words stay inside its width and that read
   neither like prose, a caption or a units note (``[In thousands]``) are header lines, as are
   the body's leading lines without values (column labels) and those above a rule across the
   table; the last lines of a caption paragraph are given back to the caption;
5. **cells** (:mod:`abstab.extract.unruled_cells`): one row per body line (a wrapped label
   joins the row it continues), one cell per column. In the header, a label over two or more columns' text, or over a spanner rule, is a
   group label with a row of its own, centred labels widen to the columns they are centred
   on, and the column labels under them span up to the group label over their column.

Rejected: tables of contents (leader dots and page numbers in order), a few aligned lines
without column labels, aligned text without any value. The last, if it sits right above a
ruled table, is that table's column labels drawn in a box of their own
(:func:`attach_labels`).

The result is a :class:`RawTable` with ``method="text"`` that the shared grid cleanup
(:mod:`abstab.extract.grid`) reads like any other engine's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from itertools import pairwise

from abstab.extract.engines import PageContext, RawTable, Rect, chart_like
from abstab.extract.grid import gutter_positions
from abstab.extract.notes import legend_line
from abstab.extract.text import Char, PageText, group_lines
from abstab.extract.textlines import Body, Candidate, TLine, Word, is_value_text
from abstab.extract.unruled_cells import to_cells

_RULE_CHARS = set("-_=─━‒–—")
_CAPTION = re.compile(
    r"^(table|tab\.|figure|fig\.|exhibit|chart|graph|map|box|source|sources|note|notes)\b",
    re.IGNORECASE)
_HEADNOTE = re.compile(r"^[\[(][^\])]*[A-Za-z]{2}[^\])]*[\])]$")
"""A units note over a table: ``[In thousands]``, ``(` Billion)``, ``(In percent)``."""
_SENTENCE_END = re.compile(r"[a-z]{2,}[.;:]$")


# ----------------------------------------------------------------------------- lines


def _words(chars: Sequence[Char]) -> list[Word]:
    """Words of a line: characters split at spaces and at gaps wider than a quarter em."""
    out: list[list[Char]] = []
    prev: Char | None = None
    for c in chars:
        if c.c.isspace() or not c.c:
            prev = None
            continue
        if prev is None or c.x0 - prev.x1 > 0.25 * max(c.size, 1.0):
            out.append([c])
        else:
            out[-1].append(c)
        prev = c
    return [Word(cs[0].x0, cs[-1].x1, min(c.y0 for c in cs), max(c.y1 for c in cs),
                 "".join(c.c for c in cs), max(c.size for c in cs), cs) for cs in out]


def _segments(words: list[Word], size: float) -> list[list[Word]]:
    segs: list[list[Word]] = []
    for w in words:
        if segs:
            last = segs[-1][-1]
            gap = w.x0 - last.x1
            split = gap > 0.9 * size or (
                gap > 0.45 * size and is_value_text(last.text) and is_value_text(w.text))
            if not split:
                segs[-1].append(w)
                continue
        segs.append([w])
    return segs


def page_lines(page: PageText, exclude: Sequence[Rect]) -> list[TLine]:
    """Horizontal visual lines of the page outside ``exclude``, top to bottom."""
    vertical = page.vertical
    chars: list[Char] = []
    for f in page.fragments:
        if f.index in vertical or not f.horizontal:
            continue
        if exclude:
            fx0, fy0, fx1, fy1 = f.bbox
            near = [b for b in exclude if fx0 <= b[2] and fx1 >= b[0] and fy0 <= b[3]
                    and fy1 >= b[1]]
            if near:
                chars.extend(c for c in f.chars if not any(
                    b[0] - 1 <= c.cx <= b[2] + 1 and b[1] - 1 <= c.cy <= b[3] + 1 for b in near))
                continue
        chars.extend(f.chars)
    decoration = page.decoration
    groups = group_lines(chars)
    gutter = text_column_gutter(groups, page.width, decoration)
    if gutter is not None:
        # a two-column page: a line of the left column is not one row with the line of the
        # right column beside it (a table set in one column beside running text)
        groups = _split_at(groups, gutter, decoration)
    lines = []
    for group in groups:
        ink = [c for c in group if not c.c.isspace()]
        if not ink:
            continue
        sizes = sorted(c.size for c in ink)
        size = sizes[len(sizes) // 2]
        deco = [c for c in ink if id(c) in decoration]
        if len(deco) == len(ink):
            if all(c.c in _RULE_CHARS for c in ink):  # "--------": a rule typed as text
                y = (min(c.y0 for c in ink) + max(c.y1 for c in ink)) / 2
                lines.append(TLine([], [], ink[0].x0, y, ink[-1].x1, y, size, kind="rule"))
            continue
        words = _words([c for c in group if id(c) not in decoration])
        if not words:
            continue
        y0 = min(w.y0 for w in words)
        y1 = max(w.y1 for w in words)
        line = TLine(words, _segments(words, size), words[0].x0, y0, words[-1].x1, y1, size)
        if gutter is not None and words[0].x0 >= gutter:
            line.side = 1
        line.leaders = any(c.c not in _RULE_CHARS for c in deco)
        lines.append(line)
    lines.sort(key=lambda ln: (ln.y0, ln.x0))
    return lines


def _prose_words(words: list[Word]) -> bool:
    """Words of one line that read like running text: five or more, half in lower case."""
    return len(words) >= 5 and sum(1 for w in words if w.text[:1].islower()) >= 0.5 * len(words)


def text_column_gutter(groups: list[list[Char]], width: float,
                       decoration: set[int] = frozenset()) -> float | None:  # type: ignore[assignment]
    """The x of the white strip between the two text columns of a page set in two columns,
    or None.

    The strip lies in the middle 40 % of the page, almost no line crosses it (at most 2 %, or
    three: a title and a running footer),
    both sides hold text over at least half of the page's text height, and both hold running
    text (lines of five or more words, half of them in lower case): two columns of paragraphs,
    not a table whose columns leave a gap there."""
    rows = [(ws, min(w.y0 for w in ws), max(w.y1 for w in ws))
            for ws in (_words([c for c in g if id(c) not in decoration]) for g in groups) if ws]
    n = len(rows)
    if n < 16:
        return None
    bins = int(width) + 2
    cover = [0] * bins
    for ws, _, _ in rows:
        for w in ws:
            for i in range(max(0, int(w.x0)), min(bins, int(w.x1) + 1)):
                cover[i] += 1
    allowed = max(3, int(0.02 * n))  # (a title and a footer may cross it on a short page)
    top, bottom = min(r[1] for r in rows), max(r[2] for r in rows)
    lo, hi = int(0.3 * width), int(0.7 * width)
    best: tuple[int, float] | None = None
    i = lo
    while i < hi:
        if cover[i] > allowed:
            i += 1
            continue
        j = i
        while j < bins and cover[j] <= allowed:
            j += 1
        g = (i + j) / 2
        if j - i >= 6 and (best is None or j - i > best[0]) and _two_columns(rows, g, top, bottom):
            best = (j - i, g)
        i = j
    return best[1] if best else None


def _two_columns(rows: list[tuple[list[Word], float, float]], g: float, top: float,
                 bottom: float) -> bool:
    sides = []
    for keep in (lambda w: w.x1 <= g, lambda w: w.x0 >= g):
        parts = [([w for w in ws if keep(w)], y0, y1) for ws, y0, y1 in rows]
        parts = [p for p in parts if p[0]]
        if not parts or sum(1 for p in parts if _prose_words(p[0])) < 5:
            return False
        sides.append((min(p[1] for p in parts), max(p[2] for p in parts)))
    shared = min(sides[0][1], sides[1][1]) - max(sides[0][0], sides[1][0])
    return shared >= 0.5 * (bottom - top)


def _split_at(groups: list[list[Char]], x: float, decoration: set[int]) -> list[list[Char]]:
    """Visual lines cut at ``x`` where they cross it: each side is a line of its own."""
    out: list[list[Char]] = []
    for g in groups:
        left = [c for c in g if c.cx < x]
        right = [c for c in g if c.cx >= x]
        out.extend(part for part in (left, right) if part)
    return out


def _prose(seg_texts: list[str]) -> bool:
    """A segment that reads like running text: many words, or a sentence."""
    for t in seg_texts:
        n = len(t.split())
        if n >= 13 or (n >= 7 and _SENTENCE_END.search(t)):
            return True
    return False


def classify(lines: list[TLine]) -> None:
    for ln in lines:
        if ln.kind == "rule":
            continue
        texts = [ln.seg_text(s) for s in ln.segs]
        ln.values = sum(1 for t in texts if is_value_text(t))
        n = len(ln.segs)
        if _prose(texts):
            ln.kind = "text"
        elif n >= 2 and (ln.values >= 1 or n >= 3):
            ln.kind = "row"
        elif n == 1 and len(texts[0].split()) >= 2 and all(
                is_value_text(w.text) for w in ln.words):
            ln.kind = "row"  # "960 1,040 1,120": monospaced columns one space apart
        elif n <= 2 and sum(len(t.split()) for t in texts) <= 8 \
                and not _CAPTION.match(texts[0]):
            ln.kind = "label"
        else:
            ln.kind = "text"


# ---------------------------------------------------------------------------- bodies


def _bodies(lines: list[TLine]) -> list[Body]:
    """Runs of row-like lines (with labels between them)."""
    bodies: list[Body] = []
    cur: Body | None = None
    pending: list[TLine] = []  # labels waiting for a row below them
    for ln in lines:
        if ln.kind == "rule":
            continue
        if cur is not None:
            last = (pending or cur.lines)[-1]
            gap = ln.y0 - last.y1
            over = min(ln.x1, cur.x1) - max(ln.x0, cur.x0)
            near = gap <= 2.2 * max(ln.size, last.size) and over > 0
            if near and ln.kind == "row":
                cur.lines.extend(pending)
                pending = []
                cur.lines.append(ln)
                continue
            if near and ln.kind == "label" and len(pending) < 3 \
                    and ln.x0 >= cur.x0 - 2 * ln.size and (ln.x1 <= cur.x1 + 2 * ln.size
                                                          or _wraps(ln, cur.lines[-1])):
                pending.append(ln)
                continue
            bodies.append(_close(cur, pending))
            cur = None
            pending = []
        if ln.kind == "row":
            cur = Body([ln])
    if cur is not None:
        bodies.append(_close(cur, pending))
    return bodies


def _close(body: Body, pending: list[TLine]) -> Body:
    """``body`` with the labels under its last row that continue one of its wrapped cells
    (set tight under it, starting where a cell other than the first starts)."""
    last = body.lines[-1]
    for ln in pending:
        prev = body.lines[-1]
        if ln.y0 - prev.y1 > 0.6 * ln.size or not _wraps(ln, last):
            break
        body.lines.append(ln)
    return body


def _wraps(ln: TLine, row: TLine) -> bool:
    """Whether ``ln`` starts where a cell of ``row`` other than its first starts (the next
    line of a wrapped cell, which may reach further right than the row's first line)."""
    return any(abs(seg[0].x0 - ln.x0) <= 1.0 for seg in row.segs[1:])


def gutters(lines: list[TLine], lo: float, hi: float) -> list[float]:
    """x positions in [lo, hi] that no word of ``lines`` crosses (a few may) and that have
    words on both sides in many lines: column boundaries, left to right."""
    step = 0.5
    n = int((hi - lo) / step) + 2
    if n < 4:
        return []
    cover = [0] * n
    spans = []
    for ln in lines:
        ws = [(w.x0, w.x1) for w in ln.words]
        spans.append(ws)
        for a, b in ws:
            for i in range(max(0, int((a - lo) / step)), min(n, int((b - lo) / step) + 1)):
                cover[i] += 1
    allowed = len(lines) // 12
    sizes = sorted(ln.size for ln in lines)
    min_gap = max(3.0, 0.5 * sizes[len(sizes) // 2])
    return gutter_positions(cover, spans, lo, step, allowed, min_gap, least_crossed=True)


def _free(spans: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """The stretches of [lo, hi] that none of ``spans`` covers."""
    out = []
    edge = lo
    for a, b in sorted(spans):
        if a > edge:
            out.append((edge, min(a, hi)))
        edge = max(edge, b)
        if edge >= hi:
            break
    if edge < hi:
        out.append((edge, hi))
    return [(a, b) for a, b in out if b > a]


def _aligned(edges: list[float], tol: float = 1.0) -> bool:
    """Whether (nearly) all of ``edges`` stand at one x: a column's flush edge."""
    mid = sorted(edges)[len(edges) // 2]
    return sum(1 for e in edges if abs(e - mid) <= tol) >= 0.9 * len(edges)


_DASHES = {"-", "–", "—", "‒", "−", "to"}


def _range_dash(ln: TLine, u: Word, v: Word) -> bool:
    """Whether ``u`` (left of a strip) or ``v`` (right of it) is the dash of a range set in
    words (``1.35 - 1.42``): a dash with a word close on its other side. A dash standing
    alone is a placeholder for a missing value."""
    near = ln.size
    if u.text in _DASHES and any(0 <= u.x0 - w.x1 <= near for w in ln.words):
        return True
    return v.text in _DASHES and any(0 <= w.x0 - v.x1 <= near for w in ln.words)


def narrow_gutters(lines: list[TLine], header: list[TLine], xs: list[float]) -> list[float]:
    """Boundaries between columns set closer than :func:`gutters` needs (one space apart:
    ``648765 AAA`` under ``NUMBER TYPE``), as many as the printed layout proves.

    Inside a column of ``xs``, a strip that no word of the body ``lines`` crosses is a column
    boundary when, down the whole column, the rows have words on both sides of it (80 % of the
    rows that use the column, at least five), the words left of it end at one x and the words
    right of it start at one x (a flush edge on each side, as numbers right-aligned beside
    codes left-aligned are), neither is a dash (``1.35 - 1.42`` is one range), and the column
    labels over it (the lowest header line there) have a label on each side of it and none
    across it. Words of one column (a name; ``(405) 680-3701`` under ``PHONE NUMBER``) have no
    such flush edges or share one label."""
    rows = [ln for ln in lines if ln.kind == "row"]
    if not header or len(rows) < 5:
        return []
    out: list[float] = []
    for lo, hi in pairwise(xs):
        def inside(w: Word, lo: float = lo, hi: float = hi) -> bool:
            return lo <= (w.x0 + w.x1) / 2 < hi
        spans = [(w.x0, w.x1) for ln in lines for w in ln.words if inside(w)]
        if not spans:
            continue
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        for a, b in _free(spans, first, last):
            pairs: list[tuple[Word, Word]] = []  # the words either side, row by row
            used = 0
            ranged = False
            for ln in rows:
                ws = [w for w in ln.words if inside(w)]
                used += bool(ws)
                left = [w for w in ws if w.x1 <= a]
                right = [w for w in ws if w.x0 >= b]
                if left and right:
                    u, v = max(left, key=lambda w: w.x1), min(right, key=lambda w: w.x0)
                    if _range_dash(ln, u, v):
                        ranged = True
                    pairs.append((u, v))
            if ranged or len(pairs) < max(5, 0.8 * used) \
                    or not (_aligned([u.x1 for u, _ in pairs])
                            and _aligned([v.x0 for _, v in pairs])):
                continue
            # the column labels: the lowest header line over this column
            label = next((ln for ln in reversed(header)
                          if any(w.x1 > first and w.x0 < last for w in ln.words)), None)
            if label is None:
                continue
            gaps = [g for g in _free([(w.x0, w.x1) for w in label.words], a, b)
                    if g[1] - g[0] >= 0.5]
            if not gaps:
                continue  # a label bridges the strip: it heads one column
            g0, g1 = max(gaps, key=lambda g: g[1] - g[0])
            # a label on each side, not one of a neighbouring column (the outer columns'
            # labels may stand beyond the body's edge)
            outer_lo = lo if lo > xs[0] else float("-inf")
            outer_hi = hi if hi < xs[-1] else float("inf")
            if any(outer_lo - 1 <= w.x1 <= g0 for w in label.words) \
                    and any(g1 <= w.x0 <= outer_hi + 1 for w in label.words):
                out.append((g0 + g1) / 2)
    return out


def _line_cols(ln: TLine, xs: list[float]) -> set[int]:
    out = set()
    for w in ln.words:
        c = bisect.bisect_right(xs, (w.x0 + w.x1) / 2) - 1
        out.add(min(max(c, 0), len(xs) - 2))
    return out


_YEARISH = re.compile(r"^(FY\s?)?(19|20)\d\d([-–/](\d\d|(19|20)\d\d))?[*†¹²³]?$")


def _headerish(ln: TLine) -> bool:
    """A line that may head a table: no values, or only years (``2007  2008``)."""
    if ln.values == 0:
        return True
    texts = [ln.seg_text(s) for s in ln.segs]
    vals = [t for t in texts if is_value_text(t)]
    return all(_YEARISH.match(t) for t in vals)


def _split_head(body: Body) -> tuple[list[TLine], Body]:
    """Leading body lines without values (column labels classified as a row) are header
    lines when value rows follow; a section label of the stub right above the first value
    row (``Sex``) stays in the body."""
    k = 0
    while k < len(body.lines) and _headerish(body.lines[k]):
        k += 1
    if k == 0 or sum(1 for ln in body.lines[k:] if ln.kind == "row") < 2:
        return [], body
    values = [ln for ln in body.lines[k:] if ln.values and len(ln.segs) >= 2]
    if values:
        left = min(ln.x0 for ln in values)
        seconds = sorted(ln.segs[1][0].x0 for ln in values)
        stub_right = seconds[len(seconds) // 2]
        while k > 0:
            ln = body.lines[k - 1]
            if len(ln.segs) == 1 and ln.x1 < stub_right and ln.x0 <= left + 2 * ln.size:
                k -= 1
            else:
                break
    if k == 0:
        return [], body
    return body.lines[:k], Body(body.lines[k:])


def _header_lines(top: TLine, lead: list[TLine], x0: float, x1: float, lines: list[TLine],
                  used: set[int], rules: Sequence[Rect]) -> list[TLine]:
    """The header lines of a table whose body starts at ``top``: of the lines without values
    right above it (``lead``), then of the lines above those, the ones that stay inside the
    table's width and read neither like prose nor like a caption or a units note."""
    first = lead[0] if lead else top
    above = list(reversed(lead)) + list(reversed(lines[:lines.index(first)]))
    width = x1 - x0
    out: list[TLine] = []
    edge = top.y0
    stop: TLine | None = None
    for ln in above:
        if ln.kind == "rule":
            continue
        gap = edge - ln.y1
        limit = 2.0 * ln.size + (2.0 if out else 4.0)
        if gap > limit and any(ln.y1 <= r[1] <= edge and r[2] - r[0] >= 0.8 * width
                               for r in rules):
            limit = 3.5 * ln.size  # white space under a rule that closes the header
        if gap > limit:
            break
        texts = [ln.seg_text(s) for s in ln.segs]
        if ln.kind == "text" or _CAPTION.match(texts[0]) or _HEADNOTE.match(" ".join(texts)) \
                or legend_line(" ".join(texts)) \
                or id(ln) in used or len(out) >= 8 or ln.x0 < x0 - 0.1 * width - ln.size \
                or ln.x1 > x1 + 0.1 * width + ln.size:
            stop = ln
            break
        out.insert(0, ln)
        edge = ln.y0
    # the last lines of a caption paragraph: tight under it, same size, inside its width
    while out and stop is not None and stop.kind in ("text", "label"):
        first = out[0]
        if (first.y0 - stop.y1 <= 0.45 * first.size and abs(first.size - stop.size) < 0.3
                and len(first.segs) == 1 and first.x0 >= stop.x0 - 2):
            stop = out.pop(0)
        else:
            break
    return out


def _prose_columns(rows: list[TLine], xs: list[float]) -> tuple[int, float]:
    """How many columns hold running text (many words, few values, and many of them in lower
    case: a list of names in capitals is not prose), and the body's share of value cells."""
    words: dict[int, list[int]] = {}
    lower: dict[int, int] = {}
    vals: dict[int, int] = {}
    total = values = 0
    for ln in rows:
        per: dict[int, list[str]] = {}
        for w in ln.words:
            c = min(max(bisect.bisect_right(xs, (w.x0 + w.x1) / 2) - 1, 0), len(xs) - 2)
            per.setdefault(c, []).append(w.text)
        for c, ws in per.items():
            words.setdefault(c, []).append(len(ws))
            lower[c] = lower.get(c, 0) + sum(1 for t in ws if t[:1].islower())
            v = is_value_text(" ".join(ws)) or all(is_value_text(t) for t in ws)
            vals[c] = vals.get(c, 0) + int(v)
            total += 1
            values += int(v)
    prose = sum(1 for c, ns in words.items()
                if sum(ns) / len(ns) >= 3.5 and vals.get(c, 0) < 0.25 * len(ns)
                and lower.get(c, 0) >= 0.4 * sum(ns))
    return prose, values / max(total, 1)


def _split_by_frames(body: Body, frames: Sequence[Rect]) -> list[Body]:
    """A body whose lines sit in different framed boxes is several tables."""
    def inside(ln: TLine, f: Rect) -> bool:
        return f[0] - 1 <= ln.x0 and ln.x1 <= f[2] + 1 and f[1] - 1 <= ln.y0 and ln.y1 <= f[3] + 1

    used = [f for f in frames if sum(1 for ln in body.lines if inside(ln, f)) >= 3]
    if not used:
        return [body]

    def frame_of(ln: TLine) -> int:
        inner = [i for i, f in enumerate(used) if inside(ln, f)]
        if not inner:
            return -1
        return min(inner, key=lambda i: (used[i][2] - used[i][0]) * (used[i][3] - used[i][1]))

    out: list[Body] = []
    last = None
    for ln in body.lines:
        k = frame_of(ln)
        if out and k == last:
            out[-1].lines.append(ln)
        else:
            out.append(Body([ln]))
        last = k
    return out


def find_candidates(page: PageText, exclude: Sequence[Rect] = (),
                    rules: Sequence[Rect] = (), frames: Sequence[Rect] = ()) -> list[Candidate]:
    """Tables of the page found from its text (see the module docstring), best first; on a
    page set in two text columns, each column is searched on its own."""
    lines = page_lines(page, exclude)
    classify(lines)
    out = []
    for side in sorted({ln.side for ln in lines}):
        out.extend(_find_in([ln for ln in lines if ln.side == side], rules, frames))
    return out


def _find_in(lines: list[TLine], rules: Sequence[Rect], frames: Sequence[Rect]
             ) -> list[Candidate]:
    text_rules = [(ln.x0, (ln.y0 + ln.y1) / 2, ln.x1, (ln.y0 + ln.y1) / 2)
                  for ln in lines if ln.kind == "rule"]
    out = []
    used: set[int] = set()  # lines of tables already found
    queue = [b for whole in _bodies(lines) for b in _split_by_frames(whole, frames)]
    while queue:
        found = queue.pop(0)
        if not any(ln.values for ln in found.lines):
            # no values at all: not a table on its own (a list, a form), but maybe the
            # column labels of a ruled table drawn under it (see attach_labels)
            if any(len(ln.segs) >= 3 for ln in found.lines):
                box = (found.x0, found.y0, found.x1, found.y1)
                out.append(Candidate(found, [], [found.x0, found.x1], box, 0.0,
                                     labels_only=True))
            continue
        lead, body = _split_head(found)
        rows = body.rows
        if len(rows) < 3:
            continue
        header = _header_lines(body.lines[0], lead, body.x0, body.x1, lines, used,
                               list(rules) + text_rules)
        # the same header again further down: a second table under the first
        heads = {_norm(ln) for ln in header if any(ch.isalpha() for ch in _norm(ln))}
        again = next((j for j, ln in enumerate(body.lines) if j >= 3 and _norm(ln) in heads), None)
        if again is not None:
            queue.insert(0, Body(body.lines[again:]))
            body = Body(body.lines[:again])
            rows = body.rows
            if len(rows) < 3:
                continue
        xs_in = gutters(rows, body.x0, body.x1)
        if not xs_in:
            continue
        xs = [body.x0 - 0.5] + xs_in + [body.x1 + 0.5]
        xs = sorted(xs + narrow_gutters(body.lines, header, xs))
        multi = sum(1 for ln in rows if len(_line_cols(ln, xs)) >= 2)
        if multi < max(3, 0.6 * len(rows)):
            continue
        prose, share = _prose_columns(rows, xs)
        if prose >= 2 or (prose == 1 and share < 0.3):
            continue  # columns of running text side by side
        all_lines = header + body.lines
        x0 = min(ln.x0 for ln in all_lines)
        x1 = max(ln.x1 for ln in all_lines)
        y0 = min(ln.y0 for ln in all_lines)
        y1 = max(ln.y1 for ln in all_lines)
        over = [r for r in list(rules) + text_rules
                if r[0] < x1 and r[2] > x0 and y0 - 6 <= r[1] <= y1 + 6]
        header, body = _separate(header, body, over, x1 - x0)
        kept = _under_top_rule(header, over, x1 - x0)
        if len(kept) < len(header):
            header = kept
            y0 = min(ln.y0 for ln in header + body.lines)
        if len(body.rows) < 5 and not header:
            continue  # a few aligned lines without column labels: a calculation, a list
        if _contents(body.rows, xs) or sum(1 for ln in body.rows if ln.values) < 2 \
                or _boxes_only(body.rows):
            continue
        used.update(id(ln) for ln in all_lines)
        out.append(Candidate(body, header, xs, (x0, y0, x1, y1), share, over))
    return out


def _boxes_only(rows: list[TLine]) -> bool:
    """A form's grid of tick boxes: every value of the rows is one same symbol (``*``, ``□``),
    so the grid says nothing a table would."""
    marks = {ln.seg_text(s) for ln in rows for s in ln.segs if is_value_text(ln.seg_text(s))}
    return len(marks) == 1 and not any(ch.isalnum() for ch in next(iter(marks)))


_ROMAN = re.compile(r"^[ivxlc]+$", re.IGNORECASE)
_PAGE_REF = re.compile(r"^(?:[A-Z]-?)?(\d{1,4})(?:[-–.](\d{1,3}))?$")


def _contents(rows: list[TLine], xs: list[float]) -> bool:
    """A table of contents: leader dots in most lines and page numbers in the last column
    (``12``, ``2-15``, ``A-3``, ``iv``), mostly in order."""
    if sum(1 for ln in rows if ln.leaders) < 0.5 * len(rows):
        return False
    pages: list[tuple[int, int]] = []
    for ln in rows:
        last = ln.words[-1].text
        if _ROMAN.match(last):
            continue
        m = _PAGE_REF.match(last)
        if not m:
            return False
        pages.append((int(m.group(1)), int(m.group(2) or 0)))
    ordered = sum(1 for a, b in pairwise(pages) if a <= b)
    return ordered >= 0.8 * (len(pages) - 1)  # (appendices and the index start again)


def _norm(ln: TLine) -> str:
    return " ".join(w.text for w in ln.words).casefold()


def _under_top_rule(header: list[TLine], rules: list[Rect], width: float) -> list[TLine]:
    """``header`` without the lines above a rule across the whole table when those lines are
    no row of labels (one or two pieces: a date, a unit note like ``(In crores of Rupees)``):
    the rule opens the table, what stands over it is the caption's."""
    for i in range(len(header) - 1, 0, -1):
        a, b = header[i - 1], header[i]
        if any(a.y1 - 1 <= r[1] <= b.y0 + 1 and r[2] - r[0] >= 0.9 * width for r in rules):
            if all(len(ln.segs) <= 2 for ln in header[:i]):
                return header[i:]
            break
    return header


def _separate(header: list[TLine], body: Body, rules: list[Rect],
              width: float) -> tuple[list[TLine], Body]:
    """A rule across the table under the first body lines separates the header from the
    body: the lines above it are header lines (``$10,000  14,999`` under ``Less than``)."""
    lines = body.lines
    for i in range(min(4, len(lines) - 3)):
        a, b = lines[i], lines[i + 1]
        if any(a.y1 - 1 <= r[1] <= b.y0 + 1 and r[2] - r[0] >= 0.8 * width for r in rules):
            rest = Body(lines[i + 1:])
            if len(rest.rows) >= 2:
                return header + lines[: i + 1], rest
            break
    return header, body


def find(ctx: PageContext, exclude: Sequence[Rect] = ()) -> list[RawTable]:
    """The tables of one page that the text alignment shows, outside ``exclude``.

    Aligned text without values in its rows comes back with ``method="labels"``: on its own
    it is not taken for a table (it may be a list or a form), but it can be the column labels
    of a ruled table drawn under it (:func:`attach_labels`)."""
    frames = [b for kind, b, _ in ctx.shapes()
              if kind == "rect" and b[2] - b[0] >= 50 and b[3] - b[1] >= 20]
    out = []
    for cand in find_candidates(ctx.text, exclude, ctx.rules(), frames):
        if chart_like(ctx, cand.bbox):
            continue
        if cand.labels_only:
            out.append(RawTable(ctx.number, cand.bbox, [cand.bbox], None, "labels", 0.0))
            continue
        cells = to_cells(cand)
        if cells:
            box = (min([cand.bbox[0]] + [c[0] for c in cells]), cand.bbox[1],
                   max([cand.bbox[2]] + [c[2] for c in cells]), cand.bbox[3])
            out.append(RawTable(ctx.number, box, cells, None, "text",
                                round(min(0.85, 0.6 + 0.3 * min(cand.score, 1.0)), 3)))
    return out


def attach_labels(labels: RawTable, tables: list[RawTable], lines: Sequence[TLine] = ()
                  ) -> tuple[RawTable, RawTable] | None:
    """The ruled table right under a block of column labels, and that table with the labels
    as its first row (split at the ruled table's columns); None if there is no such table.

    A line of ``lines`` (the page's text) standing apart between the block and the table,
    such as the table's title, says the block is the text before the table, not its labels
    (a label's second line is set solid with the block)."""
    x0, _, x1, y1 = labels.bbox
    best = None
    for t in tables:
        if t.method != "lines":
            continue
        gap = t.bbox[1] - y1
        overlap = min(x1, t.bbox[2]) - max(x0, t.bbox[0])
        between = any(ln.kind != "rule" and ln.y0 - y1 > 0.5 * ln.size
                      and ln.y1 < t.bbox[1] + 1 and ln.x0 < min(x1, t.bbox[2])
                      and ln.x1 > max(x0, t.bbox[0]) for ln in lines)
        if -2 <= gap <= 30 and overlap >= 0.8 * min(x1 - x0, t.bbox[2] - t.bbox[0]) \
                and not between and (best is None or gap < best[0]):
            best = (gap, t)
    if best is None:
        return None
    t = best[1]
    top = min(c[1] for c in t.cells)
    edges = sorted({round(v, 1) for c in t.cells if abs(c[1] - top) < 1.0 for v in (c[0], c[2])})
    head = [(a, labels.bbox[1] - 1.0, b, top) for a, b in pairwise(edges) if b - a > 1]
    bbox = (min(t.bbox[0], x0), labels.bbox[1] - 1.0, max(t.bbox[2], x1), t.bbox[3])
    return t, RawTable(t.page, bbox, head + list(t.cells), t.header_guess, t.method, t.score)


def labels_above(ctx: PageContext, table: RawTable, exclude: Sequence[Rect]) -> RawTable | None:
    """``table`` (ruled) with the column labels printed right above its frame as its first
    row; None when there are none.

    A results sheet may draw its frame round the body only, the column labels standing over it
    unruled. Such labels are the run of lines right above the frame (each at most a line's
    height over the next) holding no value, the lowest one split in three or more segments,
    all within the table's width; ``exclude`` (the other tables found) keeps theirs out."""
    x0, top, x1, _ = table.bbox
    width = x1 - x0
    lines = page_lines(ctx.text, exclude)
    classify(lines)
    above = sorted((ln for ln in lines if ln.kind != "rule" and ln.y1 <= top + 1.0
                    and ln.x1 > x0 and ln.x0 < x1), key=lambda ln: -ln.y1)
    run: list[TLine] = []
    edge = top
    for ln in above:
        if edge - ln.y1 > ln.size or ln.values or ln.kind == "text" \
                or ln.x0 < x0 - 0.05 * width or ln.x1 > x1 + 0.05 * width:
            break
        run.append(ln)
        edge = ln.y0
    if not run or len(run[0].segs) < 3:
        return None
    box = (min(ln.x0 for ln in run), run[-1].y0, max(ln.x1 for ln in run), run[0].y1)
    pair = attach_labels(RawTable(ctx.number, box, [box], None, "labels", 0.0), [table])
    return pair[1] if pair is not None else None
