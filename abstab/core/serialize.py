"""One table serializer with named styles: how a reader, a judge or a question writer sees a
table (:func:`serialize`, styles in :data:`STYLES`).

- ``markdown``: caption, column names, body rows and the notes' text, the way most RAG
  pipelines see a table (the bench's table passages);
- ``marked``: compact Markdown whose header cells carry their ``(row,col)`` so a model can point
  at a header cell (:meth:`abstab.records.Judgment.check_against`), with ``stub=True`` the row
  labels of the first column too, then notes and nearby text;
- ``ids``: Markdown with row ids ``r0, r1…`` and column ids ``c0, c1…``, the ids a question
  writer uses to point at the cells its question is about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from abstab.core.normalize import squash
from abstab.errors import AbstabError
from abstab.records import Table


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text: str, limit: int) -> str:
    return _fit(squash(text), limit)


def _cell(text: str, limit: int) -> str:
    return _fit(squash(text).replace("|", "\\|"), limit)


def _markdown(table: Table, *, with_notes: bool = True) -> str:
    lines = [table.caption or ""] if table.caption else []
    header = table.columns or (table.header_rows[-1] if table.header_rows else [])
    if header:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
    lines.extend("| " + " | ".join(row) + " |" for row in table.rows)
    if with_notes:
        lines.extend(n.text for n in table.notes)
    return "\n".join(lines)


def _marked(table: Table, *, max_rows: int = 30, max_cell: int = 60,
            max_nearby: int = 600, stub: bool = False, max_note: int = 300) -> str:
    width = max([len(table.columns)] + [len(r) for r in table.header_rows]
                + [len(r) for r in table.rows] + [0])
    lines: list[str] = []
    if table.caption:
        lines.append(f"Caption: {_clip(table.caption, 300)}")
    if table.header_rows:
        for r, row in enumerate(table.header_rows):
            cells = [f"({r},{c}) {_cell(row[c], max_cell)}" if c < len(row) else f"({r},{c})"
                     for c in range(width)]
            lines.append("| " + " | ".join(cells) + " |")
            if r == 0:
                lines.append("|" + "---|" * width)
    else:
        lines.append("| " + " | ".join(f"col {c}" for c in range(width)) + " |"
                     + " (no header row)")
        lines.append("|" + "---|" * width)
    for i, row in enumerate(table.rows[:max_rows]):
        cells = [_cell(row[c], max_cell) if c < len(row) else "" for c in range(width)]
        if stub and cells and cells[0]:  # a row label a judge may point at (role "stub")
            cells[0] = f"({table.n_header_rows + i},0) {cells[0]}"
        lines.append("| " + " | ".join(cells) + " |")
    if len(table.rows) > max_rows:
        lines.append(f"({len(table.rows) - max_rows} more rows)")
    if table.notes:
        lines.append("Notes under the table:")
        for note in table.notes:
            marker = f"{note.marker} " if note.marker else ""
            lines.append(f"- [{note.kind}] {marker}{_clip(note.text, max_note)}")
    if table.nearby_text.strip():
        lines.append(f"Text near the table: {_clip(table.nearby_text, max_nearby)}")
    return "\n".join(lines)


def _ids(table: Table, *, key_col: int, columns: Sequence[int], max_rows: int = 40,
         max_cell: int = 60) -> str:
    width = max([len(table.columns)] + [len(r) for r in table.rows] + [0])
    names = [table.columns[c] if c < len(table.columns) else "" for c in range(width)]
    lines = []
    if table.caption:
        lines.append(f"Caption: {_cell(table.caption, max_cell)}")
    lines.append("| row | " + " | ".join(f"c{c}: {_cell(n, max_cell)}" for c, n in enumerate(names))
                 + " |")
    lines.append("|---|" + "---|" * width)
    for r, row in enumerate(table.rows[:max_rows]):
        lines.append(f"| r{r} | " + " | ".join(_cell(row[c], max_cell) if c < len(row) else ""
                                             for c in range(width)) + " |")
    if len(table.rows) > max_rows:
        lines.append(f"({len(table.rows) - max_rows} more rows not shown)")
    lines.append(f"Row labels are in column c{key_col}. Ask about columns: "
                 + ", ".join(f"c{c}" for c in columns) + ".")
    return "\n".join(lines)


STYLES: dict[str, Callable[..., str]] = {"markdown": _markdown, "marked": _marked, "ids": _ids}
"""The serialization styles by name; each takes the table and its style's keyword options."""


class UnknownTableStyle(AbstabError):
    """A table serialization style that is not in :data:`STYLES`."""


def serialize(table: Table, style: str = "markdown", **options: Any) -> str:
    """``table`` as text in ``style``.

    Args:
        table: the table.
        style: a key of :data:`STYLES`.
        **options: the style's options: ``markdown``: ``with_notes``; ``marked``:
            ``max_rows``, ``max_cell``, ``max_nearby``, ``stub`` (mark the first column's row
            labels), ``max_note`` (characters a note keeps); ``ids``: ``key_col``,
            ``columns`` (required), ``max_rows``, ``max_cell``.

    Raises:
        UnknownTableStyle: ``style`` is not a known style.
    """
    try:
        render = STYLES[style]
    except KeyError:
        raise UnknownTableStyle(f"table style {style!r} is unknown: use one of "
                                f"{', '.join(sorted(STYLES))}") from None
    return render(table, **options)
