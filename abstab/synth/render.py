"""Lay out a planned synthetic document as a PDF and make its Document and Table records.

PyMuPDF's Story API (HTML + CSS) flows the text blocks and the table over as many pages as
needed; every block and cell carries an HTML id, so the records get the page and bounding box
each one was drawn at. The PDF bytes are deterministic (fixed metadata, fixed trailer ``/ID``),
so a rerun writes the same file.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass
from typing import Any

from abstab.core.abstract import SYMBOL_SUBSCRIPT
from abstab.records import Block as DocBlock
from abstab.records import Cell, Document, Note, Provenance, Table
from abstab.synth.build import CAPTION, DocPlan
from abstab.synth.build import Block as PlannedBlock

PORTRAIT_COLUMNS = 7
"""Tables wider than this are laid out on a landscape page in a smaller font."""

CSS = """
body { font-family: sans-serif; font-size: 10pt; line-height: 1.3; }
p { margin: 0 0 6pt 0; text-align: left; }
p.caption { font-size: 9pt; font-weight: bold; margin: 8pt 0 3pt 0; }
p.note { font-size: 8pt; margin: 2pt 0 1pt 0; }
table { border-collapse: collapse; margin: 0 0 4pt 0; }
th, td { border: 0.6pt solid #000000; padding: 2pt 4pt; text-align: left; }
"""
_LIGATURE = re.compile(r"f(?=[fil])")


def esc(text: str) -> str:
    """HTML-escape, and stop MuPDF forming ligatures ("fi" would extract as U+FB01)."""
    return _LIGATURE.sub("f<span></span>", html.escape(text, quote=False))


def code_html(text: str, code: str | None) -> str:
    """A header cell's HTML; a symbol code's initials are drawn as a subscript."""
    m = SYMBOL_SUBSCRIPT.match(code) if code else None
    if m and code and code in text:
        before, _, after = text.partition(code)
        return esc(before) + esc(m.group("base")) + f"<sub>{esc(m.group('sub'))}</sub>" + esc(after)
    return esc(text)


@dataclass
class Rendered:
    pdf: bytes | None
    document: Document
    table: Table
    block_ids: list[str]  # ids of plan.before + plan.after blocks, in that order


def _html(plan: DocPlan, font_pt: float) -> str:
    out = []
    for i, b in enumerate(plan.before):
        cls = ' class="caption"' if b.kind == "caption" else ""
        out.append(f'<p id="b{i}"{cls}>{esc(b.text)}</p>')
    target = (plan.target.row, plan.target.col) if plan.target is not None else None
    out.append(table_html(plan.grid, plan.table.n_header, font_pt, {target} if target else set(),
                          plan.code))
    for j, b in enumerate(plan.after):
        out.append(f'<p id="b{len(plan.before) + j}" class="note">{esc(b.text)}</p>')
    return "\n".join(out)


def table_html(grid: list[list[str]], n_header: int, font_pt: float,
               code_cells: set[tuple[int, int]], code: str | None, prefix: str = "") -> str:
    """A grid as an HTML table with id ``<prefix>table``; header and stub cells get ids
    ``<prefix>c<row>-<col>``, and ``code_cells`` show ``code`` (a symbol's subscript lowered)."""
    out = [f'<table id="{prefix}table" style="font-size:{font_pt}pt">']
    for r, row in enumerate(grid):
        tag = "th" if r < n_header else "td"
        cells = []
        for c, v in enumerate(row):
            body = code_html(v, code) if (r, c) in code_cells else esc(v)
            # Header and stub cells get an id (their boxes are recorded); body cells do not,
            # which keeps the layout pass fast on long tables.
            cid = f' id="{prefix}c{r}-{c}"' if r < n_header or c == 0 else ""
            cells.append(f"<{tag}{cid}>{body}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _layout(plan: DocPlan) -> tuple[bytes, dict[str, tuple[int, tuple[float, ...]]], int]:
    """The PDF bytes, {element id: (page, rect)} and the page count."""
    wide = plan.table.width > PORTRAIT_COLUMNS
    return layout_html(_html(plan, 7.5 if wide else 9), wide, plan.key,
                       f"{plan.table.source} {plan.table.doc_id}")


def layout_html(markup: str, wide: bool, key: str, title: str
                ) -> tuple[bytes, dict[str, tuple[int, tuple[float, ...]]], int]:
    """``markup`` laid out on A4 (landscape when ``wide``): the PDF bytes, {element id: (page,
    rect)} and the page count; ``key`` fixes the file's ``/ID``."""
    import pymupdf

    page_rect = pymupdf.paper_rect("a4-l" if wide else "a4")
    body = pymupdf.Rect(56, 56, page_rect.width - 56, page_rect.height - 56)
    story = pymupdf.Story(markup, user_css=CSS)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    positions: dict[str, tuple[int, tuple[float, ...]]] = {}
    page, more = 0, True

    def remember(pos: Any) -> None:  # PyMuPDF wants a one-argument callable
        if pos.id and pos.id not in positions:
            positions[pos.id] = (page + 1, tuple(round(x, 2) for x in pos.rect))

    while more:
        device = writer.begin_page(page_rect)
        more, _ = story.place(body)
        story.element_positions(remember)
        story.draw(device)
        writer.end_page()
        page += 1
        if page > 200:
            raise ValueError(f"{key}: the table does not fit on 200 pages")
    writer.close()
    pdf = pymupdf.open("pdf", buffer.getvalue())
    pdf.set_metadata({"title": title, "author": "",
                      "subject": "abstab controlled abstraction", "keywords": "",
                      "creator": "abstab", "producer": "PyMuPDF Story API",
                      "creationDate": "D:20260101000000Z", "modDate": "D:20260101000000Z"})
    file_id = hashlib.md5(key.encode()).hexdigest().upper()
    pdf.xref_set_key(-1, "ID", f"[<{file_id}><{file_id}>]")
    data = pdf.tobytes(garbage=4, deflate=True, no_new_id=True)
    return data, positions, page


def render(plan: DocPlan, provenance: Provenance, source_path: str, with_pdf: bool = True
           ) -> Rendered:
    """The PDF (None when ``with_pdf`` is false) and the records of one planned document."""
    doc_id = plan.doc_id
    if with_pdf:
        pdf, pos, pages = _layout(plan)
        sha = hashlib.sha256(pdf).hexdigest()
    else:
        pdf, pos, pages, sha = None, {}, 1, ""
    document, ids = document_record(doc_id, plan.before + plan.after, pos, source_path, sha,
                                    pages, provenance)
    table = make_table(plan, doc_id, pos, provenance, ids)
    return Rendered(pdf, document, table, ids)


def document_record(doc_id: str, planned: list[PlannedBlock],
                    pos: dict[str, tuple[int, tuple[float, ...]]], source_path: str, sha: str,
                    pages: int, provenance: Provenance) -> tuple[Document, list[str]]:
    """The Document of the planned text blocks (HTML ids ``b<i>``) and their block ids: its
    text is the blocks joined by blank lines, each block's char span in it."""
    blocks: list[DocBlock] = []
    parts: list[str] = []
    offset = 0
    ids = []
    for i, b in enumerate(planned):
        page, rect = pos.get(f"b{i}", (1, (0.0, 0.0, 0.0, 0.0)))
        block_id = f"{doc_id}:b{i}"
        ids.append(block_id)
        if parts:
            offset += 2
        blocks.append(DocBlock(block_id=block_id, page=page, bbox=list(rect), kind=b.kind,
                               text=b.text, order=i, char_start=offset,
                               char_end=offset + len(b.text)))
        parts.append(b.text)
        offset += len(b.text)
    document = Document(doc_id=doc_id, source=source_path, sha256=sha, pages=pages,
                        title=None, text="\n\n".join(parts), blocks=blocks,
                        provenance=provenance)
    return document, ids


def make_table(plan: DocPlan, doc_id: str, pos: dict[str, tuple[int, tuple[float, ...]]],
               provenance: Provenance, block_ids: list[str]) -> Table:
    notes = []
    for j, b in enumerate(plan.after):
        if b.role == "legend" and plan.target is not None:
            notes.append(Note(kind="legend", text=b.text, block_id=block_ids[len(plan.before) + j],
                              targets=[[plan.target.row, plan.target.col]]))
        elif b.role == "attribution":
            notes.append(Note(kind="source", text=b.text,
                              block_id=block_ids[len(plan.before) + j]))
    caption_id = next((block_ids[i] for i, b in enumerate(plan.before) if b.kind == "caption"),
                      None)
    return grid_table(plan.grid, plan.table.n_header, plan.table.row_headers, f"{doc_id}:t1",
                      doc_id, CAPTION, pos, "", notes,
                      [b for b in block_ids if b != caption_id], provenance)


def grid_table(grid: list[list[str]], n_header: int, row_headers: bool, table_id: str,
               doc_id: str, caption: str, pos: dict[str, tuple[int, tuple[float, ...]]],
               prefix: str, notes: list[Note], nearby_block_ids: list[str],
               provenance: Provenance) -> Table:
    """The Table record of a rendered grid; ``pos`` holds the boxes of the elements
    :func:`table_html` named with ``prefix``."""
    width = max(len(r) for r in grid)
    grid = [list(r) + [""] * (width - len(r)) for r in grid]
    cells = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            page, rect = pos.get(f"{prefix}c{r}-{c}", (None, None))
            # A dataset whose first column holds row headers (TAT-QA line items) marks them.
            header = r < n_header or (row_headers and c == 0)
            cells.append(Cell(row=r, col=c, text=v, header=header,
                              bbox=list(rect) if rect else None, page=page))
    rects = [pos[f"{prefix}c{r}-0"] for r in range(len(grid)) if f"{prefix}c{r}-0" in pos]
    pages = sorted({p for p, _ in rects}) or [1]
    _, table_rect = pos.get(f"{prefix}table", (pages[0], (0.0, 0.0, 0.0, 0.0)))
    bbox = list(table_rect)
    body = grid[n_header:]
    n_cells = max(len(body) * width, 1)
    numeric_header = sum(1 for h in grid[n_header - 1] if h.replace(".", "").isdigit()) if \
        n_header else 0
    return Table.from_cells(
        cells, n_header,
        empty_ratio=round(sum(1 for r in body for v in r if not v) / n_cells, 4),
        numeric_header_ratio=round(numeric_header / max(width, 1), 4), confidence=1.0,
        table_id=table_id, doc_id=doc_id, pages=pages, bbox=bbox, engine="synthetic",
        caption=caption, notes=notes, nearby_block_ids=nearby_block_ids,
        provenance=provenance,
    )
