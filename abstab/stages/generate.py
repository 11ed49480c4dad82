"""generate: QA items from the documents' tables and text, and from controlled abstraction.

Table questions are written on the de-abstracted table (every abstract header replaced by
its resolved meaning) and then asked of the original table, so the question uses the natural
term while the table shows the code. Each such question also yields its clear twin (on the
de-abstracted table) with the same ``pair_id``. Clear tables are abstracted on purpose in every
style, with the legend kept or removed: gold by construction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from abstab.config import stable_hash
from abstab.records import (
    ABSTRACT_STYLES,
    Abstraction,
    Answer,
    Document,
    ItemEvidence,
    Judgment,
    KeywordLink,
    QAItem,
    Resolution,
    Table,
)
from abstab.rules.headers import COMMON_WORD_ZIPF, core_text, zipf
from abstab.rules.reader import BLANK, content_words
from abstab.stages.abstract import abstract_column, relabel
from abstab.stages.base import Stage, Unit
from abstab.store import StageDir, UnitResult

_NUM_TOKEN = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?%?(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")  # not inside "1.2"
_LOCATION_DIFFICULTY = {"text": "easy", "table_clear": "easy", "table_defined": "medium",
                        "table_implicit": "hard", "unanswerable": "hard"}


@dataclass
class GenerateSettings:
    """Settings of the generate stage.

    Args:
        rows_per_column: questions per table column (rows picked deterministically).
        max_columns: value columns used per table.
        text_questions_per_document: fill-in-the-blank questions from body sentences.
        unanswerable_per_table: questions naming a quantity the document does not report.
        controlled: abstract clear tables on purpose.
        styles: abstraction styles used for controlled abstraction.
        seed: changes which rows/columns are picked.
    """

    rows_per_column: int = 2
    max_columns: int = 4
    text_questions_per_document: int = 3
    unanswerable_per_table: int = 1
    controlled: bool = True
    styles: list[str] = field(default_factory=lambda: list(ABSTRACT_STYLES))
    seed: str = "0"

    def __post_init__(self) -> None:
        bad = sorted(set(self.styles) - set(ABSTRACT_STYLES))
        if bad:
            raise ValueError(f"unknown style(s) {bad}; allowed: {list(ABSTRACT_STYLES)}")
        for name in ("rows_per_column", "max_columns", "text_questions_per_document",
                     "unanswerable_per_table"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")


def answer_of(text: str) -> Answer:
    from abstab.bench.normalize import parse_number

    text = " ".join(text.split())
    value = parse_number(text)
    if value is not None:
        return Answer(text=text, value=value, type="number",
                      unit="%" if text.endswith("%") else None)
    return Answer(text=text, value=text, type="text")


def question_for(term: str, row_key: str) -> str:
    # "Change in …" reads "the change in …"; acronyms and names keep their capitals.
    first = term.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and zipf(first) >= COMMON_WORD_ZIPF:
        term = term[0].lower() + term[1:]
    return f"What is the {term} for {row_key}?"


def natural_term(column: str) -> str:
    parts = [core_text(p) for p in column.split(" / ")]
    return " ".join(p for p in parts if p)


class GenerateStage(Stage):
    name = "generate"
    upstream = ("extract", "judge", "resolve")
    outputs = ("items", "tables")
    settings_cls = GenerateSettings

    def load(self) -> None:
        ex = StageDir(self.work, "extract", ())
        self.docs = {d.doc_id: d for d in ex.read("documents", Document)}
        self.tables = {t.table_id: t for t in ex.read("tables", Table)}
        self.judgments = {j.table_id: j for j in StageDir(self.work, "judge", ()).read(
            "judgments", Judgment)}
        self.resolutions: dict[str, list[Resolution]] = defaultdict(list)
        for r in StageDir(self.work, "resolve", ()).read("resolutions", Resolution):
            self.resolutions[r.table_id].append(r)
        self.term_pool = self._term_pool()

    def units(self) -> list[Unit]:
        units = [Unit(f"text:{d}", d) for d in sorted(self.docs)]
        for tid, j in self.judgments.items():
            if j.label == "not_table" or tid not in self.tables:
                continue
            units.append(Unit(f"table:{tid}", tid))
            if j.label == "clear" and self.settings.controlled:
                units.append(Unit(f"controlled:{tid}", tid))
        return units

    def process(self, unit: Unit) -> UnitResult:
        kind = unit.id.split(":", 1)[0]
        result = UnitResult()
        {"text": self._text_items, "table": self._table_items,
         "controlled": self._controlled_items}[kind](unit.payload, result)
        return result

    # -- helpers -------------------------------------------------------------------------

    def _pick(self, items: list[Any], n: int, key: str) -> list[Any]:
        ranked = sorted(range(len(items)), key=lambda i: stable_hash([self.settings.seed, key, i]))
        return [items[i] for i in sorted(ranked[:n])]

    def _item(self, result: UnitResult, *, doc_id: str, table_id: str | None, question: str,
              answer: Answer, location: str, style: str, legend: str, origin: str,
              template: str, pair_id: str | None = None, keywords: list[KeywordLink] | None = None,
              cells: list[list[int]] | None = None, blocks: list[str] | None = None) -> None:
        item = QAItem(
            item_id=stable_hash([doc_id, table_id, question, location, style]),
            doc_id=doc_id, table_id=table_id, question=question, answer=answer,
            answer_location=location, keywords=keywords or [],
            evidence=ItemEvidence(cells=cells or [], blocks=blocks or []),
            abstraction=Abstraction(style=style, legend=legend), origin=origin,
            pair_id=pair_id, template=template, difficulty=_LOCATION_DIFFICULTY[location],
            provenance=self.provenance(backend="rules", model="templates"),
        )
        result.add("items", item)
        result.stats["kept"] += 1
        result.stats[f"location.{location}"] += 1
        result.stats[f"style.{style}"] += 1

    def _row_keys(self, table: Table) -> list[tuple[int, str]]:
        keys = [(r, " ".join(row[0].split())) for r, row in enumerate(table.rows) if row]
        keys = [(r, k) for r, k in keys if k and not _NUM_TOKEN.fullmatch(k)]
        counts = defaultdict(int)
        for _, k in keys:
            counts[k.lower()] += 1
        return [(r, k) for r, k in keys if counts[k.lower()] == 1]

    def _term_pool(self) -> list[tuple[str, str]]:
        """(doc_id, natural column name) for every clear column in the corpus."""
        pool = []
        for tid, j in self.judgments.items():
            t = self.tables.get(tid)
            if t is None or j.label == "not_table":
                continue
            abstract_cols = {k.col for k in j.keywords}
            for c, name in enumerate(t.columns[1:], 1):
                term = natural_term(name)
                if c not in abstract_cols and len(content_words(term)) >= 1 and not _NUM_TOKEN.fullmatch(term):
                    pool.append((t.doc_id, term))
        return sorted(set(pool))

    # -- table questions from the document ------------------------------------------------

    def _table_items(self, table_id: str, result: UnitResult) -> None:
        table = self.tables[table_id]
        judgment = self.judgments[table_id]
        res = {(r.row, r.column, r.keyword): r for r in self.resolutions.get(table_id, [])}
        row_keys = self._row_keys(table)
        if not row_keys:
            result.stats["in"] += 1
            result.drop(table_id, "no_row_keys", "no column of distinct row labels to ask about",
                        failure=False)
            return
        # Which keywords sit over which column.
        col_keywords: dict[int, list[tuple[Any, Resolution | None]]] = defaultdict(list)
        for kw in judgment.keywords:
            cell = table.header_cell(kw.row, kw.col)
            span = range(cell.col, cell.col + cell.col_span) if cell else [kw.col]
            for c in span:
                col_keywords[c].append((kw, res.get((kw.row, kw.col, kw.keyword))))
        clear_changes: dict[tuple[int, int], tuple[str, str]] = {}
        plans = []
        for c in range(1, len(table.columns)):
            kws = col_keywords.get(c, [])
            if any(r is None or r.category == "unresolvable" for _, r in kws):
                result.stats["in"] += 1
                result.drop(f"{table_id}|col{c}", "unresolved_header",
                            f"column {table.columns[c]!r} has a header with no known meaning",
                            failure=False)
                continue
            plans.append((c, kws))
            for kw, r in kws:
                clear_changes[(kw.row, kw.col)] = (kw.keyword, r.expansion)  # type: ignore[union-attr]
        clear_table = None
        if clear_changes:
            clear_table = relabel(table, clear_changes, f"{table_id}:clear",
                                  self.provenance(), keep_notes=False)
            result.add("tables", clear_table)
        for c, kws in self._pick(plans, self.settings.max_columns, table_id):
            term = natural_term(table.columns[c])
            for kw, r in kws:
                term = term.replace(kw.keyword, r.expansion)  # type: ignore[union-attr]
            if not kws:
                location, style = "table_clear", "natural"
            elif all(r.category == "explicit" for _, r in kws):  # type: ignore[union-attr]
                location, style = "table_defined", kws[0][0].style
            else:
                location, style = "table_implicit", kws[0][0].style
            legend = "none" if not kws else (
                "explicit" if location == "table_defined" else "implicit")
            links = [KeywordLink(abstract=kw.keyword, detailed=r.expansion, column=c,  # type: ignore[union-attr]
                                 category=r.category) for kw, r in kws]  # type: ignore[union-attr]
            usable = [(r, k) for r, k in row_keys if c < len(table.rows[r]) and table.rows[r][c].strip()]
            for r, key in self._pick(usable, self.settings.rows_per_column, f"{table_id}|{c}"):
                result.stats["in"] += 1
                question = question_for(term, key)
                answer = answer_of(table.rows[r][c])
                cell = [[table.n_header_rows + r, c]]
                pair = stable_hash([table_id, r, c]) if kws else None
                self._item(result, doc_id=table.doc_id, table_id=table_id, question=question,
                           answer=answer, location=location, style=style, legend=legend,
                           origin="document", template="column_row_lookup", pair_id=pair,
                           keywords=links, cells=cell)
                if kws and clear_table is not None:
                    result.stats["in"] += 1
                    self._item(result, doc_id=table.doc_id, table_id=clear_table.table_id,
                               question=question, answer=answer, location="table_clear",
                               style="natural", legend="none", origin="document",
                               template="column_row_lookup", pair_id=pair, cells=cell)
        self._unanswerable(table, row_keys, result)

    def _unanswerable(self, table: Table, row_keys: list[tuple[int, str]],
                      result: UnitResult) -> None:
        """Ask for a quantity other documents report but this one does not mention."""
        if not self.settings.unanswerable_per_table:
            return
        doc = self.docs[table.doc_id]
        doc_words = content_words(doc.text) | {w for t in self.tables.values()
                                               if t.doc_id == doc.doc_id
                                               for name in t.columns for w in content_words(name)}
        terms = [term for d, term in self.term_pool
                 if d != doc.doc_id and not (content_words(term) & doc_words)]
        for term in self._pick(terms, self.settings.unanswerable_per_table, table.table_id):
            _, key = self._pick(row_keys, 1, table.table_id + term)[0]
            result.stats["in"] += 1
            self._item(result, doc_id=table.doc_id, table_id=table.table_id,
                       question=question_for(term, key), answer=Answer(text="", type="none"),
                       location="unanswerable", style="natural", legend="none", origin="document",
                       template="absent_quantity")

    # -- controlled abstraction of clear tables --------------------------------------------

    def _controlled_items(self, table_id: str, result: UnitResult) -> None:
        table = self.tables[table_id]
        row_keys = self._row_keys(table)
        cols = [c for c in range(1, len(table.columns))
                if table.header_cell(table.n_header_rows - 1, c) is not None
                and core_text(table.header_cell(table.n_header_rows - 1, c).text)]  # type: ignore[union-attr]
        if not row_keys or not cols or table.n_header_rows == 0:
            result.stats["in"] += 1
            result.drop(table_id, "not_controllable", "no row labels or no header to abstract",
                        failure=False)
            return
        for i, style in enumerate(self.settings.styles):
            c = cols[i % len(cols)]
            legend = "explicit" if stable_hash([self.settings.seed, table_id, style])[0] in "01234567" else "removed"
            new_id = f"{table_id}:{style}:{legend}"
            try:
                new, code, meaning = abstract_column(table, c, style, legend, new_id, self.provenance())
            except ValueError as exc:
                result.stats["in"] += 1
                result.drop(new_id, "not_controllable", str(exc), failure=False)
                continue
            result.add("tables", new)
            location = "table_defined" if legend == "explicit" else "table_implicit"
            term = natural_term(table.columns[c])
            usable = [(r, k) for r, k in row_keys if c < len(table.rows[r]) and table.rows[r][c].strip()]
            for r, key in self._pick(usable, 1, f"{new_id}|rows"):
                question = question_for(term, key)
                answer = answer_of(table.rows[r][c])
                cell = [[table.n_header_rows + r, c]]
                pair = stable_hash([new_id, r, c])
                link = KeywordLink(abstract=code, detailed=meaning, column=c,
                                   category="explicit" if legend == "explicit" else "unresolvable")
                result.stats["in"] += 2
                self._item(result, doc_id=table.doc_id, table_id=new_id, question=question,
                           answer=answer, location=location, style=style, legend=legend,
                           origin="controlled", template="column_row_lookup", pair_id=pair,
                           keywords=[link], cells=cell)
                self._item(result, doc_id=table.doc_id, table_id=table_id, question=question,
                           answer=answer, location="table_clear", style="natural", legend="none",
                           origin="controlled", template="column_row_lookup", pair_id=pair,
                           cells=cell)

    # -- text questions ------------------------------------------------------------------

    def _text_items(self, doc_id: str, result: UnitResult) -> None:
        doc = self.docs[doc_id]
        candidates = []
        for b in doc.blocks:
            if b.kind not in ("paragraph", "list"):
                continue
            for sentence in _SENTENCE_END.split(" ".join(b.text.split())):
                nums = list(_NUM_TOKEN.finditer(sentence))
                if not nums or not 6 <= len(sentence.split()) <= 40:
                    continue
                candidates.append((b, sentence, nums[0]))
        for b, sentence, num in self._pick(candidates, self.settings.text_questions_per_document, doc_id):
            result.stats["in"] += 1
            cloze = sentence[:num.start()] + BLANK + sentence[num.end():]
            if sentence.count(num.group()) > 1:
                result.drop(f"{doc_id}|{sentence[:40]}", "ambiguous_blank",
                            "the number occurs twice in the sentence", failure=False)
                continue
            self._item(result, doc_id=doc_id, table_id=None,
                       question=f'Fill in the blank from the document: "{cloze}"',
                       answer=answer_of(num.group()), location="text", style="natural",
                       legend="none", origin="document", template="sentence_cloze",
                       blocks=[b.block_id])

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        locs = ("text", "table_clear", "table_defined", "table_implicit", "unanswerable")
        return [", ".join(f"{c.get('location.' + k, 0)} {k}" for k in locs)]
