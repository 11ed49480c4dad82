"""ingest + controlled: external table-QA datasets (WTQ, TAT-QA) as synthetic documents.

``ingest`` reads a dataset through :mod:`abstab.sources`, plans for every source table a clear
document and its abstract variants (:mod:`abstab.synth.build`), renders each one to a PDF
(``WORK/ingest/pdfs/<doc_id>.pdf``), and writes to ``WORK/ingest`` their Document and Table
records (the documents and tables every later stage and ``abstab bench`` read, as they read
extract's) together with the QA items, gold by construction. ``controlled`` re-checks every
ingested item's evidence against the records (:func:`abstab.synth.validate.evidence_problem`)
and passes the items that hold to ``assemble`` (``WORK/controlled``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Any, Self

from pydantic import Field, model_validator

from abstab.config import StageSettings, stable_hash
from abstab.core.abstract import EXPLANATIONS, LEGENDS, keyword_link
from abstab.core.questions import difficulty
from abstab.core.seeded import seeded_order
from abstab.executors import Unit
from abstab.records import (
    ABSTRACT_STYLES,
    Abstraction,
    ItemEvidence,
    KeywordLink,
    QAItem,
    SourceRef,
    TextSpan,
)
from abstab.sources import SourceExample, open_source, sources
from abstab.stages.base import Stage
from abstab.store import UnitResult
from abstab.synth.build import (
    DocPlan,
    ItemPlan,
    Settings,
    SourceTable,
    plan_table,
)
from abstab.synth.clues import DEFAULT_WEIGHTS, EXPLAINED_BY, check_weights
from abstab.synth.render import Rendered, render
from abstab.synth.split import SplitPlan, SplitSettings, plan_splits, render_split, split_items
from abstab.synth.validate import evidence_problem


class IngestSettings(StageSettings):
    """Settings of the ingest stage.

    Args:
        source: the dataset (``wtq``, ``tatqa``; see :data:`abstab.sources.sources`).
        inputs: the dataset folder(s) or file(s).
        limit: number of source tables used (None: all), picked by a seeded hash of their id.
        styles: abstraction styles, one abstract document per style × explanation.
        explanations: ``explicit`` (definition sentence or legend), ``implicit`` (a clue that
            only implies the meaning, see ``explained_by``), ``removed`` (no clue: the answer is
            still printed in the table, so the item is ``table_implicit`` with an
            ``unresolvable`` keyword).
        explained_by: the mix of ways to explain a code, as integer weights per kind (0 leaves
            a kind out; a kind not named weighs 1). ``legend`` : ``definition_sentence`` splits
            the explicit documents; among the implied kinds (``value_mention``,
            ``unit_mention``, ``comparison``, ``trend``, ``elsewhere``; see
            :mod:`abstab.synth.clues`) each implicit document draws, seeded, one of those whose
            clue singles out the header, in proportion to the weights.
        implicit_variants: implicit documents per header and style, each with another kind of
            clue (when that many apply): with ``explanations: [implicit]`` and a higher value a
            release is mostly implied items.
        max_targets_per_table: headers abstracted per table (those most questions name).
        lookup_questions: template lookup questions per abstracted header.
        row_headers: the first column holds row headers (TAT-QA line items), which may be
            abstracted like column headers.
        render_pdf: write each document as a PDF (off: records only, for speed).
        split_documents: documents per source table whose table is split in two (by rows or
            by columns, :mod:`abstab.synth.split`), asked questions that need both tables;
            0 (the default) turns them off; pipelines/wtq.yaml and tatqa.yaml ask for 1.
        split_questions: questions per two-table template in each split document.
        seed: changes which tables, rows and explanation forms are picked.
    """

    source: str = "wtq"
    inputs: list[str] = Field(default_factory=list)
    limit: int | None = None
    styles: list[str] = Field(default_factory=lambda: list(ABSTRACT_STYLES))
    explanations: list[str] = Field(default_factory=lambda: list(EXPLANATIONS))
    explained_by: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    implicit_variants: int = 1
    max_targets_per_table: int = 2
    lookup_questions: int = 2
    row_headers: bool = False
    render_pdf: bool = True
    split_documents: int = Field(0, ge=0, le=2)
    split_questions: int = Field(2, ge=0)
    seed: str = "0"

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.source = sources.canonical(self.source)
        for name, allowed in (("styles", ABSTRACT_STYLES), ("explanations", EXPLANATIONS)):
            bad = sorted(set(getattr(self, name)) - set(allowed))
            if bad:
                raise ValueError(f"unknown {name} {bad}; allowed: {list(allowed)}")
        for name in ("max_targets_per_table", "lookup_questions"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        check_weights(self.explained_by, self.explanations)
        if self.implicit_variants < 1:
            raise ValueError(f"implicit_variants must be >= 1, got {self.implicit_variants}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 (or null for every table), got {self.limit}")
        return self


class IngestStage(Stage):
    """A dataset's tables as clear and abstracted synthetic documents (PDF + records + items)."""

    name = "ingest"
    produces = ("documents", "tables", "ingested_items")
    external = "dataset"
    owned = ("pdfs/*.pdf",)  # the synthetic documents, deleted with the stage
    settings_cls = IngestSettings

    def hash_inputs(self) -> dict[str, Any]:
        out = super().hash_inputs()
        out["kind"] = "ingest"
        # The dataset's content, so an edited file redoes the stage.
        digests = []
        for p in self.settings.inputs:
            path = Path(p)
            if path.exists():
                # The files the dataset reads; those out of the folder are left out here
                # (reading the examples reports them).
                for f in open_source(self.settings.source, path).data_files(
                        on_error=lambda _where, _why: None):
                    digests.append(hashlib.sha256(f.read_bytes()).hexdigest()[:16])
        out["data"] = digests
        return out

    def load(self) -> None:
        if not self.settings.inputs:
            from abstab.errors import ConfigError

            raise ConfigError(f"stage ingest: no inputs; give the {self.settings.source} dataset "
                              f"folder in the pipeline's inputs or on the command line")
        self.load_errors: list[tuple[str, str]] = []
        groups: dict[str, list[SourceExample]] = defaultdict(list)
        for p in self.settings.inputs:
            for ex in open_source(self.settings.source, p).examples(
                    on_error=lambda w, r: self.load_errors.append((w, r))):
                groups[ex.doc_id].append(ex)
        ids = seeded_order(groups, self.settings.seed)
        if self.settings.limit is not None:
            ids = ids[:self.settings.limit]
        self.groups = {d: groups[d] for d in ids}
        self.pdf_dir = self.dir.path / "pdfs"
        self.build = Settings(list(self.settings.styles), list(self.settings.explanations),
                              self.settings.max_targets_per_table, self.settings.lookup_questions,
                              self.settings.seed, {**DEFAULT_WEIGHTS, **self.settings.explained_by},
                              self.settings.implicit_variants)
        self.split = SplitSettings(self.settings.split_documents, self.settings.split_questions,
                                   list(self.settings.styles), self.settings.seed)

    def units(self) -> list[Unit]:
        units = [Unit(f"table:{d}", d) for d in self.groups]
        if self.load_errors:
            units.insert(0, Unit("load-errors", list(self.load_errors)))
        return units

    def process(self, unit: Unit) -> UnitResult:
        result = UnitResult()
        if unit.id == "load-errors":
            for where, reason in unit.payload:
                result.stats["in"] += 1
                result.drop(where, "bad_source_example", reason)
            return result
        examples = self.groups[unit.payload]
        table = SourceTable.from_examples(examples, self.settings.row_headers)
        result.stats["in"] += len(examples)
        plan = plan_table(table, self.build)
        for where, reason, message in plan.drops:
            result.drop(where, reason, message, failure=False)
        used: set[str | None] = set()
        for doc in plan.docs:
            if not doc.items:
                continue
            try:
                rendered = self._render(doc)
            except Exception as exc:  # noqa: BLE001 - one bad layout never stops the run
                result.drop(doc.key, "render_failed", f"{type(exc).__name__}: {exc}")
                continue
            result.add("documents", rendered.document)
            result.add("tables", rendered.table)
            result.stats["documents"] += 1
            for plan_item in doc.items:
                item = self._item(doc, rendered, plan_item)
                result.add("items", item)
                used.add(plan_item.example_id)
                result.stats[f"location.{item.answer_location}"] += 1
                result.stats[f"cell.{item.abstraction.style}.{item.abstraction.legend}"] += 1
                if item.abstraction.explained_by:
                    result.stats[f"explained_by.{item.abstraction.explained_by}"] += 1
                result.stats["items"] += 1
        result.stats["kept"] += len({e.example_id for e in examples} & used)
        for split in plan_splits(table, self.split):
            self._split(split, result)
        return result

    def _split(self, plan: SplitPlan, result: UnitResult) -> None:
        """A split document (two tables of one source table) and its two-table items."""
        path = self.pdf_dir / f"{plan.doc_id}.pdf"
        try:
            rendered = render_split(plan, self.provenance(engine="synthetic"), str(path),
                                    with_pdf=self.settings.render_pdf)
        except Exception as exc:  # noqa: BLE001 - one bad layout never stops the run
            result.drop(plan.key, "render_failed", f"{type(exc).__name__}: {exc}")
            return
        self._write_pdf(path, rendered.pdf)
        result.add("documents", rendered.document)
        for table in rendered.tables:
            result.add("tables", table)
        result.stats["documents"] += 1
        for item in split_items(plan, rendered, self.provenance(backend="rules",
                                                                model="templates")):
            result.add("items", item)
            result.stats[f"location.{item.answer_location}"] += 1
            result.stats[f"cell.{item.abstraction.style}.{item.abstraction.legend}"] += 1
            if item.abstraction.explained_by:
                result.stats[f"explained_by.{item.abstraction.explained_by}"] += 1
            result.stats["items"] += 1
            result.stats["multi_table"] += 1

    def _render(self, doc: DocPlan) -> Rendered:
        path = self.pdf_dir / f"{doc.doc_id}.pdf"
        rendered = render(doc, self.provenance(engine="synthetic"), str(path),
                          with_pdf=self.settings.render_pdf)
        self._write_pdf(path, rendered.pdf)
        return rendered

    def _write_pdf(self, path: Path, pdf: bytes | None) -> None:
        if pdf is not None:
            self.pdf_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pdf)
            tmp.replace(path)

    def _item(self, doc: DocPlan, rendered: Rendered, p: ItemPlan) -> QAItem:
        document, table = rendered.document, rendered.table
        spans: list[TextSpan] = []
        cells: list[list[int]] = []
        blocks: list[str] = []
        if p.location == "text" and p.paragraph is not None and p.char_start is not None:
            b = document.blocks[p.paragraph]
            start = b.char_start + p.char_start
            gold = p.gold[0]
            spans.append(TextSpan(block_id=b.block_id, char_start=start,
                                  char_end=start + len(gold), text=gold, role="answer"))
            blocks.append(b.block_id)
            location = "text"
        elif p.cell is not None:
            cells.append(list(p.cell))
            location = "table_clear"
        keywords: list[KeywordLink] = []
        answer = p.answer
        style, legend = "natural", "none"
        if doc.target is not None and doc.code is not None:
            style, legend = doc.style, doc.explanation
            location = LEGENDS[legend].location
            keywords.append(keyword_link(doc.code, doc.target.meaning, doc.target.col, legend))
            for i, planned in enumerate(doc.before + doc.after):
                if planned.role in ("definition", "legend", "clue"):
                    blk = document.blocks[i]
                    spans.append(TextSpan(block_id=blk.block_id, char_start=blk.char_start,
                                          char_end=blk.char_end, text=blk.text,
                                          role="clue" if planned.role == "clue" else "definition"))
                    blocks.append(blk.block_id)
            if doc.clue_span is not None:  # the source text's own sentence (elsewhere)
                index, start, end = doc.clue_span
                blk = document.blocks[index]
                spans.append(TextSpan(block_id=blk.block_id, char_start=blk.char_start + start,
                                      char_end=blk.char_start + end, text=blk.text[start:end],
                                      role="clue"))
                blocks.append(blk.block_id)
        src = doc.table
        source = SourceRef(dataset=src.source, example_id=p.example_id, doc_id=src.doc_id,
                           license=src.license, answers=list(p.gold),
                           meta={k: v for k, v in p.meta.items() if k != "paragraph_uids"}
                           | ({"answer_cell": list(p.cell)} if p.cell else {}))
        return QAItem(
            item_id=stable_hash([document.doc_id, table.table_id, p.question, location, style]),
            # A text-located item names no table (as the generate stage's text items do).
            doc_id=document.doc_id, table_id=None if location == "text" else table.table_id,
            question=p.question, answer=answer,
            answer_location=location, keywords=keywords,
            evidence=ItemEvidence(cells=cells, blocks=blocks, spans=spans),
            abstraction=Abstraction(style=style, legend=legend, explained_by=doc.explained_by),
            origin="controlled", pair_id=p.pair_id, template=p.template,
            difficulty=difficulty(location, None), source=source,
            provenance=self.provenance(backend="rules", model="templates"),
        )

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        locs = ("text", "table_clear", "table_defined", "table_implicit", "unanswerable")
        return [f"{c.get('documents', 0)} synthetic documents ({self.settings.source}), "
                f"{c.get('items', 0)} items: "
                + ", ".join(f"{c.get('location.' + k, 0)} {k}" for k in locs)
                + (f"; {c['multi_table']} across two tables" if c.get("multi_table") else ""),
                "explained by: " + ", ".join(f"{c.get('explained_by.' + k, 0)} {k}"
                                             for k in EXPLAINED_BY)]


class ControlledSettings(StageSettings):
    """Settings of the controlled stage (none yet: it re-checks what ingest made)."""


class ControlledStage(Stage):
    """Re-check every ingested item's evidence; pass the items that hold to assemble."""

    name = "controlled"
    consumes = ("documents", "tables", "ingested_items")
    produces = ("items",)
    counted = "items"
    settings_cls = ControlledSettings

    def hash_inputs(self) -> dict[str, Any]:
        return {**super().hash_inputs(), "kind": "controlled"}

    def load(self) -> None:
        self.docs = {d.doc_id: d for d in self.records_of("documents")}
        self.tables = {t.table_id: t for t in self.records_of("tables")}
        self.by_doc: dict[str, list[QAItem]] = defaultdict(list)
        for item in self.records_of("ingested_items"):
            self.by_doc[item.doc_id].append(item)

    def units(self) -> list[Unit]:
        return [Unit(d, d) for d in sorted(self.by_doc)]

    def process(self, unit: Unit) -> UnitResult:
        result = UnitResult()
        doc = self.docs.get(unit.payload)
        for item in self.by_doc[unit.payload]:
            problem = (f"unknown document {item.doc_id}" if doc is None else
                       evidence_problem(item, doc, self.tables.get(item.table_id or ""),
                                        self.tables))
            if problem:
                result.drop(item.item_id, "evidence_mismatch", problem)
                continue
            result.add("items", item)
            result.stats[f"location.{item.answer_location}"] += 1
        return result

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        return [f"{stats.get('kept', 0)} of {stats.get('in', 0)} items re-validate"]
