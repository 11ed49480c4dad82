"""The ``rules`` backend: offline and deterministic, a real baseline measured like one."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from abstab.backends import Backend, Identity
from abstab.config import StageSettings
from abstab.core import questions as q
from abstab.core.expand import ABBREVIATIONS, abbreviation_cost, expand_header, value_words
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
    PLURAL_ACRONYM,
    SYMBOL_WORDS,
    Match,
    Stated,
    acronym_meaning_problem,
    column_value_legend,
    expansion_problem,
    explicit_matches,
    implied_matches,
    phrase_span,
    sentence_around,
    stated_meanings,
)
from abstab.rules.judge import judge_table

_PATTERN_RANK = {"legend": 0, "definition_sentence": 1, "acronym_pair": 2, "title": 3}


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


Cells = Sequence[tuple[str, str]]
"""(table id, cell text) of the cells a definition may sit in: the table's own, then the
document's other tables' (a row "Human Resources (HR)" defines the HR of "HR/CREO")."""


def _table_cells(table: Table, context: Sequence[Passage], row: int,
                 col: int) -> list[tuple[str, str]]:
    """The cells of ``table`` but the header's own (row, col), and of the document's other
    tables in ``context``, each text once, in that order."""
    tables = [table, *(p.table for p in context
                       if p.kind == "table" and p.table is not None
                       and p.table.table_id != table.table_id)]
    seen: set[str] = set()
    out = []
    for t in tables:
        for c in t.cells:
            text = c.text.strip()
            own = t is table and c.row <= row < c.row + c.row_span \
                and c.col <= col < c.col + c.col_span
            if text and text not in seen and not own:
                seen.add(text)
                out.append((t.table_id, text))
    return out


def _continued(blocks: list[Block], kw: str) -> list[tuple[int, str, str, str]]:
    """Sentences extraction split over two blocks that name ``kw`` ("… and Cost-" | "saving
    Transportation (PROTECT) …"): (index of the first block, its text, the joint, the next
    block's text) where a block ends mid-sentence and the next goes on in lower case."""
    out = []
    for i in range(len(blocks) - 1):
        a, b = blocks[i].text.rstrip(), blocks[i + 1].text.lstrip()
        if (kw in a or kw in b) and a and b[:1].islower() and a[-1] not in ".!?:;":
            out.append((i, a, "" if a.endswith("-") else " ", b))
    return out


def _across_blocks(st: Stated, text: str, join: tuple[int, str, str, str],
                   blocks: list[Block]) -> ResolveOutput:
    """The meaning a sentence split over two blocks states, citing its part in each."""
    i, a, sep, _ = join
    assert isinstance(st.source, Match)
    s, e = sentence_around(text, st.source.start, st.source.end)
    cut = len(a) + len(sep)
    return ResolveOutput(
        expansion=st.long, category="explicit", confidence=0.85, method=st.source.pattern,
        evidence=[EvidenceOut(source="block", block_id=blocks[i].block_id,
                              text=a[s:].strip(), score=0.85),
                  EvidenceOut(source="block", block_id=blocks[i + 1].block_id,
                              text=text[cut:e].strip(), score=0.85)])


def _explicit(table: Table, blocks: list[Block], kw: str, row: int,
              col: int, cells: Cells = (), spelled: bool = False) -> ResolveOutput | None:
    """A note under the table tied to the header (marker or legend key), else a definition
    stated in the text: legends first, then the table's own pages, then reading order; else one
    stated in a table cell (``cells``: the table's own first). With ``spelled``, only a meaning
    an acronym of ``kw`` spells (or its own legend gives) counts, whatever ``kw``'s style."""
    candidates = []
    acronym = spelled or classify(kw).style == "acronym"

    # a code run such as "CFDA No." is spelled by its acronym ("CFDA")
    heads = [kw, *(t for t in _PART.findall(kw) if t != kw and classify(t).style == "acronym")]

    def usable(d: Stated) -> bool:
        return expansion_problem(kw, d.long) is None and not (
            acronym and all(acronym_meaning_problem(h, d) is not None for h in heads))

    joins = _continued(blocks, kw)
    texts = [b.text for b in blocks] + [a + sep + b for _, a, sep, b in joins]
    for d in stated_meanings(table, row, col, kw, texts):
        if not usable(d):
            continue
        if isinstance(d.source, Note):
            return _stated_output(d, blocks)
        if d.text >= len(blocks):  # a sentence extraction split over two blocks
            i, a, _, _ = joins[d.text - len(blocks)]
            if not d.source.start < len(a) < d.source.end:
                continue  # within one block: found there already
            b = blocks[i]
        else:
            b = blocks[d.text]
        near = 0 if b.page in table.pages else 1
        candidates.append((_PATTERN_RANK[d.source.pattern], near, b.order, d))
    if candidates:
        chosen = min(candidates, key=lambda c: c[:3])[3]
        if chosen.text >= len(blocks):
            return _across_blocks(chosen, texts[chosen.text], joins[chosen.text - len(blocks)],
                                  blocks)
        return _stated_output(chosen, blocks)
    for table_id, text in cells:
        # a cell's pair names more than one word: "Joseph W. Martin (MA)" gives MA no meaning
        best = min((m for m in explicit_matches(text, kw) if usable(Stated(m.long, m))
                    and (m.pattern != "acronym_pair" or len(m.long.split()) >= 2)),
                   key=lambda m: _PATTERN_RANK[m.pattern], default=None)
        if best is not None:
            return ResolveOutput(
                expansion=best.long, category="explicit", confidence=0.85,
                method=f"table_cell:{best.pattern}",
                evidence=[EvidenceOut(source="table", block_id=table_id, text=text, score=0.85)])
    return None


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


_PART = re.compile(r"(?:[A-Z]{3,}(?=-\w))|[^\s/—–,;:()-][^\s/—–,;:()]*")
"""A header's parts: words, with an acronym of three capitals or more cut off the hyphenated
rest ("LAE-Only": LAE, -Only; "TEA-21": TEA, -21, read together as a run)."""
_PART_STYLES = ("acronym", "letter_codes", "shortened")
_SPAN_PARTS = 3
"""Most parts one stated code may span ("CFDA No." in "Program Name (CFDA No.)")."""
_CODE_NUMBER = re.compile(r"([A-Za-z]{2,})-?(\d{2}|\d{4})")
_QUALIFIER = re.compile(r"\s+(?:ending|beginning|starting|ended)\b")


def _coded_number(table: Table, blocks: list[Block], part: str,
                  cells: Cells) -> ResolveOutput | None:
    """A stated code followed by a number ("FY15" with "FY = Financial Year ending March 31"):
    the code's meaning, without the qualifier that describes the code in general ("ending
    March 31"), and the number ("Financial Year 2015"); a two-digit year takes the century of
    the one four-digit year of the table that ends in it. The legend stays the evidence."""
    m = _CODE_NUMBER.fullmatch(part)
    if m is None:
        return None
    got = _explicit(table, blocks, m.group(1), -1, -1, cells)
    if got is None or not got.expansion:
        return None
    q = _QUALIFIER.search(got.expansion)
    head = got.expansion[:q.start()] if q else got.expansion
    number = m.group(2)
    if len(number) == 2 and head.lower().split()[-1:] == ["year"]:
        years = {y for c in table.cells for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", c.text)
                 if y.endswith(number)}
        number = years.pop() if len(years) == 1 else number
    return got.model_copy(update={"expansion": f"{head} {number}",
                                  "method": f"{got.method}+number"})


def _vocabulary_word(table: Table, blocks: list[Block], part: str, cells: Cells,
                     col: int = -1) -> ResolveOutput | None:
    """A clipped word or contraction read as the word of the document's own vocabulary it
    abbreviates ("TTL" ↔ "Total", "Intl" ↔ "International", "FLT" ↔ "Flight"), the span
    where the document uses that word cited.

    The document is read nearest first: the table's header cells, its other cells, the text of
    its pages, the other tables' cells, the rest of the text. In each, a conventional reading
    of a report abbreviation (:data:`abstab.core.expand.ABBREVIATIONS`) that the document
    writes wins; else, for three letters or more, the word the letters clip (a prefix with its
    dot, "Misd." ↔ "misdemeanor") or contract (first and last letter kept, the rest in order,
    "Intl" ↔ "international") at the least cost of dropped letters; a contraction keeps only
    consonants after its first letter ("TTL", "FLT": an acronym such as "DOE" is no
    contraction of "dose", "Bis" none of "biphenyls"). A conventional reading that names what the column
    ``col`` holds wins outright ("ST" over state codes), cited by those values; an abbreviation
    with several conventional readings ("ST": street, state, status) takes no other.
    """
    letters = part.strip(".")
    low = letters.lower()
    if not low.isalpha() or len(low) < 2 or not low.isascii() or PLURAL_ACRONYM.fullmatch(letters):
        return None
    conventional = ABBREVIATIONS.get(low, ())
    if col >= 0:
        values = _column_values(table, col, part)
        named = [w for w in conventional if w in value_words(values)]
        if named:  # "ST" over "OK", "TX", …: the reading that names the values
            return ResolveOutput(
                expansion=named[0], category="inferable_table", confidence=0.4,
                method="vocabulary:values",
                evidence=[EvidenceOut(source="table", block_id=table.table_id,
                                      text=", ".join(dict.fromkeys(values[:6])), score=0.4)])
    if len(conventional) > 1:
        return None  # the document's words cannot choose among conventional readings
    caps = letters.isupper()
    if caps and any(re.search(rf"(?<![\w]){re.escape(letters)}(?![\w])", b.text)
                    for b in blocks):
        return None  # capitals the text writes as a word are its acronym ("HHS"), no clipping
    # a contraction keeps consonants ("Intl", "FLT"): "Bis" is no contraction of "biphenyls"
    skeleton = len(low) >= 3 and not set(low[1:]) & set("aeiouy")

    def reading(word: str) -> float | None:
        """The cost of reading ``low`` as ``word``, None when it is no clipping of it."""
        if word in conventional:
            return -1.0
        if len(low) < 3 or len(word) <= len(low) or word[0] != low[0]:
            return None
        prefix = word.startswith(low) and part.endswith(".") and not caps
        contraction = skeleton and (
            word[-1] == low[-1] or (word.endswith("s") and word[-2] == low[-1]))
        return abbreviation_cost(low, word) if prefix or contraction else None

    own = [(table.table_id, c.text) for c in table.cells if c.header] + [
        (table.table_id, c.text) for c in table.cells if not c.header]
    page = [b for b in blocks if b.page in table.pages]
    tiers: list[list[tuple[str, str, str]]] = [
        [("table", tid, text) for tid, text in own],
        [("block", b.block_id, b.text) for b in page],
        [("table", tid, text) for tid, text in cells if tid != table.table_id],
        [("block", b.block_id, b.text) for b in blocks if b.page not in table.pages]]
    for tier in tiers:
        best: tuple[float, str, tuple[str, str, str], int] | None = None
        for source, where, text in tier:
            for m in _WORDS.finditer(text):
                word = m.group().lower()
                cost = reading(word)
                if cost is None or (best is not None and cost >= best[0]) or expansion_problem(
                        part, word, implied=True) is not None:
                    continue
                best = (cost, word, (source, where, text), m.start())
        if best is not None:
            _, word, (source, where, text), at = best
            if source == "block":
                s, e = sentence_around(text, at, at + len(word))
                text = text[s:e].strip()
            category = "inferable_table" if where == table.table_id else "inferable_document"
            return ResolveOutput(
                expansion=word, category=category, confidence=0.4, method="vocabulary",
                evidence=[EvidenceOut(source=source, block_id=where, text=text, score=0.4)])
    return None


_SERIAL = re.compile(r"(?:s|sl|sr|srl)\.?\s*(?:no\.?|#)", re.IGNORECASE)
_ROW_NUMBER = re.compile(r"(\d+)\.?")


def _column_values(table: Table, col: int, header: str) -> list[str]:
    """The body values of column ``col`` in row order, without empty cells and repeats of the
    header itself (a header row printed again on the next page)."""
    return [c.text.strip() for c in sorted(table.cells, key=lambda c: c.row)
            if not c.header and c.col == col and c.text.strip()
            and c.text.strip() != header.strip()]


def _serial_column(table: Table, kw: str, col: int) -> ResolveOutput | None:
    """"Sl. No." or "S. No." over a column that numbers the rows 1, 2, 3, …: the rows' serial
    number, cited by those values."""
    if col < 0 or not _SERIAL.fullmatch(kw.strip()):
        return None
    values = _column_values(table, col, kw)
    numbers = [int(m.group(1)) if (m := _ROW_NUMBER.fullmatch(v)) else None for v in values]
    while numbers and numbers[-1] is None:  # a closing total row ("ODISHA", "Total")
        numbers.pop()
    if len(numbers) < 3 or numbers != list(range(1, len(numbers) + 1)):
        return None
    return ResolveOutput(
        expansion="serial number", category="inferable_table", confidence=0.5,
        method="row_numbers",
        evidence=[EvidenceOut(source="table", block_id=table.table_id,
                              text=", ".join(values[:5]) + ", …", score=0.5)])


def _initials_in_cells(part: str, table: Table, cells: Cells) -> ResolveOutput | None:
    """An acronym whose letters are the initials of a phrase in a table cell ("SWOT" ↔ a
    cell "… regional strengths, weaknesses, opportunities and threats"), that cell cited."""
    if sum(ch.isalpha() for ch in part) < 3:
        return None  # two initials match too many phrases ("NE" ↔ "Nebraska ethanol")
    for table_id, text in cells:
        for m in implied_matches(text, part):
            if m.pattern != "initials_phrase" or expansion_problem(
                    part, m.long, implied=True) is not None:
                continue
            category = "inferable_table" if table_id == table.table_id else "inferable_document"
            return ResolveOutput(
                expansion=m.long, category=category, confidence=0.4, method="initials_in_table",
                evidence=[EvidenceOut(source="table", block_id=table_id, text=text, score=0.4)])
    return None


_NUMBERED = re.compile(r"#\d+")


def _named_number(table: Table, part: str, before: str) -> ResolveOutput | None:
    """A bare number sign ("#2") read with the word a sibling header prints before its own
    ("Dec. 3 (ballot #1)" beside "Dec. 3 (#2)": ballot #2), that sibling cited; None when the
    header prints that word itself (``before``: its text before the part)."""
    if not _NUMBERED.fullmatch(part):
        return None
    for c in table.cells:
        if c.header and (m := re.search(r"([^\W\d_]{3,})\s+#\d+", c.text)) is not None:
            if before.rstrip(" (").lower().endswith(m.group(1).lower()):
                return None
            return ResolveOutput(
                expansion=f"{m.group(1)} {part}", category="inferable_table", confidence=0.4,
                method="sibling_header",
                evidence=[EvidenceOut(source="table", block_id=table.table_id, text=c.text,
                                      score=0.4)])
    return None


def _by_parts(table: Table, blocks: list[Block], kw: str, row: int, col: int,
              context: Sequence[Passage] = (), clipped: bool = False,
              cells: Cells = ()) -> ResolveOutput | None:
    """The header read with each code or clipped word in it replaced by what the document
    says it means; None unless at least one part is explained.

    Codes (acronyms, letter codes) take only a stated meaning, the longest run of parts first
    ("CFDA No." when a note says "CFDA No. refers to the Catalog of …"), a code with a number
    its code's ("FY15"); with ``clipped``, a clipped word also the one ordinary word of the
    text or of another table's header it is a prefix of ("Accel" → "acceleration", "CAT." → a
    table headed CATEGORY), or the word of the document's vocabulary it abbreviates ("TTL" →
    "total"), and a lone part is read too. A one-letter code counts only in its printed
    brackets ("(R)" with a legend "(R)=Republican Party Nominee").
    """
    parts = list(_PART.finditer(kw))
    if len(parts) < (1 if clipped else 2):
        return None
    out, pos, evidence, explicit, method = [], 0, [], True, []
    i = 0
    while i < len(parts):
        m = parts[i]
        part = m.group()
        style = classify(part).style
        i += 1
        if clipped and (named := _named_number(table, part, kw[:m.start()])) is not None:
            out.append(kw[pos:m.start()] + (named.expansion or part))
            pos = m.end()
            evidence.extend(named.evidence)
            explicit = False
            method.append(named.method)
            continue
        hyphened = i < len(parts) and kw[m.end():parts[i].start()] == "-"
        # a word in capitals may be an acronym ("PROTECT"): only a long form it spells reads it
        shouted = style not in _PART_STYLES and part.isalpha() and part.isupper() and len(part) >= 3
        if style not in _PART_STYLES and not _CODE_NUMBER.fullmatch(part) and not (
                hyphened or shouted):
            continue
        got, end = None, m.end()
        # a run of parts stated as one ("CFDA No."), the longest first; never the whole header
        for j in range(min(len(parts), i - 1 + _SPAN_PARTS), i, -1):
            span = kw[m.start():parts[j - 1].end()]
            # a run holds an acronym ("CFDA No.") or is one hyphenated token ("TEA-21")
            if j - (i - 1) == len(parts) or not (" " not in span or any(
                    classify(p.group()).style == "acronym" for p in parts[i - 1:j])):
                continue
            # a run is read only as a code's name ("CFDA No." ↔ "Catalog of Federal …"), not
            # as whatever a sentence says of it ("Subpart W are subject to …")
            got = _explicit(table, blocks, span, -1, -1, cells, spelled=True)
            if got is not None:
                end, i = parts[j - 1].end(), j
                break
        if got is None and shouted:
            got = _explicit(table, blocks, part, -1, -1, cells, spelled=True)
        elif got is None and style not in _PART_STYLES:
            # "FY2015" by its code's legend; no note that merely names it ("… the FY2012
            # appropriations …"); "non" of "non-Trump" is no code
            got = _coded_number(table, blocks, part, cells)
        elif got is None:
            forms = [part]
            if sum(ch.isalnum() for ch in part) < 2:
                bracketed = f"({part})"
                forms = [bracketed] if bracketed in kw else []
            # a note tied to the cell explains the whole header, not this part: only notes
            # and texts that name the part count
            got = next((r for f in forms if (r := _explicit(table, blocks, f, -1, -1, cells))),
                       None) or _coded_number(table, blocks, part, cells)
        if got is None and clipped and style in ("shortened", "acronym"):
            if style == "shortened":
                got = _implied(blocks, part, clipped_only=True) or _other_tables(part, context)
            got = got or _vocabulary_word(table, blocks, part, cells, col) or (
                _initials_in_cells(part, table, cells) if style == "acronym" else None)
        if got is None or not got.expansion:
            continue
        s = m.start()  # a bracketed code keeps its brackets: "Gillett (Republican …)"
        out.append(kw[pos:s] + got.expansion)
        pos = end
        evidence.extend(got.evidence)
        explicit = explicit and got.category == "explicit"
        method.append(got.method)
    if not evidence:
        return None
    # what the table shows (its values, its siblings) is table-inferred; the text, document
    table_only = all(e.source == "table" and e.block_id == table.table_id for e in evidence)
    return ResolveOutput(
        expansion=squash("".join(out) + kw[pos:]),
        category="explicit" if explicit else "inferable_table" if table_only
        else "inferable_document",
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
    version = 3
    identity = Identity("rules", f"rules-v{version}", "offline")

    def judge(self, table: Table, doc: Document | None) -> JudgeOutput:
        return judge_table(table, doc)

    def resolve(self, table: Table, doc: Document, keyword: KeywordOut,
                context: Sequence[Passage] = ()) -> ResolveOutput:
        kw = keyword.keyword
        blocks = [b for b in doc.blocks if b.kind in TEXT_KINDS]
        cells = _table_cells(table, context, keyword.row, keyword.col)
        # 1. What the document states: a note tied to the header, a legend keying the coded
        # values of the keyword's column, a definition in the text or in a table's cell.
        found = _value_legend(table, blocks, kw, keyword.row, keyword.col)
        if found is None and not _body_letter_code(table, kw, keyword.row):
            found = _explicit(table, blocks, kw, keyword.row, keyword.col, cells)
        if found is not None:
            return found
        # 1b. What the table shows: a serial-number column numbering its rows.
        found = _serial_column(table, kw, keyword.col)
        if found is not None:
            return found
        # 2. The codes inside a longer header, each stated by the document ("SSA Total
        # (Excluding OIG)": SSA and OIG by a legend); its clipped words are read as in 4.
        stated_parts = _by_parts(table, blocks, kw, keyword.row, keyword.col, cells=cells)
        # 3. A phrase the whole header abbreviates, with no sentence saying so: implied
        # ("Avg. disch." ↔ "average discharge"). Ranked over the whole text at once, so
        # frequency and closeness count across blocks; then another table's header.
        if stated_parts is None:
            found = _implied(blocks, kw) or _other_tables(kw, context)
            if found is not None:
                return found
        # 4. Each part read alone: stated codes, clipped words the text or a table completes.
        found = _by_parts(table, blocks, kw, keyword.row, keyword.col, context, clipped=True,
                          cells=cells)
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
