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
- dotted initials read as one short form (``U.S.`` is ``US``, a known short form), and a
  number with a capital suffix is a form number (``Form 1040NR``);
- an acronym in parentheses counts (``Poverty Rate (from SAIPE)``) unless the words before it
  spell it (``Bridge Investment Program (BIP)``: the cell gives its own meaning); other
  parenthesised words are units or qualifiers (``(in lakhs)``, ``(Assured)``), and a letter
  alone in parentheses names a column (``(a)``) — in a row label a capital one is a code
  (``Gillett (R)``).

With ``stub=True`` (a row label in a table's first column) only evidence that holds in a column
of names counts: acronyms, clipped words with a full stop, standard abbreviations, vowel-less
forms; a rare short or capitalised word there is far more often a name (``Goa``, ``Gohmert``),
a single letter an initial or a row's name (``Zone B``) and a letter–digit designation a model
or item name (``Heron HX-40``). A row
label of prose (a note, a sentence) is no name at all.

A :class:`DocumentEvidence` brings the document's own text in: a short form it keys ("ASK =
available seat kilometers", "Bridge Investment Program (BIP)") is an acronym even when it spells
a common word; an all-capitals token of three or more letters it writes elsewhere as a word
("Odisha") is that word set in capitals, for acronyms are written in capitals wherever they
occur.

Word frequencies (wordfreq, Zipf scale) tell an ordinary word ("Total", "Discharge") from a code
or a clipped form; thresholds rise for short tokens, which are more often cut-downs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from abstab.core.expand import ABBREVIATIONS, word_readings
from abstab.core.normalize import squash
from abstab.core.words import zipf

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
    "kwh", "mwh", "gwh", "cwt", "bbl", "psi"
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
_DOTTED_CAPS = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S., U.K.: initials read as one short form
# Model and item designations ("HX-40", "V3", "I-95"): in a row label they name the row, as a
# product or road name does; they stand for no words a reader must find.
_DESIGNATION = re.compile(r"\b[A-Z]{1,4}-?\d+[A-Za-z]?\b")
# Form numbers led by digits ("Form 1040NR", "1040EZ"): a number with a suffix, not a code.
_NUMBERED = re.compile(r"\b\d{3,}[A-Z]{1,3}\b")
_PAREN_CONTENT = re.compile(r"[\(\[（]([^()\[\]（）]*)[\)\]）]")

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
    """

    words: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()


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


def _token_style(tok: str, clipped: bool, doc: DocumentEvidence = NO_EVIDENCE
                 ) -> tuple[str, str, bool] | None:
    """(style, reason, strong) when one token is abstract, else None. ``strong``: the evidence
    holds in a column of names too (see the module docstring)."""
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
            return None
        if tok.isupper() and n >= 3 and low in doc.words:
            return None  # the document writes it as a word: capitals are emphasis here
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


def is_prose_label(text: str) -> bool:
    """Is a first-column cell prose rather than a row name: long, a sentence, a note, or a
    list of clauses (semicolons)?"""
    text = squash(text)
    n_words = len(text.split())
    return (n_words > MAX_STUB_WORDS or bool(_STUB_SENTENCE.match(text))
            or bool(_NOTE_LABEL.match(text)) or bool(_SENTENCE_BREAK.search(text))
            or (n_words >= 5 and ";" in text))


def classify(header: str, *, stub: bool = False,
             doc: DocumentEvidence = NO_EVIDENCE) -> HeaderFeatures:
    """Classify one header cell's text.

    Args:
        header: the cell text.
        stub: the cell is a row label in the first column: only strong evidence counts.
        doc: what the document's text says of the cell's tokens.
    """
    kw = core_text(header)
    text = _LEAD_MARKER_RE.sub("", squash(header))
    # "#" trails headers as "number" ("Pick #"), not as a footnote marker.
    footnoted = text != squash(header) or bool(_MARKER_RE.search(text.rstrip("# ")))
    text = _MARKER_RE.sub("", text).strip()
    if stub and is_prose_label(text):
        return HeaderFeatures(kw, "natural", 0.0, ("prose, not a row name",))
    body = _PARENS_RE.sub(" ", text).strip()
    body = _UNIT_TOKENS.sub(" ", _POSSESSIVE.sub("", body)).strip()
    body = _NUMBERED.sub(" ", _DOTTED_CAPS.sub(lambda m: m.group().replace(".", ""), body))
    if stub:
        body = _DESIGNATION.sub(" ", body).strip()
    in_parens = _parenthesised_codes(text, doc, letters=stub)
    if any(tok not in kw for _, _, tok in in_parens):
        kw = text  # the code sits in the trailing parentheses core_text cuts
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
    found = [(st, why) for st, why, strong in
             (t for t in (_token_style(tok, c, doc) for tok, c in _tokens(body)) if t)
             if strong or not stub] + [(st, why) for st, why, _ in in_parens]
    if found:
        style = min((s for s, _ in found), key=_STYLE_RANK.__getitem__)
        return HeaderFeatures(kw, style, _STYLE_SCORE[style] - 0.1 * (len(body.split()) > 4),
                              tuple(r for _, r in found))
    words = [t for t, _ in _tokens(body) if t.isalpha()]
    if footnoted and len(words) == 1 and not stub:
        # One ordinary word whose scope a footnote sets ("*Other": frames, receivers, …).
        return HeaderFeatures(kw, "shortened", 0.6, ("one-word header with a footnote marker",))
    return HeaderFeatures(kw, "natural", 0.0, ("ordinary words",))
