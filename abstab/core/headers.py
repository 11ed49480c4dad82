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
- a one-word header carrying a footnote marker (``*Other``) is defined by its footnote.

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
# Tokens: acronyms with a plural s (RSUs), upper-case runs, camelCase words, digits.
_TOKEN_RE = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+")
_SEPARATORS = re.compile(r"[\s_\-/&+,;:|]+")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
# Money and scale units ("€m", "$’000", "US$ million") and period codes ("Q4", "FY2019",
# "1st"): read as units and dates, never as codes.
_UNIT_TOKENS = re.compile(
    r"(?:\b[A-Z]{0,3})?[$€£¥₹]\s*(?:['’]?000|mn|m|bn|b|k|million|billion|thousand)?\b"
    r"|\b(?:Q[1-4]|H[12]|FY\s?\d{2,4}|\d+(?:st|nd|rd|th))\b", re.IGNORECASE)
# Units of measure, with an optional power (km2).
_MEASURE_UNITS = frozenset([
    "km", "m", "cm", "mm", "kg", "g", "mg", "ug", "lb", "lbs", "oz", "ft", "in", "mi", "sq",
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


def _token_style(tok: str, clipped: bool) -> tuple[str, str] | None:
    """(style, reason) when one token is abstract, else None."""
    if tok.isdigit():
        return None
    low = tok.lower()
    if low in _KNOWN_SHORT or low in _FUNCTION_WORDS:
        return None
    if re.fullmatch(r"[a-z]{1,3}\d?", low) and re.sub(r"\d", "", low) in _MEASURE_UNITS:
        return None
    if _CODE_TOKEN_RE.match(tok):
        return "letter_codes", f"letter-digit code {tok}"
    if not tok.isalpha():
        return None
    n = len(tok)
    if n == 1:
        return "letter_codes", f"single letter {tok}"
    plural_acronym = n >= 3 and tok[:-1].isupper() and tok[-1] == "s"
    word = low[:-1] if plural_acronym else low
    if clipped and (n <= 3 or zipf(word) < _CLIPPED_WORD_ZIPF):
        return "shortened", f"clipped word {tok}."
    if word in ABBREVIATIONS and ABBREVIATIONS[word][0] != word and \
            (n <= 2 or zipf(word) < _STANDARD_ABBR_ZIPF):
        style = "acronym" if tok.isupper() else "shortened"
        return style, f"standard abbreviation {tok} ({ABBREVIATIONS[word][0]})"
    if tok.isupper() or plural_acronym:
        if zipf(word) >= _CAPS_WORD_ZIPF.get(len(word), _LONG_WORD_ZIPF - 0.5):
            return None
        return "acronym", f"acronym {tok}"
    if zipf(word) >= _WORD_ZIPF.get(n, _LONG_WORD_ZIPF):
        return None
    vowels = sum(ch in _VOWELS for ch in word) / n
    if n <= 5 or vowels < 0.3:
        return "shortened", f"rare {'short' if n <= 5 else 'vowel-less'} token {tok}"
    full = _expansion(low)
    if full:
        return "shortened", f"cut-down of {full!r}: {tok}"
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


def classify(header: str) -> HeaderFeatures:
    """Classify one header cell's text."""
    kw = core_text(header)
    text = _LEAD_MARKER_RE.sub("", squash(header))
    # "#" trails headers as "number" ("Pick #"), not as a footnote marker.
    footnoted = text != squash(header) or bool(_MARKER_RE.search(text.rstrip("# ")))
    text = _MARKER_RE.sub("", text).strip()
    body = _PARENS_RE.sub(" ", text).strip()
    body = _UNIT_TOKENS.sub(" ", _POSSESSIVE.sub("", body)).strip()
    if not body or _NUMERIC_RE.match(body):
        return HeaderFeatures(kw, "natural", 0.0, ("empty or numeric",))
    n_words = len(body.split())
    if n_words > MAX_NAME_WORDS or (n_words > 8 and _SENTENCE_BREAK.search(body)):
        # A paragraph or several cells read as one: whatever codes it holds, it is no header
        # name a reader must decode.
        return HeaderFeatures(kw, "natural", 0.0, ("prose, not a name",))
    if any(_is_symbolic(ch) for ch in body) and len(body) <= 12:
        return HeaderFeatures(kw, "symbol", 0.9, ("contains a symbol or Greek letter",))
    if _LETTER_CODE_RE.match(body):
        return HeaderFeatures(kw, "letter_codes", 0.9, ("letter code",))
    found = [s for s in (_token_style(t, c) for t, c in _tokens(body)) if s]
    if found:
        style = min((s for s, _ in found), key=_STYLE_RANK.__getitem__)
        return HeaderFeatures(kw, style, _STYLE_SCORE[style] - 0.1 * (len(body.split()) > 4),
                              tuple(r for _, r in found))
    words = [t for t, _ in _tokens(body) if t.isalpha()]
    if footnoted and len(words) == 1:
        # One ordinary word whose scope a footnote sets ("*Other": frames, receivers, …).
        return HeaderFeatures(kw, "shortened", 0.6, ("one-word header with a footnote marker",))
    return HeaderFeatures(kw, "natural", 0.0, ("ordinary words",))
