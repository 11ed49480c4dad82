"""resolve: what each abstract header means, with evidence from the document."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Self

from pydantic import model_validator

from abstab.config import Number, StageSettings
from abstab.core.expand import expand_header
from abstab.executors import Unit
from abstab.llm.tasks import EvidenceOut, KeywordOut, Passage
from abstab.records import TEXT_KINDS, Document, Evidence, Judgment, Resolution, Table
from abstab.retrieval import PassageIndex
from abstab.stages.base import Stage
from abstab.store import UnitResult

_KEPT_INDEXES = 8
"""Documents whose retrieval index stays built (units of one document run together)."""


class ResolveSettings(StageSettings):
    """Settings of the resolve stage.

    Args:
        concurrency: tables resolved at once (useful with LLM backends).
        min_confidence: resolutions below this are kept but labelled unresolvable.
        retriever: how passages about a header are found in its document: ``bm25``,
            ``dense`` or ``hybrid`` (default: hybrid with the embed extra, else bm25).
        k: passages retrieved per abstract header and handed to the backend.
    """

    concurrency: int = 1
    min_confidence: Number = 0.0
    retriever: str | None = None
    k: int = 5

    @model_validator(mode="after")
    def _check(self) -> Self:
        from abstab.retrieval import default_retriever, rankers

        self.retriever = rankers.canonical(self.retriever or default_retriever())
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        return self


def locate(ev: EvidenceOut, doc: Document) -> Evidence:
    """Pin an evidence text to its block, page and char span in Document.text when found."""
    block = next((b for b in doc.blocks if b.block_id == ev.block_id), None)
    start = -1
    if block is not None:
        start = block.text.find(ev.text)
        if start >= 0:
            start += block.char_start
    if start < 0:
        start = doc.text.find(ev.text) if ev.text else -1
        if start >= 0 and block is None:
            block = next((b for b in doc.blocks if b.char_start <= start < b.char_end), None)
    return Evidence(
        source=ev.source, block_id=block.block_id if block else ev.block_id,
        page=block.page if block else None,
        char_start=start if start >= 0 else None,
        char_end=start + len(ev.text) if start >= 0 else None,
        text=ev.text, score=ev.score,
    )


class ResolveStage(Stage):
    name = "resolve"
    consumes = ("documents", "tables", "judgments")
    produces = ("resolutions",)
    counted = "resolutions"
    settings_cls = ResolveSettings
    uses_backend = True
    reads_review = True  # a header a person marked abstract is resolved, one marked not is not

    def load(self) -> None:
        # Indexes, not lists: records are read when their unit runs (memory stays flat).
        self.docs = self.index_of("documents", "doc_id")
        self.tables = self.index_of("tables", "table_id", by="doc_id")
        flagged = self.review.marked_abstract()
        # Abstract tables, and tables with a header a person marked abstract.
        self.judgments = self.index_of("judgments", "table_id",
                                       keep=lambda j: j.label == "abstract"
                                       or j.table_id in flagged)

        self._indexes: OrderedDict[str, PassageIndex] = OrderedDict()
        self._tables_of: OrderedDict[str, list[Passage]] = OrderedDict()
        self._index_lock = threading.Lock()

    def units(self) -> list[Unit]:
        return [Unit(tid) for tid in self.judgments]

    def unit_decisions(self, unit_id: str) -> Any:
        return self.review.header_calls(unit_id)

    def review_units(self) -> set[str]:
        return self.review.marked_abstract()

    progress_unit = "header"

    def unit_size(self, unit: Unit) -> int:
        judged = self.judgments.get(unit.id)
        return len(judged.keywords) if judged else 0  # the summary counts headers, not tables

    def index(self, doc: Document) -> PassageIndex:
        """The document's retrieval index over its text blocks, built once per run (a table's
        units come together, so the last few documents' indexes are kept); its dense vectors
        are kept in ``WORK/index/`` so a rerun does not embed the document again."""
        with self._index_lock:
            if doc.doc_id not in self._indexes:
                blocks = [(b.block_id, b.text) for b in doc.blocks if b.kind in TEXT_KINDS]
                self._indexes[doc.doc_id] = PassageIndex(blocks, self.settings.retriever,
                                                         cache=self.work / "index")
                while len(self._indexes) > _KEPT_INDEXES:
                    self._indexes.popitem(last=False)
            self._indexes.move_to_end(doc.doc_id)
            return self._indexes[doc.doc_id]

    def context(self, table: Table, doc: Document, keyword: str) -> list[Passage]:
        """Passages of the document most about ``keyword``, asked with its table's caption and
        the header's guessed expansions (a shortened header rarely matches the words itself)."""
        siblings = [c.text for c in table.cells if c.header]
        guesses = expand_header(keyword, siblings, k=2)
        query = " ".join([keyword, *guesses, table.caption or ""])
        blocks = {b.block_id: b for b in doc.blocks}
        found = [Passage(id=bid, kind="text", text=blocks[bid].text, score=score)
                 for bid, score in self.index(doc).search(query, self.settings.k)]
        # the document's other tables, by their headers: a clipped "CAT." may be completed by
        # a table headed CATEGORY (ids no block has: an LLM's document context ignores them)
        return found + [p for p in self.table_passages(doc.doc_id) if p.id != table.table_id]

    def table_passages(self, doc_id: str) -> list[Passage]:
        """The document's tables as passages (their header cells as text), read once per
        document while its units run, like its retrieval index."""
        with self._index_lock:
            if doc_id not in self._tables_of:
                self._tables_of[doc_id] = [
                    Passage(id=t.table_id, kind="table", table=t,
                            text=" | ".join(c.text for c in t.cells if c.header))
                    for t in (self.tables[tid] for tid in self.tables.keys_by.get(doc_id, []))]
                while len(self._tables_of) > _KEPT_INDEXES:
                    self._tables_of.popitem(last=False)
            self._tables_of.move_to_end(doc_id)
            return self._tables_of[doc_id]

    def _table_evidence(self, ev: EvidenceOut) -> Evidence:
        """A table cell cited as evidence: its table's id and first page (cells have no
        offsets in Document.text)."""
        table = self.tables.get(ev.block_id) if ev.block_id else None
        return Evidence(source="table", block_id=ev.block_id,
                        page=table.pages[0] if table is not None and table.pages else None,
                        text=ev.text, score=ev.score)

    def process(self, unit: Unit) -> UnitResult:
        judgment: Judgment = self.judgments[unit.id]
        table = self.tables[judgment.table_id]
        doc = self.docs[judgment.doc_id]
        result = UnitResult()
        for kw in self.review.keywords(table, judgment):
            item = f"{table.table_id}|{kw.keyword}"
            context = self.context(table, doc, kw.keyword)
            out = self.call_backend(result, item, self.backend.resolve, table, doc,
                                    KeywordOut(**kw.model_dump()), context)
            if out is None:
                continue
            evidence = [self._table_evidence(e) if e.source == "table" else locate(e, doc)
                        for e in out.evidence]
            grounded = [e for e in evidence if e.char_start is not None or e.source != "block"]
            if len(grounded) < len(evidence):  # a model may quote text the document lacks
                result.drop(item, "evidence_not_in_document",
                            f"{len(evidence) - len(grounded)} evidence text(s) not found in the "
                            f"document were left out", failure=False, counted=False)
            category = out.category
            if out.confidence < self.settings.min_confidence or not out.expansion:
                category = "unresolvable"
            res = Resolution(
                table_id=table.table_id, doc_id=doc.doc_id, keyword=kw.keyword, row=kw.row,
                column=kw.col, expansion=out.expansion if category != "unresolvable" else None,
                category=category, evidence=grounded,
                confidence=out.confidence, method=out.method,
                provenance=self.provenance(**self.backend.provenance("resolve")),
            )
            result.add("resolutions", res)
            result.stats[f"category.{category}"] += 1
        return result

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        cats = ("explicit", "inferable_document", "inferable_table", "unresolvable")
        return [", ".join(f"{c.get('category.' + k, 0)} {k}" for k in cats)]
