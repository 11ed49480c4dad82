"""What there is to review in a workspace, read through the stages' record files.

Review finds each input by record kind (:data:`SOURCES`), in whichever stage folder produced it
(:func:`abstab.store.producer`), as every stage does. A unit is one thing a person decides: a table, a header cell, a header's meaning,
an item. Its *proposal* is what the machine said about it, as plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from abstab.errors import ConfigError
from abstab.jsonl import RecordIndex
from abstab.records import (
    Document,
    Judgment,
    QAItem,
    Resolution,
    SafeId,
    Table,
    split_cell_unit,
)
from abstab.store import RECORD_KINDS, producer

# Where review reads each of its inputs: record kinds (abstab.store.RECORD_KINDS), found in
# whichever stage folder produced them; the first kind the workspace holds wins. Items and table
# variants: the assembled ones, else the generated ones.
SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "documents": ("documents",),
    "tables": ("tables",),
    "judgments": ("judgments",),
    "resolutions": ("resolutions",),
    "items": ("dataset_items", "items"),
    # Items the dataset left out (a person dropped them, their table was rejected) are still
    # the units people decided on: looked up among the candidates.
    "candidates": ("items",),
    "variants": ("dataset_tables", "derived_tables"),
}

UNITS: Final = ("table", "header", "meaning", "item")


def cell_id(table_id: str, row: int, col: int) -> str:
    """The id of a header or meaning unit."""
    return f"{table_id}#{row},{col}"


def _source(work: Path, what: str) -> Path | None:
    """The records file of the first of ``what``'s kinds that a stage of ``work`` produced."""
    for kind in SOURCES[what]:
        sd = producer(work, kind)
        if sd is not None:
            path = sd.path / f"{RECORD_KINDS[kind].file}.jsonl"
            if path.exists():
                return path
    return None


def _index(work: Path, what: str, record: type[Any], key: str, **kwargs: Any) -> RecordIndex:
    # No stage produced them: no records (an empty index).
    return RecordIndex(_source(work, what), record, key, **kwargs)


@dataclass(frozen=True)
class TableSummary:
    """One table as the queue lists it."""

    table_id: str
    doc_id: str
    label: str | None
    confidence: float
    n_abstract: int


class ReviewWorkspace:
    """The records of ``work`` a review shows, looked up by unit.

    Tables, documents and items are indexed by byte offset and parsed (and validated) when a
    table is shown; judgments and resolutions (small) are held.
    """

    def __init__(self, work: Path):
        self.work = Path(work)
        if _source(self.work, "tables") is None:
            raise _no_tables(self.work)
        self.tables = _lazy_index(self.work, "tables", Table, _TableKey, "table_id", by="doc_id")
        self.documents = _index(self.work, "documents", Document, "doc_id", cache=8)
        self.judgments: dict[str, Judgment] = dict(
            _index(self.work, "judgments", Judgment, "table_id").items())
        self.resolutions: dict[str, list[Resolution]] = dict(
            _index(self.work, "resolutions", Resolution, "table_id", group=True).items())
        self.source_of = _derived_from(_source(self.work, "variants"))
        later: dict[str, list[str]] = {}  # an item across tables is listed under each

        def note_tables(key: _ItemKey) -> bool:
            for tid in key.tables[1:]:
                later.setdefault(tid, []).append(key.item_id)
            return True

        self.items = _lazy_index(self.work, "items", QAItem, _ItemKey, "item_id", by="table_id",
                                 keep=note_tables)
        self._candidates: RecordIndex | None = None
        self.items_by_table: dict[str, list[str]] = {}
        for tid, iids in [*self.items.keys_by.items(), *later.items()]:
            if tid is not None:
                source = self.source_of.get(tid, tid)
                self.items_by_table.setdefault(source, []).extend(iids)
        self.doc_order = list(self.tables.keys_by)

    def resolutions_at(self, table_id: str) -> dict[tuple[int, int], Resolution]:
        """A table's resolutions by the top-left slot of their header cell; one meaning per
        cell (the first resolution of the cell)."""
        table = self.tables.get(table_id)
        out: dict[tuple[int, int], Resolution] = {}
        for r in self.resolutions.get(table_id, []):
            cell = table.label_cell(r.row, r.column) if table is not None else None
            out.setdefault((cell.row, cell.col) if cell is not None else (r.row, r.column), r)
        return out

    # -- the queue --------------------------------------------------------------------

    def summaries(self) -> list[TableSummary]:
        """Every table in document order, with what the queue sorts and filters on."""
        out = []
        for doc_id in self.doc_order:
            for tid in self.tables.keys_by[doc_id]:
                j = self.judgments.get(tid)
                confidences = [j.confidence] if j else []
                confidences += [r.confidence for r in self.resolutions.get(tid, [])]
                # cells the judge flagged, counted without parsing the table
                flagged = {(k.row, k.col) for k in j.keywords} if j and j.label != "not_table" \
                    else set()
                out.append(TableSummary(tid, doc_id, j.label if j else None,
                                        min(confidences, default=0.0), len(flagged)))
        return out

    def abstract_cells(self, table_id: str) -> dict[tuple[int, int], Any]:
        """The judge's abstract header cells of a table, by top-left slot, with their keyword."""
        j = self.judgments.get(table_id)
        if j is None or j.label == "not_table":
            return {}
        table = self.tables[table_id]
        out: dict[tuple[int, int], Any] = {}
        for k in j.keywords:
            cell = table.label_cell(k.row, k.col)
            if cell is not None:
                out.setdefault((cell.row, cell.col), k)
        return out

    # -- proposals --------------------------------------------------------------------

    def table_proposal(self, table_id: str) -> dict[str, Any]:
        table, j = self.tables[table_id], self.judgments.get(table_id)
        return {"doc_id": table.doc_id, "pages": table.pages, "caption": table.caption,
                "label": j.label if j else None, "confidence": j.confidence if j else None,
                **_made_by(j)}

    def label_cells(self, table_id: str) -> list[Any]:
        """The cells header units are about: header cells, and row labels the judge flagged."""
        table, judged = self.tables[table_id], self.abstract_cells(table_id)
        return [c for c in table.cells if c.header or (c.row, c.col) in judged]

    def header_proposals(self, table_id: str) -> dict[str, dict[str, Any]]:
        """Every header cell of the table (also those the judge did not flag) and every row
        label the judge flagged (a ``stub`` keyword), by unit id."""
        judged = self.abstract_cells(table_id)
        out = {}
        for c in self.label_cells(table_id):
            k = judged.get((c.row, c.col))
            out[cell_id(table_id, c.row, c.col)] = {
                "text": c.text, "abstract": k is not None,
                "keyword": k.keyword if k else None, "style": k.style if k else None,
                "score": k.score if k else None, **_made_by(self.judgments.get(table_id))}
        return out

    def meaning_proposals(self, table_id: str) -> dict[str, dict[str, Any]]:
        out = {}
        for (row, col), r in sorted(self.resolutions_at(table_id).items()):
            out[cell_id(table_id, row, col)] = {
                "keyword": r.keyword, "meaning": r.expansion, "category": r.category,
                "confidence": r.confidence, "method": r.method,
                "evidence": [{"text": e.text, "page": e.page} for e in r.evidence],
                **_made_by(r)}
        return out

    def item(self, item_id: str) -> QAItem | None:
        """An item of the dataset, else a candidate the dataset left out (None: neither)."""
        if item_id in self.items:
            return self.items[item_id]  # type: ignore[no-any-return]
        if self._candidates is None:
            self._candidates = _lazy_index(self.work, "candidates", QAItem, _ItemKey, "item_id")
        return self._candidates.get(item_id)

    def item_proposals(self, table_id: str) -> dict[str, dict[str, Any]]:
        return {iid: _item_proposal(self.items[iid])
                for iid in self.items_by_table.get(table_id, [])}

    def units(self, table_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(unit, id, proposal) of every unit of one table, table first."""
        yield "table", table_id, self.table_proposal(table_id)
        for kind, proposals in (("header", self.header_proposals(table_id)),
                                ("meaning", self.meaning_proposals(table_id)),
                                ("item", self.item_proposals(table_id))):
            for uid, proposal in proposals.items():
                yield kind, uid, proposal

    def all_units(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for s in self.summaries():
            yield from self.units(s.table_id)

    def proposal(self, unit: str, uid: str) -> dict[str, Any] | None:
        """The machine's proposal for a unit; None when the unit has none (a meaning for a
        header the judge missed). Raises KeyError for a unit that is not in the workspace."""
        if unit == "table":
            if uid not in self.tables:
                raise KeyError(uid)
            return self.table_proposal(uid)
        if unit == "item":
            item = self.item(uid)
            if item is None or item.table_id is None:
                raise KeyError(uid)
            return _item_proposal(item)
        where = split_cell_unit(uid)
        if where is None or where[0] not in self.tables:
            raise KeyError(uid)
        tid, row, col = where
        cell = self.tables[tid].label_cell(row, col)
        if cell is None or (cell.row, cell.col) != (row, col):
            raise KeyError(uid)
        if unit == "header":
            return self.header_proposals(tid)[uid]
        return self.meaning_proposals(tid).get(uid)

    def table_of(self, unit: str, uid: str) -> str:
        """The (document) table a unit belongs to."""
        if unit == "table":
            return uid
        if unit == "item":
            item = self.item(uid)
            assert item is not None and item.table_id is not None  # proposal() checked both
            return self.source_of.get(item.table_id, item.table_id)
        where = split_cell_unit(uid)
        assert where is not None
        return where[0]


class _TableKey(BaseModel):
    table_id: SafeId
    doc_id: SafeId


class _ItemKey(BaseModel):
    item_id: SafeId
    table_id: SafeId | None
    tables: list[SafeId] = []


def _lazy_index(work: Path, kind: str, record: type[Any], keys: type[BaseModel], key: str,
                **kwargs: Any) -> RecordIndex:
    """An index whose scan checks only the ids (``keys``); a record is validated whole as
    ``record`` when it is looked up. Validating every table up front costs about 4 ms per table
    (their cells against their views): a minute for 5,000 tables before the first is shown."""
    index = _index(work, kind, keys, key, **kwargs)
    index.kind = record
    return index


def _derived_from(path: Path | None) -> dict[str, str]:
    """Table variant → the document table it was made from. Only these two ids are read (a
    variant is validated by the stage that wrote it, and parsing every variant would cost
    seconds per thousand); a line without them is skipped."""
    out: dict[str, str] = {}
    if path is None:
        return out
    with path.open("rb") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("table_id"), str) and \
                    isinstance(row.get("derived_from"), str):
                out[row["table_id"]] = row["derived_from"]
    return out


def _item_proposal(item: QAItem) -> dict[str, Any]:
    across = {"tables": item.tables} if item.tables else {}  # cells are then [row, col, k]
    return {"table_id": item.table_id, "question": item.question, "answer": item.answer.text,
            "answer_location": item.answer_location, "origin": item.origin,
            "cells": item.evidence.cells, **across, **_made_by(item)}


def _made_by(record: Any) -> dict[str, Any]:
    prov = getattr(record, "provenance", None)
    return {"backend": prov.backend if prov else None, "model": prov.model if prov else None}


def _no_tables(work: Path) -> ConfigError:
    return ConfigError(f"{work} holds no tables to review (no finished stage there produced "
                       f"tables): run `abstab extract PDFS -o {work}` (or `abstab synth`) first")
