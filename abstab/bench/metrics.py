"""Answer-scoring metrics and bootstrap confidence intervals.

Every metric is a function ``(prediction, gold, abstained) -> float``, in [0, 1] except
:func:`truthfulness` (in {-1, 0, 1}):

- ``prediction``: the system's answer text;
- ``gold``: the item's :class:`~abstab.records.Answer`;
- ``abstained``: the system declined to answer (``Prediction.abstained``).

They are registered lazily in :data:`abstab.registry.metrics` with their metadata
(``higher_is_better``, ``aggregation``), so ``metrics.get("token_f1")`` imports this module only
when scoring starts. Per-item values are averaged; :func:`confidence_interval` gives the
interval (Wilson for 0/1 metrics, a bootstrap over documents for the others).

Unanswerable items (gold type ``"none"``) follow SQuAD 2.0: every metric scores them as
:func:`abstention` does, 1.0 iff the system abstained. On answerable items an ``abstained=True``
prediction scores 0.0 whatever its text.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from abstab.bench.official import (
    check_denotation,
    split_items,
    tatqa_em_f1,
    tatqa_prediction,
    wtq_to_values,
)
from abstab.core.normalize import (
    normalize_answer,
    parse_number,
    parse_number_detail,
    scale_factor,
    tokenize,
)
from abstab.records import Answer

__all__ = [
    "ABSTAIN_ANSWERS",
    "F1_THRESHOLD",
    "REL_TOL",
    "Metric",
    "abstention",
    "bootstrap_ci",
    "confidence_interval",
    "correct",
    "denotation",
    "exact_match",
    "gold_numbers",
    "gold_text",
    "is_abstention",
    "is_binary",
    "newcombe_paired_ci",
    "numeric_match",
    "paired_bootstrap_ci",
    "tatqa_em",
    "tatqa_f1",
    "token_f1",
    "truthfulness",
    "wilson_ci",
]

Metric = Callable[[str, Answer, bool], float]
"""The signature every registered metric has."""

REL_TOL = 1e-6
"""Relative tolerance of :func:`numeric_match` (``math.isclose(pred, gold, rel_tol=REL_TOL)``)."""

F1_THRESHOLD = 0.8
"""Token F1 from which :func:`correct` counts a text answer as right."""

ABSTAIN_ANSWERS: frozenset[str] = frozenset({
    "", "unanswerable", "unknown", "not answerable", "cannot be determined",
    "cannot be answered", "no answer", "not enough information",
})
"""Predictions that mean "I abstain", compared after :func:`normalize_answer`."""

_YES = frozenset({"yes", "true", "是", "はい", "예"})
_NO = frozenset({"no", "false", "否", "いいえ", "아니요"})


# ------------------------------------------------------------------------------ helpers


def gold_text(gold: Answer) -> str:
    """The text a prediction is compared with: ``gold.text``, else its value written out.

    Args:
        gold: the gold answer.

    Returns:
        ``gold.text`` when set; otherwise a list value joined by ", ", a bool as "yes"/"no",
        a number without a trailing ".0", or ''.
    """
    if gold.text or gold.value is None:
        return gold.text
    if isinstance(gold.value, list):
        return ", ".join(gold.value)
    if isinstance(gold.value, bool):
        return "yes" if gold.value else "no"
    if isinstance(gold.value, float):
        return f"{gold.value:.15g}"
    return str(gold.value)


def gold_numbers(gold: Answer) -> list[float]:
    """The values a numeric prediction may equal, or [] when the gold is not numeric.

    The gold is numeric when ``gold.value`` is a number, or when ``gold.type`` is "number" and
    its value or text parses with :func:`~abstab.core.normalize.parse_number`. Besides the value
    ``g``, ``g * f`` and ``g / f`` are accepted for the factor ``f`` of ``gold.scale``
    ("thousand", "million", "billion", "percent", ...; a gold text written with "%" counts as
    scale "percent"), since a table "in millions" may be answered as 1.2 or 1,200,000.

    Args:
        gold: the gold answer.

    Returns:
        The accepted values, the gold value first.
    """
    if gold.type == "none":
        return []
    value: float | None = None
    if isinstance(gold.value, (int, float)) and not isinstance(gold.value, bool):
        value = float(gold.value)
    elif gold.type == "number":
        if isinstance(gold.value, str):
            value = parse_number(gold.value)
        if value is None:
            value = parse_number(gold.text)
    if value is None:
        return []
    factor = scale_factor(gold.scale)
    if factor is None:
        detail = parse_number_detail(gold.text)
        factor = 100.0 if detail is not None and detail.percent else None
    return [value, value * factor, value / factor] if factor else [value]


def is_abstention(prediction: str, abstained: bool = False) -> bool:
    """Whether a prediction declines to answer.

    Args:
        prediction: the answer text.
        abstained: the system's own abstention flag.

    Returns:
        True when ``abstained`` is set or the prediction normalizes to one of
        :data:`ABSTAIN_ANSWERS` ('', "unanswerable", "unknown", "not answerable",
        "cannot be determined", ...).
    """
    return abstained or normalize_answer(prediction) in ABSTAIN_ANSWERS


def _as_bool(text: str) -> bool | None:
    norm = normalize_answer(text)
    return True if norm in _YES else False if norm in _NO else None


_M = TypeVar("_M", bound=Callable[..., float])


def _answerable(metric: _M) -> _M:
    """The abstention rule every answer metric shares, so the metric sees answers only.

    An unanswerable gold (type "none") scores :func:`abstention`; an ``abstained`` prediction
    on an answerable gold scores 0.0; anything else is scored by ``metric`` itself.

    Args:
        metric: a metric ``(prediction, gold, abstained, **options) -> float``.

    Returns:
        The metric with the rule in front (same name, docstring and signature).
    """
    @functools.wraps(metric)
    def guarded(prediction: str, gold: Answer, abstained: bool, *args: Any,
                **kwargs: Any) -> float:
        if gold.type == "none":
            return abstention(prediction, gold, abstained)
        if abstained:
            return 0.0
        return metric(prediction, gold, abstained, *args, **kwargs)

    return cast(_M, guarded)


# ------------------------------------------------------------------------------ metrics


def abstention(prediction: str, gold: Answer, abstained: bool) -> float:
    """Abstention accuracy: abstain exactly on the unanswerable items.

    Args:
        prediction: the answer text.
        gold: the gold answer; type "none" marks an unanswerable item.
        abstained: the system's abstention flag.

    Returns:
        For an unanswerable gold, 1.0 iff :func:`is_abstention`; for an answerable one, 1.0 iff
        not. A prediction such as "Unknown" that equals the gold answer after normalization is
        an answer, not an abstention.
    """
    declined = is_abstention(prediction, abstained)
    if gold.type == "none":
        return float(declined)
    if declined and not abstained:
        declined = normalize_answer(prediction) != normalize_answer(gold_text(gold))
    return float(not declined)


@_answerable
def exact_match(prediction: str, gold: Answer, abstained: bool) -> float:
    """Exact match after :func:`~abstab.core.normalize.normalize_answer`.

    Normalization is SQuAD/DROP-style and number-aware: lowercase, punctuation and articles
    removed, whitespace collapsed, U+2212 minus unified, thousands separators removed and
    trailing decimal zeros dropped ("12,450.0" == "12450").

    Args:
        prediction: the answer text.
        gold: the gold answer, compared through :func:`gold_text`.
        abstained: the system's abstention flag.

    Returns:
        1.0 or 0.0; an unanswerable gold scores :func:`abstention`.
    """
    return float(normalize_answer(prediction) == normalize_answer(gold_text(gold)))


@_answerable
def token_f1(prediction: str, gold: Answer, abstained: bool) -> float:
    """Bag-of-tokens F1 after normalization, one token per CJK character.

    Tokens come from :func:`~abstab.core.normalize.tokenize`: whitespace-separated words of the
    normalized text, with every Han, Hiragana, Katakana and Hangul character its own token, so
    "東京都" against "東京" has precision 2/3, recall 1 and F1 0.8.

    Args:
        prediction: the answer text.
        gold: the gold answer, compared through :func:`gold_text`.
        abstained: the system's abstention flag.

    Returns:
        ``2 * common / (len(pred_tokens) + len(gold_tokens))``; 1.0 or 0.0 when either side has
        no tokens (1.0 only if both have none); an unanswerable gold scores :func:`abstention`.
    """
    pred, ref = tokenize(prediction), tokenize(gold_text(gold))
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    return 2 * common / (len(pred) + len(ref))


@_answerable
def numeric_match(prediction: str, gold: Answer, abstained: bool, *,
                  rel_tol: float = REL_TOL) -> float:
    """Numeric equality within a relative tolerance, aware of the gold's scale.

    The prediction must hold exactly one number
    (:func:`~abstab.core.normalize.parse_number_detail`: "12,450", "(3.2)", "−0.8", "45%",
    "1.2 million", "3 bn", "EUR 12k", ...). It matches when it, or for a prediction written
    with a percent sign also its value / 100, is within ``rel_tol`` of one of
    :func:`gold_numbers` (the gold value, times or divided by the scale factor). When the gold
    has no scale, a prediction written with a scale word may also match by its number alone
    ("12,450 thousand" for the cell "12,450" of a table "in thousands"). Signs must agree. A
    gold that is not numeric falls back to :func:`exact_match`.

    Args:
        prediction: the answer text.
        gold: the gold answer.
        abstained: the system's abstention flag.
        rel_tol: relative tolerance, :data:`REL_TOL` by default.

    Returns:
        1.0 or 0.0; an unanswerable gold scores :func:`abstention`.
    """
    targets = gold_numbers(gold)
    if not targets:
        return exact_match(prediction, gold, abstained)
    parsed = parse_number_detail(prediction)
    if parsed is None:
        return 0.0
    values = [parsed.value, parsed.value / 100] if parsed.percent else [parsed.value]
    if parsed.multiplier != 1.0 and scale_factor(gold.scale) is None:
        # "12,450 thousand" read from a table "in thousands" whose gold is the cell "12,450":
        # without a gold scale the prediction's own scale word is not held against it.
        values.append(parsed.value / parsed.multiplier)
    return float(any(math.isclose(v, t, rel_tol=rel_tol) for v in values for t in targets))


@_answerable
def correct(prediction: str, gold: Answer, abstained: bool) -> float:
    """The headline accuracy of leaderboards: is the answer right, 1.0 or 0.0.

    The rule, by gold answer:

    1. unanswerable (type "none"): :func:`abstention`, i.e. right iff the system abstained;
    2. answerable and ``abstained``: wrong;
    3. numeric (:func:`gold_numbers` not empty): :func:`numeric_match`;
    4. bool, when gold and prediction both read as yes/no (yes/true, no/false, 是/否,
       はい/いいえ, 예/아니요): the two agree;
    5. anything else (text, date, list): :func:`exact_match` is 1, or :func:`token_f1` is at
       least :data:`F1_THRESHOLD` (0.8), which forgives a word too many in a long answer or
       the order of list items, but not "profit" for "net profit" (F1 0.67).

    Args:
        prediction: the answer text.
        gold: the gold answer.
        abstained: the system's abstention flag.

    Returns:
        1.0 if correct, else 0.0.
    """
    if gold_numbers(gold):
        return numeric_match(prediction, gold, abstained)
    if gold.type == "bool":
        want = gold.value if isinstance(gold.value, bool) else _as_bool(gold_text(gold))
        got = _as_bool(prediction)
        if want is not None and got is not None:
            return float(want == got)
    if exact_match(prediction, gold, abstained) == 1.0:
        return 1.0
    return float(token_f1(prediction, gold, abstained) >= F1_THRESHOLD)


def truthfulness(prediction: str, gold: Answer, abstained: bool) -> float:
    """CRAG's truthfulness score: +1 right, 0 abstained, -1 answered wrongly.

    A wrong answer costs more than no answer: a system that makes up an answer to an
    unanswerable question (or answers an answerable one wrongly) is penalised, where accuracy
    would count it the same as abstaining (Yang et al., CRAG, 2024).

    Args:
        prediction: the answer text.
        gold: the gold answer.
        abstained: the system's abstention flag.

    Returns:
        1.0 when :func:`correct` (for an unanswerable gold: the system abstained); 0.0 when the
        system abstained (:func:`is_abstention`) on an answerable item; -1.0 otherwise.
    """
    if correct(prediction, gold, abstained) == 1.0:
        return 1.0
    if gold.type != "none" and is_abstention(prediction, abstained):
        return 0.0
    return -1.0


def _tatqa_args(prediction: str, gold: Answer) -> tuple[str | list[str], str, Any, str, str]:
    """(prediction, its scale, gold answer, answer type, gold scale) for the official TAT-QA
    rules; the prediction is split as a TAT-QA model outputs it (:func:`tatqa_prediction`)."""
    pred, pred_scale = tatqa_prediction(prediction)
    scale = gold.scale or ""
    if isinstance(gold.value, list):
        kind = "multi-span" if len(gold.value) > 1 else "span"
        return pred, pred_scale, list(gold.value), kind, scale
    if isinstance(gold.value, (int, float)) and not isinstance(gold.value, bool):
        # A computed number: scored like TAT-QA's arithmetic and count answers (F1 = EM).
        return pred, pred_scale, gold.value, "arithmetic", scale
    return pred, pred_scale, [gold_text(gold)], "span", scale


@_answerable
def tatqa_em(prediction: str, gold: Answer, abstained: bool) -> float:
    """Exact match by the rules of TAT-QA's official ``tatqa_eval.py``.

    The prediction is first split into the ``(answer, scale)`` pair a TAT-QA model outputs
    (:func:`~abstab.bench.official.tatqa_prediction`: "$(426) thousand" -> ("$(426)",
    "thousand"), "12.5%" -> ("12.5", "percent")). Numbers are compared after scaling: a gold
    1,234 under scale thousand equals the prediction "1234 thousand" or "1,234,000"; words
    after TAT-QA's normalisation; see :mod:`abstab.bench.official`. The gold's answer type comes
    from the record: a list value is a span (one item) or multi-span answer, a numeric value an
    arithmetic one. A prediction listing several items joins them with "|".

    Args:
        prediction: the answer text; a scale may be written in it ("12.5 million", "23%").
        gold: the gold answer; ``gold.scale`` is TAT-QA's scale ('', thousand, million,
            billion, percent).
        abstained: the system's abstention flag.

    Returns:
        1.0 or 0.0; an unanswerable gold scores :func:`abstention`.
    """
    return _tatqa(prediction, gold)[0]


@_answerable
def tatqa_f1(prediction: str, gold: Answer, abstained: bool) -> float:
    """F1 by the rules of TAT-QA's official ``tatqa_eval.py``: F1 of the normalised token
    sets, rounded to 2 places, equal to :func:`tatqa_em` for numeric (arithmetic) golds.

    Args:
        prediction: the answer text.
        gold: the gold answer (see :func:`tatqa_em`).
        abstained: the system's abstention flag.

    Returns:
        A value in [0, 1]; an unanswerable gold scores :func:`abstention`.
    """
    return _tatqa(prediction, gold)[1]


def _tatqa(prediction: str, gold: Answer) -> tuple[float, float]:
    pred, pred_scale, answer, answer_type, scale = _tatqa_args(prediction, gold)
    return tatqa_em_f1(pred, pred_scale, answer, answer_type, scale)


@_answerable
def denotation(prediction: str, gold: Answer, abstained: bool) -> float:
    """WikiTableQuestions' denotation accuracy, by the rules of its official ``evaluator.py``.

    The gold items (a list value, else the gold text) and the predicted items (the prediction
    split on "|") become sets of numbers, dates and normalised strings; the prediction is
    right iff both sets have the same size and every gold item matches a predicted one
    (see :mod:`abstab.bench.official`).

    Args:
        prediction: the answer text, list items joined by "|".
        gold: the gold answer.
        abstained: the system's abstention flag.

    Returns:
        1.0 or 0.0; an unanswerable gold scores :func:`abstention`.
    """
    targets = [str(v) for v in gold.value] if isinstance(gold.value, list) else [gold_text(gold)]
    return float(check_denotation(wtq_to_values(targets), wtq_to_values(split_items(prediction))))


# ------------------------------------------------------------------------- aggregation

N_BOOT = 1000
"""Resamples of :func:`bootstrap_ci` (seed 0 by default, so a rerun gives the same numbers)."""


def _check_alpha(alpha: float, where: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"{where}: alpha must be between 0 and 1, got {alpha}")


def wilson_ci(successes: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927).

    Unlike a percentile bootstrap it is not degenerate at 0/n or n/n: 8 correct out of 8 gives
    [0.676, 1.0] at 95%, not [1.0, 1.0].

    Args:
        successes: items scored 1 (a float count is accepted for sums of 0/1 values).
        n: items scored.
        alpha: 1 - confidence level (0.05 gives a 95% interval).

    Returns:
        ``(low, high)``, within [0, 1].

    Raises:
        ValueError: for ``n < 1``, successes outside [0, n] or ``alpha`` outside (0, 1).
    """
    from statistics import NormalDist

    if n < 1:
        raise ValueError("wilson_ci needs at least one item")
    if not 0 <= successes <= n:
        raise ValueError(f"wilson_ci: {successes} successes out of {n} items")
    _check_alpha(alpha, "wilson_ci")
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_ci(values: Sequence[float], clusters: Sequence[str] | None = None,
                 n: int = N_BOOT, seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values``, resampling clusters.

    With ``clusters`` (e.g. each item's document id) whole clusters are drawn with
    replacement and the mean is taken over all items of the drawn clusters (a cluster
    bootstrap): questions about one document are not independent, and resampling them
    one by one would make the interval too narrow. Without ``clusters`` every value is its own
    cluster (the ordinary bootstrap). Draws come from ``numpy.random.default_rng(seed)``:
    same inputs, same interval.

    Args:
        values: per-item metric values.
        clusters: one cluster id per value, or None.
        n: number of resamples.
        seed: random seed.
        alpha: 1 - confidence level (0.05 gives a 95% interval).

    Returns:
        ``(low, high)``; a single cluster gives the point ``(mean, mean)``.

    Raises:
        ValueError: for no values, ``n < 1``, ``alpha`` outside (0, 1) or a ``clusters``
            list of another length.
    """
    import numpy as np  # here, so that listing metrics does not import numpy

    if len(values) == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if n < 1:
        raise ValueError(f"bootstrap_ci: n must be at least 1, got {n}")
    _check_alpha(alpha, "bootstrap_ci")
    data = np.asarray(values, dtype=float)
    if clusters is None:
        sums, counts = data, np.ones_like(data)
    else:
        if len(clusters) != len(values):
            raise ValueError(f"bootstrap_ci: {len(values)} values but {len(clusters)} clusters")
        _, codes = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
        sums, counts = np.bincount(codes, weights=data), np.bincount(codes).astype(float)
    rng = np.random.default_rng(seed)
    size = sums.size
    means = np.empty(n)
    chunk = max(1, 1_000_000 // size)  # bound memory to ~8 MB of indices per draw
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        idx = rng.integers(0, size, size=(stop - start, size))
        means[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def is_binary(values: Sequence[float]) -> bool:
    """Whether every value is 0 or 1 (a proportion, for :func:`confidence_interval`)."""
    return all(v in (0.0, 1.0) for v in values)


def confidence_interval(values: Sequence[float], clusters: Sequence[str] | None = None,
                        alpha: float = 0.05) -> tuple[float, float]:
    """The interval abstab reports for the mean of a metric: the one rule for every table.

    0/1 values (accuracy, exact match, abstention, ...) get the :func:`wilson_ci` of their
    proportion; any other values (token F1, TAT-QA F1, truthfulness) the cluster
    :func:`bootstrap_ci` over ``clusters`` (the items' documents), 1000 resamples, seed 0.

    Args:
        values: per-item metric values.
        clusters: one cluster id (document) per value, or None.
        alpha: 1 - confidence level.

    Returns:
        ``(low, high)``.
    """
    if values and is_binary(values):
        return wilson_ci(sum(values), len(values), alpha)
    return bootstrap_ci(values, clusters, alpha=alpha)


def newcombe_paired_ci(first: Sequence[float], second: Sequence[float],
                       alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's interval of a difference of paired proportions (Newcombe 1998, method 10).

    The per-pair 0/1 values of two conditions (the clear and the abstract version of each
    question) are counted as both right ``a``, first only ``b``, second only ``c``, neither
    ``d``; the interval combines the :func:`wilson_ci` of both proportions with the
    correlation of the pairs. It is not degenerate for few pairs or all-equal outcomes.

    Args:
        first: 0/1 values of one condition.
        second: 0/1 values of the other condition on the same items, in the same order.
        alpha: 1 - confidence level.

    Returns:
        ``(low, high)`` of ``mean(first) - mean(second)``, within [-1, 1].

    Raises:
        ValueError: for lists of different lengths, no pairs, or values other than 0 and 1.
    """
    if len(first) != len(second):
        raise ValueError(f"newcombe_paired_ci: {len(first)} values against {len(second)}")
    if not first or not (is_binary(first) and is_binary(second)):
        raise ValueError("newcombe_paired_ci needs at least one pair of 0/1 values")
    n = len(first)
    both = sum(1 for x, y in zip(first, second, strict=True) if x and y)
    only1 = sum(1 for x, y in zip(first, second, strict=True) if x and not y)
    only2 = sum(1 for x, y in zip(first, second, strict=True) if y and not x)
    neither = n - both - only1 - only2
    p1, p2 = (both + only1) / n, (both + only2) / n
    l1, u1 = wilson_ci(both + only1, n, alpha)
    l2, u2 = wilson_ci(both + only2, n, alpha)
    margins = (both + only1) * (only2 + neither) * (both + only2) * (only1 + neither)
    cross: float = both * neither - only1 * only2
    # Newcombe's correction: a positive association counts only beyond n/2.
    cross = cross - n / 2 if cross > n / 2 else min(cross, 0)
    phi = cross / math.sqrt(margins) if margins else 0.0
    diff = p1 - p2
    low = diff - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)
                                + (u2 - p2) ** 2))
    high = diff + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2)
                                 + (p2 - l2) ** 2))
    return max(-1.0, low), min(1.0, high)


def paired_bootstrap_ci(first: Sequence[float], second: Sequence[float],
                        clusters: Sequence[str] | None = None, n: int = N_BOOT, seed: int = 0,
                        alpha: float = 0.05) -> tuple[float, float]:
    """Paired bootstrap interval of ``mean(first) - mean(second)`` over the same items.

    Pairs are resampled together (item i of both lists is one draw, and with ``clusters`` all
    pairs of one document are), so the interval reflects the per-item differences, not two
    independent samples: it is :func:`bootstrap_ci` of ``first[i] - second[i]``.

    Args:
        first: per-item values of one condition (e.g. the clear version of each question).
        second: the values of the other condition on the same items, in the same order.
        clusters: one cluster id (document) per pair, or None.
        n: number of resamples.
        seed: random seed.
        alpha: 1 - confidence level.

    Returns:
        ``(low, high)`` of the mean difference.

    Raises:
        ValueError: when the lists differ in length or are empty.
    """
    if len(first) != len(second):
        raise ValueError(f"paired_bootstrap_ci: {len(first)} values against {len(second)}")
    return bootstrap_ci([a - b for a, b in zip(first, second, strict=True)], clusters, n=n,
                        seed=seed, alpha=alpha)
