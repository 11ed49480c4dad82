"""The ``rules`` backend: offline and deterministic, a real baseline measured like one."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from abstab.backends import Backend, Identity
from abstab.config import StageSettings
from abstab.core import questions as q
from abstab.core.expand import expand_header
from abstab.core.headers import classify
from abstab.core.normalize import squash
from abstab.llm.tasks import (
    AnswerOutput,
    EvidenceOut,
    GenerateOutput,
    GenerateRequest,
    JudgeOutput,
    KeywordOut,
    Passage,
    QuestionOut,
    ResolveOutput,
)
from abstab.records import TEXT_KINDS, Block, Document, Note, Table
from abstab.rules import reader
from abstab.rules.definitions import (
    SYMBOL_WORDS,
    Stated,
    acronym_meaning_problem,
    column_value_legend,
    expansion_problem,
    implied_matches,
    phrase_span,
    sentence_around,
    stated_meanings,
)
from abstab.rules.judge import judge_table

_PATTERN_RANK = {"legend": 0, "definition_sentence": 1, "acronym_pair": 2}


def _joined(blocks: list[Block]) -> tuple[str, list[int]]:
    """The blocks' text joined by blank lines, and where each block starts in it."""
    starts, parts, pos = [], [], 0
    for b in blocks:
        starts.append(pos)
        parts.append(b.text)
        pos += len(b.text) + 2
    return "\n\n".join(parts), starts


def _stated_output(st: Stated, blocks: list[Block], method: str | None = None) -> ResolveOutput:
    """The resolution a stated meaning gives, citing the note or the sentence that states it."""
    if isinstance(st.source, Note):
        return ResolveOutput(
            expansion=st.long, category="explicit", confidence=0.9,
            method=method or f"note:{st.source.kind}",
            evidence=[EvidenceOut(source="note", block_id=st.source.block_id,
                                  text=st.source.text, score=0.9)])
    b = blocks[st.text]
    s, e = sentence_around(b.text, st.source.start, st.source.end)
    return ResolveOutput(
        expansion=st.long, category="explicit", confidence=0.85,
        method=method or st.source.pattern,
        evidence=[EvidenceOut(source="block", block_id=b.block_id, text=b.text[s:e].strip(),
                              score=0.85)])


def _explicit(table: Table, blocks: list[Block], kw: str, row: int,
              col: int) -> ResolveOutput | None:
    """A note under the table tied to the header (marker or legend key), else a definition
    stated in the text: legends first, then the table's own pages, then reading order."""
    candidates = []
    acronym = classify(kw).style == "acronym"
    for d in stated_meanings(table, row, col, kw, [b.text for b in blocks]):
        if expansion_problem(kw, d.long) is not None or (
                acronym and acronym_meaning_problem(kw, d) is not None):
            continue
        if isinstance(d.source, Note):
            return _stated_output(d, blocks)
        b = blocks[d.text]
        near = 0 if b.page in table.pages else 1
        candidates.append((_PATTERN_RANK[d.source.pattern], near, b.order, d))
    if not candidates:
        return None
    return _stated_output(min(candidates, key=lambda c: c[:3])[3], blocks)


def _value_legend(table: Table, blocks: list[Block], kw: str, row: int,
                  col: int) -> ResolveOutput | None:
    """A coded body value ("HH") explained by the legend linked to its column."""
    if row < table.n_header_rows:
        return None
    st = column_value_legend(table, col, [b.text for b in blocks]).get(kw)
    return _stated_output(st, blocks, method="legend_value") if st is not None else None


def _drops_a_symbol(kw: str, reading: str) -> bool:
    """``reading`` leaves a symbol of ``kw`` unread: "%DEP." is no "department" (it is a
    percentage departure), whatever text says "department"."""
    low = reading.lower()
    return any(ch in SYMBOL_WORDS and not any(w in low for w in SYMBOL_WORDS[ch]) for ch in kw)


def _body_letter_code(table: Table, kw: str, row: int) -> bool:
    """A letter code in a body cell ("H"): any "H = …" of the text is no evidence for it,
    only a legend linked to its column (:func:`_value_legend`)."""
    return row >= table.n_header_rows and classify(kw).style == "letter_codes"


def _implied(blocks: list[Block], kw: str, clipped_only: bool = False) -> ResolveOutput | None:
    """The phrase of the text ``kw`` abbreviates (an initials or clipped-word match), cited.

    ``clipped_only``: only one ordinary word that ``kw`` clips on purpose
    (:func:`_deliberate_clipping`)."""
    text, starts = _joined(blocks)
    for m in implied_matches(text, kw):
        if expansion_problem(kw, m.long, implied=True) is not None:
            continue
        if clipped_only:
            if m.pattern != "clipped_phrase" or " " in m.long:
                continue
            if not _deliberate_clipping(kw, m.long):
                return None  # the likeliest word is a cut one ("Vot" → "votes"): no guess
        i = bisect.bisect_right(starts, m.start) - 1
        b = blocks[i]
        s, e = sentence_around(b.text, m.start - starts[i], m.end - starts[i])
        return ResolveOutput(
            expansion=m.long, category="inferable_document", confidence=0.5, method=m.pattern,
            evidence=[EvidenceOut(source="block", block_id=b.block_id, text=b.text[s:e].strip(),
                                  score=0.5)])
    return None


def _deliberate_clipping(clipped: str, word: str) -> bool:
    """``clipped`` is ``word`` cut short on purpose: a prefix of 3 letters or more with a printed
    dot ("Freq.") or three letters or more cut off ("Accel"), not a word cut by a column
    boundary ("Plannin", "Differe")."""
    stem, w = clipped.strip(".").lower(), word.lower()
    return (len(stem) >= 3 and w.startswith(stem) and len(w) > len(stem)
            and (clipped.endswith(".") or len(w) - len(stem) >= 3))


_WORDS = re.compile(r"[^\W\d_]+")


def _other_tables(kw: str, context: Sequence[Passage]) -> ResolveOutput | None:
    """A clipped header completed by a word heading another table of the document ("CAT." ↔
    a table headed CATEGORY); the evidence is that header cell."""
    if classify(kw).style != "shortened" or " " in kw.strip():
        return None
    for p in context:
        if p.kind != "table" or p.table is None:
            continue
        for cell in p.table.cells:
            if not cell.header:
                continue
            for w in _WORDS.findall(cell.text):
                if _deliberate_clipping(kw, w) and expansion_problem(
                        kw, w.lower(), implied=True) is None:
                    return ResolveOutput(
                        expansion=w.lower(), category="inferable_document", confidence=0.4,
                        method="other_table",
                        evidence=[EvidenceOut(source="table", block_id=p.table.table_id,
                                              text=cell.text, score=0.4)])
    return None


_PART = re.compile(r"[^\s/—–,;:()]+")
_PART_STYLES = ("acronym", "letter_codes", "shortened")


def _by_parts(table: Table, blocks: list[Block], kw: str, row: int, col: int,
              context: Sequence[Passage] = (), clipped: bool = False) -> ResolveOutput | None:
    """The header read with each code or clipped word in it replaced by what the document
    says it means; None unless at least one part is explained.

    Codes (acronyms, letter codes) take only a stated meaning; with ``clipped``, a clipped
    word also the one ordinary word of the text or of another table's header it is a prefix of
    ("Accel" → "acceleration", "CAT." → a table headed CATEGORY). A one-letter code counts only
    in its printed brackets ("(R)" with a legend "(R)=Republican Party Nominee").
    """
    parts = list(_PART.finditer(kw))
    if len(parts) < 2:
        return None
    out, pos, evidence, explicit, method = [], 0, [], True, []
    for m in parts:
        part = m.group()
        style = classify(part).style
        if style not in _PART_STYLES:
            continue
        forms = [part]
        if sum(ch.isalnum() for ch in part) < 2:
            bracketed = f"({part})"
            forms = [bracketed] if bracketed in kw else []
        # a note tied to the cell explains the whole header, not this part: only notes and
        # texts that name the part count
        got = next((r for f in forms if (r := _explicit(table, blocks, f, -1, -1))), None)
        if got is None and clipped and style == "shortened":
            got = _implied(blocks, part, clipped_only=True) or _other_tables(part, context)
        if got is None or not got.expansion:
            continue
        s, e = m.span()  # a bracketed code keeps its brackets: "Gillett (Republican …)"
        out.append(kw[pos:s] + got.expansion)
        pos = e
        evidence.extend(got.evidence)
        explicit = explicit and got.category == "explicit"
        method.append(got.method)
    if not evidence:
        return None
    return ResolveOutput(
        expansion=squash("".join(out) + kw[pos:]),
        category="explicit" if explicit else "inferable_document",
        confidence=min(ev.score for ev in evidence), method="parts:" + "+".join(method),
        evidence=evidence)


class RulesSettings(StageSettings):
    """The rules backend has no settings: any given is an error (it would mean nothing)."""


class RulesBackend(Backend):
    """Feature-based judge, definition mining for resolve, lookup reader for answers."""

    name = "rules"
    settings_cls = RulesSettings
    # Bump when the rules' judgments, meanings, questions or answers change: the identity is in
    # the config hash of every stage that asks this backend (the package version is not, so an
    # upgrade that leaves the rules alone redoes nothing).
    version = 2
    identity = Identity("rules", f"rules-v{version}", "offline")

    def judge(self, table: Table, doc: Document | None) -> JudgeOutput:
        return judge_table(table, doc)

    def resolve(self, table: Table, doc: Document, keyword: KeywordOut,
                context: Sequence[Passage] = ()) -> ResolveOutput:
        kw = keyword.keyword
        blocks = [b for b in doc.blocks if b.kind in TEXT_KINDS]
        # 1. What the document states: a note tied to the header, a legend keying the coded
        # values of the keyword's column, a definition in the text.
        found = _value_legend(table, blocks, kw, keyword.row, keyword.col)
        if found is None and not _body_letter_code(table, kw, keyword.row):
            found = _explicit(table, blocks, kw, keyword.row, keyword.col)
        if found is not None:
            return found
        # 2. The codes inside a longer header, each stated by the document ("SSA Total
        # (Excluding OIG)": SSA and OIG by a legend); its clipped words are read as in 4.
        stated_parts = _by_parts(table, blocks, kw, keyword.row, keyword.col)
        # 3. A phrase the whole header abbreviates, with no sentence saying so: implied
        # ("Avg. disch." ↔ "average discharge"). Ranked over the whole text at once, so
        # frequency and closeness count across blocks; then another table's header.
        if stated_parts is None:
            found = _implied(blocks, kw) or _other_tables(kw, context)
            if found is not None:
                return found
        # 4. Each part read alone: stated codes, clipped words the text or a table completes.
        found = _by_parts(table, blocks, kw, keyword.row, keyword.col, context, clipped=True)
        if found is not None:
            return found
        # 5. The retrieved passages name a word-for-word reading of the header ("Fail." →
        # "failure"): implied by the text, with less confidence than an initials match.
        siblings = [c.text for c in table.cells if c.header]
        for guess in expand_header(kw, siblings, k=3):
            if expansion_problem(kw, guess, implied=True) is not None or _drops_a_symbol(
                    kw, guess):
                continue
            for p in context:
                span = phrase_span(p.text, guess)
                if span is not None:
                    s, e = sentence_around(p.text, *span)
                    return ResolveOutput(
                        expansion=guess, category="inferable_document", confidence=0.4,
                        method="retrieval+expand",
                        evidence=[EvidenceOut(source="block", block_id=p.id,
                                              text=p.text[s:e].strip(), score=0.4)])
        return ResolveOutput(expansion=None, category="unresolvable", confidence=0.5,
                             method="no_evidence")

    def answer(self, question: str, passages: list[Passage]) -> AnswerOutput:
        return reader.read(question, passages)

    def generate(self, table: Table, doc: Document | None,
                 request: GenerateRequest) -> GenerateOutput:
        """Template questions of each requested type; answers computed from the table."""
        view = q.TableView(table, request.key_column)
        entity = q.entity_name(table, request.key_column)
        out = []
        for op in q.template_operations(view, request.columns, list(request.types),
                                        request.lookups_for, request.per_type,
                                        request.seed, request.abstract_rows,
                                        request.unnamed_rows):
            term = q.natural_term(table.columns[op.column]) if op.column < len(table.columns) else ""
            if not term:
                continue
            try:
                computed = q.execute(op, table)
            except q.QuestionError:
                continue
            out.append(QuestionOut(type=op.type, question=q.wording(op, view, term, entity),
                                   column=op.column, rows=op.rows, op=op.op,
                                   threshold=op.threshold, answer=computed.answer.text))
        return GenerateOutput(questions=out)

    def close(self) -> None:
        pass
