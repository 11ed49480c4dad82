"""Question types over a table, whose answers code computes from the table and re-checks.

A question is an :class:`~abstab.records.Operation` (which column, which rows, which
comparison) plus its wording. :func:`execute` computes the answer and the evidence cells from
the table; the generator uses it to make (rules) or verify (LLM) each question, and the
assembler's validator runs it again on the stored item. Questions are simple on purpose: the
difficulty of the benchmark is linking an abstract header to the document, not arithmetic.

Types: ``lookup`` (one cell), ``comparison`` (which of two rows is higher/lower),
``extremum`` (the row with the highest/lowest value), ``count`` (how many rows are above or
below a threshold), ``sum`` and ``difference`` (of two rows' values), ``filter`` (which rows
are above or below a threshold).
"""

from __future__ import annotations

import itertools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Literal

from abstab.core.headers import core_text
from abstab.core.normalize import normalize_answer, parse_number, parse_number_detail, squash
from abstab.core.seeded import seeded_int, seeded_order
from abstab.core.words import COMMON_WORD_ZIPF, LABEL_NOUNS, QUANTITY_WORDS, zipf
from abstab.records import QUESTION_TYPES, Answer, Operation, Table
from abstab.registry import question_types

# Row labels of aggregate rows: they are not rows like the others (a "Total" row always has
# the highest value), so ranking, counting and filtering leave them out.
_AGGREGATE_WORDS = {"total", "totals", "subtotal", "sum", "all", "overall", "average", "mean",
                    "grand", "median"}
_TOTAL_WORDS = {"total", "totals", "subtotal"}
# A label ending in a conjunction, preposition or comma was cut at a line break ("Chronic
# illness and", "Interviewed, not"): the rest of it sits in another row.
_CUT_LABEL = re.compile(r"(?:[,;(/&-]|\b(?:and|or|of|the|for|in|to|with|by|not|from|on|at))"
                        r"\s*$", re.IGNORECASE)
# A label starting with a lower-case function word is the tail of a label wrapped onto the
# next line ("of occurrence)"): the head sits in the row above.
_CUT_START = re.compile(r"^(?:and|or|of|the|for|in|to|with|by|from|on|at|than|per)\b")
# Labels that name nothing by themselves: answers to a heading above them ("Disability
# status" / "Yes", "No") or the rest of a breakdown ("Other"). "What is … for No?" has no
# meaning out of the table.
_BARE_LABELS = {"yes", "no", "other", "others", "none", "unknown", "both", "neither", "missing",
                "not stated", "don't know", "dont know", "refused", "not applicable"}
# An enumeration marker before a label ("a) Wheat", "(ii) Rice") closes no bracket of its own.
_ENUMERATION = re.compile(r"^\(?(?:[a-z]|\d{1,2}|[ivx]{1,4})\)\s+", re.IGNORECASE)
# Header words of rates, shares and averages: their values do not add up across rows.
_RATE_WORDS = {"%", "percent", "percentage", "pct", "rate", "rates", "share", "ratio", "average",
               "mean", "median", "per", "index", "margin", "factor", "growth", "change",
               # limits and unit prices: two rows' thresholds or prices add up to nothing
               "criterion", "criteria", "threshold", "thresholds", "limit", "limits", "price",
               "prices", "concentration", "concentrations",
               # the largest or smallest value of something: two maxima add up to nothing
               "max", "maximum", "min", "minimum", "peak"}
# A unit per volume or mass ("pg/L", "$/gal", "cents/lb", "mg/kg"): a concentration or a price.
_PER_AMOUNT_UNIT = re.compile(r"/\s*(?:[mµu]?l|m3|m³|gal|lb|lbs|[mµk]?g|t|ton|tonne|bu|bbl|cwt)\b",
                              re.IGNORECASE)
# The base of an index number ("value of food sales 1996 (1990=100)", "EU-15 = 100"): two
# rows' index values add up to nothing.
_INDEX_BASE = re.compile(r"=\s*100\b(?![.,]\d)")
# A number written with dots between groups of three digits ("2.003", "23.900"): in a column
# of whole numbers the dot separates thousands, and reading it as a decimal point is wrong.
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
# A unit in a row label ("Crude Soybean Oil (cents/lb)", "Ethanol ($/gal)").
_ROW_UNIT = re.compile(r"\(([^()]*(?:/|\$|%|\bper\b)[^()]*)\)")
_NUM_TOKEN = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?%?(?![\w])")
_DECIMALS = re.compile(r"\d\.(\d+)")
MAX_FILTER_ANSWERS = 4
"""A filter question lists at most this many rows (longer lists are poor questions)."""
MIN_RANKED_ROWS = 3
"""Ranking, counting and filtering need at least this many numeric rows."""
_SINGLE_NUMBER_SHARE = 0.5
"""A column whose cells hold one number each, at least this share of them."""
MIN_CHECKED_GROUPS = 2
"""Rows are group totals only when at least this many of them sum two or more parts each."""
GROUP_SUM_SHARE = 0.8
"""... and at least this share of their sums, over every column, hold."""
_ENUMERATED = re.compile(r"^\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]\s", re.IGNORECASE)


def _label_style(label: str) -> tuple[bool, bool]:
    """How a row label is set: (numbered as an item of a list, in capitals)."""
    return bool(_ENUMERATED.match(label)), label.isupper()


class QuestionError(ValueError):
    """A question that cannot be asked of (or answered from) the table."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def number(text: str) -> float | None:
    """The number a cell holds; None when it holds none, or a word with a bracketed number
    ("VARCHAR(5)" is a type and "Paysan Breton (6.7%)" a brand with its share, not minus five
    or minus 6.7)."""
    text = squash(text)
    return None if _NOT_A_VALUE.search(text) else parse_number(text)


# A word with a bracketed number ("VARCHAR(5)"), or a bound (">0.3% w/w", "<0.1"): no value
# to compare or add.
_NOT_A_VALUE = re.compile(r"[^\W\d_]{2,}\s*\(\s*[-−]?\d|^[<>≤≥]")
NOT_AVAILABLE = re.compile(r"n/?a|n\.a\.?|\(na\)|not (?:available|reported|applicable)|"
                           r"\(x\)|\(d\)|\.\.|…|unknown", re.IGNORECASE)
"""A cell saying the value is not available ("n.a.", "(NA)"); "-", "—" and "0" are left
out: many tables write zero that way."""


def answer_of(text: str) -> Answer:
    """The answer a cell gives: a number when it reads as one, else its text."""
    text = squash(text)
    value = number(text)
    if value is not None:
        return Answer(text=text, value=value, type="number",
                      unit="%" if text.endswith("%") else None)
    return Answer(text=text, value=text, type="text")


def cell_answer(text: str, scale: str = "") -> Answer:
    """A cell's text as a gold answer: a number whenever it parses as one (unlike
    :func:`answer_of`, which refuses words with bracketed numbers for generated questions);
    ``scale`` as the source dataset gives it ("percent" also sets the unit)."""
    text = squash(text)
    value = parse_number(text)
    if value is not None:
        return Answer(text=text, value=value, type="number", scale=scale or None,
                      unit="%" if text.endswith("%") or scale == "percent" else None)
    return Answer(text=text, value=text, type="text")


def natural_term(column: str) -> str:
    """A flattened column name as words: markers and units dropped, levels joined."""
    parts = [core_text(p) for p in column.split(" / ")]
    return " ".join(p for p in parts if p)


def phrase(term: str) -> str:
    """``term`` as it reads inside a sentence: "Change in score" → "change in score";
    acronyms, names and Title Case Names keep their capitals."""
    words = term.split(" ")
    first = words[0]
    # "Long Gun", "Dec-2015 …": a name or a date keeps its capitals
    title_case = any(w[:1].isupper() for w in words[1:] if len(w) > 2)
    if first[:1].isupper() and first[1:].isalpha() and first[1:].islower() \
            and zipf(first) >= COMMON_WORD_ZIPF and not title_case:
        return term[0].lower() + term[1:]
    return term


_BRACKETS = {"(": ")", "[": "]", "{": "}"}


def balanced(text: str) -> bool:
    """Whether every bracket of ``text`` is closed, in order ("(a [b])" is, "occurrence)" is
    not)."""
    stack = []
    for ch in text:
        if ch in _BRACKETS:
            stack.append(_BRACKETS[ch])
        elif ch in _BRACKETS.values() and (not stack or stack.pop() != ch):
            return False
    return not stack


def cut_label(label: str) -> bool:
    """Whether a row label is a piece of a label wrapped over several lines, not a name:
    it ends in a conjunction, preposition or comma ("Chronic illness and"), starts with a
    lower-case function word ("of occurrence)"), or opens or closes a bracket it does not
    match ("(Total", "occurrence)")."""
    return bool(_CUT_LABEL.search(label) or _CUT_START.match(label)
                or not balanced(_ENUMERATION.sub("", label)))


def term_problem(term: str, max_words: int) -> str | None:
    """Why ``term`` cannot name a column in a question (None if it can): a header meaning is
    a short noun phrase, not a sentence or a fragment cut out of one."""
    words = term.split()
    if not words:
        return "empty"
    if len(words) > max_words:
        return f"{len(words)} words (more than {max_words})"
    if not balanced(term):
        return "unbalanced brackets"
    if re.search(r"[=;:?!]", term):
        return "sentence punctuation"
    if _QUESTION_WORDS.search(term):
        return "it asks a question (a survey item's wording, not a quantity's name)"
    if _ANSWER_OPTION.fullmatch(term.strip()):
        return "it is an answer option of a survey, not a quantity's name"
    return None


# A header that is an answer option of a survey ("Occasionally", "Not much", "Strongly
# agree"): "What is the occasionally for Language?" names no quantity.
_ANSWER_OPTION = re.compile(
    r"(?:(?:very|quite|fairly)\s+)?(?:often|frequently|occasionally|sometimes|rarely|seldom|never|"
    r"always|usually)|(?:rarely|seldom)\s*/\s*never|not\s+(?:at\s+all|much|very\s+much|really|"
    r"often|sure)|(?:quite\s+)?a\s+(?:lot|little|great\s+deal)|(?:(?:strongly|somewhat|"
    r"slightly|mostly)\s+)?(?:dis)?agree|neither\s+agree\s+nor\s+disagree|neutral|"
    r"(?:very\s+|somewhat\s+|not\s+(?:very\s+|at\s+all\s+)?)?(?:satisfied|dissatisfied|"
    r"important|likely|unlikely)|yes|no|don'?t\s+know", re.IGNORECASE)
# A header worded as a question ("How often do you have these symptoms"): "What is the How
# often …?" reads as no question at all.
_QUESTION_WORDS = re.compile(r"^(?:how|what|which|why|when|where|who)\s+\w+|\b(?:do|did|does|"
                             r"are|were|have|would|could|will) you\b", re.IGNORECASE)


_YEAR_TOKEN = re.compile(r"(?<![\w.])(?:1[89]|20)\d\d(?![\w.])")


def term_debris(term: str, view: TableView, col: int) -> str | None:
    """Why ``term``, column ``col``'s name, carries body text (None if it does not): numbers
    that are cells of the column or a run of them ("No. of Cases 950 6 29") were read into the
    header, and a question naming the column by them would not read as a question."""
    numbers = [m.group() for m in _NUM_TOKEN.finditer(term) if not _YEAR_TOKEN.fullmatch(m.group())]
    if numbers == [term]:
        return f"its header is the number {term!r} (a body row read as the header)"
    if len(numbers) >= 2:
        return f"its header holds the numbers {' '.join(numbers)!r} (body cells read into it)"
    cells = {view.cell(r, col) for r in range(len(view.table.rows))}
    if numbers and numbers[0] in cells:
        return f"its header holds {numbers[0]!r}, a cell of the column"
    return None


# Web addresses and e-mail addresses ("www.epa.gov/…", "https://…", "info@x.org").
_LINK = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.[a-z]{2,}|\S+\.(?:gov|org|com|edu|net)"
                   r"(?:/\S*)?", re.IGNORECASE)
_LINK_HEADER_WORDS = {"link", "links", "url", "urls", "hyperlink", "hyperlinks", "website",
                      "websites", "webpage", "email", "e-mail"}
_LINK_SHARE = 0.5


def link_column(view: TableView, col: int) -> str | None:
    """Why column ``col`` holds links, not facts (None if it does not): its header names links
    or addresses ("Internet Report Link", "URL", "Website"), or at least half its cells are web
    or e-mail addresses. "What is the Internet Report Link for Ohio?" asks for text a reader
    clicks, not something the document reports."""
    header = view.table.columns[col] if col < len(view.table.columns) else ""
    words = re.findall(r"[^\W\d_][\w-]*", natural_term(header).lower())
    if words and words[-1] in _LINK_HEADER_WORDS:
        return f"its header {header!r} names links"
    texts = [view.cell(r, col) for r in range(len(view.table.rows))
             if informative(view.cell(r, col))]
    links = sum(bool(_LINK.search(t)) for t in texts)
    if texts and links >= _LINK_SHARE * len(texts):
        return f"{links} of its {len(texts)} cells are web or e-mail addresses"
    return None


def informative(text: str) -> bool:
    """A cell worth asking for: it holds a letter or digit ("-", "—", ".." mean nothing)."""
    return any(ch.isalnum() for ch in text)


_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_YY = r"'?(?:19|20)?\d\d"
# The length of the period a row label names, tried in order (a quarter label holds a year).
_PERIODS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        ("quarter", (r"(?:.*\b)?(?:q[1-4]|[1-4](?:st|nd|rd|th)\s*(?:q|qtr|quarter)|"
                    r"(?:first|second|third|fourth)\s+quarter)\b.*")),
        ("half-year", r"(?:.*\b)?(?:h[12]|[12](?:st|nd)\s*half|(?:first|second)\s+half)\b.*"),
        ("month", rf"(?:{_YY}[-/ ])?{_MONTH}(?:[-/ ,]*{_YY})?"),
        ("year", (rf"(?:(?:fy|cy|sy|(?:financial|fiscal|calendar|school)\s+year)\s*{_YY}|"
                 rf"(?:19|20)\d\d)(?:\s*[-–/]\s*{_YY})?")),
    ))
# Words a period's total carries ("FY2015 TTL", "2014 total"): the period stays a year.
_PERIOD_TOTAL = re.compile(r"\s*\b(?:total|totals|ttl|subtotal|sum)\b\.?\s*", re.IGNORECASE)


def period_kind(label: str) -> str | None:
    """The length of the period a row label names ("quarter" for "FY15 1st Q TTL", "month"
    for "Apr-2015", "year" for "FY2014"), or None when it names no period."""
    text = _PERIOD_TOTAL.sub(" ", squash(label)).strip()
    return next((kind for kind, pattern in _PERIODS if pattern.fullmatch(text)), None)


def is_aggregate(key: str) -> bool:
    """Whether a row label names an aggregate row ("Total", "All schools", "EU15 Total")."""
    words = re.findall(r"[^\W\d_]+", key.lower())
    return bool(words) and (words[0] in _AGGREGATE_WORDS or words[-1] in _TOTAL_WORDS)


@dataclass
class TableView:
    """What question making needs to know about a table: its row labels and numbers.

    Args:
        table: the table.
        key_column: the column of row labels (see :func:`key_column`).
    """

    table: Table
    key_column: int
    _singles: dict[int, frozenset[str] | None] = field(default_factory=dict, init=False,
                                                       repr=False, compare=False)

    @cached_property
    def labels(self) -> dict[int, str]:
        """Body row → its label, for rows whose label is non-numeric, whole and unique: the
        rows the key column tells apart."""
        raw = [(r, squash(row[self.key_column])) for r, row in enumerate(self.table.rows)
               if self.key_column < len(row)]
        raw = [(r, k) for r, k in raw if k and not _NUM_TOKEN.fullmatch(k.rstrip("."))
               and not cut_label(k)]
        counts: dict[str, int] = {}
        for _, k in raw:
            counts[k.lower()] = counts.get(k.lower(), 0) + 1
        return {r: k for r, k in raw if counts[k.lower()] == 1}

    @cached_property
    def keys(self) -> dict[int, str]:
        """Body row → its label, for the rows a question may name: :attr:`labels` but for
        labels that name nothing out of the table ("Yes", "Other")."""
        return {r: k for r, k in self.labels.items()
                if k.lower().rstrip(".:") not in _BARE_LABELS}

    @cached_property
    def periods(self) -> dict[int, str]:
        """Labelled row → the length of the period its label names (rows naming no period
        left out): a year's value and a month's are not two values of one quantity."""
        return {r: kind for r, k in self.keys.items() if (kind := period_kind(k)) is not None}

    def mixed_periods(self, rows: Collection[int]) -> str | None:
        """Why ``rows`` cannot be compared or ranked together (None if they can): their labels
        name periods of different lengths (a fiscal year beside its months)."""
        kinds = sorted({self.periods[r] for r in rows if r in self.periods})
        if len(kinds) < 2:
            return None
        return f"its rows name periods of different lengths ({', '.join(kinds)})"

    def cell(self, row: int, col: int) -> str:
        body = self.table.rows[row] if 0 <= row < len(self.table.rows) else []
        return squash(body[col]) if col < len(body) else ""

    def coord(self, row: int, col: int) -> list[int]:
        return [self.table.n_header_rows + row, col]

    def values(self, col: int) -> dict[int, float]:
        """Labelled, non-aggregate rows → their number in ``col``, when the column is
        numeric (at least 80 % of its non-empty labelled cells read as numbers)."""
        out: dict[int, float] = {}
        texts = {r: self.cell(r, col) for r, key in self.keys.items()
                 if self.cell(r, col) and not is_aggregate(key) and r not in self.group_totals}
        # A column whose every value is bracketed ("(45.1)" under a "(%)" header) prints
        # them so: they are not accounting negatives.
        bracketed = bool(texts) and all(t[0] == "(" and t[-1] == ")" for t in texts.values())
        filled = 0
        for r, text in texts.items():
            filled += 1
            value = number(text[1:-1] if bracketed else text)
            if value is not None and not self.merged(r, col):
                out[r] = value
        return out if out and len(out) >= 0.8 * filled else {}

    def numeric(self, col: int) -> bool:
        return len(self.values(col)) >= 2

    @cached_property
    def group_totals(self) -> frozenset[int]:
        """Body rows that total the rows under them ("MINISTRY OF AGRICULTURE" over "1.
        Department of …", "2. Department of …"): counting, adding or ranking them beside their
        parts counts every amount twice, so :meth:`values` leaves them out.

        A class of rows set apart by their labels' style (capitals, or no enumeration number
        where the others have one) are totals when, column after column, each equals the sum
        of the rows between it and the next: at least :data:`MIN_CHECKED_GROUPS` groups of two
        or more parts, and :data:`GROUP_SUM_SHARE` of the sums checked hold."""
        styles: dict[tuple[bool, bool], list[int]] = {}
        for r, key in self.labels.items():
            styles.setdefault(_label_style(key), []).append(r)
        for rows in styles.values():
            if len(rows) >= MIN_CHECKED_GROUPS and len(rows) < len(self.labels) \
                    and self._sums_parts(rows):
                return frozenset(rows)
        return frozenset()

    def _sums_parts(self, totals: list[int]) -> bool:
        """Whether each row of ``totals`` equals, column by column, the sum of the rows below
        it up to the next row of ``totals`` (see :attr:`group_totals`)."""
        ends = totals[1:] + [len(self.table.rows)]
        groups = [(t, range(t + 1, end)) for t, end in zip(totals, ends, strict=True)
                  if end - t > 2]
        checked = held = 0
        width = max((len(row) for row in self.table.rows), default=0)
        for col in (c for c in range(width) if c != self.key_column):
            for total_row, parts in groups:
                total = number(self.cell(total_row, col))
                amounts = [number(self.cell(r, col)) for r in parts]
                if total is None or not any(a is not None for a in amounts):
                    continue
                unit = 10.0 ** -_decimals(self.cell(total_row, col))
                checked += 1
                held += math.isclose(total, sum(a or 0.0 for a in amounts), rel_tol=1e-3,
                                     abs_tol=unit * len(parts))
        sums = {total for total, _ in groups}
        return len(sums) >= MIN_CHECKED_GROUPS and checked > 0 \
            and held >= GROUP_SUM_SHARE * checked

    def merged(self, row: int, col: int) -> bool:
        """Whether cell (row, col) holds two cells' values run together ("142 none", "950 6")
        in a column whose cells hold one number each: the extraction merged cells, so the
        text is no answer anyone would give (nor an operand)."""
        singles = self._single_values(col)
        if singles is None:
            return False
        tokens = self.cell(row, col).split()
        n_numbers = sum(bool(_NUM_TOKEN.fullmatch(t)) for t in tokens)
        return n_numbers >= 2 or (n_numbers == 1 and len(tokens) > 1
                                  and any(t.lower() in singles for t in tokens))

    def _single_values(self, col: int) -> frozenset[str] | None:
        """The one-word, non-numeric cells of ``col`` ("none", "n/a") when at least half its
        filled cells are one number each; else None (not a column of numbers)."""
        if col not in self._singles:
            texts = [self.cell(r, col) for r in self.keys if informative(self.cell(r, col))]
            numbers = sum(bool(_NUM_TOKEN.fullmatch(t)) for t in texts)
            self._singles[col] = frozenset(
                t.lower() for t in texts if len(t.split()) == 1 and not _NUM_TOKEN.fullmatch(t)
            ) if texts and numbers >= _SINGLE_NUMBER_SHARE * len(texts) else None
        return self._singles[col]

    def rate_column(self, col: int) -> str | None:
        """Why the values of ``col`` are rates or shares (None if they are amounts): adding
        two rows' percentages or rates gives no quantity of either row."""
        header = self.table.columns[col] if col < len(self.table.columns) else ""
        words = set(re.findall(r"[^\W\d_]+|%", header.lower()))
        if words & _RATE_WORDS:
            return f"its header {header!r} names a rate or share"
        if _PER_AMOUNT_UNIT.search(header):
            return f"its header {header!r} gives a unit per amount (a concentration or a price)"
        if _INDEX_BASE.search(header):
            return f"its header {header!r} gives an index against a base of 100"
        texts = [self.cell(r, col) for r in self.values(col)]
        if texts and all(t.rstrip(")").endswith("%") for t in texts):
            return "its values are percentages"
        return None

    def number_problem(self, col: int) -> str | None:
        """Why the numbers of ``col`` cannot be compared or added (None when they can): whole
        numbers beside numbers with dots between groups of three digits ("119", "2.003"), so
        the dot may separate thousands; or rows whose labels give different units ("(cents/lb)",
        "($/gal)")."""
        texts = [self.cell(r, col) for r in self.keys if number(self.cell(r, col)) is not None]
        dotted = [t for t in texts if _DOT_THOUSANDS.fullmatch(t.lstrip("-−"))]
        if dotted and len(dotted) < len(texts) \
                and all(_PLAIN_INT.fullmatch(t.lstrip("-−")) for t in texts if t not in dotted):
            return f"whole numbers beside {dotted[0]!r}: the dot may separate thousands"
        units = {m.group(1).strip().lower() for r in self.values(col)
                 if (m := _ROW_UNIT.search(self.keys[r]))}
        if len(units) > 1:
            return f"its rows are in different units ({', '.join(sorted(units))})"
        headings = sorted({h for r in self.values(col) if (h := self.sections[r]) is not None})
        if len(headings) > 1:
            named = ", ".join(repr(self.cell(h, self.key_column)) for h in headings[:3])
            return f"its rows fall under {len(headings)} headings ({named}, …): " \
                   "different breakdowns"
        return None

    @cached_property
    def sections(self) -> dict[int, int | None]:
        """Body row → the row of the heading it sits under (a row holding only a label, such
        as "Sex" or "Annual income ($)" above its breakdown; a heading sits under itself),
        None above the first heading."""
        out: dict[int, int | None] = {}
        heading: int | None = None
        rows = self.table.rows
        for r, row in enumerate(rows):
            label = squash(row[self.key_column]) if self.key_column < len(row) else ""
            rest = [c for k, c in enumerate(row) if k != self.key_column]
            if label and not any(informative(c) for c in rest) and r + 1 < len(rows):
                heading = r
            out[r] = heading
        return out

    def label_column(self, col: int) -> str | None:
        """Why the numbers of ``col`` are labels that name rows, not quantities (None when
        they are quantities): adding, subtracting or ranking them means nothing.

        Read from the header (it ends in a label noun: "Item No.", "ZIP code", "Year") and
        from the values' shapes: years written as four digits, codes with leading zeros or
        all of one long width, serial numbers that count up row by row."""
        return _label_reason(self, col)


_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_PLAIN_INT = re.compile(r"\d+")
_MIN_LABEL_VALUES = 3
_LABEL_HEADER_WORDS = 3


def _label_reason(view: TableView, col: int) -> str | None:
    header = view.table.columns[col] if col < len(view.table.columns) else ""
    words = re.findall(r"[^\W\d_]+|#", natural_term(header).lower())
    # A short name ending in a label noun ("Item No.", "ZIP code", "Fiscal Year"); "Number"
    # alone is a count, and a long header is a description that happens to end so.
    if 0 < len(words) <= _LABEL_HEADER_WORDS and words[-1] in LABEL_NOUNS \
            and words != ["number"] and not QUANTITY_WORDS & set(words):
        return f"its header {header!r} names labels ({words[-1]!r}), not a quantity"
    texts = [view.cell(r, col) for r in view.values(col)]
    if len(texts) < _MIN_LABEL_VALUES or not all(_PLAIN_INT.fullmatch(t) for t in texts):
        return None  # decimals, separators, signs or units: measured quantities
    if all(_YEAR.fullmatch(t) for t in texts):
        return "its values are years"
    if any(len(t) > 1 and t.startswith("0") for t in texts):
        return "its values are codes with leading zeros"
    if len({len(t) for t in texts}) == 1 and len(texts[0]) >= 5:
        return f"its values are {len(texts[0])}-digit codes"
    if _serial(view, col):
        return "its values are serial numbers (they count up row by row)"
    return None


def _serial(view: TableView, col: int) -> bool:
    """Whether ``col`` numbers the rows: whole numbers counting up row by row (a gap of one
    is allowed), at least :data:`_MIN_LABEL_VALUES` of them."""
    texts = [view.cell(r, col) for r in sorted(view.values(col))]
    if len(texts) < _MIN_LABEL_VALUES or not all(_PLAIN_INT.fullmatch(t) for t in texts):
        return False
    return all(0 < b - a <= 2 for a, b in itertools.pairwise(int(t) for t in texts))


def key_column(table: Table, max_col: int = 3) -> int | None:
    """The first of the leftmost columns whose labels name most body rows uniquely."""
    n_cols = max((len(r) for r in table.rows), default=0)
    for c in range(min(max_col, n_cols)):
        keys = TableView(table, c).labels
        if len(keys) >= 2 and len(keys) * 2 >= len(table.rows):
            return c
    return None


# --------------------------------------------------------------------------- table shapes

# A dot leader ("Capital gains . . . . 4", "Total.......12") or a blank to fill in ("____"):
# the marks of indexes, tables of contents and forms. A cell of dots alone ("...", "....")
# is a missing-value marker, not a leader.
_LEADER = re.compile(r"[^\W\d_].*?(?:(?:\.\s){3,}\.?|\.{4,}|…{2,}|_{4,})|(?:(?:\.\s){3,}|\.{4,}|_{4,}).*?[^\W_]")
# Words that instruct whoever fills in a form ("THEN enter on line 3", "see page 12").
_INSTRUCTION = re.compile(
    r"\b(?:enter|subtract|attach|check (?:the |this |one |any )?boxe?s?|see (?:page|instructions|"
    r"the instructions|line|form|schedule)|(?:on|from|of|to) line \d+[a-z]?|lines? \d+[a-z]? "
    r"(?:and|through|to|or) \d+)\b", re.IGNORECASE)
_INDEX_TITLE = re.compile(r"(?:index|contents|table of contents)(?:\s+[A-Z])?", re.IGNORECASE)
_PAGE_REF = re.compile(r"\d{1,4}(?:[-–]\d{1,4})?(?:,\s+\d{1,4}(?:[-–]\d{1,4})?)*")
# Section-page references and lists of pages ("4-7", "2-5, 2-15", "12, 45"): an index's.
_PAGE_LIST = re.compile(r"\d{1,4}[-–]\d{1,4}.*|\d{1,4},\s+\d.*")
_SHAPE_SHARE = 0.2
_SPARSE_SHARE = 0.5
"""A grid with at most this share of its value cells filled, and no numbers, holds no data."""
"""Dot leaders or instructions in at least this share of a table's rows make it a form."""


def has_leader(text: str) -> bool:
    """Whether ``text`` holds a dot leader or a fill-in blank (an index, contents or form line)."""
    return _LEADER.search(text) is not None


def _rows_with(pattern: re.Pattern[str], rows: list[list[str]]) -> int:
    return sum(any(pattern.search(squash(c)) for c in row) for row in rows)


def data_table_problem(table: Table) -> str | None:
    """Why ``table`` is not a table of data to ask questions of (None if it is): a
    back-of-book index or table of contents, a form or an instruction grid. Their cells are
    page numbers, line numbers and instructions; questions over them ("What is the 4 for
    Capital gains?", "Which row has the highest THEN enter on line 3?") mean nothing."""
    rows = [*table.header_rows, *table.rows]
    if not rows:
        return None
    least = max(2, math.ceil(_SHAPE_SHARE * len(rows)))
    leaders = _rows_with(_LEADER, rows)
    if leaders >= least:
        return f"dot leaders or fill-in blanks in {leaders} of {len(rows)} rows (an index, " \
               "a table of contents or a form)"
    instructions = _rows_with(_INSTRUCTION, rows)
    if instructions >= least:
        return f"form instructions (enter, line N, see page) in {instructions} of {len(rows)} " \
               "rows (a form or an instruction grid)"
    titles = [squash(c) for c in [*(h for r in table.header_rows for h in r), table.caption or ""]]
    if any(_INDEX_TITLE.fullmatch(t) for t in titles):
        return "its header is an index or table of contents title"
    width = max(len(r) for r in table.rows) if table.rows else 0
    sparse = _sparse(table.rows, width)
    if sparse is not None:
        return sparse
    legend = _legend_grid(table.rows, width)
    if legend is not None:
        return legend
    page_cols = [c for c in range(1, width) if _share(table.rows, c, _PAGE_REF.fullmatch) >= 0.8
                 and _share(table.rows, c, _PAGE_LIST.fullmatch) >= 0.3
                 and _share(table.rows, c - 1, lambda t: re.search(r"[^\W\d_]", t)) >= 0.8]
    if len(page_cols) >= 2:
        return f"{len(page_cols)} columns of page references each after a column of terms " \
               "(a multi-column index)"
    return None


def _sparse(rows: list[list[str]], width: int) -> str | None:
    """Why a grid is a title block, a form or a matrix of marks (None if it is not): at most
    half the value cells of its rows are filled (rows holding only a label left aside) and no
    column holds numbers."""
    filled_rows = [r for r in rows if any(informative(squash(c)) for c in r[1:])]
    if len(filled_rows) < 2 or width < 3:
        return None
    cells = [squash(r[c]) if c < len(r) else "" for r in filled_rows for c in range(1, width)]
    share = sum(map(informative, cells)) / len(cells)
    numeric = any(sum(number(r[c]) is not None for r in filled_rows if c < len(r))
                  >= MIN_RANKED_ROWS for c in range(1, width))
    if share <= _SPARSE_SHARE and not numeric:
        return f"only {share:.0%} of its value cells are filled and no column holds numbers " \
               "(a title block, a form or a matrix of marks)"
    return None


_CODE_CELL = re.compile(r"[^\s,]{1,8}(?:\s*,\s*[^\s,]{1,8})*")
_LEGEND_SHARE = 0.8


def _legend_grid(rows: list[list[str]], width: int) -> str | None:
    """Why a grid is a legend or key laid out in several column pairs (None if it is not):
    no column is mostly numbers and the columns go in pairs of a column of short codes ("RR",
    "CB/LL") and a column of what they stand for, at least two pairs side by side. Its cells
    are names, not data: "What is the Agrisure Viptera 3111 for roundup ready?" asks nothing."""
    def column(c: int) -> list[tuple[str, str]]:  # (code, meaning) of the rows filling c
        return [(squash(r[c]), squash(r[c + 1]) if c + 1 < len(r) else "") for r in rows
                if c < len(r) and squash(r[c])]

    def is_pair(c: int) -> bool:
        cells = column(c)
        codes = [code for code, _ in cells]
        fit = sum(bool(_CODE_CELL.fullmatch(code)) and len(meaning) > len(code)
                  and any(ch.isalpha() for ch in meaning) for code, meaning in cells)
        return len(cells) >= MIN_RANKED_ROWS and fit >= _LEGEND_SHARE * len(cells) \
            and len(set(codes)) >= _LEGEND_SHARE * len(codes)

    if width < 4 or any(_share(rows, c, _NUM_TOKEN.fullmatch) >= _SINGLE_NUMBER_SHARE
                        for c in range(width)):
        return None  # a column of numbers: data
    filled = [c for c in range(width) if any(c < len(r) and squash(r[c]) for r in rows)]
    pairs = [c for c in range(0, width - 1, 2) if is_pair(c)]
    if len(pairs) >= 2 and set(filled) <= {c + k for c in pairs for k in (0, 1)}:
        return f"{len(pairs)} pairs of columns of codes and what they stand for (a legend or key)"
    return None


def _share(rows: list[list[str]], col: int, test: Callable[[str], object]) -> float:
    """The share of the filled cells of ``col`` that pass ``test``."""
    texts = [squash(r[col]) for r in rows if col < len(r) and squash(r[col])]
    return sum(bool(test(t)) for t in texts) / len(texts) if texts else 0.0


# --------------------------------------------------------------------------- execution


@dataclass
class Computed:
    answer: Answer
    cells: list[list[int]]


def _decimals(text: str) -> int:
    m = _DECIMALS.search(text)
    return len(m.group(1)) if m else 0


def format_number(value: float, like: list[str]) -> str:
    """``value`` written the way the operand cells ``like`` write numbers (decimals, commas,
    a trailing %, and a scale the operands share: "$0.44M" − "$0.1M" is "$0.34M")."""
    scale = _shared_scale(like)
    if scale is not None:
        pre, multiplier, suf, mantissas = scale
        mantissa = format_number(value / multiplier, mantissas)
        sign, mantissa = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
        return f"{sign}{pre}{mantissa}{suf}"
    decimals = max((_decimals(t) for t in like), default=0)
    comma = any(re.search(r"\d,\d{3}", t) for t in like)
    text = f"{value:,.{decimals}f}" if comma else f"{value:.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    if like and all(t.endswith("%") for t in like):
        text += "%"
    units = {m.group("unit") if (m := _UNIT_AFTER.fullmatch(squash(t))) else None for t in like}
    if len(units) == 1 and (unit := units.pop()):
        text += unit  # the operands' shared unit: "5Y" − "3Y" is "2Y", not "2"
    return text


# A number followed by a unit word ("5Y", "15 mg", "40dB (factory default)"); a scale ("12k")
# is read first.
_UNIT_AFTER = re.compile(r"[-−]?\d[\d,]*(?:\.\d+)?(?P<unit>\s?[^\W\d_]+\.?)(?:\s*\([^()]*\))?")


# A number written with a currency and a scale ("$0.44M", "EUR 3 bn", "12k").
_SCALED = re.compile(r"(?P<pre>[^\d\s\-−.,]*\s?)(?P<num>\d[\d,]*(?:\.\d+)?)(?P<suf>\s?[^\W\d_]+)")


def _shared_scale(like: list[str]) -> tuple[str, float, str, list[str]] | None:
    """(currency prefix, multiplier, scale suffix, the numbers as written) when every text of
    ``like`` writes its number with the same prefix and scale ("$0.44M", "$0.1M"); else None."""
    found = set()
    mantissas = []
    for text in like:
        m = _SCALED.fullmatch(squash(text))
        detail = parse_number_detail(squash(text)) if m else None
        if m is None or detail is None or detail.multiplier == 1:
            return None
        found.add((m.group("pre"), detail.multiplier, m.group("suf")))
        mantissas.append(m.group("num"))
    if len(found) != 1:
        return None
    pre, multiplier, suf = found.pop()
    return pre, multiplier, suf, mantissas


def _number_answer(value: float, like: list[str]) -> Answer:
    text = format_number(value, like)
    return Answer(text=text, value=number(text), type="number",
                  unit="%" if text.endswith("%") else None)


def _operands(view: TableView, op: Operation, n: int) -> list[tuple[int, float]]:
    if len(op.rows) != n or len(set(op.rows)) != n:
        raise QuestionError("bad_rows", f"{op.type} needs {n} different rows, got {op.rows}")
    values = view.values(op.column)
    out = []
    for r in op.rows:
        if r not in view.keys:
            raise QuestionError("bad_rows", f"row {r} has no unique label")
        if r not in values:
            raise QuestionError("not_numeric", f"row {r}, column {op.column}: "
                                f"{view.cell(r, op.column)!r} is not a number of a numeric column")
        out.append((r, values[r]))
    mixed = view.mixed_periods(op.rows)
    if mixed:
        raise QuestionError("mixed_periods", f"rows {op.rows}: {mixed}")
    return out


def _ranked(view: TableView, op: Operation) -> dict[int, float]:
    values = view.values(op.column)
    if len(values) < MIN_RANKED_ROWS:
        raise QuestionError("not_numeric", f"column {op.column} has fewer than "
                            f"{MIN_RANKED_ROWS} numeric rows")
    # A row with a number but no label of its own (a serial number, a label cut or repeated)
    # takes part in the ranking, but no answer could name it.
    unnamed = [r for r in range(len(view.table.rows)) if r not in view.keys
               and number(view.cell(r, op.column)) is not None]
    mixed = view.mixed_periods(values)
    if mixed:
        raise QuestionError("mixed_periods", f"column {op.column}: {mixed}")
    if unnamed:
        raise QuestionError("unlabelled_rows", f"column {op.column}: {len(unnamed)} row(s) with "
                            f"a value have no label of their own (first: row {unnamed[0]})")
    return values


def _selected(view: TableView, op: Operation) -> list[int]:
    if op.op not in ("gt", "lt") or op.threshold is None:
        raise QuestionError("bad_operation", f"{op.type} needs op gt/lt and a threshold")
    values = _ranked(view, op)
    t = op.threshold
    return [r for r, v in sorted(values.items()) if (v > t if op.op == "gt" else v < t)]


def execute(op: Operation, table: Table) -> Computed:
    """The answer to ``op`` on ``table`` and the cells it comes from.

    Raises:
        QuestionError: the operation does not fit the table (reason says why).
    """
    if op.column >= max((len(r) for r in table.rows), default=0) or op.column == op.key_column:
        raise QuestionError("bad_column", f"column {op.column} is not a value column")
    if op.type not in question_types:
        raise QuestionError("bad_operation", f"unknown question type {op.type!r}")
    kind, view = question_type(op.type), TableView(table, op.key_column)
    why = kind.unfit(view, op.column)
    if why:
        raise QuestionError(why[0], f"{op.type}: {why[1]}")
    return kind.compute(op, view)


def answers_match(proposed: str, answer: Answer) -> bool:
    """Whether a proposed answer (an LLM's) says what the computed ``answer`` says."""
    if answer.type == "number":
        value = number(proposed)
        target = answer.value if isinstance(answer.value, float) else number(answer.text)
        if value is None or target is None:
            return False
        tolerance = 0.5 * 10 ** -_decimals(answer.text) + 1e-9 * abs(target)
        return abs(value - target) <= tolerance
    if answer.type == "list":
        # Every listed row, and nothing else but separators ("and"): labels may hold commas.
        rest = f" {normalize_answer(proposed)} "
        for key in answer.value or []:  # type: ignore[union-attr]
            norm = f" {normalize_answer(key)} "
            if norm not in rest:
                return False
            rest = rest.replace(norm, " ", 1)
        return not [w for w in rest.split() if w != "and"]
    return normalize_answer(proposed) == normalize_answer(answer.text)


def _mentions(text: str, phrase_: str, case: bool = False) -> bool:
    flags = 0 if case else re.IGNORECASE
    return re.search(rf"(?<!\w){re.escape(phrase_)}(?!\w)", text, flags) is not None


def wording_problem(question: str, op: Operation, view: TableView,
                    codes: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Why ``question`` does not ask what ``op`` computes, as (reason, message); None if it
    does. It must name the rows it is about and state its threshold, and must not use an
    abstract header's code (``codes``: (code, meaning) pairs) instead of the meaning."""
    kind = question_type(op.type)
    if kind.names_rows:
        for r in op.rows:
            if not _mentions(question, view.keys[r]):
                return "question_mismatch", f"the question does not name row {view.keys[r]!r}"
    if kind.uses_threshold and op.threshold is not None:
        t = op.threshold
        stated = [number(m.group()) for m in _NUM_TOKEN.finditer(question)]
        if not any(v is not None and abs(v - t) <= 1e-9 * max(1.0, abs(t)) for v in stated):
            return "question_mismatch", f"the question does not state the threshold {t:g}"
    rest = question
    for words in [m for _, m in codes] + [view.keys[r] for r in op.rows if r in view.keys]:
        rest = re.sub(re.escape(words), " ", rest, flags=re.IGNORECASE)
    for code, meaning in codes:
        # Case-sensitive: the code "A" is not the article "a".
        if code.lower() != meaning.lower() and _mentions(rest, code, case=True):
            return "question_uses_code", f"the question uses the code {code!r}, not its meaning"
    return None


# --------------------------------------------------------------------------- templates


def _round_between(lo: float, hi: float) -> float:
    """The roundest number t with lo < t < hi (fewest significant digits)."""
    span = max(abs(lo), abs(hi), hi - lo)
    step = 10.0 ** math.floor(math.log10(span)) if span > 0 else 1.0
    for _ in range(12):
        t = math.floor(lo / step + 1) * step
        if lo < t < hi:
            return round(t, 10)
        step /= 10
    return (lo + hi) / 2


def threshold_text(value: float) -> str:
    return f"{value:,.10f}".rstrip("0").rstrip(".") if abs(value) >= 10000 else \
        f"{value:.10f}".rstrip("0").rstrip(".")


def wording(op: Operation, view: TableView, term: str, entity: str) -> str:
    """The template question for ``op``: ``term`` names the column, ``entity`` the rows."""
    return question_type(op.type).wording(op, view, phrase(term), entity)


def entity_name(table: Table, key_col: int, term: str | None = None) -> str:
    """What the rows are, for "Which <entity> has …": the key column's header, else "row"."""
    name = term if term is not None else (
        natural_term(table.columns[key_col]) if key_col < len(table.columns) else "")
    if not name or _NUM_TOKEN.fullmatch(name) or len(name.split()) > 4:
        return "row"
    return phrase(name)


class _Picker:
    def __init__(self, seed: str, key: str, first_rows: Collection[int] = (),
                 unnamed_rows: Collection[int] = ()):
        self.seed, self.key = seed, key
        self.first_rows, self.unnamed_rows = frozenset(first_rows), frozenset(unnamed_rows)

    def order(self, items: list, salt: str) -> list:  # type: ignore[type-arg]
        return seeded_order(items, self.seed, self.key, salt, by=repr)

    def named(self, rows: list[int], salt: str) -> list[int]:
        """``rows`` a question may name, in seeded order."""
        return [r for r in self.order(rows, salt) if r not in self.unnamed_rows]

    def rows(self, rows: list[int], n: int, salt: str) -> list[int]:
        """``n`` of ``rows`` to name, in seeded order, half of them (rounded up) from
        ``first_rows`` when it has them: rows whose printed label is an abstract code."""
        first = [r for r in self.named(rows, salt + "|first") if r in self.first_rows]
        first = first[:math.ceil(n / 2)]
        return first + [r for r in self.named(rows, salt) if r not in first][:n - len(first)]


def template_operations(view: TableView, columns: list[int], types: list[str],
                        lookups_per_column: int | Callable[[int], int], per_type: int,
                        seed: str, first_rows: Collection[int] = (),
                        unnamed_rows: Collection[int] = ()) -> list[Operation]:
    """Deterministic operations of each type over ``columns`` (in priority order);
    ``lookups_per_column`` is a count, or a function giving the count for a column.

    Rows whose label is an abstract code: lookups take up to half their rows from
    ``first_rows`` (codes with a meaning), and no question names ``unnamed_rows`` (codes
    without one)."""
    pick = _Picker(seed, view.table.table_id, first_rows, unnamed_rows)
    n_for = lookups_per_column if callable(lookups_per_column) else \
        (lambda _c: lookups_per_column)  # type: ignore[misc]
    numeric = [c for c in columns if len(view.values(c)) >= MIN_RANKED_ROWS]
    kinds = [question_type(t) for t in types]
    ops: list[Operation] = []
    # Per-column types (lookups) first, then the others in the order asked (stable sort).
    for kind in sorted(kinds, key=lambda k: not k.per_column):
        fit = [c for c in numeric if kind.unfit(view, c) is None]
        ops += kind.template_ops(view, columns, fit, n_for, per_type, pick)
    return ops


# --------------------------------------------------------------------------- question types


class QuestionKind(ABC):
    """One question type: how it is executed on a table, worded, and made from a table.

    A new type is one subclass registered in :data:`abstab.registry.question_types` (or, from
    another package, in the ``abstab.question_types`` entry-point group).
    """

    name: ClassVar[str]
    reasoning_points: ClassVar[int] = 1
    """Difficulty points of the reasoning: 0 for reading one cell, 1 for combining several."""
    names_rows: ClassVar[bool] = False
    """The question names its rows (``Operation.rows``); else the answer picks rows, named by
    the key column's header."""
    unordered_rows: ClassVar[bool] = False
    """Its rows are a set: asking about rows (a, b) asks what (b, a) asks."""
    uses_op: ClassVar[bool] = True
    """``Operation.op`` (max/min, gt/lt) is part of the question."""
    uses_threshold: ClassVar[bool] = False
    """``Operation.threshold`` is part of the question (and must be stated in it)."""
    per_column: ClassVar[bool] = False
    """Made per column, ``lookups_per_column`` of them, before the other types."""
    needs_measure: ClassVar[bool] = True
    """It adds, subtracts, compares or ranks the column's values, so the column must hold
    quantities: not identifiers, codes or years used as labels (see
    :meth:`TableView.label_column`)."""
    guide: ClassVar[str]
    """How an LLM writes one (its line in the generate prompt, see :func:`type_guide`): what
    is asked, and what goes in ``rows``, ``op`` and ``threshold``."""

    def unfit(self, view: TableView, col: int) -> tuple[str, str] | None:
        """Why this type cannot be asked of column ``col``, as (reason, message); None if it
        can."""
        if self.needs_measure:
            why = view.label_column(col)
            if why:
                return "label_column", f"column {col} holds labels, not quantities: {why}"
            why = view.number_problem(col)
            if why:
                return "incomparable_values", f"column {col} cannot be compared: {why}"
        return None

    @abstractmethod
    def compute(self, op: Operation, view: TableView) -> Computed:
        """The answer and its cells (the column is already checked to be a value column).

        Raises:
            QuestionError: the operation does not fit the table.
        """

    @abstractmethod
    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        """The template question: ``term`` (already phrased) names the column, ``entity`` the
        rows."""

    @abstractmethod
    def template_op(self, view: TableView, c: int, pick: _Picker) -> Operation | None:
        """One operation of this type on numeric column ``c``, or None if none fits."""

    def template_ops(self, view: TableView, columns: list[int], numeric: list[int],
                     n_for: Callable[[int], int], per_type: int,
                     pick: _Picker) -> list[Operation]:
        """Up to ``per_type`` operations over the ``numeric`` columns, in seeded order."""
        ops: list[Operation] = []
        for c in pick.order(numeric, self.name)[:len(numeric)]:
            if len(ops) >= per_type:
                break
            op = self.template_op(view, c, pick)
            if op is not None:
                ops.append(op)
        return ops


def question_type(name: str) -> QuestionKind:
    """The registered question type ``name``."""
    return question_types.get(name)()  # type: ignore[no-any-return]


class Lookup(QuestionKind):
    """One cell: "What is the <column> for <row>?"."""

    name = "lookup"
    guide = ('the value of one column for one row ("What is the <column> for <row>?"); '
             '"rows": [that row].')
    reasoning_points = 0
    names_rows = True
    uses_op = False
    per_column = True
    needs_measure = False  # "What is the item number of X?" is a fair question

    def unfit(self, view: TableView, col: int) -> tuple[str, str] | None:
        # A row's place in the list ("What is the serial number for Angul?" → 10) is no fact
        # about the row.
        values = view.values(col)
        if _serial(view, col) and min(values.values()) <= len(view.table.rows):
            return "serial_column", f"column {col} numbers the rows (serial numbers)"
        return None

    def compute(self, op: Operation, view: TableView) -> Computed:
        if len(op.rows) != 1 or op.rows[0] not in view.keys:
            raise QuestionError("bad_rows", f"lookup needs one labelled row, got {op.rows}")
        text = view.cell(op.rows[0], op.column)
        if not informative(text):
            raise QuestionError("empty_cell", f"cell ({op.rows[0]}, {op.column}) is empty "
                                f"({text!r})")
        if view.merged(op.rows[0], op.column):
            raise QuestionError("merged_cells", f"cell ({op.rows[0]}, {op.column}) runs "
                                f"several values together ({text!r})")
        if NOT_AVAILABLE.fullmatch(text):
            raise QuestionError("not_available", f"cell ({op.rows[0]}, {op.column}) says the "
                                f"value is not available ({text!r})")
        passage = _passage(text)
        if passage:
            raise QuestionError("not_one_value", f"cell ({op.rows[0]}, {op.column}) {passage}")
        return Computed(answer_of(text), [view.coord(op.rows[0], op.column)])

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        return f"What is the {term} for {view.keys[op.rows[0]]}?"

    def template_op(self, view: TableView, c: int, pick: _Picker) -> Operation | None:
        rows = _answerable(view, c)
        return Operation(type=self.name, column=c, key_column=view.key_column,
                         rows=[pick.order(rows, f"lookup|{c}")[0]]) if rows else None

    def template_ops(self, view: TableView, columns: list[int], numeric: list[int],
                     n_for: Callable[[int], int], per_type: int,
                     pick: _Picker) -> list[Operation]:
        """``n_for(c)`` lookups of each column in ``columns``, numeric or not."""
        ops: list[Operation] = []
        for c in (c for c in columns if self.unfit(view, c) is None):
            rows = _answerable(view, c)
            for r in sorted(pick.rows(rows, n_for(c), f"lookup|{c}")):
                ops.append(Operation(type=self.name, column=c, key_column=view.key_column,
                                     rows=[r]))
        return ops


MAX_ANSWER_WORDS = 25
"""A lookup's answer has at most this many words: a longer cell is a passage (or several rows
run together), not a value a reader gives back."""
_BULLET = re.compile(r"[•◦▪●■]")


MAX_CELL_QUANTITIES = 2
"""A lookup's answer holds at most this many quantities ("353 (93.9%)"): more are the values of
several records in one cell (a brand list with each brand's share, four rows of addresses in one
ruled cell)."""
_QUANTITY = re.compile(r"[-−+]?[$€£]?\d[\d,]*(?:\.\d+)?%?|0x[0-9a-f]+", re.IGNORECASE)
_NAME_LIST_COMMA = re.compile(r"[^\W\d_]\.{0,3}\s*,\s*[^\W\d_]")


def _records_in_cell(text: str) -> str | None:
    """Why a cell holds several records rather than one value (None if it holds one): more
    than :data:`MAX_CELL_QUANTITIES` quantities, or an amount beside a list of three or more
    names (a total and the parts it sums). A calculation ("1 work-hour × $85 per hour = $85")
    is one value with its working."""
    quantities = [q for t in text.split() if _QUANTITY.fullmatch(q := t.strip("()[],;:"))]
    if len(quantities) > MAX_CELL_QUANTITIES and "=" not in text:
        return f"holds {len(quantities)} values ({', '.join(quantities[:3])}, …): " \
               "several records in one cell"
    if quantities and len(_NAME_LIST_COMMA.findall(text)) >= 2:
        return f"gives {quantities[0]} with a list of names: a total and its parts in one cell"
    return None


def _passage(text: str) -> str | None:
    """Why a cell's text is no single answer (None if it is one): a bulleted list, several
    records in one cell (see :func:`_records_in_cell`) or more than :data:`MAX_ANSWER_WORDS`
    words."""
    if len(_BULLET.findall(text)) >= 2:
        return "is a bulleted list (several answers)"
    if records := _records_in_cell(text):
        return records
    if len(text.split()) > MAX_ANSWER_WORDS:
        return f"holds {len(text.split())} words (a passage, not one value)"
    return None


def _answerable(view: TableView, c: int) -> list[int]:
    """Labelled rows whose cell in column ``c`` is one value to look up (not "n.a.": that
    row and column make an unanswerable item, not a lookup; not a passage)."""
    return [r for r in view.keys if informative(view.cell(r, c)) and not view.merged(r, c)
            and not NOT_AVAILABLE.fullmatch(view.cell(r, c)) and not _passage(view.cell(r, c))]


class _PairKind(QuestionKind):
    """Two named rows of one numeric column."""

    names_rows = True
    higher_first: ClassVar[bool] = False
    """The template puts the row with the higher value first."""

    def template_op(self, view: TableView, c: int, pick: _Picker) -> Operation | None:
        values = view.values(c)
        rows = pick.named(sorted(values), f"{self.name}|{c}")
        for i in range(0, len(rows) - 1, 2):
            a, b = rows[i], rows[i + 1]
            if values[a] == values[b] or view.mixed_periods([a, b]):
                continue
            if self.higher_first and values[a] < values[b]:
                a, b = b, a
            return Operation(type=self.name, column=c, key_column=view.key_column, rows=[a, b],
                             op=self.pair_op(pick, a, b))
        return None

    def pair_op(self, pick: _Picker, a: int, b: int) -> Literal["max", "min"] | None:
        return None


class Comparison(_PairKind):
    """Which of two rows is higher/lower."""

    name = "comparison"
    guide = ('which of two rows has the higher ("op": "max") or lower ("op": "min") value of a '
             'column; "rows": [the two rows]; the answer is a row label.')
    unordered_rows = True

    def compute(self, op: Operation, view: TableView) -> Computed:
        (ra, a), (rb, b) = _operands(view, op, 2)
        cells = [view.coord(ra, op.column), view.coord(rb, op.column)]
        if op.op not in ("max", "min"):
            raise QuestionError("bad_operation", "comparison needs op max or min")
        if a == b:
            raise QuestionError("tie", f"rows {ra} and {rb} have the same value")
        win = ra if (a > b) == (op.op == "max") else rb
        return Computed(Answer(text=view.keys[win], value=view.keys[win], type="text"), cells)

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        more = "higher" if op.op == "max" else "lower"
        return f"Which has the {more} {term}: {view.keys[op.rows[0]]} or {view.keys[op.rows[1]]}?"

    def pair_op(self, pick: _Picker, a: int, b: int) -> Literal["max", "min"] | None:
        return ("max", "min")[seeded_int(pick.seed, a, b, digits=1) % 2]  # type: ignore[return-value]


class _ArithmeticKind(_PairKind):
    """A number computed from two named rows' values."""

    uses_op = False

    @abstractmethod
    def combine(self, a: float, b: float) -> float:
        """The answer from the two operands, in the order the question names them."""

    def compute(self, op: Operation, view: TableView) -> Computed:
        (ra, a), (rb, b) = _operands(view, op, 2)
        cells = [view.coord(ra, op.column), view.coord(rb, op.column)]
        texts = [view.cell(ra, op.column), view.cell(rb, op.column)]
        return Computed(_number_answer(self.combine(a, b), texts), cells)


class Sum(_ArithmeticKind):
    """The sum of two rows' values (of amounts: rates and shares do not add up)."""

    name = "sum"
    guide = 'the sum of a column\'s values for two rows; "rows": [the two rows].'
    unordered_rows = True

    def unfit(self, view: TableView, col: int) -> tuple[str, str] | None:
        rate = view.rate_column(col)
        if rate and not super().unfit(view, col):
            return "rate_column", f"column {col} holds rates or shares, not amounts: {rate}"
        return super().unfit(view, col)

    def combine(self, a: float, b: float) -> float:
        return a + b

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        k = view.keys
        return f"What is the sum of the {term} for {k[op.rows[0]]} and {k[op.rows[1]]}?"


class Difference(_ArithmeticKind):
    """How much higher one row's value is than another's."""

    name = "difference"
    guide = ('the value of the first row minus the value of the second; "rows": [first, '
             'second].')
    higher_first = True  # "how much higher is a than b" with a the higher

    def combine(self, a: float, b: float) -> float:
        return a - b

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        k = view.keys
        return f"How much higher is the {term} for {k[op.rows[0]]} than for {k[op.rows[1]]}?"


class Extremum(QuestionKind):
    """The row with the highest/lowest value."""

    name = "extremum"
    guide = ('which row has the highest ("op": "max") or lowest ("op": "min") value of a '
             'column; "rows": []; the answer is a row label.')

    def compute(self, op: Operation, view: TableView) -> Computed:
        if op.op not in ("max", "min"):
            raise QuestionError("bad_operation", "extremum needs op max or min")
        values = _ranked(view, op)
        best = (max if op.op == "max" else min)(values.values())
        winners = [r for r, v in values.items() if v == best]
        if len(winners) > 1:
            raise QuestionError("tie", f"{len(winners)} rows share the {op.op} value")
        r = winners[0]
        return Computed(Answer(text=view.keys[r], value=view.keys[r], type="text"),
                        [view.coord(r, op.column)])

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        most = "highest" if op.op == "max" else "lowest"
        return f"Which {entity} has the {most} {term}?"

    def template_op(self, view: TableView, c: int, pick: _Picker) -> Operation | None:
        values = view.values(c)
        for op_name in pick.order(["max", "min"], f"ext|{c}"):
            best = (max if op_name == "max" else min)(values.values())
            if sum(v == best for v in values.values()) == 1:
                return Operation(type=self.name, column=c, key_column=view.key_column,
                                 op=op_name)
        return None


class _ThresholdKind(QuestionKind):
    """The rows whose value is above or below a threshold."""

    uses_threshold = True

    def max_selected(self, n: int) -> int:
        """The most rows (of ``n`` numeric ones) a template may select."""
        return n - 1

    def than(self, op: Operation) -> str:
        assert op.threshold is not None
        return f"{'greater' if op.op == 'gt' else 'less'} than {threshold_text(op.threshold)}"

    def template_op(self, view: TableView, c: int, pick: _Picker) -> Operation | None:
        # A round threshold between two neighbouring distinct values.
        values = view.values(c)
        distinct = sorted(set(values.values()))
        n = len(values)
        cuts = []
        for i in range(len(distinct) - 1):
            above = sum(v > distinct[i] for v in values.values())
            below = n - above
            limit = self.max_selected(n)
            if 1 <= above <= limit:
                cuts.append(("gt", i))
            if 1 <= below <= limit:
                cuts.append(("lt", i))
        for op_name, i in pick.order(cuts, f"{self.name}|cut|{c}")[:1]:
            t = _round_between(distinct[i], distinct[i + 1])
            return Operation(type=self.name, column=c, key_column=view.key_column, op=op_name,
                             threshold=t)
        return None


class Count(_ThresholdKind):
    """How many rows are above or below a threshold."""

    name = "count"
    guide = ('how many rows have a value greater ("op": "gt") or less ("op": "lt") than a '
             'number; put the number in "threshold" and in the question; "rows": []; the answer '
             'is the count.')

    def compute(self, op: Operation, view: TableView) -> Computed:
        rows = _selected(view, op)
        cells = [view.coord(r, op.column) for r in rows]
        return Computed(Answer(text=str(len(rows)), value=float(len(rows)), type="number"),
                        cells)

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        return f"For how many {entity} entries is the {term} {self.than(op)}?"


class Filter(_ThresholdKind):
    """Which rows are above or below a threshold."""

    name = "filter"
    guide = ('which rows have a value greater ("op": "gt") or less ("op": "lt") than a number; '
             'put the number in "threshold" and in the question; "rows": []; the answer lists '
             'the row labels separated by "; ".')

    def max_selected(self, n: int) -> int:
        return MAX_FILTER_ANSWERS

    def compute(self, op: Operation, view: TableView) -> Computed:
        rows = _selected(view, op)
        ranked = len(_ranked(view, op))
        cells = [view.coord(r, op.column) for r in rows]
        if not 1 <= len(rows) <= min(MAX_FILTER_ANSWERS, ranked - 1):
            raise QuestionError("bad_filter", f"filter selects {len(rows)} of {ranked} rows; "
                                f"1 to {MAX_FILTER_ANSWERS} (and not all) make a question")
        keys = [view.keys[r] for r in rows]
        return Computed(Answer(text="; ".join(keys), value=keys, type="list"), cells)

    def wording(self, op: Operation, view: TableView, term: str, entity: str) -> str:
        return f"For which {entity} entries is the {term} {self.than(op)}?"


# --------------------------------------------------------------------------- prompting


def type_guide(types: list[str]) -> str:
    """The generate prompt's rules for ``types``, one line each from its class's
    :attr:`QuestionKind.guide` (so a new type brings its own line)."""
    return "\n".join(f'- "{t}": {question_type(t).guide}' for t in types)


# --------------------------------------------------------------------------- difficulty

LINK_POINTS = {"text": 0, "table_clear": 0, "table_defined": 1, "table_implicit": 2,
               "unanswerable": 2}
"""How far the answer is from the question's words: 0 when the question's term is in the
table or text as written; 1 when the table shows a code the document defines; 2 when the
meaning is only implied, or the document does not say (the system must abstain)."""


def difficulty(location: str, qtype: str | None) -> str:
    """The difficulty label: ``easy`` (0 points), ``medium`` (1), ``hard`` (2 or more),
    summing :data:`LINK_POINTS` of the answer location and the question type's
    :attr:`QuestionKind.reasoning_points` (no type, e.g. a fill-in-the-blank sentence, counts
    as a lookup)."""
    qtype = qtype or "lookup"
    points = LINK_POINTS[location] + (
        question_type(qtype).reasoning_points if qtype in question_types else 0)
    return "easy" if points == 0 else "medium" if points == 1 else "hard"


__all__ = [
    "NOT_AVAILABLE",
    "QUESTION_TYPES",
    "Computed",
    "QuestionError",
    "QuestionKind",
    "TableView",
    "answer_of",
    "answers_match",
    "data_table_problem",
    "difficulty",
    "entity_name",
    "execute",
    "format_number",
    "has_leader",
    "informative",
    "is_aggregate",
    "key_column",
    "link_column",
    "natural_term",
    "period_kind",
    "phrase",
    "question_type",
    "template_operations",
    "term_debris",
    "term_problem",
    "threshold_text",
    "type_guide",
    "wording",
    "wording_problem",
]
