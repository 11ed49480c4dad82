"""The ``rules`` backend: offline and deterministic, a real baseline measured like one."""

from __future__ import annotations

import bisect
from typing import Any

from abstab import __version__
from abstab.llm.tasks import (
    AnswerOutput,
    EvidenceOut,
    JudgeOutput,
    KeywordOut,
    Passage,
    ResolveOutput,
)
from abstab.records import Block, Document, Table
from abstab.rules import reader
from abstab.rules.definitions import (
    explicit_matches,
    implied_matches,
    note_expansion,
    sentence_around,
)
from abstab.rules.judge import judge_table

# Blocks that can hold a definition; running headers, footers and page numbers cannot.
_TEXT_KINDS = {"paragraph", "caption", "footnote", "list", "heading"}
_PATTERN_RANK = {"legend": 0, "definition_sentence": 1, "acronym_pair": 2}


def _joined(blocks: list[Block]) -> tuple[str, list[int]]:
    """The blocks' text joined by blank lines, and where each block starts in it."""
    starts, parts, pos = [], [], 0
    for b in blocks:
        starts.append(pos)
        parts.append(b.text)
        pos += len(b.text) + 2
    return "\n\n".join(parts), starts


class RulesBackend:
    """Feature-based judge, definition mining for resolve, lookup reader for answers."""

    name = "rules"

    def __init__(self, settings: Any = None):
        self.settings = settings

    def provenance(self, task: str) -> dict[str, Any]:
        return {"backend": "rules", "model": f"rules-{__version__}", "prompt_hash": None}

    def judge(self, table: Table, doc: Document | None) -> JudgeOutput:
        return judge_table(table)

    def resolve(self, table: Table, doc: Document, keyword: KeywordOut) -> ResolveOutput:
        kw = keyword.keyword
        # 1. A note under the table tied to this header (marker or legend key).
        for note in table.notes:
            if [keyword.row, keyword.col] in note.targets or kw in note.text:
                exp = note_expansion(note.text, kw, note.marker)
                if exp:
                    return ResolveOutput(
                        expansion=exp, category="explicit", confidence=0.9, method=f"note:{note.kind}",
                        evidence=[EvidenceOut(source="note", block_id=note.block_id, text=note.text,
                                              score=0.9)])
        blocks = [b for b in doc.blocks if b.kind in _TEXT_KINDS]
        # 2. A definition stated in the text; prefer legends, then the table's own pages.
        candidates = []
        for b in blocks:
            for m in explicit_matches(b.text, kw):
                near = 0 if b.page in table.pages else 1
                candidates.append((_PATTERN_RANK[m.pattern], near, b.order, m, b))
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
            b = blocks[bisect.bisect_right(starts, m.start) - 1]
            offset = starts[blocks.index(b)]
            s, e = sentence_around(b.text, m.start - offset, m.end - offset)
            return ResolveOutput(
                expansion=m.long, category="inferable_document", confidence=0.5, method=m.pattern,
                evidence=[EvidenceOut(source="block", block_id=b.block_id, text=b.text[s:e].strip(),
                                      score=0.5)])
        return ResolveOutput(expansion=None, category="unresolvable", confidence=0.5,
                             method="no_evidence")

    def answer(self, question: str, passages: list[Passage]) -> AnswerOutput:
        return reader.read(question, passages)

    def close(self) -> None:
        pass
