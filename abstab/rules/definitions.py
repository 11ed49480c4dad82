"""Finding what an abstract header means in the document's own words.

Explicit definitions: legend lines (``DO = dissolved oxygen``), footnotes tied to a marker,
definition sentences (``where ΔT is …``, ``X denotes …``) and Schwartz–Hearst acronym pairs
(``mean time between failures (MTBF)``). Implied meanings: a phrase elsewhere in the text that
the header abbreviates (``Avg. disch.`` ↔ "average discharge", ``C3`` ↔ "third cohort",
``ΔT`` ↔ "change in temperature") without any sentence saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from abstab.core.headers import classify
from abstab.core.normalize import squash
from abstab.core.words import zipf
from abstab.records import Note, Table
from abstab.rules.acronyms import align_long_form, alignment_scores, find_acronyms

_STOP = {"of", "and", "the", "in", "for", "between", "to", "on", "at", "by", "per", "a", "an", "or",
         "with", "from"}
# ", in hours", ", including …": qualifiers after the meaning proper.
_UNIT_CLAUSE = re.compile(r",\s+(?:in|including|excluding|measured|expressed|per|as)\b")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_VERBS = r"(?:is|are|denotes|denote|stands for|stand for|represents|represent|refers to|" \
         r"is defined as|means|indicates|gives|shows)"
_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth", "eleventh", "twelfth"]
SYMBOL_WORDS: dict[str, tuple[str, ...]] = {
    "Δ": ("change in", "change of", "difference in", "increase in", "variation in"),
    "∆": ("change in", "change of", "difference in", "increase in", "variation in"),
    "δ": ("change in", "difference in", "deviation of"),
    "σ": ("standard deviation of", "standard deviation"),
    "μ": ("mean", "average"),
    "Σ": ("sum of", "total"),
    "%": ("percentage", "percent", "share of", "proportion of"),
    "#": ("number of",),
    "±": ("margin of error", "uncertainty"),
    "ρ": ("density", "correlation"),
    "λ": ("wavelength", "rate"),
    "θ": ("angle",),
}


@dataclass(frozen=True)
class Match:
    long: str
    start: int  # offsets in the searched text
    end: int
    pattern: str


def _clean_long(text: str) -> str:
    text = squash(text).strip(" .,;:=-–—")
    # a bracket the cut left open ("… 21st Century (P.L" of "(P.L. 105-178)") goes with its tail
    if text.count("(") > text.count(")"):
        text = text[:text.rfind("(")].rstrip(" ,;:")
    text = _ARTICLE.sub("", text)
    return text


def _kw_pattern(keyword: str) -> str:
    # Word-ish boundaries that also work for symbols and trailing dots.
    return rf"(?<![\w]){re.escape(keyword)}(?![\w])"


def schwartz_hearst(short: str, candidate: str) -> str | None:
    """The long form at the end of ``candidate`` that ``short`` abbreviates (Schwartz & Hearst
    2003, with the letter alignment of :func:`abstab.rules.acronyms.align_long_form`)."""
    words = [(m.group(), m.start()) for m in re.finditer(r"[^\W_]+", candidate)]
    n = len([c for c in short if c.isalnum()])
    if not words or not n:
        return None
    words = words[-min(n + 5, 2 * n):]  # Schwartz–Hearst's window
    got = align_long_form(short, [w for w, _ in words])
    if got is None:
        return None
    long = candidate[words[got[0]][1]:].strip()
    return long if len(long) > len(short) else None


@lru_cache(maxsize=4096)
def _pairs_in(text: str) -> tuple:
    """Every acronym pair of ``text``, found once: resolve asks about each block for every
    header of every table of the document."""
    return tuple(p for p in find_acronyms(text)
                 if p.long is not None and p.pattern in ("long_short", "short_long"))


def _acronym_pairs(text: str, keyword: str) -> list[Match]:
    """``long form (K)`` and ``K (long form)`` pairs of the shared acronym finder."""
    out = []
    for p in _pairs_in(text):
        if p.short == keyword or (p.short.endswith("s") and p.short[:-1] == keyword):
            assert p.long_start is not None and p.long_end is not None
            out.append(Match(_clean_long(p.long), min(p.start, p.long_start),
                             max(p.end, p.long_end), "acronym_pair"))
    return out


_NUMBERED_PART = re.compile(
    r"\b(?:appendix|annex|table|figure|fig\.|chapter|section|part|exhibit|schedule|box)\s*$",
    re.IGNORECASE)


def explicit_matches(text: str, keyword: str) -> list[Match]:
    """Definitions of ``keyword`` stated in ``text``, best first."""
    if keyword not in text:  # every pattern below contains the keyword verbatim
        return []
    kw = _kw_pattern(keyword)
    found: list[Match] = []
    # Legend: "K = long", "K: long" up to a separator or the next "X =".
    legend = re.compile(
        rf"{kw}\s*[*†‡¹²³]*\s*(?:=|:|–|—)\s*(?P<long>[^=\n;]+?)"
        rf"(?=\s*(?:;|\n|,\s*\S{{1,6}}\s*=|\s+and\s+\S{{1,6}}\s*=|\.\s|\.$|$))"
    )
    for m in legend.finditer(text):
        if _NUMBERED_PART.search(text, max(0, m.start() - 12), m.start()):
            continue  # "Appendix B: Schematic", "Table 3: Results" title a part, not a code
        long = _clean_long(m.group("long"))
        if long and long.lower() != keyword.lower():
            found.append(Match(long, m.start(), m.end(), "legend"))
    # "where K is the …", "K denotes …".
    verb = re.compile(rf"{kw}\s+{_VERBS}\s+(?P<long>[^.;:,()]+)")
    for m in verb.finditer(text):
        long = _clean_long(m.group("long"))
        if long and len(long.split()) <= 25:
            found.append(Match(long, m.start(), m.end(), "definition_sentence"))
    # "Security Administrator function: QIBM_DB_SECADM": a section title naming a system
    # identifier (a code with an underscore) after the words it stands for
    if "_" in keyword:
        titled = re.compile(rf"(?<![\w.])(?P<long>[A-Z][^\W\d_]+(?: [^\W\d_]+){{1,5}}):\s*{kw}")
        for m in titled.finditer(text):
            found.append(Match(_clean_long(m.group("long")), m.start(), m.end(), "title"))
    # "long form (K)" and "K (long form)": the shared acronym finder for acronym-like
    # keywords; the regular expressions below for the rest ("Avg. disch.").
    pairs = _acronym_pairs(text, keyword)
    if pairs:
        return found + pairs
    paren = re.compile(rf"(?P<before>[^().;:]{{3,120}})\(\s*{kw}\s*\)")
    for m in paren.finditer(text):
        inside = schwartz_hearst(keyword, m.group("before"))
        if inside:
            found.append(Match(_clean_long(inside),
                               m.start("before") + m.group("before").find(inside),
                               m.end(), "acronym_pair"))
    # "K (long form)".
    after = re.compile(rf"{kw}\s*\((?P<long>[^()]{{3,80}})\)")
    for m in after.finditer(text):
        cand = m.group("long")
        if schwartz_hearst(keyword, cand) == cand.strip():
            found.append(Match(_clean_long(cand), m.start(), m.end(), "acronym_pair"))
    return found


def note_expansion(note_text: str, keyword: str, marker: str | None) -> str | None:
    """The meaning a footnote or legend line gives, with its marker and key stripped."""
    text = note_text.strip()
    if marker and marker != keyword and text.startswith(marker):
        text = text[len(marker):].strip()
    m = explicit_matches(text, keyword)
    if m:
        return _UNIT_CLAUSE.split(m[0].long)[0].strip() or None
    if marker:  # "* Mean time to repair, in hours": the note is the meaning itself.
        first = re.split(r"[.;]\s", text)[0]
        # "L/F = load factor = RPK÷ASK": the key and the formula after the meaning go.
        first = re.sub(rf"^{re.escape(keyword)}\s*[=:]\s*", "", first).split(" = ")[0]
        return _clean_long(_UNIT_CLAUSE.split(first)[0]) or None
    return None


@dataclass(frozen=True)
class Stated:
    """A meaning the table or the text states for a header.

    Attributes:
        long: the meaning.
        source: the table note that states it, or the definition match in ``texts[text]``.
        text: the index of the text stating it (-1 for a note).
    """

    long: str
    source: Note | Match
    text: int = -1


def stated_meanings(table: Table, row: int, col: int, keyword: str,
                    texts: Sequence[str]) -> Iterator[Stated]:
    """The meanings stated for the header ``keyword`` of the cell at (row, col): first those of
    the table's notes tied to it (they target the cell or name the keyword), then the explicit
    definitions in ``texts``, in order. Lazy, so a caller content with a note reads no text."""
    named = re.compile(_kw_pattern(keyword))
    for note in table.notes:
        # the note names the keyword as a word: "nual" (a cut "annual") is in no note
        if [row, col] in note.targets or named.search(note.text):
            exp = note_expansion(note.text, keyword, note.marker)
            if exp:
                yield Stated(exp, note)
    for i, text in enumerate(texts):
        for m in explicit_matches(text, keyword):
            yield Stated(m.long, m, i)


def spells(short: str, long: str) -> bool:
    """``long`` read from its first word spells the letters of ``short`` ("OIG" ↔ "Office of
    the Inspector General"), as an acronym's long form does."""
    words = re.findall(r"[^\W_]+", long)
    return bool(words) and 0 in alignment_scores(short, words)


def acronym_meaning_problem(keyword: str, st: Stated) -> str | None:
    """Why ``st`` cannot be what the acronym ``keyword`` stands for, or None.

    A long form that spells the acronym is one; so is whatever a legend line of the table's own
    notes gives ("STA = authorized funds subject to future appropriations"), and a section title
    naming a system identifier ("Security Administrator function: QIBM_DB_SECADM"). A sentence
    about the acronym ("SSA is also responsible for …", "the WEC: (1) natural gas …") is not.
    """
    if spells(keyword, st.long) or (isinstance(st.source, Match) and st.source.pattern == "title"):
        return None
    if isinstance(st.source, Note) and re.search(
            rf"{_kw_pattern(keyword)}\s*[*†‡¹²³]*\s*=", st.source.text):
        return None
    return "says something about the acronym without spelling it out"


def _source_key(st: Stated) -> tuple[str, int]:
    """Which note or text a meaning comes from (two codes keyed by one legend share it)."""
    return ("note", id(st.source)) if isinstance(st.source, Note) else ("text", st.text)


def column_value_legend(table: Table, col: int, texts: Sequence[str]) -> dict[str, Stated]:
    """The meanings a legend gives for the coded values of column ``col`` ("H", "HH" under a
    "Symbol convention H = High, HH = High high" legend), keyed by value.

    A legend is linked to the column when one note or text defines at least two of the
    column's distinct code values (or its only one): a lone "H = …" somewhere in the text is
    no evidence that the "H" of this column means it.
    """
    values = sorted({c.text.strip() for c in table.cells
                     if not c.header and c.col == col and c.text.strip()})
    codes = [v for v in values if len(v) <= 12 and classify(v).style != "natural"]
    by_source: dict[tuple[str, int], dict[str, Stated]] = {}
    for code in codes:
        for st in stated_meanings(table, -1, -1, code, texts):
            if expansion_problem(code, st.long) is None:
                by_source.setdefault(_source_key(st), {}).setdefault(code, st)
    need = min(2, len(codes))
    linked = [found for found in by_source.values() if need and len(found) >= need]
    return max(linked, key=len) if linked else {}


# ---------------------------------------------------------------------------- implied


@lru_cache(maxsize=2)
def _token_spans(text: str) -> tuple[tuple[str, int, int], ...]:
    """Word tokens with their offsets, kept for the last two texts: resolve asks about one
    document's text for each of its headers in turn (a long report's tokens take megabytes)."""
    return tuple((m.group(), m.start(), m.end())
                 for m in re.finditer(r"[^\W_]+(?:[-'][^\W_]+)*", text))


PLURAL_ACRONYM = re.compile(r"([A-Z]{2,6})s")
"""Capitals with a plural "s" ("DSPs", "MOUs"): an acronym, never a clipped word ("disrupts")."""


def _abbreviates(part: str, word: str) -> bool:
    """``part`` ("disch") is a clipped form of ``word`` ("discharge"): same first letter and
    a subsequence of it, and shorter."""
    p, w = part.lower(), word.lower()
    if not p or len(p) >= len(w) or p[0] != w[0]:
        return False
    if any(ch.isdigit() for ch in p):  # a number is not clipped: "20" is not "2023"
        return False
    if len(p) <= 3 and not w.startswith(p) and set(p[1:]) & set("aeiou"):
        # three letters or fewer that are no prefix must be a consonant skeleton ("TTL",
        # "Amt"): "Mat." is no clipping of "management"
        return False
    it = iter(w)
    return all(ch in it for ch in p)


def _prefix_share(part: str, word: str) -> float:
    """How much of ``part`` is a plain prefix of ``word`` (1.0 for "fail"/"failure")."""
    p, w = part.lower(), word.lower()
    n = 0
    while n < min(len(p), len(w)) and p[n] == w[n]:
        n += 1
    return n / len(p) if p else 0.0


def _initials_phrases(text: str, letters: str) -> list[tuple[int, int]]:
    """Spans of word sequences whose initials spell ``letters`` (stop words may sit between)."""
    tokens = _token_spans(text)
    n = len(letters)
    out = []
    for i in range(len(tokens)):
        j, k = i, 0
        while j < len(tokens) and k < n:
            w = tokens[j][0]
            if w[0].lower() == letters[k].lower():
                k += 1
                j += 1
            elif w.lower() in _STOP and k > 0:
                j += 1
            else:
                break
        if k == n and j - i >= n >= 2:
            out.append((tokens[i][1], tokens[j - 1][2]))
    return out


def implied_matches(text: str, keyword: str) -> list[Match]:
    """Phrases in ``text`` that ``keyword`` plausibly abbreviates, most frequent first."""
    spans: list[tuple[int, int, str] | tuple[int, int, str, float]] = []
    kw = keyword.strip()
    letters_only = re.sub(r"[^A-Za-z]", "", kw)
    plural = PLURAL_ACRONYM.fullmatch(kw)  # "DSPs": the acronym's initials, not a clipped word
    code = re.fullmatch(r"([A-Za-z]{1,2})\s*(\d{1,2})", kw)
    if code:  # C3 → "third cohort" / "cohort 3"
        letter, num = code.group(1)[0], int(code.group(2))
        ordinal = _ORDINALS[num] if num < len(_ORDINALS) else f"{num}th"
        for m in re.finditer(rf"\b(?:{ordinal}|{num}(?:st|nd|rd|th))\s+({letter}\w+)", text, re.IGNORECASE):
            spans.append((m.start(), m.end(), "ordinal_phrase"))
        for m in re.finditer(rf"\b({letter}\w+)\s+{num}\b", text, re.IGNORECASE):
            spans.append((m.start(), m.end(), "numbered_phrase"))
    elif any(ch in SYMBOL_WORDS for ch in kw):
        parts = []
        for ch in kw:
            if ch in SYMBOL_WORDS:
                parts.append("(?:" + "|".join(re.escape(w) for w in SYMBOL_WORDS[ch]) + ")")
            elif ch.isalpha():
                parts.append(rf"(?:\w+\s+){{0,2}}?{ch}\w+")
        if parts:
            for m in re.finditer(r"\b" + r"\s+".join(parts) + r"\b", text, re.IGNORECASE):
                spans.append((m.start(), m.end(), "symbol_phrase"))
    elif plural or (kw.isupper() and 2 <= len(letters_only) <= 6
                    and letters_only == kw.replace("&", "")):
        letters_only = plural.group(1) if plural else letters_only
        for s, e in _initials_phrases(text, letters_only):
            if text[s:e].lower() != kw.lower():
                spans.append((s, e, "initials_phrase"))
    else:  # shortened words: every clipped part abbreviates consecutive words
        parts = [p.strip(".") for p in re.split(r"[\s/]+", kw) if p.strip(".")]
        if parts and any(p.lower() not in _STOP for p in parts):
            tokens = _token_spans(text)
            first_letter = parts[0][0].lower()
            for i in range(len(tokens) - len(parts) + 1):
                if tokens[i][0][0].lower() != first_letter:  # both tests below need it
                    continue
                window = tokens[i:i + len(parts)]
                if all(_abbreviates(p, w[0]) or p.lower() == w[0].lower()
                       for p, w in zip(parts, window, strict=True)) and any(
                        _abbreviates(p, w[0]) for p, w in zip(parts, window, strict=True)):
                    share = sum(_prefix_share(p, w[0]) for p, w in zip(parts, window,
                                                                       strict=True))
                    spans.append((window[0][1], window[-1][2], "clipped_phrase", share))
    counts: dict[str, int] = {}
    quality: dict[str, float] = {}
    first: dict[str, tuple[int, int, str]] = {}
    for s, e, how, *q in spans:
        phrase = _clean_long(text[s:e]).lower()
        if phrase and phrase != kw.lower():
            counts[phrase] = counts.get(phrase, 0) + 1
            quality[phrase] = max(quality.get(phrase, 0.0), q[0] if q else 0.0)
            first.setdefault(phrase, (s, e, how))
    # Closer clippings first ("Fail." is "failure" before "financial"), then frequency.
    ranked = sorted(counts, key=lambda p: (-round(quality[p], 3), -counts[p], first[p][0]))
    return [Match(p, first[p][0], first[p][1], first[p][2]) for p in ranked]


# What no meaning starts with: the rest of a number ("144) positive …", "12, PK–8 …"), a
# closing bracket or separator, a path ("\\Setup.exe").
_BAD_START = re.compile(r"^(?:\d[\d.,]*\s*[,;)\]]|[)\]}\\,;:.=/])")
_ORDINAL_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)")
_DOT_LEADER = re.compile(r"\.{4,}|…{2,}")  # a table of contents line, not a definition
IMPLIED_WORD_ZIPF = 1.0
"""A word of an implied meaning must be at least this frequent (wordfreq): the header's letters
matched against part numbers or garbled text ("cy7c1019v33", "roundupp") are no meaning."""


def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def expansion_problem(keyword: str, expansion: str, implied: bool = False) -> str | None:
    """Why ``expansion`` cannot be what ``keyword`` means, or None.

    Every source: no letters, a fragment (starts inside a number or with a separator), a
    dot-leader line, the header itself re-spelled ("LITE" → "lite", "Treaty reform / IGC" →
    "treaty reform igc"), or only function words ("F" → "for"). Implied meanings (no sentence
    states them) must also start with a content word and use ordinary words only (no "u22", "agnd").
    """
    exp = squash(expansion)
    if not any(ch.isalpha() for ch in exp):
        return "no letters"
    if _BAD_START.match(exp):
        return "starts inside a number or with a separator"
    if _DOT_LEADER.search(exp):
        return "a dot-leader line (table of contents)"
    if _letters(exp).rstrip("s") == _letters(keyword).rstrip("s"):
        return "the header itself, re-spelled"  # also its plural: "DDS" → "DDSs"
    words = re.findall(r"[^\W\d_]+", exp.lower())
    if all(w in _STOP for w in words):
        return "only function words"
    if implied:
        if sum(ch.isalpha() for ch in keyword) < 2 and not any(ch.isdigit() for ch in keyword):
            return "one letter implies no word"  # "N" → "note", "F" → "figure"
        if len(words) == 1 and _lemma(words[0]) == keyword.strip(" .").lower() != words[0]:
            return "the header itself, inflected"  # "REACH" → "reached"
        if words[0] in _STOP:
            return "starts with a function word"
        rare = [w for w in re.findall(r"[^\s/-]+", exp.lower())
                if w not in _STOP and not w.isdigit()
                and not _ORDINAL_NUMBER.fullmatch(w)
                and (any(ch.isdigit() for ch in w) or zipf(w) < IMPLIED_WORD_ZIPF)]
        if rare:
            return f"not ordinary words: {rare}"
    return None


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) containing text[start:end]."""
    s = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    s = 0 if s < 0 else s + (2 if text[s] == "." else 1)
    e_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    e = min(e_candidates) + 1 if e_candidates else len(text)
    return s, e


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _lemma(word: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(word.lower(), lang="en"))


def phrase_span(text: str, phrase: str) -> tuple[int, int] | None:
    """Where the words of ``phrase`` occur in order in ``text``, lemma by lemma and adjacent
    ("failures" matches "failure"); the char span of the first such run, or None."""
    want = [_lemma(w) for w in _WORD.findall(phrase)]
    if not want:
        return None
    words = [(m.start(), m.end(), _lemma(m.group())) for m in _WORD.finditer(text)]
    for i in range(len(words) - len(want) + 1):
        if all(words[i + j][2] == w for j, w in enumerate(want)):
            return words[i][0], words[i + len(want) - 1][1]
    return None
