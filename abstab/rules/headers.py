"""Is a header abstract, and in which style? Features of the header text alone.

Used by the rules judge and to label the abstraction style of QA items. Word frequencies
(wordfreq) tell an ordinary word ("Total", "Discharge") from a code or a clipped form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Footnote markers that may trail a header: *, **, †, ‡, §, superscript digits/letters.
_MARKERS = "*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈ"
_MARKER_RE = re.compile(rf"[{re.escape(_MARKERS)}]+$")
_UNIT_RE = re.compile(r"\s*[\(\[][^()\[\]]{1,30}[\)\]]\s*$")  # trailing "(mg/L)", "[%]"
_NUMERIC_RE = re.compile(r"^[\s\d.,:/%+\-–−]+$")
_LETTER_CODE_RE = re.compile(r"^[A-Z]\d{0,3}[a-z]?$|^[A-Z]{1,2}\d{1,3}$")
_ACRONYM_RE = re.compile(r"^[A-Z][A-Za-z0-9&/\-]*[A-Z0-9][a-z]?$")
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)

COMMON_WORD_ZIPF = 3.0
"""A token at or above this Zipf frequency is an ordinary word (wordfreq scale)."""


@dataclass(frozen=True)
class HeaderFeatures:
    keyword: str  # the header without footnote markers and a trailing unit
    style: str  # natural | letter_codes | acronym | shortened | symbol
    score: float  # how sure the header is abstract (0 for natural)
    reasons: tuple[str, ...]


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), "en"))


def core_text(header: str) -> str:
    """The header without trailing footnote markers and a trailing parenthesised unit."""
    text = " ".join(header.split())
    text = _MARKER_RE.sub("", text).strip()
    stripped = _UNIT_RE.sub("", text).strip()
    text = stripped or text
    return _MARKER_RE.sub("", text).strip()


def _is_symbolic(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat in ("Sm", "So", "Sc"):
        return True
    return cat.startswith("L") and "GREEK" in unicodedata.name(ch, "")


def classify(header: str) -> HeaderFeatures:
    """Classify one header cell's text."""
    kw = core_text(header)
    if not kw or _NUMERIC_RE.match(kw):
        return HeaderFeatures(kw, "natural", 0.0, ("empty or numeric",))
    if any(_is_symbolic(ch) for ch in kw) and len(kw) <= 12:
        return HeaderFeatures(kw, "symbol", 0.9, ("contains a symbol or Greek letter",))
    tokens = kw.split()
    if len(tokens) == 1:
        tok = tokens[0]
        if _LETTER_CODE_RE.match(tok):
            return HeaderFeatures(kw, "letter_codes", 0.9, ("letter code",))
        if tok.endswith(".") and len(tok) <= 8:
            return HeaderFeatures(kw, "shortened", 0.85, ("clipped word ending in '.'",))
        if _ACRONYM_RE.match(tok) and sum(c.isupper() for c in tok) >= 2:
            plain = re.sub(r"[^A-Za-z]", "", tok)
            if len(plain) >= 4 and zipf(plain) >= COMMON_WORD_ZIPF + 1:
                return HeaderFeatures(kw, "natural", 0.0, ("upper-case common word",))
            return HeaderFeatures(kw, "acronym", 0.85, ("upper-case acronym",))
    # Several tokens (or one lower/title-case token): look at each word.
    words = _WORD_RE.findall(kw)
    if not words:
        return HeaderFeatures(kw, "natural", 0.0, ("no letters",))
    clipped = [t for t in tokens if t.endswith(".") and len(t.rstrip(".")) >= 2
               and t.rstrip(".").isalpha() and zipf(t.rstrip(".")) < COMMON_WORD_ZIPF + 1.5]
    if clipped:
        return HeaderFeatures(kw, "shortened", 0.8, (f"clipped word(s) {' '.join(clipped)}",))
    acronyms = [w for w in words if len(w) >= 2 and w.isupper()
                and not (len(w) >= 4 and zipf(w) >= COMMON_WORD_ZIPF + 1)]
    if acronyms and len(acronyms) * 2 >= len(words):
        return HeaderFeatures(kw, "acronym", 0.7, (f"acronym(s) {' '.join(acronyms)}",))
    rare = [w for w in words if len(w) > 1 and not w.isupper() and zipf(w) < COMMON_WORD_ZIPF - 0.5]
    if rare and len(rare) * 2 >= len(words) and all(len(w) <= 6 for w in rare):
        return HeaderFeatures(kw, "shortened", 0.6, (f"rare short word(s) {' '.join(rare)}",))
    return HeaderFeatures(kw, "natural", 0.0, ("ordinary words",))
