"""Notes under a table: sources, footnotes with their markers, legend entries, and which
header cells each note explains (its targets)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from abstab.extract.grid import Grid
from abstab.extract.layout import BlockDraft
from abstab.extract.text import unsup

NOTE_LABEL = re.compile(r"^(notes?|remarks?|footnotes?|legend|key|n\.?\s?b\.?)\s*[:.\-–]?\s*",
                         re.IGNORECASE)
SOURCE_LINE = re.compile(r"^(sources?|data sources?|source of data)\s*[:.\-–]\s*", re.IGNORECASE)
NOTE_MARKER = re.compile(
    r"^(?P<m>\*{1,4}|[†‡§¶#]{1,3}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|[ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ]|"
    r"\((?:[a-z]|\d{1,2}|[ivx]{1,4})\)|[a-z](?=[.)]\s|\s+[A-Z(\"“'])|"
    r"\d{1,2}(?=[.)]\s|\s+[A-Z(\"“']))[.)]?\s*(?P<t>\S.*)$"
)
SYMBOL_LEGEND = re.compile(
    r"^(?P<m>[–—-]|[B-HJ-Z]|\([A-Z]{1,3}\)|\.\.\.|…)\s+(?P<t>[A-Z][^.]{2,60}\.)\s*$")
"""A statistical agency's symbol key: ``– Represents zero.``, ``X Not applicable.``,
``(NA) Not available.``, ``Z Less than 500.`` (not ``A``/``I``: words, not symbols)."""
_NOTE_BREAK = re.compile(
    r"(?<=[.;])\s+(?=(?:[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|\*{1,4}|[†‡§¶])\s*[A-Za-z(]"
    r"|(?i:sources?|notes?)\s*:"
    r"|(?:[–—]|[B-HJ-Z]|\([A-Z]{1,3}\))\s+[A-Z][^.]{2,60}\.(?:\s|$))"
)
"""Where a note starts inside a paragraph of notes (after the end of the previous one)."""
_LEGEND = re.compile(
    r"^(?P<key>[^\s=:]{1,14}(?:\s[^\s=:]{1,14}){0,2}?)\s*(?:=|:|\s[–—]\s|\s-\s)\s*(?P<val>\S.*)$"
)
_HEAD_MARK_LEAD = re.compile(r"^(\*{1,4}|[†‡§¶#]{1,3})(?=\S)")
_HEAD_MARK_TAIL = re.compile(
    r"(\*{1,4}|[†‡§¶#]{1,3}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|[ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ]{1,2}|"
    r"\s?\((?:[a-z]|\d{1,2})\))$"
)


_LEGEND_TITLE = re.compile(r"^(symbol conventions?|symbols?|legend|key|abbreviations?)\s*[:.]?\s*",
                           re.IGNORECASE)
_CODE_DEF = re.compile(r"^[^\s=]{1,14}(\s[^\s=]{1,14}){0,2}\s*=\s*\S")
# a cut before "CODE =" where CODE is not a lower-case word: "L/F = load factor = RPK÷ASK"
# is one entry whose meaning holds a formula
_BEFORE_CODE = re.compile(r"\s+(?=(?![a-z]{2,}\s*=)[^\s=]{1,14}\s*=\s)")


@dataclass
class NoteDraft:
    kind: str
    marker: str | None
    text: str
    block: BlockDraft | None = None
    targets: list[list[int]] = field(default_factory=list)


def _note_marker(m: str) -> str:
    return unsup(m.strip("()").strip())


def parse_note_text(text: str, block: BlockDraft | None) -> list[NoteDraft]:
    """One note line (or paragraph) as notes: source, footnote with marker, legend entries.

    A paragraph holding several notes (``– Represents zero. X Not applicable. ¹ Buying,
    receiving… Source: …``) is cut where each starts."""
    text = text.strip()
    if not text:
        return []
    pieces = [p for p in _NOTE_BREAK.split(text) if p and p.strip()]
    if len(pieces) > 1:
        return [n for piece in pieces for n in parse_note_text(piece, block)]
    symbol = SYMBOL_LEGEND.match(text)
    if symbol:
        return [NoteDraft("legend", symbol.group("m"), text, block)]
    label = NOTE_LABEL.match(text)
    # ("Notes: GAO = …; MOU = …": the label is not part of the first code; "Note = …" is
    # a legend entry of its own)
    if label and not text[label.end():].lstrip().startswith("="):
        rest = text[label.end():].strip()
        if not rest:
            return []
        if NOTE_MARKER.match(rest) or legend_parts(rest):
            return parse_note_text(rest, block)
        return [NoteDraft("note", None, rest, block)]
    if SOURCE_LINE.match(text):
        return [NoteDraft("source", None, text, block)]
    m = NOTE_MARKER.match(text)
    if m:
        body = re.sub(r"^[=:]\s*", "", m.group("t").strip())
        return [NoteDraft("footnote", _note_marker(m.group("m")), body, block)]
    parts = legend_parts(text)
    if parts:
        return [NoteDraft("legend", key, part, block) for key, part in parts]
    return [NoteDraft("note", None, text, block)]


def legend_parts(text: str) -> list[tuple[str, str]]:
    """``A = x; B = y``, ``A = x, B = y`` or ``A = x  B = y`` → [(A, 'A = x'), (B, 'B = y')]; a
    legend's title (``Symbol convention:``) is not part of the first code."""
    title = _LEGEND_TITLE.match(text)
    if title and "=" in text[title.end():]:
        text = text[title.end():]
    for sep in (";", ","):
        pieces = [p.strip() for p in text.split(sep) if p.strip()]
        if len(pieces) >= 2 and all(_CODE_DEF.match(p) for p in pieces):
            return [(p.split("=", 1)[0].strip(), p.rstrip(".")) for p in pieces]
    if text.count("=") >= 2:
        # entries set apart by spaces only: a cut before each "CODE ="
        pieces = [p.strip() for p in _BEFORE_CODE.split(text) if p.strip()]
        if len(pieces) >= 2 and all(re.match(r"^[^\s=]{1,14}\s*=\s*\S", p) for p in pieces):
            return [(p.split("=", 1)[0].strip(), p.rstrip(".")) for p in pieces]
    m = _LEGEND.match(text)
    if m and not re.match(r"^\W*(https?|ftp|www\.)", text, re.IGNORECASE):
        key = m.group("key").strip()
        if SOURCE_LINE.match(text) or len(key) > 20 or key.lower() in {"note", "notes"}:
            return []
        if not any(ch.isalpha() or not ch.isalnum() for ch in key):
            return []
        return [(key, text)]
    return []


def legend_line(text: str) -> bool:
    """A line that defines two or more codes (``Symbol convention H = High, HH = High high``):
    a legend, never a header label, wherever it is printed."""
    return text.count("=") >= 2 and bool(legend_parts(text))


def _strip_marks(text: str) -> str:
    t = _HEAD_MARK_LEAD.sub("", text.strip())
    t = _HEAD_MARK_TAIL.sub("", t).strip()
    return t


def _cell_markers(text: str) -> set[str]:
    out = set()
    t = text.strip()
    m = _HEAD_MARK_LEAD.match(t)
    if m:
        out.add(m.group(1))
    m = _HEAD_MARK_TAIL.search(t)
    if m and len(t) > len(m.group(1).strip()):
        out.add(_note_marker(m.group(1).strip()))
    return out


def set_targets(notes: list[NoteDraft], grid: Grid, n_header: int) -> None:
    """Each note's targets: header cells carrying its marker or equal to its legend key."""
    header = [c for c in grid.cells if c.r < n_header and c.text]
    for note in notes:
        targets: list[list[int]] = []
        keys: list[str] = []
        if note.kind == "footnote" and note.marker:
            for c in header:
                if note.marker in _cell_markers(c.text):
                    targets.append([c.r, c.c])
            lead = _LEGEND.match(note.text)
            if lead:
                keys.append(lead.group("key"))
        elif note.kind == "legend" and note.marker:
            keys.append(note.marker)
        for key in keys:
            k = _strip_marks(key)
            for c in header:
                h = _strip_marks(c.text)
                first = re.split(r"[\s(（\[,]", h, maxsplit=1)[0]  # "RPK (000's)" → "RPK"
                same = (h == k or h.rstrip(".") == k.rstrip(".")
                        or h.casefold() == k.casefold() or (first == k and len(k) >= 2))
                if same and [c.r, c.c] not in targets:
                    targets.append([c.r, c.c])
        note.targets = targets
