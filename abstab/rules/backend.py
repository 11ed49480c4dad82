"""The ``rules`` backend: offline and deterministic, a real baseline measured like one."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from abstab import __version__
from abstab.backends import Backend, Identity
from abstab.config import StageSettings
from abstab.core import questions as q
from abstab.core.expand import expand_header
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


class RulesSettings(StageSettings):
    """The rules backend has no settings: any given is an error (it would mean nothing)."""


class RulesBackend(Backend):
    """Feature-based judge, definition mining for resolve, lookup reader for answers."""

    name = "rules"
    settings_cls = RulesSettings
    identity = Identity("rules", f"rules-{__version__}", "offline")

    def judge(self, table: Table, doc: Document | None) -> JudgeOutput:
        return judge_table(table, doc)

    def resolve(self, table: Table, doc: Document, keyword: KeywordOut,
                context: Sequence[Passage] = ()) -> ResolveOutput:
        kw = keyword.keyword
        blocks = [b for b in doc.blocks if b.kind in TEXT_KINDS]
        # 1. A note under the table tied to this header (marker or legend key). 2. A definition
        # stated in the text; prefer legends, then the table's own pages.
        candidates = []
        for d in stated_meanings(table, keyword.row, keyword.col, kw, [b.text for b in blocks]):
            if expansion_problem(kw, d.long) is not None:
                continue
            if isinstance(d.source, Note):
                return ResolveOutput(
                    expansion=d.long, category="explicit", confidence=0.9,
                    method=f"note:{d.source.kind}",
                    evidence=[EvidenceOut(source="note", block_id=d.source.block_id,
                                          text=d.source.text, score=0.9)])
            b = blocks[d.text]
            near = 0 if b.page in table.pages else 1
            candidates.append((_PATTERN_RANK[d.source.pattern], near, b.order, d.source, b))
        if candidates:
            _, _, _, m, b = min(candidates, key=lambda c: c[:3])
            s, e = sentence_around(b.text, m.start, m.end)
            return ResolveOutput(
                expansion=m.long, category="explicit", confidence=0.85, method=m.pattern,
                evidence=[EvidenceOut(source="block", block_id=b.block_id, text=b.text[s:e].strip(),
                                      score=0.85)])
        # 3. A phrase the header abbreviates, with no sentence saying so: implied. Ranked over
        # the whole text at once, so frequency and closeness count across blocks.
        text, starts = _joined(blocks)
        for m in implied_matches(text, kw):
            if expansion_problem(kw, m.long, implied=True) is not None:
                continue
            b = blocks[bisect.bisect_right(starts, m.start) - 1]
            offset = starts[blocks.index(b)]
            s, e = sentence_around(b.text, m.start - offset, m.end - offset)
            return ResolveOutput(
                expansion=m.long, category="inferable_document", confidence=0.5, method=m.pattern,
                evidence=[EvidenceOut(source="block", block_id=b.block_id, text=b.text[s:e].strip(),
                                      score=0.5)])
        # 4. The retrieved passages name a word-for-word reading of the header ("Fail." →
        # "failure"): implied by the text, with less confidence than an initials match.
        siblings = [c.text for c in table.cells if c.header]
        for guess in expand_header(kw, siblings, k=3):
            if expansion_problem(kw, guess, implied=True) is not None:
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
                                        request.seed):
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
