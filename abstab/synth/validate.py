"""Re-check a QA item's evidence against its document and table: the answer is where the item
says it is, and the header's explanation is what the item's abstraction says it is.

Used by the controlled stage on every item made from an external dataset, and usable on any
item that carries text spans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from abstab.core.multitable import multi_table_problem
from abstab.core.normalize import squash
from abstab.records import Document, KeywordLink, QAItem, Table
from abstab.synth.clues import IMPLIED_KINDS, ClueTable, clue_problem


def _code_cell(table: Table, code: str, column: int | None) -> tuple[int, int] | None:
    for c in table.cells:
        if c.header and code in c.text and (column is None or c.col == column):
            return c.row, c.col
    return None


def _same_sentence(text: str, code: str, meaning: str) -> bool:
    """Does one sentence (or line) name the code (as a whole word) and its meaning?"""
    word = re.compile(rf"(?<!\w){re.escape(code)}(?!\w)")
    return any(word.search(s) and meaning.lower() in s.lower()
               for s in re.split(r"(?<=[.!?])\s+|\n+", text))


def _defined(text: str, table: Table | None, link: KeywordLink) -> str | None:
    """Why an item whose keyword is ``unresolvable`` is wrong: the document defines the code."""
    if _same_sentence(text, link.abstract, link.detailed) or any(
            link.detailed in n.text for n in (table.notes if table else [])):
        return f"the document defines {link.abstract!r} although the item says it does not"
    return None


def implied_problem(kind: str, table: Table, link: KeywordLink, clues: list[str]) -> str | None:
    """Why an implied keyword's clue does not single out its header, re-derived from the table
    and the clue text alone (see :mod:`abstab.synth.clues`); None when one clue does."""
    if not clues:
        return f"no clue span explains {link.abstract!r}"
    grid = [*table.header_rows, *table.rows]
    t = ClueTable.from_record(grid, table.n_header_rows, link.abstract, link.column, link.detailed)
    problems = [clue_problem(kind, t, c, link.abstract) for c in clues]
    return None if None in problems else problems[0]


def implied_item_problem(item: QAItem, doc: Document, table: Table | None) -> str | None:
    """Why an item whose code is only implied (``explained_by`` one of
    :data:`abstab.synth.clues.IMPLIED_KINDS`) has no clue singling out its header, re-derived
    from the table and the document's text at the item's clue spans; None when it has one (or
    is no implied item)."""
    kind = item.abstraction.explained_by
    if kind not in IMPLIED_KINDS or table is None:
        return None
    clues = [doc.text[s.char_start:s.char_end] for s in item.evidence.spans if s.role == "clue"]
    return next((p for p in (implied_problem(kind, table, link, clues) for link in item.keywords)
                 if p), None)


def evidence_problem(item: QAItem, doc: Document, table: Table | None,
                     tables: Mapping[str, Table] | None = None) -> str | None:
    """Why the item's evidence does not hold (None when it does); an item across tables
    (``item.tables``) is checked against ``tables`` (every table by id)."""
    text = doc.text
    blocks = {b.block_id: b for b in doc.blocks}
    for sp in item.evidence.spans:
        if text[sp.char_start:sp.char_end] != sp.text:
            return f"{sp.role} span [{sp.char_start}:{sp.char_end}] is not {sp.text!r} in the text"
        b = blocks.get(sp.block_id or "")
        if sp.block_id and (b is None or not b.char_start <= sp.char_start <= sp.char_end
                            <= b.char_end):
            return f"{sp.role} span lies outside its block {sp.block_id}"
    if item.tables:
        return multi_table_problem(item, tables or {})
    loc = item.answer_location
    if loc == "text":
        if not any(sp.role == "answer" and item.answer.text and item.answer.text in squash(sp.text)
                   for sp in item.evidence.spans):
            return "no answer span holds the answer"
        return None
    if loc == "unanswerable":
        if item.answer.type != "none" or item.answer.text:
            return "an unanswerable item has an answer"
        return next((p for p in (_defined(text, table, k) for k in item.keywords) if p), None)
    if table is None:
        return f"unknown table {item.table_id}"
    hit = False
    for r, c in item.evidence.cells:
        body = r - table.n_header_rows
        if 0 <= body < len(table.rows) and c < len(table.rows[body]) and \
                squash(table.rows[body][c]) == item.answer.text:
            hit = True
    if not hit:
        return "answer not in its evidence cell"
    for link in item.keywords:
        cell = _code_cell(table, link.abstract, link.column)
        if cell is None:
            return f"code {link.abstract!r} is not a header of column {link.column}"
        code_text = next(c.text for c in table.cells if (c.row, c.col) == cell)
        if link.detailed in code_text:
            return f"the header {code_text!r} still shows the meaning {link.detailed!r}"
        if link.category == "unresolvable":  # a removed legend: nothing may explain the code
            problem = _defined(text, table, link)
            if problem:
                return problem
        elif loc == "table_defined":
            spans = [sp.text for sp in item.evidence.spans if sp.role == "definition"]
            if not any(link.abstract in s and link.detailed.lower() in s.lower() for s in spans):
                return f"no definition span states {link.abstract!r} = {link.detailed!r}"
        elif loc == "table_implicit":
            clues = [sp.text for sp in item.evidence.spans if sp.role == "clue"]
            kind = item.abstraction.explained_by or "value_mention"
            problem = implied_problem(kind, table, link, clues)
            if problem:
                return problem
            if _same_sentence(text, link.abstract, link.detailed):
                return f"the text states {link.abstract!r} next to {link.detailed!r}: explicit"
    return None
