"""What the review's decisions change in the stages' work (issue 18, point 4).

A person's decisions (:mod:`abstab.decisions`) are applied where the records are used, not by
rewriting the machine's records: judgments and resolutions stay what the judge and the resolver
said (``abstab review --report`` scores them against the decisions).

- a header cell marked abstract (``edit`` true, or ``reject`` of "not abstract") is a keyword of
  its table: resolve resolves it and generate asks about it; one marked not abstract loses its
  keyword (:meth:`Review.keywords`);
- a meaning rewritten (``edit``) replaces the resolver's for that header, with the category
  given and no evidence; a meaning rejected makes the header unresolved
  (:meth:`Review.resolution`);
- a table rejected (not a table, extracted wrong) loses its items, and an item rejected goes;
  assemble drops them (``rejected_in_review``, ``dropped_in_review``) and marks what a person
  checked behind each kept item (:attr:`abstab.records.QAItem.reviewed`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from abstab.core.headers import classify, core_text
from abstab.records import (
    Decision,
    HeaderKeyword,
    Judgment,
    MeaningValue,
    Provenance,
    Resolution,
    Table,
    split_cell_unit,
)

Slot = tuple[int, int]
REVIEW_METHOD = "review"
"""``Resolution.method`` of a meaning a person wrote."""


class Review:
    """The standing decisions of a workspace, by table."""

    def __init__(self, decisions: Mapping[tuple[str, str], Decision]):
        self.decisions = decisions
        self.headers: dict[str, dict[Slot, bool]] = defaultdict(dict)
        self.meanings: dict[str, dict[Slot, tuple[MeaningValue, str]]] = defaultdict(dict)
        self.rejected_tables: set[str] = set()
        self.dropped_items: set[str] = set()
        # (table id or item id) → the units a person decided on it, for QAItem.reviewed
        self.checked: dict[str, set[str]] = defaultdict(set)
        for (unit, uid), d in sorted(decisions.items()):
            if unit in ("table", "item"):
                self.checked[uid].add(unit)
                if d.decision == "reject":
                    (self.rejected_tables if unit == "table" else self.dropped_items).add(uid)
                continue
            where = split_cell_unit(uid)
            if where is None:
                continue
            tid, row, col = where
            self.checked[tid].add(unit)
            if unit == "header" and d.decision in ("edit", "reject"):
                said = bool((d.proposal or {}).get("abstract"))
                self.headers[tid][row, col] = bool(d.value) if d.decision == "edit" else not said
            elif unit == "meaning" and d.decision == "edit":
                assert isinstance(d.value, MeaningValue)
                self.meanings[tid][row, col] = (d.value, d.reviewer)
            elif unit == "meaning" and d.decision == "reject":
                self.meanings[tid][row, col] = (
                    MeaningValue(meaning=None, category="unresolvable"), d.reviewer)

    # -- what a unit's output depends on ---------------------------------------------------

    def header_calls(self, table_id: str) -> dict[str, bool]:
        """The header cells of a table a person called abstract or not, as JSON."""
        return {f"{r},{c}": v for (r, c), v in sorted(self.headers.get(table_id, {}).items())}

    def meaning_values(self, table_id: str) -> dict[str, Any]:
        """The meanings a person set for a table's headers, as JSON."""
        return {f"{r},{c}": v.model_dump() for (r, c), (v, _) in
                sorted(self.meanings.get(table_id, {}).items())}

    def marked_abstract(self) -> set[str]:
        """Tables with a header cell a person marked abstract."""
        return {tid for tid, calls in self.headers.items() if any(calls.values())}

    # -- applying them --------------------------------------------------------------------

    def keywords(self, table: Table, judgment: Judgment | None) -> list[HeaderKeyword]:
        """The table's abstract headers: the judge's, less the cells a person marked not
        abstract, plus those a person marked abstract (their keyword and style read from the
        cell as the rules judge reads them)."""
        calls = self.headers.get(table.table_id, {})
        machine = judgment.keywords if judgment is not None and judgment.label != "not_table" \
            else []
        out, covered = [], set()
        for k in machine:
            cell = table.label_cell(k.row, k.col)
            slot = (cell.row, cell.col) if cell is not None else (k.row, k.col)
            if calls.get(slot, True):
                out.append(k)
                covered.add(slot)
        for (row, col), abstract in sorted(calls.items()):
            cell = table.label_cell(row, col)
            if not abstract or (row, col) in covered or cell is None:
                continue
            feats = classify(cell.text)
            keyword = feats.keyword if feats.keyword and feats.keyword in cell.text \
                else core_text(cell.text) or cell.text.strip()
            style = feats.style if feats.style != "natural" else "acronym"
            out.append(HeaderKeyword(keyword=keyword, row=cell.row, col=cell.col, style=style,
                                     score=1.0, role="header" if cell.header else "stub"))
        return out

    def resolution(self, table: Table, keyword: HeaderKeyword,
                   machine: Resolution | None) -> Resolution | None:
        """The header's meaning: the one a person set, else the resolver's."""
        cell = table.label_cell(keyword.row, keyword.col)
        slot = (cell.row, cell.col) if cell is not None else (keyword.row, keyword.col)
        set_by = self.meanings.get(table.table_id, {}).get(slot)
        if set_by is None:
            return machine
        value, reviewer = set_by
        return Resolution(
            table_id=table.table_id, doc_id=table.doc_id, keyword=keyword.keyword,
            row=keyword.row, column=keyword.col, expansion=value.meaning,
            category=value.category, evidence=[], confidence=1.0, method=REVIEW_METHOD,
            provenance=Provenance(stage="review", abstab_version="", config_hash="",
                                  backend="review", model=reviewer))

    def reviewed(self, item_id: str, table_id: str | None,
                 keyword_columns: Iterable[int], table: Table | None) -> list[str]:
        """The review units a person decided behind an item: the item itself, its table, the
        headers and meanings of its keywords' columns (in :data:`abstab.records.REVIEW_UNITS`
        order)."""
        found = set(self.checked.get(item_id, set()) & {"item"})
        if table_id is not None:
            found |= self.checked.get(table_id, set()) & {"table"}
            cols = set(keyword_columns)
            if table is not None and cols:
                for (unit, uid) in self.decisions:
                    where = split_cell_unit(uid) if unit in ("header", "meaning") else None
                    if where is None or where[0] != table_id:
                        continue
                    cell = table.label_cell(where[1], where[2])
                    span = range(cell.col, cell.col + cell.col_span) if cell else [where[2]]
                    if cols & set(span):
                        found.add(unit)
        return [u for u in ("table", "header", "meaning", "item") if u in found]
