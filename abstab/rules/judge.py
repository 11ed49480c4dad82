"""The rules judge: is a table clear, abstract, or not a table at all?

Header cells are judged by :func:`abstab.core.headers.classify`, and so are the row labels of
the first column (``stub=True``: only code-like evidence counts there, for such a column mostly
holds names); their keywords carry ``role="stub"``. Letters that only name columns (A B C D) are
not abstract. The document's text and the table's notes are evidence too: a short form they key
is abstract even when it spells a word ("ASK = available seat kilometers"), a word they write in
lower case is no acronym in capitals ("ODISHA"), and one they set in capitals inside a sentence
in lower case is one ("under REACH requirements"). In a column of row labels set in capitals
throughout, a dictionary word is that word ("OAT", "CANOLA").
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from abstab.core.headers import NO_EVIDENCE, DocumentEvidence, classify
from abstab.llm.tasks import JudgeOutput, KeywordOut
from abstab.records import Cell, Document, Table
from abstab.rules.acronyms import find_acronyms

_FIGURE_CAPTION = re.compile(r"^\s*(fig\.?|figure|chart|diagram|graph|map)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^[\s(]*[-−–+]?[\d.,]+\s*%?[)\s]*$")


def _body_numeric_ratio(table: Table) -> float:
    cells = [c for row in table.rows for c in row[1:] if c.strip()]
    return sum(bool(_NUMBER.match(c)) for c in cells) / len(cells) if cells else 0.0


def not_table_reasons(table: Table) -> list[str]:
    """Signs that a detected grid is a figure, a diagram or page furniture, not a table."""
    reasons = []
    if table.caption and _FIGURE_CAPTION.match(table.caption):
        reasons.append(f"caption says figure: {table.caption[:40]!r}")
    if table.quality.rows < 2 or table.quality.cols < 2:
        reasons.append(f"grid too small ({table.quality.rows}x{table.quality.cols})")
    if table.quality.empty_ratio > 0.6:
        reasons.append(f"mostly empty cells ({table.quality.empty_ratio:.0%})")
    if table.n_header_rows == 0 and _body_numeric_ratio(table) == 0 and table.quality.rows <= 3:
        reasons.append("no header row and no numbers")
    return reasons


_WORD = re.compile(r"[^\W\d_]{3,}")
_COLUMN_LETTER = re.compile(r"^\(?([A-Za-z])[.)]?$")  # A, (a), b., c)


_LINKLIKE = re.compile(r"[/@_=\\]|www\.|https?|\w\.\w")  # URLs, e-mails, file names


# A word in capitals between two words in lower case: "… under REACH requirements".
_CAPS_IN_SENTENCE = re.compile(r"\b[a-z]{2,}[ \t]+([A-Z]{2,})(?=[ \t]+[a-z]{2,}\b)")


@lru_cache(maxsize=16)
def _evidence(text: str) -> DocumentEvidence:
    keys = frozenset(p.short for p in find_acronyms(text) if p.long)
    words = {w.lower() for chunk in text.split() if not _LINKLIKE.search(chunk)
             for w in _WORD.findall(chunk) if not w.isupper()}
    return DocumentEvidence(words=frozenset(words - {k.lower() for k in keys}), keys=keys,
                            caps=_capitals_in_sentences(text))


def _capitals_in_sentences(text: str) -> frozenset[str]:
    """Words ``text`` sets in capitals between two words in lower case."""
    return frozenset(m.group(1) for m in _CAPS_IN_SENTENCE.finditer(text))


def document_evidence(doc: Document | None) -> DocumentEvidence:
    """What ``doc``'s text says of table tokens: the short forms it keys (legends "ASK =
    available seat kilometers", pairs "Bridge Investment Program (BIP)"), the words it
    writes other than in capitals ("Odisha", "canola"; links and file names such as
    "…/saipe/…" left out, and keyed short forms too) and the words it sets in capitals inside
    a sentence in lower case ("… under REACH requirements": an acronym, not emphasis)."""
    return NO_EVIDENCE if doc is None else _evidence(doc.text)


def _defines_letter(text: str, letter: str) -> bool:
    """Does ``text`` key ``letter`` as a code ("A = Northfield", "B: Eastgate")?"""
    return re.search(rf"(?<![\w.]){re.escape(letter)}\s*[=:]\s*[^\W\d_]", text) is not None


def column_letters(table: Table, doc: Document | None = None) -> set[tuple[int, int]]:
    """(row, col) of header cells that only name their column with a letter: two or more
    single-letter cells of one header row in alphabetical order (A B C D, (a) (b)) that
    neither the table's notes nor ``doc``'s text key as codes ("A = Northfield")."""
    texts = [n.text for n in table.notes] + ([doc.text] if doc is not None else [])
    out: set[tuple[int, int]] = set()
    for r in range(table.n_header_rows):
        row = sorted((c for c in table.cells if c.header and c.row == r), key=lambda c: c.col)
        run: list[tuple[int, str]] = []  # (col, letter as printed) of the alphabetical run
        for cell in [*row, None]:
            m = _COLUMN_LETTER.match(cell.text.strip()) if cell is not None else None
            if m and cell is not None and run and \
                    ord(m.group(1).lower()) == ord(run[-1][1].lower()) + 1:
                run.append((cell.col, m.group(1)))
                continue
            # the document is searched only for a run of letters, not joined for every table
            if len(run) >= 2 and not any(_defines_letter(t, letter) for t in texts
                                         for _, letter in run):
                out.update((r, col) for col, _ in run)
            run = [(cell.col, m.group(1))] if m and cell is not None else []
    return out


_MIN_CAPITAL_LABELS = 3  # row labels needed to call a column's capitals its style


def capital_stub(table: Table) -> bool:
    """Is ``table``'s first column of row labels set in capitals throughout ("COTTON", "TOTAL
    CORN", "OAT"): three or more labels with letters, none in lower case?"""
    labels = [c.text for c in table.cells
              if not c.header and c.col == 0 and any(ch.isalpha() for ch in c.text)]
    return len(labels) >= _MIN_CAPITAL_LABELS and not any(
        ch.islower() for text in labels for ch in text)


def _cells_to_judge(table: Table, doc: Document | None) -> list[tuple[Cell, bool]]:
    """(cell, is_stub): the header cells, then the row labels of the first column (body
    cells at column 0) when the table has columns beside them."""
    named = column_letters(table, doc)
    out = [(c, False) for c in table.cells if c.header and (c.row, c.col) not in named]
    if table.quality.cols >= 2:
        out += [(c, True) for c in table.cells if not c.header and c.col == 0 and c.text.strip()]
    return out


def judge_table(table: Table, doc: Document | None = None) -> JudgeOutput:
    """Is ``table`` clear, abstract or no table, and which header cells and row labels are
    abstract? ``doc``'s text and the table's notes tell keyed short forms and words in capitals
    apart."""
    reasons = not_table_reasons(table)
    if reasons:
        return JudgeOutput(label="not_table", reasons=reasons, confidence=0.8)
    evidence = document_evidence(doc)
    # a legend under the table keys its codes too ("Notes: BFP = Bridge Formula Program")
    noted = frozenset(p.short for n in table.notes for p in find_acronyms(n.text) if p.long)
    if noted - evidence.keys:
        evidence = replace(evidence, words=evidence.words - {k.lower() for k in noted},
                           keys=evidence.keys | noted)
    # so do the table's own sentences ("… under REACH requirements" in a description column)
    caps = _capitals_in_sentences("\n".join([n.text for n in table.notes]
                                            + [c.text for c in table.cells]))
    if caps - evidence.caps:
        evidence = replace(evidence, caps=evidence.caps | caps)
    keywords: list[KeywordOut] = []
    capitals = capital_stub(table)
    for cell, stub in _cells_to_judge(table, doc):
        feats = classify(cell.text, stub=stub, doc=evidence, capitals=stub and capitals)
        if feats.style != "natural" and feats.keyword and feats.keyword in cell.text:
            keywords.append(KeywordOut(keyword=feats.keyword, row=cell.row, col=cell.col,
                                       style=feats.style, score=feats.score,
                                       role="stub" if stub else "header"))
    if not keywords:
        return JudgeOutput(label="clear", reasons=["every header is ordinary words or numbers"],
                           confidence=0.7)
    return JudgeOutput(
        label="abstract",
        keywords=keywords,
        reasons=[f"{k.keyword!r}: {k.style}" + (" (row label)" if k.role == "stub" else "")
                 for k in keywords],
        confidence=max(k.score for k in keywords),
    )
