"""Where an item's answer and its header definitions are in the document, as char spans.

Items made from PDFs carry evidence blocks but not always char spans; the release adds the
spans (``ItemEvidence.spans``) so that ``abstab validate`` and users can re-find every answer
and definition at its offsets in ``Document.text``.
"""

from __future__ import annotations

import re

from abstab.records import Document, QAItem, Resolution, TextSpan


def _pattern(text: str) -> re.Pattern[str] | None:
    words = text.split()
    if not words:
        return None
    # The answer was taken from whitespace-normalised text: any whitespace run may separate
    # its words in the document (a line break inside a sentence).
    return re.compile(r"\s+".join(map(re.escape, words)))


def answer_spans(item: QAItem, doc: Document) -> list[TextSpan]:
    """Spans of Document.text, inside the item's evidence blocks, holding the answer text."""
    pattern = _pattern(item.answer.text)
    if pattern is None or item.answer_location != "text":
        return []
    blocks = {b.block_id: b for b in doc.blocks}
    spans = []
    for bid in item.evidence.blocks:
        block = blocks.get(bid)
        if block is None:
            continue
        for m in pattern.finditer(block.text):
            spans.append(TextSpan(block_id=bid, char_start=block.char_start + m.start(),
                                  char_end=block.char_start + m.end(), text=m.group(0),
                                  role="answer"))
    return spans


def definition_spans(item: QAItem, doc: Document,
                     resolutions: dict[tuple[str, int, str], Resolution]) -> list[TextSpan]:
    """The document passages that define the item's abstract headers, as checked char spans.

    Only evidence whose char span really holds its quoted text in Document.text is kept.
    """
    out = []
    for link in item.keywords:
        res = resolutions.get((item.table_id or "", link.column if link.column is not None
                               else -1, link.abstract))
        if res is None:
            continue
        for ev in res.evidence:
            if ev.char_start is None or ev.char_end is None:
                continue
            if doc.text[ev.char_start:ev.char_end] != ev.text:
                continue
            span = TextSpan(block_id=ev.block_id, char_start=ev.char_start,
                            char_end=ev.char_end, text=ev.text,
                            role="definition" if res.category == "explicit" else "clue")
            if span not in out:
                out.append(span)
    return out


def with_spans(item: QAItem, doc: Document,
               resolutions: dict[tuple[str, int, str], Resolution]) -> QAItem:
    """The item with answer spans (text items) and definition spans added where it has none."""
    spans = list(item.evidence.spans)
    roles = {s.role for s in spans}
    if "answer" not in roles:
        spans += answer_spans(item, doc)
    if not roles & {"definition", "clue"}:
        spans += definition_spans(item, doc, resolutions)
    if len(spans) == len(item.evidence.spans):
        return item
    evidence = item.evidence.model_copy(update={"spans": spans})
    return item.model_copy(update={"evidence": evidence})
