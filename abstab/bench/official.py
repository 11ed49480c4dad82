"""The scoring rules of the official TAT-QA and WikiTableQuestions evaluators, reimplemented.

Both are rewritten from reading the official scripts (not copied), rule by rule, so that abstab's
numbers equal theirs on the same predictions; ``tests/test_official_eval.py`` pins cases worked
out by hand from those rules and ``benchmarks/bench_tatqa.py`` / ``bench_wtq.py`` compare whole
runs against the official code itself.

TAT-QA (NExTplusplus/TAT-QA ``tatqa_eval.py``, ``tatqa_metric.py``, ``tatqa_utils.py``):

- the gold answers are joined into ONE string: the items are sorted, each number is rewritten
  as ``'%.4f' % (round(n, 2) * scale)`` (scale thousand 1e3, million 1e6, billion 1e9,
  percent 0.01; a number written with "%" is divided by 100 instead), each non-number gets the
  scale word appended, and the pieces are joined by spaces; the prediction likewise with its
  own scale, plus, when it is a single number without a scale or "%", a second reading as a
  plain number (so "0.2342" matches 23.42 percent);
- normalisation splits on single spaces; a token that reads as a number ("$1,452.4",
  "(3.2)", "12%", "1.2 million") keeps its punctuation and is rewritten as ``str`` of its value
  rounded to 4 places; other tokens lose ASCII punctuation; articles go;
- EM is equality of the normalised strings; F1 is the F1 of the two token *sets*, rounded to 2
  places; for arithmetic and count questions F1 is set to EM; an empty prediction scores 0;
- over several prediction readings the best ``(em, f1)`` pair (compared as a tuple) wins.

WikiTableQuestions (ppasupat/WikiTableQuestions ``evaluator.py``, Python 2):

- each answer item becomes a value: a number if ``int()`` or ``float()`` reads it (not NaN or
  infinite), a date if it is ``yyyy-mm-dd`` with ``xx`` placeholders (a year alone becomes a
  number), else a string; the lists become *sets* of values;
- strings are normalised (diacritics dropped, smart quotes and dashes made ASCII, trailing
  citations ``[1]``/``*``/``†`` and trailing parentheticals removed, outer quotes and a final
  "." removed, lowercase, whitespace collapsed);
- a prediction is correct iff the two sets have the same size and every target matches some
  predicted value: equal normalised strings, or numbers within 1e-6, or equal dates.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TATQA_SCALES",
    "WtqValue",
    "check_denotation",
    "split_items",
    "tatqa_em_f1",
    "tatqa_gold_answers",
    "tatqa_normalize_answer",
    "tatqa_prediction",
    "tatqa_split_scale",
    "tatqa_to_number",
    "wtq_normalize",
    "wtq_to_value",
    "wtq_to_values",
]

TATQA_SCALES: tuple[str, ...] = ("", "thousand", "million", "billion", "percent")
"""The scales TAT-QA annotates (``question["scale"]``)."""

# ------------------------------------------------------------------------------ TAT-QA


def _scale_to_num(scale: str) -> float:
    # The official rule tests substrings in this order, so "thousands" and "in millions" count.
    scale = scale.lower()
    for word, num in (("hundred", 100), ("thousand", 1000), ("million", 1000000),
                      ("billion", 1000000000), ("percent", 0.01)):
        if word in scale:
            return num
    return 1


_NUM_CHARS_DROPPED = frozenset("'\"\\$€£¥%(),[]")
_ONE_NUM = re.compile(r"([+-]?\d+(\.\d+)?)|([+-]?\.\d+)")


def _clean_num(text: str) -> str:
    return "".join(ch for ch in str(text) if ch not in _NUM_CHARS_DROPPED)


def _extract_one_num(text: str) -> int | float | None:
    groups = _ONE_NUM.findall(_clean_num(text))
    # Only the first alternative counts: ".5" alone yields '' there and is no number.
    if not groups or groups[0][0] == "":
        return None
    num = groups[0][0]
    return float(num) if "." in num else int(num)


def _is_number(text: str) -> bool:
    words = " ".join(_clean_num(w) for w in text.split()).split()
    if not words:
        return False
    try:
        num = float(words[0])
    except ValueError:
        return False
    if math.isnan(num):
        return False
    # "12 million" is a number, "12 apples" is not.
    return not (len(words) >= 2 and _scale_to_num(words[1]) == 1)


def tatqa_to_number(text: str) -> int | float | None:
    """A number as TAT-QA reads it: first number, times a scale word, "(x)" negative, "x%" / 100.

    Args:
        text: an answer token or string.

    Returns:
        The value rounded to 4 places (an int stays an int), or None without a number.
    """
    num = _extract_one_num(text)
    if num is None:
        return None
    scale: float = 1  # an int, as the official rule: "5" stays "5", not "5.0"
    m = re.search(r"([\d.]+\s?[a-zA-Z]+)", text)
    if m:
        scale = _scale_to_num(m.group(0).lower())
    negative = -1 if re.findall(r"(\([\d.\s]+\))", text.strip()) else 1
    percent = 0.01 if re.findall(r"([\d.\s]+%)", text.strip()) else 1
    return round(num * scale * negative * percent, 4)


_PUNCT = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def tatqa_normalize_answer(text: str) -> str:
    """TAT-QA's ``normalize_answer``: per space-separated token, lowercase, drop punctuation
    unless the token is a number, rewrite numbers as ``str(value)``, drop articles."""
    parts = []
    for token in text.split(" "):
        token = token.lower()
        if not _is_number(token):
            token = "".join(ch for ch in token if ch not in _PUNCT)
        if _is_number(token):
            token = str(tatqa_to_number(token))
        token = " ".join(_ARTICLES.sub(" ", token).split())
        if token.strip():
            parts.append(token)
    return " ".join(parts).strip()


def _answer_string(answers: Sequence[Any], scale: str) -> str:
    pieces = []
    for ans in sorted(answers):
        text = str(ans)
        if _is_number(text):
            num = tatqa_to_number(text)
            if num is None:
                text = f"{text} {scale}" if scale else text
            elif "%" in text:
                text = f"{num:.4f}"
            else:
                text = f"{round(num, 2) * _scale_to_num(scale):.4f}"
        elif scale:
            text = f"{text} {scale}"
        pieces.append(text)
    return " ".join(pieces)


def _em_f1(predicted: str, gold: str) -> tuple[float, float]:
    import numpy as np  # the official F1 is rounded by numpy; Python's round differs at ties

    pred_norm, gold_norm = tatqa_normalize_answer(predicted), tatqa_normalize_answer(gold)
    em = 1.0 if pred_norm == gold_norm else 0.0
    pred_bag, gold_bag = set(pred_norm.split()), set(gold_norm.split())
    common = len(pred_bag & gold_bag)
    precision = common / len(pred_bag) if pred_bag else 1.0
    recall = common / len(gold_bag) if gold_bag else 1.0
    f1 = 0.0 if precision == 0.0 and recall == 0.0 else 2 * precision * recall / (precision + recall)
    return em, float(np.round(np.float64(f1), 2))


def tatqa_gold_answers(answer: Any, answer_type: str) -> list[str]:
    """The gold strings of a TAT-QA question (``extract_gold_answers``).

    Args:
        answer: the question's ``answer`` field (a list for span/multi-span, else a number).
        answer_type: span, multi-span, arithmetic or count.

    Returns:
        The list as given for spans, ``[str(answer)]`` for arithmetic, ``[str(int(answer))]``
        for count.
    """
    if answer_type in ("span", "multi-span"):
        if not isinstance(answer, list):
            raise ValueError(f"a {answer_type} answer must be a list, got {answer!r}")
        return [str(a) for a in answer]
    if answer_type == "count":
        return [str(int(answer))]
    return [str(answer)]


def tatqa_em_f1(prediction: str | Sequence[str] | None, pred_scale: str, gold_answer: Any,
                answer_type: str, gold_scale: str) -> tuple[float, float]:
    """Exact match and F1 of one prediction, by the official TAT-QA rules.

    Args:
        prediction: the predicted answer, a string or a list of spans; '' / None / [] score 0.
        pred_scale: the predicted scale ('' when the scale is written in the answer, as
            "1,234 thousand" or "12%", or when there is none).
        gold_answer: the question's ``answer`` field.
        answer_type: span, multi-span, arithmetic or count.
        gold_scale: the question's ``scale``.

    Returns:
        ``(em, f1)``, each in [0, 1]; F1 is rounded to 2 places and equals EM for arithmetic
        and count questions.
    """
    if not prediction:
        return 0.0, 0.0
    golds = tatqa_gold_answers(gold_answer, answer_type)
    if not golds:
        return 0.0, 0.0
    gold_string = _answer_string(golds, gold_scale)
    preds = [prediction] if isinstance(prediction, str) else list(prediction)
    readings = [_answer_string(preds, pred_scale)]
    if len(preds) == 1:
        single = str(preds[0])
        if not pred_scale and "%" not in single and _is_number(single):
            num = tatqa_to_number(single)
            if num is not None:
                readings.append(f"{num:.4f}")
    em, f1 = max(_em_f1(r, gold_string) for r in readings)
    if answer_type in ("arithmetic", "count"):
        f1 = em
    return em, f1


_SCALE_WORDS = {"thousand": "thousand", "thousands": "thousand", "million": "million",
                "millions": "million", "mn": "million", "mln": "million", "billion": "billion",
                "billions": "billion", "bn": "billion", "percent": "percent",
                "per cent": "percent", "%": "percent"}
_SCALE_TAIL = re.compile(
    r"^(?P<answer>.*\d[\d.,]*\)?)\s*(?P<scale>thousands?|millions?|mn|mln|billions?|bn|percent"
    r"|per cent|%)(?:\s*(?:dollars?|usd|euros?|eur|pounds?|gbp|yen|jpy|rmb|cny))?\s*\.?$",
    re.IGNORECASE)


def tatqa_split_scale(answer: str) -> tuple[str, str]:
    """A reader's answer as a TAT-QA model outputs it: ``(answer, scale)``.

    TAT-QA models predict the number and its scale apart; readers write "$(426) thousand" or
    "12.5%". A trailing scale word (thousand, million, billion, percent, "%", with plurals,
    "mn"/"bn" and a currency word after it: "426 thousand dollars") is split off when what is
    left is one number, so "$(426) thousand" scores as ``("$(426)", "thousand")`` (-426
    thousand), as the official evaluator scores a model's pair.

    Args:
        answer: one answer item.

    Returns:
        ``(number as written, scale)``, or ``(answer, "")`` when there is no such scale word.
    """
    m = _SCALE_TAIL.match(answer.strip())
    if m is None:
        return answer, ""
    number = m.group("answer").strip()
    if not _is_number(number) or len(_ONE_NUM.findall(_clean_num(number))) != 1:
        return answer, ""
    return number, _SCALE_WORDS[m.group("scale").lower()]


def tatqa_prediction(prediction: str) -> tuple[str | list[str], str]:
    """The ``(answer, scale)`` pair a TAT-QA model would output for a reader's answer text.

    List items (joined by "|") are split off one by one with :func:`tatqa_split_scale`; they
    share one scale, as a model's do, so items with different scale words keep them written
    in (scale '').

    Args:
        prediction: the answer text.

    Returns:
        The answer (a string, or a list for several items) and its scale.
    """
    items = split_items(prediction)
    pairs = [tatqa_split_scale(i) for i in items]
    scales = {scale for _, scale in pairs}
    if len(scales) == 1:
        answers, scale = [a for a, _ in pairs], scales.pop()
    else:
        answers, scale = items, ""
    return (answers if len(answers) > 1 else answers[0]), scale


def split_items(prediction: str) -> list[str]:
    """A list answer's items: abstab writes lists as items joined by "|" (as WTQ's TSV does).

    Args:
        prediction: an answer text.

    Returns:
        The stripped items; ``[prediction.strip()]`` when there is no "|".
    """
    return [p.strip() for p in prediction.split("|")] if "|" in prediction else [prediction.strip()]


# --------------------------------------------------------------------- WikiTableQuestions

_CITATIONS = re.compile(r"((?<!^)\[[^\]]*\]|\[\d+\]|[•♦†‡*#+])*$", re.ASCII)  # py2: \d is ASCII
_PAREN_DETAILS = re.compile(r"(?<!^)( \([^)]*\))*$")
_OUTER_QUOTES = re.compile(r'^"([^"]*)"$')


def wtq_normalize(x: str) -> str:
    """The official evaluator's ``normalize``: diacritics, quotes, dashes, citations, trailing
    parentheticals, outer quotes, final period, case and whitespace."""
    x = "".join(c for c in unicodedata.normalize("NFKD", x) if unicodedata.category(c) != "Mn")
    x = re.sub(r"[‘’´`]", "'", x)
    x = re.sub(r"[“”]", '"', x)
    x = re.sub(r"[‐‑‒–—−]", "-", x)
    while True:
        old = x
        x = _CITATIONS.sub("", x.strip())
        x = _PAREN_DETAILS.sub("", x.strip())
        x = _OUTER_QUOTES.sub(r"\1", x.strip())
        if x == old:
            break
    if x and x[-1] == ".":
        x = x[:-1]
    return re.sub(r"\s+", " ", x).lower().strip()


def _py2_int(text: str) -> int | None:
    # Python 3's int() and float() accept "1_000"; Python 2's, which the evaluator runs on, do not.
    if "_" in text:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _parse_number(text: str) -> int | float | None:
    amount = _py2_int(text)
    if amount is not None:
        return amount
    if "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _parse_date(text: str) -> tuple[int, int, int] | None:
    ymd = text.lower().split("-")
    if len(ymd) != 3:
        return None
    year = -1 if ymd[0] in ("xx", "xxxx") else _py2_int(ymd[0])
    month = -1 if ymd[1] == "xx" else _py2_int(ymd[1])
    day = -1 if ymd[2] == "xx" else _py2_int(ymd[2])
    if year is None or month is None or day is None or year == month == day == -1:
        return None
    if not (month == -1 or 1 <= month <= 12) or not (day == -1 or 1 <= day <= 31):
        return None
    return year, month, day


@dataclass(frozen=True)
class WtqValue:
    """One denotation item: ``kind`` "string", "number" or "date", its ``amount`` (a number or a
    (year, month, day) triple, -1 for an unknown field) and its normalised string.

    Two values are the same set member when kind and amount (strings: the normalised text) agree,
    as the official classes' ``__eq__`` and ``__hash__`` say.
    """

    kind: str
    amount: Any
    normalized: str = ""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WtqValue) or other.kind != self.kind:
            return False
        if self.kind == "string":
            return self.normalized == other.normalized
        return bool(self.amount == other.amount)

    def __hash__(self) -> int:
        return hash((self.kind, self.normalized if self.kind == "string" else self.amount))

    def match(self, other: WtqValue) -> bool:
        """Whether this target value matches the predicted value ``other``."""
        if self.normalized == other.normalized:
            return True
        if self.kind == "number" and other.kind == "number":
            return bool(abs(self.amount - other.amount) < 1e-6)
        if self.kind == "date" and other.kind == "date":
            return bool(self.amount == other.amount)
        return False


def wtq_to_value(original: str, canon: str | None = None) -> WtqValue:
    """The official ``to_value``: number, else date (a lone year is a number), else string.

    Args:
        original: the answer item as written.
        canon: the CoreNLP-canonical form of the tagged dataset (``targetCanon``), if known;
            parsing reads it instead of ``original``.
    """
    source = canon or original
    amount = _parse_number(source)
    if amount is not None:
        if abs(amount - round(amount)) < 1e-6:
            amount = int(amount)  # truncates, as the official NumberValue does: 2.9999999 -> 2
        else:
            amount = float(amount)
        return WtqValue("number", amount, wtq_normalize(original))
    ymd = _parse_date(source)
    if ymd is not None:
        if ymd[1] == ymd[2] == -1:
            return WtqValue("number", ymd[0], wtq_normalize(original))
        return WtqValue("date", ymd, wtq_normalize(original))
    return WtqValue("string", None, wtq_normalize(original))


def wtq_to_values(originals: Sequence[str], canons: Sequence[str] | None = None) -> list[WtqValue]:
    """The official ``to_value_list``: the *set* of values of a list of answer items."""
    if canons is not None and len(canons) != len(originals):
        raise ValueError(f"{len(originals)} answer items but {len(canons)} canonical forms")
    pairs = zip(originals, canons if canons is not None else [None] * len(originals), strict=True)
    return list({wtq_to_value(o, c) for o, c in pairs})


def check_denotation(targets: Sequence[WtqValue], predictions: Sequence[WtqValue]) -> bool:
    """Same number of values, and every target matches some predicted value."""
    if len(targets) != len(predictions):
        return False
    return all(any(t.match(p) for p in predictions) for t in targets)
