"""The rules reader: answers a question by looking it up in the passages it is given.

Tables: the row whose key the question names, the column whose name (or a meaning the
passages give for it) shares the most content words with the question. Text: a fill-in-the-
blank question is matched against the passages' sentences. Anything else: abstain.
The system decides what the reader sees (a table without its notes, retrieved text, gold
meanings); the reader is the same for all. It knows no abbreviation by itself: a header like ``Avg. disch.`` is only understood when the
passages define it, which is exactly what the benchmark measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from abstab.llm.tasks import AnswerOutput, Passage
from abstab.records import Table
from abstab.rules.definitions import explicit_matches, implied_matches, note_expansion
from abstab.rules.headers import classify

BLANK = "___"
_STOPWORDS = {
    "what", "which", "who", "is", "are", "was", "were", "the", "a", "an", "of", "for", "in", "on",
    "at", "to", "by", "and", "or", "value", "values", "did", "does", "do", "how", "much", "many",
    "according", "report", "document", "table", "its", "their", "with", "from", "as", "be",
}


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(word.lower(), lang="en"))


def content_words(text: str) -> set[str]:
    words = re.findall(r"[^\W_]+", text.lower())
    return {_lemma(w) for w in words if w not in _STOPWORDS}


@dataclass
class _Hit:
    score: float
    answer: str
    evidence: str


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
        found: list[str] = []
        for note in table.notes:
            if [cell.row, cell.col] in note.targets or feats.keyword in note.text:
                exp = note_expansion(note.text, feats.keyword, note.marker)
                if exp:
                    found.append(exp)
        for text in texts:
            found.extend(m.long for m in explicit_matches(text, feats.keyword))
        if not found:
            for text in texts:
                found.extend(m.long for m in implied_matches(text, feats.keyword)[:1])
        for c in range(cell.col, cell.col + cell.col_span):
            out.setdefault(c, []).extend(found)
    return out


def _row_key_match(question: str, key: str) -> bool:
    key = " ".join(key.split())
    if len(key) < 2:
        return False
    return re.search(rf"(?<!\w){re.escape(key)}(?!\w)", question, re.IGNORECASE) is not None


def lookup_table(question: str, table: Table, meanings: dict[int, list[str]]) -> _Hit | None:
    q_words = content_words(question)
    best: _Hit | None = None
    for r, row in enumerate(table.rows):
        if not row or not _row_key_match(question, row[0]):
            continue
        key_words = content_words(row[0])
        wanted = q_words - key_words
        for c, name in enumerate(table.columns):
            if c == 0 or c >= len(row) or not row[c].strip():
                continue
            names = [name, *meanings.get(c, [])]
            # Share of the name's words the question has, then how many: "budget minus
            # expenditure" beats "Budget" for a question naming all three words.
            overlap = max(len(wanted & content_words(n)) / max(len(content_words(n)), 1)
                          + 0.1 * len(wanted & content_words(n)) for n in names)
            score = overlap + 0.01 * len(row[0])  # longer row keys are more specific
            if overlap > 0 and (best is None or score > best.score):
                best = _Hit(score, row[c].strip(), f"{table.table_id}[{r}][{c}]")
    return best


def answer_cloze(question: str, passages: list[Passage]) -> _Hit | None:
    m = re.search(r'"([^"]*' + re.escape(BLANK) + r'[^"]*)"', question)
    if not m:
        return None
    left, _, right = (" ".join(part.split()) for part in m.group(1).partition(BLANK))
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


def read(question: str, passages: list[Passage]) -> AnswerOutput:
    """Answer ``question`` from ``passages`` or abstain."""
    if BLANK in question:
        hit = answer_cloze(question, passages)
    else:
        hit = None
        for p in passages:
            if p.kind != "table" or p.table is None:
                continue
            meanings = header_meanings(p.table, passages)
            h = lookup_table(question, p.table, meanings)
            if h and (hit is None or h.score > hit.score):
                hit = h
    if hit is None:
        return AnswerOutput(answer="", abstained=True)
    return AnswerOutput(answer=hit.answer, abstained=False, evidence_ids=[hit.evidence])
