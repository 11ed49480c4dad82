"""Answer normalization and number parsing, shared by the metrics and the QA generator.

``normalize_answer`` is SQuAD/DROP-style normalization made number-aware: numbers keep their sign
and decimal point, lose their thousands separators and trailing decimal zeros, and every other
punctuation mark goes. ``parse_number`` reads the one number in a short answer the way report
tables write it (``12,450``, ``(3.2)``, ``−0.8``, ``45%``, ``1.2 million``, ``EUR 12k``,
``△1,234``), so the generator can fill ``Answer.value`` with the same reading the metrics use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from abstab.text import squash

__all__ = [
    "ARTICLES",
    "MULTIPLIERS",
    "ParsedNumber",
    "find_numbers",
    "is_cjk_char",
    "normalize_answer",
    "parse_number",
    "parse_number_detail",
    "prepare",
    "scale_factor",
    "squash",
    "tokenize",
]

ARTICLES: frozenset[str] = frozenset({"a", "an", "the"})
"""Dropped as whole tokens by :func:`normalize_answer` (English only, as in SQuAD)."""

# Minus-like characters that mean "minus" in numbers: U+2212 MINUS SIGN, U+FE63 SMALL HYPHEN-MINUS,
# U+FF0D FULLWIDTH HYPHEN-MINUS (NFKC already maps the last two, listed for clarity).
# En and em dashes are not included: in tables they mean ranges ("2010–2012") or "nil".
_MINUS = str.maketrans({"\u2212": "-", "\ufe63": "-", "\uff0d": "-"})

# Thousands separated by a thin or narrow no-break space (SI style "12 450"), removed before NFKC
# turns those spaces into ordinary ones. A plain space is ambiguous ("12 450" may be two numbers).
_THIN_SEP = re.compile(r"(?<=\d)[\u2009\u202f](?=\d{3}(?!\d))")
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d])")

# Characters removed without leaving a space (so "U.S." -> "us", "don't" -> "dont"); every other
# punctuation or symbol character (Unicode categories P* and S*) becomes a space.
_DELETE = frozenset(".'`\u2018\u2019")

# A number inside normalized text, not glued to a preceding letter ("q3", "co2" stay words); the
# minus counts as a sign only at the start of a token ("2010-2012" is two numbers, "x -5" is -5).
_NORM_NUMBER = re.compile(r"(?<![0-9a-z_.])(?P<sign>-)?(?P<int>\d+)(?:\.(?P<frac>\d+))?(?!\.?\d)")

_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana (with ー)
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7AF),  # Hangul Syllables
    (0xD7B0, 0xD7FF),  # Hangul Jamo Extended-B
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),  # Halfwidth Katakana (NFKC maps them to full width)
    (0x20000, 0x323AF),  # CJK Unified Ideographs Extensions B-H, Compatibility Supplement
)


def is_cjk_char(ch: str) -> bool:
    """Whether ``ch`` is a Han, Hiragana, Katakana or Hangul character (one token each)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def prepare(text: str) -> str:
    """The common first step: NFKC, one minus sign, lowercase, no thousands separators.

    Args:
        text: raw answer text.

    Returns:
        The text with thin-space and comma thousands separators removed ("12,450" -> "12450"),
        NFKC-normalized (full-width digits and punctuation become ASCII), U+2212 minus turned
        into "-", and lowercased.
    """
    text = _THIN_SEP.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_MINUS).lower()
    return _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)


def _canonical_number(m: re.Match[str]) -> str:
    integer, frac = m.group("int"), (m.group("frac") or "").rstrip("0")
    body = f"{integer}.{frac}" if frac else integer
    if m.group("sign") and body.strip("0.") != "":  # "-0" and "-0.0" are "0"
        body = "-" + body
    return f" {body} "


def _strip_punctuation(text: str) -> str:
    out = []
    for ch in text:
        if ch in _DELETE:
            continue
        out.append(" " if unicodedata.category(ch)[0] in "PS" else ch)
    return "".join(out)


def normalize_answer(text: str) -> str:
    """Normalize an answer for exact match and token F1.

    Steps: :func:`prepare` (NFKC, U+2212 -> "-", lowercase, thousands separators removed);
    numbers written canonically (sign kept, trailing decimal zeros dropped: "4.50" -> "4.5",
    "12.0" -> "12"); other punctuation and symbols removed ("." and apostrophes deleted, the
    rest turned into spaces, so "45%" -> "45" and "state-owned" -> "state owned"); the articles
    a/an/the dropped; whitespace collapsed, and removed between two CJK characters.

    Args:
        text: an answer or prediction.

    Returns:
        The normalized string; '' for text with no words or numbers.
    """
    text = prepare(text)
    pieces, pos = [], 0
    for m in _NORM_NUMBER.finditer(text):
        pieces.append(_strip_punctuation(text[pos : m.start()]))
        pieces.append(_canonical_number(m))
        pos = m.end()
    pieces.append(_strip_punctuation(text[pos:]))
    tokens = [t for t in "".join(pieces).split() if t not in ARTICLES]
    out = ""
    for tok in tokens:
        if out and not (is_cjk_char(out[-1]) and is_cjk_char(tok[0])):
            out += " "
        out += tok
    return out


def tokenize(text: str) -> list[str]:
    """Tokens of :func:`normalize_answer` ``(text)``; each CJK character is its own token.

    Args:
        text: an answer or prediction.

    Returns:
        e.g. ``tokenize("東京都, 2012年")`` -> ``["東", "京", "都", "2012", "年"]``.
    """
    tokens: list[str] = []
    for word in normalize_answer(text).split():
        run = ""
        for ch in word:
            if is_cjk_char(ch):
                if run:
                    tokens.append(run)
                    run = ""
                tokens.append(ch)
            else:
                run += ch
        if run:
            tokens.append(run)
    return tokens


# ------------------------------------------------------------------------------- numbers

MULTIPLIERS: dict[str, float] = {
    "k": 1e3, "thousand": 1e3, "thousands": 1e3, "千": 1e3,
    "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "bln": 1e9, "billion": 1e9, "billions": 1e9,
    "tn": 1e12, "trillion": 1e12, "trillions": 1e12,
    "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7,
    "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8,
}
"""Scale words after a number. With a currency ("$3m", "EUR 2 b", "3m USD") the letters k, m and
b are multipliers; without one only "k" written against the number is ("12k"): "5m" is
usually five metres."""

_SCALES: dict[str, float] = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9,
    "trillion": 1e12, "trillions": 1e12, "tn": 1e12,
    "percent": 100.0, "per cent": 100.0, "pct": 100.0, "%": 100.0,
    "hundred": 100.0, "lakh": 1e5, "crore": 1e7,
    "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "千": 1e3,
}

_CURRENCY_CODES = (
    "usd|eur|gbp|jpy|cny|rmb|chf|inr|krw|aud|cad|hkd|sgd|nzd|sek|nok|dkk|brl|zar|rub|twd|rs"
)
_CURRENCY = rf"(?:(?<![a-z])[a-z]{{0,2}}\$|[€£¥₹₩¤]|(?<![a-z])(?:{_CURRENCY_CODES})\b\.?)"
_CODE_ATTACHED = re.compile(rf"(?<![a-z])({_CURRENCY_CODES})(\.?)(?=\d)")

_PARSE_NUMBER = re.compile(
    r"(?<![0-9a-z_.])(?P<num>(?:\d+(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?)(?!\.?\d)"
)
_SIGN = r"(?<![0-9a-z])[-+△▲]"  # not after a digit or letter: "2010-2012" is a range
_BEFORE = re.compile(
    rf"(?P<paren>\()?\s*(?P<s1>{_SIGN})?\s*(?P<cur>{_CURRENCY})?\s*(?P<s2>{_SIGN})?\s*\Z"
)
_WORD_MULT = re.compile(
    r"\s*(?P<mult>thousands?|millions?|billions?|trillions?|mn|mln|bn|bln|tn|lakhs?|crores?"
    r"|千|万|萬|亿|億)(?![a-z])"
)
_LETTER_MULT = re.compile(r"(?P<space>\s*)(?P<mult>[kmb])(?![a-z])")
_CURRENCY_AFTER = re.compile(rf"\s*(?:{_CURRENCY_CODES})\b")
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|pct\b)")
_CLOSE = re.compile(r"\s*(?:" + _CURRENCY + r"\s*)?\)")


@dataclass(frozen=True)
class ParsedNumber:
    """One number read from text, with what was written around it.

    Attributes:
        value: the number with sign and multiplier applied ("(1.2 million)" -> -1200000.0);
            a percentage keeps its written value ("45%" -> 45.0).
        percent: it was written with %, "percent", "per cent" or "pct".
        multiplier: the factor of a scale word ("million" -> 1e6), 1.0 without one.
        currency: it was written with a currency symbol or code.
    """

    value: float
    percent: bool = False
    multiplier: float = 1.0
    currency: bool = False


def _numbers(text: str) -> Iterator[ParsedNumber]:
    text = _CODE_ATTACHED.sub(r"\1\2 ", prepare(text))
    for m in _PARSE_NUMBER.finditer(text):
        value = float(m.group("num"))
        before = _BEFORE.search(text, 0, m.start())
        assert before is not None  # every group is optional
        currency = before.group("cur") is not None
        pos = m.end()
        multiplier = 1.0
        wm = _WORD_MULT.match(text, pos)
        lm = _LETTER_MULT.match(text, pos)
        if wm:
            multiplier, pos = MULTIPLIERS[wm.group("mult")], wm.end()
        elif lm:
            currency = currency or _CURRENCY_AFTER.match(text, lm.end()) is not None
            if currency or (lm.group("mult") == "k" and not lm.group("space")):
                multiplier, pos = MULTIPLIERS[lm.group("mult")], lm.end()
        pm = _PERCENT.match(text, pos)
        if pm:
            pos = pm.end()
        negative = any(before.group(g) in ("-", "△", "▲") for g in ("s1", "s2"))
        if before.group("paren"):
            close = _CLOSE.match(text, pos)
            if close:
                negative, pos = True, close.end()
        value *= multiplier
        yield ParsedNumber(
            (-value if negative else value) + 0.0,  # + 0.0 turns -0.0 into 0.0
            percent=pm is not None,
            multiplier=multiplier,
            currency=currency,
        )


def find_numbers(text: str) -> list[float]:
    """Every number in ``text``, read as :func:`parse_number` reads one.

    Args:
        text: any text.

    Returns:
        The values in order of appearance; digits inside words ("Q3", "CO2") and dotted
        section numbers ("1.2.3") are not numbers.
    """
    return [n.value for n in _numbers(text)]


def parse_number_detail(text: str) -> ParsedNumber | None:
    """Like :func:`parse_number`, with the percent sign, multiplier and currency it saw."""
    found = list(_numbers(text))
    return found[0] if len(found) == 1 else None


def parse_number(text: str) -> float | None:
    """The value of the single number in a short answer, as report tables write numbers.

    Reads thousands separators ("12,450"), decimals ("4.5", ".5", "1e6"), the minus sign in
    every form ("-0.8", U+2212 "−0.8", full-width), accounting negatives ("(3.2)", and the
    Japanese "△3.2" / "▲3.2"), percentages ("45%" -> 45.0, not 0.45), scale words
    ("1.2 million", "3 bn", "12k", "$3m", "1.5万") and currencies ("EUR 12k", "$1,200").

    Args:
        text: an answer, a prediction or a table cell.

    Returns:
        The value, or None when the text holds no number or more than one (an answer such as
        "12 in 2012" or "3-5" is ambiguous; use :func:`find_numbers` to see them all).
    """
    found = parse_number_detail(text)
    return found.value if found else None


def scale_factor(scale: str | None) -> float | None:
    """The factor of an ``Answer.scale`` ("thousand" -> 1e3, "percent" -> 100), None if unknown.

    Args:
        scale: the scale name; case, spaces, a leading "in " and a plural "s" are ignored.

    Returns:
        The factor, or None for no scale or a scale name not known here.
    """
    if not scale:
        return None
    key = unicodedata.normalize("NFKC", scale).strip().lower().removeprefix("in ").strip()
    return _SCALES.get(key, _SCALES.get(key.removesuffix("s")))
