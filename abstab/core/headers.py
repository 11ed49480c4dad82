"""Is a header abstract, and in which style? Features of the header text alone.

Used by the rules judge and to label the abstraction style of QA items. The header is cut into
tokens (spaces, separators, camelCase humps, digits) after dropping footnote markers and
parenthesised units or qualifiers; each token is judged on its own and the header is abstract
when one of its tokens is:

- numbers, dates, month names, currency and scale units are never abstract;
- single letters (``A``, ``n``) and letter–digit codes (``C3``, ``Q95``) are letter codes;
- upper-case tokens that are not common words are acronyms (``RPK``; ``TOTAL`` is a word);
- clipped words (``Misd.``), standard abbreviations (``yr``, ``amt``) and rare short or
  vowel-less tokens (``mnth``, ``Inspctr``) are shortened names;
- Greek letters and mathematical symbols (``ΔT``) are symbols;
- a one-word header carrying a footnote marker (``*Other``) is defined by its footnote;
- a number naming a thing (``529 Plan``: three or more digits, not a year, before a singular
  noun that is no unit) is a code, and so are the letters of a formula over columns
  (``(c/a)``) and a two-digit year span (``12/13``); a number sign without what it numbers
  (``Dec. 3 (#2)``) and a count that breaks off (``No. Of``) leave their noun to the table;
- dotted initials read as one short form (``U.S.`` is ``US``, a known short form), and a
  number with a capital suffix is a form number (``Form 1040NR``); a year's trailing letter is
  a footnote marker (``FY2013a``), a capital with a full stop before a name is an initial
  (``Joseph W. Martin``, ``N.Anastasiades``), a roman numeral after a name an ordinal
  (``Part II``) and a form's letter–number designation its name (``Form W-2``);
- a word cut by a line break or a ligature (``sepa- rately``, ``Deﬁ cit``) is read whole, and a
  legend (``H = High, HH = High high``) defines its codes: it is no header name;
- an acronym in parentheses counts (``Poverty Rate (from SAIPE)``) unless the words before it
  spell it (``Bridge Investment Program (BIP)``: the cell gives its own meaning); other
  parenthesised words are units or qualifiers (``(in lakhs)``, ``(Assured)``), and a letter
  alone in parentheses names a column (``(a)``) — in a row label a capital one is a code
  (``Gillett (R)``).

With ``stub=True`` (a row label in a table's first column) only evidence that holds in a column
of names counts: acronyms, clipped words with a full stop, standard abbreviations, vowel-less
forms; a rare short or capitalised word there is far more often a name (``Goa``, ``Gohmert``),
a single letter an initial or a row's name (``Zone B``) and a letter–digit designation a model
or item name (``Heron HX-40``), as a program's identifier does (``CLIENT_IPADDR``). A row
label of prose (a note, a sentence) is no name at all.

A :class:`DocumentEvidence` brings the document's own text in: a short form it keys ("ASK =
available seat kilometers", "Bridge Investment Program (BIP)") is an acronym even when it spells
a common word; an all-capitals token of three or more letters it writes elsewhere as a word
("Odisha") is that word set in capitals, for acronyms are written in capitals wherever they
occur. In a column of row labels set in capitals throughout, capitals tell nothing: a
dictionary word there ("OAT", "CANOLA") is that word. And a word that the text sets in capitals
inside a sentence in lower case ("… under REACH requirements") and never writes in lower case
is an acronym although it spells a word.

Word frequencies (wordfreq, Zipf scale) tell an ordinary word ("Total", "Discharge") from a code
or a clipped form; thresholds rise for short tokens, which are more often cut-downs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from abstab.core.expand import ABBREVIATIONS, word_readings
from abstab.core.normalize import squash
from abstab.core.words import COMMON_WORD_ZIPF, QUANTITY_WORDS, in_dictionary, zipf

# Footnote markers that may trail (or lead) a header: *, **, †, ‡, §, superscripts.
_MARKERS = "*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈ"
_MARKER_RE = re.compile(rf"[{re.escape(_MARKERS)}]+$")
_LEAD_MARKER_RE = re.compile(r"^[*†‡§¶]+(?=\w)")
_UNIT_RE = re.compile(r"\s*[\(\[（][^()\[\]（）]{1,30}[\)\]）]\s*$")  # trailing "(mg/L)", "[%]"
_PARENS_RE = re.compile(r"[\(\[（][^()\[\]（）]*[\)\]）]")  # any parenthesised unit or qualifier
_NUMERIC_RE = re.compile(r"^[\s\d.,:/%+\-–−=]+$")
_LETTER_CODE_RE = re.compile(r"^[A-Z]$|^[A-Z]\d{1,3}[a-z]?$|^[A-Z]{1,2}\d{1,3}$")
_CODE_TOKEN_RE = re.compile(r"^[A-Za-z]{1,2}\d+[A-Za-z]?$")  # B100, F18, H2
# Tokens: letter–digit codes (B100), acronyms with a plural s (RSUs), upper-case runs, camelCase
# words, digits.
_TOKEN_RE = re.compile(
    r"[A-Z]{1,2}\d+[A-Za-z]?(?![A-Za-z\d])|[A-Z]{2,}s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+"
    r"|[^\W\d_]+")
_SEPARATORS = re.compile(r"[\s_\-/&+,;:|]+")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
# Money and scale units ("€m", "$’000", "US$ million") and period codes ("Q4", "FY2019",
# "1st"): read as units and dates, never as codes.
_UNIT_TOKENS = re.compile(
    r"(?:\b[A-Z]{0,3})?[$€£¥₹]\s*(?:['’]?000|mn|m|bn|b|k|million|billion|thousand)?\b"
    r"|\b(?:Q[1-4]|H[12]|FY\s?\d{2,4}|\d+(?:st|nd|rd|th))\b", re.IGNORECASE)
# Units of measure, with an optional power (km2).
_MEASURE_UNITS = frozenset([
    "km", "m", "cm", "mm", "kg", "g", "mg", "ug", "lb", "lbs", "oz", "ft", "in", "mi", "sq", "dl",
    "gal", "l", "ml", "ha", "t", "kt", "mt", "mph", "kmh", "hz", "khz", "mhz", "kw", "mw", "gw",
    "kwh", "mwh", "gwh", "cwt", "bbl", "psi", "ppm", "ppb"
])
# Function words in capitals ("NO. OF RIGHTS") are words, whatever their length.
_FUNCTION_WORDS = frozenset([
    "of", "in", "to", "by", "on", "at", "or", "and", "the", "for", "per", "as", "from", "with",
    "an", "a", "is"
])

MAX_NAME_WORDS = 20
"""A header of more words than this, or of more than 8 holding a sentence break, is prose or
a mis-read block, not a name ("Prevention of VTE in adult patients who have undergone elective
hip or knee replacement surgery" is a long name that still hides a code)."""
_SENTENCE_BREAK = re.compile(r"[a-z]{2}[.!?]\s+[A-Z][a-z]")
MAX_STUB_WORDS = 12
"""A row label of more words than this is a description, not a name."""
# A row label that reads as a sentence (ends in a full stop after four or more words) or as a
# note ("Sources: EPA, …") is prose.
_STUB_SENTENCE = re.compile(r"^(?:\S+\s+){3,}\S*[a-z]{2}[.!?]$")
_NOTE_LABEL = re.compile(r"^(?:notes?|sources?|[a-z]{3,}\s+notes?)\s*:", re.IGNORECASE)
# Words that join a sentence's parts, in lower case: a row label led or ended by one is a line
# of a sentence.
_LINKING_WORDS = frozenset(["and", "or", "but", "of", "to", "the", "a", "an", "for", "with",
                            "from", "by", "than", "that", "which"])
_DOTTED_CAPS = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S., U.K.: initials read as one short form
# Model and item designations ("HX-40", "V3", "I-95"): in a row label they name the row, as a
# product or road name does; they stand for no words a reader must find.
_DESIGNATION = re.compile(r"\b[A-Z]{1,4}-?\d+[A-Za-z]?\b")
# Form numbers led by digits ("Form 1040NR", "1040EZ"): a number with a suffix, not a code.
_NUMBERED = re.compile(r"\b\d{3,}[A-Z]{1,3}\b")
_PAREN_CONTENT = re.compile(r"[\(\[（]([^()\[\]（）]*)[\)\]）]")
# A year's trailing letter is a footnote marker set in line ("FY2013a", "2025b").
_YEAR_MARKER = re.compile(r"(?<=(?<!\d)(?:1[89]|20)\d\d)[a-z](?![^\W_])")
# A capital with a full stop before a name is an initial ("Joseph W. Martin", "N.Anastasiades")
# or an outline letter ("B. Expenses"), not a code; dotted initials ("U.S. Code") are not.
_INITIAL = re.compile(r"(?<![\w.])[A-Z]\.\s?(?=[A-Z][a-z]{2,})")
# A roman numeral after a name is an ordinal ("Part II", "Title I", "Phase IV").
_ROMAN_AFTER_NAME = re.compile(r"(\b[A-Z][a-z]+\.? )([IVX]{1,5})\b(?![-\w])")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
# A form's letter–number designation ("Form W-2", "Form SS-4") names the form, as 1040NR does.
_FORM_DESIGNATION = re.compile(r"\b(Forms?\s+)[A-Z]{1,3}-\d+[A-Za-z]?\b")
# A program's identifier (CLIENT_IPADDR): in a row label it names the row, as a model does.
_IDENTIFIER = re.compile(r"\b[^\W_]+(?:_[^\W_]+)+\b")
# "#2" with nothing before it in its parentheses: what it numbers is left to the table.
_BARE_NUMBER_SIGN = re.compile(r"^\s*#\s*\d+\s*$")
# A number naming a thing: three or more digits (not a year) before a singular capitalised
# noun ("529 Plan"); "3 Months" counts, "2020 Census" dates, "100 Mile Radius" measures, and
# "247 Merlin Hull" is a count before a person's name.
_NUMBER_NAME = re.compile(r"(?<![\d.,$€£])\b(\d{3,})\s+([A-Z][a-z]{2,})\b(?!['’]|\s+[A-Z])")
_UNIT_NOUNS = frozenset([
    "year", "month", "week", "day", "hour", "minute", "second", "quarter", "decade", "century",
    "mile", "meter", "metre", "foot", "feet", "inch", "yard", "acre", "ton", "tonne", "pound",
    "gallon", "barrel", "liter", "litre", "gram", "percent", "point", "dollar", "cent", "unit",
    "degree", "person", "member", "bed", "seat",
])
# Letters of a formula over columns: "(c/a)", "(c)-(a)", "b - a".
_LETTER_FORMULA = re.compile(r"^[\s(]*[A-Za-z][\s)]*(?:[-+/*×÷−][\s(]*[A-Za-z][\s)]*)+$")
# A year span written with two digits each ("12/13": 2012/13).
_SHORT_YEARS = re.compile(r"^\s*(\d{2})\s*/\s*(\d{2})\s*$")
# A count or share that breaks off before what it counts ("No. Of", "Share of"); a header
# such as "Changes to" is finished by its column's values, a count is not.
_COUNT_WORDS = QUANTITY_WORDS | {"no", "nos", "number", "num", "proportion", "rate", "ratio"}
# A legend: two or more "CODE = words" pairs ("H = High, HH = High high").
_LEGEND_PAIR = re.compile(r"(?<![\w=])[A-Z][A-Za-z]{0,5}\s*=\s*[A-Za-z]")
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"})
# Two pieces of one word: "sepa- rately" (a line-break hyphen), "Defi cit" (a stray space).
_BROKEN_WORD = re.compile(r"\b([^\W\d_]{2,})(-?) ([a-z]{2,})\b")

# Short forms every reader knows: not abstract. Months, weekdays, currency codes and a few
# universal abbreviations (No., Max, Min, ID, ZIP, vs.).
_KNOWN_SHORT = frozenset([
    "no", "nos", "max", "min", "id", "vs", "etc", "zip", "ok", "am", "pm", "tv", "us", "uk",
    "eu", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "usd", "eur", "gbp", "jpy", "cny",
    "rmb", "aud", "cad", "chf", "hkd", "sgd", "inr", "krw", "sek", "nok", "dkk", "nzd", "zar",
    "brl", "mxn", "rub"
])
# Letter count → minimum Zipf frequency for a token to count as an ordinary word: short
# tokens must be very common words ("Fine", "Tax"), long ones merely attested.
_WORD_ZIPF = {1: 99.0, 2: 5.0, 3: 3.5, 4: 3.0, 5: 3.0}
_CAPS_WORD_ZIPF = {1: 99.0, 2: 99.0, 3: 4.5, 4: 3.8, 5: 3.0, 6: 3.0}
_LONG_WORD_ZIPF = 2.5
_CLIPPED_WORD_ZIPF = 5.5  # a header word with a full stop is clipped ("Fail.") unless very common
_STANDARD_ABBR_ZIPF = 4.5  # a listed abbreviation that is a common word ("long") is the word
_EXPANSION_GAIN = 1.5  # a rare token reads as a word this much likelier: it is a cut-down
_VOWELS = set("aeiouy")


@dataclass(frozen=True)
class DocumentEvidence:
    """What a document's text says about the tokens of its tables' cells.

    Attributes:
        words: lower-cased words the text writes other than in capitals.
        keys: short forms the text gives a long form for (a legend, an acronym pair).
        caps: words in capitals the text writes inside a sentence in lower case ("under REACH
            requirements").
    """

    words: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    caps: frozenset[str] = frozenset()


NO_EVIDENCE = DocumentEvidence()


@dataclass(frozen=True)
class HeaderFeatures:
    keyword: str  # the header without footnote markers and a trailing unit
    style: str  # natural | letter_codes | acronym | shortened | symbol
    score: float  # how sure the header is abstract (0 for natural)
    reasons: tuple[str, ...]


def core_text(header: str) -> str:
    """The header without trailing footnote markers and a trailing parenthesised unit."""
    text = squash(header)
    text = _MARKER_RE.sub("", text).strip()
    stripped = _UNIT_RE.sub("", text).strip()
    text = stripped or text
    return _MARKER_RE.sub("", text).strip()


def _is_symbolic(ch: str) -> bool:
    """Greek letters and mathematical or other symbols; not currency (a unit) and not the
    arithmetic of column-number headers ("2 = (3 to 6) + 14")."""
    cat = unicodedata.category(ch)
    if cat == "Sm":
        return ch not in "+=<>|~−±÷×"
    if cat == "So":
        return ch not in "®©™°"
    return cat.startswith("L") and "GREEK" in unicodedata.name(ch, "")


def _token_style(tok: str, clipped: bool, doc: DocumentEvidence = NO_EVIDENCE,
                 capitals: bool = False) -> tuple[str, str, bool] | None:
    """(style, reason, strong) when one token is abstract, else None. ``strong``: the evidence
    holds in a column of names too (see the module docstring). ``capitals``: the token's column
    is set in capitals throughout, so capitals say nothing of it."""
    if tok.isdigit():
        return None
    low = tok.lower()
    if low in _KNOWN_SHORT or low in _FUNCTION_WORDS:
        return None
    if tok in doc.keys and len(tok) >= 2 and tok.isupper():
        return "acronym", f"short form the document keys: {tok}", True
    if re.fullmatch(r"[a-z]{1,3}\d?", low) and re.sub(r"\d", "", low) in _MEASURE_UNITS:
        return None
    if _CODE_TOKEN_RE.match(tok):
        return "letter_codes", f"letter-digit code {tok}", True
    if not tok.isalpha():
        return None
    n = len(tok)
    if n == 1:
        return "letter_codes", f"single letter {tok}", False
    plural_acronym = n >= 3 and tok[:-1].isupper() and tok[-1] == "s"
    word = low[:-1] if plural_acronym else low
    if clipped and (n <= 3 or zipf(word) < _CLIPPED_WORD_ZIPF):
        return "shortened", f"clipped word {tok}.", True
    if word in ABBREVIATIONS and ABBREVIATIONS[word][0] != word and \
            (n <= 2 or zipf(word) < _STANDARD_ABBR_ZIPF):
        style = "acronym" if tok.isupper() else "shortened"
        return style, f"standard abbreviation {tok} ({ABBREVIATIONS[word][0]})", True
    if tok.isupper() or plural_acronym:
        if zipf(word) >= _CAPS_WORD_ZIPF.get(len(word), _LONG_WORD_ZIPF - 0.5):
            if tok in doc.caps and low not in doc.words:
                return "acronym", f"written in capitals in the text's sentences: {tok}", True
            return None
        if tok.isupper() and n >= 3 and low in doc.words:
            return None  # the document writes it as a word: capitals are emphasis here
        if capitals and tok.isupper() and n >= 3 and in_dictionary(low):
            return None  # a word set in capitals like the rest of its column ("OAT", "RYE")
        return "acronym", f"acronym {tok}", True
    if zipf(word) >= _WORD_ZIPF.get(n, _LONG_WORD_ZIPF):
        return None
    vowels = sum(ch in _VOWELS for ch in word) / n
    if n <= 5 or vowels < 0.3:
        return ("shortened", f"rare {'short' if n <= 5 else 'vowel-less'} token {tok}",
                n >= 3 and word.isascii() and not any(ch in "aeiou" for ch in word))
    full = _expansion(low)
    if full:
        return "shortened", f"cut-down of {full!r}: {tok}", tok.islower()
    return None  # a rare long word (a name, a domain term) is not an abbreviation


def _expansion(token: str) -> str | None:
    """A much more frequent word that ``token`` abbreviates ("dispositn" → "disposition")."""
    for r in word_readings(token):
        if r.text != token and " " not in r.text and r.score >= zipf(token) + _EXPANSION_GAIN:
            return r.text
    return None


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(token, clipped) pairs; a token is clipped when its word ends in a full stop."""
    out = []
    for part in _SEPARATORS.split(text):
        if not part:
            continue
        pieces = [p for p in re.split(r"(?<=[^\W\d_])\.(?=[^\W\d_])", part) if p]
        for piece in pieces:
            clipped = piece.endswith(".") or (len(pieces) > 1 and piece != pieces[-1])
            toks = _TOKEN_RE.findall(piece)
            for i, tok in enumerate(toks):
                out.append((tok, clipped and i == len(toks) - 1))
    return out


_STYLE_RANK = {"symbol": 0, "letter_codes": 1, "acronym": 2, "shortened": 3}
_STYLE_SCORE = {"symbol": 0.9, "letter_codes": 0.9, "acronym": 0.85, "shortened": 0.8}


def _spelled_before(words: list[str], short: str) -> bool:
    """Is ``short`` the short form of the words before it, Schwartz & Hearst's test: its
    letters found right to left in the last ``min(n + 5, 2n)`` words, the first one at a
    word's start (``Bridge Investment Program`` → BIP, ``Polybrominated biphenyls`` → PBB)?"""
    letters = "".join(c for c in short.lower() if c.isalnum())
    if len(letters) > 2 and short.endswith("s") and short[:-1].isupper():
        letters = letters[:-1]
    if len(letters) < 2 or not words:
        return False
    window = " ".join(words[-min(len(letters) + 5, 2 * len(letters)):]).lower()
    i = len(window) - 1
    for k in range(len(letters) - 1, -1, -1):
        ch = letters[k]
        while i >= 0 and (window[i] != ch or (k == 0 and i > 0 and window[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return False
        i -= 1
    return True


def _parenthesised_codes(text: str, doc: DocumentEvidence, letters: bool = False
                         ) -> list[tuple[str, str, str]]:
    """(style, reason, token) of the acronyms and codes in ``text``'s parentheses that the words
    before them do not spell out; with ``letters``, also a capital letter alone in parentheses
    (a row label's code: ``Gillett (R)``)."""
    out = []
    for m in _PAREN_CONTENT.finditer(text):
        if _BARE_NUMBER_SIGN.match(m.group(1)) and m.start() > 0:
            inner = m.group(1).strip()
            out.append(("shortened", f"number sign without what it numbers ({inner})", inner))
            continue
        if letters and re.fullmatch(r"[A-Z]", m.group(1).strip()) and m.start() > 0:
            out.append(("letter_codes", f"letter code ({m.group(1).strip()})", m.group(1).strip()))
            continue
        # dotted initials stay letters here: "(P.L. 112-55)" cites a law, it names nothing
        inner = _UNIT_TOKENS.sub(" ", m.group(1))
        before = re.findall(r"[^\W_]+", text[:m.start()])
        if " " not in inner.strip() and _spelled_before(before, inner.strip()):
            continue  # "Decabromodiphenyl ether (DecaBDE)": the cell spells its short form
        for n, (tok, clipped) in enumerate(_tokens(inner)):
            if len(tok) < 2 or not any(ch.isupper() for ch in tok) or tok != tok.upper():
                continue  # units, qualifiers and single letters: "(in lakhs)", "(Assured)", "(a)"
            got = _token_style(tok, clipped, doc)
            if got and got[0] in ("acronym", "letter_codes") and not (
                    n == 0 and _spelled_before(before, tok)):
                out.append((got[0], f"{got[1]} in parentheses", tok))
    return out


def _roman(numeral: str) -> int | None:
    """The value of a roman numeral of I, V and X written the standard way, else None."""
    total = 0
    for i, ch in enumerate(numeral):
        value = _ROMAN_VALUES[ch]
        later = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < later else value
    canonical = "".join(sym * n for sym, n in (
        ("X", total // 10), ("IX", total % 10 == 9), ("V", 4 < total % 10 < 9),
        ("IV", total % 10 == 4), ("I", total % 5 if total % 5 < 4 else 0)))
    return total if canonical == numeral else None


def _drop_ordinal(m: re.Match[str]) -> str:
    """A roman numeral after a name read as the ordinal it is: "Part II" → "Part". A lone V or
    X may be a code ("Zone X"), I is not."""
    numeral = m.group(2)
    if (len(numeral) >= 2 or numeral == "I") and _roman(numeral):
        return m.group(1)
    return m.group()


def _is_word(token: str) -> bool:
    """Is ``token`` an ordinary word by the frequency a header token needs?"""
    return zipf(token) >= _WORD_ZIPF.get(len(token), _LONG_WORD_ZIPF)


def _mend_words(text: str) -> str:
    """``text`` with each word that a line-break hyphen or a stray space cut in two read whole
    ("sepa- rately" → "separately", "Deﬁ cit" → "Deficit"): the joined form is a common word
    and the pieces are not both words (for a space, neither is one), so a compound ("long-
    term") and two words ("Rice Paddy") stay apart."""
    def join(m: re.Match[str]) -> str:
        first, hyphen, rest = m.groups()
        pieces = [_is_word(first.lower()), _is_word(rest)]
        apart = all(pieces) if hyphen else any(pieces)
        return first + rest if not apart and zipf(first + rest) >= COMMON_WORD_ZIPF else m.group()
    return _BROKEN_WORD.sub(join, text.translate(_LIGATURES))


def _elisions(body: str, tokens: list[tuple[str, bool]]) -> list[tuple[str, str]]:
    """(style, reason) for what a column header of ordinary words leaves out: the thing a
    number names ("529 Plan": a plan known by its number, not 529 of them) and what a count that
    breaks off counts ("No. Of")."""
    out = []
    for m in _NUMBER_NAME.finditer(body):
        number, noun = m.group(1), m.group(2).lower()
        plural = noun.endswith("s") and not noun.endswith("ss")
        if not 1800 <= int(number) <= 2100 and not plural and noun not in _UNIT_NOUNS:
            out.append(("letter_codes", f"number naming a thing: {m.group()}"))
    words = [t for t, _ in tokens if t.isalpha()]
    if len(words) >= 2 and words[-1].lower() == "of" and words[-2].lower() in _COUNT_WORDS and \
            re.search(r"of\W*$", body, re.IGNORECASE):
        cut = " ".join(words[-2:])
        out.append(("shortened", f"breaks off after {cut!r}: what it counts is not said"))
    return out


def _sentence_piece(words: list[str]) -> bool:
    """Do ``words`` read as a line cut from a sentence rather than a name: led by a function
    word in lower case ("or 3% of the difference …"), ending on one ("… the taxpayer's AGI
    and"), or a sentence's last words in lower case ("limitations.")?"""
    first, last = words[0], words[-1]
    if first in _LINKING_WORDS or (len(words) >= 3 and last in _LINKING_WORDS):
        return True
    tail = last.rstrip(".")
    return first[:1].islower() and last.endswith(".") and len(tail) >= 4 and tail.isalpha() \
        and zipf(tail) >= COMMON_WORD_ZIPF


def is_prose_label(text: str) -> bool:
    """Is a first-column cell prose rather than a row name: long, a sentence, a note, a list
    of clauses (semicolons) or a line cut from a sentence?"""
    text = squash(text)
    words = text.split()
    n_words = len(words)
    return (n_words > MAX_STUB_WORDS or bool(_STUB_SENTENCE.match(text))
            or bool(_NOTE_LABEL.match(text)) or bool(_SENTENCE_BREAK.search(text))
            or (n_words >= 5 and ";" in text) or (n_words > 0 and _sentence_piece(words)))


def classify(header: str, *, stub: bool = False, doc: DocumentEvidence = NO_EVIDENCE,
             capitals: bool = False) -> HeaderFeatures:
    """Classify one header cell's text.

    Args:
        header: the cell text.
        stub: the cell is a row label in the first column: only strong evidence counts.
        doc: what the document's text says of the cell's tokens.
        capitals: the cell's column is set in capitals throughout ("COTTON", "RYE", "SSA"):
            a dictionary word there is that word, only other tokens are acronyms.
    """
    kw = core_text(header)
    text = _LEAD_MARKER_RE.sub("", squash(header))
    # "#" trails headers as "number" ("Pick #"), not as a footnote marker.
    footnoted = text != squash(header) or bool(_MARKER_RE.search(text.rstrip("# ")))
    text = _MARKER_RE.sub("", text).strip()
    if stub and is_prose_label(text):
        return HeaderFeatures(kw, "natural", 0.0, ("prose, not a row name",))
    if len(_LEGEND_PAIR.findall(text)) >= 2:
        return HeaderFeatures(kw, "natural", 0.0, ("a legend: it defines its codes",))
    body = _mend_words(_PARENS_RE.sub(" ", text).strip())
    body = _INITIAL.sub("", _YEAR_MARKER.sub("", body))
    body = _FORM_DESIGNATION.sub(r"\1", _ROMAN_AFTER_NAME.sub(_drop_ordinal, body))
    body = _UNIT_TOKENS.sub(" ", _POSSESSIVE.sub("", body)).strip()
    body = _NUMBERED.sub(" ", _DOTTED_CAPS.sub(lambda m: m.group().replace(".", ""), body))
    if stub:
        body = _IDENTIFIER.sub(" ", _DESIGNATION.sub(" ", body)).strip()
    in_parens = _parenthesised_codes(text, doc, letters=stub)
    if any(tok not in kw for _, _, tok in in_parens):
        kw = text  # the code sits in the trailing parentheses core_text cuts
    if not stub and _LETTER_FORMULA.match(text):
        return HeaderFeatures(kw, "letter_codes", 0.9, ("letters of a formula over columns",))
    if not stub and (years := _SHORT_YEARS.match(body)) and \
            (int(years.group(1)) + 1) % 100 == int(years.group(2)):
        return HeaderFeatures(kw, "shortened", 0.8, (f"two-digit year span {body}",))
    if (not body or _NUMERIC_RE.match(body)) and not in_parens:
        return HeaderFeatures(kw, "natural", 0.0, ("empty or numeric",))
    n_words = len(body.split())
    if n_words > MAX_NAME_WORDS or (n_words > 8 and _SENTENCE_BREAK.search(body)):
        # A paragraph or several cells read as one: whatever codes it holds, it is no header
        # name a reader must decode.
        return HeaderFeatures(kw, "natural", 0.0, ("prose, not a name",))
    if any(_is_symbolic(ch) for ch in body) and len(body) <= 12:
        return HeaderFeatures(kw, "symbol", 0.9, ("contains a symbol or Greek letter",))
    if _LETTER_CODE_RE.match(body) and (not stub or any(ch.isdigit() for ch in body)):
        return HeaderFeatures(kw, "letter_codes", 0.9, ("letter code",))
    tokens = _tokens(body)
    found = [(st, why) for st, why, strong in
             (t for t in (_token_style(tok, c, doc, capitals) for tok, c in tokens) if t)
             if strong or not stub] + [(st, why) for st, why, _ in in_parens]
    if not stub:
        found += _elisions(body, tokens)
    if found:
        style = min((s for s, _ in found), key=_STYLE_RANK.__getitem__)
        return HeaderFeatures(kw, style, _STYLE_SCORE[style] - 0.1 * (len(body.split()) > 4),
                              tuple(r for _, r in found))
    words = [t for t, _ in tokens if t.isalpha()]
    if footnoted and len(words) == 1 and not stub:
        # One ordinary word whose scope a footnote sets ("*Other": frames, receivers, …).
        return HeaderFeatures(kw, "shortened", 0.6, ("one-word header with a footnote marker",))
    return HeaderFeatures(kw, "natural", 0.0, ("ordinary words",))
