"""PDF → one Document record and its Table records.

``extract_pdf`` is the only entry point. Importing this package is cheap: PyMuPDF is imported
inside the functions that need it, so ``abstab --help`` never loads it.

Modules: :mod:`.settings` (ExtractSettings), :mod:`.pdf` (opening and input errors),
:mod:`.text` (characters and lines), :mod:`.engines` (table engines), :mod:`.grid` (cells and
their text), :mod:`.tables` (headers, notes, captions, records), :mod:`.layout` (blocks).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from abstab.extract.settings import ExtractSettings

if TYPE_CHECKING:
    from abstab.records import Document, Provenance, Table

__all__ = ["ExtractSettings", "extract_pdf"]

log = logging.getLogger("abstab.extract")


def extract_pdf(path: Path, settings: ExtractSettings | None,
                provenance: Provenance) -> tuple[Document, list[Table]]:
    """Read one PDF into a Document record and its Table records.

    Args:
        path: the PDF file.
        settings: extract settings (None: defaults); ``settings.engine`` picks the table engine.
        provenance: stamped on every record (``engine`` is filled in when it is unset).

    Returns:
        The document (blocks in reading order) and its tables, in reading order.

    Raises:
        InputError: with ``reason`` one of not_found, empty_file, not_pdf, damaged, encrypted,
            no_text_layer. Pages without text but with a page-sized image are listed in
            ``Document.scanned_pages`` unless every page is like that.
    """
    from abstab.extract import grid as grid_mod
    from abstab.extract import layout as layout_mod
    from abstab.extract import pdf as pdf_mod
    from abstab.extract import tables as tables_mod
    from abstab.extract.engines import PageContext
    from abstab.extract.text import read_page
    from abstab.records import Block, Document
    from abstab.registry import engines

    settings = ExtractSettings.resolve(settings)
    path = Path(path)
    doc = pdf_mod.open_pdf(path)
    try:
        sha = pdf_mod.file_sha256(path)
        doc_id = sha[:16]
        if provenance.engine is None:
            provenance = provenance.model_copy(update={"engine": settings.engine})
        engine = engines.get(settings.engine)(settings)
        n_pages = doc.page_count
        if settings.max_pages:
            n_pages = min(n_pages, settings.max_pages)
        texts = []
        scanned: list[int] = []
        drafts: list[tables_mod.TableDraft] = []
        for i in range(n_pages):
            pdf_mod.pin_text_geometry()  # the layout model may have changed it on the last page
            try:
                page = doc[i]
                text = read_page(page, i + 1)
            except Exception as exc:  # a page MuPDF cannot parse
                if pdf_mod.out_of_memory(exc):
                    raise
                raise pdf_mod.damaged_error(path, exc) from exc
            if text.n_chars < pdf_mod.SCANNED_MAX_CHARS:
                if text.image_area >= pdf_mod.SCANNED_MIN_IMAGE:
                    scanned.append(i + 1)
                texts.append(text)
                continue
            texts.append(text)
            ctx = PageContext(path, i + 1, page, text, max_drawings=settings.max_drawings)
            found = engine.find(ctx)
            if ctx.capped:
                # the ruling may be incomplete: say so, and trust these tables less
                log.warning("%s page %d: %s", path, i + 1, ctx.capped)
                for raw in found:
                    raw.score = min(raw.score if raw.score is not None else 0.8, 0.5)
            for raw in found:
                grid = grid_mod.build(raw, text)
                if grid is None:
                    continue
                draft = tables_mod.shape(grid, raw, settings)
                if draft is not None:
                    drafts.append(draft)
        if all(t.n_chars == 0 for t in texts) or len(scanned) == n_pages:
            raise pdf_mod.no_text_layer_error(path, n_pages, len(scanned))
        tables_mod.drop_running_rows(drafts, {t.number: t.height for t in texts},
                                     settings.margin, settings.running_share,
                                     settings.max_header_rows)
        boxes: dict[int, list[tuple[float, float, float, float]]] = {}
        for d in drafts:
            boxes.setdefault(d.page, []).append(d.bbox)
        layout = layout_mod.build(texts, boxes, settings.margin, settings.running_share)
        tables_mod.attach_context(drafts, layout, settings)
        layout_mod.classify(layout)
        drafts = [d for d in drafts if not d.figure]
        if settings.merge_continued:
            drafts = tables_mod.merge_continued(drafts, layout)
        full_text = layout_mod.finalize(layout, doc_id)
        tables_mod.attach_nearby(drafts, layout, settings.nearby_words)
        metadata_title = (doc.metadata or {}).get("title")
        document = Document(
            provenance=provenance,
            doc_id=doc_id,
            source=str(path),
            sha256=sha,
            pages=doc.page_count,
            title=layout_mod.title(layout, metadata_title),
            text=full_text,
            blocks=[
                Block(block_id=b.block_id, page=b.page, bbox=[round(v, 2) for v in b.bbox],
                      kind=b.kind, text=b.text, order=b.order,  # type: ignore[arg-type]
                      section=b.section, char_start=b.char_start, char_end=b.char_end)
                for b in layout.blocks
            ],
            scanned_pages=scanned,
        )
        records = [tables_mod.to_record(d, doc_id, n, provenance, settings.engine)
                   for n, d in enumerate(drafts)]
        return document, records
    finally:
        doc.close()
