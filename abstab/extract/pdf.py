"""Opening a PDF: every way an input file can be unusable becomes one InputError reason.

Reasons: ``not_found``, ``empty_file``, ``not_pdf``, ``damaged``, ``encrypted``,
``no_text_layer``. Each message names the file and says how to fix it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from abstab.errors import InputError

SCANNED_MAX_CHARS = 10
"""A page with fewer text characters than this and a large image is a scanned page."""
SCANNED_MIN_IMAGE = 0.3
"""Share of the page an image must cover for a textless page to count as scanned."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_OPTIONAL = ("pymupdf.layout", "pymupdf4llm")
"""Packages ``import pymupdf`` imports if it can, which extraction does not need up front."""


def import_pymupdf() -> Any:
    """PyMuPDF, imported without loading its layout model.

    With the pymupdf-layout package installed, ``import pymupdf`` also imports
    ``pymupdf.layout``, which loads an ONNX model: half a second and some 50 MB per process
    that only the layout fallback needs (and ``pymupdf4llm``, which abstab does not use). The
    first import here keeps them out; :func:`layout_model` loads the model when a page first
    needs it.
    """
    if "pymupdf" not in sys.modules:
        blocked = [m for m in _OPTIONAL if m not in sys.modules]
        for m in blocked:
            sys.modules[m] = None  # type: ignore[assignment]  # import blocked
        try:
            import pymupdf
        finally:
            for m in blocked:
                if sys.modules.get(m, 0) is None:
                    del sys.modules[m]
    import pymupdf

    return pymupdf


def layout_model() -> bool:
    """Whether PyMuPDF's layout model is usable (loading it on first use)."""
    pymupdf = import_pymupdf()
    if getattr(pymupdf, "_get_layout", None) is None:
        try:
            import pymupdf.layout
        except Exception:  # noqa: BLE001 - not installed, or it fails to load: no model
            return False
    return getattr(pymupdf, "_get_layout", None) is not None


def pin_text_geometry() -> None:
    """Put MuPDF's process-wide text settings back to their defaults.

    Character boxes depend on ``TOOLS.unset_quad_corrections``, a global that importing or
    running PyMuPDF's layout model turns on and leaves on. Without this pin a file's tables
    would depend on which files the same worker process read before it.
    """
    import_pymupdf().TOOLS.unset_quad_corrections(False)


def _quiet_mupdf() -> None:
    pymupdf = import_pymupdf()

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    if hasattr(pymupdf, "no_recommend_layout"):
        pymupdf.no_recommend_layout()  # find_tables would otherwise print a tip to stdout


def check_file(path: Path) -> None:
    """Raise InputError for a missing, empty or non-PDF file (without opening it as a PDF)."""
    if not path.exists():
        raise InputError(
            f"{path}: no such file; check the path (it is resolved from the current directory)",
            reason="not_found", path=str(path),
        )
    if not path.is_file():
        raise InputError(
            f"{path}: is a directory, not a PDF; pass the PDF files (e.g. {path}/*.pdf)",
            reason="not_found", path=str(path),
        )
    size = path.stat().st_size
    if size == 0:
        raise InputError(
            f"{path}: the file is empty (0 bytes); re-download or re-export it",
            reason="empty_file", path=str(path),
        )
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        kind = "a text file" if _looks_like_text(head) else "not a PDF"
        raise InputError(
            f"{path}: {kind} (no %PDF- header); pass a PDF, or convert the file to PDF first",
            reason="not_pdf", path=str(path),
        )


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _truncated(path: Path) -> bool:
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 2048))
        tail = f.read()
    return b"%%EOF" not in tail


def open_pdf(path: Path) -> Any:
    """Open ``path`` with PyMuPDF after checking it; returns the pymupdf Document.

    Raises:
        InputError: reasons not_found, empty_file, not_pdf, damaged, encrypted.
    """
    check_file(path)
    pymupdf = import_pymupdf()
    _quiet_mupdf()
    fix_damaged = (f"{path}: the PDF is damaged ({{why}}); re-download it or repair it "
                   f"(e.g. `qpdf {path.name} fixed.pdf` or `mutool clean`) and rerun")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises FileDataError, RuntimeError, ValueError...
        if out_of_memory(exc):
            raise
        raise InputError(fix_damaged.format(why=f"cannot be opened: {exc}"),
                         reason="damaged", path=str(path)) from exc
    if doc.needs_pass:
        doc.close()
        raise InputError(
            f"{path}: the PDF is encrypted and needs a password; decrypt it first "
            f"(e.g. `qpdf --decrypt --password=PASSWORD {path.name} decrypted.pdf`) and rerun",
            reason="encrypted", path=str(path),
        )
    if doc.page_count == 0:
        doc.close()
        raise InputError(fix_damaged.format(why="no readable page, the file looks truncated"),
                         reason="damaged", path=str(path))
    if doc.is_repaired and _truncated(path):
        doc.close()
        raise InputError(fix_damaged.format(why="truncated: the end of the file is missing"),
                         reason="damaged", path=str(path))
    return doc


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says an allocation failed: Python's MemoryError, or MuPDF's system
    error for a failed ``malloc``/``realloc``/``calloc`` (``code=2: malloc (N bytes) failed``)."""
    if isinstance(exc, MemoryError):
        return True
    return type(exc).__name__ == "FzErrorSystem" and "alloc (" in str(exc)


def no_text_layer_error(path: Path, pages: int, scanned: int) -> InputError:
    what = "every page is a scanned image" if scanned == pages else "no page has any text"
    return InputError(
        f"{path}: the PDF has no text layer ({what}, {pages} page(s)); abstab does no OCR: "
        f"run OCR first (e.g. `ocrmypdf {path.name} ocr.pdf`) and pass the OCRed file",
        reason="no_text_layer", path=str(path),
    )


def damaged_error(path: Path, exc: BaseException) -> InputError:
    return InputError(
        f"{path}: the PDF is damaged (a page cannot be read: {exc}); re-download it or repair it "
        f"(e.g. `qpdf {path.name} fixed.pdf`) and rerun",
        reason="damaged", path=str(path),
    )
