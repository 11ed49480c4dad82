"""Plan synthetic documents from a source table and its questions, gold by construction.

For one table of an external dataset (WTQ, TAT-QA) with its questions:

* the **clear** document shows the table as the dataset gives it (TAT-QA: after its
  paragraphs); every question whose answer is in a table cell or a paragraph span becomes an
  item there (``table_clear`` / ``text``), with the dataset's id, gold answers and license;
* a **target** is a header cell the question names in natural words — a column header, or
  (for datasets whose first column holds row headers, like TAT-QA's line items) a row label;
* for each target and each style × explanation, an **abstract** document shows the target as
  a code (letter code, acronym, shortened name, symbol) and explains it ``explicit`` ly (a
  definition sentence or a legend line under the table), ``implicit`` ly (a clue that only
  implies the meaning: one of the kinds of :mod:`abstab.synth.clues`, picked by the weights of
  ``Settings.explained_by``) or not at all (``removed``);
  the same question and gold answer are asked there, with the clear item's ``pair_id``. What
  each explanation makes of an item (its ``answer_location`` and the keyword's category) is
  :data:`abstab.core.abstract.LEGENDS`: a removed legend leaves the answer printed in the
  table, so the item is ``table_implicit`` with an ``unresolvable`` keyword, not unanswerable.

Besides the dataset's own questions, a few lookup questions per target are written by template
("What is the <term> for <row>?"), their answers read from the cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from abstab.config import stable_hash
from abstab.core.abstract import UnchangedHeaderError, code_for, legend_line, replace_header
from abstab.core.headers import core_text
from abstab.core.normalize import squash
from abstab.core.questions import cell_answer, informative
from abstab.core.seeded import seeded_int, seeded_order
from abstab.core.words import content_words
from abstab.records import Answer
from abstab.sources import SourceExample, source_header_rows, source_title
from abstab.synth.clues import (
    CLUES,
    DEFAULT_WEIGHTS,
    IMPLIED_KINDS,
    ClueContext,
    ClueTable,
    term_of,
    weighted_order,
)

CAPTION = "Table 1."

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_NUMBERISH = re.compile(r"^[\s$€£¥(]*[-−+]?[\d.,]+\s*%?\)?$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")


def _is_value(text: str) -> bool:
    t = text.strip()
    return bool(t) and bool(_NUMBERISH.match(t)) and not _YEAR.match(t)


def count_header_rows(grid: list[list[str]], minimum: int = 1) -> int:
    """Leading rows holding no data value (years allowed: "2019 | 2018" is a header row): the
    guess for a dataset whose format does not say (TAT-QA), see :func:`header_rows_of`."""
    n = 0
    for row in grid[:4]:
        if n >= len(grid) - 1 or any(_is_value(c) for c in row[1:]):
            break
        n += 1
    return max(n, min(minimum, len(grid) - 1))


def header_rows_of(source: str, grid: list[list[str]]) -> int:
    """How many leading rows of a source table are header rows: the number the dataset's
    format fixes (WTQ: its first line only, so a table of text keeps its first data rows as
    data), else counted from the content (:func:`count_header_rows`)."""
    fixed = source_header_rows(source)
    return count_header_rows(grid) if fixed is None else min(fixed, len(grid) - 1)


def _words_of(text: str) -> set[str]:
    return {w for w in content_words(text) if not w.isdigit()}


def _words_within(term: str, key: str) -> bool:
    """Every word of the term is in the key: the question would not tell them apart."""
    words = _words_of(term)
    return bool(words) and words <= _words_of(key)


def mentions(question: str, meaning: str) -> float:
    """Share of the header's content words the question uses (0 when it has none)."""
    words = _words_of(meaning)
    return len(words & content_words(question)) / len(words) if words else 0.0


@dataclass
class SourceTable:
    """One table of a dataset with its text and questions."""

    source: str
    doc_id: str
    license: str
    grid: list[list[str]]
    n_header: int
    paragraphs: list[str]
    examples: list[SourceExample]
    row_headers: bool = False

    @classmethod
    def from_examples(cls, examples: list[SourceExample], row_headers: bool) -> SourceTable:
        first = examples[0]
        grid = [[squash(c) for c in r] for r in first.table]
        return cls(first.source, first.doc_id, first.license, grid,
                   header_rows_of(first.source, grid),
                   list(first.paragraphs), examples, row_headers)

    @property
    def width(self) -> int:
        return max(len(r) for r in self.grid)

    def column_label(self, col: int) -> str:
        """The lowest non-empty header text of a column ("2019" under "Years Ended …")."""
        for r in range(self.n_header - 1, -1, -1):
            if col < len(self.grid[r]) and self.grid[r][col]:
                return self.grid[r][col]
        return ""


@dataclass(frozen=True)
class Target:
    """A header cell to abstract: a column header (row < n_header) or a row label (col 0)."""

    row: int
    col: int
    meaning: str

    def kind(self, n_header: int) -> Literal["column", "row"]:
        return "column" if self.row < n_header else "row"


@dataclass
class ItemPlan:
    """One question on the clear table, before it is placed in documents."""

    question: str
    answer: Answer
    location: Literal["table", "text"]
    cell: tuple[int, int] | None  # grid coordinates (header rows included)
    paragraph: int | None  # index of the paragraph holding a text answer
    char_start: int | None  # offset of the answer in that paragraph
    template: str
    example_id: str | None
    gold: list[str]
    meta: dict[str, Any]
    target: Target | None = None
    pair_id: str | None = None


@dataclass
class Block:
    kind: Literal["paragraph", "caption", "footnote"]
    text: str
    role: Literal["source", "definition", "clue", "legend", "attribution", "caption"]


@dataclass
class DocPlan:
    """A synthetic document: text blocks around one table, and the items asked of it."""

    key: str
    table: SourceTable
    grid: list[list[str]]
    before: list[Block]  # blocks above the table (paragraphs, definition, clue, caption)
    after: list[Block]  # blocks under the table (legend, attribution)
    items: list[ItemPlan]
    target: Target | None = None
    code: str | None = None
    style: str = "natural"
    explanation: str = "none"
    explained_by: str | None = None
    header_cells: set[tuple[int, int]] = field(default_factory=set)
    # An implied clue the source text already holds: (index in ``before``, start, end).
    clue_span: tuple[int, int, int] | None = None

    @property
    def doc_id(self) -> str:
        return "syn-" + stable_hash([self.key, self.grid, [(b.kind, b.text) for b in
                                                            self.before + self.after]])


@dataclass
class Settings:
    styles: list[str]
    explanations: list[str]
    max_targets_per_table: int
    lookup_questions: int
    seed: str
    explained_by: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    implicit_variants: int = 1


@dataclass
class Plan:
    docs: list[DocPlan]
    drops: list[tuple[str, str, str]]  # (item, reason, message): deliberate filters




def locate(ex: SourceExample, table: SourceTable) -> tuple[ItemPlan | None, str, str]:
    """Where the gold answer of ``ex`` is: one table cell, else one paragraph span."""
    if len(ex.answers) != 1:
        return None, "multiple_answers", f"{len(ex.answers)} gold answers (one-cell items only)"
    gold = ex.answers[0]
    key = squash(gold, sep="")
    scale = str(ex.meta.get("scale") or "")
    cells = [(r, c) for r in range(table.n_header, len(table.grid))
             for c, v in enumerate(table.grid[r]) if key and squash(v, sep="") == key]
    if cells:
        q = content_words(ex.question)
        # Several cells hold the answer: prefer the one whose row label the question names.
        r, c = max(cells, key=lambda rc: (len(content_words(table.grid[rc[0]][0]) & q), -rc[0]))
        return ItemPlan(ex.question, cell_answer(table.grid[r][c], scale), "table", (r, c), None,
                        None, "source_question", ex.example_id, list(ex.answers), ex.meta), "", ""
    for i, p in enumerate(table.paragraphs):
        start = p.find(gold)
        if gold.strip() and start >= 0:
            ans = cell_answer(gold, scale)
            return ItemPlan(ex.question, ans, "text", None, i, start, "source_question",
                            ex.example_id, list(ex.answers), ex.meta), "", ""
    return None, "answer_not_in_document", (
        "the gold answer is computed (no table cell or paragraph holds it)")


def targets_of(table: SourceTable) -> list[Target]:
    """Header cells that can be abstracted: words (not numbers or years), unique in the table."""
    out = []
    seen: defaultdict[str, int] = defaultdict(int)
    for row in table.grid:
        for v in row:
            seen[squash(v, sep="").lower()] += 1
    cand = [(table.n_header - 1, c) for c in range(table.width)]
    if table.row_headers:
        cand += [(r, 0) for r in range(table.n_header, len(table.grid))]
    for r, c in cand:
        text = table.grid[r][c] if c < len(table.grid[r]) else ""
        meaning = core_text(text)
        if (meaning and len(meaning) <= 60 and _words_of(meaning) and seen[squash(text, sep="").lower()] == 1
                and not _is_value(meaning) and sum(ch.isalpha() for ch in meaning) >= 3):
            out.append(Target(r, c, meaning))
    return out


def choose_target(item: ItemPlan, targets: list[Target], table: SourceTable) -> Target | None:
    """The target the question names, preferring one on the answer's row or column."""
    if item.cell is None:
        return None
    best, best_score = None, 0.0
    for t in targets:
        m = mentions(item.question, t.meaning)
        if m < 0.5:
            continue
        on_path = (t.col == item.cell[1]) if t.kind(table.n_header) == "column" else (
            t.row == item.cell[0])
        score = m + (1.0 if on_path else 0.0)
        if score > best_score:
            best, best_score = t, score
    return best


def _names_another(table: SourceTable, target: Target, term: str) -> bool:
    """The term also names another row (or column): "preferred stock" for the row
    "Preferred stock (as-converted basis)" when a row "Preferred stock" exists."""
    if target.kind(table.n_header) == "column":
        last = table.grid[table.n_header - 1]
        others = [last[c] for c in range(len(last)) if c != target.col]
    else:
        others = [table.grid[r][0] for r in range(table.n_header, len(table.grid))
                  if r != target.row and table.grid[r]]
    return any(core_text(o).lower() == term.lower() for o in others if o)


def lookups(table: SourceTable, target: Target, n: int, seed: str,
            asked: set[tuple[int, int]] = frozenset()) -> list[ItemPlan]:  # type: ignore[assignment]
    """Template lookup questions naming the target's natural term, answers read from cells
    (not the cells the dataset's questions already ask about)."""
    if n <= 0:
        return []
    term = term_of(target.meaning)
    options: list[tuple[str, tuple[int, int]]] = []
    if _names_another(table, target, term):
        return []
    if target.kind(table.n_header) == "column":
        if target.col == 0:
            return []
        keys = [table.grid[r][0] for r in range(table.n_header, len(table.grid))]
        for r in range(table.n_header, len(table.grid)):
            key, value = table.grid[r][0], table.grid[r][target.col]
            # "What is the total for Total obligations?": the term must add words to the key.
            if (informative(key) and informative(value) and keys.count(key) == 1
                    and not _is_value(key) and not _words_within(term, key)):
                options.append((f"What is the {term} for {key}?", (r, target.col)))
    else:
        # Only columns named in the lowest header row: a label from a row above may span
        # several columns (TAT-QA writes "Variance in Dollars" over "$" and "%" columns).
        last = table.grid[table.n_header - 1]
        labels = [last[c] if c < len(last) else "" for c in range(table.width)]
        for c in range(1, table.width):
            value = table.grid[target.row][c] if c < len(table.grid[target.row]) else ""
            # A unit alone ("$", "%") names no column.
            if (informative(value) and informative(labels[c])
                    and labels.count(labels[c]) == 1):
                options.append((f"What is the {term} in {labels[c]}?", (target.row, c)))
    options = [o for o in options if o[1] not in asked]
    ranked = seeded_order(options, seed, table.doc_id, by=lambda o: o[0])[:n]
    return [ItemPlan(q, cell_answer(table.grid[r][c]), "table", (r, c), None, None,
                     "column_row_lookup" if target.kind(table.n_header) == "column"
                     else "row_column_lookup", None, [], {}, target)
            for q, (r, c) in sorted(ranked, key=lambda o: o[1])]


def _line(table: SourceTable, target: Target) -> list[tuple[int, int]]:
    """The body cells under a column target, or beside a row target."""
    if target.kind(table.n_header) == "column":
        return [(r, target.col) for r in range(table.n_header, len(table.grid))
                if target.col < len(table.grid[r])]
    return [(target.row, c) for c in range(1, len(table.grid[target.row]))]


def _sentences(text: str) -> list[str]:
    return _SENTENCE_END.split(text)


def text_gives_clue(paragraphs: list[str], table: SourceTable, target: Target) -> str | None:
    """A sentence of the source text naming the target's term together with one of its values
    (then the meaning is inferable, so "removed" would be a lie)."""
    words = _words_of(target.meaning)
    values = {squash(table.grid[r][c]) for r, c in _line(table, target)} - {""}
    for p in paragraphs:
        for s in _sentences(p):
            if words <= content_words(s) and any(v in s for v in values if len(v) >= 2):
                return s
    return None


def definition(code: str, meaning: str, form_key: str,
               weights: dict[str, int] = DEFAULT_WEIGHTS) -> tuple[str, str, str]:
    """(kind, text, explained_by) of an explicit explanation: a sentence or a legend line,
    weighted by ``weights["legend"]`` : ``weights["definition_sentence"]``."""
    pick = seeded_int(form_key, digits=8)
    legend, sentence = weights.get("legend", 1), weights.get("definition_sentence", 1)
    if pick % (legend + sentence) < legend:
        return "footnote", (legend_line(code, meaning) if pick % 4 == 0 else f"{code}: {meaning}"), \
            "legend"
    sentences = (f"In Table 1, {code} denotes {term_of(meaning)}.",
                 f"{code} stands for {term_of(meaning)}.",
                 f"The column headed {code} gives the {term_of(meaning)}.")
    return "paragraph", sentences[(pick // (legend + sentence)) % len(sentences)], \
        "definition_sentence"


def _attribution(table: SourceTable) -> Block:
    name = source_title(table.source)
    return Block("footnote", f"Source: {name} ({table.license}), table {table.doc_id}.",
                 "attribution")


def _code_clashes(code: str, grid: list[list[str]], target: Target) -> str | None:
    """Another cell of the target's column containing the code (the oracle's relabelling and a
    reader's matching would hit it), or any cell equal to it (the code would be ambiguous)."""
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if (r, c) != (target.row, target.col) and (
                    (c == target.col and code in v) or v == code):
                return f"code {code!r} also occurs in cell ({r},{c}) {v!r}"
    return None


def plan_table(table: SourceTable, s: Settings) -> Plan:
    """The clear document and the abstract variants of one source table, with their items."""
    drops: list[tuple[str, str, str]] = []
    items: list[ItemPlan] = []
    for ex in table.examples:
        item, reason, msg = locate(ex, table)
        if item is None:
            drops.append((ex.example_id, reason, msg))
            continue
        items.append(item)
    targets = targets_of(table)
    by_target: dict[Target, list[ItemPlan]] = defaultdict(list)
    for item in items:
        t = choose_target(item, targets, table)
        if t is not None:
            by_target[t].append(item)
    # Targets most questions name first; ties by position.
    chosen = sorted(by_target, key=lambda t: (-len(by_target[t]), t.row, t.col))
    for t in chosen[s.max_targets_per_table:]:
        del by_target[t]  # its questions stay on the clear document, without abstract twins
    asked = {i.cell for i in items if i.cell}
    for t in list(by_target):
        by_target[t] += lookups(table, t, s.lookup_questions, s.seed, asked)
    seen_questions: set[str] = set()
    clear_items: list[ItemPlan] = []
    for item in items + [i for t in by_target for i in by_target[t] if i.template != "source_question"]:
        if item.question.lower() in seen_questions:
            drops.append((item.example_id or item.question, "duplicate_question",
                          "the same question twice on one table"))
            continue
        seen_questions.add(item.question.lower())
        clear_items.append(item)
    for t, its in by_target.items():
        for item in its:
            item.target = t
            item.pair_id = stable_hash([table.source, table.doc_id, item.example_id or
                                        item.question, t.row, t.col])
    source_blocks = [Block("paragraph", p, "source") for p in table.paragraphs]
    caption = Block("caption", CAPTION, "caption")
    docs = [DocPlan(f"{table.source}:{table.doc_id}", table, table.grid,
                    [*source_blocks, caption], [_attribution(table)], clear_items)]
    for t, its in by_target.items():
        its = [i for i in its if i.question.lower() in seen_questions and i in clear_items]
        docs += _variants(table, t, its, s, source_blocks, caption, drops)
    return Plan(docs, drops)


def _variants(table: SourceTable, t: Target, its: list[ItemPlan], s: Settings,
              source_blocks: list[Block], caption: Block,
              drops: list[tuple[str, str, str]]) -> list[DocPlan]:
    out = []
    index = t.col if t.kind(table.n_header) == "column" else t.row - table.n_header
    avoid = {i.cell for i in its if i.cell}
    answers = {squash(i.answer.text, sep="") for i in its} | {squash(g, sep="") for i in its for g in i.gold}
    source_clue = text_gives_clue(table.paragraphs, table, t)
    clue_table = ClueTable(table.grid, table.n_header, t.row, t.col, t.meaning)
    ctx = ClueContext(avoid, answers, table.paragraphs, table.grid[t.row][t.col],
                      {str(ex.meta.get("scale") or "") for ex in table.examples}, s.seed,
                      table.doc_id)
    clues = {k: clue for k in IMPLIED_KINDS if s.explained_by.get(k, 1) > 0
             and (clue := CLUES[k].write(clue_table, ctx)) is not None}
    for style in s.styles:
        try:
            code = code_for(t.meaning, style, index + 1)
        except UnchangedHeaderError as exc:
            drops.append((f"{table.doc_id}|{t.meaning}|{style}", "style_leaves_header", str(exc)))
            continue
        clash = _code_clashes(code, table.grid, t)
        if clash:
            drops.append((f"{table.doc_id}|{t.meaning}|{style}", "code_clash", clash))
            continue
        grid = [list(r) for r in table.grid]
        grid[t.row][t.col] = replace_header(grid[t.row][t.col], t.meaning, code)
        usable = []
        for i in its:
            if re.search(rf"(?<!\w){re.escape(code)}(?!\w)", i.question):
                drops.append((i.example_id or i.question, "code_in_question",
                              f"the question already contains the code {code!r}"))
            else:
                usable.append(i)
        if not usable:
            continue
        for expl in s.explanations:
            key = f"{table.source}:{table.doc_id}|{t.row},{t.col}|{style}|{expl}"
            before, after = list(source_blocks), []
            explained_by = None
            if expl == "explicit":
                kind, text, explained_by = definition(code, t.meaning, key, s.explained_by)
                if kind == "paragraph":
                    before.append(Block("paragraph", text, "definition"))
                else:
                    after.append(Block("footnote", text, "legend"))
            elif expl == "implicit":
                # The clue is re-checked with this style's code: it must not name it.
                kinds = [k for k in weighted_order(list(clues), s.explained_by, key)
                         if CLUES[k].check(clue_table, clues[k].text, code) is None]
                if not kinds:
                    drops.append((key, "no_implicit_clue", (
                        f"no implied clue ({', '.join(IMPLIED_KINDS)}) singles out the header's "
                        "column/row without naming an item's answer")))
                for k in kinds[:s.implicit_variants]:
                    clue = clues[k]
                    blocks = list(before)
                    if clue.paragraph is None:
                        blocks.append(Block("paragraph", clue.text, "clue"))
                    out.append(DocPlan(f"{key}|{k}", table, grid, [*blocks, caption],
                                       [_attribution(table)], list(usable), t, code, style, expl,
                                       k, clue_span=None if clue.paragraph is None or clue.start
                                       is None else (clue.paragraph, clue.start,
                                                     clue.start + len(clue.text))))
                continue
            elif source_clue is not None:
                drops.append((key, "source_text_explains",
                              f"the source text already hints at the meaning: {source_clue!r}"))
                continue
            out.append(DocPlan(key, table, grid, [*before, caption],
                               [*after, _attribution(table)], list(usable), t, code, style,
                               expl, explained_by))
    return out
