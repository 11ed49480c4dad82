"""Whether an extracted table kept every word of its region whole: a debugging check.

A table's cells must hold every word printed inside the table's box exactly once, and never a
word cut in two (``1040NR,`` read as ``1`` in one cell and ``040NR,`` in the next). This
module compares the words PyMuPDF reads on the page (``page.get_text("words")``, independent of
abstab's own character reading) with the text of the table's cells, and names each word that is

- ``cut``: no cell holds it whole, but one cell holds its start and another its end;
- ``lost``: no cell (nor the table's caption or notes) holds it, cut or whole;
- ``duplicated``: the cells hold it more often than the region prints it.

Words are compared after Unicode NFKC (a superscript marker ``²`` is ``2``) without spaces, so
that line breaks, spacing and the joining of a hyphenated word (``separa-`` + ``tely``) do not
count as damage. Leader dots and rules typed as text are not words of any cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abstab.records import Table

ISSUE_KINDS = ("cut", "lost", "duplicated")
_LEADERS = re.compile(r"[.·…]{4,}|[-_=─━‒–—]{4,}")
_DOTS = re.compile(r"[.·…]{2,}")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class WordIssue:
    """One word of a table region that its cells do not hold exactly once."""

    kind: str  # one of ISSUE_KINDS
    word: str
    page: int
    bbox: tuple[float, float, float, float]
    cells: tuple[str, ...]  # the text of the cells the word's box touches


@dataclass
class TableAudit:
    """The words of one table's region and those its cells damage."""

    table_id: str
    words: int = 0
    issues: list[WordIssue] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for i in self.issues if i.kind == kind)


def norm(text: str) -> str:
    """Comparison form: NFKC, no leader dots or typed rules, no whitespace."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return _SPACE.sub("", _LEADERS.sub("", text))


def _word_key(text: str) -> str:
    """A PDF word as a cell may hold it: a line-end hyphen may be gone (``separa-``)."""
    key = norm(text)
    return key[:-1] if len(key) > 2 and key.endswith("-") and key[-2].isalpha() else key


def _touches(a: Sequence[float], b: Sequence[float], tol: float = 0.5) -> bool:
    return a[0] < b[2] + tol and b[0] < a[2] + tol and a[1] < b[3] + tol and b[1] < a[3] + tol


def _tokens(text: str) -> list[str]:
    return [t for t in (_LEADERS.sub("", tok) for tok in
                        unicodedata.normalize("NFKC", text).split()) if t]


def audit_page(table: Table, page: int, words: Iterable[Sequence[Any]]) -> TableAudit:
    """Check the cells of ``table`` on ``page`` against that page's words.

    Args:
        table: an extracted table record.
        page: 1-based page number (a table continued over pages is checked page by page).
        words: PyMuPDF ``get_text("words")`` tuples of that page, in displayed coordinates.
    """
    out = TableAudit(table.table_id)
    first = table.pages[0]
    cells = [c for c in table.cells if c.bbox is not None and (c.page or first) == page]
    if not cells:
        return out
    boxes = [tuple(c.bbox) for c in cells]  # type: ignore[arg-type]
    region = (min(b[0] for b in boxes), min(b[1] for b in boxes),
              max(b[2] for b in boxes), max(b[3] for b in boxes))
    texts = [norm(c.text) for c in cells]
    extra = [norm(t) for t in [table.caption or ""] + [n.text for n in table.notes]]
    left = [Counter(_tokens(c.text)) for c in cells]  # tokens no printed word has claimed yet
    claimed: list[tuple[str, tuple[float, ...], int]] = []
    drawn: set[tuple[str, int, int]] = set()
    for w in words:
        x0, y0, x1, y1, raw = float(w[0]), float(w[1]), float(w[2]), float(w[3]), str(w[4])
        if not (region[0] <= (x0 + x1) / 2 <= region[2]
                and region[1] <= (y0 + y1) / 2 <= region[3]):
            continue
        if (raw, round(x0), round(y1)) in drawn:
            continue  # a word printed twice over itself
        drawn.add((raw, round(x0), round(y1)))
        # leader dots join an index entry and its page into one word: ``Audio.....4-14``
        for part in _LEADERS.split(raw):
            _check(part, (x0, y0, x1, y1), page, boxes, cells, texts, extra, left, claimed, out)
    # a word held by its own cell and again by a neighbour its box touches
    for tok, box, owner in claimed:
        for i, b in enumerate(boxes):
            if i != owner and left[i][tok] > 0 and _touches(b, box):
                left[i][tok] -= 1
                out.issues.append(WordIssue("duplicated", tok, page,
                                            tuple(round(v, 1) for v in box),  # type: ignore[arg-type]
                                            (cells[owner].text, cells[i].text)))
    return out


def _check(raw: str, box: tuple[float, float, float, float], page: int,
           boxes: list[tuple[float, ...]], cells: list[Any], texts: list[str], extra: list[str],
           left: list[Counter[str]], claimed: list[tuple[str, tuple[float, ...], int]],
           out: TableAudit) -> None:
    """Find one printed word in the cells its box touches (see :func:`audit_page`)."""
    key = _word_key(raw)
    if not key:
        return  # leader dots, a rule typed as text
    out.words += 1
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    near = sorted((i for i, b in enumerate(boxes) if _touches(b, box)),
                  key=lambda i: not (boxes[i][0] <= cx <= boxes[i][2]
                                     and boxes[i][1] <= cy <= boxes[i][3]))
    tok = next(iter(_tokens(raw)), "")
    owner = next((i for i in near if left[i][tok] > 0), None)
    if owner is not None:
        left[owner][tok] -= 1
        claimed.append((tok, box, owner))
    # a leader dot glued to the word (``Vandalism. . . .``) is not part of any cell
    keys = {key, key.rstrip(".·…")} - {""}
    if any(k in texts[i] for k in keys for i in near) or any(k in t for k in keys for t in extra):
        return
    if _DOTS.fullmatch(key):
        return  # a short leader after a label (``verification ..``), held by no cell
    # a cell whose box sits a line off its text (a row cut between two of its lines) holds it
    h = box[3] - box[1]
    if any(k in texts[i] for k in keys for i, b in enumerate(boxes)
           if _touches(b, (box[0], box[1] - h, box[2], box[3] + h))):
        return
    cut = any(key[:k] in texts[a] and key[k:] in texts[b]
              for k in range(1, len(key)) for a in near for b in near if a != b)
    out.issues.append(WordIssue("cut" if cut else "lost", raw, page,
                                tuple(round(v, 1) for v in box),  # type: ignore[arg-type]
                                tuple(cells[i].text for i in near)))


def page_words(page: Any) -> list[tuple[float, float, float, float, str]]:
    """PyMuPDF's words of a page in displayed coordinates (as the tables' boxes are)."""
    rot = page.rotation_matrix if page.rotation else None
    out = []
    for w in page.get_text("words"):
        x0, y0, x1, y1 = w[:4]
        if rot is not None:
            import pymupdf

            r = pymupdf.Rect(x0, y0, x1, y1) * rot
            x0, y0, x1, y1 = r.x0, r.y0, r.x1, r.y1
        out.append((x0, y0, x1, y1, w[4]))
    return out


def audit_pdf(path: Path, tables: Iterable[Table]) -> list[TableAudit]:
    """Audit every table extracted from the PDF at ``path`` (one result per table)."""
    import pymupdf

    results = []
    with pymupdf.open(path) as doc:
        cache: dict[int, list[tuple[float, float, float, float, str]]] = {}
        for t in tables:
            total = TableAudit(t.table_id)
            for p in t.pages:
                if p not in cache:
                    cache[p] = page_words(doc[p - 1])
                part = audit_page(t, p, cache[p])
                total.words += part.words
                total.issues.extend(part.issues)
            results.append(total)
    return results
