"""Text blocks of a document: kinds, reading order, section paths and character offsets.

Blocks are built from the visual lines outside the tables (:mod:`abstab.extract.text`),
starting from PyMuPDF's blocks and splitting them where the style changes, where a list item or
a footnote starts and where running text sits in the page margins. Kinds:

- ``running_header`` / ``running_footer``: margin text repeated on most pages (on a one-page
  document: small margin text), never mixed into paragraphs;
- ``page_number``: ``12``, ``Page 3 of 10``, ``(xx)``, ``- 4 -`` in a margin;
- ``caption``: starts with ``Table N`` / ``Figure N`` / ``Fig. N`` (also ``Exhibit``, ``Chart``);
- ``heading``: short, and larger than the body text or bold when the body is not;
- ``list``: starts with a bullet or an item number;
- ``footnote``: small text low on the page, or a note under a table (set by the table step);
- ``paragraph``: everything else.

Reading order is page by page; within a page, blocks that cross a column gutter separate
bands, and inside a band columns are read left to right, each top to bottom.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from abstab.extract.engines import Rect
from abstab.extract.text import Line, PageText, group_lines, join_lines, make_line

CAPTION_RE = re.compile(
    r"^(table|tab\.|figure|fig\.|exhibit|chart|graph|map|plate|box)\s*"
    r"([A-Z]?[\dIVXLC]+(?:[.\-–]\d+)*[a-z]?)(?=\s*$|\s*[.:\-–—|]|\s+(?-i:[^a-z\s]))",
    re.IGNORECASE,
)
"""``Table 3: …``, ``FIGURE 2. …``, ``Table A1 Results``, not ``Table 1 compares …``."""
TABLE_CAPTION_RE = re.compile(
    r"^(table|tab\.)\s*[A-Z]?[\dIVXLC]+(?:[.\-–]\d+)*[a-z]?(?=\s*$|\s*[.:\-–—|]|\s+(?-i:[^a-z\s]))",
    re.IGNORECASE)
FIGURE_CAPTION_RE = re.compile(
    r"^(figure|fig\.|chart|graph|map|plate)\s*[A-Z]?[\dIVXLC]+(?:[.\-–]\d+)*[a-z]?"
    r"(?=\s*$|\s*[.:\-–—|]|\s+(?-i:[^a-z\s]))", re.IGNORECASE)
BULLET_RE = re.compile(
    r"^([•●○◦▪▫■□‣⁃∙·➢➤►✓✔❖◆◇]\s*|[-–—]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+|"
    r"\([ivx]{1,4}\)\s+|[ivx]{1,4}[.)]\s+)"
)
PAGE_NUMBER_RE = re.compile(
    r"^(page|p\.|pg\.?|seite|pagina)?\s*[-–(\[]?\s*(\d{1,4}|[ivxlcdm]{1,7})\s*[-–)\]]?"
    r"\s*((of|/|de|von)\s*\d{1,4})?$",
    re.IGNORECASE,
)
MARKER_START_RE = re.compile(r"^(\*{1,4}|[†‡§¶]{1,3}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|[ᵃ-ᶻ])\s*\S")


@dataclass
class BlockDraft:
    """A block before it becomes a :class:`abstab.records.Block`."""

    page: int
    lines: list[Line]
    running: str | None = None  # running_header | running_footer | page_number
    kind: str | None = None
    order: int = 0
    section: list[str] = field(default_factory=list)
    block_id: str = ""
    char_start: int = 0
    char_end: int = 0
    level: int | None = None  # heading level (0 = top)

    @property
    def text(self) -> str:
        return join_lines([ln.text for ln in self.lines])

    @property
    def bbox(self) -> Rect:
        return (min(ln.x0 for ln in self.lines), min(ln.y0 for ln in self.lines),
                max(ln.x1 for ln in self.lines), max(ln.y1 for ln in self.lines))

    @property
    def size(self) -> float:
        sizes: Counter[float] = Counter()
        for ln in self.lines:
            sizes[round(ln.size, 1)] += len(ln.text)
        return sizes.most_common(1)[0][0]

    @property
    def bold(self) -> float:
        total = sum(len(ln.text) for ln in self.lines) or 1
        return sum(ln.bold * len(ln.text) for ln in self.lines) / total

    @property
    def words(self) -> int:
        return sum(len(ln.text.split()) for ln in self.lines)


@dataclass
class PageLayout:
    number: int
    width: float
    height: float
    lines: list[Line]  # every line outside the tables, top to bottom
    blocks: list[BlockDraft]  # in reading order


@dataclass
class Layout:
    pages: dict[int, PageLayout]
    blocks: list[BlockDraft]  # the whole document in reading order
    body_size: float

    def page_blocks(self, page: int) -> list[BlockDraft]:
        p = self.pages.get(page)
        return p.blocks if p else []


def _inside(x: float, y: float, boxes: Sequence[Rect], pad: float = 1.0) -> bool:
    return any(b[0] - pad <= x <= b[2] + pad and b[1] - pad <= y <= b[3] + pad for b in boxes)


def page_lines(text: PageText, tables: Sequence[Rect]) -> list[Line]:
    """Visual lines of a page outside the table boxes, grouped within PyMuPDF blocks."""
    by_block: dict[int, list] = {}
    for f in text.fragments:
        keep = f.chars
        if tables:
            x0, y0, x1, y1 = f.bbox
            touching = [t for t in tables
                        if x0 <= t[2] + 1 and x1 >= t[0] - 1 and y0 <= t[3] + 1 and y1 >= t[1] - 1]
            if touching:
                keep = [c for c in f.chars if not _inside(c.cx, c.cy, touching)]
        if keep:
            by_block.setdefault(f.block, []).extend(keep)
    vertical = text.vertical
    lines: list[Line] = []
    for bno, chars in by_block.items():
        for group in group_lines(chars, vertical):
            line = make_line(group)
            if line is not None:
                line.block = bno
                lines.append(line)
    return lines


def _norm(text: str) -> str | None:
    t = re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))
    t = re.sub(r"^(page )?#\s*[|·•\-–]?\s*|\s*[|·•\-–]?\s*#$", "", t)  # page numbers move
    # numbers vary from page to page, so the words must carry the repetition
    return t if sum(ch.isalpha() for ch in t) >= 4 else None


def _isolated(ln: Line, where: str, page: PageLayout, zone: dict[int, str],
              tables: Sequence[Rect]) -> bool:
    """Whether a margin line stands apart from the page content (2 line heights or more)."""
    tops = [o.y0 for o in page.lines if id(o) not in zone] + [t[1] for t in tables]
    bottoms = [o.y1 for o in page.lines if id(o) not in zone] + [t[3] for t in tables]
    if where == "top":
        nxt = min((y for y in tops if y >= ln.y1 - 1), default=page.height)
        return nxt - ln.y1 >= 2 * ln.size
    prev = max((y for y in bottoms if y <= ln.y0 + 1), default=0.0)
    return ln.y0 - prev >= 2 * ln.size


def mark_running(pages: Sequence[PageLayout], margin: float, share: float,
                 body_size: float, tables: dict[int, list[Rect]] | None = None
                 ) -> dict[int, str]:
    """Which lines (by id) are running headers, running footers or page numbers.

    On a one-page document nothing repeats: small, non-bold margin text standing apart from
    the content counts as running text.
    """
    tables = tables or {}
    zone: dict[int, str] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for p in pages:
        seen: set[tuple[str, str]] = set()
        # only the outermost lines of a page can be running text (not a listing's last rows)
        rows = sorted({round(ln.y0) for ln in p.lines})
        outer = set(rows[:3]) | set(rows[-3:])
        for ln in p.lines:
            where = ("top" if ln.y0 < margin * p.height
                     else "bottom" if ln.y1 > (1 - margin) * p.height else None)
            if where is None or round(ln.y0) not in outer:
                continue
            zone[id(ln)] = where
            key = _norm(ln.text)
            if key is not None:
                seen.add((where, key))
        counts.update(seen)
    n = len(pages)
    need = max(2, share * n)
    out: dict[int, str] = {}
    for p in pages:
        for ln in p.lines:
            where = zone.get(id(ln))
            if where is None:
                continue
            if PAGE_NUMBER_RE.match(ln.text.strip()):
                out[id(ln)] = "page_number"
            elif (n >= 2 and counts[(where, _norm(ln.text) or "")] >= need) or (
                n == 1 and ln.size < 0.92 * body_size and ln.bold < 0.5
                and _isolated(ln, where, p, zone, tables.get(p.number, []))
            ):
                out[id(ln)] = "running_header" if where == "top" else "running_footer"
        # a margin line level with a line of running text is a piece of the same page header
        # or footer (a print date beside a title's second line: "3/19/2014"); only lines set
        # across count (a tall rotated stamp is level with everything)
        running = [ln for ln in p.lines if out.get(id(ln), "").startswith("running_")
                   and ln.y1 - ln.y0 <= 2 * ln.size]
        for ln in p.lines:
            mid = (ln.y0 + ln.y1) / 2
            level = next((r for r in running if r.y0 <= mid <= r.y1), None)
            if level is not None and id(ln) in zone and id(ln) not in out:
                out[id(ln)] = out[id(level)]
    return out


def _split_blocks(page: int, lines: list[Line], running: dict[int, str]) -> list[BlockDraft]:
    by_block: dict[int, list[Line]] = {}
    for ln in lines:
        by_block.setdefault(ln.block, []).append(ln)
    out: list[BlockDraft] = []
    for bno in sorted(by_block, key=lambda b: min(ln.y0 for ln in by_block[b])):
        cur: list[Line] = []
        for ln in sorted(by_block[bno], key=lambda ln: (ln.y0, ln.x0)):
            run = running.get(id(ln))
            if run:
                if cur:
                    out.append(BlockDraft(page, cur))
                    cur = []
                out.append(BlockDraft(page, [ln], running=run))
                continue
            if cur and _starts_new(cur[-1], ln):
                out.append(BlockDraft(page, cur))
                cur = []
            cur.append(ln)
        if cur:
            out.append(BlockDraft(page, cur))
    return out


def _starts_new(prev: Line, ln: Line) -> bool:
    if abs(ln.size - prev.size) > max(0.6, 0.08 * prev.size):
        return True
    if (ln.bold >= 0.7) != (prev.bold >= 0.7):
        return True
    if ln.y0 - prev.y1 > 1.0 * max(ln.size, prev.size):
        return True
    if ln.y0 < prev.y1 - 0.5 * ln.size and ln.x0 > prev.x1:
        return True  # side by side (a label beside its text)
    t = ln.text
    if BULLET_RE.match(t) or ln.marker_sup or MARKER_START_RE.match(t) or CAPTION_RE.match(t):
        return not prev.text.endswith("-")
    return False


def _reading_order(blocks: list[BlockDraft]) -> list[BlockDraft]:
    head = sorted((b for b in blocks if b.running == "running_header"),
                  key=lambda b: (b.bbox[1], b.bbox[0]))
    foot = sorted((b for b in blocks if b.running in ("running_footer", "page_number")),
                  key=lambda b: (b.bbox[1], b.bbox[0]))
    body = [b for b in blocks if b.running is None]
    if len(body) < 3:
        return head + sorted(body, key=lambda b: (b.bbox[1], b.bbox[0])) + foot
    xs0 = min(b.bbox[0] for b in body)
    xs1 = max(b.bbox[2] for b in body)
    width = max(xs1 - xs0, 1.0)
    narrow = [b for b in body if b.bbox[2] - b.bbox[0] < 0.55 * width]
    intervals = sorted((b.bbox[0], b.bbox[2]) for b in narrow)
    merged: list[list[float]] = []
    for a, z in intervals:
        if merged and a <= merged[-1][1] + 6:
            merged[-1][1] = max(merged[-1][1], z)
        else:
            merged.append([a, z])
    gutters = []
    for left, right in pairwise(merged):
        g = (left[1] + right[0]) / 2
        left_side = [b for b in narrow if b.bbox[2] <= g]
        right_side = [b for b in narrow if b.bbox[0] >= g]
        if (len(left_side) >= 2 and len(right_side) >= 2
                and sum(b.words for b in left_side) >= 40
                and sum(b.words for b in right_side) >= 40):
            gutters.append(g)
    if not gutters:
        return head + sorted(body, key=lambda b: (round(b.bbox[1], 1), b.bbox[0])) + foot

    def crosses(b: BlockDraft) -> bool:
        return any(b.bbox[0] < g - 1 and b.bbox[2] > g + 1 for g in gutters)

    def column(b: BlockDraft) -> int:
        cx = (b.bbox[0] + b.bbox[2]) / 2
        return sum(1 for g in gutters if cx > g)

    out: list[BlockDraft] = []
    band: list[BlockDraft] = []
    for b in sorted(body, key=lambda b: (b.bbox[1], b.bbox[0])):
        if crosses(b):
            out.extend(sorted(band, key=lambda x: (column(x), x.bbox[1])))
            band = []
            out.append(b)
        else:
            band.append(b)
    out.extend(sorted(band, key=lambda x: (column(x), x.bbox[1])))
    return head + out + foot


def build(texts: Sequence[PageText], tables: dict[int, list[Rect]], margin: float,
          share: float) -> Layout:
    """Lines and blocks of every page, running text marked, in reading order (no kinds yet)."""
    pages: list[PageLayout] = []
    for t in texts:
        pages.append(PageLayout(t.number, t.width, t.height,
                                sorted(page_lines(t, tables.get(t.number, [])),
                                       key=lambda ln: (ln.y0, ln.x0)), []))
    sizes: Counter[float] = Counter()
    for p in pages:
        for ln in p.lines:
            sizes[round(ln.size, 1)] += len(ln.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 10.0
    running = mark_running(pages, margin, share, body_size, tables)
    blocks: list[BlockDraft] = []
    for p in pages:
        p.blocks = _reading_order(_split_blocks(p.number, p.lines, running))
        blocks.extend(p.blocks)
    for i, b in enumerate(blocks):
        for ln in b.lines:
            ln.block = i
    return Layout({p.number: p for p in pages}, blocks, body_size)


# ------------------------------------------------------------------------------ kinds


def classify(layout: Layout) -> None:
    """Set every block's kind (blocks already marked, e.g. table notes, keep theirs)."""
    body = layout.body_size
    body_bold = _body_bold(layout)
    for b in layout.blocks:
        if b.running:
            b.kind = b.running
            continue
        if b.kind:
            continue
        text = b.text
        page = layout.pages[b.page]
        size, bold, words = b.size, b.bold, b.words
        if CAPTION_RE.match(text) and words <= 80:
            b.kind = "caption"
        elif (words <= 25 and len(b.lines) <= 3 and re.search(r"[A-Za-z]", text)
              and not text.rstrip().endswith((".", ",", ";"))
              and (size >= body * 1.12 or (bold >= 0.8 and size >= body * 0.95
                                           and not body_bold))):
            b.kind = "heading"
        elif BULLET_RE.match(text):
            b.kind = "list"
        elif (size <= body * 0.88 and b.bbox[1] >= 0.6 * page.height) or (
            (b.lines[0].marker_sup or MARKER_START_RE.match(text))
            and size <= body * 0.95 and b.bbox[1] >= 0.5 * page.height
        ):
            b.kind = "footnote"
        else:
            b.kind = "paragraph"
    _levels(layout)


def _body_bold(layout: Layout) -> bool:
    total = bold = 0.0
    for b in layout.blocks:
        if b.running:
            continue
        n = sum(len(ln.text) for ln in b.lines)
        if abs(b.size - layout.body_size) < 0.2:
            total += n
            bold += b.bold * n
    return total > 0 and bold / total > 0.5


def _levels(layout: Layout) -> None:
    heads = [b for b in layout.blocks if b.kind == "heading"]
    sizes = sorted({round(b.size * 2) / 2 for b in heads if b.size > layout.body_size * 1.05},
                   reverse=True)
    for b in heads:
        s = round(b.size * 2) / 2
        b.level = sizes.index(s) if s in sizes else len(sizes)


def finalize(layout: Layout, doc_id: str) -> str:
    """Number the blocks, set section paths and offsets; returns the document text."""
    stack: list[tuple[int, str]] = []
    parts: list[str] = []
    pos = 0
    for i, b in enumerate(layout.blocks):
        b.order = i
        b.block_id = f"{doc_id}:b{i}"
        if b.kind == "heading":
            level = b.level if b.level is not None else 99
            while stack and stack[-1][0] >= level:
                stack.pop()
            b.section = [t for _, t in stack]
            stack.append((level, b.text))
        else:
            b.section = [t for _, t in stack]
        text = b.text
        if parts:
            pos += 2
        b.char_start = pos
        b.char_end = pos + len(text)
        pos = b.char_end
        parts.append(text)
    return "\n\n".join(parts)


def title(layout: Layout, metadata_title: str | None) -> str | None:
    """The document title: the largest heading of page 1, else a usable metadata title."""
    first = [b for b in layout.blocks if b.page == min(layout.pages, default=1)
             and b.kind == "heading"]
    if first:
        best = max(first, key=lambda b: (b.size, -b.order))
        return best.text
    t = (metadata_title or "").strip()
    if t and not re.match(r"^(microsoft (word|powerpoint|excel)|untitled|document\d*)", t, re.IGNORECASE) \
            and not t.lower().endswith((".pdf", ".doc", ".docx")):
        return t
    return None
