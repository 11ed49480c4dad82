"""The rules reader: answers a question from the passages it is given, or abstains.

Tables: the question is parsed into row and column references and an operation.

- rows: a row whose label the question names (whole label, else most of its content words);
- columns: columns whose name, or a meaning the passages give for it, shares content words
  with the question (years count: "in 2019" names the column "2019");
- operation, from the question's wording: lookup (default; several named columns give a list),
  change ("change / difference / increase ... between 2018 and 2019": later minus earlier),
  percentage change, ratio / percentage of, average, sum, comparison ("in which year was X larger"), superlative
  ("which team had the most points": arg-max over the named numeric column), first / last,
  and count ("how many rows have a value the question names").

Tables that continue each other (the same header rows, or the same row labels in the same
order: one table split over two places of a document) are read as one table.

Numbers computed from cells are rounded to 2 places; an answer from a table whose header, or
a text passage, states a scale ("in thousands", "$'000") carries the scale word
("1,234 thousand"), and one from a percentage column a "%", since "1,234" alone is not the
amount. Lists are written as items joined by " | ".

Text: a fill-in-the-blank question is matched against the passages' sentences; otherwise the
sentence sharing most of the question's content words (at least 60% of them, and two) is found
and its part after the last question word of its first half is the answer. Anything else:
abstain. The system decides what the reader sees (a table without its notes, retrieved text,
gold meanings); the reader is the same for all. It knows no abbreviation by itself: a header
like ``Avg. disch.`` is only understood when the passages define it, which is exactly what
the benchmark measures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from abstab.core.headers import classify
from abstab.core.normalize import parse_number, squash
from abstab.core.words import BLANK, content_words
from abstab.llm.tasks import AnswerOutput, Passage
from abstab.records import Table
from abstab.rules.definitions import implied_matches, stated_meanings

# Words that say what to do with values rather than which values: they name no row or column.
_OPERATION_WORDS = {
    "change", "difference", "increase", "decrease", "average", "mean", "total", "sum", "percentage",
    "percent", "ratio", "between", "year", "years", "respective", "respectively", "amount",
    "larger", "largest", "higher", "highest", "greater", "greatest", "smaller", "smallest",
    "lower", "lowest", "more", "most", "less", "least", "fewer", "fewest", "first", "last", "top",
    "number", "count", "net", "growth", "combined", "company", "companies", "group",
}


@dataclass
class _Hit:
    score: float
    answer: str
    evidence: str
    extra_evidence: list[str] = field(default_factory=list)


def header_meanings(table: Table, passages: list[Passage]) -> dict[int, list[str]]:
    """Extra names for each column: meanings of its abstract header stated in the table's
    notes or the text passages, else phrases of the passages it abbreviates."""
    texts = [p.text for p in passages if p.kind == "text"]
    out: dict[int, list[str]] = {}
    for cell in table.cells:
        if not cell.header:
            continue
        feats = classify(cell.text)
        if feats.style == "natural" or not feats.keyword:
            continue
        found = [s.long for s in stated_meanings(table, cell.row, cell.col, feats.keyword, texts)]
        if not found:
            for text in texts:
                found.extend(m.long for m in implied_matches(text, feats.keyword)[:1])
        for c in range(cell.col, cell.col + cell.col_span):
            out.setdefault(c, []).extend(found)
    return out


def answer_cloze(question: str, passages: list[Passage]) -> _Hit | None:
    m = re.search(r'"([^"]*' + re.escape(BLANK) + r'[^"]*)"', question)
    if not m:
        return None
    left, _, right = (squash(part) for part in m.group(1).partition(BLANK))
    # The blank is a short span (at most four tokens); with nothing on its left it starts a
    # sentence.
    start = re.escape(left).replace(r"\ ", r"\s+") if left else r"(?:^|(?<=[.!?]\s))"
    pattern = (start + r"\s*(\S+(?:\s+\S+){0,3}?)\s*"
               + re.escape(right).replace(r"\ ", r"\s+"))
    for p in passages:
        if p.kind != "text":
            continue
        hit = re.search(pattern, p.text)
        if hit:
            return _Hit(1.0, hit.group(1), p.id)
    return None


# ------------------------------------------------------------------------ scale and numbers

_SCALE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("thousand", re.compile(r"\bin\s+(?:[$€£¥]\s*|[a-z]{3}\s+)?thousands\b|\(\s*thousands\s*\)"
                            r"|[$€£¥]\s*'?000s?\b|'000s?\b|\(\s*000s?\s*\)|\bthousands of\b",
                            re.IGNORECASE)),
    ("million", re.compile(r"\bin\s+(?:[$€£¥]\s*|[a-z]{3}\s+)?millions\b|\(\s*millions\s*\)"
                           r"|[$€£¥]\s*(?:m|mn|million)s?\b(?![.\d])|\bmillions of\b",
                           re.IGNORECASE)),
    ("billion", re.compile(r"\bin\s+(?:[$€£¥]\s*|[a-z]{3}\s+)?billions\b|\(\s*billions\s*\)"
                           r"|[$€£¥]\s*(?:bn|billion)s?\b(?![.\d])|\bbillions of\b",
                           re.IGNORECASE)),
)
_PERCENT_NAME = re.compile(r"%|\bpercent(?:age)?\b|\bper cent\b", re.IGNORECASE)
_SCALE_WORD = re.compile(r"(?:thousand|million|billion|trillion|bn|mn|m|k|%|percent)\s*\)?\s*$",
                         re.IGNORECASE)


def stated_scale(texts: list[str]) -> str | None:
    """The first scale a text states for its amounts ("in thousands", "$'000", "(in millions)")."""
    for text in texts:
        best: tuple[int, str] | None = None
        for name, pattern in _SCALE_PATTERNS:
            m = pattern.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), name)
        if best:
            return best[1]
    return None


def _number(text: str) -> float | None:
    text = text.strip()
    if not text or not re.search(r"\d", text):
        return None
    return parse_number(text)


def _fmt(value: float) -> str:
    value = round(value, 2) + 0.0
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def _with_scale(answer: str, scale: str | None, percent: bool) -> str:
    if percent:
        return answer if "%" in answer else f"{answer}%"
    if scale and _number(answer) is not None and not _SCALE_WORD.search(answer):
        return f"{answer} {scale}"
    return answer


# ----------------------------------------------------------------------- question parsing

_YEAR_TOKEN = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")

_OPERATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pct_change", re.compile(r"\b(?:percent(?:age)?|%)\s+(?:change|increase|decrease|growth|"
                              r"decline|rise|fall)|\bgrowth rate\b|\bchange in percent", re.IGNORECASE)),
    ("ratio", re.compile(r"\b(?:percentage|proportion|ratio|share|fraction)\b(?!\s+(?:change|"
                         r"increase|decrease)).*\b(?:of|in|to|among|over)\b", re.IGNORECASE)),
    ("compare", re.compile(r"^\s*(?:in\s+)?(?:which|what)\s+(?:year|period|month|quarter|"
                           r"fiscal year)s?\b.*\b(?:larger|largest|higher|highest|greater|"
                           r"greatest|more|most|smaller|smallest|lower|lowest|less|least)\b",
                           re.IGNORECASE)),
    ("average", re.compile(r"\b(?:average|mean)\b", re.IGNORECASE)),
    ("change", re.compile(r"\b(?:change|difference|increase|decrease|differ|variance|"
                          r"how much (?:more|less|higher|lower))\b", re.IGNORECASE)),
    ("sum", re.compile(r"\b(?:sum of|combined|in total|total of|altogether|add up)\b", re.IGNORECASE)),
    ("count", re.compile(r"^\s*how many\b", re.IGNORECASE)),
    ("superlative", re.compile(r"\b(?:most|highest|largest|greatest|biggest|maximum|least|"
                               r"lowest|smallest|fewest|minimum)\b", re.IGNORECASE)),
    ("first_last", re.compile(r"\b(?:first|last)\b", re.IGNORECASE)),
)
_TRIGGER_WORDS = {content for word in (
    "change", "difference", "increase", "decrease", "differ", "variance", "average", "mean", "sum",
    "total", "combined", "percentage", "percent", "ratio", "proportion", "share", "fraction",
    "growth", "most", "least", "highest", "lowest", "largest", "smallest", "greatest", "biggest",
    "fewest", "maximum", "minimum", "first", "last", "larger", "smaller", "higher", "lower",
    "greater", "more", "less") for content in content_words(word)}
_SMALLER = re.compile(r"\b(?:least|lowest|smallest|fewest|minimum|smaller|lower|less)\b", re.IGNORECASE)


def _operation(question: str, names: list[str] | None = None,
               spans: list[tuple[int, int]] = ()) -> str:  # type: ignore[assignment]
    """The operation the question's wording asks for; a trigger word that belongs to a named
    row or column ("Change in mean score", "mean time between failures"), or lies inside a
    row label the question quotes (``spans``), asks for nothing."""
    named = set().union(*(content_words(n) for n in names)) if names else set()
    for name, pattern in _OPERATIONS:
        m = next((m for m in pattern.finditer(question)
                  if not any(a <= m.start() and m.end() <= b for a, b in spans)), None)
        if not m:
            continue
        triggers = content_words(m.group(0)) & _TRIGGER_WORDS
        if not triggers or not triggers <= named:
            return name
    return "lookup"


@dataclass
class _Ref:
    index: int
    score: float
    position: int  # where in the question it is named (for "from A to B" order)
    by_year: bool = False  # a column named by its year
    whole: bool = False  # a column named by its whole label ("% Change 2018 to 2019")


def _mentions(question: str, phrase: str) -> int:
    """Position of ``phrase`` (whole words) in the question, or -1."""
    phrase = squash(phrase)
    if not phrase or phrase.lower() not in question.lower():  # the cheap test first
        return -1
    m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", question, re.IGNORECASE)
    return m.start() if m else -1


def _column_refs(question: str, table: Table, meanings: dict[int, list[str]],
                 exclude: set[str]) -> list[_Ref]:
    """Columns the question names, best first."""
    q_words = content_words(question) - exclude
    refs = []
    body: set[str] | None = None  # the body's cells, built only when a label is said whole
    for c, name in enumerate(table.columns):
        if c == 0:
            continue
        year_bonus, best, pos = 0.0, 0.0, -1
        year = _year(table, c)
        # A label of several words or with digits ("2017/2018", "% Change 2018 to 2019") said
        # whole names its column outright, as a row label does; its years and trigger words
        # then belong to it.
        label = squash(_column_label(table, c))
        whole_at = (_mentions(question, label)
                    if (len(label.split()) >= 2 or any(ch.isdigit() for ch in label))
                    and year is None else -1)
        if whole_at >= 0 and body is None:
            body = {squash(cell).lower() for row in table.rows for cell in row}
        # A label that is also a body cell ("Dallas Cowboys" under a mis-split header) more
        # likely names a row: it does not name its column outright.
        if whole_at >= 0 and body is not None and label.lower() not in body:
            refs.append(_Ref(c, 2.0 + 0.01 * len(label), whole_at, whole=True))
            continue
        if year is not None:
            # A year column ("2019", "FY 2019", "April 27, 2019") is named by the year itself;
            # its other words ("2022 / Plan") still decide between columns of one year.
            at = _mentions(question, str(year))
            if at >= 0:
                year_bonus, pos = 1.5, at
        for n in [name, *meanings.get(c, [])]:
            words = {w for w in content_words(n) if not _YEAR_TOKEN.match(w)}
            # Words like "total" or "change" name a column only when it has no other words.
            words = words - _OPERATION_WORDS or words
            if not words:
                continue
            shared = q_words & words
            if shared:
                score = len(shared) / len(words) + 0.1 * len(shared)
                if score > best:
                    best = score
                    if pos < 0:
                        pos = min((m.start() for w in shared
                                   for m in [re.search(rf"\b{re.escape(w)}", question, re.IGNORECASE)]
                                   if m), default=0)
        if year_bonus + best > 0:
            refs.append(_Ref(c, year_bonus + best, pos, year is not None and year_bonus > 0))
    return sorted(refs, key=lambda r: (-r.score, r.position))


def _row_refs(question: str, table: Table) -> list[_Ref]:
    """Rows whose label the question names: the whole label, else most of its words."""
    q_words = content_words(question)
    refs = []
    for r, row in enumerate(table.rows):
        label = squash(row[0]) if row else ""
        at = _mentions(question, label.rstrip(":")) if len(label) >= 2 else -1
        if at >= 0:
            refs.append(_Ref(r, 2.0 + 0.01 * len(label), at))
            continue
        # Tables keyed by a rank or a number (WTQ) name their rows by another cell's words.
        others = [(m, squash(cell)) for cell in row[1:]
                  if len(cell.strip()) >= 2
                  and (m := _mentions(question, squash(cell))) >= 0
                  and _number(cell) is None]
        if others:
            at, text = max(others, key=lambda o: len(o[1]))
            refs.append(_Ref(r, 1.9 + 0.01 * len(text), at))
            continue
        if len(label) < 2:
            continue
        words = content_words(label) - _OPERATION_WORDS
        words = {w for w in words if not w.isdigit()}
        if len(words) < 1:
            continue
        shared = words & q_words
        share = len(shared) / len(words)
        if share >= 0.6 and shared:
            pos = min((m.start() for w in shared
                       for m in [re.search(rf"\b{re.escape(w)}", question, re.IGNORECASE)] if m),
                      default=0)
            refs.append(_Ref(r, share + 0.1 * len(shared), pos))
    return sorted(refs, key=lambda r: (-r.score, r.position))


def _cell(table: Table, r: int, c: int) -> str:
    row = table.rows[r]
    return row[c].strip() if c < len(row) else ""


def _part_year(part: str) -> int | None:
    """The year a short header part names ("2019", "FY 2019", "April 27, 2019 (1)")."""
    years = set(_YEAR_TOKEN.findall(part))
    if len(years) == 1 and len(part.split()) <= 5 and not re.search(r"%|change", part, re.IGNORECASE):
        return int(years.pop())
    return None


def _year(table: Table, c: int) -> int | None:
    for part in reversed(table.columns[c].split(" / ")):
        year = _part_year(part)
        if year is not None:
            return year
    return None


def _column_label(table: Table, c: int) -> str:
    parts = [p for p in table.columns[c].split(" / ") if p.strip()]
    return parts[-1] if parts else table.columns[c]


# ------------------------------------------------------------------------ table operations


@dataclass
class _Parsed:
    question: str
    table: Table
    rows: list[_Ref]
    cols: list[_Ref]
    scale: str | None

    def ref(self, r: int, c: int) -> str:
        return f"{self.table.table_id}[{r}][{c}]"

    def percent_col(self, c: int) -> bool:
        return bool(_PERCENT_NAME.search(self.table.columns[c]))

    def percent_row(self, r: int) -> bool:
        return bool(_PERCENT_NAME.search(self.table.rows[r][0])) if self.table.rows[r] else False


def _across_rows(p: _Parsed) -> bool:
    """Values of several named rows in one column ("X for A and B"), rather than of one row in
    several columns ("X in 2018 and 2019"): two rows named outright and not two years."""
    years = {_year(p.table, ref.index) for ref in p.cols if ref.by_year}
    return len([r for r in p.rows if r.score >= 1.9]) >= 2 and len(years) < 2 and bool(p.cols)


def _two_values(p: _Parsed) -> tuple[float, float, list[str]] | None:
    """(earlier, later, evidence): one row and two columns, or one column and two rows."""
    if p.rows and len(p.cols) >= 2 and not _across_rows(p):
        r = p.rows[0].index
        cols = sorted(p.cols[:2], key=lambda ref: ref.position)
        years = [_year(p.table, ref.index) for ref in cols]
        # "from 2019 to 2018" runs in the order written; otherwise later minus earlier.
        ordered = years[0] is not None and years[1] is not None and re.search(
            rf"\bfrom\b\W*(?:\w+\W+){{0,4}}?{years[0]}\b.*\bto\b\W*(?:\w+\W+){{0,4}}?{years[1]}",
            p.question, re.IGNORECASE)
        if not ordered and all(y is not None for y in years):
            cols.sort(key=lambda ref: _year(p.table, ref.index) or 0)
        a, b = (_number(_cell(p.table, r, ref.index)) for ref in cols)
        if a is not None and b is not None:
            return a, b, [p.ref(r, ref.index) for ref in cols]
    if len(p.rows) >= 2 and p.cols:
        c = p.cols[0].index
        rows = sorted(p.rows[:2], key=lambda ref: ref.position)
        a, b = (_number(_cell(p.table, ref.index, c)) for ref in rows)
        if a is not None and b is not None:
            # "difference between A and B": A minus B, so the later-named is "earlier" here.
            return b, a, [p.ref(ref.index, c) for ref in rows]
    return None


def _op_change(p: _Parsed) -> _Hit | None:
    two = _two_values(p)
    if two is None:
        return None
    old, new, ev = two
    percent = p.percent_col(p.cols[0].index) or p.percent_row(p.rows[0].index)
    return _Hit(2.0, _with_scale(_fmt(new - old), p.scale, percent), ev[0], ev[1:])


def _op_pct_change(p: _Parsed) -> _Hit | None:
    two = _two_values(p)
    if two is None or two[0] == 0:
        return None
    old, new, ev = two
    return _Hit(2.0, f"{_fmt((new - old) / old * 100)}%", ev[0], ev[1:])


def _values(p: _Parsed) -> tuple[list[float], list[str], bool] | None:
    """Values of the named row across the named columns, or of the named rows in a column."""
    if p.rows and len(p.cols) >= 2 and not _across_rows(p):
        r = p.rows[0].index
        cells = [(_number(_cell(p.table, r, ref.index)), p.ref(r, ref.index)) for ref in p.cols]
        percent = p.percent_row(r) or p.percent_col(p.cols[0].index)
    elif len(p.rows) >= 2 and p.cols:
        c = p.cols[0].index
        # Rows named outright ("the sum of A and B"), not those sharing a word with them.
        outright = [ref for ref in p.rows if ref.score >= 1.9]
        rows = outright if len(outright) >= 2 else p.rows
        cells = [(_number(_cell(p.table, ref.index, c)), p.ref(ref.index, c)) for ref in rows]
        percent = p.percent_col(c)
    else:
        return None
    nums = [(v, e) for v, e in cells if v is not None]
    if len(nums) < 2:
        return None
    return [v for v, _ in nums], [e for _, e in nums], percent


def _op_ratio(p: _Parsed) -> _Hit | None:
    """"What percentage of Y is X" / "ratio of X to Y": the first-named value over the other."""
    if len(p.rows) >= 2 and p.cols and (_across_rows(p) or len(p.cols) < 2):
        c = p.cols[0].index
        first, second = sorted(p.rows[:2], key=lambda ref: ref.position)
        a, b = _number(_cell(p.table, first.index, c)), _number(_cell(p.table, second.index, c))
        ev = [p.ref(first.index, c), p.ref(second.index, c)]
    elif p.rows and len(p.cols) >= 2:
        r = p.rows[0].index
        first, second = sorted(p.cols[:2], key=lambda ref: ref.position)
        a, b = _number(_cell(p.table, r, first.index)), _number(_cell(p.table, r, second.index))
        ev = [p.ref(r, first.index), p.ref(r, second.index)]
    else:
        return None
    if a is None or not b:
        return None
    if re.search(r"percent|%", p.question, re.IGNORECASE):
        return _Hit(2.0, f"{_fmt(a / b * 100)}%", ev[0], ev[1:])
    return _Hit(2.0, _fmt(a / b), ev[0], ev[1:])


def _op_average(p: _Parsed) -> _Hit | None:
    got = _values(p)
    if got is None:
        return None
    vals, ev, percent = got
    return _Hit(2.0, _with_scale(_fmt(sum(vals) / len(vals)), p.scale, percent), ev[0], ev[1:])


def _op_sum(p: _Parsed) -> _Hit | None:
    got = _values(p)
    if got is None:
        return None
    vals, ev, percent = got
    return _Hit(2.0, _with_scale(_fmt(sum(vals)), p.scale, percent), ev[0], ev[1:])


def _op_compare(p: _Parsed) -> _Hit | None:
    """"In which year was X larger?": the column (year) where the named row is largest."""
    if not p.rows:
        return None
    r = p.rows[0].index
    cols = [ref.index for ref in p.cols if _year(p.table, ref.index) is not None] or [
        c for c in range(1, len(p.table.columns)) if _year(p.table, c) is not None]
    vals = [(v, c) for c in cols if (v := _number(_cell(p.table, r, c))) is not None]
    if len(vals) < 2:
        return None
    pick = min if _SMALLER.search(p.question) else max
    v, c = pick(vals)
    return _Hit(1.5, _column_label(p.table, c), p.ref(r, c))


def _numeric_column(p: _Parsed) -> int | None:
    for ref in p.cols:
        nums = [_number(_cell(p.table, r, ref.index)) for r in range(len(p.table.rows))]
        if sum(n is not None for n in nums) >= max(2, len(nums) // 2):
            return ref.index
    return None


def _answer_column(p: _Parsed, skip: int | None) -> int:
    """The column a wh-question asks for: a named column other than ``skip``, else the key."""
    for ref in p.cols:
        if ref.index != skip and _numeric_column(_Parsed(p.question, p.table, [], [ref],
                                                         None)) is None:
            return ref.index
    return 0


def _op_superlative(p: _Parsed) -> _Hit | None:
    c = _numeric_column(p)
    if c is None:
        return None
    vals = [(v, r) for r in range(len(p.table.rows))
            if (v := _number(_cell(p.table, r, c))) is not None]
    if len(vals) < 2:
        return None
    smaller = bool(_SMALLER.search(p.question))
    target = min(v for v, _ in vals) if smaller else max(v for v, _ in vals)
    rows = [r for v, r in vals if v == target]
    out = _answer_column(p, c)
    answers = [_cell(p.table, r, out) for r in rows if _cell(p.table, r, out)]
    if not answers:
        return None
    return _Hit(1.0, " | ".join(answers), p.ref(rows[0], out))


def _op_first_last(p: _Parsed) -> _Hit | None:
    if not p.table.rows:
        return None
    last = re.search(r"\blast\b", p.question, re.IGNORECASE) is not None
    r = len(p.table.rows) - 1 if last else 0
    c = _answer_column(p, None)
    answer = _cell(p.table, r, c)
    return _Hit(0.8, answer, p.ref(r, c)) if answer else None


def _op_count(p: _Parsed) -> _Hit | None:
    """"How many ... <value> ...": rows where a cell holds a value the question names."""
    # "How many points did X score" asks for a number in a row, not a count of rows.
    if p.rows and p.cols:
        return _op_lookup(p)
    best: tuple[int, list[int]] | None = None
    for c in range(len(p.table.columns)):
        matches: dict[str, list[int]] = {}
        for r in range(len(p.table.rows)):
            value = squash(_cell(p.table, r, c))
            if len(value) >= 2 and not value.isdigit() and _mentions(p.question, value) >= 0:
                matches.setdefault(value.lower(), []).append(r)
        for rows in matches.values():
            if best is None or len(rows) > len(best[1]):
                best = (c, rows)
    if best is None:
        return None
    c, rows = best
    return _Hit(0.9, str(len(rows)), p.ref(rows[0], c), [p.ref(r, c) for r in rows[1:]])


def _op_lookup(p: _Parsed) -> _Hit | None:
    if not p.rows or not p.cols:
        return None
    r = p.rows[0].index
    # "What are the respective values of X in 2018 and 2019?": one answer per named year, from
    # the best column of each year.
    per_year: dict[int, _Ref] = {}
    for ref in p.cols:
        year = _year(p.table, ref.index)
        if ref.by_year and year is not None and year not in per_year:
            per_year[year] = ref
    if len(per_year) >= 2 and not p.cols[0].whole:
        cols = sorted(per_year.values(), key=lambda ref: ref.position)
    else:
        # "What is the B where the A is v?": the column whose cell the question quotes names
        # the row; the answer is in another named column.
        given = [ref for ref in p.cols if len(_cell(p.table, r, ref.index)) >= 2
                 and _mentions(p.question, _cell(p.table, r, ref.index)) >= 0]
        cols = [next((ref for ref in p.cols if ref not in given), p.cols[0])]
    answers, ev = [], []
    for ref in cols:
        text = _cell(p.table, r, ref.index)
        if text:
            percent = p.percent_col(ref.index) or p.percent_row(r)
            answers.append(_with_scale(text, p.scale, percent))
            ev.append(p.ref(r, ref.index))
    if not answers:
        return None
    return _Hit(1.0 + p.rows[0].score + p.cols[0].score, " | ".join(answers), ev[0], ev[1:])


_OPS: dict[str, Callable[[_Parsed], _Hit | None]] = {
    "pct_change": _op_pct_change,
    "ratio": _op_ratio,
    "compare": _op_compare,
    "average": _op_average,
    "change": _op_change,
    "sum": _op_sum,
    "count": _op_count,
    "superlative": _op_superlative,
    "first_last": _op_first_last,
    "lookup": _op_lookup,
}


def answer_table(question: str, table: Table, meanings: dict[int, list[str]],
                 scale: str | None) -> _Hit | None:
    """Answer from one table: parse rows, columns and the operation, then compute."""
    rows = _row_refs(question, table)
    row_words: set[str] = set()
    for ref in rows[:2]:
        row_words |= content_words(table.rows[ref.index][0])
    cols = _column_refs(question, table, meanings, row_words)
    names = [table.rows[r.index][0] for r in rows[:1]]
    if cols:
        names += [table.columns[cols[0].index], *meanings.get(cols[0].index, [])]
    # Where rows are named outright: a trigger word inside such a label ("Diluted weighted
    # average shares") asks for nothing.
    spans = []
    for r in rows:
        label = squash(table.rows[r.index][0]).rstrip(":")
        at = _mentions(question, label) if r.score >= 2.0 else -1
        if at >= 0:
            spans.append((at, at + len(label)))
    op = _operation(question, names, spans)
    parsed = _Parsed(question, table, rows, cols, scale)
    hit = _OPS[op](parsed)
    if hit is None and op != "lookup":
        hit = _op_lookup(parsed)
    return hit


# -------------------------------------------------------------------------------- text

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?](?!\d)|$)")


def answer_text_span(question: str, passages: list[Passage]) -> _Hit | None:
    """The rest of the sentence that shares most of the question's content words."""
    q_words = content_words(question) - _OPERATION_WORDS - {"why", "when", "where", "happen"}
    if len(q_words) < 2:
        return None
    best: tuple[float, str, str] | None = None
    for p in passages:
        if p.kind != "text":
            continue
        for m in _SENTENCE.finditer(p.text):
            sentence = m.group(0).strip()
            tokens = re.findall(r"\S+", sentence)
            lemmas = [content_words(t) for t in tokens]
            shared = q_words & set().union(*lemmas) if lemmas else set()
            share = len(shared) / len(q_words)
            if share < 0.6 or len(shared) < 2:
                continue
            half = [i for i, ls in enumerate(lemmas[: max(1, len(tokens) * 6 // 10)])
                    if ls & q_words]
            cut = (half[-1] + 1) if half else 0
            span = " ".join(tokens[cut:]).strip(" ,;:").rstrip(".")
            if span and (best is None or share > best[0]):
                best = (share, span, p.id)
    if best is None:
        return None
    return _Hit(best[0], best[1], best[2])


def _continuation(first: Table, second: Table) -> Table | None:
    """The two tables read as one when the second continues the first: the same header rows
    (more rows: stacked), or the same row labels in the same order (more columns: joined on
    them). None otherwise."""
    n = first.n_header_rows
    if first.doc_id != second.doc_id or n != second.n_header_rows or not first.rows:
        return None
    width = len(first.columns)
    if first.header_rows == second.header_rows and width == len(second.columns):
        shift = len(first.rows)
        extra = [c.model_copy(update={"row": c.row + shift}) for c in second.cells if c.row >= n]
    elif len(first.rows) == len(second.rows) and width > 1 and len(second.columns) > 1 and all(
            squash(a[0]) == squash(b[0]) for a, b in zip(first.rows, second.rows, strict=True)):
        extra = [c.model_copy(update={"col": c.col + width - 1}) for c in second.cells
                 if c.col >= 1]
    else:
        return None
    return Table.from_cells(
        [*first.cells, *extra], n, empty_ratio=0.0, numeric_header_ratio=0.0, confidence=1.0,
        table_id=f"{first.table_id}+{second.table_id}", doc_id=first.doc_id,
        pages=sorted({*first.pages, *second.pages}), bbox=first.bbox, engine=first.engine,
        caption=first.caption, notes=[*first.notes, *second.notes],
        provenance=first.provenance)


def continued(tables: list[Table]) -> list[Table]:
    """``tables`` with each table that continues an earlier one (:func:`_continuation`)
    merged into it: a table split over two places of a document is read whole, so a question
    needing both parts (a row of each, a column of each joined by row label) is answered."""
    out: list[Table] = []
    for table in tables:
        for i, prev in enumerate(out):
            merged = _continuation(prev, table)
            if merged is not None:
                out[i] = merged
                break
        else:
            out.append(table)
    return out


def read(question: str, passages: list[Passage]) -> AnswerOutput:
    """Answer ``question`` from ``passages`` or abstain."""
    hit: _Hit | None = None
    if BLANK in question:
        hit = answer_cloze(question, passages)
    else:
        texts = [p.text for p in passages if p.kind == "text"]
        tables = continued([p.table for p in passages if p.kind == "table" and p.table])
        for table in tables:
            head = [" ".join(r) for r in table.header_rows] + [table.caption or ""]
            scale = stated_scale(head + [n.text for n in table.notes]) or stated_scale(texts)
            meanings = header_meanings(table, passages)
            h = answer_table(question, table, meanings, scale)
            if h and (hit is None or h.score > hit.score):
                hit = h
        # A question naming a table row outright is about that table: when the table does not
        # answer it, no sentence is taken for the answer.
        names_row = any(ref.score >= 2.0 for t in tables for ref in _row_refs(question, t)[:1])
        if hit is None and not names_row:
            hit = answer_text_span(question, passages)
    if hit is None:
        return AnswerOutput(answer="", abstained=True)
    return AnswerOutput(answer=hit.answer, abstained=False,
                        evidence_ids=[hit.evidence, *hit.extra_evidence])
