"""Controlled abstraction: turn a clear header into a code, acronym, clipped name or symbol.

Gold by construction: the original header is the meaning. Deterministic (no randomness: the
choice depends only on the header text and a seed string).

Both controlled paths use this module and nothing else for what abstraction means: the report
pipeline's ``generate`` stage (clear tables of the documents) and the dataset pipeline's
``ingest`` stage (:mod:`abstab.synth`, WTQ and TAT-QA tables). It holds the styles
(:data:`ABSTRACTORS`, :func:`code_for`), the legends and what follows from each
(:data:`LEGENDS`: the item's ``answer_location`` and the keyword's resolution category,
:func:`keyword_link`), the report path's seeded choice of column and legend per style
(:func:`controlled_choices`) and the relabelled table (:func:`abstract_column`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from abstab.core.headers import core_text
from abstab.core.seeded import seeded_int
from abstab.records import AnswerLocation, KeywordLink, Note, ResolutionCategory, Table, column_rule

_STOP = {"of", "and", "the", "in", "for", "per", "to", "on", "at", "by", "a", "an"}
# Greek letters with no conventional meaning in reports (not Δ, Σ, μ, σ: those say "change",
# "total", "mean"), so a symbol code never hints at a meaning it does not have.
_SYMBOLS = ("κ", "ξ", "ψ", "Ω", "φ", "η", "ζ", "χ")


def _pick(seq: tuple[str, ...] | list[str], key: str) -> str:
    return seq[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(seq)]


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+", text) if w.lower() not in _STOP]


def letter_code(header: str, col: int) -> str:
    return chr(ord("A") + (col - 1) % 26) + (str((col - 1) // 26 + 1) if col > 26 else "")


def acronym(header: str, col: int) -> str:
    words = _words(header)
    if len(words) >= 2:
        return "".join(w[0] for w in words).upper()
    word = words[0] if words else f"C{col}"
    consonants = [c for c in word[1:] if c.lower() not in "aeiou"]
    return (word[0] + "".join(consonants[:2])).upper()


# Abbreviations report writers use for common words (standard English forms, e.g. style
# guides' lists); other words are clipped after their first syllable ("discharge" → "disch.").
_STANDARD_ABBREVIATIONS = {
    "average": "Avg.", "number": "No.", "percent": "Pct.", "percentage": "Pct.",
    "maximum": "Max.", "minimum": "Min.", "temperature": "Temp.", "approximately": "Approx.",
    "government": "Govt.", "department": "Dept.", "quantity": "Qty.", "amount": "Amt.",
    "year": "Yr.", "estimated": "Est.", "standard": "Std.", "population": "Pop.",
    "international": "Intl.", "national": "Natl.", "total": "Tot.", "reference": "Ref.",
}
_VOWELS = set("aeiouyAEIOUY")


def _clip(word: str) -> str:
    """A word clipped after its first syllable and the consonants that follow it."""
    known = _STANDARD_ABBREVIATIONS.get(word.lower())
    if known:
        return known if word[:1].isupper() else known.lower()
    if len(word) <= 4:
        return word
    i = 1
    while i < len(word) and word[i] not in _VOWELS:  # onset
        i += 1
    while i < len(word) and word[i] in _VOWELS:  # first vowel(s)
        i += 1
    while i < len(word) and word[i] not in _VOWELS:  # the consonants after it
        i += 1
    cut = word[:i]
    if len(cut) >= len(word) - 1:  # nothing worth clipping ("staff")
        return word
    return cut + "."


def shortened(header: str, col: int) -> str:
    words = _words(header) or [header]
    out = [_clip(w) for w in words]
    if out == words:  # only short words: clip the longest one harder ("Plan" → "Pl.")
        i = max(range(len(words)), key=lambda j: len(words[j]))
        out[i] = words[i][:max(1, min(2, len(words[i]) - 1))] + "."
    return " ".join(out)


def symbol(header: str, col: int) -> str:
    """A Greek letter with the header words' initials as its subscript (``ξns``; renderers
    that can show subscripts draw the initials lowered)."""
    initials = "".join(w[0] for w in _words(header)).lower()[:3]
    return _pick(_SYMBOLS, header) + initials


SYMBOL_SUBSCRIPT = re.compile(r"^(?P<base>[^\W\d_a-zA-Z])(?P<sub>[a-z0-9]{1,3})$")
"""Splits a :func:`symbol` code into its Greek base and its subscript."""


ABSTRACTORS = {
    "letter_codes": letter_code,
    "acronym": acronym,
    "shortened": shortened,
    "symbol": symbol,
}


class UnchangedHeaderError(ValueError):
    """A style that leaves a header as it was (``acronym`` of "GDP"): no abstraction."""


def code_for(meaning: str, style: str, position: int) -> str:
    """The code ``style`` writes for the header ``meaning``.

    Args:
        meaning: the clear header text (its core, see :func:`abstab.core.headers.core_text`).
        style: a key of :data:`ABSTRACTORS`.
        position: the 1-based position of the header in its row or column (letter codes).

    Raises:
        UnchangedHeaderError: the code equals the header (ignoring case).
    """
    code = ABSTRACTORS[style](meaning, position)
    if code.lower() == meaning.lower():
        raise UnchangedHeaderError(f"{style} leaves {meaning!r} unchanged")
    return code


def replace_header(text: str, meaning: str, code: str) -> str:
    """A header cell's text with its meaning replaced by the code (once: "Budget (EUR)" →
    "BDG (EUR)")."""
    return text.replace(meaning, code, 1)


@dataclass(frozen=True)
class Legend:
    """How a controlled document explains a code, and what an item under it is.

    Attributes:
        name: ``explicit``, ``implicit`` or ``removed`` (``Abstraction.legend``).
        location: the ``answer_location`` of an item whose answer is under the code.
        category: the keyword's resolution category (``KeywordLink.category``).
    """

    name: str
    location: AnswerLocation
    category: ResolutionCategory


LEGENDS: dict[str, Legend] = {
    # A definition sentence or a legend line states CODE = meaning.
    "explicit": Legend("explicit", "table_defined", "explicit"),
    # Only a sentence naming one value of the column (or row) with the natural term.
    "implicit": Legend("implicit", "table_implicit", "inferable_document"),
    # Nothing explains the code. The answer is still printed in the table, so the item is
    # answerable (table_implicit), not unanswerable: "unanswerable" means the document lacks
    # the answer, and would reward abstaining on a question whose answer is printed. Only the
    # code's meaning cannot be resolved from the document.
    "removed": Legend("removed", "table_implicit", "unresolvable"),
}
"""The legends of controlled abstraction, by name."""

EXPLANATIONS: tuple[str, ...] = tuple(LEGENDS)


def keyword_link(code: str, meaning: str, column: int | None, legend: str) -> KeywordLink:
    """The item's link from the printed code to its meaning, categorised by the legend."""
    return KeywordLink(abstract=code, detailed=meaning, column=column,
                       category=LEGENDS[legend].category)


EXPLICIT_SHARE = 8
"""Out of 16: the share of the report path's controlled tables that keep their legend (the
others have it removed)."""


def controlled_choices(table_id: str, columns: list[int], styles: list[str], seed: str
                       ) -> list[tuple[str, int, str]]:
    """The report path's controlled variants of one clear table: (style, column, legend).

    Styles take the table's columns in turn; each variant keeps its legend (``explicit``) or
    has it removed, by a seeded coin weighted :data:`EXPLICIT_SHARE` in 16.
    """
    return [(style, columns[i % len(columns)],
             "explicit" if seeded_int(seed, table_id, style, digits=1) < EXPLICIT_SHARE
             else "removed")
            for i, style in enumerate(styles)]


def relabel(table: Table, changes: dict[tuple[int, int], tuple[str, str]], new_id: str,
            provenance: object, extra_notes: list[Note] | None = None,
            keep_notes: bool = True) -> Table:
    """A copy of ``table`` with label text replaced: ``changes[(row, col)] = (old, new)``.

    A change at a body cell (a row label of the stub column) changes its row's label.
    """
    cells = []
    for c in table.cells:
        change = changes.get((c.row, c.col))
        if change is None:
            cells.append(c.model_copy())
            continue
        old, new = change
        cells.append(c.model_copy(update={"text": replace_header(c.text, old, new)}))
    # the new column names follow the rule that made the old ones (which header rows they skip)
    skip, squash = column_rule(table.header_rows, table.columns) or (frozenset(), False)
    notes = [n.model_copy(deep=True) for n in table.notes] if keep_notes else []
    notes += list(extra_notes or [])
    fields = table.model_dump(exclude={"cells", "n_header_rows", "header_rows", "columns", "rows",
                                       "quality", "table_id", "notes", "derived_from",
                                       "provenance"})
    q = table.quality
    return Table.from_cells(
        cells, table.n_header_rows, empty_ratio=q.empty_ratio,
        numeric_header_ratio=q.numeric_header_ratio, confidence=q.confidence,
        column_skip_rows=skip, squash_spaces=squash, table_id=new_id, notes=notes,
        derived_from=table.table_id, provenance=provenance, **fields)


def legend_line(code: str, meaning: str) -> str:
    """A legend line under a table: ``CODE = meaning``."""
    return f"{code} = {meaning}"


def abstract_column(table: Table, col: int, style: str, legend: str, new_id: str,
                    provenance: object) -> tuple[Table, str, str]:
    """A copy of ``table`` whose lowest header cell at column ``col`` is abstracted in ``style``.

    Returns the new table, the code shown, and the original meaning. With ``legend ==
    "explicit"`` a legend note ``CODE = meaning`` is added under the table.
    """
    row = table.n_header_rows - 1
    cell = table.header_cell(row, col)
    if cell is None:
        raise ValueError(f"{table.table_id}: no header cell at ({row}, {col})")
    meaning = core_text(cell.text)
    try:
        code = code_for(meaning, style, col)
    except UnchangedHeaderError as exc:
        raise UnchangedHeaderError(f"{table.table_id}: {exc}") from None
    notes = [Note(kind="legend", text=legend_line(code, meaning), targets=[[cell.row, cell.col]])
             ] if legend == "explicit" else []
    new = relabel(table, {(cell.row, cell.col): (meaning, code)}, new_id, provenance, notes)
    return new, code, meaning


__all__ = [
    "ABSTRACTORS",
    "EXPLANATIONS",
    "EXPLICIT_SHARE",
    "LEGENDS",
    "SYMBOL_SUBSCRIPT",
    "Legend",
    "UnchangedHeaderError",
    "abstract_column",
    "code_for",
    "controlled_choices",
    "keyword_link",
    "legend_line",
    "relabel",
    "replace_header",
]
