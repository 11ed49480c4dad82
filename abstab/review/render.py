"""The table as printed: its page region rendered from the PDF once, cached as PNG.

Images go to ``WORK/review/cache/`` under a name hashed from the table (never a name taken from
a record or a request). The PDF is the document's only if its content hash is the one recorded
at extraction (:func:`abstab.release.build.find_pdf`), so a record cannot make the review
open another file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from abstab.decisions import REVIEW_DIR
from abstab.records import Document, Table

CACHE: Final = "cache"
SCALE: Final = 2.0  # pixels per PDF point: 144 dpi, sharp enough to read a table
# A record's box (hostile, or a poster-sized page) could ask for a huge image: fewer pixels then.
MAX_PIXELS: Final = 16_000_000
# Points around the table's box: the caption above, a margin elsewhere.
MARGIN_TOP: Final = 36.0
MARGIN: Final = 12.0


@dataclass(frozen=True)
class Region:
    """One page's part of a table, as an image."""

    page: int
    clip: tuple[float, float, float, float]  # PDF points, top-left origin
    name: str  # file name in the cache folder

    @property
    def scale(self) -> float:
        """Pixels per point: :data:`SCALE`, less for a region past :data:`MAX_PIXELS`."""
        x0, y0, x1, y1 = self.clip
        area = max(x1 - x0, 1.0) * max(y1 - y0, 1.0)
        return min(SCALE, (MAX_PIXELS / area) ** 0.5)


def cache_dir(work: Path) -> Path:
    return Path(work) / REVIEW_DIR / CACHE


def regions(table: Table, doc: Document) -> list[Region]:
    """The page regions of a table (one per page it spans), clipped to a page's box later."""
    out = []
    for page in table.pages:
        boxes = [c.bbox for c in table.cells if c.bbox is not None and (c.page or page) == page]
        if page == table.pages[0]:
            boxes.append(table.bbox)
        if not boxes:
            continue
        x0 = min(b[0] for b in boxes) - MARGIN
        y0 = min(b[1] for b in boxes) - (MARGIN_TOP if page == table.pages[0] else MARGIN)
        x1 = max(b[2] for b in boxes) + MARGIN
        y1 = max(b[3] for b in boxes) + MARGIN
        out.append(_region(doc, table.table_id, page, (x0, y0, x1, y1)))
    return out


def block_region(doc: Document, block_id: str | None) -> Region | None:
    """Where a text block stands on its page (evidence shown in place), or None if the
    document has no such block."""
    block = next((b for b in doc.blocks if b.block_id == block_id), None)
    if block is None:
        return None
    x0, y0, x1, y1 = block.bbox
    return _region(doc, block.block_id, block.page, (x0 - MARGIN, y0 - MARGIN, x1 + MARGIN,
                                                     y1 + MARGIN))


def _region(doc: Document, what: str, page: int,
            box: tuple[float, float, float, float]) -> Region:
    clip = (max(0.0, box[0]), max(0.0, box[1]), box[2], box[3])
    key = f"{doc.sha256}|{what}|{page}|{clip}".encode()
    return Region(page, clip, hashlib.sha256(key).hexdigest()[:32] + ".png")


def render(pdf: Path, region: Region, cache: Path) -> Path:
    """The region's PNG in ``cache``, rendered now if it is not there yet."""
    out = cache / region.name
    if out.exists():
        return out
    import pymupdf

    cache.mkdir(parents=True, exist_ok=True)
    with pymupdf.open(pdf) as pdf_doc:
        page = pdf_doc[region.page - 1]
        clip = pymupdf.Rect(*region.clip) & page.rect
        pix = page.get_pixmap(matrix=pymupdf.Matrix(region.scale, region.scale), clip=clip,
                              alpha=False)
        data = pix.tobytes("png")
    tmp = cache / f".{region.name}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, out)  # whole or absent, also with two requests rendering at once
    return out
