"""Controlled abstraction: turn a clear header into a code, acronym, clipped name or symbol.

Gold by construction: the original header is the meaning. Deterministic (no randomness: the
choice depends only on the header text and a seed string).
"""

from __future__ import annotations

import hashlib
import re

from abstab.core.headers import core_text
from abstab.records import Note, Table, column_rule

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


def relabel(table: Table, changes: dict[tuple[int, int], tuple[str, str]], new_id: str,
            provenance: object, extra_notes: list[Note] | None = None,
            keep_notes: bool = True) -> Table:
    """A copy of ``table`` with header text replaced: ``changes[(row, col)] = (old, new)``.

    Header cells in body rows (row headers of the stub column) change their row's label too.
    """
    cells = []
    for c in table.cells:
        change = changes.get((c.row, c.col)) if c.header else None
        if change is None:
            cells.append(c.model_copy())
            continue
        old, new = change
        cells.append(c.model_copy(update={"text": c.text.replace(old, new, 1)}))
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
    code = ABSTRACTORS[style](meaning, col)
    if code.lower() == meaning.lower():
        raise ValueError(f"{table.table_id}: {style} leaves {meaning!r} unchanged")
    notes = [Note(kind="legend", text=f"{code} = {meaning}", targets=[[cell.row, cell.col]])
             ] if legend == "explicit" else []
    new = relabel(table, {(cell.row, cell.col): (meaning, code)}, new_id, provenance, notes)
    return new, code, meaning
