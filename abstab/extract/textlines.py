"""The text-alignment table finder's shared types: words, visual lines, bodies, candidates.

:mod:`abstab.extract.unruled` builds them from a page's characters and finds candidate tables;
:mod:`abstab.extract.unruled_cells` cuts a candidate into cells. Both import from here, so
neither imports the other's module back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from abstab.extract.engines import Rect
from abstab.extract.text import Char

_VALUE = re.compile(
    r"^[(\[]?[-−–+±]?[$€£¥₹]?\s?(\d{1,3}([,\s]\d{3})+|\d+|(?=[.,]\d))([.,]\d+)?%?[)\]]?"
    r"(\s?[-–—]\s?[$€£¥₹]?\d[\d,]*([.,]\d+)?%?[)\]]?)?[*†‡§⁰¹²³⁴⁵⁶⁷⁸⁹a-z]{0,2}$"
    r"|^([-–—‒−]{1,3}|\.{2,3}|…|n\.?a\.?|N/?A|n/a|NA|x|X|\*|†|‡|#|§|nil|none|Ref\.?|"
    r"\((X|Z|D|S|B|NA|N|NR|\*)\)|\(?[<>≤≥]\s?\d+([.,]\d+)?\)?)$",
    re.IGNORECASE,
)


def is_value_text(text: str) -> bool:
    return bool(_VALUE.match(text.strip()))


@dataclass
class Word:
    x0: float
    x1: float
    y0: float
    y1: float
    text: str
    size: float
    chars: list[Char]


@dataclass
class TLine:
    """A visual line: its words, segments (word groups separated by wide gaps) and kind."""

    words: list[Word]
    segs: list[list[Word]]
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    kind: str = ""  # "row", "label", "text", "rule"
    values: int = 0  # segments that are values
    leaders: bool = False  # leader dots were dropped from it (a table of contents line)
    side: int = 0  # on a page set in two text columns, 1 for a line of the right column

    def seg_text(self, seg: list[Word]) -> str:
        return " ".join(w.text for w in seg)


@dataclass
class Body:
    lines: list[TLine] = field(default_factory=list)

    @property
    def rows(self) -> list[TLine]:
        return [ln for ln in self.lines if ln.kind == "row"]

    @property
    def x0(self) -> float:
        return min(ln.x0 for ln in self.lines)

    @property
    def x1(self) -> float:
        return max(ln.x1 for ln in self.lines)

    @property
    def y0(self) -> float:
        return min(ln.y0 for ln in self.lines)

    @property
    def y1(self) -> float:
        return max(ln.y1 for ln in self.lines)


@dataclass
class Candidate:
    body: Body
    header: list[TLine]
    cols: list[float]  # column boundaries, len = ncols + 1
    bbox: Rect
    score: float  # share of the body's cells that hold values
    rules: list[Rect] = field(default_factory=list)  # horizontal rules over the table
    labels_only: bool = False  # no values at all: column labels at most (see find)
