"""What tests build records from: one provenance and one table builder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from abstab.records import Provenance, Table

PROV = Provenance(stage="test", abstab_version="0", config_hash="test")
"""The provenance of every record a test makes by hand."""


def make_table(header: Sequence[str], rows: Sequence[Sequence[str]], **fields: Any) -> Table:
    """A one-header-row table of ``header`` over ``rows``, built by :meth:`Table.from_grid`.

    ``fields`` override the defaults (``table_id="d:t1"``, ``doc_id="d"``, ``engine="x"``…) or
    pass :meth:`Table.from_grid` options.
    """
    defaults: dict[str, Any] = {"table_id": "d:t1", "doc_id": "d", "pages": [1],
                                "bbox": [0, 0, 1, 1], "engine": "x", "provenance": PROV}
    return Table.from_grid([list(header), *[list(r) for r in rows]], 1, **{**defaults, **fields})


def synth_pages(src: Path, first: int, last: int, root: Path,
                generate: dict[str, Any] | None = None) -> Any:
    """``abstab synth`` (rules backend, bm25 retriever) on pages ``first``..``last``
    (0-based) of the PDF ``src``, copied to ``root/pdfs``; the workspace is ``root/w``.
    Returns the CLI result."""
    import pymupdf
    from click.testing import CliRunner

    from abstab.cli import cli

    pdf = root / "pdfs" / src.name
    pdf.parent.mkdir(parents=True)
    with pymupdf.open(src) as doc, pymupdf.open() as new:
        new.insert_pdf(doc, from_page=first, to_page=last)
        new.save(pdf, no_new_id=True)  # the same bytes, so the same doc_id, every run
    pipeline = root / "p.yaml"
    pipeline.write_text(json.dumps({
        "name": "pages", "inputs": [str(pdf.parent)], "backend": "rules",
        "stages": {"extract": {}, "judge": {}, "resolve": {"retriever": "bm25"},
                   "generate": generate or {}, "assemble": {}}}))
    return CliRunner().invoke(cli, ["synth", "-p", str(pipeline), "-o", str(root / "w")],
                              catch_exceptions=False)
