"""generate: QA items from the documents' tables and text, and from controlled abstraction.

Table questions are written on the de-abstracted table (every abstract header replaced by
its resolved meaning) and then asked of the original table, so the question uses the natural
term while the table shows the code. Each such question also yields its clear twin (on the
de-abstracted table) with the same ``pair_id``. The backend proposes the questions (rules:
templates; LLM backends: a prompt) as operations over the table's cells; the answer is always
computed from the table by :func:`abstab.core.questions.execute`, and a proposal whose answer
or wording disagrees with the operation is rejected (``errors.jsonl``). Clear tables are
abstracted on purpose in every style, with the legend kept or removed: gold by construction.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from abstab.config import StageSettings, stable_hash
from abstab.core.abstract import LEGENDS, abstract_column, controlled_choices, keyword_link, relabel
from abstab.core.headers import core_text
from abstab.core.normalize import squash
from abstab.core.questions import (
    NOT_AVAILABLE,
    Computed,
    QuestionError,
    TableView,
    answer_of,
    answers_match,
    data_table_problem,
    difficulty,
    execute,
    has_leader,
    informative,
    is_aggregate,
    key_column,
    link_column,
    natural_term,
    phrase,
    question_type,
    term_debris,
    term_problem,
    wording_problem,
)
from abstab.core.seeded import seeded_order
from abstab.core.words import BLANK, content_words
from abstab.executors import Unit
from abstab.llm.tasks import GenerateRequest, QuestionOut
from abstab.records import (
    ABSTRACT_STYLES,
    QUESTION_TYPES,
    Abstraction,
    Answer,
    Document,
    HeaderKeyword,
    ItemEvidence,
    KeywordLink,
    Operation,
    QAItem,
    Resolution,
    Table,
    TextSpan,
)
from abstab.registry import question_types as qtype_registry
from abstab.stages.base import Stage
from abstab.store import UnitResult

__all__ = ["GenerateSettings", "GenerateStage", "answer_of", "natural_term", "question_for"]

_NUM_TOKEN = re.compile(r"(?<![\w.])[-−]?\d(?:[\d,]*\d)?(?:\.\d+)?%?(?![\w])")  # no trailing comma
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")  # not inside "1.2"
# A year standing alone: not one end of a range ("2012-13", "1990–94"), whose shift would
# make no period ("2013-13").
_YEAR_IN_TERM = re.compile(r"(?<![\w.\-–/])(?P<prefix>FY|CY)?(?P<year>(?:19|20)\d\d)"
                           r"(?![\w.]|\s*[-–/]\s*\d)")
# "Section 2", "Table 3", "table A-2", "page 12": a number that points into the document, not
# a fact.
_REFERENCE = re.compile(r"\b(?:sections?|tables?|figures?|fig\.|pages?|p\.|pp\.|chapters?|"
                        r"appendix|annex|lines?|items?|no\.|number|§)\s*(?:[A-Z][-.]?)?$",
                        re.IGNORECASE)
# Program code, not prose: an identifier with an underscore ("SESSION_USER") or an operator
# of a programming language ("<>", "==", "!=").
_CODE = re.compile(r"[^\W_]_[^\W_]|<>|[=!]=")
# A whole sentence: a capital (or an opening quote or bracket before one) to a full stop, a
# question or an exclamation mark (a closing quote or bracket may follow). A line cut out of a
# column of text ("countries, together with … seems most") is none.
_WHOLE_SENTENCE = re.compile(r"[\"“‘(]?[A-Z].*[.!?][\"”’)]?", re.DOTALL)
_YEAR_SHIFT = 5
"""How many years past the latest one a column names are tried for an absent period."""


def _letters(text: str) -> str:
    """The letters of ``text``, lower-cased: what is left of a code or meaning without its
    digits, marks and spaces."""
    return "".join(ch for ch in text.lower() if ch.isalpha())


def _in_citation(sentence: str, num: re.Match[str]) -> bool:
    """Whether ``num`` is the year of a bracketed citation ("(EPA 2010)", "(Smith et al.,
    2009; …)")."""
    if not re.fullmatch(r"(?:19|20)\d\d", num.group()):
        return False
    opened = sentence.rfind("(", 0, num.start())
    return opened > sentence.rfind(")", 0, num.start()) and ")" in sentence[num.end():]


def _absent_year(term: str, said: str) -> str | None:
    """``term`` ("FY2025 Funding") with its year moved to a year after it that ``said`` (the
    document's text and the table's cells) never mentions ("FY2026 Funding"), or None."""
    m = _YEAR_IN_TERM.search(term)
    if m is None:
        return None
    years = {int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", said)}
    for year in range(int(m.group("year")) + 1, int(m.group("year")) + 1 + _YEAR_SHIFT):
        if year not in years and year > max(years, default=0):
            return term[:m.start("year")] + str(year) + term[m.end("year"):]
    return None


class GenerateSettings(StageSettings):
    """Settings of the generate stage.

    Args:
        rows_per_column: lookup questions per table column (rows picked deterministically).
        rows_per_abstract_column: lookup questions per column whose printed header is abstract
            (None: ``rows_per_column``); the benchmark's point is those columns.
        max_columns: value columns used per table (abstract columns first).
        question_types: question types asked of document tables (see
            :mod:`abstab.core.questions`); controlled items are lookups.
        questions_per_type: questions of each non-lookup type per table.
        text_questions_per_document: fill-in-the-blank questions from body sentences.
        unanswerable_per_table: questions naming a quantity the document does not report.
        controlled: abstract clear tables on purpose.
        styles: abstraction styles used for controlled abstraction.
        seed: changes which rows/columns are picked.
        max_term_words: a header meaning longer than this is not a usable column name (a
            resolver may return a sentence); the de-abstracted column name may have twice as
            many words (it joins the levels of a multi-row header).
        concurrency: tables sent to the backend at once (useful with LLM backends).
    """

    rows_per_column: int = 2
    rows_per_abstract_column: int | None = None
    max_columns: int = 4
    question_types: list[str] = Field(default_factory=lambda: list(QUESTION_TYPES))
    questions_per_type: int = 1
    text_questions_per_document: int = 3
    unanswerable_per_table: int = 1
    controlled: bool = True
    styles: list[str] = Field(default_factory=lambda: list(ABSTRACT_STYLES))
    seed: str = "0"
    max_term_words: int = 6
    concurrency: int = 1

    @model_validator(mode="after")
    def _check(self) -> Self:
        bad = sorted(set(self.styles) - set(ABSTRACT_STYLES))
        if bad:
            raise ValueError(f"unknown style(s) {bad}; allowed: {list(ABSTRACT_STYLES)}")
        bad = sorted(t for t in set(self.question_types) if t not in qtype_registry)
        if bad:
            raise ValueError(f"unknown question type(s) {bad}; "
                             f"allowed: {qtype_registry.ordered()}")
        for name in ("rows_per_column", "max_columns", "questions_per_type",
                     "text_questions_per_document", "unanswerable_per_table", "max_term_words"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.rows_per_abstract_column is not None and self.rows_per_abstract_column < 0:
            raise ValueError("rows_per_abstract_column must be >= 0 (or null)")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        return self


def question_for(term: str, row_key: str) -> str:
    """The lookup question: "What is the <term> for <row>?"."""
    return f"What is the {phrase(term)} for {row_key}?"


# A document's sentences, a document table, or the controlled abstraction of a clear table.
_UnitKind = Literal["text", "table", "controlled"]


@dataclass(frozen=True)
class _GenerateUnit:
    """What one unit of generate asks questions of (its ``kind`` picks the method)."""

    kind: _UnitKind
    target: str  # the doc_id (text) or the table_id


@dataclass
class _TablePlan:
    """One document table made ready for questions."""

    table: Table  # as in the document (codes)
    source: Table  # de-abstracted (meanings), or ``table`` when nothing was abstract
    view: TableView  # over ``source``
    links: dict[int, list[KeywordLink]]  # column → its abstract headers' meanings
    spans: dict[int, list[TextSpan]]  # column → where the document defines them
    # body row → the meanings of the codes in its label, and where the document defines them
    row_links: dict[int, list[KeywordLink]] = field(default_factory=dict)
    row_spans: dict[int, list[TextSpan]] = field(default_factory=dict)
    # body row → why no question may name it (a code in its label with no usable meaning)
    blocked_rows: dict[int, str] = field(default_factory=dict)


# An abstract keyword and its meaning (None: the resolver found none).
_Meant = tuple[HeaderKeyword, Resolution | None]


class GenerateStage(Stage):
    name = "generate"
    consumes = ("documents", "tables", "judgments", "resolutions")
    produces = ("items", "derived_tables")
    counted = "items"
    version = 3  # 2: a number's answer keeps no trailing comma ("2019," → "2019")
    # 3: a code in a row label is asked about by its meaning
    settings_cls = GenerateSettings
    uses_backend = True
    # A table's questions follow the headers and meanings a person set (stages/reviewed.py).
    reads_review = True

    def __init__(self, work: Any, settings: Any = None, backend: Any = None):
        if backend is None:  # templates are the default question writer
            from abstab.rules.backend import RulesBackend

            backend = RulesBackend()
        super().__init__(work, settings, backend)

    def load(self) -> None:
        # Indexes, not dicts of records: records are read when their unit runs, so memory
        # holds offsets and the small summaries below, not the corpus.
        self.docs = self.index_of("documents", "doc_id")
        self.tables = self.index_of("tables", "table_id", by="doc_id")
        self.judgments = self.index_of("judgments", "table_id")
        self.resolutions = self.index_of("resolutions", "table_id", group=True)

    def units(self) -> list[Unit]:
        def unit(kind: _UnitKind, target: str) -> Unit:
            # The id keeps the form of earlier versions, so their journals resume.
            return Unit(f"{kind}:{target}", _GenerateUnit(kind, target))

        units = [unit("text", d) for d in sorted(self.docs)]
        for tid, j in self.judgments.items():
            if j.label == "not_table" or tid not in self.tables:
                continue
            units.append(unit("table", tid))
            if j.label == "clear" and self.settings.controlled:
                units.append(unit("controlled", tid))
        return units

    def unit_decisions(self, unit_id: str) -> Any:
        kind, _, target = unit_id.partition(":")
        if kind != "table":
            return None
        decided = {"headers": self.review.header_calls(target),
                   "meanings": self.review.meaning_values(target),
                   # what resolve made of the table under the decisions
                   "resolved": self.upstream_reviewed("resolutions").get(target)}
        return {k: v for k, v in decided.items() if v}

    def process(self, unit: Unit) -> UnitResult:
        work: _GenerateUnit = unit.payload
        result = UnitResult()
        {"text": self._text_items, "table": self._table_items,
         "controlled": self._controlled_items}[work.kind](work.target, result)
        return result

    # -- helpers -------------------------------------------------------------------------

    def _pick(self, items: list[Any], n: int, key: str) -> list[Any]:
        ranked = seeded_order(range(len(items)), self.settings.seed, key)
        return [items[i] for i in sorted(ranked[:n])]

    def _item(self, result: UnitResult, *, doc_id: str, table_id: str | None, question: str,
              answer: Answer, location: str, style: str, legend: str, origin: str,
              template: str, pair_id: str | None = None, keywords: list[KeywordLink] | None = None,
              cells: list[list[int]] | None = None, blocks: list[str] | None = None,
              spans: list[TextSpan] | None = None, operation: Operation | None = None,
              provenance: dict[str, Any] | None = None) -> None:
        item = QAItem(
            item_id=stable_hash([doc_id, table_id, question, location, style]),
            doc_id=doc_id, table_id=table_id, question=question, answer=answer,
            answer_location=location, keywords=keywords or [],
            evidence=ItemEvidence(cells=cells or [], blocks=blocks or [], spans=spans or []),
            abstraction=Abstraction(style=style, legend=legend), origin=origin,
            pair_id=pair_id, template=template, operation=operation,
            difficulty=difficulty(location, operation.type if operation else None),
            provenance=self.provenance(**(provenance or {"backend": "rules",
                                                         "model": "templates"})),
        )
        result.add("items", item)
        result.stats[f"location.{location}"] += 1
        result.stats[f"style.{style}"] += 1
        if operation is not None:
            result.stats[f"type.{operation.type}"] += 1

    def _row_keys(self, table: Table) -> list[tuple[int, str]]:
        return sorted(TableView(table, 0).keys.items())

    # -- table questions from the document ------------------------------------------------

    def _plan(self, table_id: str, result: UnitResult) -> _TablePlan | None:
        """Resolve the table's abstract headers and row labels into a de-abstracted copy; None
        if the table has no column of row labels to ask about."""
        table = self.tables[table_id]
        judgment = self.judgments[table_id]
        kc = key_column(table)
        result.stats["tables.in"] += 1
        why = data_table_problem(table)
        if why is not None:
            result.drop(table_id, "not_data_table", f"no questions from this table: {why}",
                        failure=False, counted=False)
            return None
        if kc is None:
            result.drop(table_id, "no_row_keys", "no column of distinct row labels to ask about",
                        failure=False, counted=False)
            return None
        res = {(r.row, r.column, r.keyword): r for r in self.resolutions.get(table_id, [])}
        col_keywords: dict[int, list[_Meant]] = defaultdict(list)
        row_keywords: dict[int, list[_Meant]] = defaultdict(list)
        for kw in self.review.keywords(table, judgment):
            meaning = self.review.resolution(table, kw, res.get((kw.row, kw.col, kw.keyword)))
            if kw.role == "stub":
                # A code in a row label names its row; only the key column's labels name rows.
                if kw.col == kc:
                    row_keywords[kw.row - table.n_header_rows].append((kw, meaning))
                continue
            cell = table.header_cell(kw.row, kw.col)
            span = range(cell.col, cell.col + cell.col_span) if cell else [kw.col]
            for c in span:
                col_keywords[c].append((kw, meaning))
        plan = _TablePlan(table, table, TableView(table, kc), {}, {})
        changes: dict[tuple[int, int], tuple[str, str]] = {}
        width = max((len(r) for r in table.rows), default=0)
        for c in range(width):
            kws = col_keywords.get(c, [])
            name = table.columns[c] if c < len(table.columns) else str(c)
            problem = self._meaning_problem(kws, "column")
            if problem is not None:
                if c != kc:
                    result.drop(f"{table_id}|col{c}", problem[0], f"column {name!r}{problem[1]}",
                                failure=False)
                continue
            plan.links[c], plan.spans[c] = self._meant(kws, c, changes)
        for r, kws in sorted(row_keywords.items()):
            problem = self._meaning_problem(kws, "row")
            if problem is not None:
                label = plan.view.cell(r, kc)
                plan.blocked_rows[r] = f"row {label!r}{problem[1]}"
                result.drop(f"{table_id}|row{r}", problem[0], plan.blocked_rows[r],
                            failure=False)
                continue
            plan.row_links[r], plan.row_spans[r] = self._meant(kws, kc, changes)
        if changes:
            plan.source = relabel(table, changes, f"{table_id}:clear", self.provenance(),
                                  keep_notes=False)
            plan.view = TableView(plan.source, kc)
            result.add("tables", plan.source)
        if any(plan.links.values()) or plan.row_links:
            result.stats["tables.abstract_resolved"] += 1
        return plan

    def _meaning_problem(self, kws: list[_Meant], what: str) -> tuple[str, str] | None:
        """Why the meanings of a column's (or row's) abstract keywords cannot stand in for
        them in a question, as (reason, the message's tail); None when they can."""
        if any(r is None or r.category == "unresolvable" or not r.expansion for _, r in kws):
            part = "header" if what == "column" else "label"
            return "unresolved_header", f" has a {part} with no known meaning"
        for kw, r in kws:
            assert r is not None and r.expansion is not None
            # "LED9 Reference Designator" for "LED Reference Designator" (a part number read
            # as an expansion) spells the same letters: the code itself, with debris.
            why = ("it is the code itself" if _letters(r.expansion) == _letters(kw.keyword)
                   else term_problem(r.expansion, self.settings.max_term_words))
            if why:
                return "unusable_meaning", (f": the meaning of {kw.keyword!r} is not a {what} "
                                            f"name ({why}): {r.expansion[:80]!r}")
        return None

    @staticmethod
    def _meant(kws: list[_Meant], column: int, changes: dict[tuple[int, int], tuple[str, str]]
               ) -> tuple[list[KeywordLink], list[TextSpan]]:
        """The links and definition spans of resolved keywords, their changes noted in
        ``changes`` (a code's cell → its meaning)."""
        links: list[KeywordLink] = []
        spans: list[TextSpan] = []
        for kw, r in kws:
            assert r is not None and r.expansion is not None
            changes[(kw.row, kw.col)] = (kw.keyword, r.expansion)
            links.append(KeywordLink(abstract=kw.keyword, detailed=r.expansion, column=column,
                                     category=r.category))
            spans.extend(TextSpan(block_id=e.block_id, char_start=e.char_start,
                                  char_end=e.char_end, text=e.text, role="definition")
                         for e in r.evidence if e.char_start is not None and e.char_end is not None)
        return links, spans

    def _table_items(self, table_id: str, result: UnitResult) -> None:
        plan = self._plan(table_id, result)
        if plan is None:
            return
        table, kc = plan.table, plan.view.key_column
        terms = {c: natural_term(plan.source.columns[c]) for c in plan.links
                 if c != kc and c < len(plan.source.columns)}
        counts = Counter(t.lower() for t in terms.values())
        key_term = natural_term(plan.source.columns[kc]) if kc < len(plan.source.columns) else ""
        usable = []
        for c, term in sorted(terms.items()):
            why = (term_problem(term, 2 * self.settings.max_term_words)
                   or term_debris(term, plan.view, c)
                   or link_column(plan.view, c)) if term else "no header"
            if why is None and counts[term.lower()] > 1:
                why = f"{counts[term.lower()]} columns are called {term!r}"
            if why is None and term.lower() == key_term.lower():
                why = "it repeats the row labels' header (a second label column)"
            if why is not None:
                result.drop(f"{table_id}|col{c}", "unusable_term",
                            f"column {c} cannot be named in a question: {why}", failure=False)
                continue
            usable.append(c)
        abstract = [c for c in usable if plan.links[c]]
        clear = [c for c in usable if not plan.links[c]]
        # Columns with abstract headers first: they make the benchmark.
        ordered = (self._pick(abstract, len(abstract), table_id + "|abs")
                   + self._pick(clear, len(clear), table_id))
        columns = ordered[:self.settings.max_columns]
        if columns:
            request = GenerateRequest(
                key_column=kc, columns=columns, types=self.settings.question_types,
                lookups_per_column=self.settings.rows_per_column,
                abstract_columns=[c for c in columns if plan.links[c]],
                lookups_per_abstract_column=self.settings.rows_per_abstract_column,
                abstract_rows=sorted(plan.row_links), unnamed_rows=sorted(plan.blocked_rows),
                per_type=self.settings.questions_per_type, seed=self.settings.seed)
            out = self.call_backend(result, table_id, self.backend.generate, plan.source,
                                    self.docs.get(table.doc_id), request, counted=False)
            seen: set[str] = set()
            for q in out.questions if out is not None else []:
                self._accept(q, plan, columns, seen, result)
        self._unanswerable(plan, {c: terms[c] for c in usable}, result)

    def _accept(self, q: QuestionOut, plan: _TablePlan, columns: list[int], seen: set[str],
                result: UnitResult) -> None:
        """Check one proposed question against the table; emit it (and its clear twin)."""
        table, view, kc = plan.table, plan.view, plan.view.key_column
        item = f"{table.table_id}|{q.type}|{q.question}"
        if q.column not in columns:
            result.drop(item, "bad_column", f"column {q.column} was not asked about "
                        f"(asked: {columns})", raw=q.model_dump())
            return
        kind = question_type(q.type)
        op = Operation(type=q.type, column=q.column, key_column=kc,
                       rows=q.rows if kind.names_rows else [],
                       op=q.op if kind.uses_op else None,
                       threshold=q.threshold if kind.uses_threshold else None)
        try:
            computed = execute(op, plan.source)
        except QuestionError as exc:
            result.drop(item, exc.reason, str(exc), raw=q.model_dump())
            return
        if not answers_match(q.answer, computed.answer):
            result.drop(item, "answer_mismatch", f"proposed answer {q.answer!r}, the table gives "
                        f"{computed.answer.text!r}", raw=q.model_dump())
            return
        named = op.rows if kind.names_rows else []
        blocked = next((plan.blocked_rows[r] for r in named if r in plan.blocked_rows), None)
        if blocked:
            result.drop(item, "unresolved_header", f"the question names {blocked}",
                        failure=False)
            return
        links = list(plan.links[op.column])
        if not kind.names_rows:
            links += plan.links.get(kc, [])  # the rows are named by the key column's header
        # codes in the labels of the rows the question names (by their meanings)
        links += [k for r in named for k in plan.row_links.get(r, []) if k not in links]
        problem = wording_problem(q.question, op, view, [(k.abstract, k.detailed) for k in links])
        if problem:
            result.drop(item, problem[0], problem[1], raw=q.model_dump())
            return
        norm = squash(q.question.lower())
        if norm in seen:
            result.drop(item, "duplicate", "the same question twice on one table", failure=False)
            return
        seen.add(norm)
        # The answer as the table is printed: a row label answer shows the row's code.
        printed: Computed | None = computed
        if plan.source is not table:
            try:
                printed = execute(op, table)
            except QuestionError:
                printed = None
        question = squash(q.question)
        prov = self.backend.provenance("generate")
        common: dict[str, Any] = {
            "doc_id": table.doc_id, "question": question, "origin": "document",
            "template": op.type, "operation": op, "provenance": prov}
        if not links:
            # Asked of the table as printed; of the de-abstracted copy when only it fits.
            on = (table, printed) if printed is not None else (plan.source, computed)
            self._item(result, table_id=on[0].table_id, location="table_clear", style="natural",
                       legend="none", answer=on[1].answer, cells=on[1].cells,
                       **common)  # type: ignore[arg-type]
            return
        pair = stable_hash([table.table_id, op.model_dump()])
        if printed is None or (named and printed.answer != computed.answer):
            # The question names a row by its meaning and the answer is a row label the table
            # prints as a code: no reader would give the gold answer's form. Only the clear twin.
            result.drop(item, "answer_printed_as_code", "the answer is a row label the table "
                        "prints with a code the question spells out", failure=False)
        else:
            cats = {k.category for k in links}
            location = "table_defined" if cats == {"explicit"} else "table_implicit"
            legend = "explicit" if location == "table_defined" else "implicit"
            spans = [s for c in sorted({op.column, kc}) for s in plan.spans.get(c, [])
                     if any(k.column == c for k in links)]
            spans += [s for r in named for s in plan.row_spans.get(r, []) if s not in spans]
            self._item(result, table_id=table.table_id, location=location,
                       style=self._style(table, links), legend=legend, pair_id=pair,
                       keywords=links, spans=spans, answer=printed.answer, cells=printed.cells,
                       blocks=sorted({s.block_id for s in spans if s.block_id}),
                       **common)  # type: ignore[arg-type]
        self._item(result, table_id=plan.source.table_id, location="table_clear",
                   style="natural", legend="none", pair_id=pair, answer=computed.answer,
                   cells=computed.cells, **common)  # type: ignore[arg-type]

    def _style(self, table: Table, links: list[KeywordLink]) -> str:
        judgment = self.judgments[table.table_id]
        by_keyword = {k.keyword: k.style for k in self.review.keywords(table, judgment)}
        return by_keyword.get(links[0].abstract, "acronym")

    def _unanswerable(self, plan: _TablePlan, terms: dict[int, str],
                      result: UnitResult) -> None:
        """Questions a reader could ask of this table that the document does not answer: a
        real row and column whose cell says the value is not available ("n/a", "(NA)"); a
        real row and a column's quantity for a year the document never mentions; or a column
        for a row another table of the document lists under the same row header but this
        table leaves out, when nothing in the document gives that row that quantity."""
        if not self.settings.unanswerable_per_table:
            return
        table, view = plan.table, plan.view
        candidates = [(question_for(term, view.keys[r]), "absent_value", [view.coord(r, c)])
                      for c, term in terms.items() for r in view.keys
                      if NOT_AVAILABLE.fullmatch(view.cell(r, c))]
        doc = self.docs[table.doc_id]
        said = doc.text + " " + " ".join(" ".join(r) for r in [*table.header_rows, *table.rows])
        for c, term in terms.items():
            shifted = _absent_year(term, said)
            rows = [r for r in view.keys if informative(view.cell(r, c))]
            if shifted and rows:
                r = self._pick(rows, 1, f"{table.table_id}|absent|{c}")[0]
                candidates.append((question_for(shifted, view.keys[r]), "absent_period", []))
        candidates += [(question_for(term, entity), "absent_row", [])
                       for entity, term in self._absent_rows(plan, terms, doc)]
        if not candidates:
            result.stats["unanswerable.no_candidate"] += 1
            return
        for question, template, cells in self._pick(candidates, self.settings.unanswerable_per_table,
                                                    table.table_id + "|unanswerable"):
            self._item(result, doc_id=table.doc_id, table_id=table.table_id, question=question,
                       answer=Answer(text="", type="none"), location="unanswerable",
                       style="natural", legend="none", origin="document", template=template,
                       cells=cells)

    def _absent_rows(self, plan: _TablePlan, terms: dict[int, str],
                     doc: Document) -> list[tuple[str, str]]:
        """(row label, column term) pairs for rows of sibling tables (same row header) that
        this table and the document's text leave without that quantity."""
        table, kc = plan.table, plan.view.key_column
        header = natural_term(table.columns[kc]).lower() if kc < len(table.columns) else ""
        if not header:
            return []
        own = {k.lower() for k in plan.view.keys.values()}
        sentences = [s.lower() for s in _SENTENCE_END.split(squash(doc.text))]
        out: list[tuple[str, str]] = []
        for tid in self.tables.keys_by.get(doc.doc_id, []):
            other = self.tables[tid]
            okc = key_column(other)
            if tid == table.table_id or okc is None or okc >= len(other.columns) \
                    or natural_term(other.columns[okc]).lower() != header:
                continue
            # The other table's quantities: a term sharing a word with one of them ("Threshold
            # Limit" beside "Allowable Limit") may be what that table gives the row.
            given = set().union(*(content_words(natural_term(name))
                                  for c, name in enumerate(other.columns) if c != okc))
            for entity in TableView(other, okc).keys.values():
                if entity.lower() in own or is_aggregate(entity):
                    continue
                said = set().union(*(content_words(s) for s in sentences if entity.lower() in s))
                out += [(entity, term) for term in terms.values()
                        if not content_words(term) & (said | given)]
        return out

    # -- controlled abstraction of clear tables --------------------------------------------

    def _controlled_items(self, table_id: str, result: UnitResult) -> None:
        table = self.tables[table_id]
        if data_table_problem(table) is not None:
            return  # the table's own unit records why (not_data_table)
        row_keys = self._row_keys(table)
        cols = [c for c in range(1, len(table.columns))
                if table.header_cell(table.n_header_rows - 1, c) is not None
                and core_text(table.header_cell(table.n_header_rows - 1, c).text)]  # type: ignore[union-attr]
        if not row_keys or not cols or table.n_header_rows == 0:
            result.drop(table_id, "not_controllable", "no row labels or no header to abstract",
                        failure=False)
            return
        for style, c, legend in controlled_choices(table_id, cols, list(self.settings.styles),
                                                   self.settings.seed):
            new_id = f"{table_id}:{style}:{legend}"
            try:
                new, code, meaning = abstract_column(table, c, style, legend, new_id, self.provenance())
            except ValueError as exc:
                result.drop(new_id, "not_controllable", str(exc), failure=False)
                continue
            result.add("tables", new)
            location = LEGENDS[legend].location
            term = natural_term(table.columns[c])
            usable = [(r, k) for r, k in row_keys if c < len(table.rows[r]) and table.rows[r][c].strip()]
            for r, key in self._pick(usable, 1, f"{new_id}|rows"):
                question = question_for(term, key)
                answer = answer_of(table.rows[r][c])
                cell = [[table.n_header_rows + r, c]]
                pair = stable_hash([new_id, r, c])
                link = keyword_link(code, meaning, c, legend)
                op = Operation(type="lookup", column=c, key_column=0, rows=[r])
                self._item(result, doc_id=table.doc_id, table_id=new_id, question=question,
                           answer=answer, location=location, style=style, legend=legend,
                           origin="controlled", template="column_row_lookup", pair_id=pair,
                           keywords=[link], cells=cell, operation=op)
                self._item(result, doc_id=table.doc_id, table_id=table_id, question=question,
                           answer=answer, location="table_clear", style="natural", legend="none",
                           origin="controlled", template="column_row_lookup", pair_id=pair,
                           cells=cell, operation=op)

    # -- text questions ------------------------------------------------------------------

    def _text_items(self, doc_id: str, result: UnitResult) -> None:
        doc = self.docs[doc_id]
        candidates = []
        for b in doc.blocks:
            if b.kind not in ("paragraph", "list"):
                continue
            for sentence in _SENTENCE_END.split(squash(b.text)):
                if sentence[:1].isdigit() or _CODE.search(sentence):
                    continue  # a numbered list item, a reference entry or code: no sentence
                # A year in brackets is a citation ("(EPA 2010)"): no question of the text.
                nums = [m for m in _NUM_TOKEN.finditer(sentence) if not _in_citation(sentence, m)
                        and not _REFERENCE.search(sentence[:m.start()])]
                if not nums or not 6 <= len(sentence.split()) <= 40 or has_leader(sentence):
                    continue
                candidates.append((b, sentence, nums[0]))
        for b, sentence, num in self._pick(candidates, self.settings.text_questions_per_document, doc_id):
            if not _WHOLE_SENTENCE.fullmatch(sentence):
                result.drop(f"{doc_id}|{sentence[:40]}", "not_a_sentence", "a piece of a "
                            "sentence (no capital at its start or no full stop at its end)",
                            failure=False)
                continue
            cloze = sentence[:num.start()] + BLANK + sentence[num.end():]
            if sentence.count(num.group()) > 1:
                result.drop(f"{doc_id}|{sentence[:40]}", "ambiguous_blank",
                            "the number occurs twice in the sentence", failure=False)
                continue
            span = _answer_span(doc, b.block_id, sentence, num)
            if span is None:
                result.drop(f"{doc_id}|{sentence[:40]}", "span_not_found",
                            "the sentence was not found in its block's text")
                continue
            self._item(result, doc_id=doc_id, table_id=None,
                       question=f'Fill in the blank from the document: "{cloze}"',
                       answer=answer_of(num.group()), location="text", style="natural",
                       legend="none", origin="document", template="sentence_cloze",
                       blocks=[b.block_id], spans=[span])

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        locs = ("text", "table_clear", "table_defined", "table_implicit", "unanswerable")
        lines = [", ".join(f"{c.get('location.' + k, 0)} {k}" for k in locs)]
        types = [f"{c[f'type.{t}']} {t}" for t in qtype_registry.ordered() if c.get(f"type.{t}")]
        if types:
            lines.append("table questions: " + ", ".join(types))
        return lines


def _answer_span(doc: Document, block_id: str, sentence: str, num: re.Match[str]) -> TextSpan | None:
    """The answer number's span in Document.text (``sentence`` is whitespace-normalised)."""
    block = next((b for b in doc.blocks if b.block_id == block_id), None)
    if block is None:
        return None
    before = sentence[:num.start()].split()
    pattern = r"\s+".join(re.escape(w) for w in sentence.split())
    m = re.search(pattern, block.text)
    if m is None:
        return None
    # Skip the words before the number, then the whitespace, inside the raw sentence.
    head = re.match(r"\s*".join(re.escape(w) for w in before) + r"\s*" if before else "",
                    block.text[m.start():])
    start = block.char_start + m.start() + (head.end() if head else 0)
    text = num.group()
    if doc.text[start:start + len(text)] != text:
        return None
    return TextSpan(block_id=block_id, char_start=start, char_end=start + len(text), text=text,
                    role="answer")
