"""Is a QA item's gold answer where the item says it is? The check assemble and the release share."""

from __future__ import annotations

from collections.abc import Mapping

from abstab.core.multitable import multi_table_problem
from abstab.core.normalize import squash
from abstab.core.questions import QuestionError, execute
from abstab.records import Document, QAItem, Table


def _label_texts(table: Table) -> str:
    """The header cells and the first column's row labels: where a table shows its codes."""
    return " | ".join(c.text for c in table.cells if c.header or c.col == 0)


def grounding_problem(item: QAItem, tables: Mapping[str, Table],
                      docs: Mapping[str, Document]) -> str | None:
    """Why the item's gold answer is not where the item says it is (None when it is).

    Table items with an operation are recomputed from the table; text spans must be the
    document's text at their offsets; an abstract item's codes must be in its table's header or row labels.
    """
    doc = docs.get(item.doc_id)
    if doc is None:
        return f"unknown document {item.doc_id}"
    for span in item.evidence.spans:
        if doc.text[span.char_start:span.char_end] != span.text:
            return f"span {span.char_start}:{span.char_end} is not {span.text[:40]!r} in the document"
        if span.role == "answer" and item.answer.text not in squash(span.text):
            return "the answer span does not hold the answer"
    if item.answer_location == "unanswerable":
        return None if item.answer.type == "none" else "unanswerable item with an answer"
    if item.tables:
        return multi_table_problem(item, tables)
    if item.answer_location == "text":
        blocks = {b.block_id: b for b in doc.blocks}
        if not any(item.answer.text in squash(blocks[b].text) for b in item.evidence.blocks if b in blocks):
            return "answer not in its evidence blocks"
        return None
    table = tables.get(item.table_id or "")
    if table is None:
        return f"unknown table {item.table_id}"
    if item.answer_location in ("table_defined", "table_implicit"):
        labels = _label_texts(table)
        missing = [k.abstract for k in item.keywords if k.abstract not in labels]
        if missing:
            return f"abstract header(s) {missing} not in the table's header or row labels"
    if item.operation is not None:
        try:
            computed = execute(item.operation, table)
        except QuestionError as exc:
            return f"the operation no longer applies: {exc}"
        if computed.answer.text != item.answer.text or computed.answer.value != item.answer.value:
            return f"recomputed answer {computed.answer.text!r} differs from {item.answer.text!r}"
        if computed.cells != item.evidence.cells:
            return f"recomputed evidence cells {computed.cells} differ from {item.evidence.cells}"
        return None
    for r, c in item.evidence.cells:
        body = r - table.n_header_rows
        if 0 <= body < len(table.rows) and c < len(table.rows[body]) and \
                squash(table.rows[body][c]) == item.answer.text:
            return None
    return "answer not in its evidence cell"
