"""Implied explanations of a code: the kinds of clue a controlled document may give.

An *implied* explanation never states ``CODE = meaning``; a sentence of the document lets a
reader work the meaning out from the table. Each kind is one class of :data:`CLUES` (its name is
the item's ``Abstraction.explained_by``) that knows every sentence of its kind that is *true* of
a line of the table (a column, or a row of a table with row headers), said with the target's
natural term. From that one method follow both jobs:

* :meth:`ClueKind.write` picks, for the abstracted header's line, a sentence that no other line
  makes true (and that gives away no item's answer);
* :meth:`ClueKind.check` re-derives, from a table and a clue text alone (a released table and
  its document), which lines the clue fits; the clue holds when it fits the target's line and
  no other, and names no code.

Kinds (all are ``implicit`` legends: the item is ``table_implicit``, the keyword
``inferable_document``):

* ``value_mention``: one value of the line, unique in the table, named with the term;
* ``unit_mention``: a value of the line with the quantity word the header counts in ("5
  votes" for *Total Votes*); only for whole-number lines of a header ending in a count noun,
  never for money tables;
* ``comparison``: which row holds the line's largest or smallest value (columns), or in which
  year it peaks (rows), stated in words without the value;
* ``trend``: the line rises (or falls) at every step: down the rows, or over the years;
* ``elsewhere``: a sentence of the source report itself (TAT-QA paragraphs) naming the term
  with a value found on that line only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import ClassVar, Literal

from abstab.core.normalize import parse_number, squash
from abstab.core.seeded import seeded_int, seeded_order
from abstab.core.words import COMMON_WORD_ZIPF, content_words, zipf

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_PLAIN_NUMBER = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
_NUMBER_CORE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
_NUMBERISH = re.compile(r"^[\s$€£¥(]*[-−+]?[\d.,]+\s*%?\)?$")
# Plural header words that name money or a mass, not things counted: "3,770 receivables" would
# be false of a column of amounts.
_NOT_COUNTED = frozenset({
    "assets", "benefits", "borrowings", "charges", "contracts", "costs", "dividends",
    "earnings", "expenses", "fees", "figures", "investments", "leases", "liabilities",
    "obligations", "payables", "prices", "proceeds", "profits", "provisions", "rates",
    "receivables", "reserves", "results", "revenues", "sales", "savings", "securities",
    "statistics", "taxes", "totals", "values", "wages", "allowances", "amounts", "losses",
    "gains", "funds", "notes", "loans", "deposits", "accruals", "options"})
MONEY_SCALES = frozenset({"thousand", "million", "billion"})
"""A table whose questions carry one of these scales counts money: no unit mention there."""


def term_of(meaning: str) -> str:
    """The header as a question or sentence says it ("Total sales" → "total sales")."""
    first = meaning.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and zipf(first) >= COMMON_WORD_ZIPF:
        return meaning[0].lower() + meaning[1:]
    return meaning


def _word(code: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(code)}(?!\w)")


@dataclass(frozen=True)
class ClueTable:
    """A table as a clue is written and checked against: its grid (header rows first) and the
    abstracted header cell, a column header (``row < n_header``) or a row label (column 0).

    Args:
        grid: the table's rows as text, header rows first.
        n_header: how many of them are header rows.
        row: the abstracted header cell's row.
        col: its column.
        meaning: the header's natural meaning (gold by construction).
    """

    grid: list[list[str]]
    n_header: int
    row: int
    col: int
    meaning: str

    @property
    def orientation(self) -> Literal["column", "row"]:
        return "column" if self.row < self.n_header else "row"

    @property
    def width(self) -> int:
        return max((len(r) for r in self.grid), default=0)

    @property
    def term(self) -> str:
        return term_of(self.meaning)

    @property
    def keyed(self) -> bool:
        """A column clue names the row by its label in column 0 (not when it *is* column 0)."""
        return self.orientation == "column" and self.col != 0

    @property
    def target(self) -> int:
        """The target's line: its column, or its row."""
        return self.col if self.orientation == "column" else self.row

    @cached_property
    def _text(self) -> list[list[str]]:
        return [[squash(v) for v in row] for row in self.grid]

    @cached_property
    def value_counts(self) -> Counter[str]:
        """How often each body value occurs in the table (spaces ignored)."""
        return Counter(squash(v, sep="") for row in self.grid[self.n_header:] for v in row)

    @cached_property
    def _keys(self) -> Counter[str]:
        return Counter(self.cell(i, 0) for i in range(self.n_header, len(self.grid)))

    def cell(self, r: int, c: int) -> str:
        return self._text[r][c] if 0 <= r < len(self._text) and c < len(self._text[r]) else ""

    def lines(self) -> list[int]:
        """The lines a clue could be about: the columns (but the row labels' column when the
        clue names rows by it), or the body rows."""
        if self.orientation == "row":
            return list(range(self.n_header, len(self.grid)))
        return list(range(1 if self.keyed else 0, self.width))

    def line_cells(self, line: int) -> list[tuple[int, int]]:
        """The body cells of a line: under a column, or beside a row label."""
        if self.orientation == "row":
            return [(line, c) for c in range(1, self.width)]
        return [(r, line) for r in range(self.n_header, len(self.grid))]

    def key(self, r: int) -> str:
        """A body row's label, when it names one row only in words ("For 1, …" names no row
        a reader can find by its label)."""
        k = self.cell(r, 0)
        return k if self._keys[k] == 1 and sum(ch.isalpha() for ch in k) >= 2 else ""

    def label(self, c: int) -> str:
        """A column's label when it names that column only: a year or words, not a bare unit
        ("$", "%", "€m") nor a label two columns share."""
        lab = self.column_label(c)
        if not (_YEAR.match(lab) or sum(ch.isalpha() for ch in lab) >= 3):
            return ""
        return lab if [self.column_label(i) for i in range(1, self.width)].count(lab) == 1 else ""

    def column_label(self, c: int) -> str:
        """The lowest non-empty header text of a column ("2019" under "Years Ended …")."""
        for r in range(self.n_header - 1, -1, -1):
            if self.cell(r, c):
                return self.cell(r, c)
        return ""

    def year_columns(self) -> list[tuple[int, int]]:
        """(year, column) of the columns labelled by a year, oldest first; none when a year
        labels two columns ("2019 $" and "2019 %" would make "in 2019" ambiguous)."""
        years = [(int(lab), c) for c in range(1, self.width)
                 if _YEAR.match(lab := self.column_label(c))]
        if len({y for y, _ in years}) != len(years):
            return []
        return sorted(years)

    def name(self, line: int) -> str:
        """A line as a message names it."""
        if self.orientation == "row":
            return f"row {line} ({self.cell(line, 0)!r})"
        return f"column {line} ({self.column_label(line)!r})"

    @classmethod
    def from_record(cls, grid: list[list[str]], n_header: int, code: str, column: int | None,
                    meaning: str) -> ClueTable | None:
        """The table of a released item: the header cell showing ``code`` (in ``column``), the
        cell that is exactly the code first."""
        found = [(squash(v) != code, r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
                 if (column is None or c == column) and (r < n_header or c == 0)
                 and _word(code).search(v)]
        if not found:
            return None
        _, r, c = min(found)
        return cls(grid, n_header, r, c, meaning)


@dataclass(frozen=True)
class Said:
    """A sentence true of one line, with the cells it rests on and the words it names."""

    text: str
    cells: frozenset[tuple[int, int]] = frozenset()
    names: tuple[str, ...] = ()


@dataclass
class ClueContext:
    """What a writer must respect: the items' evidence cells and answers, the source text."""

    avoid: set[tuple[int, int]] = field(default_factory=set)
    answers: set[str] = field(default_factory=set)
    paragraphs: list[str] = field(default_factory=list)
    header_text: str = ""  # the target's header cell as the source prints it
    scales: set[str] = field(default_factory=set)  # the scales of the table's questions
    seed: str = "0"
    doc_id: str = ""


@dataclass(frozen=True)
class Clue:
    """A clue to place in a document: a new sentence, or one the source text already has."""

    kind: str
    text: str
    paragraph: int | None = None
    start: int | None = None


class ClueKind:
    """One way a document implies a code's meaning (subclasses fill :meth:`sentences`)."""

    name: ClassVar[str]

    def usable(self, t: ClueTable, ctx: ClueContext) -> bool:
        """Whether this kind may speak about the target at all (not whether a sentence is
        unique: :meth:`write` checks that)."""
        return True

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        """Every sentence of this kind true of ``line``, said with the target's term."""
        raise NotImplementedError

    def fits(self, t: ClueTable, text: str) -> list[int]:
        """The lines of which ``text`` is a true sentence of this kind."""
        return [line for line in t.lines() if any(s.text == text for s in self.sentences(t, line))]

    def write(self, t: ClueTable, ctx: ClueContext) -> Clue | None:
        """A sentence true of the target's line only, resting on no item's cell and naming
        no item's answer; None when there is none. The pick is seeded by ``ctx.seed``."""
        if not self.usable(t, ctx):
            return None
        others: Counter[str] = Counter(s.text for line in t.lines() if line != t.target
                                       for s in self.sentences(t, line))
        options = [s for s in self.sentences(t, t.target)
                   if not others[s.text] and not (s.cells & ctx.avoid)
                   and not any(squash(n, sep="") in ctx.answers for n in s.names)]
        if not options:
            return None
        return Clue(self.name, seeded_order(options, ctx.seed, ctx.doc_id,
                                            by=lambda s: s.text)[0].text)

    def check(self, t: ClueTable, text: str, code: str) -> str | None:
        """Why ``text`` is not a sound clue of this kind for the target (None when it is)."""
        if code and _word(code).search(text):
            return f"the clue {text!r} names the code {code!r}"
        lines = self.fits(t, text)
        if lines == [t.target]:
            return None
        if not lines:
            return f"the {self.name} clue {text!r} fits no {t.orientation} of the table"
        return (f"the {self.name} clue {text!r} fits {', '.join(t.name(x) for x in lines)}; "
                f"it must fit {t.name(t.target)} only")


CLUES: dict[str, ClueKind] = {}
"""The implied kinds by name (``explained_by``), in the order they are tried."""


def register(cls: type[ClueKind]) -> type[ClueKind]:
    CLUES[cls.name] = cls()
    return cls


@register
class ValueMention(ClueKind):
    """A sentence names one value of the column (or row), found nowhere else in the table,
    together with the header's natural term."""

    name = "value_mention"

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        out = []
        for r, c in t.line_cells(line):
            v = t.cell(r, c)
            if not any(ch.isalnum() for ch in v) or t.value_counts[squash(v, sep="")] != 1:
                continue
            if t.orientation == "row":
                label = t.label(c)
                if label:
                    out.append(Said(f"The {t.term} was {v} in {label}.", frozenset({(r, c)}), (v,)))
            elif not t.keyed:
                out.append(Said(f"One {t.term} listed in Table 1 is {v}.", frozenset({(r, c)}), (v,)))
            elif (key := t.cell(r, 0)) and key != v:
                out.append(Said(f"For {key}, the {t.term} was {v}.", frozenset({(r, c)}), (v,)))
        return out


def _count_noun(meaning: str) -> str | None:
    """The plural noun a header ends in, when its values count such things ("Total Votes" →
    "votes"); None for money and mass words."""
    last = meaning.split()[-1].lower() if meaning.split() else ""
    if (re.fullmatch(r"[a-z]{3,}s", last) and not last.endswith(("ss", "us", "is"))
            and last not in _NOT_COUNTED):
        return last
    return None


@register
class UnitMention(ClueKind):
    """A sentence gives one value of the column (or row) with the quantity word the header
    counts in ("5 votes" for a code standing for Total Votes)."""

    name = "unit_mention"

    def usable(self, t: ClueTable, ctx: ClueContext) -> bool:
        values = [t.cell(r, c) for r, c in t.line_cells(t.target) if t.cell(r, c)]
        # The header says nothing beside its meaning (a "(000s)" would make the count false),
        # every value is a plain count, and the table is not about money.
        return (_count_noun(t.meaning) is not None and squash(ctx.header_text) == t.meaning
                and len(values) >= 2 and all(_PLAIN_NUMBER.match(v) for v in values)
                and not ctx.scales & MONEY_SCALES and (t.keyed or t.orientation == "row"))

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        unit = _count_noun(t.meaning)
        if unit is None:
            return []
        out = []
        for r, c in t.line_cells(line):
            v = t.cell(r, c)
            if not _PLAIN_NUMBER.match(v):
                continue
            if t.orientation == "row":
                label = t.label(c)
                if label:
                    out.append(Said(f"In {label}, Table 1 lists {v} {unit}.", frozenset({(r, c)}),
                                    (v,)))
            elif t.keyed and (key := t.key(r)):
                out.append(Said(f"For {key}, Table 1 lists {v} {unit}.", frozenset({(r, c)}),
                                (v, key)))
        return out


def _numbers(t: ClueTable, cells: list[tuple[int, int]], least: int
             ) -> list[tuple[tuple[int, int], float]] | None:
    """The cells' numbers, when the cells hold numbers (at least ``least``) and no other
    text with digits ("November 10"). Empty cells and dashes ("—", "n/a") are skipped, as a
    reader skips them: another line is then judged on the numbers it has (a check errs
    towards "fits"); the target's own line has none (:meth:`_NumericKind.usable`)."""
    out = []
    for r, c in cells:
        v = t.cell(r, c)
        if not any(ch.isdigit() for ch in v):
            continue
        x = parse_number(v) if _NUMBERISH.match(v) else None
        if x is None:
            return None
        out.append(((r, c), x))
    return out if len(out) >= least else None


def _over_years(t: ClueTable, line: int, least: int
                ) -> tuple[list[tuple[int, int]], list[tuple[tuple[int, int], float]]] | None:
    """A row's numbers in its year columns (oldest first), at least ``least`` of them."""
    years = t.year_columns()
    nums = _numbers(t, [(line, c) for _, c in years], least) if len(years) >= least else None
    return (years, nums) if nums is not None else None


class _NumericKind(ClueKind):
    """A kind that speaks of a line's numbers: a column named by row labels, or a row over
    years; never a column of years (which would "rise" as a calendar does)."""

    def usable(self, t: ClueTable, ctx: ClueContext) -> bool:
        # Every value the sentence speaks of is a number (no gap or dash it would pass over).
        cells = ([(t.row, c) for _, c in t.year_columns()] if t.orientation == "row"
                 else t.line_cells(t.target))
        return (t.keyed or t.orientation == "row") and bool(cells) and all(
            _NUMBERISH.match(t.cell(r, c)) and not _YEAR.match(t.cell(r, c)) for r, c in cells)

    def write(self, t: ClueTable, ctx: ClueContext) -> Clue | None:
        # It gives no value away, so it may rest on cells the items ask about; only the row or
        # year it names must not be an item's answer ("which year was highest?").
        return super().write(t, ClueContext(set(), ctx.answers, ctx.paragraphs, ctx.header_text,
                                            ctx.scales, ctx.seed, ctx.doc_id))


@register
class Comparison(_NumericKind):
    """A sentence says, without the value, which row holds the column's largest or smallest
    value (or in which year the row is highest or lowest), and no other column (row) of the
    table has its extreme there."""

    name = "comparison"

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        if t.orientation == "row":
            found = _over_years(t, line, 3)
            if found is None:
                return []
            years, nums = found
            label = {c: str(y) for y, c in years}
            where = "Of the years shown in Table 1, the {term} was {word} in {name}."
        else:
            down = _numbers(t, t.line_cells(line), 3)
            if down is None:
                return []
            nums = down
            label = {r: t.key(r) for (r, _c), _x in nums}
            where = "Of the rows of Table 1, {name} has the {word} {term}."
        out = []
        for word, best in (("highest", max), ("lowest", min)):
            top = best(x for _, x in nums)
            at = [cell for cell, x in nums if x == top]
            if len(at) != 1:
                continue
            (r, c), = at
            name = label[c] if t.orientation == "row" else label[r]
            if name:
                text = where.format(term=t.term, word=word, name=name)
                out.append(Said(text, frozenset({(r, c), (r, 0)}), (name,)))
        return out


@register
class Trend(_NumericKind):
    """A sentence says the column rises (or falls) with every row, or the row with every year,
    and no other column (row) does."""

    name = "trend"

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        if t.orientation == "row":
            found = _over_years(t, line, 2)
            if found is None:
                return []
            years, nums = found
            first, last = str(years[0][0]), str(years[-1][0])
            names: tuple[str, ...] = ()
            every = " every year" if len(years) >= 3 else ""
            form = "The {term} {verb}" + every + f" from {first} to {last}."
            verbs = ("rose", "fell")
        else:
            cells = t.line_cells(line)
            down = _numbers(t, cells, 3)
            if down is None:
                return []
            nums = down
            first, last = t.key(cells[0][0]), t.key(cells[-1][0])
            if not (first and last):
                return []
            names = (first, last)
            form = "Down Table 1, from " + first + " to " + last + ", the {term} {verb} with every row."
            verbs = ("rises", "falls")
        xs = [x for _, x in nums]
        steps = list(pairwise(xs))
        cells_used = frozenset(cell for cell, _ in nums)
        if all(b > a for a, b in steps):
            return [Said(form.format(term=t.term, verb=verbs[0]), cells_used, names)]
        if all(b < a for a, b in steps):
            return [Said(form.format(term=t.term, verb=verbs[1]), cells_used, names)]
        return []



def _mentioned(t: ClueTable, line: int, text: str) -> list[tuple[int, int]]:
    """The line's body cells whose value ``text`` names (a number by its digits, not a year;
    a word value of four letters or more as a whole word)."""
    out = []
    for r, c in t.line_cells(line):
        v = t.cell(r, c)
        m = _NUMBER_CORE.search(v)
        if m and parse_number(v) is not None:
            core = m.group(0)
            if len(core.replace(",", "")) < 2 or _YEAR.match(core):
                continue
            pattern = rf"(?<![\d.,]){re.escape(core)}(?!\d|[.,]\d)"
        elif len(v) >= 4 and any(ch.isalpha() for ch in v):
            pattern = rf"(?<!\w){re.escape(v)}(?!\w)"
        else:
            continue
        if re.search(pattern, text):
            out.append((r, c))
    return out


@register
class Elsewhere(ClueKind):
    """A sentence of the report's own text, away from the table, names the quantity with a value
    found on that column (row) only."""

    name = "elsewhere"

    def usable(self, t: ClueTable, ctx: ClueContext) -> bool:
        return bool(ctx.paragraphs)

    def _names_term(self, t: ClueTable, text: str) -> bool:
        words = {w for w in content_words(t.meaning) if not w.isdigit()}
        return bool(words) and words <= content_words(text)

    def fits(self, t: ClueTable, text: str) -> list[int]:
        if not self._names_term(t, text):
            return []
        return [line for line in t.lines() if _mentioned(t, line, text)]

    def sentences(self, t: ClueTable, line: int) -> list[Said]:
        return []  # the report's own sentences, see write

    def write(self, t: ClueTable, ctx: ClueContext) -> Clue | None:
        if not self.usable(t, ctx):
            return None
        for i, p in enumerate(ctx.paragraphs):
            start = 0
            for end in [m.start() for m in _SENTENCE_END.finditer(p)] + [len(p)]:
                text = p[start:end].strip()
                if text and self.fits(t, text) == [t.target]:
                    return Clue(self.name, text, i, p.index(text, start))
                start = end
        return None


IMPLIED_KINDS: tuple[str, ...] = tuple(CLUES)
EXPLICIT_KINDS: tuple[str, ...] = ("legend", "definition_sentence")
EXPLAINED_BY: tuple[str, ...] = (*EXPLICIT_KINDS, *IMPLIED_KINDS)
"""Every ``Abstraction.explained_by`` value: the explicit ones, then the implied kinds."""
DEFAULT_WEIGHTS: dict[str, int] = dict.fromkeys(EXPLAINED_BY, 1)
"""The default mix: every kind weighs 1 (explicit: legend vs sentence 1:1; implicit: each kind
that can explain the header equally likely)."""


def check_weights(weights: dict[str, int], explanations: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the field when the mix is not usable.

    Raises:
        ValueError: an unknown kind, a negative weight, or an explanation in use whose kinds
            all weigh 0.
    """
    bad = sorted(set(weights) - set(EXPLAINED_BY))
    if bad:
        raise ValueError(f"unknown explained_by kinds {bad}; valid kinds: {list(EXPLAINED_BY)}")
    negative = sorted(k for k, w in weights.items() if w < 0)
    if negative:
        raise ValueError(f"explained_by weights must be >= 0: {negative}")
    full = {**DEFAULT_WEIGHTS, **weights}
    for expl, kinds in (("explicit", EXPLICIT_KINDS), ("implicit", IMPLIED_KINDS)):
        if expl in explanations and not any(full[k] for k in kinds):
            raise ValueError(f"explained_by gives every {expl} kind weight 0 ({list(kinds)}) "
                             f"but explanations include {expl!r}; raise one or drop {expl!r}")


def weighted_order(names: list[str], weights: dict[str, int], *key: object) -> list[str]:
    """``names`` with weight > 0, drawn one by one without replacement, each draw seeded by
    ``key`` and weighted (deterministic)."""
    left = [n for n in names if weights.get(n, 1) > 0]
    out: list[str] = []
    while left:
        total = sum(weights.get(n, 1) for n in left)
        r = seeded_int(*key, len(out), digits=8) % total
        for n in left:
            r -= weights.get(n, 1)
            if r < 0:
                out.append(n)
                left.remove(n)
                break
    return out


def clue_problem(kind: str, t: ClueTable | None, text: str, code: str) -> str | None:
    """Why an implied item's clue does not single out its header (None when it does)."""
    if kind not in CLUES:
        return f"explained_by {kind!r} is no implied kind ({list(IMPLIED_KINDS)})"
    if t is None:
        return f"the code {code!r} is in no header cell of the table"
    return CLUES[kind].check(t, text, code)


__all__ = ["CLUES", "DEFAULT_WEIGHTS", "EXPLAINED_BY", "EXPLICIT_KINDS", "IMPLIED_KINDS", "Clue",
           "ClueContext", "ClueKind", "ClueTable", "Said", "check_weights", "clue_problem",
           "term_of", "weighted_order"]
