"""Questions across several tables of one document: how each answer follows from its cells.

An item across tables lists their ids in ``QAItem.tables`` (``table_id`` is the first) and
names every evidence cell as ``[row, col, k]``: grid coordinates (header rows included) in its
``k``-th table. Its ``template`` says how the answer follows from those cells
(:data:`combiners`), so the controlled stage, assemble and ``abstab validate`` redo it on the
tables as they are, and a changed cell in either table is found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from abstab.core.normalize import parse_number, squash
from abstab.core.questions import cell_answer, format_number
from abstab.records import Answer, QAItem, Table
from abstab.registry import Registry


class MultiTableError(ValueError):
    """The cells do not give an answer the template can compute (the message says why)."""


@dataclass(frozen=True)
class EvidenceCell:
    """One evidence cell of an item across tables: its table and grid coordinates."""

    table: Table
    index: int  # position of the table in QAItem.tables
    row: int
    col: int

    @property
    def text(self) -> str:
        body = self.row - self.table.n_header_rows
        if not 0 <= body < len(self.table.rows) or self.col >= len(self.table.rows[body]):
            raise MultiTableError(f"cell [{self.row}, {self.col}] is outside table "
                                  f"{self.table.table_id}")
        return squash(self.table.rows[body][self.col])

    @property
    def label(self) -> str:
        """The row label (first column) of the cell's row."""
        return squash(self.table.rows[self.row - self.table.n_header_rows][0])

    def number(self) -> float:
        value = parse_number(self.text)
        if value is None:
            raise MultiTableError(f"cell [{self.row}, {self.col}] of table {self.table.table_id} "
                                  f"holds {self.text!r}, not a number")
        return value


Combiner = Callable[[list[EvidenceCell]], Answer]
combiners: Registry[Combiner] = Registry("two-table template")
"""How each two-table template's answer follows from its evidence cells, in their order."""


def number_answer(value: float, like: list[str]) -> Answer:
    """``value`` written as the operand cells ``like`` write numbers."""
    text = format_number(value, like)
    return Answer(text=text, value=parse_number(text), type="number",
                  unit="%" if text.endswith("%") else None)


def _need(cells: list[EvidenceCell], n: int, what: str) -> None:
    if len(cells) != n or len({c.index for c in cells}) != n and n > 1:
        raise MultiTableError(f"{what} needs {n} evidence cells in different tables, got "
                              f"{[[c.row, c.col, c.index] for c in cells]}")


def _join(cells: list[EvidenceCell]) -> Answer:
    """The key value's row in one table, the answer in the row of the same label in the other."""
    _need(cells, 2, "a join")
    key, answer = cells
    if key.label != answer.label:
        raise MultiTableError(f"the rows are not joined: row label {key.label!r} in table "
                              f"{key.table.table_id}, {answer.label!r} in {answer.table.table_id}")
    column = [squash(r[key.col]) for r in key.table.rows if key.col < len(r)]
    if column.count(key.text) != 1:
        raise MultiTableError(f"the key value {key.text!r} is in {column.count(key.text)} rows of "
                              f"table {key.table.table_id}, not one")
    return cell_answer(answer.text)


def _difference(cells: list[EvidenceCell]) -> Answer:
    _need(cells, 2, "a difference")
    a, b = cells
    return number_answer(a.number() - b.number(), [a.text, b.text])


def _sum(cells: list[EvidenceCell]) -> Answer:
    _need(cells, 2, "a sum")
    return number_answer(sum(c.number() for c in cells), [c.text for c in cells])


def _legend_lookup(cells: list[EvidenceCell]) -> Answer:
    _need(cells, 1, "a lookup")
    return cell_answer(cells[0].text)


combiners.add("two_table_join", _join, "the value of one table's row whose label is the "
              "row label of a key value in the other")
combiners.add("two_table_difference", _difference, "the first cell minus the second")
combiners.add("two_table_sum", _sum, "the two cells added")
combiners.add("two_table_legend_lookup", _legend_lookup, "a cell under a code the first "
              "table's legend defines")


def evidence_cells(item: QAItem, tables: Mapping[str, Table]) -> list[EvidenceCell]:
    """The item's evidence cells with their tables.

    Raises:
        MultiTableError: a table is unknown, or a cell is not ``[row, col, k]`` with ``k`` one
            of the item's tables.
    """
    known = []
    for tid in item.tables:
        table = tables.get(tid)
        if table is None:
            raise MultiTableError(f"unknown table {tid}")
        known.append(table)
    out = []
    for cell in item.evidence.cells:
        if len(cell) != 3 or not 0 <= cell[2] < len(known):
            raise MultiTableError(f"evidence cell {cell} is not [row, col, k] with k < "
                                  f"{len(known)} (its table in item.tables)")
        out.append(EvidenceCell(known[cell[2]], cell[2], cell[0], cell[1]))
    return out


def multi_table_problem(item: QAItem, tables: Mapping[str, Table]) -> str | None:
    """Why an item across tables is not grounded (None when it is): its tables exist, its
    answer is what its template computes from its evidence cells as the tables hold them now,
    and each code it asks about is a header over its answer's column, defined in the first
    table's legend."""
    if len(item.tables) < 2 or item.table_id != item.tables[0]:
        return f"tables {item.tables} must list two or more tables, table_id {item.table_id} first"
    if item.template not in combiners:
        return f"template {item.template!r} is not a two-table template ({', '.join(combiners)})"
    try:
        cells = evidence_cells(item, tables)
        computed = combiners.get(item.template)(cells)
    except MultiTableError as exc:
        return str(exc)
    if squash(computed.text) != squash(item.answer.text) or computed.value != item.answer.value:
        return (f"recomputed answer {computed.text!r} from the cells "
                + ", ".join(f"{c.text!r} (table {c.table.table_id} [{c.row}, {c.col}])"
                            for c in cells)
                + f" differs from {item.answer.text!r}")
    if item.keywords:
        last = cells[-1]
        first = tables[item.tables[0]]
        for link in item.keywords:
            header = [c.text for c in last.table.cells if c.header and c.col == link.column]
            if not any(link.abstract in h for h in header):
                return (f"code {link.abstract!r} is not a header of column {link.column} of "
                        f"table {last.table.table_id}")
            if not any(link.abstract in n.text and link.detailed in n.text for n in first.notes):
                return (f"the legend of table {first.table_id} does not define "
                        f"{link.abstract!r} as {link.detailed!r}")
    return None
