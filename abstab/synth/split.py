"""Questions across two tables: a source table split in two tables of one document.

The split (gold by construction, like the rest of the controlled path):

* **by rows**: the body's first half is Table 1, the second half Table 2, both under the
  header rows (two periods, regions or halves of a list);
* **by columns**: Table 1 has the row-label column and the first half of the other columns,
  Table 2 the row-label column and the rest, so the two are joined by their row labels.

The tables are placed apart, each after its caption ("Table 1.", "Table 2."), with a sentence
between them. Every question needs both tables, and its answer is computed here from the cells
(:mod:`abstab.core.multitable` recomputes it when the item is checked):

* ``two_table_join`` (by columns): "What is the <B> where the <A> is <v>?": the row holding
  ``v`` in Table 1's column A, then that row label's B in Table 2;
* ``two_table_difference``: a value in Table 1 minus one in Table 2 (two rows of one column
  by rows; one row in two year columns by columns, "the change in X from 2018 to 2019": other
  columns of one row measure different things, whose difference means little);
* ``two_table_sum``: a value in Table 1 plus one in Table 2 (the same pairs);
* ``two_table_legend_lookup``: a header of Table 2 is a code (letter code, acronym, ...)
  that only the legend under Table 1 defines; the question asks for a value under it.

Questions that would name another row or column (a reader could not tell which is meant),
sums or differences with a zero operand, and answers Table 1 holds anyway (one table alone
would give them) are not asked. ``split_documents`` (ingest setting) says how many split
documents a source table gets (kinds in a seeded order), ``split_questions`` how many questions
per template.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from abstab.config import stable_hash
from abstab.core.abstract import (
    LEGENDS,
    UnchangedHeaderError,
    code_for,
    keyword_link,
    legend_line,
    replace_header,
)
from abstab.core.headers import core_text
from abstab.core.multitable import number_answer
from abstab.core.normalize import parse_number, squash
from abstab.core.questions import cell_answer, difficulty, informative
from abstab.core.seeded import seeded_order
from abstab.core.words import content_words
from abstab.records import (
    Abstraction,
    Answer,
    AnswerLocation,
    Document,
    ItemEvidence,
    KeywordLink,
    Note,
    Provenance,
    QAItem,
    SourceRef,
    Table,
    TextSpan,
)
from abstab.synth.build import (
    Block,
    SourceTable,
    _attribution,
    _is_value,
    targets_of,
    term_of,
)
from abstab.synth.render import (
    PORTRAIT_COLUMNS,
    document_record,
    esc,
    grid_table,
    layout_html,
    table_html,
)

SplitKind = Literal["rows", "columns"]
SPLIT_KINDS: tuple[SplitKind, ...] = ("rows", "columns")
CAPTIONS = ("Table 1.", "Table 2.")
BETWEEN: dict[str, str] = {
    "rows": "Table 2 continues Table 1 with the remaining rows.",
    "columns": "Table 2 gives further columns for the rows of Table 1.",
}
_YEAR = re.compile(r"^(?:FY\s*)?((?:19|20)\d\d)$", re.IGNORECASE)


@dataclass
class SplitSettings:
    """How many split documents per source table, and questions per template in each."""

    documents: int
    questions: int
    styles: list[str]
    seed: str


@dataclass
class TwoTableItem:
    """A question needing both tables; ``cells`` are (row, col, table index) in the split grids,
    in the order the template reads them."""

    question: str
    answer: Answer
    template: str
    cells: list[tuple[int, int, int]]
    under_code: bool = False  # the answer is under the coded header


@dataclass
class SplitPlan:
    """A document of two tables cut from one source table, and the questions asked of it."""

    key: str
    table: SourceTable
    kind: SplitKind
    grids: tuple[list[list[str]], list[list[str]]]
    before: list[Block]  # above Table 1 (source paragraphs, caption 1)
    between: list[Block]  # between the tables (legend of Table 1, a sentence, caption 2)
    after: list[Block]  # under Table 2 (attribution)
    items: list[TwoTableItem]
    code: str | None = None
    meaning: str | None = None
    style: str = "natural"
    code_column: int | None = None  # the coded header's column in Table 2
    code_cells: tuple[set[tuple[int, int]], set[tuple[int, int]]] = field(
        default_factory=lambda: (set(), set()))

    @property
    def blocks(self) -> list[Block]:
        return self.before + self.between + self.after

    @property
    def doc_id(self) -> str:
        return "syn-" + stable_hash([self.key, list(self.grids),
                                     [(b.kind, b.text) for b in self.blocks]])


# ------------------------------------------------------------------------------ the split


@dataclass
class _Split:
    """Where each source cell goes: ``rows`` cuts the body at ``cut`` (a grid row), ``columns``
    at ``cut`` (a grid column)."""

    table: SourceTable
    kind: SplitKind
    cut: int

    @property
    def grid(self) -> list[list[str]]:
        w = self.table.width
        return [list(r) + [""] * (w - len(r)) for r in self.table.grid]

    def grids(self) -> tuple[list[list[str]], list[list[str]]]:
        g, h = self.grid, self.table.n_header
        if self.kind == "rows":
            return [*g[:h], *g[h:self.cut]], [*g[:h], *g[self.cut:]]
        return [r[:self.cut] for r in g], [[r[0], *r[self.cut:]] for r in g]

    def part(self, r: int, c: int) -> int:
        """The table (0, 1) a body cell of the source goes to."""
        if self.kind == "rows":
            return 0 if r < self.cut else 1
        return 0 if c < self.cut else 1

    def at(self, r: int, c: int) -> tuple[int, int, int]:
        """(row, col, table) of a body cell of the source in the split grids."""
        k = self.part(r, c)
        if self.kind == "rows":
            return (r if k == 0 else r - self.cut + self.table.n_header), c, k
        return r, (c if k == 0 else c - self.cut + 1), k


def split_of(table: SourceTable, kind: SplitKind) -> _Split | None:
    """The split of ``kind``, or None when the table is too small for it (two body rows, or
    two columns besides the row labels, on each side)."""
    if kind == "rows":
        body = len(table.grid) - table.n_header
        return _Split(table, kind, table.n_header + body // 2) if body >= 4 else None
    if table.width < 3:
        return None
    return _Split(table, kind, 1 + table.width // 2)


# ----------------------------------------------------------------------- names and values


@dataclass
class _Names:
    """The rows and columns a question may name without ambiguity."""

    table: SourceTable
    labels: dict[int, str]  # body row → its label, if it names the row
    terms: dict[int, str]  # column → the words a question names it by
    numbers: dict[tuple[int, int], float]  # body cell → its value, when a number (not a year)

    @classmethod
    def of(cls, table: SourceTable) -> _Names:
        grid = _Split(table, "rows", 0).grid
        body = range(table.n_header, len(grid))
        raw = {r: squash(grid[r][0]) for r in body}
        low = [v.lower() for v in raw.values()]
        # A label naming its row alone: once in the table, not inside another label ("Total"
        # in "Total assets") nor holding one.
        labels = {r: v for r, v in raw.items()
                  if len(v) >= 2 and informative(v) and not _is_value(v)
                  and low.count(v.lower()) == 1
                  and not any(o != v.lower() and (_whole(o, v) or _whole(v, o))
                              for o in low if len(o) >= 2)}
        metas = [core_text(table.column_label(c)) for c in range(table.width)]
        terms = {c: term_of(m) for c, m in enumerate(metas)
                 if c > 0 and m and content_words(m) and metas.count(m) == 1 and len(m) <= 60
                 and not _looks_like_values(m, [grid[r][c] for r in body])}
        numbers = {}
        for r in body:
            for c in range(1, table.width):
                v = grid[r][c]
                if _is_value(v) and (n := parse_number(v)) is not None:
                    numbers[(r, c)] = n
        # A column numbering its rows (1, 2, 3 ... a rank) adds or subtracts nothing.
        for c in range(1, table.width):
            col = [numbers.get((r, c)) for r in body]
            if col and col == [float(i + 1) for i in range(len(col))]:
                for r in body:
                    numbers.pop((r, c), None)
        return cls(table, labels, terms, numbers)

    def numeric(self, c: int) -> bool:
        rows = len(self.table.grid) - self.table.n_header
        return sum((r, c) in self.numbers for r in range(self.table.n_header,
                                                         len(self.table.grid))) * 2 >= rows

    def year(self, c: int) -> str | None:
        m = _YEAR.match(squash(self.table.column_label(c)))
        return squash(self.table.column_label(c)) if m else None

    def clean(self, question: str, rows: set[int], cols: set[int], values: set[str]) -> bool:
        """The question names no row but ``rows`` (by label or a cell's text) and shares no
        word with a column but ``cols``, beyond the words of what it names."""
        grid = _Split(self.table, "rows", 0).grid
        named = set().union(*(content_words(t) for t in
                              [*(self.labels.get(r, grid[r][0]) for r in rows), *values]))
        q_words = content_words(question) - named
        for r in range(self.table.n_header, len(grid)):
            if r in rows:
                continue
            for c, v in enumerate(grid[r]):
                v = squash(v)
                if len(v) >= 2 and (c == 0 or parse_number(v) is None) and _whole(v, question):
                    return False
        for c in range(1, self.table.width):
            if c in cols:
                continue
            words = content_words(core_text(self.table.column_label(c)))
            if words & q_words:
                return False
        return True


def _shape(text: str) -> str:
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", squash(text)))


def _looks_like_values(label: str, values: list[str]) -> bool:
    """A "header" written like the column's values ("0–0" over scores, "Kingston, Jamaica"
    over cities): a data row taken for the header, which names no quantity."""
    shape = _shape(label)
    return (not _YEAR.match(squash(label)) and bool(re.search(r"[^a\s]", shape))
            and any(_shape(v) == shape for v in values))


def _whole(phrase: str, text: str) -> bool:
    """``phrase`` is in ``text`` as whole words (case-insensitive)."""
    phrase = squash(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text,
                                      re.IGNORECASE) is not None


# --------------------------------------------------------------------------- the templates


def _pick(options: list[TwoTableItem], n: int, seed: str, table: SourceTable, tag: str
          ) -> list[TwoTableItem]:
    return seeded_order(options, seed, table.doc_id, tag, by=lambda o: o.question)[:n]


def _arithmetic(split: _Split, names: _Names, skip: set[int]) -> dict[str, list[TwoTableItem]]:
    """Differences and sums of a value in Table 1 and one in Table 2."""
    diffs: list[TwoTableItem] = []
    sums: list[TwoTableItem] = []
    pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    rows = sorted(names.labels)
    if split.kind == "rows":
        for c in sorted(names.terms):
            if c in skip or not names.numeric(c):
                continue
            pairs += [((a, c), (b, c)) for a in rows for b in rows
                      if split.part(a, c) == 0 and split.part(b, c) == 1]
    else:
        for r in rows:
            pairs += [((r, a), (r, b)) for a in names.terms for b in names.terms
                      if a not in skip and b not in skip and split.part(r, a) == 0
                      and split.part(r, b) == 1 and names.numeric(a) and names.numeric(b)]
    for x, y in pairs:
        vx, vy = names.numbers.get(x), names.numbers.get(y)
        # A zero operand (one table alone would give the answer) or equal values (a zero
        # difference asks nothing of the second table).
        if not vx or not vy or vx == vy:
            continue
        tx, ty = split.table.grid[x[0]][x[1]], split.table.grid[y[0]][y[1]]
        if any(len(m) > 2 for t in (tx, ty) for m in re.findall(r"\.(\d+)", t)):
            continue  # ".714": more places than a reader writes (answers match within 1e-6)
        cells = [split.at(*x), split.at(*y)]
        for template, question, answer in _arithmetic_questions(split, names, x, y, vx, vy,
                                                                 tx, ty):
            if names.clean(question, {x[0], y[0]}, {x[1], y[1]}, set()):
                item = TwoTableItem(question, answer, template, cells)
                (diffs if template == "two_table_difference" else sums).append(item)
    return {"two_table_difference": diffs, "two_table_sum": sums}


def _arithmetic_questions(split: _Split, names: _Names, x: tuple[int, int], y: tuple[int, int],
                          vx: float, vy: float, tx: str, ty: str
                          ) -> list[tuple[str, str, Answer]]:
    diff, total = number_answer(vx - vy, [tx, ty]), number_answer(vx + vy, [tx, ty])
    if split.kind == "rows":
        term, la, lb = names.terms[x[1]], names.labels[x[0]], names.labels[y[0]]
        if content_words(term) & content_words(f"{la} {lb}"):
            return []  # "the total of Total": the term would name a row too
        year = names.year(x[1])
        if year:
            return [("two_table_difference",
                     f"What is the difference between {la} and {lb} in {year}?", diff),
                    ("two_table_sum", f"What is the sum of {la} and {lb} in {year}?", total)]
        return [("two_table_difference",
                 f"What is the difference between the {term} of {la} and that of {lb}?", diff),
                ("two_table_sum", f"What is the sum of the {term} of {la} and {lb}?", total)]
    label = names.labels[x[0]]
    ya, yb = names.year(x[1]), names.year(y[1])
    if ya and yb and ya != yb:
        # Years: "from <Table 2's year> to <Table 1's year>" is Table 1's value minus Table 2's.
        return [("two_table_difference", f"What is the change in {label} from {yb} to {ya}?",
                 diff),
                ("two_table_sum", f"What is the sum of {label} in {ya} and {yb}?", total)]
    return []  # two different quantities of one row: neither their sum nor difference means much


def _joins(split: _Split, names: _Names, skip: set[int]) -> list[TwoTableItem]:
    """By columns: the row of a value unique in Table 1's column, read in Table 2."""
    if split.kind != "columns":
        return []
    grid = split.grid
    body = range(split.table.n_header, len(grid))
    cells = [squash(v).lower() for r in body for v in grid[r]]
    labels = [squash(grid[r][0]).lower() for r in body]
    if len(set(labels)) != len(labels) or not all(labels):
        return []  # rows joined by their labels: each label once
    out = []
    for a in sorted(names.terms):
        if a in skip or split.part(body[0], a) != 0 or names.numeric(a):
            continue
        for b in sorted(names.terms):
            if b in skip or split.part(body[0], b) != 1 or content_words(names.terms[b]) & \
                    content_words(names.terms[a]):
                continue
            for r in body:
                v, answer = squash(grid[r][a]), squash(grid[r][b])
                if (len(v) < 2 or _is_value(v) or parse_number(v) is not None
                        or cells.count(v.lower()) != 1 or not informative(answer)
                        or answer.lower() == names.terms[b].lower()
                        or content_words(names.terms[b]) & content_words(v)):
                    continue
                question = f"What is the {names.terms[b]} where the {names.terms[a]} is {v}?"
                if names.clean(question, {r}, {a, b}, {v}):
                    out.append(TwoTableItem(question, cell_answer(answer), "two_table_join",
                                            [split.at(r, a), split.at(r, b)]))
    return out


def _legend_items(split: _Split, names: _Names, col: int, term: str) -> list[TwoTableItem]:
    """Values under the coded header, in rows of Table 2."""
    out = []
    for r in sorted(names.labels):
        row, c, k = split.at(r, col)
        value = squash(split.grid[r][col])
        # An answer equal to its header's words: the question would give it away.
        if k != 1 or not informative(value) or value.lower() == term.lower():
            continue
        question = f"What is the {term} for {names.labels[r]}?"
        if names.clean(question, {r}, {col}, set()):
            out.append(TwoTableItem(question, cell_answer(value), "two_table_legend_lookup",
                                    [(row, c, k)], under_code=True))
    return out


# -------------------------------------------------------------------------------- planning


def _code(split: _Split, names: _Names, s: SplitSettings,
          grids: tuple[list[list[str]], list[list[str]]]) -> tuple[int, str, str, str] | None:
    """(source column, meaning, style, code) of the header Table 2 shows as a code, or None."""
    targets = [t for t in targets_of(split.table)
               if t.row < split.table.n_header and t.col > 0
               and split.part(len(split.table.grid) - 1, t.col) == 1]
    # Split by rows, the code goes on a column no sum or difference needs (a text column);
    # by columns, on one no join needs to name (a number column).
    want_numeric = split.kind == "columns"
    targets = sorted(seeded_order(targets, s.seed, split.table.doc_id, "split-code",
                                  by=lambda t: t.meaning),
                     key=lambda t: names.numeric(t.col) != want_numeric)
    for t in targets:
        col2 = split.at(len(split.table.grid) - 1, t.col)[1]
        for style in seeded_order(s.styles, s.seed, split.table.doc_id, t.meaning):
            try:
                code = code_for(t.meaning, style, col2 + 1)
            except UnchangedHeaderError:
                continue
            # The code must point at its column alone: no other cell equals it, and no other
            # cell of the column holds it (the oracle relabels by column and content).
            clash = any(v == code or (c == col2 and code in v and (r, c) != (t.row, col2))
                        for g in grids for r, row in enumerate(g) for c, v in enumerate(row))
            if not clash:
                return t.col, t.meaning, style, code
    return None


def plan_split(table: SourceTable, kind: SplitKind, s: SplitSettings) -> SplitPlan | None:
    """The split document of ``kind`` with its two-table questions, or None when none."""
    split = split_of(table, kind)
    if split is None:
        return None
    names = _Names.of(table)
    grids = split.grids()
    coded = _code(split, names, s, grids) if s.styles else None
    skip = {coded[0]} if coded else set()
    groups = {**_arithmetic(split, names, skip), "two_table_join": _joins(split, names, skip)}
    if coded:
        groups["two_table_legend_lookup"] = [
            i for i in _legend_items(split, names, coded[0], term_of(coded[1]))
            if not re.search(rf"(?<!\w){re.escape(coded[3])}(?!\w)", i.question)]
    # One table alone must not hold the answer (a cell of Table 1 with the same text or value).
    first = {squash(v) for row in grids[0][table.n_header:] for v in row}
    first_values = {parse_number(v) for v in first} - {None}
    items: list[TwoTableItem] = []
    seen: set[str] = set()
    for template in sorted(groups):
        options = [i for i in groups[template] if i.answer.text not in first
                   and not (isinstance(i.answer.value, float) and i.answer.value in first_values)]
        for item in _pick(options, s.questions, s.seed, table, template):
            if item.question.lower() not in seen:
                seen.add(item.question.lower())
                items.append(item)
    if not items:
        return None
    key = f"{table.source}:{table.doc_id}|split:{kind}"
    before = [*(Block("paragraph", p, "source") for p in table.paragraphs),
              Block("caption", CAPTIONS[0], "caption")]
    between = [Block("paragraph", BETWEEN[kind], "source"),
               Block("caption", CAPTIONS[1], "caption")]
    plan = SplitPlan(key, table, kind, grids, before, between, [_attribution(table)], items)
    if coded and any(i.under_code for i in items):
        col, meaning, style, code = coded
        row = table.n_header - 1
        col2 = split.at(len(table.grid) - 1, col)[1]
        plan.code, plan.meaning, plan.style, plan.code_column = code, meaning, style, col2
        grids[1][row][col2] = replace_header(grids[1][row][col2], meaning, code)
        cells: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), {(row, col2)})
        if kind == "rows":  # the column is in both tables, coded in both
            grids[0][row][col] = replace_header(grids[0][row][col], meaning, code)
            cells[0].add((row, col))
        plan.code_cells = cells
        plan.between.insert(0, Block("footnote", legend_line(code, meaning), "legend"))
    else:
        plan.items = [i for i in items if not i.under_code]
    return plan


def plan_splits(table: SourceTable, s: SplitSettings) -> list[SplitPlan]:
    """Up to ``s.documents`` split documents of the table (kinds in a seeded order)."""
    if s.documents <= 0:
        return []
    out = []
    for kind in seeded_order(list(SPLIT_KINDS), s.seed, table.doc_id, "split"):
        plan = plan_split(table, kind, s)
        if plan is not None:
            out.append(plan)
        if len(out) == s.documents:
            break
    return out


# ------------------------------------------------------------------------------- rendering


@dataclass
class RenderedSplit:
    pdf: bytes | None
    document: Document
    tables: tuple[Table, Table]
    block_ids: list[str]


def _html(plan: SplitPlan, font_pt: float) -> str:
    out: list[str] = []
    n = 0

    def para(b: Block) -> None:
        nonlocal n
        cls = ' class="caption"' if b.kind == "caption" else (
            ' class="note"' if b.kind == "footnote" else "")
        out.append(f'<p id="b{n}"{cls}>{esc(b.text)}</p>')
        n += 1

    for b in plan.before:
        para(b)
    for k, blocks in enumerate((plan.between, plan.after)):
        out.append(table_html(plan.grids[k], plan.table.n_header, font_pt, plan.code_cells[k],
                              plan.code, prefix=f"t{k + 1}-"))
        for b in blocks:
            para(b)
    return "\n".join(out)


def render_split(plan: SplitPlan, provenance: Provenance, source_path: str,
                 with_pdf: bool = True) -> RenderedSplit:
    """The PDF (None when ``with_pdf`` is false), the Document and the two Table records."""
    doc_id = plan.doc_id
    if with_pdf:
        wide = max(len(g[0]) for g in plan.grids) > PORTRAIT_COLUMNS
        pdf, pos, pages = layout_html(_html(plan, 7.5 if wide else 9), wide, plan.key,
                                      f"{plan.table.source} {plan.table.doc_id}")
        sha = hashlib.sha256(pdf).hexdigest()
    else:
        pdf, pos, pages, sha = None, {}, 1, ""
    blocks = plan.blocks
    document, ids = document_record(doc_id, blocks, pos, source_path, sha, pages, provenance)
    captions = [ids[i] for i, b in enumerate(blocks) if b.kind == "caption"]
    tables = []
    for k in (0, 1):
        notes = []
        for i, b in enumerate(blocks):
            # The legend is printed under Table 1; the attribution under Table 2.
            if b.role == "legend" and k == 0:
                targets = [[r, c] for r, c in sorted(plan.code_cells[0])]
                notes.append(Note(kind="legend", text=b.text, block_id=ids[i], targets=targets))
            elif b.role == "attribution" and k == 1:
                notes.append(Note(kind="source", text=b.text, block_id=ids[i]))
        tables.append(grid_table(plan.grids[k], plan.table.n_header, plan.table.row_headers,
                                 f"{doc_id}:t{k + 1}", doc_id, CAPTIONS[k], pos, f"t{k + 1}-",
                                 notes, [b for b in ids if b != captions[k]], provenance))
    return RenderedSplit(pdf, document, (tables[0], tables[1]), ids)


def split_items(plan: SplitPlan, rendered: RenderedSplit, provenance: Provenance) -> list[QAItem]:
    """The QA items of a rendered split document: ``tables`` both tables, evidence cells
    ``[row, col, k]``, the legend's char span for a question under the code."""
    doc = rendered.document
    ids = [t.table_id for t in rendered.tables]
    legend = next((doc.blocks[i] for i, b in enumerate(plan.blocks) if b.role == "legend"), None)
    out = []
    for p in plan.items:
        keywords: list[KeywordLink] = []
        spans: list[TextSpan] = []
        blocks: list[str] = []
        location: AnswerLocation = "table_clear"
        abstraction = Abstraction(style="natural", legend="none")
        if p.under_code and plan.code and plan.meaning and legend is not None:
            location = LEGENDS["explicit"].location
            keywords.append(keyword_link(plan.code, plan.meaning, plan.code_column, "explicit"))
            spans.append(TextSpan(block_id=legend.block_id, char_start=legend.char_start,
                                  char_end=legend.char_end, text=legend.text, role="definition"))
            blocks.append(legend.block_id)
            abstraction = Abstraction(style=plan.style, legend="explicit", explained_by="legend")
        src = plan.table
        out.append(QAItem(
            item_id=stable_hash([doc.doc_id, ids, p.question, location, abstraction.style]),
            doc_id=doc.doc_id, table_id=ids[0], tables=ids, question=p.question, answer=p.answer,
            answer_location=location, keywords=keywords,
            evidence=ItemEvidence(cells=[list(c) for c in p.cells], blocks=blocks, spans=spans),
            abstraction=abstraction, origin="controlled", template=p.template,
            difficulty=difficulty(location, None), provenance=provenance,
            source=SourceRef(dataset=src.source, doc_id=src.doc_id, license=src.license,
                             meta={"split": plan.kind})))
    return out
