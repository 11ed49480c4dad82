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


def generate_stage(tmp_path: Path, docs: Sequence[Any], tables: Sequence[Any],
                   judgments: Sequence[Any], resolutions: Sequence[Any], **settings: Any) -> Any:
    """A generate stage over records made by hand (written to ``tmp_path``), ready for
    ``stage.process(unit)``; no controlled items or text questions unless ``settings`` say."""
    from abstab.jsonl import RecordIndex
    from abstab.records import Document, Judgment, Resolution
    from abstab.stages.generate import GenerateStage

    for name, recs in (("docs", docs), ("tables", tables), ("judgments", judgments),
                       ("resolutions", resolutions)):
        (tmp_path / f"{name}.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in recs))
    stage = GenerateStage(tmp_path / "work", {"controlled": False,
                                              "text_questions_per_document": 0, **settings})
    stage._hash = "test"
    stage.docs = RecordIndex(tmp_path / "docs.jsonl", Document, "doc_id")
    stage.tables = RecordIndex(tmp_path / "tables.jsonl", Table, "table_id", by="doc_id")
    stage.judgments = RecordIndex(tmp_path / "judgments.jsonl", Judgment, "table_id")
    stage.resolutions = RecordIndex(tmp_path / "resolutions.jsonl", Resolution, "table_id",
                                    group=True)
    return stage


def tiny_wtq(root: Path, table: str | None = None,
             questions: Sequence[tuple[str, str, str]] = ()) -> Path:
    """A one-table WTQ folder laid out as WTQ is, in ``root``: test_controlled's table and three
    questions, or ``table`` (TSV text, header line first) with ``questions`` (id, utterance,
    answer) about it."""
    from test_controlled import QUESTIONS, TABLE

    (root / "csv" / "200-csv").mkdir(parents=True)
    (root / "csv" / "200-csv" / "1.tsv").write_text(table or TABLE, encoding="utf-8")
    lines = "".join(f"{q}\t{u}\tcsv/200-csv/1.csv\t{a}\n" for q, u, a in questions)
    (root / "questions.tsv").write_text(
        "id\tutterance\tcontext\ttargetValue\n" + lines if lines else QUESTIONS,
        encoding="utf-8")
    return root


def split_wtq_workspace(tmp_path: Path) -> Path:
    """A controlled WTQ workspace of test_controlled's one table, with one split document
    (two tables and their two-table items), through ingest → controlled → assemble."""
    from abstab.stages.assemble import AssembleStage
    from abstab.stages.ingest import ControlledStage, IngestStage

    root = tmp_path / "wtq"
    tiny_wtq(root)
    work = tmp_path / "work"
    IngestStage(work, {"source": "wtq", "inputs": [str(root)], "styles": ["acronym"],
                       "explanations": ["explicit"], "max_targets_per_table": 1,
                       "lookup_questions": 1, "split_documents": 1}).run()
    ControlledStage(work, {}).run()
    AssembleStage(work, {}).run()
    return work
