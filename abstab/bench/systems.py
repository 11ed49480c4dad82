"""Systems under test: each decides what context a reader gets for an item.

The reader (a backend's ``answer``) is the same for every system, so differences between
systems are differences of context: the table alone, retrieved passages, the table with
header meanings retrieved from the text, the gold meanings, or nothing.

Over a parser's tables (``--tables-from``, :mod:`abstab.bench.parsed`) an item's tables are
the parsed tables on its gold table's pages (:meth:`Corpus.item_tables`): the table system
reads them all, and the oracle writes the gold meanings into every header cell or row label
(first column: parsers rarely mark row headers) showing the code, found by content, not by
the gold table's coordinates.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from abstab.core.abstract import relabel
from abstab.core.headers import classify
from abstab.core.serialize import serialize
from abstab.llm.tasks import Passage
from abstab.records import TEXT_KINDS, Cell, Document, KeywordLink, QAItem, Table
from abstab.retrieval import PassageIndex

if TYPE_CHECKING:
    from abstab.bench.parsed import ParsedTables


def table_passage(table: Table, with_notes: bool = True) -> Passage:
    t = table if with_notes else table.model_copy(update={"notes": []})
    return Passage(id=table.table_id, kind="table", text=serialize(t, "markdown", with_notes=with_notes), table=t)


class Corpus:
    """Documents and tables of a workspace, with per-document retrieval indexes built lazily.

    Args:
        retriever: ``bm25``, ``dense`` or ``hybrid`` (:data:`abstab.retrieval.rankers`).
        cache: where dense vectors are kept between runs (the workspace's ``index/``).
        parsed: when the tables are a parser's (``--tables-from``), where each gold table was.
    """

    def __init__(self, docs: dict[str, Document], tables: dict[str, Table],
                 retriever: str = "bm25", cache: Path | None = None,
                 parsed: ParsedTables | None = None):
        self.docs = docs
        self.tables = tables
        self.retriever = retriever
        self.cache = cache
        self.parsed = parsed
        self._indexes: dict[tuple[str, str | None], tuple[PassageIndex, dict[str, Passage]]] = {}

    @cached_property
    def tables_by_doc(self) -> dict[str, list[Table]]:
        out: dict[str, list[Table]] = {}
        for t in self.tables.values():
            if t.derived_from is None:
                out.setdefault(t.doc_id, []).append(t)
        return out

    def item_table(self, item: QAItem) -> Table | None:
        """The gold table of the item (None over parsed tables: they have other ids)."""
        return self.tables.get(item.table_id) if item.table_id else None

    def item_tables(self, item: QAItem) -> list[Table]:
        """The tables the item is about: its table (all of them for a question across tables,
        ``QAItem.tables``), or over parsed tables those on the gold tables' pages (the
        document's when none is there)."""
        ids = item.tables or ([item.table_id] if item.table_id else [])
        if self.parsed is not None:
            out: list[Table] = []
            for tid in ids:
                out += [t for t in self.parsed.for_item(item.doc_id, tid) if t not in out]
            return out
        return [self.tables[t] for t in ids if t in self.tables]

    def doc_passages(self, doc_id: str, swap: Table | None) -> list[Passage]:
        """Text blocks and tables of a document; ``swap`` replaces the table it derives from."""
        doc = self.docs[doc_id]
        out = [Passage(id=b.block_id, kind="text", text=b.text)
               for b in doc.blocks if b.kind in TEXT_KINDS]
        for t in self.tables_by_doc.get(doc_id, []):
            if swap is not None and swap.derived_from == t.table_id:
                t = swap
            out.append(table_passage(t))
        return out

    def search(self, doc_id: str, query: str, k: int, swap: Table | None = None,
               kinds: tuple[str, ...] = ("text", "table")) -> list[Passage]:
        """Top-k passages of one document, best first, each with its retrieval score."""
        key = (doc_id, swap.table_id if swap is not None and swap.derived_from else None)
        if key not in self._indexes:
            passages = self.doc_passages(doc_id, swap)
            index = PassageIndex([(p.id, p.text) for p in passages], self.retriever, self.cache)
            self._indexes[key] = (index, {p.id: p for p in passages})
        index, by_id = self._indexes[key]
        allowed = {pid for pid, p in by_id.items() if p.kind in kinds}
        return [by_id[pid].model_copy(update={"score": score})
                for pid, score in index.search(query, k, allowed)]


class System:
    """Builds the context for one item."""

    name: str = ""

    def __init__(self, corpus: Corpus, k: int = 5):
        self.corpus = corpus
        self.k = k

    def passages(self, item: QAItem) -> list[Passage]:
        raise NotImplementedError


class TableSystem(System):
    def passages(self, item: QAItem) -> list[Passage]:
        tables = self.corpus.item_tables(item) or self.corpus.tables_by_doc.get(item.doc_id, [])
        return [table_passage(t, with_notes=False) for t in tables]


class RagSystem(System):
    def passages(self, item: QAItem) -> list[Passage]:
        return self.corpus.search(item.doc_id, item.question, self.k,
                                  swap=self.corpus.item_table(item))


class HybridSystem(System):
    def passages(self, item: QAItem) -> list[Passage]:
        tables = self.corpus.item_tables(item)
        if not tables:
            return RagSystem(self.corpus, self.k).passages(item)
        out = [table_passage(t) for t in tables]
        seen_ids = {p.id for p in out}
        keywords = {classify(c.text).keyword for t in tables for c in t.cells
                    if c.header and classify(c.text).style != "natural"}
        for kw in sorted(keywords):
            # The header itself may be one letter (dropped by the tokenizer): ask with the
            # question too, so the sentence defining the question's term comes up.
            for p in self.corpus.search(item.doc_id, f"{kw} {item.question}", 2, kinds=("text",)):
                if p.id not in seen_ids:
                    seen_ids.add(p.id)
                    out.append(p)
        return out


class OracleSystem(System):
    def passages(self, item: QAItem) -> list[Passage]:
        tables = self.corpus.item_tables(item)
        if item.table_id is None or (not tables and self.corpus.parsed is None):
            doc = self.corpus.docs[item.doc_id]
            blocks = {b.block_id: b for b in doc.blocks}
            return [Passage(id=b, kind="text", text=blocks[b].text)
                    for b in item.evidence.blocks if b in blocks]
        gold = self.corpus.parsed is None
        out = []
        for table in tables:
            changes = {}
            labels = set()
            for link in item.keywords:
                for cell in table.cells:
                    # Row labels are not headers: a code in one (a stub link, column 0) is found
                    # as a whole word, as over parsed tables, whose first column's cells are
                    # row labels too.
                    label = not cell.header and cell.col == 0 and (not gold or link.column == 0)
                    if (cell.header or label) and _shows(cell, link, gold and cell.header):
                        changes[(cell.row, cell.col)] = (link.abstract, link.detailed)
                        if not cell.header:
                            labels.add((cell.row, cell.col))
            if labels:
                table = table.model_copy(update={"cells": [
                    c.model_copy(update={"header": True}) if (c.row, c.col) in labels else c
                    for c in table.cells]})
            if changes:
                table = relabel(table, changes, table.table_id, table.provenance)
            out.append(table_passage(table, with_notes=False))
        return out


def _shows(cell: Cell, link: KeywordLink, gold: bool) -> bool:
    """Whether header ``cell`` shows the code of ``link``: on a gold table, the cell holding it
    over the link's column; on a parsed table, whose columns may differ, a cell holding the
    code as a whole word (so code ``A`` is not found in ``Area``)."""
    if gold:
        return link.abstract in cell.text and (
            link.column is None or cell.col <= link.column < cell.col + cell.col_span)
    return re.search(rf"(?<!\w){re.escape(link.abstract)}(?!\w)", cell.text) is not None


class ClosedBookSystem(System):
    def passages(self, item: QAItem) -> list[Passage]:
        return []
